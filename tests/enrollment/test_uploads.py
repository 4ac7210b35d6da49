"""Uploads that cannot hurt. Each attack below worked before: a 20000x20000 PNG photo was a 500
(DecompressionBombError), a 100-megapixel one was accepted, HTML behind JPEG magic bytes and a PDF whose
/OpenAction runs JavaScript were stored and served inline, and a photo's text chunk or EXIF GPS position
came back out of the subject-access export byte for byte."""

from __future__ import annotations

import io
import json
import re
from datetime import date
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from PIL import Image

from cityid.enrollment import uploads
from cityid.enrollment.inputs import DocumentInput, EnrollmentInvalid
from cityid.enrollment.models import Applicant, Application
from cityid.enrollment.services import enroll
from tests.audit.helpers import sign_in
from tests.conftest import jpeg_bytes, make_input
from tests.enrollment import hostile
from tests.enrollment.test_validation import stored_counts
from tests.enrollment.test_views import NEW_URL, _errors_by_document, _form

TODAY = date(2026, 11, 20)
BILL = DocumentInput(type="utility_bill", number="B-1", issuer="Con Edison")


def passport(scan: bytes) -> DocumentInput:
    return DocumentInput(type="foreign_passport", number="P-1", issuer="Mexico", expires=date(2030, 1, 1), scan=scan)


# --- what a clean file is, checked by parsing it -------------------------------------------------------

def jpeg_markers(data: bytes) -> list[int]:
    """The marker bytes of a JPEG's segments, up to the start of scan."""
    assert data[:2] == b"\xff\xd8"
    markers, at = [], 2
    while at < len(data):
        assert data[at] == 0xFF, "not at a marker"
        marker = data[at + 1]
        markers.append(marker)
        if marker == 0xDA:  # start of scan: entropy-coded data follows
            break
        length = int.from_bytes(data[at + 2 : at + 4], "big")
        at += 2 + length
    return markers


def png_chunks(data: bytes) -> list[bytes]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    chunks, at = [], 8
    while at < len(data):
        length = int.from_bytes(data[at : at + 4], "big")
        chunks.append(data[at + 4 : at + 8])
        at += 12 + length
    return chunks


def assert_no_metadata(data: bytes) -> None:
    assert hostile.CANARY.encode() not in data and b"CanaryCam" not in data
    image = Image.open(io.BytesIO(data))
    assert not image.getexif(), "EXIF survived"
    assert not {"exif", "icc_profile", "xmp", "XML:com.adobe.xmp", "comment", "Comment", "dpi"} & set(image.info)
    if data.startswith(b"\xff\xd8"):
        # SOI excepted: APP0 (JFIF), quantisation and Huffman tables, frame header, start of scan. No APP1
        # (EXIF, XMP), APP2 (ICC), APP13 (IPTC) or COM (comment).
        assert set(jpeg_markers(data)) <= {0xE0, 0xDB, 0xC4, 0xC0, 0xC2, 0xDD, 0xDA}, jpeg_markers(data)
    else:
        assert set(png_chunks(data)) <= {b"IHDR", b"PLTE", b"tRNS", b"IDAT", b"IEND"}, png_chunks(data)


def test_the_test_files_do_carry_metadata():
    """So that the checks of clean files below are tests: they find the metadata where it is."""
    with pytest.raises(AssertionError):
        assert_no_metadata(hostile.jpeg_with_exif())
    with pytest.raises(AssertionError):
        assert_no_metadata(hostile.png_with_text())
    gps = Image.open(io.BytesIO(hostile.jpeg_with_exif())).getexif().get_ifd(0x8825)
    assert gps[2] == (40.0, 44.0, 54.36)


# --- the sanitiser alone ------------------------------------------------------------------------------

def test_a_header_declaring_400_megapixels_is_refused_before_decoding():
    bomb = hostile.png_header_only(20000, 20000)
    assert len(bomb) < 200
    with pytest.raises(uploads.UploadRefused) as caught:
        uploads.clean_upload(bomb, kind=uploads.PHOTO, max_pixels=16_000_000)
    assert (caught.value.code, caught.value.params) == ("pixels", {"max_mp": 16, "kind": "photo"})
    assert str(caught.value) == "The photo is larger than 16 megapixels."


@pytest.mark.parametrize(("kind", "limit"), [(uploads.PHOTO, 16_000_000), (uploads.SCAN, 40_000_000)])
def test_100_megapixels_is_refused_for_photos_and_scans(kind, limit):
    # Under Pillow's own error threshold (it only warns): the explicit limit refuses it, and no warning escapes.
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(uploads.UploadRefused) as caught:
            uploads.clean_upload(hostile.png_header_only(10000, 10000), kind=kind, max_pixels=limit)
    assert caught.value.code == "pixels"


def test_an_image_just_over_the_limit_is_refused_and_one_at_it_accepted():
    with pytest.raises(uploads.UploadRefused):
        uploads.clean_upload(jpeg_bytes((100, 101)), kind=uploads.SCAN, max_pixels=100 * 100)
    assert uploads.clean_upload(jpeg_bytes((100, 100)), kind=uploads.SCAN, max_pixels=100 * 100).size == (100, 100)


@pytest.mark.parametrize("data", [
    hostile.html_behind_jpeg_magic(),
    b"\x89PNG\r\n\x1a\n<svg onload=alert(1)>",
    jpeg_bytes()[:200],  # truncated
    b"GIF89a" + bytes(50),
    b"%PDF-1.4 as a photo",
], ids=["html behind JPEG magic", "html behind PNG magic", "truncated JPEG", "GIF", "PDF as a photo"])
def test_what_is_not_a_whole_image_is_refused(data):
    with pytest.raises(uploads.UploadRefused):
        uploads.clean_upload(data, kind=uploads.PHOTO, max_pixels=16_000_000)


def test_exif_gps_serial_icc_xmp_and_comment_are_removed_and_orientation_applied():
    raw = hostile.jpeg_with_exif(size=(60, 20), orientation=6)  # "rotate 90° clockwise to display"
    cleaned = uploads.clean_upload(raw, kind=uploads.SCAN, max_pixels=40_000_000)
    assert cleaned.content_type == "image/jpeg"
    assert_no_metadata(cleaned.data)
    assert Image.open(io.BytesIO(cleaned.data)).size == (20, 60)  # upright, as it was meant to be seen


def test_png_text_chunks_are_removed_and_a_png_scan_stays_png():
    cleaned = uploads.clean_upload(hostile.png_with_text(), kind=uploads.SCAN, max_pixels=40_000_000)
    assert cleaned.content_type == "image/png"
    assert_no_metadata(cleaned.data)
    assert Image.open(io.BytesIO(cleaned.data)).getpixel((3, 3)) == (90, 120, 150)  # lossless


def test_a_photo_is_a_jpeg_no_larger_than_the_photo_side():
    big = io.BytesIO()
    Image.new("RGBA", (3000, 1500), (10, 200, 30, 128)).save(big, "PNG")
    cleaned = uploads.clean_upload(big.getvalue(), kind=uploads.PHOTO, max_pixels=16_000_000, max_side=1600)
    image = Image.open(io.BytesIO(cleaned.data))
    assert (cleaned.content_type, image.format, image.mode, image.size) == ("image/jpeg", "JPEG", "RGB", (1600, 800))


def test_pdf_with_open_action_javascript_is_refused():
    for attack in (hostile.pdf_open_action_javascript(), hostile.pdf_hidden_javascript()):
        with pytest.raises(uploads.UploadRefused) as caught:
            uploads.clean_upload(attack, kind=uploads.SCAN, max_pixels=40_000_000)
        assert caught.value.code == "pdf_active"


@pytest.mark.parametrize("extra", [
    b"<< /Type /Action /S /Launch /F (cmd.exe) >>",
    b"<< /Type /Filespec /EF << /F 7 0 R >> /EmbeddedFile 7 0 R >>",
    b"<< /Type /Action /S /URI /URI (http://x) /AA << /O 6 0 R >> >>",
    b"<< /XFA [(template) 4 0 R] >>",
], ids=["launch", "embedded file", "additional actions", "XFA"])
def test_pdf_with_other_active_content_is_refused(extra):
    with pytest.raises(uploads.UploadRefused) as caught:
        uploads.check_pdf(hostile.pdf(b"6 0 R", [extra, b"<< /Length 0 >>\nstream\n\nendstream"]), max_pages=50)
    assert caught.value.code == "pdf_active"


def test_encrypted_unreadable_and_long_pdfs_are_refused():
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(612, 792)
    writer.encrypt("secret")
    encrypted = io.BytesIO()
    writer.write(encrypted)
    with pytest.raises(uploads.UploadRefused) as caught:
        uploads.check_pdf(encrypted.getvalue(), max_pages=50)
    assert caught.value.code == "pdf_encrypted"
    with pytest.raises(uploads.UploadRefused) as caught:
        uploads.check_pdf(b"%PDF-1.7\n1 0 obj << /Type /Catalog", max_pages=50)
    assert caught.value.code == "pdf_unreadable"
    long = PdfWriter()
    for _ in range(3):
        long.add_blank_page(612, 792)
    buffer = io.BytesIO()
    long.write(buffer)
    with pytest.raises(uploads.UploadRefused, match="more than 2 pages") as caught:
        uploads.check_pdf(buffer.getvalue(), max_pages=2)
    assert caught.value.code == "pdf_pages"


def test_plain_pdfs_are_accepted_and_written_anew_without_their_metadata():
    from pypdf import PdfReader

    raw = hostile.pdf()
    assert hostile.CANARY.encode() in raw and PdfReader(io.BytesIO(raw)).metadata["/Author"] == hostile.CANARY
    cleaned = uploads.clean_upload(raw, kind=uploads.SCAN, max_pixels=1)
    assert cleaned.content_type == "application/pdf"
    assert hostile.CANARY.encode() not in cleaned.data
    reader = PdfReader(io.BytesIO(cleaned.data))
    assert len(reader.pages) == 1 and not reader.metadata and "/Metadata" not in reader.trailer["/Root"]
    uploads.check_pdf(hostile.pdf(b"[3 0 R /Fit]"), max_pages=50)  # open at a page: no action


# --- entered through the form: a 400 with the form again, nothing stored -------------------------------

FORM_ATTACKS = {
    "photo 20000x20000": ({"photo": ("p.png", hostile.png_header_only(20000, 20000))}, None,
                          "The photo is larger than 16 megapixels."),
    "photo 100 MP": ({"photo": ("p.png", hostile.png_header_only(10000, 10000))}, None,
                     "The photo is larger than 16 megapixels."),
    "scan 100 MP": ({"doc-0-scan": ("s.png", hostile.png_header_only(10000, 10000))}, 0,
                    "The scan is larger than 40 megapixels."),
    "html behind JPEG magic": ({"doc-0-scan": ("s.jpg", hostile.html_behind_jpeg_magic())}, 0,
                               "The scan could not be read as an image."),
    "PDF with OpenAction JavaScript": ({"doc-0-scan": ("s.pdf", hostile.pdf_open_action_javascript())}, 0,
                                       "The PDF contains scripts, automatic actions or attached files"),
}


@pytest.mark.parametrize("case", sorted(FORM_ATTACKS))
def test_form_refuses_hostile_upload_with_400_and_stores_nothing(staff, case):
    files, document, message = FORM_ATTACKS[case]
    client = sign_in(staff["clerk"])
    uploads_ = {name: SimpleUploadedFile(filename, data) for name, (filename, data) in files.items()}
    before = stored_counts()
    response = client.post(NEW_URL, _form(**uploads_))
    assert response.status_code == 400
    html = response.content.decode()
    assert message in html
    assert 'value="Canaryname"' in html  # the form is shown again with what was typed
    if document is not None:
        assert any(message in error for error in _errors_by_document(html)[document])
    else:
        photo_errors = re.findall(r'id="id_photo-error"[^>]*>\s*([^<]+?)\s*<', html) or [html]
        assert any(message in error for error in photo_errors)
    assert "Traceback" not in html and "DecompressionBomb" not in html
    assert stored_counts() == before == {key: 0 for key in before}


def test_form_stores_a_clean_photo_and_scan(staff):
    client = sign_in(staff["clerk"])
    response = client.post(NEW_URL, _form(photo=SimpleUploadedFile("p.jpg", hostile.jpeg_with_exif()), **{
        "doc-0-scan": SimpleUploadedFile("s.png", hostile.png_with_text()),
        "doc-1-type": "utility_bill", "doc-1-number": "CANARYBILL9", "doc-1-issuer": "Con Edison"}))
    assert response.status_code == 302, response.content.decode()[-3000:]
    application = Application.objects.get()
    from cityid.vault import services as vault

    applicant = application.applicant
    assert_no_metadata(vault.read_blob(record=vault.open_record(applicant.photo_record), blob=applicant.photo))
    scan = application.documents.get(position=0).scan
    assert scan.content_type == "image/png"
    assert_no_metadata(vault.read_blob(record=vault.open_record(application.documents_record), blob=scan))


# --- imported: ``line N: photo: ...``, nothing of the line stored --------------------------------------

def _line(external_id: str, **overrides) -> dict:
    line = {
        "external_id": external_id, "given_name": "Imported", "family_name": "Person", "date_of_birth": "1985-07-01",
        "address": {"kind": "residential", "line1": "1 Import Pl", "city": "Brooklyn", "postcode": "11201",
                    "borough": "brooklyn"},
        "documents": [{"type": "foreign_passport", "number": f"P-{external_id}", "expires": "2031-05-01",
                       "scan_path": "scan.jpg"},
                      {"type": "utility_bill", "number": f"B-{external_id}", "scan_path": "bill.png"}],
        "photo_path": "photo.jpg",
        "application": {"submitted": "2026-10-01", "decision": "approved", "decided": "2026-10-15"},
    }
    line.update(overrides)
    return line


@pytest.fixture
def import_dir(tmp_path) -> Path:
    base = tmp_path / "import"
    base.mkdir()
    (base / "photo.jpg").write_bytes(hostile.jpeg_with_exif(color=(200, 150, 100)))
    (base / "scan.jpg").write_bytes(hostile.jpeg_with_exif(size=(120, 80), color=(20, 30, 40)))
    (base / "bill.png").write_bytes(hostile.png_with_text())
    (base / "bomb.png").write_bytes(hostile.png_header_only(20000, 20000))
    (base / "big.png").write_bytes(hostile.png_header_only(10000, 10000))
    (base / "page.html.jpg").write_bytes(hostile.html_behind_jpeg_magic())
    (base / "script.pdf").write_bytes(hostile.pdf_open_action_javascript())
    return base


def test_import_refuses_hostile_files_by_line_and_field(staff, import_dir):
    docs = _line("x")["documents"]
    lines = [
        _line("OK-1"),
        _line("BOMB", photo_path="bomb.png"),
        _line("BIG", photo_path="big.png"),
        _line("HTML", documents=[{**docs[0], "scan_path": "page.html.jpg"}, docs[1]]),
        _line("PDFJS", documents=[docs[0], {**docs[1], "scan_path": "script.pdf"}]),
    ]
    (import_dir / "people.jsonl").write_text("".join(json.dumps(line) + "\n" for line in lines))
    out, err = io.StringIO(), io.StringIO()
    with pytest.raises(CommandError, match="4 line"):
        call_command("import", "applicants", str(import_dir / "people.jsonl"), stdout=out, stderr=err)
    assert "imported 1, skipped 0, rejected 4" in out.getvalue()
    assert err.getvalue().splitlines() == [
        "line 2: photo: The photo is larger than 16 megapixels.",
        "line 3: photo: The photo is larger than 16 megapixels.",
        "line 4: documents[0].scan: The scan could not be read as an image.",
        "line 5: documents[1].scan: The PDF contains scripts, automatic actions or attached files: scan the "
        "document to a plain PDF or an image.",
    ]
    assert list(Applicant.objects.values_list("external_id", flat=True)) == ["OK-1"]
    blob_root = Path(settings.BLOB_DIR)
    assert sum(1 for p in blob_root.rglob("*") if p.is_file()) == 3  # the good line's photo and two scans


def test_imported_metadata_does_not_come_back_out_of_the_subject_access_export(staff, import_dir, tmp_path):
    (import_dir / "one.jsonl").write_text(json.dumps(_line("META-1")) + "\n")
    call_command("import", "applicants", str(import_dir / "one.jsonl"), stdout=io.StringIO())
    out = io.StringIO()
    call_command("export", "subject", "META-1", "--out", str(tmp_path / "out"), "--actor", "records_officer1",
                 stdout=out)
    target = Path(out.getvalue().strip())
    files = json.loads((target / "subject.json").read_text())["files"]
    assert len(files) == 3
    for name in files:
        data = (target / name).read_bytes()
        assert_no_metadata(data)
    assert (target / "photo.jpg").exists()
    assert any(name.endswith(".png") for name in files)  # the PNG bill stays a lossless PNG


# --- served to staff --------------------------------------------------------------------------------

def test_staff_photo_and_scan_views_serve_clean_files_that_run_nothing(staff):
    clerk = staff["clerk"]
    application = enroll(
        data=make_input(photo=hostile.jpeg_with_exif(),
                        documents=[passport(hostile.png_with_text()),
                                   DocumentInput(type="utility_bill", number="B-1", scan=hostile.pdf())]),
        enrolled_by=clerk, today=TODAY)
    client = sign_in(clerk)
    purpose = f"?purpose={application.ref}"
    photo = client.get(f"/enrollment/applicants/{application.applicant.public_id}/photo/{purpose}")
    assert photo.status_code == 200
    assert photo["Content-Type"] == "image/jpeg"
    assert photo["Content-Disposition"] == 'inline; filename="photo.jpg"'
    assert_no_metadata(photo.content)
    served = [photo]
    for position, (content_type, name) in enumerate([("image/png", "scan-0.png"), ("application/pdf", "scan-1.pdf")]):
        response = client.get(f"/enrollment/applications/{application.public_id}/scans/{position}/{purpose}")
        assert response.status_code == 200
        assert response["Content-Type"] == content_type
        assert response["Content-Disposition"] == f'attachment; filename="{name}"'
        if position == 0:
            assert_no_metadata(response.content)
        served.append(response)
    for response in served:
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["Content-Security-Policy"].startswith("sandbox")


def test_a_file_stored_before_cleaning_is_still_only_a_download(staff):
    """HTML stored behind JPEG magic bytes by the old code (before ``enrollment clean``) is served as a
    sandboxed, unsniffed download, never as a page."""
    from cityid.enrollment.models import PresentedDocument
    from cityid.vault import services as vault
    from cityid.vault.models import Blob

    clerk = staff["clerk"]
    application = enroll(data=make_input(), enrolled_by=clerk, today=TODAY)
    document = application.documents.get(position=0)
    record = vault.open_record(application.documents_record)
    (blob,) = vault.store_blobs([(record, hostile.html_behind_jpeg_magic(), "image/jpeg")])
    blob.save()
    PresentedDocument.objects.filter(pk=document.pk).update(scan=blob)
    Blob.objects.filter(pk=document.scan_id).delete()
    url = f"/enrollment/applications/{application.public_id}/scans/0/?purpose={application.ref}"
    response = sign_in(clerk).get(url)
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response["Content-Security-Policy"]


def test_enroll_service_refuses_and_stores_nothing(staff):
    before = stored_counts()
    with pytest.raises(EnrollmentInvalid) as caught:
        enroll(data=make_input(photo=hostile.png_header_only(20000, 20000),
                               documents=[passport(hostile.pdf_hidden_javascript()), BILL]),
               enrolled_by=staff["clerk"], today=TODAY)
    assert set(caught.value.errors) == {"photo", "documents[0].scan"}
    assert stored_counts() == before


def test_only_bytes_the_cleaner_wrote_skip_cleaning():
    """The seeder cleans its images in its generator process and hands them on as CleanBytes; anything
    else, a hostile upload above all, is plain bytes and goes through the cleaner."""
    from cityid.enrollment.inputs import clean_file

    dirty = hostile.png_with_text()
    cleaned = clean_file(dirty, uploads.PHOTO).data
    assert cleaned != dirty
    assert_no_metadata(cleaned)
    handed_on = uploads.CleanBytes(cleaned)
    assert clean_file(handed_on, uploads.PHOTO).data is handed_on
    with pytest.raises(uploads.UploadRefused):  # plain bytes of HTML behind JPEG magic are still refused
        clean_file(hostile.html_behind_jpeg_magic(), uploads.SCAN)


def test_the_seeder_hands_on_images_the_cleaner_wrote():
    from cityid.enrollment.inputs import clean_file
    from cityid.ops.management.commands.seed import _generate
    from cityid.synthetic import generate_people

    [(_, scans, photo)] = _generate((7, 0, 1))
    [person] = generate_people(1, seed=7, start=0)
    assert isinstance(photo, uploads.CleanBytes) and all(isinstance(scan, uploads.CleanBytes) for scan in scans)
    assert photo == clean_file(person.photo, uploads.PHOTO).data
    assert scans == [clean_file(scan, uploads.SCAN).data for scan in person.scans]
