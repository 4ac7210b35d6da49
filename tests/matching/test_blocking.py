"""Blocking keys: every kind of near-duplicate shares a key with its original."""

from dataclasses import replace
from datetime import date

from cityid.matching.blocking import blocking_keys
from cityid.matching.records import PersonRecord

BASE = PersonRecord(id="a", given_name="Maria", family_name="Garcia", date_of_birth=date(1985, 4, 11),
                    address_line1="1 Main St", postcode="10451", document_hashes=("h1", "h2"))


def shares(a: PersonRecord, b: PersonRecord) -> bool:
    return bool(set(blocking_keys(a)) & set(blocking_keys(b)))


def test_keys_are_plaintext_strings_without_repeats():
    keys = blocking_keys(BASE)
    assert keys and len(keys) == len(set(keys))
    assert "doc:h1" in keys and "doc:h2" in keys
    assert all(isinstance(k, str) and ":" in k for k in keys)


def test_each_kind_of_near_duplicate_shares_a_key():
    assert shares(BASE, replace(BASE, date_of_birth=date(1985, 11, 4), given_name="X", family_name="Y",
                                document_hashes=()))  # swapped day and month
    assert shares(BASE, replace(BASE, given_name="Garcia", family_name="Maria", date_of_birth=None,
                                document_hashes=()))  # transposed names
    assert shares(BASE, replace(BASE, family_name="Garsia", date_of_birth=None, document_hashes=()))  # typo
    assert shares(BASE, replace(BASE, given_name="Z", family_name="Q", date_of_birth=None,
                                document_hashes=("h2",)))  # the same document only


def test_different_people_share_no_key():
    other = PersonRecord(id="b", given_name="Wei", family_name="Chen", date_of_birth=date(1950, 1, 2))
    assert not shares(BASE, other)


def test_a_record_with_nothing_has_no_keys():
    assert blocking_keys(PersonRecord(id="x")) == []
