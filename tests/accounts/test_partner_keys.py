"""Partner API keys: hashed at rest, shown once, revocable; one administrator asks, a second approves.

Services, the ``cityid partner`` command and the ``/accounts/partners/`` page.
"""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command

from cityid.accounts import selectors, services
from cityid.accounts.models import PartnerKey, PartnerKeyStatus
from cityid.accounts.policy import PermissionDenied
from cityid.accounts.services import PartnerKeyRefused
from cityid.audit.models import AuditEntry
from tests.audit.helpers import sign_in
from tests.conftest import complete_enrolment

pytestmark = pytest.mark.django_db

PAGE = "/accounts/partners/"


@pytest.fixture
def second_admin(staff):
    return complete_enrolment(services.create_staff(username="admin2", role="admin",
                                                    email="admin2@staff.example.invalid"))


def _two_admin_key(staff, second_admin, name="Queens Library, Flushing"):
    request = services.add_partner_key(name=name, by=staff["admin"])
    return services.approve_partner_key(key_id=request.partner.pk, by=second_admin)


def test_an_administrator_asks_and_a_second_one_makes_the_key_shown_once(staff, second_admin):
    request = services.add_partner_key(name="First  Bank of Queens ", by=staff["admin"])
    assert request.key is None and request.partner.status == PartnerKeyStatus.PENDING
    assert request.partner.name == "First Bank of Queens"
    assert selectors.partner_for_key("cityid_x") is None

    made = services.approve_partner_key(key_id=request.partner.pk, by=second_admin)
    assert made.key and made.key.startswith("cityid_" + made.partner.prefix + "_")
    row = PartnerKey.objects.get(pk=made.partner.pk)
    assert row.status == PartnerKeyStatus.ACTIVE and row.approved_by == second_admin
    # Hashed at rest: no column holds the key or its secret part.
    secret = made.key.rsplit("_", 1)[1]
    for value in PartnerKey.objects.filter(pk=row.pk).values().first().values():
        text = bytes(value).hex() if isinstance(value, bytes | memoryview) else str(value)
        assert made.key not in text and secret not in text
    assert selectors.partner_for_key(made.key) == row
    actions = list(AuditEntry.objects.filter(target=row.ref).values_list("action", flat=True))
    assert actions == ["partner.key_request", "partner.key_create"]
    assert not AuditEntry.objects.filter(purpose__contains="Queens").exists()


def test_attack_a_single_administrator_cannot_make_a_key_alone(staff):
    request = services.add_partner_key(name="Acme Credit Union", by=staff["admin"])
    with pytest.raises(PartnerKeyRefused) as refused:
        services.approve_partner_key(key_id=request.partner.pk, by=staff["admin"])
    assert refused.value.code == "own_request"
    assert PartnerKey.objects.get(pk=request.partner.pk).key_hash is None
    for role in ("supervisor", "auditor", "clerk"):
        with pytest.raises(PermissionDenied):
            services.approve_partner_key(key_id=request.partner.pk, by=staff[role])
        with pytest.raises(PermissionDenied):
            services.add_partner_key(name="Side door", by=staff[role])


def test_attack_an_approver_made_by_the_requester_is_refused(staff):
    """An administrator whose account the requester created lately is not a second person."""
    created = services.add_staff(username="puppet", role="admin", email="puppet@staff.example.invalid",
                                 by=staff["admin"])
    other = complete_enrolment(services.create_staff(username="admin3", role="admin",
                                                     email="admin3@staff.example.invalid"))
    services.approve_change(request_id=created.pk, by=other)
    created.refresh_from_db()
    puppet = created.subject  # active, an administrator: its enrolment does not matter here
    request = services.add_partner_key(name="Acme Credit Union", by=staff["admin"])
    with pytest.raises(PartnerKeyRefused) as refused:
        services.approve_partner_key(key_id=request.partner.pk, by=puppet)
    assert refused.value.code == "issued_by_requester"


def test_revoking_takes_effect_at_once_and_needs_one_administrator(staff, second_admin):
    made = _two_admin_key(staff, second_admin)
    services.revoke_partner_key(key_id=made.partner.pk, by=staff["admin"])
    row = selectors.partner_for_key(made.key)
    assert row is not None and not row.active and row.status == PartnerKeyStatus.REVOKED
    with pytest.raises(PartnerKeyRefused):
        services.revoke_partner_key(key_id=made.partner.pk, by=staff["admin"])


def test_attack_keys_are_found_by_hash_not_by_prefix(staff, second_admin):
    """Another partner's prefix with one's own secret, the stored hash sent as a key, a truncated key: nothing."""
    first = _two_admin_key(staff, second_admin, "First Bank")
    second = _two_admin_key(staff, second_admin, "Second Bank")
    first_secret = first.key.rsplit("_", 1)[1]
    borrowed = f"cityid_{second.partner.prefix}_{first_secret}"
    stored = bytes(PartnerKey.objects.get(pk=first.partner.pk).key_hash)
    for attempt in (borrowed, stored.hex(), f"cityid_{first.partner.prefix}_{stored.hex()}", first.key[:-1],
                    first.key + "A", first.partner.prefix, "", "cityid_", "cityid__", "x" * 500):
        assert selectors.partner_for_key(attempt) is None, attempt
    assert selectors.partner_for_key(first.key).pk == first.partner.pk
    assert selectors.partner_for_key(second.key).pk == second.partner.pk


def test_withdraw_and_expiry(staff, second_admin, settings):
    request = services.add_partner_key(name="Library", by=staff["admin"])
    with pytest.raises(PartnerKeyRefused):
        services.add_partner_key(name="library", by=staff["admin"])  # one pending request per partner
    services.withdraw_partner_key(key_id=request.partner.pk, by=staff["admin"])
    with pytest.raises(PartnerKeyRefused):
        services.approve_partner_key(key_id=request.partner.pk, by=second_admin)
    settings.CITYID_CHANGE_REQUEST_HOURS = 0
    lapsed = services.add_partner_key(name="Library", by=staff["admin"])
    with pytest.raises(PartnerKeyRefused) as refused:
        services.approve_partner_key(key_id=lapsed.partner.pk, by=second_admin)
    assert refused.value.code == "expired"
    assert PartnerKey.objects.get(pk=lapsed.partner.pk).key_hash is None


# --- the command ---------------------------------------------------------------------------

def _run(*argv):
    out = io.StringIO()
    call_command("partner", *argv, stdout=out)
    return out.getvalue()


def test_command_add_approve_list_revoke(staff, second_admin):
    asked = _run("add", "Hospital North", "--actor", staff["admin"].username)
    assert "waits for a second administrator" in asked and "cityid_" not in asked
    key_id = PartnerKey.objects.get(name="Hospital North").pk
    with pytest.raises(CommandError):
        _run("approve", str(key_id), "--actor", staff["admin"].username)
    shown = _run("approve", str(key_id), "--actor", second_admin.username)
    key = next(line.split()[-1] for line in shown.splitlines() if line.startswith("key:"))
    assert selectors.partner_for_key(key).pk == key_id
    listing = _run("list")
    assert "Hospital North" in listing and "active" in listing and key not in listing
    _run("revoke", str(key_id), "--actor", staff["admin"].username)
    assert "revoked" in _run("list", "--status", "revoked")
    with pytest.raises(CommandError):
        _run("add", "Side door", "--actor", staff["supervisor"].username)


def test_command_host_operator_gets_the_key_at_once(db):
    shown = _run("add", "Demo partner")
    key = next(line.split()[-1] for line in shown.splitlines() if line.startswith("key:"))
    assert selectors.partner_for_key(key).active


# --- the page ------------------------------------------------------------------------------

def test_page_ask_approve_show_once_revoke(staff, second_admin):
    first, second = sign_in(staff["admin"]), sign_in(second_admin)
    response = first.post(PAGE, {"name": "Brooklyn Public Library"})
    assert response.status_code == 302
    partner = PartnerKey.objects.get(name="Brooklyn Public Library")
    page = first.get(PAGE).content.decode()
    assert "Brooklyn Public Library" in page and f"/accounts/partners/{partner.pk}/approve/" not in page

    shown = second.post(f"/accounts/partners/{partner.pk}/approve/")
    assert shown.status_code == 200 and "no-store" in shown["Cache-Control"]
    html = shown.content.decode()
    key = html.split('id="partner-key"', 1)[1].split(">", 1)[1].split("<", 1)[0]
    assert selectors.partner_for_key(key).pk == partner.pk
    # Never again: not on the list, not to the first administrator, not to the approver.
    assert key not in first.get(PAGE).content.decode() and key not in second.get(PAGE).content.decode()
    again = second.post(f"/accounts/partners/{partner.pk}/approve/")
    assert again.status_code == 302 and key not in second.get(PAGE).content.decode()

    confirm = first.post(f"/accounts/partners/{partner.pk}/revoke/")
    assert confirm.status_code == 200 and PartnerKey.objects.get(pk=partner.pk).active
    first.post(f"/accounts/partners/{partner.pk}/revoke/", {"confirmed": "yes"})
    assert not PartnerKey.objects.get(pk=partner.pk).active


def test_attack_the_page_is_for_administrators_only(staff):
    for role in ("supervisor", "auditor", "card_production"):
        client = sign_in(staff[role])
        assert client.get(PAGE).status_code == 403
        assert client.post(PAGE, {"name": "Side door"}).status_code == 403
    assert not PartnerKey.objects.exists()
