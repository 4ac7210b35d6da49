"""Re-wrapping in batches: the providers' ``rewrap_many`` and the vault's ``rewrap_moves`` keep each
record readable under its new key, leave records whose key is gone untouched, and write set-based."""

from __future__ import annotations

import os
import uuid
from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cityid.enrollment.records import document_number_index_value
from cityid.vault import services as vault
from cityid.vault.models import BlindIndex, RecordKey
from cityid.vault.providers import KeyUnavailable
from cityid.vault.selectors import record_keys_matching
from tests.conftest import make_input
from tests.vault.test_providers import _key_id

DUE = date(2031, 12, 31)


def test_provider_rewrap_many_moves_each_data_key_under_its_new_key(key_provider):
    old, first, second, gone = _key_id(), _key_id(), _key_id(), _key_id()
    for key_id in (old, gone):
        key_provider.ensure_key(key_id)
    data_keys = [os.urandom(32) for _ in range(4)]
    wrapped = [key_provider.wrap(old, data_key) for data_key in data_keys[:3]] + [key_provider.wrap(gone, data_keys[3])]
    key_provider.destroy_key(gone)
    foreign = key_provider.wrap(old, os.urandom(32))

    results = key_provider.rewrap_many([
        (old, wrapped[0], first), (old, wrapped[1], second), (old, wrapped[2], first),
        (gone, wrapped[3], second), (first, foreign, second),
    ])

    assert results[3] is None  # its key is destroyed
    assert results[4] is None  # not wrapped by the key named
    for (data_key, rewrapped), expected, target in zip(results[:3], data_keys[:3], [first, second, first], strict=True):
        assert data_key == expected
        assert key_provider.unwrap(target, rewrapped) == expected
        with pytest.raises(KeyUnavailable):
            key_provider.unwrap(old, rewrapped)


def test_provider_rewrap_many_creates_a_target_only_for_a_live_record(key_provider):
    gone, unused = _key_id(), _key_id()
    key_provider.ensure_key(gone)
    wrapped = key_provider.wrap(gone, os.urandom(32))
    key_provider.destroy_key(gone)
    assert key_provider.rewrap_many([(gone, wrapped, unused)]) == [None]
    assert not key_provider.has_key(unused)
    assert key_provider.rewrap_many([]) == []


def _records(count: int, record_class: str = "documents") -> list[RecordKey]:
    tag = uuid.uuid4().hex[:8]
    opened = vault.create_records([(record_class, f"test:{tag}:{i}", DUE) for i in range(count)])
    BlindIndex.objects.bulk_create(
        [vault.blind_index(record=record, kind="docnum", value=f"DOC{tag}{i}".encode()) for i, record in
         enumerate(opened)]
    )
    return [record.key for record in opened]


@pytest.mark.django_db
def test_rewrap_moves_sends_each_record_to_its_own_target(key_provider):
    keys = _records(4)
    data_keys = [vault.open_record(key).data_key for key in keys]
    hold_a, hold_b = _key_id(), _key_id()
    moves = [vault.Move(keys[0], hold_a), vault.Move(keys[1], hold_b),
             vault.Move(keys[2], "cohort:documents/2040-01", "documents/2040-01", date(2040, 1, 31))]

    assert vault.rewrap_moves(moves) == []

    stored = {key.pk: key for key in RecordKey.objects.filter(pk__in=[key.pk for key in keys])}
    assert [stored[key.pk].key_id for key in keys] == [hold_a, hold_b, "cohort:documents/2040-01", keys[3].key_id]
    assert (stored[keys[2].pk].cohort, stored[keys[2].pk].due_on) == ("documents/2040-01", date(2040, 1, 31))
    assert (stored[keys[0].pk].cohort, stored[keys[0].pk].due_on) == (keys[3].cohort, DUE)  # unchanged
    for key, data_key in zip(keys, data_keys, strict=True):
        assert vault.open_record(stored[key.pk]).data_key == data_key
        assert (key.key_id, bytes(key.wrapped_key)) == (stored[key.pk].key_id, bytes(stored[key.pk].wrapped_key))
    # Records without an owner have no indexer: their old index rows go and none are recomputed.
    assert list(BlindIndex.objects.filter(record_key__in=keys).values_list("record_key_id", flat=True)) == [
        keys[3].pk]


@pytest.mark.django_db
def test_a_destroyed_record_in_a_batch_is_left_as_it_was(key_provider):
    live, dead = _records(3), _records(2)
    cohort = "documents/2041-03"
    for key in dead:  # under a cohort key of their own, destroyed before their rows are deleted
        vault.rewrap(key, key_id=vault.cohort_key_id(cohort), cohort=cohort)
    BlindIndex.objects.bulk_create([BlindIndex(record_key=key, kind="docnum", digest=b"d" * 32) for key in dead])
    key_provider.destroy_key(vault.cohort_key_id(cohort))
    before = {key.pk: (key.key_id, bytes(key.wrapped_key)) for key in dead}
    target = _key_id()

    batch = [live[0], dead[0], live[1], dead[1], live[2]]
    assert vault.rewrap_many(batch, key_id=target) == [dead[0], dead[1]]

    for key in RecordKey.objects.filter(pk__in=[key.pk for key in dead]):
        assert (key.key_id, bytes(key.wrapped_key)) == before[key.pk]
        assert vault.cohort_key_id(key.cohort) == key.key_id
    assert BlindIndex.objects.filter(record_key__in=dead).count() == 2  # untouched
    assert RecordKey.objects.filter(key_id=target).count() == 3
    with pytest.raises(vault.RecordDestroyed):
        vault.rewrap(dead[0], key_id=target)


@pytest.mark.django_db
def test_a_batch_of_only_destroyed_records_writes_nothing(key_provider):
    dead = _records(2)
    key_provider.destroy_key(dead[0].key_id)
    target = _key_id()
    with CaptureQueriesContext(connection) as queries:
        assert vault.rewrap_many(dead, key_id=target) == dead
    assert len(queries) == 0
    assert not key_provider.has_key(target)


@pytest.mark.django_db
def test_rewrap_many_writes_a_constant_number_of_statements(key_provider, staff):
    from cityid.enrollment.services import enroll

    def count(record_keys: list[RecordKey]) -> int:
        with CaptureQueriesContext(connection) as queries:
            assert vault.rewrap_many(record_keys, key_id=_key_id()) == []
        return len(queries)

    applications = [
        enroll(data=make_input(given_name=f"Batchname{i}"), enrolled_by=staff["clerk"], today=date(2026, 11, 20))
        for i in range(6)
    ]
    keys = [key for application in applications for key in (
        application.applicant.personal_record, application.applicant.photo_record, application.documents_record)]
    small, large = count(keys[:3]), count(keys[3:])
    # savepoint, UPDATE (one executemany), DELETE, one SELECT per class with an indexer, INSERT, release
    assert small == large == 7
    value = document_number_index_value("foreign_passport", "CANARYDOC1")
    assert len(list(record_keys_matching(record_class="documents", kind="docnum", value=value))) == len(applications)
