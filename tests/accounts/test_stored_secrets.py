"""A copy of the session and lockout tables signs no one in and tells nothing typed at sign-in.

Before this change the session table's keys were the cookies themselves (a copied row, replayed as a
cookie, opened every staff page, already past MFA), and django-axes kept each failed sign-in's form,
TOTP code included, with the user name in clear. These tests script those attacks.
"""

from __future__ import annotations

from axes.models import AccessAttempt, AccessLog
from django.conf import settings
from django.contrib.sessions.models import Session
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from tests.accounts.test_policy import LOGIN_URL, _current_code, _post_login, _sign_in, _with_password

STAFF_PAGE = "/enrollment/new/"


def _cookie(client: Client) -> str:
    return client.cookies[settings.SESSION_COOKIE_NAME].value


def test_the_session_table_holds_no_cookie(staff):
    client = Client()
    _sign_in(client, staff["supervisor"])
    assert client.get(STAFF_PAGE).status_code == 200
    cookie = _cookie(client)
    stored = list(Session.objects.values_list("session_key", flat=True))
    assert stored and cookie not in stored
    assert not any(cookie in row.session_data for row in Session.objects.all())
    # The attack: every key found in the table, replayed as a cookie, gets the sign-in page.
    for key in stored:
        thief = Client()
        thief.cookies[settings.SESSION_COOKIE_NAME] = key
        response = thief.get(STAFF_PAGE)
        assert response.status_code == 302 and response["Location"].startswith(LOGIN_URL)
    # The cookie itself still works for its holder.
    assert client.get(STAFF_PAGE).status_code == 200


def test_signing_out_and_clearsessions_remove_the_rows(staff):
    client = Client()
    _sign_in(client, staff["clerk"])
    assert Session.objects.count() == 1
    client.post("/accounts/logout/")
    assert Session.objects.count() == 0
    _sign_in(client, staff["supervisor"])  # another person: a TOTP code is good once
    Session.objects.update(expire_date=timezone.now() - timezone.timedelta(seconds=1))
    call_command("clearsessions")
    assert Session.objects.count() == 0
    assert client.get(STAFF_PAGE).status_code == 302


def test_deactivating_ends_the_sessions_of_that_person_only(staff):
    from cityid.accounts.services import deactivate_staff

    clerk, other = Client(), Client()
    _sign_in(clerk, staff["clerk"])
    _sign_in(other, staff["supervisor"])
    assert deactivate_staff(staff["clerk"], by=staff["admin"], reason="left") == 1
    assert clerk.get(STAFF_PAGE).status_code == 302
    assert other.get(STAFF_PAGE).status_code == 200


def test_the_lockout_table_keeps_no_code_password_or_user_name(staff):
    user = _with_password(staff["clerk"])
    code = _current_code(user, offset=500_000)
    _post_login(Client(), user, code=code)
    _post_login(Client(), user, password="Canarytypedpassword 7", code=code)
    client = Client()
    client.post(LOGIN_URL + "?next=/enrollment/", {"username": "Canarypassword typed as name", "password": "x",
                                                   "otp_token": "123456"})
    attempts = list(AccessAttempt.objects.all())
    assert attempts
    dump = "\n".join(f"{a.username} {a.get_data} {a.post_data} {a.path_info}" for a in attempts)
    for secret in (code, "Canarytypedpassword", "Canarypassword typed as name", user.username, "123456",
                   "/enrollment/"):
        assert secret not in dump
    assert all(a.get_data == "" and a.post_data == "" for a in attempts)
    assert not AccessLog.objects.exists()  # successful sign-ins are in the audit log, not in axes' tables


def test_lockout_still_counts_per_user_name_under_the_hash(staff):
    user = _with_password(staff["clerk"])
    for attempt in range(5):
        response = _post_login(Client(), user, password=f"wrong password {attempt}")
    assert response.status_code == 429
    assert _post_login(Client(), user).status_code == 429
    assert _post_login(Client(), _with_password(staff["supervisor"])).status_code == 302
