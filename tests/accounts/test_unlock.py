"""A locked-out account shows as locked on the staff pages, and an administrator can unlock it (audited)."""

from __future__ import annotations

from django.test import Client

from cityid.audit.models import AuditEntry
from tests.accounts.test_lockout import ATTACKER, _from
from tests.accounts.test_policy import _assert_locked, _post_login, _with_password
from tests.audit.helpers import sign_in

STAFF_URL = "/accounts/staff/"


def _lock(user) -> Client:
    client = _from(ATTACKER)
    for attempt in range(5):
        response = _post_login(client, user, password=f"guess {attempt}")
    _assert_locked(response)
    return client


def test_a_locked_account_shows_locked_and_the_admin_unlocks_it(staff):
    clerk = _with_password(staff["clerk"])
    admin = sign_in(staff["admin"])
    detail = f"{STAFF_URL}{clerk.pk}/"
    assert b'data-status="locked"' not in admin.get(detail).content
    locked_client = _lock(clerk)

    listing = admin.get(STAFF_URL).content.decode()
    row = listing[listing.index(f'{detail}"'):]
    assert 'data-status="locked"' in row[:row.index("</tr>")]
    page = admin.get(detail).content.decode()
    assert 'data-status="locked"' in page and f'action="{detail}unlock/"' in page

    assert admin.get(f"{detail}unlock/").status_code == 405  # a POST only
    response = admin.post(f"{detail}unlock/", follow=True)
    assert "can sign in again" in response.content.decode()
    assert b'data-status="locked"' not in admin.get(detail).content
    event = AuditEntry.objects.get(action="staff.unlock")
    assert (event.actor, event.target) == (f"staff:{staff['admin'].pk}", f"staff:{clerk.pk}")
    clerk = _with_password(clerk)
    assert _post_login(locked_client, clerk).status_code == 302  # the right password works again from there


def test_only_administrators_unlock_and_with_a_csrf_token(staff):
    clerk = _with_password(staff["clerk"])
    _lock(clerk)
    url = f"{STAFF_URL}{clerk.pk}/unlock/"
    assert sign_in(staff["supervisor"]).post(url).status_code == 403
    admin = sign_in(staff["admin"])
    strict = Client(enforce_csrf_checks=True)
    strict.cookies = admin.cookies
    assert strict.post(url).status_code == 403
    assert not AuditEntry.objects.filter(action="staff.unlock").exists()
    assert b'data-status="locked"' in admin.get(f"{STAFF_URL}{clerk.pk}/").content
