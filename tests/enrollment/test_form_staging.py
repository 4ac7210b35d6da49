"""The clerk's enrollment form keeps everything entered: files staged (sealed) when chosen and kept across
validation errors, one pass of errors with messages that say how to fix them, one application per form."""

from __future__ import annotations

import logging
import re
import uuid
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from cityid.enrollment import staging
from cityid.enrollment.models import Applicant, Application, FormSubmission, StagedUpload
from tests.audit.helpers import sign_in
from tests.conftest import complete_enrolment, jpeg_bytes

NEW_URL = "/enrollment/new/"
STAGE_URL = "/enrollment/new/uploads/"
TOKEN = "t" * 32


def _form(**extra) -> dict:
    data = {
        "form_token": TOKEN,
        "application_type": "new", "given_name": "Canaryname", "family_name": "Testperson",
        "date_of_birth": "1990-04-12", "gender": "X", "address_kind": "residential",
        "line1": "742 Canarystreet Ave", "city": "Queens", "postcode": "11373", "borough": "queens",
        "doc-TOTAL_FORMS": "4", "doc-INITIAL_FORMS": "0", "doc-MIN_NUM_FORMS": "0", "doc-MAX_NUM_FORMS": "8",
        "doc-0-type": "foreign_passport", "doc-0-number": "CANARYDOC1", "doc-0-issuer": "Mexico",
        "doc-0-expires": "2030-01-01",
        "doc-1-type": "utility_bill", "doc-1-number": "CANARYBILL9", "doc-1-issuer": "Con Edison",
    }
    data.update(extra)
    return data


def _jpeg(name: str, color=(10, 20, 30)) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, jpeg_bytes(color=color), content_type="image/jpeg")


def _hidden(html: str, name: str) -> str:
    match = re.search(rf'name="{re.escape(name)}" value="([^"]*)"', html) or re.search(
        rf'value="([^"]*)" name="{re.escape(name)}"', html)
    return match.group(1) if match else ""


def _stage(client, kind: str, upload) -> dict:
    response = client.post(STAGE_URL, {"kind": kind, "file": upload})
    return {"status": response.status_code, **response.json()}


@pytest.fixture
def clerk(staff):
    return sign_in(staff["clerk"])


def test_files_survive_a_validation_error_without_script(clerk):
    """The issue's case: photo and two scans, ZIP mistyped; fixed, submitted again without choosing the files."""
    response = clerk.post(NEW_URL, _form(postcode="1000", photo=_jpeg("photo.jpg"),
                                         **{"doc-0-scan": _jpeg("passport.jpg"), "doc-1-scan": _jpeg("bill.jpg")}))
    assert response.status_code == 400
    html = response.content.decode()
    assert "Enter a 5-digit ZIP code, like 10001." in html
    assert "photo.jpg kept" in html and "passport.jpg kept" in html and "bill.jpg kept" in html
    kept = {name: _hidden(html, name) for name in ("photo_staged", "doc-0-scan_staged", "doc-1-scan_staged")}
    assert all(kept.values()) and StagedUpload.objects.count() == 3
    assert not Applicant.objects.exists()

    response = clerk.post(NEW_URL, _form(**kept))
    assert response.status_code == 302, response.content.decode()[:3000]
    application = Application.objects.get()
    assert application.applicant.photo is not None
    assert [doc.scan is not None for doc in application.documents.order_by("position")] == [True, True]
    assert not StagedUpload.objects.exists()  # used: gone


def test_a_file_staged_by_script_is_used_by_the_submission(clerk):
    staged = _stage(clerk, "photo", _jpeg("me.png"))
    assert staged["status"] == 201 and staged["name"] == "me.png"
    response = clerk.post(NEW_URL, _form(photo_staged=staged["id"]))
    assert response.status_code == 302
    assert Applicant.objects.get().photo is not None


def test_staged_files_are_sealed_cleaned_and_bound_to_their_owner(clerk, staff):
    original = jpeg_bytes(color=(1, 2, 3))
    staged = _stage(clerk, "scan", SimpleUploadedFile("garcia-passport.jpg", original, content_type="image/jpeg"))
    row = StagedUpload.objects.get(public_id=staged["id"])
    assert original not in bytes(row.sealed_data) and b"garcia" not in bytes(row.sealed_name)
    assert bytes(staging.data_of(row))[:3] == b"\xff\xd8\xff"
    row.owner = staff["supervisor"]  # a row moved to someone else opens nothing
    with pytest.raises(staging.StagingRefused):
        staging.data_of(row)


@pytest.mark.parametrize("case", ["other_clerk", "forged", "malformed", "expired", "wrong_kind"])
def test_an_unusable_staged_id_is_refused_clearly_and_nothing_else_is_lost(clerk, staff, case):
    other = complete_enrolment(__import__("cityid.accounts.services", fromlist=["x"]).create_staff(
        username="clerk2", role="clerk"))
    if case == "other_clerk":
        staged_id = _stage(sign_in(other), "photo", _jpeg("theirs.jpg"))["id"]
    elif case == "forged":
        staged_id = str(uuid.uuid4())
    elif case == "malformed":
        staged_id = "../../etc/passwd"
    elif case == "expired":
        staged_id = _stage(clerk, "photo", _jpeg("old.jpg"))["id"]
        StagedUpload.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    else:
        staged_id = _stage(clerk, "scan", _jpeg("a-scan.jpg"))["id"]
    mine = _stage(clerk, "scan", _jpeg("mine.jpg"))["id"]
    response = clerk.post(NEW_URL, _form(photo_staged=staged_id, **{"doc-0-scan_staged": mine}))
    assert response.status_code == 400
    html = response.content.decode()
    assert "The kept photo is no longer available" in html and "Choose the photo again." in html
    assert _hidden(html, "photo_staged") == ""
    assert _hidden(html, "doc-0-scan_staged") == mine and "mine.jpg kept" in html  # the rest is kept
    assert 'value="Canaryname"' in html
    assert "theirs.jpg" not in html
    assert not Applicant.objects.exists()


@pytest.mark.parametrize("upload, message", [
    (SimpleUploadedFile("x.jpg", b"GIF89a not a jpeg", content_type="image/jpeg"),
     "The photo must be a JPEG or PNG image."),
    (SimpleUploadedFile("big.jpg", jpeg_bytes() + b"\0" * (2 * 2**20), content_type="image/jpeg"),
     "The photo is larger than 2 MB."),
])
def test_a_refused_file_gets_a_clear_message_and_nothing_is_staged(clerk, settings, upload, message, caplog):
    settings.CITYID_MAX_SCAN_BYTES = 2 * 2**20
    kept = _stage(clerk, "photo", _jpeg("kept-before.jpg"))
    with caplog.at_level(logging.DEBUG):
        answer = _stage(clerk, "photo", upload)
    assert answer["status"] == 400 and answer["error"] == message
    assert list(StagedUpload.objects.values_list("public_id", flat=True)) == [uuid.UUID(kept["id"])]
    assert upload.name not in caplog.text


def test_the_staging_address_carries_nothing_personal(clerk):
    from django.urls import reverse

    assert reverse("enrollment:stage_upload") == STAGE_URL
    assert clerk.get(STAGE_URL).status_code == 405
    assert _stage(clerk, "nonsense", _jpeg("a.jpg"))["status"] == 400


def test_expired_staged_files_are_purged(clerk):
    _stage(clerk, "photo", _jpeg("old.jpg"))
    StagedUpload.objects.update(expires_at=timezone.now() - timedelta(minutes=1))
    fresh = _stage(clerk, "photo", _jpeg("new.jpg"))
    assert [str(p) for p in StagedUpload.objects.values_list("public_id", flat=True)] == [fresh["id"]]


def test_a_double_submit_makes_one_application_and_lands_on_its_receipt(clerk):
    first = clerk.post(NEW_URL, _form())
    second = clerk.post(NEW_URL, _form())
    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"]
    assert Application.objects.count() == 1
    assert FormSubmission.objects.get(token=TOKEN).application == Application.objects.get()
    page = clerk.get(second["Location"])
    assert "already submitted" in page.content.decode()


def test_another_clerks_token_makes_nothing_and_shows_nothing(clerk, staff):
    from cityid.accounts.services import create_staff

    clerk.post(NEW_URL, _form())
    other = sign_in(complete_enrolment(create_staff(username="clerk3", role="clerk")))
    response = other.post(NEW_URL, _form(given_name="Othername"))
    assert response.status_code == 400
    assert "This form was already submitted." in response.content.decode()
    assert Application.objects.count() == 1


def test_the_new_form_carries_a_fresh_token(clerk):
    first, second = (_hidden(clerk.get(NEW_URL).content.decode(), "form_token") for _ in range(2))
    assert staging.valid_token(first) and first != second


def test_every_problem_is_reported_in_one_pass(clerk):
    response = clerk.post(NEW_URL, _form(
        given_name="", postcode="1000", city="", phone="12345",
        **{"doc-0-number": "", "doc-1-type": "", "doc-1-number": ""},
    ))
    assert response.status_code == 400
    html = response.content.decode()
    for message in (
        "Enter the given name as it is on the applicant&#x27;s document.",
        "Enter a 5-digit ZIP code, like 10001.",
        "Enter the city, like New York.",
        "Enter the document&#x27;s number as printed on it.",
        "Enter a phone number like 212-555-0123",
    ):
        assert message in html, message
    # the error summary links each entry to its field and takes focus
    summary = html[html.index('id="error-summary"'):html.index("</ul>", html.index('id="error-summary"'))]
    assert "autofocus" in html[html.index('id="error-summary"') - 200:html.index('id="error-summary"') + 200]
    for anchor in ("id_given_name", "id_postcode", "id_city", "id_phone", "id_doc-0-number"):
        assert f'href="#{anchor}"' in summary, anchor


def test_eligibility_and_address_problems_come_with_field_errors(clerk):
    """A missing field no longer hides the rest: the eligibility problem is in the same answer."""
    response = clerk.post(NEW_URL, _form(family_name="", **{"doc-1-type": "", "doc-1-number": ""}))
    html = response.content.decode()
    assert "Enter the family name" in html
    assert 'id="eligibility"' in html  # the points panel shows the state of the form as submitted
    summary = html[html.index('id="error-summary"'):]
    assert "residency" in summary.lower()


def test_required_address_fields_are_starred_and_no_address_keeps_what_was_typed(clerk):
    html = clerk.get(NEW_URL).content.decode()
    for name in ("line1", "city", "postcode"):
        label = re.search(rf'<label[^>]*for="id_{name}"[^>]*>(.*?)</label>', html, re.S).group(1)
        assert "usa-hint--required" in label, name
    response = clerk.post(NEW_URL, _form(address_kind="none", family_name="", line1="12 Kept Street"))
    assert response.status_code == 400
    assert 'value="12 Kept Street"' in response.content.decode()
    response = clerk.post(NEW_URL, _form(address_kind="none", line1="12 Kept Street", postcode="bad"))
    assert response.status_code == 302
    assert Applicant.objects.get().address_kind == "none"


def test_phone_numbers_are_stored_in_one_form(clerk):
    from cityid.enrollment import selectors

    assert clerk.post(NEW_URL, _form(phone="(212) 555 0123")).status_code == 302
    assert selectors  # the profile is sealed; the stored form is checked on the form itself below
    from cityid.enrollment.forms import EnrollmentForm

    form = EnrollmentForm(_form(phone="212.555.0123"))
    assert form.is_valid(), form.errors
    assert form.cleaned_data["phone"] == "+1 212-555-0123"


def test_a_registered_warning_is_shown_before_submitting_and_on_the_receipt(clerk):
    from cityid.enrollment.submission_checks import register_submission_check, unregister_submission_check

    def same_name(data, actor):
        return [f"Someone named {data.given_name} may already hold a card."] if data.given_name else []

    register_submission_check(same_name)
    try:
        response = clerk.post(NEW_URL, _form(photo=_jpeg("photo.jpg")))
        assert response.status_code == 200
        html = response.content.decode()
        assert "Someone named Canaryname may already hold a card." in html
        assert "photo.jpg kept" in html
        assert not Application.objects.exists()
        response = clerk.post(NEW_URL, _form(acknowledge_warnings="on", photo_staged=_hidden(html, "photo_staged")))
        assert response.status_code == 302
        receipt = clerk.get(response["Location"]).content.decode()
        assert "Someone named Canaryname may already hold a card." in receipt
        assert Applicant.objects.get().photo is not None
    finally:
        unregister_submission_check(same_name)
    response = clerk.post(NEW_URL, _form(form_token="u" * 32))
    assert response.status_code == 302  # none registered: nothing shown, nothing asked


def test_enter_in_a_text_field_has_no_default_button_to_press(clerk):
    html = clerk.get(NEW_URL).content.decode()
    form = html[html.index('id="enroll-form"'):]
    first_button = re.search(r"<button[^>]*>", form).group(0)
    assert 'type="submit"' in first_button and "disabled" in first_button


def test_a_form_sent_without_a_token_comes_back_with_one(clerk):
    data = _form(postcode="1")
    del data["form_token"]
    html = clerk.post(NEW_URL, data).content.decode()
    assert staging.valid_token(_hidden(html, "form_token"))


def test_an_eligibility_problem_is_shown_on_the_field_that_answers_it(clerk):
    response = clerk.post(NEW_URL, _form(date_of_birth="2014-01-05"))  # 12 at most: a caretaker is required
    html = response.content.decode()
    assert response.status_code == 400
    assert 'href="#id_with_caretaker"' in html
