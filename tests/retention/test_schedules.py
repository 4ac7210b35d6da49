"""Retention schedules: versions, triggers, and the (batched, resumable) re-wrap that moves records
to the cohort their schedule gives."""

from __future__ import annotations

import calendar
from datetime import date

import pytest

from cityid.accounts.policy import PermissionDenied
from cityid.audit.models import AuditEntry
from cityid.cards.models import Card
from cityid.enrollment.records import document_number_index_value
from cityid.enrollment.services import decide
from cityid.retention import services as retention
from cityid.retention.models import HeldRecord, Schedule
from cityid.retention.services import RetentionError
from cityid.vault import services as vault
from cityid.vault.models import RecordKey
from cityid.vault.selectors import record_keys_matching
from tests.retention.dataset import DEADLINE, import_people, people

pytestmark = pytest.mark.django_db


def end_of_month(day: date) -> date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def plus_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def expected_due(base: date, years: int) -> date:
    return end_of_month(plus_years(base, years))


def key_of(person, record_class: str) -> RecordKey:
    applicant = person.applicant()
    key = {"application": applicant.personal_record, "photo": applicant.photo_record,
           "documents": applicant.applications.get().documents_record}[record_class]
    key.refresh_from_db()
    return key


def assert_in_cohort(key: RecordKey, due: date) -> None:
    cohort = f"{key.record_class}/{due:%Y-%m}"
    assert (key.due_on, key.cohort, key.key_id) == (due, cohort, f"cohort:{cohort}")


def assert_readable(person) -> None:
    view = person.read()
    assert view.destroyed == [] and view.profile["family_name"] == person.family_name
    (application, details, docs), = view.applications
    assert details is not None and docs[0].details["number"] == person.passport_number
    record = vault.open_record(application.documents_record)
    assert vault.read_blob(record=record, blob=application.documents.get(position=0).scan) == person.passport_scan
    applicant = person.applicant()
    assert vault.read_blob(record=vault.open_record(applicant.photo_record), blob=applicant.photo) == person.photo


@pytest.fixture
def population(staff, tmp_path):
    persons = people(4)
    persons[3].decision = "pending"
    import_people(persons, tmp_path / "import", staff["supervisor"])
    return persons


def test_a_new_schedule_version_rewraps_records_to_the_new_cohort(key_provider, population, staff):
    # (key_provider before population: the records must be made under the provider being tested)
    officer = staff["records_officer"]
    for person in population:  # the rules file: documents 2 years after submission
        assert_in_cohort(key_of(person, "documents"), expected_due(person.submitted, 2))
    before = {p.external_id: bytes(key_of(p, "documents").wrapped_key) for p in population}
    old_cohorts = {key_of(p, "documents").key_id for p in population}

    first = retention.set_schedule(record_class="documents", trigger="submitted", years=5, approved_by=officer)
    assert retention.apply_schedule(record_class="documents") == len(population)
    for person in population:
        key = key_of(person, "documents")
        assert_in_cohort(key, expected_due(person.submitted, 5))
        assert bytes(key.wrapped_key) != before[person.external_id]
        assert_readable(person)
        value = document_number_index_value("foreign_passport", person.passport_number)
        assert list(record_keys_matching(record_class="documents", kind="docnum", value=value)) == [key]
    assert not RecordKey.objects.filter(key_id__in=old_cohorts).exists()
    # Other classes are untouched.
    for person in population:
        assert_in_cohort(key_of(person, "application"), expected_due(person.submitted, 8))

    second = retention.set_schedule(record_class="documents", fixed_date=DEADLINE, approved_by=officer)
    assert retention.apply_schedule(record_class="documents") == len(population)
    for person in population:
        assert_in_cohort(key_of(person, "documents"), DEADLINE)
        assert_readable(person)
    assert retention.apply_schedule(record_class="documents") == 0  # already in place
    assert [(s.version, s.describe()) for s in Schedule.objects.filter(record_class="documents")] == [
        (2, "on 2016-12-31"), (1, "5 years after submitted")]
    assert first.approved_by == second.approved_by == officer


def test_trigger_decided_and_a_later_decision_moves_the_record(population, staff):
    officer, supervisor = staff["records_officer"], staff["supervisor"]
    retention.set_schedule(record_class="application", trigger="decided", years=3, approved_by=officer)
    retention.apply_schedule(record_class="application")
    decided, pending = population[:3], population[3]
    for person in decided:
        assert_in_cohort(key_of(person, "application"), expected_due(person.decided, 3))
    # Not decided yet: the submission date stands in until the decision.
    assert_in_cohort(key_of(pending, "application"), expected_due(pending.submitted, 3))

    decision_day = date(2019, 8, 14)
    decide(application=pending.application(), approve=True, decided_by=supervisor, decided_on=decision_day)
    key = key_of(pending, "application")
    assert_in_cohort(key, expected_due(decision_day, 3))
    assert_readable(pending)
    # The photo and documents keep the submission-based dates of the rules file.
    assert_in_cohort(key_of(pending, "photo"), expected_due(pending.submitted, 8))
    assert_in_cohort(key_of(pending, "documents"), expected_due(pending.submitted, 2))


def test_trigger_card_expired(population, staff):
    officer = staff["records_officer"]
    retention.set_schedule(record_class="photo", trigger="card_expired", years=1, approved_by=officer)
    assert retention.apply_schedule(record_class="photo") == len(population)
    for person in population[:3]:
        card = Card.objects.get(applicant=person.applicant())
        assert card.expires_on > person.decided
        assert_in_cohort(key_of(person, "photo"), expected_due(card.expires_on, 1))
        assert_readable(person)
    # No card (no decision yet): the submission date stands in.
    assert_in_cohort(key_of(population[3], "photo"), expected_due(population[3].submitted, 1))

    retention.set_schedule(record_class="documents", trigger="card_expired", years=0, approved_by=officer)
    retention.apply_schedule(record_class="documents")
    for person in population[:3]:
        card = Card.objects.get(applicant=person.applicant())
        assert_in_cohort(key_of(person, "documents"), end_of_month(card.expires_on))


class Interrupted(Exception):
    pass


def test_apply_schedule_resumes_after_an_interruption(staff, tmp_path, monkeypatch):
    persons = people(7)
    import_people(persons, tmp_path / "import", staff["supervisor"])
    monkeypatch.setattr(retention, "BATCH", 2)
    retention.set_schedule(record_class="documents", fixed_date=DEADLINE, approved_by=staff["records_officer"])
    seen = []

    def stop_after_two_batches(done: int) -> None:
        seen.append(done)
        if len(seen) == 2:
            raise Interrupted

    with pytest.raises(Interrupted):
        retention.apply_schedule(record_class="documents", progress=stop_after_two_batches)
    moved = RecordKey.objects.filter(record_class="documents", key_id="cohort:documents/2016-12")
    assert moved.count() == 4  # the two committed batches
    ticks = []
    assert retention.apply_schedule(record_class="documents", progress=ticks.append) == 3
    assert ticks == [2, 2, 2, 1]
    assert moved.count() == 7
    for person in persons:
        assert_in_cohort(key_of(person, "documents"), DEADLINE)
        assert_readable(person)


def test_bad_schedules_are_refused(staff):
    bad = [
        ({"record_class": "nope", "fixed_date": DEADLINE}, "unknown class 'nope'"),
        ({"record_class": "", "fixed_date": DEADLINE}, "unknown class ''"),
        ({"record_class": "documents"}, "either a fixed date or a trigger"),
        ({"record_class": "documents", "fixed_date": DEADLINE, "trigger": "submitted", "years": 2},
         "either a fixed date or a trigger"),
        ({"record_class": "documents", "trigger": "submitted"}, "0 to 100 years"),
        ({"record_class": "documents", "trigger": "submitted", "years": 101}, "0 to 100 years"),
        ({"record_class": "documents", "trigger": "submitted", "years": -1}, "0 to 100 years"),
        ({"record_class": "documents", "trigger": "born", "years": 2}, "a trigger is one of"),
    ]
    for arguments, reason in bad:
        with pytest.raises(RetentionError, match=reason):
            retention.set_schedule(approved_by=staff["records_officer"], **arguments)
    assert not Schedule.objects.exists()


def test_only_records_officers_set_schedules(staff):
    for role in ("counsel", "clerk", "supervisor", "auditor", "admin"):
        with pytest.raises(PermissionDenied):
            retention.set_schedule(record_class="documents", fixed_date=DEADLINE, approved_by=staff[role])
    assert not Schedule.objects.exists()


def test_versions_increment_per_class_and_record_who_approved(staff):
    from tests.retention.dataset import second_officer

    first, second = staff["records_officer"], second_officer()
    made = [
        retention.set_schedule(record_class="documents", fixed_date=DEADLINE, approved_by=first),
        retention.set_schedule(record_class="photo", trigger="card_expired", years=1, approved_by=second),
        retention.set_schedule(record_class="documents", trigger="decided", years=0, approved_by=second),
        retention.set_schedule(record_class="documents", trigger="submitted", years=100, approved_by=first),
    ]
    assert [(s.record_class, s.version, s.approved_by.username) for s in made] == [
        ("documents", 1, first.username), ("photo", 1, second.username),
        ("documents", 2, second.username), ("documents", 3, first.username)]
    assert retention.current_rule("documents") == retention.Rule("submitted", 100, None)
    assert retention.current_rule("photo") == retention.Rule("card_expired", 1, None)
    events = AuditEntry.objects.filter(action="retention.schedule").order_by("index")
    assert [(e.target, e.purpose) for e in events] == [
        (f"schedule:{s.pk}", f"{s.record_class} v{s.version}") for s in made]



@pytest.mark.django_db(transaction=True)
def test_a_decision_cannot_move_a_record_off_a_hold_placed_meanwhile(staff, tmp_path, monkeypatch):
    """A decision that moves a record's due date re-wraps it; a hold's batch that re-wraps the same record
    from another connection meanwhile must not be undone by the decision (the record would go back under
    a cohort key, and be destroyed with that cohort despite the hold)."""
    import threading

    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("needs concurrent connections to one database: PostgreSQL run only")
    officer, supervisor, counsel = staff["records_officer"], staff["supervisor"], staff["counsel"]
    persons = people(1)
    persons[0].decision = "pending"
    import_people(persons, tmp_path / "import", supervisor)
    (pending,) = persons
    retention.set_schedule(record_class="application", trigger="decided", years=3, approved_by=officer)
    retention.apply_schedule(record_class="application")
    decision_day = date(2019, 8, 14)

    deciding, placed, errors = threading.Event(), threading.Event(), []
    real_held_ids, real_lock = retention._held_ids, retention._lock
    locks = []

    def held_ids_then_wait(keys):
        held = real_held_ids(keys)
        deciding.set()
        placed.wait(3)  # the hold's batch, if it can, re-wraps the record and commits now
        return held

    def decision() -> None:
        try:
            decide(application=pending.application(), approve=True, decided_by=supervisor, decided_on=decision_day)
        except BaseException as exc:  # reported by the test thread
            errors.append(exc)
        finally:
            connection.close()

    thread = threading.Thread(target=decision)

    def lock_after_the_decision_started() -> None:
        if threading.current_thread() is threading.main_thread():
            locks.append(1)
            if len(locks) == 2:  # the hold is placed and committed; its first batch starts here
                thread.start()
                assert deciding.wait(30)
        real_lock()

    monkeypatch.setattr(retention, "_held_ids", held_ids_then_wait)
    monkeypatch.setattr(retention, "_lock", lock_after_the_decision_started)
    try:
        hold = retention.place_hold(case_name="Meanwhile", court="Court", scope=f"subject:{pending.external_id}",
                                    placed_by=counsel)
    finally:
        placed.set()
        if thread.is_alive():
            thread.join(60)
    assert not errors, errors
    key = key_of(pending, "application")
    assert HeldRecord.objects.filter(hold=hold, record_key=key).exists()
    assert key.key_id == hold.key_id  # still under the hold's key, not under its new cohort's
    assert key.due_on == expected_due(decision_day, 3)  # with the decision's date
    assert_readable(pending)
