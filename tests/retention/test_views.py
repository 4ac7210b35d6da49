"""The retention staff UI: pages by role, schedules, preview, two-person disposition approval, holds."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import pytest
from django.test import Client
from django.utils import timezone

from cityid.accounts.policy import ROLES
from cityid.retention import services
from cityid.retention.models import (
    Certificate,
    DispositionRequest,
    DispositionRun,
    HeldRecord,
    LegalHold,
    Schedule,
)
from cityid.retention.sealing import open_details
from cityid.vault.models import RecordKey
from tests.conftest import make_input

TODAY = date(2026, 11, 20)
PASSWORD = "correct horse battery 9"
LOGIN_URL = "/accounts/login/"

READ = {"records_officer", "counsel", "auditor"}
PAGES = {
    "/retention/schedules/": READ,
    "/retention/preview/": READ,
    "/retention/preview/?as_of=2017-01-02": READ,
    "/retention/disposition/": {"records_officer"},
    "/retention/certificates/": READ,
    "/retention/holds/": READ,
    "/retention/holds/?status=released": READ,
    "/retention/holds/new/": {"counsel"},
}


CONFIRMED = {"confirmed": "yes"}


def sign_in(user) -> Client:
    """A client signed in through the real login form: password and a current TOTP code."""
    from django_otp.oath import totp

    user.set_password(PASSWORD)
    user.must_change_password = False
    user.save()
    device = user.totpdevice_set.first()
    code = totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits, drift=device.drift)
    client = Client()
    response = client.post(LOGIN_URL, {"username": user.username, "password": PASSWORD,
                                       "otp_token": f"{code:0{device.digits}d}"})
    assert response.status_code == 302, response.content[:500]
    assert client.session.get("otp_device_id")
    return client


def messages_of(response) -> list[str]:
    return [str(message) for message in response.context["messages"]] if response.context else []


@pytest.fixture
def second_officer(staff):
    from cityid.accounts.services import create_staff
    from tests.conftest import complete_enrolment

    return complete_enrolment(create_staff(username="records_officer2", role="records_officer"))


@pytest.fixture
def scheduled(staff):
    """Three applicants' documents due on 2016-12-31."""
    from cityid.enrollment.services import enroll

    for i, day in enumerate([date(2015, 3, 10), date(2015, 9, 1), date(2016, 5, 20)]):
        enroll(data=make_input(submitted_on=day, date_of_birth=date(1980 + i, 1, 2)), enrolled_by=staff["clerk"],
               today=TODAY)
    services.set_schedule(record_class="documents", approved_by=staff["records_officer"],
                          fixed_date=date(2016, 12, 31))
    services.apply_schedule(record_class="documents")


def documents_left() -> int:
    return RecordKey.objects.filter(record_class="documents").count()


# --- access ------------------------------------------------------------------------------

@pytest.mark.parametrize("role", sorted(ROLES))
def test_pages_by_role(staff, role):
    client = sign_in(staff[role])
    for path, roles in PAGES.items():
        response = client.get(path)
        assert response.status_code == (200 if role in roles else 403), (path, role, response.status_code)


@pytest.mark.parametrize("path", ["/retention/schedules/", "/retention/holds/new/", "/retention/disposition/"])
def test_anonymous_redirected_to_login(db, path):
    response = Client().get(path)
    assert response.status_code == 302 and response["Location"].startswith(LOGIN_URL)


@pytest.mark.parametrize("role, visible, hidden", [
    ("records_officer", ["Retention schedules", "Disposition approvals", "Destruction certificates", "Legal holds"],
     []),
    ("counsel", ["Legal holds", "Disposition preview", "Destruction certificates"], ["Disposition approvals"]),
    ("auditor", ["Retention schedules", "Legal holds", "Destruction certificates"], ["Disposition approvals"]),
    ("clerk", [], ["Retention schedules", "Legal holds", "Disposition approvals", "Destruction certificates"]),
])
def test_nav_items_follow_policy(staff, role, visible, hidden):
    response = sign_in(staff[role]).get("/")
    labels = [str(item["label"]) for item in response.context["nav_items"]]
    for label in visible:
        assert label in labels, (role, label)
    for label in hidden:
        assert label not in labels, (role, label)


# --- schedules ---------------------------------------------------------------------------

def test_records_officer_adds_a_schedule_version(staff, scheduled):
    client = sign_in(staff["records_officer"])
    page = client.get("/retention/schedules/")
    assert b"Add a schedule version" in page.content
    response = client.post("/retention/schedules/new/",
                           {"record_class": "photo", "kind": "trigger", "trigger": "submitted", "years": "2"},
                           follow=True)
    assert response.redirect_chain[-1][0] == "/retention/schedules/"
    assert any("3 records were moved" in m for m in messages_of(response))
    schedule = Schedule.objects.get(record_class="photo")
    assert (schedule.version, schedule.trigger, schedule.years, schedule.approved_by) == (
        1, "submitted", 2, staff["records_officer"])
    assert set(RecordKey.objects.filter(record_class="photo").values_list("due_on", flat=True)) == {
        date(2017, 3, 31), date(2017, 9, 30), date(2018, 5, 31)}
    assert b"2 years after application submitted" in response.content


@pytest.mark.parametrize("data, field", [
    ({"record_class": "documents", "kind": "fixed"}, "fixed_date"),
    ({"record_class": "documents", "kind": "trigger", "years": "3"}, "trigger"),
    ({"record_class": "documents", "kind": "trigger", "trigger": "decided"}, "years"),
    ({"record_class": "documents", "kind": "trigger", "trigger": "decided", "years": "101"}, "years"),
    ({"record_class": "nope", "kind": "fixed", "fixed_date": "2016-12-31"}, "record_class"),
])
def test_schedule_form_errors(staff, data, field):
    response = sign_in(staff["records_officer"]).post("/retention/schedules/new/", data)
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert b"usa-error-message" in response.content
    assert not Schedule.objects.exists()


def test_auditor_reads_schedules_without_the_form(staff, scheduled):
    client = sign_in(staff["auditor"])
    page = client.get("/retention/schedules/")
    assert page.status_code == 200
    assert b"Add a schedule version" not in page.content
    assert b"on 12/31/2016" in page.content  # the reader's date format
    denied = client.post("/retention/schedules/new/", {"record_class": "photo", "kind": "fixed",
                                                       "fixed_date": "2016-12-31"})
    assert denied.status_code == 403
    assert Schedule.objects.count() == 1


# --- preview -----------------------------------------------------------------------------

def test_preview_page(staff, scheduled):
    client = sign_in(staff["counsel"])
    page = client.get("/retention/preview/?as_of=2017-01-02")
    assert page.status_code == 200
    report = page.context["report"]
    assert (report["destroy_total"], report["held_total"]) == (3, 0)
    assert report["chart"][0]["class"] == "documents" and report["chart"][0]["destroy_pct"] == 100
    assert b"documents/2016-12" in page.content and b"cityid-bar--destroy" in page.content
    assert b"Request a disposition run" not in page.content  # counsel cannot request runs

    empty = client.get("/retention/preview/?as_of=2016-01-01")
    assert b"Nothing is due as of this date." in empty.content
    bad = client.get("/retention/preview/?as_of=2017-02-30")
    assert bad.status_code == 200 and "as_of" in bad.context["form"].errors and bad.context["report"] is None


def test_preview_offers_a_request_to_records_officers(staff, scheduled):
    page = sign_in(staff["records_officer"]).get("/retention/preview/?as_of=2017-01-02")
    assert b"Request a disposition run as of 01/02/2017" in page.content


# --- two-person disposition approval -----------------------------------------------------

def test_two_person_approval_runs_and_shows_the_certificate(staff, scheduled, second_officer, settings):
    first = sign_in(staff["records_officer"])
    response = first.post("/retention/disposition/request/", {"as_of": "2017-01-02"}, follow=True)
    request = DispositionRequest.objects.get()
    assert request.pending and request.requested_by == staff["records_officer"]
    assert b"You requested this run" in response.content
    assert f"/retention/disposition/{request.pk}/approve/".encode() not in response.content

    # The requester cannot approve their own request.
    own = first.post(f"/retention/disposition/{request.pk}/approve/", CONFIRMED,
                                                                 follow=True)
    assert any("a different records officer must approve it" in m for m in messages_of(own))
    assert documents_left() == 3 and not DispositionRun.objects.exists()
    request.refresh_from_db()
    assert request.pending

    # Approving needs a POST.
    second = sign_in(second_officer)
    assert second.get(f"/retention/disposition/{request.pk}/approve/").status_code == 405
    page = second.get("/retention/disposition/")
    assert f"/retention/disposition/{request.pk}/approve/".encode() in page.content
    assert b"would destroy 3 records" in page.content

    response = second.post(f"/retention/disposition/{request.pk}/approve/", CONFIRMED,
                                                                 follow=True)
    certificate = Certificate.objects.get()
    assert response.redirect_chain[-1][0] == f"/retention/certificates/{certificate.run_id}/"
    assert b"The signature is valid" in response.content
    assert documents_left() == 0
    assert RecordKey.objects.filter(record_class="application").count() == 3
    request.refresh_from_db()
    assert (request.approved_by, request.run_id) == (second_officer, certificate.run_id)
    run = certificate.run
    assert (run.first_approver, run.second_approver) == (staff["records_officer"], second_officer)
    path = Path(settings.DATA_DIR) / "certificates" / f"run-{certificate.run_id}.json"
    assert path.read_text() == certificate.document

    # Approving again does nothing more.
    again = second.post(f"/retention/disposition/{request.pk}/approve/", CONFIRMED,
                                                                 follow=True)
    assert any("already been approved" in m for m in messages_of(again))
    assert Certificate.objects.count() == 1
    history = second.get("/retention/disposition/")
    assert f"Certificate of run {certificate.run_id}".encode() in history.content

    # A later request as of the same date finds nothing more due and answers with that certificate.
    first.post("/retention/disposition/request/", {"as_of": "2017-01-02"})
    later = DispositionRequest.objects.get(approved_at=None)
    response = second.post(f"/retention/disposition/{later.pk}/approve/", {"confirmed": "yes"}, follow=True)
    assert response.redirect_chain[-1][0] == f"/retention/certificates/{certificate.run_id}/"
    assert any("Nothing more was due as of 01/02/2017" in m for m in messages_of(response))
    assert Certificate.objects.count() == 1 and DispositionRun.objects.count() == 1


def test_certificate_pages_and_download(staff, scheduled, second_officer):
    certificate = services.run_disposition(as_of=date(2017, 1, 2),
                                           approvers=[staff["records_officer"], second_officer])
    client = sign_in(staff["auditor"])
    listing = client.get("/retention/certificates/")
    assert listing.status_code == 200
    assert listing.context["rows"][0]["records"] == 3
    assert f"/retention/certificates/{certificate.run_id}/download/".encode() in listing.content

    detail = client.get(f"/retention/certificates/{certificate.run_id}/")
    assert detail.status_code == 200 and b"The signature is valid" in detail.content
    assert b"cohort:documents/2016-12" in detail.content

    download = client.get(f"/retention/certificates/{certificate.run_id}/download/")
    assert download.status_code == 200
    assert download["Content-Type"].startswith("application/json")
    assert download["Content-Disposition"] == f'attachment; filename="run-{certificate.run_id}.json"'
    text = download.content.decode()
    assert text == certificate.document
    assert services.verify_certificate(text)["records"] == 3
    assert json.loads(text)["certificate"]["approvers"] == ["records_officer1", "records_officer2"]

    assert client.get("/retention/certificates/999/").status_code == 404
    assert client.get("/retention/certificates/999/download/").status_code == 404
    assert sign_in(staff["clerk"]).get(f"/retention/certificates/{certificate.run_id}/download/").status_code == 403


def test_certificate_number_beyond_any_run_is_not_found(staff):
    """A run id too large for the database's integer column is a 404, not a server error."""
    client = sign_in(staff["auditor"])
    huge = "9" * 25
    assert client.get(f"/retention/certificates/{huge}/").status_code == 404
    assert client.get(f"/retention/certificates/{huge}/download/").status_code == 404


def test_certificates_empty_state(staff):
    page = sign_in(staff["records_officer"]).get("/retention/certificates/")
    assert b"there are no certificates" in page.content


def test_request_refusals(staff, scheduled):
    client = sign_in(staff["records_officer"])
    future = (timezone.localdate() + timedelta(days=1)).isoformat()
    response = client.post("/retention/disposition/request/", {"as_of": future})
    assert response.status_code == 200 and "as_of" in response.context["form"].errors
    assert not DispositionRequest.objects.exists()

    client.post("/retention/disposition/request/", {"as_of": "2017-01-02"})
    duplicate = client.post("/retention/disposition/request/", {"as_of": "2017-01-02"})
    assert b"already waiting for approval" in duplicate.content
    assert DispositionRequest.objects.count() == 1

    denied = sign_in(staff["auditor"]).post("/retention/disposition/request/", {"as_of": "2017-01-02"})
    assert denied.status_code == 403


def test_approval_refused_when_the_requester_lost_the_role(staff, scheduled, second_officer):
    request = DispositionRequest.objects.create(as_of=date(2017, 1, 2), requested_by=staff["records_officer"])
    officer = staff["records_officer"]
    officer.role = "clerk"
    officer.save()
    response = sign_in(second_officer).post(f"/retention/disposition/{request.pk}/approve/", CONFIRMED,
                                                                 follow=True)
    assert any("records_officer1 is not an active records officer" in m for m in messages_of(response))
    assert documents_left() == 3
    request.refresh_from_db()
    assert request.pending


def test_approval_with_everything_held_destroys_nothing(staff, scheduled, second_officer):
    services.place_hold(case_name="People v. Canary", court="Supreme Court", scope="class:documents",
                        placed_by=staff["counsel"])
    request = DispositionRequest.objects.create(as_of=date(2017, 1, 2), requested_by=staff["records_officer"])
    response = sign_in(second_officer).post(f"/retention/disposition/{request.pk}/approve/", CONFIRMED,
                                                                 follow=True)
    assert any("nothing was destroyed" in m for m in messages_of(response))
    request.refresh_from_db()
    assert request.approved_by == second_officer and request.run is None
    assert documents_left() == 3 and not Certificate.objects.exists()
    assert b"Nothing was due" in response.content


def test_withdraw(staff, scheduled):
    client = sign_in(staff["records_officer"])
    client.post("/retention/disposition/request/", {"as_of": "2017-01-02"})
    request = DispositionRequest.objects.get()
    response = client.post(f"/retention/disposition/{request.pk}/withdraw/", follow=True)
    assert any("withdrawn" in m for m in messages_of(response))
    request.refresh_from_db()
    assert request.withdrawn_at is not None and not request.pending
    assert b"No disposition run is waiting for approval." in response.content


# --- legal holds -------------------------------------------------------------------------

@pytest.mark.parametrize("scope, term", [
    ("class:nope", "class:nope"),
    ("submitted:2016-13-01..2016-12-31", "submitted:2016-13-01..2016-12-31"),
    ("foo:bar", "foo:bar"),
    ("subject:nobody-here", "subject:nobody-here"),
])
def test_hold_form_names_the_bad_scope_term(staff, scheduled, scope, term):
    client = sign_in(staff["counsel"])
    response = client.post("/retention/holds/new/", {"case_name": "People v. Canary", "court": "Supreme Court",
                                                     "scope": scope})
    assert response.status_code == 200
    errors = response.context["form"].errors["scope"]
    assert any(term in error and error.startswith("The scope is not valid") for error in errors), errors
    assert term.encode() in response.content
    assert not LegalHold.objects.exists()


def test_hold_place_and_release_flow(staff, scheduled):
    counsel = sign_in(staff["counsel"])
    assert counsel.get("/retention/holds/").context["page_obj"].paginator.count == 0
    response = counsel.post("/retention/holds/new/", {
        "case_name": "People v. Canary", "court": "Supreme Court, New York County", "index_number": "451234/2016",
        "order_date": "2016-12-20", "scope": "class:documents, submitted:2015-01-01..2015-12-31",
        "notes": "restraining order",
    }, follow=True)
    hold = LegalHold.objects.get()
    open_details([hold])
    assert response.redirect_chain[-1][0] == f"/retention/holds/{hold.pk}/"
    assert any("2 records are held" in m for m in messages_of(response))
    assert (hold.placed_by, hold.order_date, hold.index_number) == (staff["counsel"], date(2016, 12, 20),
                                                                    "451234/2016")
    assert HeldRecord.objects.filter(hold=hold).count() == 2
    assert b"Release this hold" in response.content

    listing = counsel.get("/retention/holds/")
    assert listing.context["page_obj"][0].records_held == 2 and b"People v. Canary" in listing.content

    # The auditor and the records officer see it but cannot release it.
    auditor = sign_in(staff["auditor"])
    detail = auditor.get(f"/retention/holds/{hold.pk}/")
    assert detail.status_code == 200 and b"Release this hold" not in detail.content
    assert auditor.post(f"/retention/holds/{hold.pk}/release/").status_code == 403
    officer = sign_in(staff["records_officer"])
    assert officer.post(f"/retention/holds/{hold.pk}/release/").status_code == 403
    assert officer.get("/retention/holds/new/").status_code == 403
    hold.refresh_from_db()
    assert hold.active

    # GET only asks for confirmation; POST releases.
    confirm = counsel.get(f"/retention/holds/{hold.pk}/release/")
    assert confirm.status_code == 200 and b"Yes, release the hold" in confirm.content
    hold.refresh_from_db()
    assert hold.active
    released = counsel.post(f"/retention/holds/{hold.pk}/release/", follow=True)
    assert any("2 records returned" in m for m in messages_of(released))
    hold.refresh_from_db()
    assert not hold.active and hold.released_by == staff["counsel"]
    assert not HeldRecord.objects.exists()
    assert set(RecordKey.objects.filter(record_class="documents").values_list("key_id", flat=True)) == {
        "cohort:documents/2016-12"}
    assert counsel.get("/retention/holds/").context["page_obj"].paginator.count == 0
    assert counsel.get("/retention/holds/?status=released").context["page_obj"].paginator.count == 1
    again = counsel.post(f"/retention/holds/{hold.pk}/release/", follow=True)
    assert any("already been released" in m for m in messages_of(again))
    assert counsel.get("/retention/holds/999/").status_code == 404


def test_hold_form_required_fields_and_future_order(staff):
    client = sign_in(staff["counsel"])
    response = client.post("/retention/holds/new/", {"scope": "all",
                                                     "order_date": (timezone.localdate() + timedelta(days=3))})
    errors = response.context["form"].errors
    assert {"case_name", "court", "order_date"} <= set(errors)
    assert not LegalHold.objects.exists()


def test_a_run_request_is_confirmed_with_a_local_date_and_one_full_stop(staff, scheduled):
    client = sign_in(staff["records_officer"])
    response = client.post("/retention/disposition/request/", {"as_of": "2017-01-02"}, follow=True)
    assert any(m.startswith("Disposition run as of 01/02/2017 requested.") for m in messages_of(response))
    html = response.content.decode()
    assert ">2017-01-02" not in html and "m.." not in html and "Requested by" in html
    client.cookies["django_language"] = "es"
    response = client.post("/retention/disposition/request/", {"as_of": "2017-01-02"}, follow=True)
    assert "2017-01-02" not in " ".join(messages_of(response))


def test_forms_that_create_something_are_sent_once(staff, scheduled):
    import re

    pages = {"counsel": ["/retention/holds/new/"],
             "records_officer": ["/retention/schedules/", "/retention/disposition/"]}
    for role, paths in pages.items():
        client = sign_in(staff[role])
        for path in paths:
            html = client.get(path).content.decode()
            forms = re.findall(r'<form[^>]*method="post"[^>]*>', html.split("<main", 1)[1])
            assert forms and all("data-submit-once" in form for form in forms), (path, forms)


def test_preview_names_the_held_classes_in_the_readers_language(staff, scheduled):
    services.place_hold(case_name="People v. Canary", court="Supreme Court", scope="class:documents",
                        placed_by=staff["counsel"])
    client = sign_in(staff["records_officer"])
    client.cookies["django_language"] = "es"
    html = client.get("/retention/preview/?as_of=2017-01-02").content.decode()
    held = html.split("cityid-bar--held", 1)[1]
    assert "Documentos (3)" in held and "documents (3)" not in held
