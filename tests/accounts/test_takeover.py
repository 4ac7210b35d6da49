"""Issue #8, attack 3: one administrator defeats separation of duties.

Scripted as the attacker did it against the code before this change: deactivate → reactivate →
reset the authenticator of a supervisor (each step used to show the administrator a fresh one-time
password and TOTP secret), then sign in as the supervisor; and create a second records officer alone.
Now no password, secret or enrolment link reaches the administrator, and reactivation, resets and
privileged roles wait for a second, different administrator.
"""

from __future__ import annotations

import re

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from cityid.accounts import services
from cityid.accounts.models import ChangeRequest, ChangeStatus, EnrolmentLink, TOTPDevice
from cityid.accounts.policy import PRIVILEGED_ROLES, ROLES
from cityid.audit.models import AuditEntry
from tests.audit.helpers import LOGIN_URL, sign_in
from tests.conftest import complete_enrolment

pytestmark = pytest.mark.django_db

STAFF_URL = "/accounts/staff/"


def _seen_by_admin(*responses) -> str:
    return "\n".join(r.content.decode() + "".join(f"{k}: {v}" for k, v in r.items()) for r in responses)


def _tokens_in(mailbox) -> list[str]:
    return [m for mail in mailbox for m in re.findall(r"/accounts/enrol/([^/\s]+)/", mail.body)]


def test_single_admin_cannot_take_over_a_supervisor(staff, mailoutbox, django_capture_on_commit_callbacks):
    admin, supervisor = staff["admin"], staff["supervisor"]
    supervisor.email = "supervisor1@staff.example.invalid"
    supervisor.save()
    old_device = TOTPDevice.objects.get(user=supervisor)
    client = sign_in(admin)
    detail = f"{STAFF_URL}{supervisor.pk}/"
    with django_capture_on_commit_callbacks(execute=True):
        responses = [
            client.post(f"{detail}deactivate/", {"reason": "security", "confirmed": "yes"}, follow=True),
            client.post(f"{detail}reactivate/", follow=True),
            client.post(f"{detail}reset-mfa/", follow=True),
            client.get(detail), client.get(STAFF_URL),
        ]
    seen = _seen_by_admin(*responses)
    supervisor.refresh_from_db()
    # Deactivating takes access away and needs one administrator; bringing the account back does not.
    assert not supervisor.is_active
    assert ChangeRequest.objects.get(kind="reactivate", subject=supervisor).status == ChangeStatus.PENDING
    assert "second administrator must approve" in seen
    assert "reactivate it first" in seen  # the reset is refused while the account is deactivated
    assert mailoutbox == [] and not EnrolmentLink.objects.filter(user=supervisor, used_at=None).exists()
    assert "/accounts/enrol/" not in seen and "otpauth" not in seen.lower()
    assert old_device.secret not in seen

    # The administrator cannot approve their own request, from the page or the command line.
    change = ChangeRequest.objects.get(kind="reactivate", subject=supervisor)
    refused = client.post(f"{STAFF_URL}changes/{change.pk}/approve/", follow=True)
    assert "a different administrator must approve" in refused.content.decode()
    with pytest.raises(services.StaffRefused):
        services.approve_change(request_id=change.pk, by=admin)
    supervisor.refresh_from_db()
    assert not supervisor.is_active

    # Nothing the administrator holds signs in as the supervisor.
    response = Client().post(LOGIN_URL, {"username": supervisor.username, "password": "correct horse battery 9",
                                         "otp_token": "123456"})
    assert response.status_code == 200 and "_auth_user_id" not in Client().session


def test_second_admin_approves_and_the_link_goes_to_the_staff_member_only(
        staff, mailoutbox, django_capture_on_commit_callbacks):
    admin, supervisor = staff["admin"], staff["supervisor"]
    supervisor.email = "supervisor1@staff.example.invalid"
    supervisor.save()
    second = complete_enrolment(services.create_staff(username="admin2", role="admin"))
    services.deactivate_staff(supervisor, by=admin, reason="leave")
    change = services.reactivate_staff(supervisor, by=admin)
    with pytest.raises(services.StaffRefused, match="already waiting"):
        services.reactivate_staff(supervisor, by=second)
    second_client = sign_in(second)
    with django_capture_on_commit_callbacks(execute=True):
        response = second_client.post(f"{STAFF_URL}changes/{change.pk}/approve/", follow=True)
    assert "Approved and done" in response.content.decode()
    supervisor.refresh_from_db()
    assert supervisor.is_active and not supervisor.has_usable_password()
    [mail] = mailoutbox
    assert mail.to == ["supervisor1@staff.example.invalid"]
    [token] = _tokens_in(mailoutbox)
    assert token not in response.content.decode()
    link = EnrolmentLink.objects.get(user=supervisor, used_at=None)
    assert (link.issued_by_id, link.approved_by_id) == (admin.pk, second.pk)
    approvals = AuditEntry.objects.filter(action__in=["staff.change_request", "staff.change_approve"])
    assert [(e.action, e.actor) for e in approvals.order_by("pk")] == [
        ("staff.change_request", f"staff:{admin.pk}"), ("staff.change_approve", f"staff:{second.pk}")]
    for entry in approvals:
        assert supervisor.username not in entry.purpose and supervisor.email not in entry.purpose
        assert token not in bytes(entry.entry).decode()


def test_subject_and_inactive_admins_cannot_approve(staff):
    admin = staff["admin"]
    second = complete_enrolment(services.create_staff(username="admin2", role="admin"))
    second.email = "admin2@staff.example.invalid"
    second.save()
    change = services.reset_mfa(second, by=admin)  # about the second administrator's own account
    with pytest.raises(services.StaffRefused, match="your own account"):
        services.approve_change(request_id=change.pk, by=second)
    with pytest.raises(services.PermissionDenied):
        services.approve_change(request_id=change.pk, by=staff["auditor"])
    third = complete_enrolment(services.create_staff(username="admin3", role="admin"))
    services.deactivate_staff(third, by=admin, reason="leave")
    third.refresh_from_db()
    with pytest.raises(services.PermissionDenied):
        services.approve_change(request_id=change.pk, by=third)
    assert ChangeRequest.objects.get(pk=change.pk).status == ChangeStatus.PENDING


def test_single_admin_cannot_create_a_second_records_officer(staff, mailoutbox):
    admin = staff["admin"]
    client = sign_in(admin)
    response = client.post(f"{STAFF_URL}new/", {"username": "officer2", "role": "records_officer",
                                                "email": "attacker@staff.example.invalid"}, follow=True)
    assert "second administrator must approve" in response.content.decode()
    assert not get_user_model().objects.filter(username="officer2").exists()
    assert mailoutbox == []
    # Nor by promoting an existing account, from the page or the command line.
    clerk = staff["foil_officer"]
    client.post(f"{STAFF_URL}{clerk.pk}/role/", {"role": "records_officer"})
    clerk.refresh_from_db()
    assert clerk.role == "foil_officer"
    assert ChangeRequest.objects.filter(status=ChangeStatus.PENDING).count() == 2
    # Withdrawn, the request can never be approved.
    change = ChangeRequest.objects.get(kind="create")
    services.withdraw_change(request_id=change.pk, by=admin)
    second = complete_enrolment(services.create_staff(username="admin2", role="admin"))
    with pytest.raises(services.StaffRefused, match="no longer waiting"):
        services.approve_change(request_id=change.pk, by=second)


def test_privileged_roles_are_listed_once_in_the_policy():
    assert {"records_officer", "counsel", "auditor", "admin"} <= PRIVILEGED_ROLES <= set(ROLES)


def test_an_expired_request_cannot_be_approved(staff, settings):
    from datetime import timedelta

    from django.utils import timezone

    admin = staff["admin"]
    second = complete_enrolment(services.create_staff(username="admin2", role="admin"))
    change = services.set_role(staff["foil_officer"], role="counsel", by=admin)
    ChangeRequest.objects.filter(pk=change.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    with pytest.raises(services.StaffRefused, match="expired"):
        services.approve_change(request_id=change.pk, by=second)
    assert ChangeRequest.objects.get(pk=change.pk).status == ChangeStatus.EXPIRED
    staff["foil_officer"].refresh_from_db()
    assert staff["foil_officer"].role == "foil_officer"


def test_email_change_needs_a_second_admin(staff, mailoutbox, django_capture_on_commit_callbacks):
    admin, clerk = staff["admin"], staff["clerk"]
    second = complete_enrolment(services.create_staff(username="admin2", role="admin"))
    change = services.change_email(clerk, email="attacker@staff.example.invalid", by=admin)
    clerk.refresh_from_db()
    assert clerk.email == "clerk1@staff.example.invalid"
    with django_capture_on_commit_callbacks(execute=True):
        services.approve_change(request_id=change.pk, by=second)
    clerk.refresh_from_db()
    assert clerk.email == "attacker@staff.example.invalid"
    assert mailoutbox == []  # a new address alone issues no link


def test_command_line_follows_the_same_rule_with_an_admin_actor(staff):
    import io

    from django.core.management import call_command
    from django.core.management.base import CommandError

    def run(*args):
        out = io.StringIO()
        call_command("staff", *args, stdout=out)
        return out.getvalue()

    complete_enrolment(services.create_staff(username="admin2", role="admin"))
    out = run("reset-mfa", "clerk1", "--actor", "admin1")
    assert "waits for a second administrator" in out and "secret" not in out.lower() and "http" not in out
    change = ChangeRequest.objects.get(kind="reset_mfa")
    with pytest.raises(CommandError, match="different administrator"):
        run("approve", str(change.pk), "--actor", "admin1")
    with pytest.raises(CommandError, match="permission"):
        run("approve", str(change.pk))  # the host operator does not approve: they act directly
    out = run("approve", str(change.pk), "--actor", "admin2")
    assert "approved and done" in out and "http" not in out
    assert not TOTPDevice.objects.filter(user=staff["clerk"]).exists()


@pytest.mark.parametrize("role", ["supervisor", "auditor", "records_officer"])
def test_other_roles_cannot_request_approve_or_withdraw(staff, role):
    admin = staff["admin"]
    change = services.set_role(staff["foil_officer"], role="counsel", by=admin)
    client = sign_in(staff[role])
    clerk = staff["clerk"]
    for url, data in ((f"{STAFF_URL}changes/{change.pk}/approve/", {}),
                      (f"{STAFF_URL}changes/{change.pk}/withdraw/", {}),
                      (f"{STAFF_URL}{clerk.pk}/email/", {"email": "x@staff.example.invalid"}),
                      (f"{STAFF_URL}{clerk.pk}/resend/", {}),
                      (f"{STAFF_URL}{clerk.pk}/reset-mfa/", {})):
        assert client.post(url, data).status_code == 403
    assert ChangeRequest.objects.get(pk=change.pk).status == ChangeStatus.PENDING
    assert ChangeRequest.objects.count() == 1


def test_unknown_or_garbage_change_ids_are_a_clear_refusal(staff):
    client = sign_in(staff["admin"])
    response = client.post(f"{STAFF_URL}changes/999999/approve/", follow=True)
    assert response.status_code == 200 and "no such change request" in response.content.decode()
    assert client.post(f"{STAFF_URL}changes/abc/approve/").status_code == 404


def test_an_admin_the_requester_made_cannot_approve_the_requesters_changes(
        staff, mailoutbox, django_capture_on_commit_callbacks):
    """Mallory gets one honest approval for a second administrator account with her own mailbox; from then
    on she would approve her own requests with it. An approver whose account the requester created, reset
    or changed in the last 30 days is not a second person."""
    from types import SimpleNamespace

    honest, supervisor = staff["admin"], staff["supervisor"]
    supervisor.email = "supervisor1@staff.example.invalid"
    supervisor.save()
    mallory = complete_enrolment(services.create_staff(username="mallory", role="admin"))
    with django_capture_on_commit_callbacks(execute=True):
        change = services.add_staff(username="mallory2", role="admin", email="m2@elsewhere.example.invalid",
                                    by=mallory)
        services.approve_change(request_id=change.pk, by=honest)
    puppet = complete_enrolment(SimpleNamespace(enrolment_url=f"/accounts/enrol/{_tokens_in(mailoutbox)[-1]}/"))
    assert puppet.username == "mallory2"
    reset = services.reset_mfa(supervisor, by=mallory)
    with pytest.raises(services.StaffRefused, match="different administrator"):
        services.approve_change(request_id=reset.pk, by=puppet)
    assert ChangeRequest.objects.get(pk=reset.pk).status == ChangeStatus.PENDING
    refused = sign_in(puppet).post(f"{STAFF_URL}changes/{reset.pk}/approve/", follow=True)
    assert "different administrator" in refused.content.decode()
    assert ChangeRequest.objects.get(pk=reset.pk).status == ChangeStatus.PENDING
    services.approve_change(request_id=reset.pk, by=honest)  # a second person still can


def test_a_single_admin_cannot_create_card_production_alone(staff, mailoutbox):
    """Card production lists card numbers: one administrator with their own mailbox must not get it alone."""
    client = sign_in(staff["admin"])
    response = client.post(f"{STAFF_URL}new/", {"username": "printer2", "role": "card_production",
                                                "email": "attacker@staff.example.invalid"}, follow=True)
    assert "second administrator must approve" in response.content.decode()
    assert not get_user_model().objects.filter(username="printer2").exists()
    assert mailoutbox == []

