"""Attacks on staged uploads and the form's one-time token: other roles, anonymous clients, forged or replayed
ids, hostile files, a copy of the database. Each test fails if the attack works."""

from __future__ import annotations

import logging

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from cityid.enrollment import staging
from cityid.enrollment.models import Applicant, StagedUpload
from tests.audit.helpers import sign_in
from tests.conftest import jpeg_bytes
from tests.enrollment import hostile
from tests.enrollment.test_form_staging import NEW_URL, STAGE_URL, _form, _hidden, _jpeg

NOT_ENROLLING = ["auditor", "card_production", "admin", "records_officer", "counsel", "fraud_analyst",
                 "foil_officer"]


def _stage(client, kind: str, upload):
    return client.post(STAGE_URL, {"kind": kind, "file": upload})


@pytest.mark.parametrize("role", NOT_ENROLLING)
def test_attack_staging_as_a_role_that_does_not_enroll_is_refused(staff, role):
    response = _stage(sign_in(staff[role]), "photo", _jpeg("x.jpg"))
    assert response.status_code == 403
    assert not StagedUpload.objects.exists()


def test_attack_staging_anonymously_or_cross_site_is_refused(staff):
    anonymous = _stage(Client(), "photo", _jpeg("x.jpg"))
    assert anonymous.status_code in (302, 403) and "/accounts/login/" in anonymous.get("Location", "/accounts/login/")
    clerk = sign_in(staff["clerk"])
    cross_site = Client(enforce_csrf_checks=True)
    cross_site.cookies = clerk.cookies
    assert _stage(cross_site, "photo", _jpeg("x.jpg")).status_code == 403
    assert not StagedUpload.objects.exists()


@pytest.mark.parametrize("kind, name, data", [
    ("photo", "bomb.png", hostile.png_header_only(40_000, 40_000)),
    ("scan", "bomb.png", hostile.png_header_only(40_000, 40_000)),
    ("photo", "page.jpg", hostile.html_behind_jpeg_magic()),
    ("scan", "page.jpg", hostile.html_behind_jpeg_magic()),
    ("scan", "open.pdf", hostile.pdf_open_action_javascript()),
    ("scan", "hidden.pdf", hostile.pdf_hidden_javascript()),
    ("photo", "scan.pdf", hostile.pdf()),  # a PDF is never a photo
    ("photo", "empty.jpg", b""),
    ("scan", "script.svg", b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>"),
])
def test_attack_a_hostile_file_is_never_staged(staff, kind, name, data, caplog):
    clerk = sign_in(staff["clerk"])
    with caplog.at_level(logging.DEBUG):
        response = _stage(clerk, kind, SimpleUploadedFile(name, data, content_type="image/jpeg"))
    assert response.status_code == 400 and response.json()["error"]
    assert not StagedUpload.objects.exists()
    assert name not in caplog.text


def test_attack_a_too_big_file_is_refused_before_it_is_read(staff, settings, monkeypatch):
    settings.CITYID_MAX_SCAN_BYTES = 2**20
    decoded = []
    monkeypatch.setattr(staging, "clean_file", lambda data, kind: decoded.append(kind))
    response = _stage(sign_in(staff["clerk"]), "scan",
                      SimpleUploadedFile("big.jpg", b"\xff\xd8\xff" + b"\0" * (2**20 + 1), content_type="image/jpeg"))
    assert response.status_code == 400 and decoded == []


def test_attack_a_hostile_file_name_is_shown_inert(staff):
    clerk = sign_in(staff["clerk"])
    name = "<img src=x onerror=alert(1)>\r\n../../etc/passwd\x00.jpg"
    staged = _stage(clerk, "photo", SimpleUploadedFile(name, jpeg_bytes(), content_type="image/jpeg")).json()
    assert "/" not in staged["name"] and "\x00" not in staged["name"] and "\n" not in staged["name"]
    page = clerk.post(NEW_URL, _form(postcode="1000", photo_staged=staged["id"])).content.decode()
    assert "<img src=x onerror" not in page


def test_attack_a_copy_of_the_database_reveals_neither_the_file_nor_its_name(staff):
    clerk = sign_in(staff["clerk"])
    staged = _stage(clerk, "scan", _jpeg("canaryperson-passport.jpg")).json()
    row = StagedUpload.objects.get(public_id=staged["id"])
    cleaned = bytes(staging.data_of(row))
    copied = {field.attname: getattr(row, field.attname) for field in StagedUpload._meta.concrete_fields}
    dump = b"".join(bytes(v) if isinstance(v, (bytes, memoryview)) else str(v).encode() for v in copied.values())
    assert b"canaryperson" not in dump.lower()
    assert cleaned[16:80] not in dump  # no stretch of the cleaned file in clear
    assert str(row) == f"staged scan {row.public_id}"  # what a log or the admin would print


def test_attack_a_sealed_staged_file_spliced_into_another_row_opens_nothing(staff):
    clerk = sign_in(staff["clerk"])
    first = StagedUpload.objects.get(public_id=_stage(clerk, "scan", _jpeg("a.jpg")).json()["id"])
    second = StagedUpload.objects.get(public_id=_stage(clerk, "scan", _jpeg("b.jpg", (9, 9, 9))).json()["id"])
    second.sealed_data, second.sealed_name = first.sealed_data, first.sealed_name
    with pytest.raises(staging.StagingRefused):
        staging.data_of(second)
    assert staging.name_of(second) != "a.jpg"
    first.kind = "photo"  # a scan relabelled as a photo
    with pytest.raises(staging.StagingRefused):
        staging.data_of(first)


def test_attack_a_used_staged_id_cannot_be_replayed_into_another_application(staff):
    clerk = sign_in(staff["clerk"])
    staged = _stage(clerk, "photo", _jpeg("photo.jpg")).json()["id"]
    assert clerk.post(NEW_URL, _form(photo_staged=staged)).status_code == 302
    again = clerk.post(NEW_URL, _form(form_token="u" * 32, given_name="Othercanary", photo_staged=staged))
    assert again.status_code == 400 and _hidden(again.content.decode(), "photo_staged") == ""
    assert Applicant.objects.count() == 1


def test_attack_one_clerk_cannot_fill_the_store(staff, monkeypatch):
    monkeypatch.setattr(staging, "MAX_PER_OWNER", 2)
    clerk = sign_in(staff["clerk"])
    assert [_stage(clerk, "photo", _jpeg(f"{n}.jpg")).status_code for n in range(3)] == [201, 201, 400]
    assert StagedUpload.objects.count() == 2


def test_attack_a_forged_or_foreign_form_token_shows_no_receipt(staff):
    from tests.conftest import complete_enrolment

    clerk = sign_in(staff["clerk"])
    made = clerk.post(NEW_URL, _form())
    assert made.status_code == 302
    other = sign_in(complete_enrolment(__import__("cityid.accounts.services", fromlist=["x"]).create_staff(
        username="clerk9", role="clerk")))
    assert other.get(made["Location"]).status_code == 404  # the receipt is its maker's only
    for token in ("' OR 1=1 --", "t" * 65, "", "../" * 10):
        response = other.post(NEW_URL, _form(form_token=token, given_name="Freshcanary"))
        assert response.status_code in (302, 400)
        if response.status_code == 302:
            assert response["Location"] != made["Location"]


@pytest.mark.parametrize("garbage", [
    b"", b"\x00", b"\x00\x00", b"\x00\x05abc", b"\x00\x05abcde", b"\x00\x18" + b"\x00" * 24,
    b"\xff\xff" + b"x" * 100, b"\x00\x28" + b"\x01" * 40 + b"\x02" * 60,
])
def test_attack_a_tampered_staged_row_is_refused_never_a_server_error(staff, garbage):
    clerk = sign_in(staff["clerk"])
    staged = _stage(clerk, "photo", _jpeg("photo.jpg")).json()["id"]
    StagedUpload.objects.filter(public_id=staged).update(sealed_data=garbage, sealed_name=garbage)
    row = StagedUpload.objects.get(public_id=staged)
    with pytest.raises(staging.StagingRefused):
        staging.data_of(row)
    assert staging.name_of(row) == "file"
    response = clerk.post(NEW_URL, _form(photo_staged=staged))
    assert response.status_code == 400 and _hidden(response.content.decode(), "photo_staged") == ""
    assert not Applicant.objects.exists()


def test_attack_another_secret_sealed_under_another_key_moved_into_a_staged_row_opens_nothing(staff):
    """A staff authenticator seed (sealed under the ``accounts`` provider key) copied into a staged row."""
    from cityid.vault import services as vault

    clerk = sign_in(staff["clerk"])
    staged = _stage(clerk, "photo", _jpeg("photo.jpg")).json()["id"]
    row = StagedUpload.objects.get(public_id=staged)
    aad = f"staged:{row.public_id}:{row.owner_id}:{row.kind}:data".encode()
    row.sealed_data = vault.seal_with_key("accounts", b"\xff\xd8\xff" + b"seed" * 8, aad)
    with pytest.raises(staging.StagingRefused):
        staging.data_of(row)


@pytest.mark.parametrize("field, name, data", [
    ("photo", "bomb.png", hostile.png_header_only(40_000, 40_000)),
    ("photo", "page.jpg", hostile.html_behind_jpeg_magic()),
    ("photo", "scan.pdf", hostile.pdf()),
    ("doc-0-scan", "open.pdf", hostile.pdf_open_action_javascript()),
    ("doc-0-scan", "hidden.pdf", hostile.pdf_hidden_javascript()),
    ("doc-0-scan", "bomb.png", hostile.png_header_only(40_000, 40_000)),
])
def test_attack_a_hostile_file_sent_with_the_form_itself_is_neither_staged_nor_stored(staff, field, name, data):
    clerk = sign_in(staff["clerk"])
    response = clerk.post(NEW_URL, _form(**{field: SimpleUploadedFile(name, data, content_type="image/jpeg")}))
    assert response.status_code == 400
    assert not StagedUpload.objects.exists() and not Applicant.objects.exists()


@pytest.mark.parametrize("name, shown", [
    ("passport\u202egpj.exe", "passportgpj.exe"),  # RIGHT-TO-LEFT OVERRIDE: would read "passportexe.jpg"
    ("\u2067photo\u2069.jpg", "photo.jpg"),
    ("scan\u200b\u200b.jpg", "scan.jpg"),
    ("a\x85b\x1b[31m.jpg", "ab[31m.jpg"),  # a C1 line break, a terminal escape
])
def test_attack_a_file_name_cannot_disguise_itself(staff, name, shown):
    staged = _stage(sign_in(staff["clerk"]), "photo", SimpleUploadedFile(name, jpeg_bytes(), content_type="image/jpeg"))
    assert staged.json()["name"] == shown


def test_attack_a_disguised_name_is_cleaned_by_staging_itself_not_only_by_the_upload_parser():
    """Django's multipart parser drops unprintable characters today; the name shown back does not rely on it."""
    assert staging._shown_name("passport\u202egpj.exe") == "passportgpj.exe"
    assert staging._shown_name("\u2067photo\u2069\u200b.jpg") == "photo.jpg"
    assert staging._shown_name("a\x85b\x00.jpg") == "a b.jpg"
    assert staging._shown_name("C:\\Users\\x\\scan.pdf") == "scan.pdf"
    assert staging._shown_name("\u202e") == "file"


def test_attack_a_session_without_the_second_factor_stages_nothing(staff):
    """Signed in with the password only (no authenticator code): not yet anyone."""
    half = Client()
    half.force_login(staff["clerk"])
    response = _stage(half, "photo", _jpeg("x.jpg"))
    assert response.status_code in (302, 403)
    assert half.post(NEW_URL, _form()).status_code in (302, 403)
    assert not StagedUpload.objects.exists() and not Applicant.objects.exists()


def _zip() -> bytes:
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("payload.html", "<html><script>alert(1)</script></html>")
    return buffer.getvalue()


@pytest.mark.parametrize("kind", ["photo", "scan"])
@pytest.mark.parametrize("tail", ["zip", "html"])
def test_attack_a_polyglot_image_is_kept_as_its_pixels_only(staff, kind, tail):
    """A valid JPEG with a ZIP archive or a page of script behind it: what is staged is the re-encoded picture."""
    appended = _zip() if tail == "zip" else b"<html><script>alert(1)</script></html>"
    response = _stage(sign_in(staff["clerk"]), kind,
                      SimpleUploadedFile("holiday.jpg", jpeg_bytes() + appended, content_type="image/jpeg"))
    if response.status_code == 400:
        return  # refused outright: as good
    data = bytes(staging.data_of(StagedUpload.objects.get(public_id=response.json()["id"])))
    assert data[:3] == b"\xff\xd8\xff"
    assert b"PK\x03\x04" not in data and b"<script" not in data and b"payload" not in data


def test_attack_a_pdf_whose_object_streams_inflate_past_the_budget_is_refused(staff, monkeypatch):
    """A PDF bomb: a few kilobytes of object streams that inflate to far more than any scan's objects need. The
    budget is made small here so the test inflates little; the same PDF at full size would ask for gigabytes."""
    from cityid.enrollment import uploads

    monkeypatch.setattr(uploads, "PDF_MAX_OBJECT_STREAM_BYTES", 2**20)
    bomb = hostile.pdf_object_stream_bomb(streams=3, inflated=2**19)  # 1.5 MB of objects in 3 streams
    assert len(bomb) < 8_000
    response = _stage(sign_in(staff["clerk"]), "scan", SimpleUploadedFile("scan.pdf", bomb,
                                                                          content_type="application/pdf"))
    assert response.status_code == 400
    assert not StagedUpload.objects.exists()
    with pytest.raises(uploads.UploadRefused):
        uploads.check_pdf(hostile.pdf_object_stream_bomb(streams=1, inflated=2**21), max_pages=10)


def test_a_pdf_with_small_object_streams_is_still_accepted(staff):
    from cityid.enrollment import uploads

    uploads.check_pdf(hostile.pdf_object_stream_bomb(streams=2, inflated=1000), max_pages=10)


def test_attack_a_chain_of_cross_reference_streams_cannot_exhaust_the_server(staff, monkeypatch):
    """pypdf inflates every cross-reference stream of the chain while it opens a file, before any check of ours
    runs: the PDF is read in a child process bounded in memory, which dies instead of the server. The bound is
    made small here so the test inflates little."""
    from cityid.enrollment import uploads

    monkeypatch.setattr(uploads, "PDF_CHILD_MEMORY_BYTES", 160 * 2**20)
    bomb = hostile.pdf_xref_stream_chain_bomb(streams=4, inflated=40 * 2**20)  # 160 MB asked for by ~200 KB
    assert len(bomb) < 400_000
    response = _stage(sign_in(staff["clerk"]), "scan", SimpleUploadedFile("scan.pdf", bomb,
                                                                          content_type="application/pdf"))
    assert response.status_code == 400
    assert not StagedUpload.objects.exists()


def test_a_chain_of_small_cross_reference_streams_is_still_read():
    from cityid.enrollment import uploads

    clean = uploads.clean_pdf(hostile.pdf_xref_stream_chain_bomb(streams=3, inflated=4096), max_pages=10)
    assert clean.startswith(b"%PDF")
