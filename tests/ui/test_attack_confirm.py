"""Attacks on the confirmation step of final actions: the confirming POST sent directly by a role that may not
act, by the one who asked (a records officer approving their own request), across sites (no CSRF token), or as a
GET. Each test fails if the final action happens."""

from __future__ import annotations

import pytest
from django.test import Client

from cityid.accounts.models import User
from cityid.audit.models import AuditEntry
from cityid.cards.models import Card, CardStatus
from cityid.enrollment.models import Application, ApplicationStatus
from cityid.retention.models import Certificate, DispositionRequest
from tests.audit.helpers import sign_in
from tests.ui.site import seed_site

pytestmark = pytest.mark.django_db


FINAL = ["card.revoke", "staff.deactivate", "disposition.approve", "application.deny", "partner.key_revoke",
         "match.decide", "cards.batch_printed", "law_enforcement.refuse", "law_enforcement.produce_item"]


def _finals() -> int:
    return AuditEntry.objects.filter(action__in=FINAL).count()


def _nothing_final_happened(staff, certificates: int, finals: int) -> None:
    assert not Card.objects.filter(status=CardStatus.REVOKED).exists()
    assert Application.objects.filter(status=ApplicationStatus.DENIED).count() == 1  # the seeded one
    assert DispositionRequest.objects.filter(approved_at=None).count() == 1
    assert Certificate.objects.count() == certificates
    assert User.objects.get(pk=staff["clerk"].pk).is_active
    assert _finals() == finals


def test_attack_confirmed_yes_from_every_other_role_acts_nowhere(staff):
    site = seed_site(staff)
    certificates = Certificate.objects.count()
    finals = _finals()
    clients: dict = {}
    for path, data, allowed_role in site.confirms:
        for role in staff:
            if role == allowed_role or (allowed_role == "second_officer" and role == "records_officer"):
                continue
            if role not in clients:
                clients[role] = sign_in(staff[role])
            response = clients[role].post(path, {**data, "confirmed": "yes"})
            assert response.status_code in (403, 404), (path, role, response.status_code)
        assert Client().post(path, {**data, "confirmed": "yes"}).status_code in (302, 403)  # anonymous
    _nothing_final_happened(staff, certificates, finals)


def test_attack_the_requesting_officer_cannot_approve_their_own_disposition(staff):
    site = seed_site(staff)
    certificates = Certificate.objects.count()
    finals = _finals()
    path = next(p for p, _d, who in site.confirms if who == "second_officer")
    sign_in(staff["records_officer"]).post(path, {"confirmed": "yes"})
    _nothing_final_happened(staff, certificates, finals)


def test_attack_confirmed_yes_without_a_csrf_token_or_as_a_get_acts_nowhere(staff):
    site = seed_site(staff)
    users = {**staff, "second_officer": site.second_officer}
    certificates = Certificate.objects.count()
    finals = _finals()
    clients = {who: sign_in(users[who]) for who in {who for _p, _d, who in site.confirms}}
    for path, data, who in site.confirms:
        signed_in = clients[who]
        cross_site = Client(enforce_csrf_checks=True)
        cross_site.cookies = signed_in.cookies
        assert cross_site.post(path, {**data, "confirmed": "yes"}).status_code == 403, path
        got = signed_in.get(path, {**data, "confirmed": "yes"})
        assert got.status_code in (200, 405), path
    _nothing_final_happened(staff, certificates, finals)


def test_attack_the_confirmation_page_echoes_fields_inert(staff):
    """A hostile value in the first POST comes back escaped in the hidden fields, never as markup."""
    site = seed_site(staff)
    path, data, who = next(c for c in site.confirms if c[0].startswith("/cards/"))
    page = sign_in(staff[who]).post(path, {**data, "revoke-note": '"><script>alert(1)</script>',
                                           '"><b>x</b>': "1"}).content.decode()
    assert "data-confirm" in page
    assert "<script>alert(1)</script>" not in page and "<b>x</b>" not in page


def test_attack_the_confirmation_page_cannot_be_framed_or_cached(staff):
    """Clickjacking would turn the confirmation into one click again; a cached page would keep what was typed."""
    site = seed_site(staff)
    users = {**staff, "second_officer": site.second_officer}
    clients = {who: sign_in(users[who]) for who in {who for _p, _d, who in site.confirms}}
    for path, data, who in site.confirms:
        page = clients[who].post(path, data)
        assert b"data-confirm" in page.content, path
        assert page["X-Frame-Options"] == "DENY" or "frame-ancestors 'none'" in page.get("Content-Security-Policy", "")
        assert "no-store" in page.get("Cache-Control", "") or "no-cache" in page.get("Cache-Control", ""), path


def test_attack_a_replayed_confirmation_acts_once(staff):
    """The confirming POST sent twice (a double click, a replay from the history): one final action, one entry."""
    site = seed_site(staff)
    users = {**staff, "second_officer": site.second_officer}
    clients = {who: sign_in(users[who]) for who in {who for _p, _d, who in site.confirms}}
    certificates = Certificate.objects.count()
    for path, data, who in site.confirms:
        before = _finals()
        first = clients[who].post(path, {**data, "confirmed": "yes"})
        after_first = _finals()
        second = clients[who].post(path, {**data, "confirmed": "yes"})
        handed_over = first.get("Content-Disposition", "").startswith("attachment;")  # a produced item
        assert (first.status_code == 302 or handed_over) and second.status_code < 500, path
        assert _finals() == after_first, path
        assert after_first > before, path
    assert Certificate.objects.count() <= certificates + 1
    assert AuditEntry.objects.filter(action="card.revoke").count() == 1
    assert AuditEntry.objects.filter(action="staff.deactivate").count() == 1
