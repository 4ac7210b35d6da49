"""The public FOIL form and status page, and the FOIL officer's pages: bad input, limits, roles, and attacks."""

from __future__ import annotations

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from cityid.accounts.policy import ROLES
from cityid.audit.models import AuditEntry
from cityid.disclosure.models import FoilRequest, FoilStatus
from tests.audit.helpers import sign_in
from tests.disclosure.conftest import CANARY


def post_form(client: Client, **overrides):
    return client.post("/foil/", {**CANARY, **overrides})


def text(response) -> str:
    return response.content.decode()


def test_the_public_form_shows_the_id_access_code_and_due_dates(db):
    client = Client()
    assert client.get("/foil/").status_code == 200
    response = post_form(client)
    assert response.status_code == 201
    foil = FoilRequest.objects.get()
    page = text(response)
    assert foil.public_id in page
    assert re.search(r'id="foil-access-code">([^<]+)<', page)
    assert CANARY["name"] not in page and CANARY["email"] not in page


@pytest.mark.parametrize(("overrides", "message"), [
    ({"email": "", "address": ""}, "Give an email address or a postal address"),
    ({"name": ""}, "This field is required"),
    ({"email": "no-at-sign"}, "That email address is not valid"),
    ({"description": "x" * 5001}, "at most 5000 characters"),
    ({"description": "short"}, "at least 10 characters"),
])
def test_bad_input_gets_a_clear_message_and_stores_nothing(db, overrides, message):
    response = post_form(Client(), **overrides)
    assert response.status_code == 400
    assert message in text(response)
    assert not FoilRequest.objects.exists()


def test_an_oversized_or_hostile_attachment_is_refused(db, settings):
    settings.CITYID_FOIL_ATTACHMENT_MAX_BYTES = 1024
    big = SimpleUploadedFile("big.pdf", b"%PDF-1.4\n" + b"0" * 2048, content_type="application/pdf")
    response = post_form(Client(), attachment=big)
    assert response.status_code == 400 and "larger than" in text(response)
    script = SimpleUploadedFile("x.pdf", b"<script>alert(1)</script>", content_type="application/pdf")
    response = post_form(Client(), attachment=script)
    assert response.status_code == 400 and "Attach a PDF, PNG or JPEG file" in text(response)
    assert not FoilRequest.objects.exists()


def test_attack_the_public_form_as_a_spam_cannon(db, settings):
    settings.CITYID_FOIL_SUBMISSION_LIMIT = (3, 3600)
    cannon = Client(REMOTE_ADDR="203.0.113.9")
    codes = [post_form(cannon).status_code for _ in range(6)]
    assert codes == [201, 201, 201, 429, 429, 429]
    assert "Too many requests" in text(post_form(cannon))
    assert FoilRequest.objects.count() == 3
    # Another client is not held up by the first.
    assert post_form(Client(REMOTE_ADDR="198.51.100.7")).status_code == 201
    # A robot filling the hidden field stores nothing.
    robot = Client(REMOTE_ADDR="192.0.2.1")
    assert post_form(robot, website="http://spam.example").status_code == 429
    assert FoilRequest.objects.count() == 4


def test_the_requester_sees_their_status_with_id_and_code(foil, submitted):
    client = Client()
    response = client.post("/foil/status/", {"public_id": foil.public_id, "access_code": submitted.access_code})
    assert response.status_code == 200
    page = text(response)
    assert foil.public_id in page and "Received" in page and "We received your request" in page
    for value in CANARY.values():
        assert value not in page  # the status page shows no contact details, not even to their owner


def test_attack_a_requester_reading_another_request(db, django_capture_on_commit_callbacks):
    from cityid.disclosure.services import FoilInput, submit_request

    mine = submit_request(data=FoilInput(**CANARY))
    theirs = submit_request(data=FoilInput(**dict(CANARY, name="Someone Else")))
    client = Client()
    response = client.post("/foil/status/", {"public_id": theirs.request.public_id, "access_code": mine.access_code})
    assert response.status_code == 404 and "No request has that id and access code" in text(response)
    forged = client.post("/foil/status/", {"public_id": "FOIL-2026-0069-99999", "access_code": mine.access_code})
    assert forged.status_code == 404 and text(forged).count("No request has that id") == 1
    # The status page takes nothing from the address bar.
    from_url = client.get(f"/foil/status/?public_id={mine.request.public_id}&access_code={mine.access_code}")
    assert from_url.status_code == 200 and 'id="foil-status"' not in text(from_url)


def test_attack_guessing_access_codes_is_rate_limited(foil, settings):
    settings.CITYID_FOIL_LOOKUP_LIMIT = (5, 3600)
    client = Client(REMOTE_ADDR="203.0.113.50")
    codes = [client.post("/foil/status/", {"public_id": foil.public_id, "access_code": f"guess{i}"}).status_code
             for i in range(7)]
    assert codes == [404] * 5 + [429] * 2


@pytest.mark.parametrize("role", sorted(ROLES))
def test_officer_pages_by_role(foil, staff, role):
    client = sign_in(staff[role])
    expected = 200 if role == "foil_officer" else 403
    assert client.get("/disclosure/foil/").status_code == expected
    assert client.get(f"/disclosure/foil/{foil.public_id}/").status_code == expected
    read = client.post(f"/disclosure/foil/{foil.public_id}/read/", {"purpose": "respond"})
    assert read.status_code == expected
    step = client.post(f"/disclosure/foil/{foil.public_id}/step/", {"step": "acknowledge"})
    assert step.status_code == (302 if role == "foil_officer" else 403)
    foil.refresh_from_db()
    assert foil.status == (FoilStatus.ACKNOWLEDGED if role == "foil_officer" else FoilStatus.RECEIVED)
    if role != "foil_officer":
        assert CANARY["name"] not in text(read)


def test_anonymous_visitors_are_sent_to_sign_in(foil):
    for path in ("/disclosure/foil/", f"/disclosure/foil/{foil.public_id}/"):
        response = Client().get(path)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_attack_forged_ids_are_404s(staff, foil):
    client = sign_in(staff["foil_officer"])
    for forged in ("FOIL-2026-0069-99999", "FOIL-2026-0069-00001%27--", "x" * 300, "..%2F..%2Fetc"):
        assert client.get(f"/disclosure/foil/{forged}/").status_code == 404
        assert client.post(f"/disclosure/foil/{forged}/step/", {"step": "acknowledge"}).status_code == 404


def test_the_queue_lists_by_due_date_with_flags_and_empty_states(staff, foil):
    client = sign_in(staff["foil_officer"])
    page = text(client.get("/disclosure/foil/"))
    assert foil.public_id in page and "Overdue" in page  # received in September 2026, never acknowledged
    for value in CANARY.values():
        assert value not in page
    assert "No request is in this queue." in text(client.get("/disclosure/foil/?queue=appealed"))
    partial = client.get("/disclosure/foil/?queue=finished", HTTP_HX_REQUEST="true")
    assert "<html" not in text(partial) and "No request is in this queue." in text(partial)
    assert client.get("/disclosure/foil/?queue=<script>&page=-1").status_code == 200


def test_the_officer_works_a_request_through_the_pages(staff, foil):
    client = sign_in(staff["foil_officer"])
    url = f"/disclosure/foil/{foil.public_id}/"
    opened = client.post(url + "read/", {"purpose": "respond"})
    assert CANARY["name"] in text(opened) and CANARY["description"] in text(opened)
    assert AuditEntry.objects.filter(action="foil.read", target=foil.ref, purpose="respond").count() == 1
    assert client.post(url + "read/", {"purpose": "gossip"}).status_code == 400
    past = client.post(url + "step/", {"step": "extend", "extend-date_certain": "2020-01-06",
                                       "extend-reason": "volume"})
    assert past.status_code == 400 and "must be in the future" in text(past)
    no_reason = client.post(url + "step/", {"step": "extend", "extend-date_certain": "2027-03-01"})
    assert no_reason.status_code == 400 and "This field is required" in text(no_reason)
    bare = client.post(url + "step/", {"step": "determine", "determine-outcome": "denied"})
    assert bare.status_code == 400 and "must cite at least one exemption" in text(bare)
    done = client.post(url + "step/", {"step": "determine", "determine-outcome": "denied",
                                       "determine-exemptions": ["87_2_b", "87_2_f"]}, follow=True)
    page = text(done)
    assert "The determination is made" in page and "You may appeal this denial within 30 days" in page
    assert "§87(2)(b)" in page and "§87(2)(f)" in page
    foil.refresh_from_db()
    assert foil.status == FoilStatus.DENIED
    assert client.post(url + "step/", {"step": "explode"}).status_code == 302


def test_pages_in_spanish(staff, foil):
    client = sign_in(staff["foil_officer"])
    client.cookies["django_language"] = "es"
    assert "Solicitudes FOIL" in text(client.get("/disclosure/foil/"))
    public = Client()
    public.cookies["django_language"] = "es"
    assert "Solicitar registros públicos" in text(public.get("/foil/"))
    refused = public.post("/foil/", {**CANARY, "email": "", "address": ""})
    assert "Indique un correo electrónico o una dirección postal" in text(refused)


def test_the_requester_appeals_a_denial_on_the_status_page(foil, submitted, staff):
    from datetime import timedelta

    from django.utils import timezone

    from cityid.disclosure.selectors import current_calendar
    from cityid.disclosure.services import Step, change_status

    today = current_calendar().local_date(timezone.now())
    change_status(foil, "determine", by=staff["foil_officer"], today=today - timedelta(days=3),
                  step=Step(outcome="denied", exemptions=["87_2_b"]))
    client = Client()
    login = {"public_id": foil.public_id, "access_code": submitted.access_code}
    page = text(client.post("/foil/status/", login))
    assert "Appeal the denial" in page and "You may appeal this denial within 30 days" in page
    appealed = client.post("/foil/status/", {**login, "appeal": "1"})
    assert appealed.status_code == 200 and "We received your appeal" in text(appealed)
    foil.refresh_from_db()
    assert foil.status == FoilStatus.APPEALED and foil.appeal_filed_on == today
    assert foil.appeal_due > today and foil.appeal_due <= today + timedelta(days=20)
    assert "Appeal the denial" not in text(appealed)


def test_the_queue_is_paginated(staff):
    from datetime import datetime, timedelta

    from cityid.disclosure.services import FoilInput, submit_request
    from tests.disclosure.conftest import NY

    start = datetime(2026, 10, 1, 9, 0, tzinfo=NY)
    ids = [submit_request(data=FoilInput(**CANARY), received_at=start + timedelta(hours=i)).request.public_id
           for i in range(27)]
    client = sign_in(staff["foil_officer"])
    first = text(client.get("/disclosure/foil/?queue=all"))
    second = text(client.get("/disclosure/foil/?queue=all&page=2"))
    assert "27 requests" in first and ids[0] in first and ids[-1] not in first
    assert ids[-1] in second and ids[0] not in second
    assert 'aria-label="Pagination"' in first
