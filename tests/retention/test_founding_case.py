"""The founding case (issue 3), end to end, with each key provider.

Applicants with document scans submitted during 2015-2016 are imported under the ``keep`` policy;
the program decides that documents are destroyed on 2016-12-31; a court freezes that destruction;
after the hold is lifted a disposition run destroys every document (and nothing else), certified;
and a backup of the data taken before the run stays unreadable, while a backup of the keys would
not -- which is why key backups must be shorter-lived than any schedule."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from django.conf import settings

from cityid.cards.models import Card
from cityid.enrollment.exports import export_subject
from cityid.enrollment.models import Application, PresentedDocument
from cityid.enrollment.records import document_number_index_value
from cityid.enrollment.selectors import read_photo, read_scan
from cityid.enrollment.services import open_closed_case
from cityid.retention import services as retention
from cityid.retention.models import DestroyedCohort, DispositionRun, HeldRecord
from cityid.vault import envelope
from cityid.vault import services as vault
from cityid.vault.models import BlindIndex, Blob, RecordKey
from cityid.vault.providers import KeyUnavailable, LocalKeyring
from tests.conftest import with_number
from tests.retention.dataset import AS_OF, DEADLINE, Person, import_people, people, second_officer

pytestmark = pytest.mark.django_db

COHORT_KEY = "cohort:documents/2016-12"


@pytest.fixture
def founding(staff, key_provider, tmp_path):
    """20 applicants imported with scans, documents scheduled for 2016-12-31 and moved there."""
    persons = people(20)
    assert persons[0].submitted.year == 2015 and persons[-1].submitted.year == 2016
    import_people(persons, tmp_path / "import", staff["supervisor"])
    assert Application.objects.filter(document_copies="keep").count() == 20
    officers = [staff["records_officer"], second_officer()]
    schedule = retention.set_schedule(record_class="documents", fixed_date=DEADLINE, approved_by=officers[0])
    assert schedule.version == 1
    assert retention.apply_schedule(record_class="documents") == 20
    assert set(RecordKey.objects.filter(record_class="documents").values_list("key_id", flat=True)) == {COHORT_KEY}
    return persons, officers


def scans_of(person: Person) -> list[bytes] | None:
    """The person's decrypted scans, or None once their documents record is gone."""
    application = Application.objects.get(applicant__external_id=person.external_id)
    if application.documents_record is None:
        return None
    try:
        record = vault.open_record(application.documents_record)
    except vault.RecordDestroyed:
        return None
    return [vault.read_blob(record=record, blob=doc.scan) for doc in application.documents.order_by("position")]


def assert_documents_readable(person: Person) -> None:
    assert scans_of(person) == [person.passport_scan, person.bill_scan]
    view = person.read()
    (_application, _details, docs), = view.applications
    assert [d.details["number"] for d in docs] == [person.passport_number, person.bill_number]
    assert view.destroyed == []


def assert_documents_destroyed(person: Person) -> None:
    application = Application.objects.get(applicant__external_id=person.external_id)
    assert application.documents_record is None
    assert scans_of(person) is None
    assert not application.documents.exclude(sealed_details=None).exists()
    assert not application.documents.exclude(scan=None).exists()


def assert_rest_readable(person: Person) -> None:
    """Application data, photo and card survive a documents disposition."""
    applicant = person.applicant()
    view = person.read()
    assert view.profile["given_name"] == person.given_name
    assert view.profile["family_name"] == person.family_name
    (application, details, _docs), = view.applications
    assert details is not None
    assert vault.read_blob(record=vault.open_record(applicant.photo_record), blob=applicant.photo) == person.photo
    card = Card.objects.get(application=application)
    assert card.expires_on > card.issued_on


def snapshot_documents() -> list[dict]:
    """What a database backup holds of the documents records: wrapped keys, sealed values, digests."""
    out = []
    for key in RecordKey.objects.filter(record_class="documents").order_by("pk"):
        out.append({
            "uuid": key.uuid, "key_id": key.key_id, "wrapped": bytes(key.wrapped_key),
            "blobs": list(key.blobs.values_list("uuid", flat=True)),
            "sealed": [(d.position, bytes(d.sealed_details))
                       for d in PresentedDocument.objects.filter(application__documents_record=key)],
            "digests": {bytes(d) for d in key.blind_indexes.values_list("digest", flat=True)},
        })
    return out


def test_founding_case(founding, staff, key_provider, tmp_path):
    persons, officers = founding
    counsel = staff["counsel"]

    # The court's restraining order: counsel holds every document.
    hold = retention.place_hold(case_name="Doe v. City of New York", court="N.Y. Sup. Ct., Richmond County",
                                index_number="080910/2016", scope="class:documents", placed_by=counsel)
    assert set(RecordKey.objects.filter(record_class="documents").values_list("key_id", flat=True)) == {hold.key_id}
    assert HeldRecord.objects.filter(hold=hold).count() == 20

    # A run as of 2017-01-02 destroys nothing and says everything is held.
    assert retention.run_disposition(as_of=AS_OF, approvers=officers) is None
    assert not DispositionRun.objects.exists()
    report = retention.preview(AS_OF)
    assert report["destroy_total"] == 0 and report["cohorts"] == []
    assert report["held_total"] == 20 == RecordKey.objects.filter(record_class="documents").count()
    assert report["held_by_class"] == {"documents": 20}
    assert report["holds"] == [{"hold": hold.pk, "court": hold.court, "records": 20,
                                "classes": {"documents": 20}}]
    for person in persons:
        assert_documents_readable(person)

    # The hold is released: every document goes back to its cohort and is due.
    retention.release_hold(hold_id=hold.pk, released_by=counsel)
    assert set(RecordKey.objects.filter(record_class="documents").values_list("key_id", flat=True)) == {COHORT_KEY}
    assert not key_provider.has_key(hold.key_id)
    report = retention.preview(AS_OF)
    assert report["destroy_total"] == 20 and report["held_total"] == 0
    assert report["cohorts"] == [{"cohort": "documents/2016-12", "class": "documents", "key_id": COHORT_KEY,
                                  "records": 20}]

    # Backups taken just before the run: the data (database rows and blob files) and, apart, the keys.
    backup = tmp_path / "backup"
    data_copy = snapshot_documents()
    shutil.copytree(settings.DATA_DIR, backup / "data")
    expected_ids = sorted(str(row["uuid"]) for row in data_copy)
    if key_provider.name == "local":
        (backup / "keys").mkdir()
        shutil.copy2(Path(settings.KEYS_DIR) / "keyring.json", backup / "keys" / "keyring.json")
    # (PKCS#11: the cohort key is non-extractable, so there is no key backup to take: that half of
    # the backup test is for the local keyring only.)

    certificate = retention.run_disposition(as_of=AS_OF, approvers=officers)
    assert certificate is not None

    # Every document is destroyed; application data, photos and cards stay readable.
    assert not RecordKey.objects.filter(record_class="documents").exists()
    assert not key_provider.has_key(COHORT_KEY)
    assert Blob.objects.count() == 20  # the photos
    assert not BlindIndex.objects.filter(kind="docnum").exists()
    assert BlindIndex.objects.filter(kind="name_dob").count() == 20
    assert PresentedDocument.objects.count() == 40  # types and points stay, for statistics
    for person in persons:
        assert_documents_destroyed(person)
        assert_rest_readable(person)
    application = persons[0].application()
    # A decided case: read by a supervisor with a recorded reason.
    reason = open_closed_case(application=application, actor=staff["supervisor"], reason="subject_access").ref
    assert read_scan(application=application, position=0, actor=staff["supervisor"], purpose=reason) is None
    assert read_photo(applicant=persons[0].applicant(), actor=staff["supervisor"],
                      purpose=reason)[0] == persons[0].photo

    # The certificate verifies, says what was destroyed, and holds no personal data.
    body = retention.verify_certificate(certificate.document)
    assert body["classes"] == ["documents"]
    assert body["records"] == 20
    assert body["keys_destroyed"] == [COHORT_KEY]
    assert body["record_ids_root"] == retention.certificates.record_ids_root(expected_ids)
    assert [(c["cohort"], c["records"]) for c in body["cohorts"]] == [("documents/2016-12", 20)]
    assert body["approvers"] == [officers[0].username, officers[1].username]
    assert body["key_provider"] == key_provider.name
    assert body["as_of"] == "2017-01-02"
    for person in persons:
        for canary in person.canaries + [person.external_id, str(person.applicant().public_id),
                                         str(persons[0].application().public_id)]:
            assert canary not in certificate.document
    for row in data_copy:
        assert str(row["uuid"]) not in certificate.document

    # The backup of the data, restored after the run, yields no document plaintext with the current keys.
    for row in data_copy:
        with pytest.raises(KeyUnavailable):
            key_provider.unwrap(row["key_id"], row["wrapped"])
        with pytest.raises(KeyUnavailable):
            key_provider.keyed_hash(row["key_id"], b"docnum\x00x")
        for other in key_provider.key_ids():  # no key that still exists opens it either
            with pytest.raises(KeyUnavailable):
                key_provider.unwrap(other, row["wrapped"])
        for blob_uuid in row["blobs"]:
            sealed = (backup / "data" / "blobs" / blob_uuid.hex[:2] / blob_uuid.hex).read_bytes()
            assert b"SCANCANARY" not in sealed
    for person in persons:
        for path in (backup / "data").rglob("*"):
            if path.is_file():
                assert person.passport_number.encode() not in path.read_bytes()

    # ... while a key backup taken before the run still opens it: key backups must not outlive a schedule.
    if key_provider.name == "local":
        old_keys = LocalKeyring(backup / "keys")
        by_passport = {p.passport_number: p for p in persons}
        for row in data_copy:
            data_key = old_keys.unwrap(row["key_id"], row["wrapped"])
            numbers = [envelope.open_json(data_key, sealed, f"{row['uuid']}:document:{position}".encode())["number"]
                       for position, sealed in sorted(row["sealed"])]
            person = by_passport[numbers[0]]
            assert numbers == [person.passport_number, person.bill_number]
            opened = sorted(
                envelope.open_sealed(data_key, (backup / "data" / "blobs" / u.hex[:2] / u.hex).read_bytes(),
                                     f"{row['uuid']}:blob:{u}".encode())
                for u in row["blobs"]
            )
            assert opened == sorted([person.passport_scan, person.bill_scan])
            guess = b"docnum\x00" + document_number_index_value("foreign_passport", person.passport_number)
            assert old_keys.keyed_hash(row["key_id"], guess) in row["digests"]

    # Subject access after destruction: the destroyed class with its date and certificate, the rest exported.
    person = persons[3]
    target = export_subject(identifier=person.external_id, out_dir=tmp_path / "export", actor=officers[0])
    subject = json.loads((target / "subject.json").read_text())
    destroyed_at = DestroyedCohort.objects.get(run=certificate.run).destroyed_at.date().isoformat()
    assert subject["destroyed"] == [{"class": "documents", "cohort": "documents/2016-12", "destroyed": destroyed_at,
                                     "run": certificate.run_id, "certificate": f"run-{certificate.run_id}"}]
    assert subject["applicant"]["profile"]["given_name"] == person.given_name
    assert subject["files"] == ["photo.jpg"]
    assert (target / "photo.jpg").read_bytes() == person.photo
    (exported,) = subject["applications"]
    assert exported["card"]["number"] == with_number(person.application().card).number
    assert [d["type"] for d in exported["documents"]] == ["foreign_passport", "utility_bill"]
    assert all("number" not in d and "scan_file" not in d for d in exported["documents"])
    assert person.passport_number not in (target / "subject.json").read_text()


def test_date_range_hold_protects_exactly_that_range(founding, staff, key_provider):
    persons, officers = founding
    counsel = staff["counsel"]
    hold = retention.place_hold(case_name="Roe v. City", court="S.D.N.Y.", scope="submitted:2016-01-01..2016-06-30",
                                placed_by=counsel)
    inside = [p for p in persons if "2016-01-01" <= p.submitted.isoformat() <= "2016-06-30"]
    outside = [p for p in persons if p not in inside]
    assert [p.submitted.isoformat() for p in inside] == ["2016-01-01", "2016-01-18", "2016-06-02", "2016-06-30"]

    report = retention.preview(AS_OF)
    assert report["held_total"] == len(inside)  # their application and photo records are not due yet
    assert report["destroy_total"] == len(outside)

    certificate = retention.run_disposition(as_of=AS_OF, approvers=officers)
    body = retention.verify_certificate(certificate.document)
    assert body["records"] == len(outside)
    for person in inside:
        assert_documents_readable(person)
        assert_rest_readable(person)
    for person in outside:
        assert_documents_destroyed(person)
        assert_rest_readable(person)
    destroyed_ids = set(DestroyedCohort.objects.get(run=certificate.run).record_ids)
    assert destroyed_ids.isdisjoint(str(k.uuid) for k in RecordKey.objects.filter(record_class="documents"))

    # Released, the held documents go back to their cohort (its key made again) and are due at once.
    retention.release_hold(hold_id=hold.pk, released_by=counsel)
    assert set(RecordKey.objects.filter(record_class="documents").values_list("key_id", flat=True)) == {COHORT_KEY}
    for person in inside:
        assert_documents_readable(person)
    assert retention.preview(AS_OF)["destroy_total"] == len(inside)
    second = retention.run_disposition(as_of=AS_OF, approvers=officers)
    assert second.run_id != certificate.run_id
    assert retention.verify_certificate(second.document)["records"] == len(inside)
    for person in persons:
        assert_documents_destroyed(person)
        assert_rest_readable(person)
