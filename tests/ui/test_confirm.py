"""Final or destructive actions ask first: the POST without the confirmation changes nothing and shows what
will happen; the confirmation page posts the same fields again and only then is the action done."""

from __future__ import annotations

import re

import pytest

from cityid.accounts.models import User
from cityid.audit.models import AuditEntry
from cityid.cards.models import Card, CardStatus
from cityid.enrollment.models import Application, ApplicationStatus
from cityid.retention.models import Certificate, DispositionRequest
from tests.audit.helpers import sign_in
from tests.ui.site import seed_site

pytestmark = pytest.mark.django_db


def _hidden_fields(html: str) -> dict[str, list[str]]:
    fields: dict[str, list[str]] = {}
    for name, value in re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', html):
        fields.setdefault(name, []).append(value)
    return fields


def _confirm(client, path: str, data: dict[str, str]) -> tuple[str, object]:
    """Post without confirming, then post what the confirmation page would."""
    asked = client.post(path, data)
    assert asked.status_code == 200 and b"data-confirm" in asked.content
    html = asked.content.decode()
    fields = _hidden_fields(html)
    assert fields.pop("confirmed") == ["yes"]
    fields.pop("csrfmiddlewaretoken", None)
    fields.pop("next", None)  # the language switch's
    assert {name: values[0] for name, values in fields.items()} == data
    return html, client.post(path, {**fields, "confirmed": "yes"})


def test_every_final_action_asks_first_and_only_the_confirmation_acts(staff):
    site = seed_site(staff)
    by_path = {path: (data, who) for path, data, who in site.confirms}
    users = {**staff, "second_officer": site.second_officer}
    entries = AuditEntry.objects.count()

    card_path = next(p for p in by_path if p.startswith("/cards/"))
    card = Card.objects.get(pk=int(card_path.split("/")[2]))
    client = sign_in(users["supervisor"])
    html, done = _confirm(client, card_path, by_path[card_path][0])
    assert "Revoking is final" in html and "Suspected or confirmed fraud" in html
    card.refresh_from_db()
    assert done.status_code == 302 and card.status == CardStatus.REVOKED

    deny_path = next(p for p in by_path if p.startswith("/enrollment/"))
    waiting = Application.objects.get(public_id=deny_path.split("/")[3])
    html, done = _confirm(client, deny_path, by_path[deny_path][0])
    assert "The application is denied for: Applicant does not meet the age requirement." in html
    waiting.refresh_from_db()
    assert done.status_code == 302 and waiting.status == ApplicationStatus.DENIED

    approve_path = next(p for p in by_path if p.startswith("/retention/"))
    request = DispositionRequest.objects.get(pk=int(approve_path.split("/")[3]))
    html, done = _confirm(sign_in(users["second_officer"]), approve_path, {})
    assert "Destruction is final" in html
    request.refresh_from_db()
    assert done.status_code == 302 and request.approved_by == users["second_officer"]

    deactivate_path = next(p for p in by_path if p.startswith("/accounts/"))
    html, done = _confirm(sign_in(users["admin"]), deactivate_path, by_path[deactivate_path][0])
    assert "can no longer sign in" in html
    assert done.status_code == 302 and not User.objects.get(pk=staff["clerk"].pk).is_active
    assert AuditEntry.objects.count() > entries


def test_without_the_confirmation_nothing_happens(staff):
    site = seed_site(staff)
    users = {**staff, "second_officer": site.second_officer}
    certificates = Certificate.objects.count()
    clients = {who: sign_in(users[who]) for who in {who for _path, _data, who in site.confirms}}
    for path, data, who in site.confirms:
        response = clients[who].post(path, {**data, "confirmed": "no"})
        assert response.status_code == 200 and b"data-confirm" in response.content, path
    assert not Card.objects.filter(status=CardStatus.REVOKED).exists()
    assert Application.objects.filter(status=ApplicationStatus.DENIED).count() == 1  # the seeded one
    assert not AuditEntry.objects.filter(action__in=["card.revoke", "staff.deactivate"]).exists()
    assert DispositionRequest.objects.filter(approved_at=None).count() == 1
    assert Certificate.objects.count() == certificates
    assert User.objects.get(pk=staff["clerk"].pk).is_active
