"""The matcher's candidate index as a swappable part (``CITYID_MATCHER_BACKEND``; pure: no Django).

A backend holds the people the real-time check compares a new application with, and finds the few worth
scoring. Its blocking keys are held only as keyed hashes, keyed per cohort: a person's keys are hashed under a
sub-key derived, inside the key provider, from the key that wraps their ``application`` record (their cohort's,
or a legal hold's), and a query hashes its keys under every live sub-key. Destroying a cohort key therefore
leaves nothing that can be tested again, and :meth:`MatcherBackend.forget_key` drops its people at once.

The default, ``memory`` (:class:`cityid.matching.memory.MemoryIndex`), keeps everything in the process's
memory, rebuilt from the encrypted store at start. A city that runs several processes or outgrows one machine
plugs in its own class (a dotted path) meeting this protocol.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from typing import Protocol

from cityid.matching.normalise import Normalised
from cityid.matching.records import PersonRecord

#: ``subkey(key_id) -> bytes``: the matching sub-key of a provider key (raises when the key is gone).
SubKey = Callable[[str], bytes]
#: ``keys_of(record) -> plaintext blocking keys``: what the index hashes for a person and for a query.
KeysOf = Callable[[PersonRecord | Normalised], list[str]]


@dataclass(frozen=True, slots=True)
class Person:
    """One applicant in the index: ``id`` is the applicant's id (not personal), ``key_id`` the provider key of
    their ``application`` record, ``since`` the day of their latest application."""

    id: int
    key_id: str
    record: PersonRecord
    since: date


@dataclass(frozen=True, slots=True)
class Candidate:
    person: Person
    shared: int  # how many of the query's keyed blocking keys this person shares


class MatcherBackend(Protocol):
    """What a candidate index does. Every method is safe to call from several threads."""

    @classmethod
    def create(cls, *, subkey: SubKey, keys_of: KeysOf) -> MatcherBackend: ...

    def replace_all(self, people: Iterable[Person]) -> None:
        """Forget everything and hold exactly ``people`` (the rebuild from the encrypted store)."""

    def upsert(self, people: Iterable[Person]) -> None:
        """Add these people, or replace what is held about them (a new application, a moved record)."""

    def remove(self, ids: Iterable[int]) -> None: ...

    def forget_key(self, key_id: str) -> list[int]:
        """Drop at once every person held under ``key_id``, their keyed digests and the sub-key; returns their ids."""

    def key_ids(self) -> set[str]:
        """The provider keys of the people held."""

    def candidates(self, record: PersonRecord | Normalised, *, limit: int) -> list[Candidate]:
        """The people sharing at least one keyed blocking key with ``record``, most shared keys first."""

    def holders(self, key: str) -> list[Person]:
        """The people holding exactly the blocking key ``key`` (a document number's, an address's)."""

    def get(self, person_id: int) -> Person | None: ...

    def size(self) -> int: ...
