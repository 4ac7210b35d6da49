"""Failed sign-ins naming no staff account are counted per day, not logged one audit entry each
(issue 8: 50 anonymous POSTs made 50 permanent leaves); failures against real accounts stay logged."""

from __future__ import annotations

from datetime import date, timedelta

from django.test import Client

from cityid.accounts.selectors import unknown_sign_in_failures
from cityid.accounts.services import count_unknown_sign_in_failure
from cityid.audit.models import AuditEntry
from tests.accounts.test_policy import _post_login, _with_password
from tests.audit.helpers import sign_in


def test_fifty_anonymous_failures_add_no_leaf_and_are_counted(db):
    before = AuditEntry.objects.count()
    client = Client()
    for attempt in range(50):
        username = "" if attempt % 10 == 0 else f"nosuchuser{attempt}"
        response = client.post("/accounts/login/", {"username": username, "password": "x", "otp_token": "123456"})
        assert response.status_code in (200, 429)  # the address is locked after 20; still counted
    assert AuditEntry.objects.count() == before
    assert unknown_sign_in_failures()["today"] == 50


def test_a_failure_against_a_real_account_is_logged(staff):
    clerk = _with_password(staff["clerk"])
    before = AuditEntry.objects.filter(action="login.failure").count()
    assert _post_login(Client(), clerk, password="wrong horse battery 9").status_code == 200
    assert AuditEntry.objects.filter(action="login.failure").count() == before + 1
    assert unknown_sign_in_failures()["today"] == 0


def test_a_locked_out_client_adds_no_leaf_per_request_against_a_real_account(staff, settings):
    """Anyone who knows one username could otherwise grow the log without end: each POST after the
    lockout is refused unchecked, yet used to add a permanent leaf. The failures checked are logged."""
    clerk = _with_password(staff["clerk"])
    client = Client()
    statuses = [_post_login(client, clerk, password="wrong horse battery 9").status_code for _ in range(30)]
    assert statuses.count(429) >= 30 - settings.AXES_FAILURE_LIMIT
    assert AuditEntry.objects.filter(action="login.failure").count() == settings.AXES_FAILURE_LIMIT


def test_an_inactive_account_is_a_real_account(staff):
    clerk = staff["clerk"]
    clerk.is_active = False
    clerk.save()
    Client().post("/accounts/login/", {"username": clerk.username, "password": "x", "otp_token": "123456"})
    assert AuditEntry.objects.filter(action="login.failure").count() == 1
    assert unknown_sign_in_failures()["today"] == 0


def test_the_count_is_per_day_and_summed_over_the_period(db):
    today = date(2026, 12, 2)
    for days_ago, times in ((0, 3), (1, 2), (29, 4), (30, 7)):
        for _ in range(times):
            count_unknown_sign_in_failure(day=today - timedelta(days=days_ago))
    assert unknown_sign_in_failures(today=today) == {"today": 3, "period": 9, "days": 30}


def test_the_auditor_sees_the_count(staff):
    for _ in range(3):
        Client().post("/accounts/login/", {"username": "ghost", "password": "x", "otp_token": "123456"})
    response = sign_in(staff["auditor"]).get("/audit/events/")
    assert response.status_code == 200
    line = response.content.decode().split('id="unknown-sign-ins"')[1].split("</p>")[0]
    assert "3 today" in line and "3 in the last 30 days" in line
