"""The default candidate index (``CITYID_MATCHER_BACKEND=memory``): in the process's memory (pure: no Django).

Every person's blocking keys are hashed with keyed BLAKE2b under the matching sub-key of the provider key that
wraps their record (see :mod:`cityid.matching.backend`), truncated to 64 bits, and kept in two sorted NumPy
arrays (digest, person id) plus a small dictionary of recent writes merged into them in bulk; a query hashes its
keys under every live sub-key and looks them up with one vectorised binary search. Keys held by more than
``max_block`` people (a very common name on a common birth date) are too unselective to rank by and are
skipped for ranking. Nothing here is ever written to disk.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterable

import numpy as np

from cityid.matching.backend import Candidate, KeysOf, Person, SubKey
from cityid.matching.normalise import Normalised
from cityid.matching.records import PersonRecord

MERGE_AT = 50_000  # recent-write digests kept beside the sorted arrays before merging them in


def _digest(subkey: bytes, key: bytes) -> int:
    """Keyed BLAKE2b (a MAC in its own right, three times faster than HMAC-SHA-256 here), 64 bits."""
    return int.from_bytes(hashlib.blake2b(key, key=subkey, digest_size=8).digest(), "little")


class MemoryIndex:
    """See the module's docstring."""

    name = "memory"

    @classmethod
    def create(cls, *, subkey: SubKey, keys_of: KeysOf) -> MemoryIndex:
        return cls(subkey=subkey, keys_of=keys_of)

    def __init__(self, *, subkey: SubKey, keys_of: KeysOf, max_block: int = 2_000) -> None:
        self._subkey_of = subkey
        self._keys_of = keys_of
        self.max_block = max_block
        self._lock = threading.RLock()
        self._subkeys: dict[str, bytes] = {}
        self._people: dict[int, Person] = {}
        self._by_key_id: dict[str, set[int]] = {}
        self._digests = np.empty(0, dtype=np.uint64)
        self._owners = np.empty(0, dtype=np.int64)
        self._recent: dict[int, list[int]] = {}
        self._recent_size = 0
        self._stale = 0

    # --- writes -----------------------------------------------------------------------------------
    def _subkey(self, key_id: str) -> bytes:
        found = self._subkeys.get(key_id)
        if found is None:
            found = self._subkeys[key_id] = self._subkey_of(key_id)
        return found

    def _digests_of(self, person: Person) -> set[int]:
        subkey = self._subkey(person.key_id)
        return {_digest(subkey, key.encode()) for key in self._keys_of(person.record)}

    def _drop(self, person_id: int) -> None:
        old = self._people.pop(person_id, None)
        if old is not None:
            members = self._by_key_id.get(old.key_id)
            if members is not None:
                members.discard(person_id)
                if not members:
                    del self._by_key_id[old.key_id]
                    self._subkeys.pop(old.key_id, None)
            self._stale += 1

    def replace_all(self, people: Iterable[Person]) -> None:
        digests: list[int] = []
        owners: list[int] = []
        with self._lock:
            self._subkeys, self._people, self._by_key_id = {}, {}, {}
            self._recent, self._recent_size, self._stale = {}, 0, 0
            for person in people:
                self._drop(person.id)
                self._people[person.id] = person
                self._by_key_id.setdefault(person.key_id, set()).add(person.id)
                found = self._digests_of(person)
                digests.extend(found)
                owners.extend([person.id] * len(found))
            self._stale = 0
            self._set_arrays(np.array(digests, dtype=np.uint64), np.array(owners, dtype=np.int64))

    def _set_arrays(self, digests: np.ndarray, owners: np.ndarray) -> None:
        order = np.argsort(digests, kind="stable")
        self._digests, self._owners = digests[order], owners[order]

    def upsert(self, people: Iterable[Person]) -> None:
        with self._lock:
            for person in people:
                self._drop(person.id)
                self._people[person.id] = person
                self._by_key_id.setdefault(person.key_id, set()).add(person.id)
                for digest in self._digests_of(person):
                    self._recent.setdefault(digest, []).append(person.id)
                    self._recent_size += 1
            if self._recent_size >= MERGE_AT:
                self._merge()

    def _merge(self) -> None:
        """Fold the recent writes into the sorted arrays, leaving out digests of people no longer held."""
        pairs = [(digest, owner) for digest, owners in self._recent.items() for owner in owners]
        digests = np.concatenate([self._digests, np.array([d for d, _ in pairs], dtype=np.uint64)])
        owners = np.concatenate([self._owners, np.array([o for _, o in pairs], dtype=np.int64)])
        if self._stale:
            keep = np.isin(owners, np.fromiter(self._people, dtype=np.int64, count=len(self._people)))
            digests, owners = digests[keep], owners[keep]
        self._set_arrays(digests, owners)
        self._recent, self._recent_size, self._stale = {}, 0, 0

    def remove(self, ids: Iterable[int]) -> None:
        with self._lock:
            for person_id in ids:
                self._drop(person_id)

    def forget_key(self, key_id: str) -> list[int]:
        with self._lock:
            ids = sorted(self._by_key_id.get(key_id, ()))
            for person_id in ids:
                self._drop(person_id)
            self._subkeys.pop(key_id, None)
            if ids:
                self._merge()  # their digests go too, not only their records
            return ids

    # --- reads --------------------------------------------------------------------------------------
    def key_ids(self) -> set[str]:
        with self._lock:
            return set(self._by_key_id)

    def size(self) -> int:
        return len(self._people)

    def get(self, person_id: int) -> Person | None:
        return self._people.get(person_id)

    def _query(self, keys: list[bytes]) -> tuple[list[int], np.ndarray, np.ndarray, dict[int, list[int]]]:
        with self._lock:
            subkeys = list(self._subkeys.values())
            digests, owners, recent = self._digests, self._owners, self._recent
        query = [_digest(subkey, key) for subkey in subkeys for key in keys]
        return query, digests, owners, recent

    def candidates(self, record: PersonRecord | Normalised, *, limit: int) -> list[Candidate]:
        keys = [key.encode() for key in dict.fromkeys(self._keys_of(record))]
        if not keys:
            return []
        query, digests, owners, recent = self._query(keys)
        wanted = np.fromiter(query, dtype=np.uint64, count=len(query))
        low = np.searchsorted(digests, wanted, side="left")
        high = np.searchsorted(digests, wanted, side="right")
        parts = [owners[a:b] for a, b in zip(low.tolist(), high.tolist(), strict=True) if 0 < b - a <= self.max_block]
        extra = [owner for digest in query for owner in recent.get(digest, ())]
        if extra:
            parts.append(np.array(extra, dtype=np.int64))
        if not parts:
            return []
        ids, counts = np.unique(np.concatenate(parts), return_counts=True)
        order = np.argsort(-counts, kind="stable")
        out: list[Candidate] = []
        people = self._people
        for position in order.tolist():
            person = people.get(int(ids[position]))
            if person is not None:
                out.append(Candidate(person, int(counts[position])))
                if len(out) >= limit:
                    break
        return out

    def holders(self, key: str) -> list[Person]:
        query, digests, owners, recent = self._query([key.encode()])
        wanted = np.fromiter(query, dtype=np.uint64, count=len(query))
        low = np.searchsorted(digests, wanted, side="left")
        high = np.searchsorted(digests, wanted, side="right")
        ids = {int(owner) for a, b in zip(low.tolist(), high.tolist(), strict=True) for owner in owners[a:b].tolist()}
        ids.update(owner for digest in query for owner in recent.get(digest, ()))
        return [person for person in (self._people.get(i) for i in sorted(ids)) if person is not None]
