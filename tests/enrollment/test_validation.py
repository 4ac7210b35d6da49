"""``enroll`` refuses malformed or ineligible input, naming the field, and stores nothing."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from django.conf import settings

from cityid.audit.models import AuditEntry
from cityid.enrollment.inputs import DocumentInput, EnrollmentInvalid
from cityid.enrollment.models import Applicant, Application, PresentedDocument
from cityid.enrollment.services import document_number_index_value, enroll
from cityid.vault.models import BlindIndex, Blob, RecordKey
from cityid.vault.selectors import record_keys_matching
from tests.conftest import jpeg_bytes, make_input

TODAY = date(2026, 11, 20)
BILL = DocumentInput(type="utility_bill", number="B-1", issuer="Con Edison")


def passport(scan: bytes | None) -> DocumentInput:
    return DocumentInput(type="foreign_passport", number="P-1", issuer="Mexico", expires=date(2030, 1, 1), scan=scan)


def oversize_scan() -> bytes:
    size = settings.CITYID_MAX_SCAN_BYTES + 1
    return b"\xff\xd8\xff\xe0" + bytes(size - 4)


CASES = {
    "future birth date": (lambda: {"date_of_birth": date(2027, 1, 1)}, "date_of_birth"),
    "birth date before 1900": (lambda: {"date_of_birth": date(1899, 12, 31)}, "date_of_birth"),
    "unknown document code": (
        lambda: {"documents": [DocumentInput(type="moon_passport", number="M-1"), BILL]}, "documents[0].type"),
    "scan over the size limit": (lambda: {"documents": [passport(oversize_scan()), BILL]}, "documents[0].scan"),
    "executable scan": (
        lambda: {"documents": [passport(b"MZ\x90\x00\x03\x00\x00\x00" + bytes(200)), BILL]}, "documents[0].scan"),
    "html scan": (lambda: {"documents": [passport(b"<html><script>x</script>"), BILL]}, "documents[0].scan"),
    "photo not an image": (lambda: {"photo": b"just some text, not a photo\n"}, "photo"),
    "photo with a JPEG header but no image": (lambda: {"photo": b"\xff\xd8\xff\xe0" + b"garbage" * 50}, "photo"),
    "PDF as photo": (lambda: {"photo": b"%PDF-1.7\n" + bytes(100)}, "photo"),
    "care-of address without organisation": (
        lambda: {"address": {"kind": "care_of", "care_of": "  ", "line1": "1 Main St", "city": "Bronx",
                             "postcode": "10451", "borough": "bronx"}},
        "address.care_of",
    ),
    "residential address without street": (
        lambda: {"address": {"kind": "residential", "line1": "", "city": "Bronx", "postcode": "10451",
                             "borough": "bronx"}},
        "address.line1",
    ),
    "missing address kind": (lambda: {"address": {"line1": "1 Main St", "city": "Bronx"}}, "address.kind"),
    "unknown borough": (
        lambda: {"address": {"kind": "none", "borough": "atlantis"}}, "address.borough"),
    "age 9": (lambda: {"date_of_birth": date(2017, 6, 1), "with_caretaker": True,
                       "caretaker": {"name": "A Parent"}, "emergency_contact": {"name": "A Parent"}},
              "date_of_birth"),
    "no documents": (lambda: {"documents": []}, "documents"),
    "blank given name": (lambda: {"given_name": "   "}, "given_name"),
    "unknown gender": (lambda: {"gender": "Q"}, "gender"),
    "unknown language": (lambda: {"languages": ["klingon"]}, "languages"),
    "ineligible: only a utility bill": (lambda: {"documents": [BILL]}, "documents"),
    "expired passport": (
        lambda: {"documents": [DocumentInput(type="foreign_passport", number="P-1", expires=date(2020, 1, 1)),
                               BILL]},
        "documents[0].expires",
    ),
}


def stored_counts() -> dict[str, int]:
    blob_root = Path(settings.BLOB_DIR)
    return {
        "applicant": Applicant.objects.count(),
        "application": Application.objects.count(),
        "document": PresentedDocument.objects.count(),
        "record_key": RecordKey.objects.count(),
        "blob": Blob.objects.count(),
        "blind_index": BlindIndex.objects.count(),
        "blob_files": sum(1 for p in blob_root.rglob("*") if p.is_file()) if blob_root.exists() else 0,
        "submitted": AuditEntry.objects.filter(action="enrollment.submit").count(),
    }


@pytest.mark.parametrize("case", sorted(CASES))
def test_enroll_rejects(staff, case):
    overrides, field = CASES[case]
    before = stored_counts()
    with pytest.raises(EnrollmentInvalid) as caught:
        enroll(data=make_input(**overrides()), enrolled_by=staff["clerk"], today=TODAY)
    assert field in caught.value.errors, caught.value.errors
    assert all(caught.value.errors[field]), "every error has a message"
    assert field in str(caught.value)
    assert stored_counts() == before == {k: 0 for k in before}


def test_scan_size_message_names_the_limit(staff):
    with pytest.raises(EnrollmentInvalid) as caught:
        enroll(data=make_input(documents=[passport(oversize_scan()), BILL]), enrolled_by=staff["clerk"],
               today=TODAY)
    assert "10 MB" in " ".join(caught.value.errors["documents[0].scan"])


def padded_jpeg(total: int) -> bytes:
    """A real JPEG of exactly ``total`` bytes: a small picture behind APP15 segments of filler."""
    base = jpeg_bytes()
    segments, missing = [], total - len(base)
    while missing:
        size = min(missing, 65537)
        if 0 < missing - size < 4:
            size -= 4
        segments.append(b"\xff\xef" + (size - 2).to_bytes(2, "big") + bytes(size - 4))
        missing -= size
    return base[:2] + b"".join(segments) + base[2:]


def test_scan_at_the_size_limit_is_accepted(staff):
    scan = padded_jpeg(settings.CITYID_MAX_SCAN_BYTES)
    assert len(scan) == settings.CITYID_MAX_SCAN_BYTES
    application = enroll(data=make_input(documents=[passport(scan), BILL]), enrolled_by=staff["clerk"],
                         today=TODAY)
    # Accepted, and stored as its picture alone: the filler segments are gone.
    assert 0 < application.documents.get(position=0).scan.size < 10_000


def test_every_bad_field_reported_at_once(staff):
    with pytest.raises(EnrollmentInvalid) as caught:
        enroll(
            data=make_input(date_of_birth=date(2030, 1, 1), photo=b"nope", gender="Q",
                            documents=[DocumentInput(type="moon", number="")]),
            enrolled_by=staff["clerk"], today=TODAY,
        )
    assert {"date_of_birth", "photo", "gender", "documents[0].type", "documents[0].number"} <= set(
        caught.value.errors)


def test_ten_year_old_with_caretaker_is_accepted(staff):
    application = enroll(
        data=make_input(date_of_birth=date(2016, 6, 1), with_caretaker=True, caretaker={"name": "A Parent"},
                        emergency_contact={"name": "A Parent", "phone": "718-555-0100"}),
        enrolled_by=staff["clerk"], today=TODAY,
    )
    assert application.eligible


def test_copy_policy_none_keeps_no_scans_but_indexes_numbers(staff, settings):
    settings.CITYID_DOCUMENT_COPIES = "none"
    scans = [jpeg_bytes(color=(1, 1, 1)), jpeg_bytes(color=(2, 2, 2))]
    data = make_input(documents=[
        passport(scans[0]),
        DocumentInput(type="utility_bill", number="B-1", issuer="Con Edison", scan=scans[1]),
    ])
    application = enroll(data=data, enrolled_by=staff["clerk"], today=TODAY)

    assert application.document_copies == "none"
    documents = list(application.documents.order_by("position"))
    assert [d.type for d in documents] == ["foreign_passport", "utility_bill"]
    assert all(d.scan_id is None for d in documents)
    assert all(d.sealed_details for d in documents)
    # The only blob is the photo: nothing that could reproduce a document.
    (blob,) = Blob.objects.all()
    assert blob.record_key.record_class == "photo"
    assert not Blob.objects.filter(record_key=application.documents_record).exists()
    blob_files = [p for p in Path(settings.BLOB_DIR).rglob("*") if p.is_file()]
    assert len(blob_files) == 1

    # One keyed hash of each document number, under the documents record's cohort key.
    indexes = BlindIndex.objects.filter(kind="docnum")
    assert indexes.count() == 2
    assert {i.record_key_id for i in indexes} == {application.documents_record_id}
    for doc in data.documents:
        matches = record_keys_matching(record_class="documents", kind="docnum",
                                       value=document_number_index_value(doc.type, doc.number))
        assert list(matches) == [application.documents_record]
        assert doc.number.encode() not in b"".join(bytes(i.digest) for i in indexes)


def test_copy_policy_keep_stores_scans(staff):
    assert settings.CITYID_DOCUMENT_COPIES == "keep"
    application = enroll(data=make_input(), enrolled_by=staff["clerk"], today=TODAY)
    assert application.document_copies == "keep"
    scanned = application.documents.get(position=0)
    assert scanned.scan is not None and scanned.scan.record_key_id == application.documents_record_id
    assert application.documents.get(position=1).scan is None  # presented without a scan
    assert BlindIndex.objects.filter(kind="docnum").count() == 2


def test_unknown_copy_policy_is_an_error(staff, settings):
    settings.CITYID_DOCUMENT_COPIES = "sometimes"
    with pytest.raises(ValueError, match="CITYID_DOCUMENT_COPIES"):
        enroll(data=make_input(), enrolled_by=staff["clerk"], today=TODAY)
    assert Applicant.objects.count() == 0
