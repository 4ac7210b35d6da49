"""Disposition approvers must be officers in their own right: holding the role since before the
request, and not holding an account the other approver created, reactivated or reset in the last
30 days (issue #8, attack 3: one administrator made a second records officer and shredded records)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.utils import timezone

from cityid.accounts import services as accounts
from cityid.accounts.models import ChangeRequest, EnrolmentLink
from cityid.retention import services
from cityid.retention.approvals import approve_request, request_disposition
from cityid.retention.services import RetentionError
from tests.conftest import complete_enrolment

pytestmark = pytest.mark.django_db

AS_OF = date(2026, 1, 31)


def _admin(username: str):
    return complete_enrolment(accounts.create_staff(username=username, role="admin"))


@pytest.fixture
def mallory_resets_the_officer(staff):
    """An administrator, Mallory, has the officer's authenticator reset (a second administrator
    approves, as the rule wants), then becomes a records officer herself (approved as well)."""
    admin1, officer = staff["admin"], staff["records_officer"]
    admin2, mallory = _admin("admin2"), _admin("mallory")
    officer.email = "officer1@staff.example.invalid"
    officer.save()
    reset = accounts.reset_mfa(officer, by=mallory)
    accounts.approve_change(request_id=reset.pk, by=admin1)
    promote = accounts.set_role(mallory, role="records_officer", by=admin2)
    accounts.approve_change(request_id=promote.pk, by=admin1)
    mallory.refresh_from_db()
    officer.refresh_from_db()
    return mallory, officer


def test_an_officer_reset_by_the_requester_cannot_approve(mallory_resets_the_officer):
    mallory, officer = mallory_resets_the_officer
    request = request_disposition(as_of=AS_OF, requested_by=mallory)
    with pytest.raises(RetentionError, match="created, reactivated or reset by mallory in the last 30 days"):
        approve_request(request_id=request.pk, approved_by=officer)
    with pytest.raises(RetentionError, match="reset by mallory"):  # nor both named on the command line
        services.run_disposition(as_of=AS_OF, approvers=[officer, mallory])


def test_the_rule_lapses_after_30_days(mallory_resets_the_officer):
    mallory, officer = mallory_resets_the_officer
    EnrolmentLink.objects.filter(user=officer).update(created_at=timezone.now() - timedelta(days=31))
    ChangeRequest.objects.filter(subject=officer).update(decided_at=timezone.now() - timedelta(days=31))
    request = request_disposition(as_of=AS_OF, requested_by=mallory)
    approved = approve_request(request_id=request.pk, approved_by=officer)
    assert approved.approved_by_id == officer.pk  # nothing was due: approved, nothing destroyed


def test_an_officer_created_by_the_approvers_admin_past_is_refused(staff):
    """The issue's attack: an administrator creates a second records officer and approves with it.
    Even with a second administrator's approval of the account, the creator cannot pair with it."""
    admin1 = staff["admin"]
    mallory = _admin("mallory")
    change = accounts.add_staff(username="officer2", role="records_officer", email="o2@staff.example.invalid",
                                by=mallory)
    accounts.approve_change(request_id=change.pk, by=admin1)
    promote = accounts.set_role(mallory, role="records_officer", by=admin1)
    accounts.approve_change(request_id=promote.pk, by=_admin("admin3"))
    mallory.refresh_from_db()
    officer2 = accounts.get_user_model().objects.get(username="officer2")
    request = request_disposition(as_of=AS_OF, requested_by=officer2)
    with pytest.raises(RetentionError, match="officer2's account was created, reactivated or reset by mallory"):
        approve_request(request_id=request.pk, approved_by=mallory)


def test_an_approver_who_got_the_role_after_the_request_cannot_approve(staff):
    veteran = complete_enrolment(accounts.create_staff(username="veteran", role="records_officer"))
    request = request_disposition(as_of=AS_OF, requested_by=staff["records_officer"])
    newcomer = staff["card_production"]
    accounts.set_role(newcomer, role="records_officer", by=None)  # the host operator, at once
    newcomer.refresh_from_db()
    with pytest.raises(RetentionError, match="became a records officer after this run was requested"):
        approve_request(request_id=request.pk, approved_by=newcomer)
    # An officer who held the role before the request approves.
    assert approve_request(request_id=request.pk, approved_by=veteran).approved_by_id == veteran.pk


def test_a_role_change_and_back_restarts_the_clock(staff):
    officer = staff["records_officer"]
    request = request_disposition(as_of=AS_OF, requested_by=officer)
    second = complete_enrolment(accounts.create_staff(username="officer2", role="records_officer"))
    type(request).objects.filter(pk=request.pk).update(created_at=timezone.now())
    accounts.set_role(second, role="clerk", by=None)
    accounts.set_role(second, role="records_officer", by=None)
    second.refresh_from_db()
    with pytest.raises(RetentionError, match="after this run was requested"):
        approve_request(request_id=request.pk, approved_by=second)


def test_an_officer_whose_email_the_requester_redirected_cannot_approve(staff):
    """The email-change path: Mallory has the officer's address changed to her own mailbox (a second
    administrator approves), then a different administrator has the authenticator reset, so the
    enrolment link goes to Mallory. No link names her as its issuer, yet she holds the account."""
    admin1, officer = staff["admin"], staff["records_officer"]
    admin2, mallory = _admin("admin2"), _admin("mallory")
    redirect = accounts.change_email(officer, email="mallory@elsewhere.example.invalid", by=mallory)
    accounts.approve_change(request_id=redirect.pk, by=admin1)
    officer.refresh_from_db()
    reset = accounts.reset_mfa(officer, by=admin2)
    accounts.approve_change(request_id=reset.pk, by=admin1)
    promote = accounts.set_role(mallory, role="records_officer", by=admin2)
    accounts.approve_change(request_id=promote.pk, by=admin1)
    mallory.refresh_from_db()
    officer.refresh_from_db()
    request = request_disposition(as_of=AS_OF, requested_by=mallory)
    with pytest.raises(RetentionError, match="officer's account was created, reactivated or reset by mallory"
                       .replace("officer's", f"{officer.username}'s")):
        approve_request(request_id=request.pk, approved_by=officer)
