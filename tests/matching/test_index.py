"""The in-memory candidate index on its own (pure): keyed digests only, per key; forgetting a key at once."""

from __future__ import annotations

import hashlib
import hmac
from datetime import date

import numpy as np

from cityid.matching.backend import Person
from cityid.matching.memory import MemoryIndex
from cityid.matching.people import index_keys, person_record

DOC_KEY = b"d" * 32
DAY = date(2026, 1, 1)


def _record(pid, given, family, born, line1="1 Main St", docs=()):
    return person_record(person_id=pid, given_name=given, family_name=family, date_of_birth=born,
                         address={"line1": line1, "postcode": "10001"}, documents=docs, document_key=DOC_KEY)


def _index():
    keys = {"cohort:a": b"A" * 32, "cohort:b": b"B" * 32, "hold:1": b"H" * 32}
    asked = []

    def subkey(key_id):
        asked.append(key_id)
        return hmac.digest(keys[key_id], b"sub", hashlib.sha256)

    return MemoryIndex.create(subkey=subkey, keys_of=index_keys), asked


def test_candidates_are_found_through_keyed_digests_only():
    index, asked = _index()
    people = [
        Person(1, "cohort:a", _record(1, "Maria", "Garcia", date(1990, 4, 12)), date(2026, 1, 1)),
        Person(2, "cohort:b", _record(2, "John", "Smith", date(1970, 1, 1), line1="9 Elm St"), date(2026, 1, 1)),
    ]
    index.replace_all(people)
    assert sorted(asked) == ["cohort:a", "cohort:b"]
    query = _record("q", "Mariah", "Garcia", date(1990, 4, 12))
    found = index.candidates(query, limit=5)
    assert [c.person.id for c in found] == [1]
    # What the index holds for lookups is 64-bit integers: no blocking key in clear.
    assert index._digests.dtype == np.uint64 and len(index._digests) > 0
    plain = {key.encode() for person in people for key in index_keys(person.record)}
    held = {int(d).to_bytes(8, "little") for d in index._digests.tolist()}
    assert not any(key[:8] in held for key in plain)
    # The same keys under another cohort's key are different digests.
    other = MemoryIndex.create(subkey=lambda key_id: b"Z" * 32, keys_of=index_keys)
    other.replace_all([Person(1, "cohort:a", people[0].record, date(2026, 1, 1))])
    assert not set(other._digests.tolist()) & set(index._digests.tolist())


def test_recent_writes_are_found_and_merged():
    index, _ = _index()
    index.replace_all([])
    index.upsert([Person(5, "cohort:a", _record(5, "Ana", "Lopez", date(1980, 5, 5)), date(2026, 1, 1))])
    assert [c.person.id for c in index.candidates(_record("q", "Ana", "Lopes", date(1980, 5, 5)), limit=5)] == [5]
    index._merge()
    assert [c.person.id for c in index.candidates(_record("q", "Ana", "Lopes", date(1980, 5, 5)), limit=5)] == [5]
    index.remove([5])
    assert index.candidates(_record("q", "Ana", "Lopez", date(1980, 5, 5)), limit=5) == []


def test_forgetting_a_key_drops_its_people_digests_and_subkey_at_once():
    index, _ = _index()
    index.replace_all([
        Person(1, "cohort:a", _record(1, "Maria", "Garcia", date(1990, 4, 12)), date(2026, 1, 1)),
        Person(2, "hold:1", _record(2, "Maria", "Garcia", date(1990, 4, 12)), date(2026, 1, 1)),
    ])
    size = len(index._digests)
    assert index.forget_key("cohort:a") == [1]
    assert index.get(1) is None and index.size() == 1
    assert "cohort:a" not in index.key_ids() and "cohort:a" not in index._subkeys
    assert len(index._digests) < size
    assert set(index._owners.tolist()) == {2}
    assert [c.person.id for c in index.candidates(_record("q", "Maria", "Garcia", date(1990, 4, 12)), limit=5)] == [2]


def test_holders_of_a_document_and_an_address():
    index, _ = _index()
    index.replace_all([
        Person(1, "cohort:a", _record(1, "Ana", "Lopez", date(1980, 5, 5), docs=[("passport", "X1")]), DAY),
        Person(2, "cohort:b", _record(2, "Bo", "Chen", date(1960, 2, 2), docs=[("passport", "x-1")]), DAY),
    ])
    digest = _record("q", "", "", None, docs=[("passport", "X 1")]).document_hashes[0]
    assert [p.id for p in index.holders(f"doc:{digest}")] == [1, 2]
    assert [p.id for p in index.holders("addr:1 main st|10001")] == [1, 2]
