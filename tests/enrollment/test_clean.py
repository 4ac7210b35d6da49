"""``cityid enrollment clean``: what was stored before input was cleaned on entry — photos with EXIF GPS,
PNG scans with text chunks, names with zero-width and bidi characters indexed as typed — is put into its
clean form, batch by batch, resumably, idempotently and audited."""

from __future__ import annotations

import io
import unicodedata
from datetime import date
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command

from cityid.audit.models import AuditEntry
from cityid.enrollment.models import Applicant, CleanupProgress, PresentedDocument
from cityid.enrollment.selectors import search_applicants
from cityid.enrollment.services import enroll
from cityid.vault import services as vault
from cityid.vault.models import BlindIndex, Blob
from tests.conftest import make_input
from tests.enrollment import hostile
from tests.enrollment.test_uploads import assert_no_metadata

TODAY = date(2026, 11, 20)
BORN = date(1990, 4, 12)


def _old_index_value(*parts: str) -> bytes:
    """The blind-index value as the code before this change computed it (no removal of invisible characters)."""
    out = []
    for part in parts:
        text = unicodedata.normalize("NFKD", str(part)).casefold()
        text = "".join(ch for ch in text if not unicodedata.combining(ch))
        out.append(" ".join(text.replace("-", " ").split()))
    return "\x1f".join(out).encode()


def _replace_blob(record_key, old: Blob, data: bytes, content_type: str) -> Blob:
    (blob,) = vault.store_blobs([(vault.open_record(record_key), data, content_type)])
    blob.save()
    return blob


def plant_old_photo(applicant: Applicant, data: bytes) -> None:
    old = applicant.photo
    applicant.photo = _replace_blob(applicant.photo_record, old, data, "image/jpeg")
    applicant.save(update_fields=["photo"])
    vault.delete_blob_file(old)
    old.delete()


def plant_old_scan(document: PresentedDocument, data: bytes, content_type: str) -> None:
    old = document.scan
    document.scan = _replace_blob(document.application.documents_record, old, data, content_type)
    document.save(update_fields=["scan"])
    vault.delete_blob_file(old)
    old.delete()


def plant_old_name(applicant: Applicant, given: str, family: str) -> None:
    """Seal and index a name as typed, as the code before this change did."""
    record = vault.open_record(applicant.personal_record)
    profile = record.open_json("profile", applicant.sealed_profile)
    profile.update(given_name=given, family_name=family)
    profile["address"]["line1"] = "\u202e1\u200b Main St"
    applicant.sealed_profile = record.seal_json("profile", profile)
    applicant.save(update_fields=["sealed_profile"])
    BlindIndex.objects.filter(record_key=applicant.personal_record, kind="name_dob").delete()
    vault.blind_index(record=record, kind="name_dob",
                      value=_old_index_value(given, family, BORN.isoformat())).save()


@pytest.fixture
def stored_before(staff):
    """Four applicants as the code before this change left them."""
    clerk = staff["clerk"]
    applicants = [enroll(data=make_input(external_id=f"OLD-{n}"), enrolled_by=clerk, today=TODAY).applicant
                  for n in range(4)]
    for n, applicant in enumerate(applicants):
        plant_old_photo(applicant, hostile.jpeg_with_exif(orientation=6 if n == 0 else None))
        document = PresentedDocument.objects.select_related("application").get(
            application__applicant=applicant, position=0)
        if n == 3:
            plant_old_scan(document, hostile.html_behind_jpeg_magic(), "image/jpeg")
        elif n == 2:
            plant_old_scan(document, hostile.pdf(), "application/pdf")
        else:
            plant_old_scan(document, hostile.png_with_text(), "image/png")
    plant_old_name(applicants[0], "Ma\u200bria", "\u202eGarcia")
    plant_old_name(applicants[1], "Ｍａｒｉａ", "Gar\u2066cia\u2069")
    return applicants


def clean(*args: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("enrollment", "clean", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def photo_bytes(applicant: Applicant) -> bytes:
    applicant.refresh_from_db()
    return vault.read_blob(record=vault.open_record(applicant.photo_record), blob=applicant.photo)


def scan_bytes(applicant: Applicant) -> bytes:
    document = PresentedDocument.objects.select_related("application", "scan").get(
        application__applicant=applicant, position=0)
    return vault.read_blob(record=vault.open_record(document.application.documents_record), blob=document.scan)


def blob_files() -> set[str]:
    root = Path(settings.BLOB_DIR)
    return {p.name for p in root.rglob("*") if p.is_file()}


def search_maria(staff) -> list[Applicant]:
    return search_applicants(actor=staff["clerk"], given_name="Maria", family_name="Garcia", date_of_birth=BORN)


def test_the_planted_data_is_what_the_attack_found(staff, stored_before):
    with pytest.raises(AssertionError):
        assert_no_metadata(photo_bytes(stored_before[0]))
    assert search_maria(staff) == []  # indexed as typed: the plain spelling finds neither


def test_clean_puts_everything_stored_into_its_clean_form(staff, stored_before):
    out, err = clean()
    assert "names: checked 4, cleaned 2, not cleaned 0 (done)" in out
    assert "photos: checked 4, cleaned 4, not cleaned 0 (done)" in out
    assert "scans: checked 4, cleaned 3, not cleaned 1 (done)" in out
    assert "done; 1 stored file(s) could not be cleaned" in out
    # The one stored file that is no image at all is named by pseudonymous id, never by content.
    application = stored_before[3].applications.get()
    assert err.splitlines() == [f"scans: not cleaned, {application.ref} document 0: unreadable"]

    for applicant in stored_before:
        assert_no_metadata(photo_bytes(applicant))
    from PIL import Image

    assert Image.open(io.BytesIO(photo_bytes(stored_before[0]))).size == (48, 64)  # turned upright
    for applicant in stored_before[:2]:
        assert_no_metadata(scan_bytes(applicant))
    pdf = scan_bytes(stored_before[2])  # a plain PDF is checked and written anew without its metadata
    assert pdf.startswith(b"%PDF-") and hostile.CANARY.encode() not in pdf

    # Names re-sealed in the normal form and re-indexed: one search finds both spellings.
    assert search_maria(staff) == stored_before[:2]
    for applicant in stored_before[:2]:
        applicant.refresh_from_db()
        profile = vault.open_record(applicant.personal_record).open_json("profile", applicant.sealed_profile)
        assert (profile["given_name"], profile["family_name"], profile["address"]["line1"]) == (
            "Maria", "Garcia", "1 Main St")

    # Every blob row has its file and no file is left without a row (the old ones are gone).
    assert blob_files() == {blob.uuid.hex for blob in Blob.objects.all()}
    # Each decryption is in the audit log, by pseudonymous id, in bulk.
    decrypts = AuditEntry.objects.filter(action="personal.decrypt", purpose="maintenance:clean")
    targets = list(decrypts.values_list("target", flat=True))
    assert sorted(targets) == sorted(
        [a.ref for a in stored_before] * 2 + [a.applications.get().ref for a in stored_before])
    assert not any("Maria" in bytes(entry.entry).decode() for entry in decrypts)


def test_clean_is_resumable_and_idempotent(staff, stored_before):
    out, _ = clean("--only", "photos", "--batch", "1", "--limit", "2")
    assert "photos: checked 2, cleaned 2, not cleaned 0 (stopped, run again to go on)" in out
    clean_now = []
    for applicant in stored_before:
        try:
            assert_no_metadata(photo_bytes(applicant))
            clean_now.append(applicant)
        except AssertionError:
            pass
    assert clean_now == stored_before[:2]

    out, _ = clean()
    assert "photos: checked 2, cleaned 2, not cleaned 0 (done)" in out  # went on where it stopped
    for applicant in stored_before:
        assert_no_metadata(photo_bytes(applicant))
    blobs = set(Blob.objects.values_list("uuid", flat=True))

    out, err = clean()  # run again: nothing is done twice
    assert "names: checked 0, cleaned 0" in out and "photos: checked 0, cleaned 0" in out
    assert "scans: checked 0, cleaned 0" in out and err == ""
    assert set(Blob.objects.values_list("uuid", flat=True)) == blobs
    assert CleanupProgress.objects.filter(finished_at=None).count() == 0


def test_a_run_interrupted_inside_a_batch_leaves_nothing_half_done(staff, stored_before, monkeypatch):
    from cityid.enrollment import services

    real = services.record_events
    calls = []

    def interrupted(events):
        calls.append(len(events))
        if len(calls) == 2:  # the second batch: its files are written, its rows not yet committed
            raise KeyboardInterrupt
        return real(events)

    monkeypatch.setattr(services, "record_events", interrupted)
    with pytest.raises(KeyboardInterrupt):
        clean("--only", "photos", "--batch", "2")
    monkeypatch.undo()
    assert blob_files() == {blob.uuid.hex for blob in Blob.objects.all()}  # no file of the lost batch left
    assert CleanupProgress.objects.get(task="photos-v1").changed == 2
    out, _ = clean("--only", "photos")
    assert "photos: checked 2, cleaned 2, not cleaned 0 (done)" in out
    for applicant in stored_before:
        assert_no_metadata(photo_bytes(applicant))


def test_new_enrollments_are_not_cleaned_again(staff, stored_before):
    clean()
    later = enroll(data=make_input(external_id="NEW-1", photo=hostile.jpeg_with_exif()),
                   enrolled_by=staff["clerk"], today=TODAY).applicant
    before = later.photo.uuid
    out, _ = clean()
    assert "photos: checked 0" in out
    later.refresh_from_db()
    assert later.photo.uuid == before
    assert_no_metadata(photo_bytes(later))  # cleaned on entry


@pytest.mark.parametrize("role", ["supervisor", "records_officer", "admin", "clerk"])
def test_only_the_host_operator_may_clean(staff, stored_before, role):
    with pytest.raises(CommandError, match="permission denied"):
        clean("--actor", f"{role}1")
    assert not CleanupProgress.objects.exists()
    assert not AuditEntry.objects.filter(purpose="maintenance:clean").exists()
