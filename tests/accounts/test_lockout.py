"""Sign-in limits per client as well as per username (issue 8): one client cannot lock out every
account, and one client cannot try many usernames for long."""

from __future__ import annotations

import pytest
from django.test import Client, RequestFactory

from cityid.accounts.lockout import client_ip
from tests.accounts.test_policy import _assert_locked, _current_code, _post_login, _with_password

ATTACKER = "203.0.113.66"
DESK = "198.51.100.7"


def _from(address: str) -> Client:
    return Client(REMOTE_ADDR=address)


def test_an_attacker_locking_a_username_does_not_lock_its_owner_out(staff):
    """Five wrong passwords for "supervisor1" from the attacker's address (enough, before, to lock the
    account everywhere for 30 minutes) lock only that address."""
    supervisor = _with_password(staff["supervisor"])
    attacker = _from(ATTACKER)
    for attempt in range(5):
        response = _post_login(attacker, supervisor, password=f"guess {attempt}")
    _assert_locked(response)
    _assert_locked(_post_login(attacker, supervisor))  # even the right password, from there
    desk = _from(DESK)
    response = _post_login(desk, supervisor)
    assert response.status_code == 302
    assert desk.session.get("_auth_user_id") == str(supervisor.pk)


def test_one_client_trying_many_usernames_is_locked(staff, settings):
    """Password spraying: fewer than five tries per username, but twenty in all from one address."""
    assert settings.CITYID_LOCKOUT_CLIENT_FAILURES == 20
    clerk = _with_password(staff["clerk"])
    attacker = _from(ATTACKER)
    usernames = [user.username for user in staff.values()] + [f"guess{n}" for n in range(20)]
    for attempt in range(20):
        response = attacker.post("/accounts/login/", {"username": usernames[attempt], "password": "Summer2026!",
                                                      "otp_token": "123456"})
        assert response.status_code == (200 if attempt < 19 else 429), attempt
    # The address is locked for every account, the right credentials included ...
    _assert_locked(_post_login(attacker, clerk))
    assert "_auth_user_id" not in attacker.session
    # ... and nobody else is.
    assert _post_login(_from(DESK), clerk).status_code == 302


def test_a_shared_center_address_survives_a_few_typos(staff):
    """Clerks of one enrollment center share an address: four typos each by three of them lock nobody."""
    center = "192.0.2.10"
    people = [_with_password(staff[role]) for role in ("clerk", "supervisor", "fraud_analyst")]
    for person in people:
        for attempt in range(4):
            assert _post_login(_from(center), person, password=f"typo {attempt}").status_code == 200
    assert _post_login(_from(center), people[0]).status_code == 302


# --- The client address behind the proxy ------------------------------------------------------------

def _request(remote: str, forwarded: str | None = None):
    extra = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().get("/", **extra)


def test_without_a_proxy_forwarded_for_is_ignored(settings):
    settings.CITYID_PROXY_COUNT = 0
    assert client_ip(_request("198.51.100.7", "10.9.9.9")) == "198.51.100.7"


@pytest.mark.parametrize(("forwarded", "expected"), [
    ("203.0.113.66", "203.0.113.66"),
    ("1.2.3.4, 203.0.113.66", "203.0.113.66"),  # the client wrote the first; the proxy appended the last
    ("", "127.0.0.1"),
    ("not-an-address", "127.0.0.1"),
])
def test_behind_one_proxy_the_address_it_saw_counts(settings, forwarded, expected):
    settings.CITYID_PROXY_COUNT = 1
    assert client_ip(_request("127.0.0.1", forwarded)) == expected


def test_behind_the_proxy_a_forged_forwarded_for_does_not_escape_the_limit(staff, settings):
    """All requests come from the proxy (127.0.0.1); an attacker varying the part of X-Forwarded-For
    they control is still one client, and other clients behind the same proxy are not locked."""
    settings.CITYID_PROXY_COUNT = 1
    supervisor = _with_password(staff["supervisor"])
    proxy = Client(REMOTE_ADDR="127.0.0.1")
    for attempt in range(5):
        response = proxy.post("/accounts/login/", {"username": supervisor.username, "password": f"guess {attempt}",
                                                   "otp_token": "123456"},
                              HTTP_X_FORWARDED_FOR=f"10.0.0.{attempt}, {ATTACKER}")
    _assert_locked(response)
    other = Client(REMOTE_ADDR="127.0.0.1")
    response = other.post("/accounts/login/", {"username": supervisor.username, "password": "correct horse battery 9",
                                               "otp_token": _current_code(supervisor)},
                          HTTP_X_FORWARDED_FOR=DESK)
    assert response.status_code == 302
