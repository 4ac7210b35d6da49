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
