"""The forced first password change: the one-time password (which the administrator saw) cannot be kept."""

from __future__ import annotations

from django.test import Client
from django_otp.oath import totp

from cityid.accounts.services import create_staff
from tests.conftest import complete_enrolment

LOGIN_URL = "/accounts/login/"
PASSWORD_URL = "/accounts/password/"


def _code(user) -> str:
    device = user.totpdevice_set.first()
    code = totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits, drift=device.drift)
    return f"{code:0{device.digits}d}"


def _first_sign_in(db) -> tuple[Client, object, str]:
    # An account from before enrolment links, still holding the one-time password an administrator saw.
    user = complete_enrolment(create_staff(username="newclerk", role="clerk"))
    one_time = "an old one-time password"
    user.set_password(one_time)
    user.must_change_password = True
    user.save()
    client = Client()
    response = client.post(LOGIN_URL, {"username": "newclerk", "password": one_time, "otp_token": _code(user)})
    assert response.status_code == 302 and response["Location"] == PASSWORD_URL
    return client, user, one_time


def test_one_time_password_cannot_be_kept(db):
    client, user, one_time = _first_sign_in(db)
    response = client.post(PASSWORD_URL, {"new_password1": one_time, "new_password2": one_time})
    assert response.status_code == 200
    assert b"usa-error-message" in response.content
    user.refresh_from_db()
    assert user.must_change_password
    # Still held on the password page.
    assert client.get("/enrollment/new/")["Location"] == PASSWORD_URL


def test_a_new_password_is_accepted(db):
    client, user, _one_time = _first_sign_in(db)
    fresh = "a fresh passphrase 42"
    response = client.post(PASSWORD_URL, {"new_password1": fresh, "new_password2": fresh})
    assert response.status_code == 302
    user.refresh_from_db()
    assert not user.must_change_password
    assert user.check_password(fresh)


# --- A voluntary change (issue 8): the current password first ---------------------------------------

def _signed_in_with_own_password(db) -> tuple[Client, object, str]:
    client, user, _one_time = _first_sign_in(db)
    own = "my own passphrase 2026"
    assert client.post(PASSWORD_URL, {"new_password1": own, "new_password2": own}).status_code == 302
    user.refresh_from_db()
    return client, user, own


def test_voluntary_change_without_the_current_password_is_refused(db):
    """Someone at a session left open cannot set a password of their own choosing (and so take the account)."""
    client, user, own = _signed_in_with_own_password(db)
    page = client.get(PASSWORD_URL)
    assert b'name="old_password"' in page.content
    taken = "the attackers passphrase 1"
    response = client.post(PASSWORD_URL, {"new_password1": taken, "new_password2": taken})
    assert response.status_code == 200 and b"usa-error-message" in response.content
    response = client.post(PASSWORD_URL, {"old_password": "a wrong guess 123", "new_password1": taken,
                                          "new_password2": taken})
    assert response.status_code == 200 and b"Your current password is not correct." in response.content
    user.refresh_from_db()
    assert user.check_password(own) and not user.check_password(taken)


def test_voluntary_change_with_the_current_password(db):
    client, user, own = _signed_in_with_own_password(db)
    fresh = "another fresh passphrase 7"
    response = client.post(PASSWORD_URL, {"old_password": own, "new_password1": fresh, "new_password2": fresh})
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password(fresh)
    assert client.get("/").status_code == 200  # the session survives its own password change


def test_guessing_the_current_password_hits_the_sign_in_lockout(db, settings):
    client, user, own = _signed_in_with_own_password(db)
    for attempt in range(settings.AXES_FAILURE_LIMIT):
        response = client.post(PASSWORD_URL, {"old_password": f"guess {attempt}", "new_password1": "x" * 14,
                                              "new_password2": "x" * 14})
    assert response.status_code == 429
    # Now even the right one is refused from this client.
    fresh = "another fresh passphrase 7"
    response = client.post(PASSWORD_URL, {"old_password": own, "new_password1": fresh, "new_password2": fresh})
    assert response.status_code == 429
    user.refresh_from_db()
    assert user.check_password(own)
