"""Placing and releasing holds and applying schedules re-wrap a batch at a time: the number of queries
grows with the number of batches, never with the number of records; a record whose key is already
destroyed is skipped as before; searches keep finding held records, and the old keys' index rows go."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cityid.enrollment.records import document_number_index_value
from cityid.enrollment.selectors import search_applicants
from cityid.retention import services as retention
from cityid.retention.models import HeldRecord
from cityid.vault.models import BlindIndex, RecordKey
from cityid.vault.providers import get_provider
from cityid.vault.selectors import record_keys_matching
from tests.retention.dataset import DEADLINE, import_people, people
from tests.retention.test_holds import assert_readable, cohort_ids, key_ids, keys_of

pytestmark = pytest.mark.django_db


def queries(action: Callable[[], object]) -> int:
    with CaptureQueriesContext(connection) as captured:
        action()
    return len(captured)


def place_and_release(counsel) -> tuple[int, int]:
    holds = []
    placed = queries(lambda: holds.append(
        retention.place_hold(case_name="Count", court="Court", scope="all", placed_by=counsel)))
    released = queries(lambda: retention.release_hold(hold_id=holds[0].pk, released_by=counsel))
    assert not RecordKey.objects.filter(key_id__startswith="hold:").exists()
    return placed, released


def test_queries_grow_with_batches_not_records(staff, tmp_path, monkeypatch):
    counsel = staff["counsel"]
    import_people(people(2, prefix="S"), tmp_path / "small", staff["supervisor"])
    place_and_release(counsel)  # the first hold creates the retention lock row
    small = place_and_release(counsel)  # 6 records, one batch
    import_people(people(14, prefix="L"), tmp_path / "large", staff["supervisor"])
    large = place_and_release(counsel)  # 48 records, one batch
    assert small == large

    monkeypatch.setattr(retention, "BATCH", 6)
    six = place_and_release(counsel)  # 8 batches
    monkeypatch.setattr(retention, "BATCH", 24)
    twenty_four = place_and_release(counsel)  # 2 batches
    for one_batch, two_batches, eight_batches in zip(large, twenty_four, six, strict=True):
        per_batch = two_batches - one_batch
        assert 0 < per_batch <= 16
        assert eight_batches - one_batch == 7 * per_batch


def test_apply_schedule_queries_grow_with_batches_not_records(staff, tmp_path):
    officer = staff["records_officer"]
    import_people(people(2, prefix="S"), tmp_path / "small", staff["supervisor"])
    retention.apply_schedule(record_class="photo")  # creates the retention lock row, moves nothing
    retention.set_schedule(record_class="application", trigger="submitted", years=20, approved_by=officer)
    small = queries(lambda: retention.apply_schedule(record_class="application"))
    import_people(people(14, prefix="L"), tmp_path / "large", staff["supervisor"])
    retention.set_schedule(record_class="application", trigger="submitted", years=30, approved_by=officer)
    moved = []
    large = queries(lambda: moved.append(retention.apply_schedule(record_class="application")))
    assert moved == [16]
    assert large == small


@pytest.fixture
def population(staff, tmp_path):
    persons = people(6)
    import_people(persons, tmp_path / "import", staff["supervisor"])
    return persons


def destroy_cohort_of(person, key_provider) -> list[RecordKey]:
    """Destroy the key of the person's documents cohort, as a run does before it deletes the rows."""
    key_id = keys_of(person)["documents"].key_id
    key_provider.destroy_key(key_id)
    return list(RecordKey.objects.filter(key_id=key_id))


def test_a_hold_skips_records_already_destroyed_in_the_same_batch(key_provider, population, staff):
    # people(6): documents in cohorts 2017-01 (the first two), 2017-06 (two), 2017-07 and 2017-12.
    counsel = staff["counsel"]
    dead = destroy_cohort_of(population[0], key_provider)
    assert len(dead) == 2
    dead_rows = {key.pk: (key.key_id, bytes(key.wrapped_key)) for key in dead}
    dead_indexes = set(BlindIndex.objects.filter(record_key__in=dead).values_list("pk", flat=True))

    hold = retention.place_hold(case_name="Mixed", court="Court", scope="class:documents", placed_by=counsel)

    held = set(HeldRecord.objects.filter(hold=hold).values_list("record_key_id", flat=True))
    assert held == {keys_of(person)["documents"].pk for person in population[2:]}
    for key in RecordKey.objects.filter(pk__in=dead_rows):
        assert (key.key_id, bytes(key.wrapped_key)) == dead_rows[key.pk]
    assert set(BlindIndex.objects.filter(record_key__in=dead).values_list("pk", flat=True)) == dead_indexes
    for person in population[2:]:
        assert key_ids(person)["documents"] == hold.key_id
        assert_readable(person)

    retention.release_hold(hold_id=hold.pk, released_by=counsel)
    for person in population[2:]:
        assert key_ids(person) == cohort_ids(person)
        assert_readable(person)


def test_apply_schedule_skips_records_already_destroyed(key_provider, population, staff):
    dead = destroy_cohort_of(population[0], key_provider)
    retention.set_schedule(record_class="documents", fixed_date=DEADLINE, approved_by=staff["records_officer"])
    assert retention.apply_schedule(record_class="documents") == len(population) - len(dead)
    assert set(RecordKey.objects.filter(key_id="cohort:documents/2016-12").values_list("pk", flat=True)) == {
        keys_of(person)["documents"].pk for person in population[2:]}
    assert {key.key_id for key in RecordKey.objects.filter(pk__in=[key.pk for key in dead])} == {dead[0].key_id}


def digests_by_key() -> dict[str, set[bytes]]:
    out: dict[str, set[bytes]] = {}
    for key_id, digest in BlindIndex.objects.values_list("record_key__key_id", "digest"):
        out.setdefault(key_id, set()).add(bytes(digest))
    return out


def test_search_finds_every_held_record_and_the_old_index_rows_are_gone(key_provider, population, staff,
                                                                       monkeypatch):
    clerk, counsel = staff["clerk"], staff["counsel"]
    monkeypatch.setattr(retention, "BATCH", 4)  # several batches, mixing classes
    before = digests_by_key()
    rows = BlindIndex.objects.count()

    hold = retention.place_hold(case_name="Search", court="Court", scope="all", placed_by=counsel)

    after = digests_by_key()
    assert set(after) == {hold.key_id} and BlindIndex.objects.count() == rows
    assert after[hold.key_id].isdisjoint(set().union(*before.values()))
    for person in population:
        assert search_applicants(actor=clerk, given_name=person.given_name, family_name=person.family_name,
                                 date_of_birth=person.date_of_birth) == [person.applicant()]
        value = document_number_index_value("foreign_passport", person.passport_number)
        assert list(record_keys_matching(record_class="documents", kind="docnum", value=value)) == [
            keys_of(person)["documents"]]
        assert_readable(person)

    retention.release_hold(hold_id=hold.pk, released_by=counsel)
    assert digests_by_key() == before


class Interrupted(Exception):
    pass


def test_a_failed_batch_leaves_its_records_as_they_were_and_a_rerun_finishes(population, staff, monkeypatch):
    counsel = staff["counsel"]
    monkeypatch.setattr(retention, "BATCH", 4)
    hold = retention.place_hold(case_name="Crash", court="Court", scope="all", placed_by=counsel)
    real_bulk_create = BlindIndex.objects.bulk_create
    calls = []

    def fail_in_the_second_batch(objs, *args, **kwargs):
        calls.append(len(objs))
        if len(calls) == 2:
            raise Interrupted
        return real_bulk_create(objs, *args, **kwargs)

    monkeypatch.setattr(BlindIndex.objects, "bulk_create", fail_in_the_second_batch)
    with pytest.raises(Interrupted):
        retention.release_hold(hold_id=hold.pk, released_by=counsel)
    assert RecordKey.objects.filter(key_id=hold.key_id).count() == 3 * len(population) - 4
    assert HeldRecord.objects.filter(hold=hold).count() == 3 * len(population) - 4
    # The committed batch moved whole, the failed one not at all: every index row is under its record's key.
    for person in population:
        assert search_applicants(actor=staff["clerk"], given_name=person.given_name,
                                 family_name=person.family_name, date_of_birth=person.date_of_birth) == [
            person.applicant()]

    monkeypatch.setattr(BlindIndex.objects, "bulk_create", real_bulk_create)
    retention.release_hold(hold_id=hold.pk, released_by=counsel)
    assert not RecordKey.objects.filter(key_id__startswith="hold:").exists()
    assert not get_provider().has_key(hold.key_id)
    for person in population:
        assert key_ids(person) == cohort_ids(person)
        assert_readable(person)

