"""Attacks on disclosure once every feature is merged: one administrator acting alone, counsel deciding a request
they logged, the public portal flooded from one address (behind the production proxy as well)."""

from __future__ import annotations

import json
from datetime import date

import pytest

from tests.audit.helpers import sign_in

pytestmark = pytest.mark.django_db


def _foil(name: str = "Requesterqzx Privatename"):
    from cityid.disclosure.services import FoilInput, submit_request

    return submit_request(data=FoilInput(name=name, email="qzxrequester@example.invalid",
                                         description="Counts of cards issued in 2026.")).request


def test_attack_one_administrator_cannot_make_a_foil_officer_and_read_requesters(staff, mailoutbox):
    """A FOIL officer opens what requesters wrote (name, email, address: sealed). An administrator alone creating
    one with their own address, or turning an account they hold into one, would read requesters' personal data
    without anybody else: both wait for a second administrator, from the page and from the command line."""
    from django.contrib.auth import get_user_model

    from cityid.accounts import services
    from cityid.accounts.models import ChangeRequest, ChangeStatus

    _foil()
    admin = staff["admin"]
    client = sign_in(admin)
    response = client.post("/accounts/staff/new/", {"username": "myfoil", "role": "foil_officer",
                                                    "email": "admin-own@staff.example.invalid"}, follow=True)
    assert "second administrator must approve" in response.content.decode()
    assert not get_user_model().objects.filter(username="myfoil").exists()
    assert mailoutbox == []
    card_production = staff["card_production"]
    assert services.set_role(card_production, role="foil_officer", by=admin) is not None
    card_production.refresh_from_db()
    assert card_production.role == "card_production"
    assert ChangeRequest.objects.filter(status=ChangeStatus.PENDING).count() == 2


def test_attack_counsel_cannot_decide_or_produce_what_they_logged(staff, enrolled):
    """Counsel logs a warrant naming an applicant and then tries to review, order and produce it alone: refused
    at each step (a second counsel decides); and nothing of the applicant is read."""
    from cityid.audit.models import AuditEntry
    from cityid.disclosure import law_enforcement_services as le
    from cityid.disclosure.law_enforcement import LawEnforcementError

    counsel = staff["counsel"]
    own = le.log_request(agency_type="local_police", legal_process="judicial_warrant", received_on=date(2026, 11, 24),
                         agency="Agency", officer="Officer", subjects=enrolled.applicant.ref, kinds=("record",),
                         logged_by=counsel, today=date(2026, 11, 25))
    for change in ("review", "produce", "refuse"):
        with pytest.raises(LawEnforcementError):
            le.change_request(request=own, change=change, by=counsel, ordered_subjects=enrolled.applicant.ref,
                              ordered_kinds=["record"])
    with pytest.raises(LawEnforcementError):
        le.produce_item(request=own, subject=enrolled.applicant.ref, kind="record", by=counsel)
    own.refresh_from_db()
    assert own.status == "logged"
    assert not AuditEntry.objects.filter(action="personal.read", actor=f"staff:{counsel.pk}").exists()
    # The same through the pages: the request page offers counsel no decision, and a forged POST changes nothing.
    client = sign_in(counsel)
    client.post(f"/law-enforcement/{own.public_id}/change/", {"change": "review", "confirmed": "yes"})
    client.post(f"/law-enforcement/{own.public_id}/produce/", {"subject": enrolled.applicant.ref, "kind": "record",
                                                              "confirmed": "yes"})
    own.refresh_from_db()
    assert own.status == "logged"


def test_attack_repeated_submissions_from_one_address_through_form_and_api_share_one_limit(db, settings):
    """Five submissions an hour per client, whether through the form or the API: alternating does not double it."""
    from cityid.disclosure.models import FoilRequest

    settings.CITYID_FOIL_SUBMISSION_LIMIT = (4, 3600)
    from django.core.cache import cache

    cache.clear()
    from django.test import Client

    client = Client()
    body = {"name": "Some requester", "email": "requester@example.invalid", "description": "Counts of cards."}
    statuses = []
    for n in range(8):
        if n % 2:
            statuses.append(client.post("/api/foil/requests", json.dumps(body),
                                        content_type="application/json").status_code)
        else:
            statuses.append(client.post("/foil/", body).status_code)
    assert statuses == [201] * 4 + [429] * 4
    assert FoilRequest.objects.count() == 4


def test_attack_behind_the_proxy_one_requester_cannot_lock_out_everyone(db, settings):
    """In production every request reaches cityid from the TLS proxy's address, and the client is the address
    the proxy appends to X-Forwarded-For (``CITYID_PROXY_COUNT``). One requester using up the limit must not
    refuse every other member of the public (a statutory right); nor may a requester escape the limit by
    writing their own X-Forwarded-For entries in front of the proxy's."""
    from django.core.cache import cache
    from django.test import Client

    settings.CITYID_FOIL_SUBMISSION_LIMIT = (2, 3600)
    settings.CITYID_PROXY_COUNT = 1
    cache.clear()
    body = json.dumps({"name": "Some requester", "email": "requester@example.invalid",
                       "description": "Counts of cards."})
    proxy = Client(REMOTE_ADDR="10.0.0.2")

    def submit(forwarded: str) -> int:
        return proxy.post("/api/foil/requests", body, content_type="application/json",
                          HTTP_X_FORWARDED_FOR=forwarded).status_code

    assert [submit("198.51.100.7") for _ in range(3)] == [201, 201, 429]
    assert submit("203.0.113.9") == 201  # someone else, through the same proxy
    assert submit("1.2.3.4, 198.51.100.7") == 429  # a forged leftmost entry changes nothing


def test_a_request_whose_record_was_destroyed_refuses_plainly(staff, enrolled):
    """Retention ran out for a law-enforcement request still being produced (its ``disclosure`` record's key is
    destroyed): producing, ordering, naming subjects or attaching a document is refused with a reason, logged,
    not a server error (the pages used to answer 500)."""
    from cityid.audit.models import AuditEntry
    from cityid.disclosure import law_enforcement_services as le
    from cityid.disclosure.law_enforcement import LawEnforcementError
    from cityid.vault import services as vault
    from tests.conftest import jpeg_bytes

    counsel = staff["counsel"]
    subject = enrolled.applicant.ref
    request = le.log_request(agency_type="local_police", legal_process="court_order", received_on=date(2026, 11, 24),
                             agency="Agency", officer="Officer", subjects=subject, kinds=("record",),
                             logged_by=staff["clerk"], today=date(2026, 11, 25))
    le.change_request(request=request, change="review", by=counsel)
    le.change_request(request=request, change="produce", by=counsel, ordered_subjects=subject,
                      ordered_kinds=["record"])
    request.record.refresh_from_db()
    vault.destroy_key(request.record.key_id)
    with pytest.raises(LawEnforcementError) as refused:
        le.produce_item(request=request, subject=subject, kind="record", by=counsel)
    assert refused.value.code == "record_destroyed"
    with pytest.raises(LawEnforcementError):
        le.attach_document(request=request, data=jpeg_bytes(), uploaded_by=staff["clerk"])
    assert AuditEntry.objects.filter(action="access.denied", target=request.ref,
                                     purpose="law_enforcement:record_destroyed").exists()
    client = sign_in(counsel)
    response = client.post(f"/law-enforcement/{request.public_id}/produce/",
                           {"subject": subject, "kind": "record", "confirmed": "yes"})
    assert response.status_code == 302
    assert "destroyed" in client.get(response["Location"]).content.decode()
