"""Legal holds: re-wrapping under the hold's key, overlapping holds, release, search, and a hold
beating every schedule."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.utils import timezone

from cityid.accounts.policy import PermissionDenied
from cityid.audit.models import AuditEntry
from cityid.enrollment.records import document_number_index_value
from cityid.enrollment.selectors import search_applicants
from cityid.retention import services as retention
from cityid.retention.models import HeldRecord, LegalHold
from cityid.retention.services import RetentionError
from cityid.vault import services as vault
from cityid.vault.models import BlindIndex, RecordKey
from cityid.vault.selectors import record_keys_matching
from tests.retention.dataset import AS_OF, DEADLINE, import_people, people, second_officer

pytestmark = pytest.mark.django_db


@pytest.fixture
def population(staff, tmp_path):
    persons = people(5)
    import_people(persons, tmp_path / "import", staff["supervisor"])
    return persons


def keys_of(person) -> dict[str, RecordKey]:
    applicant = person.applicant()
    return {"application": applicant.personal_record, "photo": applicant.photo_record,
            "documents": applicant.applications.get().documents_record}


def key_ids(person) -> dict[str, str]:
    return {name: key.key_id for name, key in keys_of(person).items()}


def cohort_ids(person) -> dict[str, str]:
    return {name: f"cohort:{key.cohort}" for name, key in keys_of(person).items()}


def assert_readable(person) -> None:
    view = person.read()
    assert view.destroyed == []
    assert view.profile["given_name"] == person.given_name
    (_application, _details, docs), = view.applications
    assert docs[0].details["number"] == person.passport_number
    record = vault.open_record(keys_of(person)["documents"])
    assert vault.read_blob(record=record, blob=person.application().documents.get(position=0).scan) == \
        person.passport_scan


def place(scope: str, counsel, case: str = "Case"):
    return retention.place_hold(case_name=case, court="N.Y. Sup. Ct.", scope=scope, placed_by=counsel)


def test_a_record_held_twice_stays_held_until_both_holds_are_released(key_provider, population, staff):
    # (key_provider before population: the records must be made under the provider being tested)
    counsel = staff["counsel"]
    person, other = population[1], population[3]
    cohorts = cohort_ids(person)
    assert key_ids(person) == cohorts

    first = place(f"subject:{person.external_id}", counsel, "A")
    assert key_ids(person) == {name: first.key_id for name in cohorts}
    second = place("class:documents", counsel, "B")
    # The subject's documents are now held by both; its key stays with the first hold.
    assert key_ids(person) == {name: first.key_id for name in cohorts}
    assert key_ids(other)["documents"] == second.key_id
    assert HeldRecord.objects.filter(record_key=keys_of(person)["documents"]).count() == 2
    assert_readable(person)

    retention.release_hold(hold_id=first.pk, released_by=counsel)
    # hold:A -> hold:B for the documents, which B still covers; the rest back to their cohorts.
    assert key_ids(person) == {**cohorts, "documents": second.key_id}
    assert key_provider.has_key(second.key_id)
    assert not key_provider.has_key(first.key_id)  # no record is wrapped under it any more
    assert_readable(person)

    retention.release_hold(hold_id=second.pk, released_by=counsel)
    assert key_ids(person) == cohorts
    for everyone in population:
        assert key_ids(everyone) == cohort_ids(everyone)
        assert_readable(everyone)
    assert not HeldRecord.objects.exists()
    assert not RecordKey.objects.filter(key_id__startswith="hold:").exists()
    assert {e.action for e in AuditEntry.objects.filter(target__startswith="hold:")} == {"hold.place", "hold.release"}


def test_releasing_the_later_hold_first_keeps_the_first_holds_key(population, staff):
    counsel = staff["counsel"]
    person = population[0]
    first = place(f"subject:{person.external_id}", counsel, "A")
    second = place("class:documents", counsel, "B")
    retention.release_hold(hold_id=second.pk, released_by=counsel)
    assert key_ids(person) == {name: first.key_id for name in ("application", "photo", "documents")}
    for other in population[1:]:
        assert key_ids(other) == cohort_ids(other)
    retention.release_hold(hold_id=first.pk, released_by=counsel)
    assert key_ids(person) == cohort_ids(person)
    # Releasing again is harmless.
    again = retention.release_hold(hold_id=first.pk, released_by=counsel)
    assert again.released_at is not None and key_ids(person) == cohort_ids(person)


def test_release_returns_records_to_the_cohort_they_belong_to_now(population, staff):
    """A schedule changed while records are held gives them a new date but leaves them under the hold;
    released, they go to the new cohort."""
    counsel, officer = staff["counsel"], staff["records_officer"]
    hold = place("class:documents", counsel)
    retention.set_schedule(record_class="documents", fixed_date=DEADLINE, approved_by=officer)
    retention.apply_schedule(record_class="documents")
    for person in population:
        key = keys_of(person)["documents"]
        assert (key.key_id, key.cohort, key.due_on) == (hold.key_id, "documents/2016-12", DEADLINE)
    retention.release_hold(hold_id=hold.pk, released_by=counsel)
    for person in population:
        assert keys_of(person)["documents"].key_id == "cohort:documents/2016-12"
        assert_readable(person)


def test_only_counsel_places_and_releases_holds(population, staff):
    others = ["records_officer", "clerk", "supervisor", "admin", "auditor", "fraud_analyst", "foil_officer"]
    for role in others:
        with pytest.raises(PermissionDenied):
            place("class:documents", staff[role])
    assert not LegalHold.objects.exists()
    hold = place("class:documents", staff["counsel"])
    for role in others:
        with pytest.raises(PermissionDenied):
            retention.release_hold(hold_id=hold.pk, released_by=staff[role])
    hold.refresh_from_db()
    assert hold.active
    assert RecordKey.objects.filter(key_id=hold.key_id).count() == len(population)


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({"case_name": "  "}, "case name"),
        ({"court": ""}, "court"),
        ({"order_date": timezone.localdate() + timedelta(days=1)}, "future"),
    ],
)
def test_hold_bad_input_is_refused(population, staff, fields, reason):
    arguments = {"case_name": "Case", "court": "Court", "scope": "all", "placed_by": staff["counsel"], **fields}
    with pytest.raises(RetentionError, match=reason):
        retention.place_hold(**arguments)
    assert not LegalHold.objects.exists()


def test_releasing_an_unknown_hold_is_refused(staff):
    with pytest.raises(RetentionError, match="no hold 999"):
        retention.release_hold(hold_id=999, released_by=staff["counsel"])


def test_hold_records_its_details(population, staff):
    hold = retention.place_hold(case_name=" Doe v. City ", court="S.D.N.Y.", index_number="16-cv-0042",
                                order_date=date(2016, 12, 20), scope="class:documents",
                                notes="restraining order", placed_by=staff["counsel"])
    hold.refresh_from_db()
    assert (hold.case_name, hold.court, hold.index_number, hold.order_date, hold.scope, hold.notes) == (
        "Doe v. City", "S.D.N.Y.", "16-cv-0042", date(2016, 12, 20), "class:documents", "restraining order")
    assert hold.placed_by == staff["counsel"] and hold.active


def test_search_still_finds_a_held_applicant(population, staff):
    """Re-wrapping recomputes the blind indexes under the new key: searches keep working."""
    clerk, counsel = staff["clerk"], staff["counsel"]
    person = population[2]

    def search():
        return search_applicants(actor=clerk, given_name=person.given_name.upper(), family_name=person.family_name,
                                 date_of_birth=person.date_of_birth)

    def by_document():
        value = document_number_index_value("foreign_passport", person.passport_number)
        return list(record_keys_matching(record_class="documents", kind="docnum", value=value))

    def digests():
        return set(BlindIndex.objects.filter(record_key__in=keys_of(person).values()).values_list("digest", flat=True))

    before = digests()
    assert search() == [person.applicant()]
    assert by_document() == [keys_of(person)["documents"]]

    hold = place(f"subject:{person.external_id}", counsel)
    assert set(key_ids(person).values()) == {hold.key_id}
    assert digests().isdisjoint(before)  # recomputed under the hold's key
    assert search() == [person.applicant()]
    assert by_document() == [keys_of(person)["documents"]]

    retention.release_hold(hold_id=hold.pk, released_by=counsel)
    assert search() == [person.applicant()]
    assert by_document() == [keys_of(person)["documents"]]
    assert {bytes(d) for d in digests()} == {bytes(d) for d in before}  # back under the cohort keys


def test_a_hold_beats_the_schedule(population, staff):
    counsel, officers = staff["counsel"], [staff["records_officer"], second_officer()]
    retention.set_schedule(record_class="documents", fixed_date=DEADLINE, approved_by=officers[0])
    retention.apply_schedule(record_class="documents")
    held = population[1]
    hold = place(f"class:documents,subject:{held.external_id}", counsel)
    assert key_ids(held)["documents"] == hold.key_id
    assert key_ids(held)["application"].startswith("cohort:")  # the class term narrows the hold

    later = date(2017, 6, 1)  # the fixed date is long past
    report = retention.preview(later)
    assert report["held_total"] == 1 and report["destroy_total"] == len(population) - 1
    assert report["holds"] == [{"hold": hold.pk, "court": hold.court, "records": 1, "classes": {"documents": 1}}]

    certificate = retention.run_disposition(as_of=later, approvers=officers)
    assert retention.verify_certificate(certificate.document)["records"] == len(population) - 1
    assert_readable(held)
    for person in population:
        if person is not held:
            assert person.application().documents_record is None
    # Still held: a second run destroys nothing.
    assert retention.run_disposition(as_of=AS_OF, approvers=officers) is None
    assert_readable(held)
