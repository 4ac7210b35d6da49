"""The administrator manages staff: leavers are deactivated (sessions ended), returners reactivated.

Services, the ``cityid staff`` subcommands and the ``/accounts/staff/`` pages. Audit events name
staff only pseudonymously (``staff:<id>``) and carry a reason code, never a username.
"""

from __future__ import annotations

import io
import re

import pytest
from django.contrib.sessions.models import Session
from django.core.management import CommandError, call_command
from django.test import Client

from cityid.accounts import services
from cityid.accounts.management.commands.staff import Command
from cityid.accounts.models import TOTPDevice
from cityid.accounts.policy import ROLES, PermissionDenied
from cityid.accounts.selectors import pending_changes
from cityid.accounts.services import StaffRefused, deactivate_staff, reactivate_staff, reset_mfa, set_role
from cityid.audit.models import AuditEntry
from tests.audit.helpers import LOGIN_URL, PASSWORD, sign_in
from tests.conftest import complete_enrolment

pytestmark = pytest.mark.django_db

STAFF_URL = "/accounts/staff/"


def _sessions_of(user) -> int:
    return sum(1 for s in Session.objects.all() if s.get_decoded().get("_auth_user_id") == str(user.pk))


def _assert_pseudonymous(entry, *usernames: str) -> None:
    for field in ("actor", "target", "purpose", "role", "action", "outcome"):
        for name in usernames:
            assert name not in getattr(entry, field)
    for name in usernames:
        assert name.encode() not in bytes(entry.entry)


# --- services ------------------------------------------------------------------------------

def test_deactivate_ends_sessions_and_is_audited(staff):
    clerk, admin = staff["clerk"], staff["admin"]
    clerk_client, admin_client = sign_in(clerk), sign_in(admin)
    assert clerk_client.get("/").status_code == 200
    assert _sessions_of(clerk) == 1

    assert deactivate_staff(clerk, by=admin, reason="left") == 1

    clerk.refresh_from_db()
    assert not clerk.is_active
    assert _sessions_of(clerk) == 0
    response = clerk_client.get("/")
    assert response.status_code == 302 and response["Location"].startswith(LOGIN_URL)
    assert clerk_client.get("/enrollment/search/").status_code == 302
    assert admin_client.get(STAFF_URL).status_code == 200  # other people's sessions are untouched

    entry = AuditEntry.objects.get(action="staff.deactivate")
    # The reason is on the account row; the log says who deactivated whom, not why.
    assert (entry.actor, entry.target, entry.purpose) == (f"staff:{admin.pk}", f"staff:{clerk.pk}", "")
    clerk.refresh_from_db()
    assert clerk.deactivation_reason == "left"
    _assert_pseudonymous(entry, clerk.username, admin.username)


def test_deactivated_staff_cannot_sign_in(staff):
    clerk = staff["clerk"]
    sign_in(clerk)
    deactivate_staff(clerk, by=staff["admin"], reason="transfer")
    response = Client().post(LOGIN_URL, {"username": clerk.username, "password": PASSWORD, "otp_token": "000000"})
    assert response.status_code == 200  # the form again, not a redirect into the portal


def test_refusals(staff):
    admin = staff["admin"]
    with pytest.raises(StaffRefused, match="your own account"):
        deactivate_staff(admin, by=admin, reason="left")
    with pytest.raises(StaffRefused, match="last active administrator"):
        deactivate_staff(admin, by=None, reason="left")  # the host operator, the only admin
    with pytest.raises(StaffRefused, match="last active administrator"):
        set_role(admin, role="clerk", by=None)
    with pytest.raises(StaffRefused, match="reason"):
        deactivate_staff(staff["clerk"], by=admin, reason="fired for stealing from Jane Doe")
    with pytest.raises(PermissionDenied):
        deactivate_staff(staff["clerk"], by=staff["supervisor"], reason="left")
    with pytest.raises(PermissionDenied):
        reactivate_staff(staff["clerk"], by=staff["auditor"])
    with pytest.raises(StaffRefused, match="already active"):
        reactivate_staff(staff["clerk"], by=admin)
    with pytest.raises(StaffRefused, match="email address"):
        services.change_email(staff["clerk"], email="not an address", by=admin)
    deactivate_staff(staff["clerk"], by=admin, reason="left")
    with pytest.raises(StaffRefused, match="already deactivated"):
        deactivate_staff(staff["clerk"], by=admin, reason="left")
    with pytest.raises(StaffRefused, match="reactivate it first"):
        reset_mfa(staff["clerk"], by=admin)
    assert AuditEntry.objects.filter(action="staff.deactivate").count() == 1
    assert AuditEntry.objects.filter(action="access.denied", purpose="staff.manage").count() == 2


def test_an_admin_may_be_deactivated_while_another_remains(staff):
    second = complete_enrolment(services.create_staff(username="admin2", role="admin"))
    deactivate_staff(staff["admin"], by=second, reason="leave")
    staff["admin"].refresh_from_db()
    assert not staff["admin"].is_active


def test_reactivate_by_the_operator_issues_a_link_not_a_password(staff):
    clerk, admin = staff["clerk"], staff["admin"]
    deactivate_staff(clerk, by=admin, reason="leave")
    url = reactivate_staff(clerk, by=None)  # the host operator: done at once, the link printed once
    clerk.refresh_from_db()
    assert clerk.is_active and not clerk.has_usable_password()
    assert not TOTPDevice.objects.filter(user=clerk).exists()
    assert url.startswith("http") and "/accounts/enrol/" in url
    entry = AuditEntry.objects.get(action="staff.reactivate")
    assert entry.target == f"staff:{clerk.pk}"
    _assert_pseudonymous(entry, clerk.username, url.rsplit("/", 2)[-2])


def test_reset_mfa_removes_the_device_once_approved(staff):
    clerk = staff["clerk"]
    old = TOTPDevice.objects.get(user=clerk)
    second = complete_enrolment(services.create_staff(username="admin2", role="admin"))
    change = reset_mfa(clerk, by=staff["admin"])
    assert TOTPDevice.objects.filter(pk=old.pk).exists()  # nothing happens before the second approval
    services.approve_change(request_id=change.pk, by=second)
    assert not TOTPDevice.objects.filter(user=clerk).exists()
    clerk.refresh_from_db()
    assert not clerk.has_usable_password()
    assert AuditEntry.objects.filter(action="mfa.reset", target=f"staff:{clerk.pk}").exists()


# --- commands ------------------------------------------------------------------------------

def run(*args: str) -> str:
    out = io.StringIO()
    call_command("staff", *args, stdout=out)
    return out.getvalue()


def test_commands(staff):
    listing = run("list", "--actor", "admin1").splitlines()
    assert listing[0].split() == ["username", "role", "active", "last", "sign-in"]
    assert len(listing) == 1 + len(ROLES)
    assert run("list", "--role", "clerk").splitlines()[1].split()[:3] == ["clerk1", "clerk", "yes"]

    out = run("deactivate", "clerk1", "--reason", "left", "--actor", "admin1")
    assert "active:             no (left)" in out
    assert "clerk1  " in run("list", "--role", "clerk") and " no " in run("list", "--role", "clerk")

    out = run("reactivate", "clerk1", "--actor", "admin1")
    assert "waits for a second administrator" in out and "http" not in out
    staff["clerk"].refresh_from_db()
    assert not staff["clerk"].is_active
    assert "reactivate" in run("pending", "--actor", "admin1")

    out = run("reactivate", "clerk1")  # the host operator (who holds the keyring anyway)
    assert "enrolment link:     http" in out and "secret" not in out.lower()
    staff["clerk"].refresh_from_db()
    assert staff["clerk"].is_active


def test_command_refusals_are_one_line(staff):
    cases = [
        (("deactivate", "admin1", "--reason", "left", "--actor", "admin1"), "You cannot deactivate your own account."),
        (("deactivate", "admin1", "--reason", "left"), "last active administrator"),
        (("reactivate", "clerk1"), "This account is already active."),
        (("deactivate", "nobody", "--reason", "left"), "no staff account named 'nobody'"),
        (("deactivate", "clerk1", "--reason", "left", "--actor", "clerk1"), "permission denied"),
        (("list", "--actor", "auditor1"), "permission denied"),
    ]
    for args, message in cases:
        with pytest.raises(CommandError) as refused:
            call_command("staff", *args, stdout=io.StringIO())
        assert message in str(refused.value) and "\n" not in str(refused.value)
    staff["admin"].refresh_from_db()
    assert staff["admin"].is_active


def test_exit_status_from_the_command_line(staff, capsys, monkeypatch):
    from django.core.management import base

    monkeypatch.setattr(base.connections, "close_all", lambda: None)  # keep the test's transaction open
    with pytest.raises(SystemExit) as exited:
        Command().run_from_argv(["cityid", "staff", "deactivate", "admin1", "--reason", "left", "--actor", "admin1"])
    assert exited.value.code == 1
    captured = capsys.readouterr()
    assert captured.err.strip().splitlines() == ["cityid: You cannot deactivate your own account."]
    assert captured.out == ""
    Command().run_from_argv(["cityid", "staff", "deactivate", "clerk1", "--reason", "left", "--actor", "admin1"])
    assert "sessions ended:" in capsys.readouterr().out


# --- pages ---------------------------------------------------------------------------------

@pytest.mark.parametrize("role", sorted(set(ROLES) - {"admin"}))
def test_pages_are_admin_only(staff, role):
    client = sign_in(staff[role])
    clerk = staff["clerk"]
    assert client.get(STAFF_URL).status_code == 403
    assert client.get(f"{STAFF_URL}new/").status_code == 403
    assert client.get(f"{STAFF_URL}{clerk.pk}/").status_code == 403
    assert client.post(f"{STAFF_URL}{clerk.pk}/deactivate/", {"reason": "left", "confirmed": "yes"}).status_code == 403
    clerk.refresh_from_db()
    assert clerk.is_active


def test_signed_out_visitors_are_sent_to_sign_in(staff):
    response = Client().get(STAFF_URL)
    assert response.status_code == 302 and response["Location"].startswith(LOGIN_URL)


def test_admin_sees_the_staff_list_with_a_role_filter(staff):
    client = sign_in(staff["admin"])
    home = client.get("/").content.decode()
    assert f'href="{STAFF_URL}"' in home
    page = client.get(STAFF_URL).content.decode()
    assert "clerk1" in page and "auditor1" in page
    filtered = client.get(STAFF_URL, {"role": "auditor"}).content.decode()
    assert "auditor1" in filtered and "clerk1" not in filtered
    for n in range(30):
        services.create_staff(username=f"extra{n:02d}", role="clerk")
    first = client.get(STAFF_URL, {"role": "clerk"})
    assert first.context["page_obj"].paginator.count == 31
    assert "extra29" in client.get(STAFF_URL, {"role": "clerk", "page": 2}).content.decode()


def test_admin_creates_staff_and_never_sees_a_credential(staff, mailoutbox, django_capture_on_commit_callbacks):
    client = sign_in(staff["admin"])
    second = complete_enrolment(services.create_staff(username="admin2", role="admin"))
    assert client.get(f"{STAFF_URL}new/").status_code == 200
    response = client.post(f"{STAFF_URL}new/", {"username": "newprinter", "role": "foil_officer",
                                                "email": "newprinter@staff.example.invalid"}, follow=True)
    assert response.status_code == 200
    with django_capture_on_commit_callbacks(execute=True):  # every role waits for a second administrator
        services.approve_change(request_id=pending_changes().get().pk, by=second)
    user = services.get_user_model().objects.get(username="newprinter")
    assert user.role == "foil_officer" and not user.has_usable_password()
    assert AuditEntry.objects.filter(action="staff.create", target=f"staff:{user.pk}").exists()
    [mail] = mailoutbox
    assert mail.to == ["newprinter@staff.example.invalid"]
    token = re.search(r"/accounts/enrol/([^/\s]+)/", mail.body).group(1)
    body = response.content.decode()
    assert token not in body and "/accounts/enrol/" not in body and "secret" not in body.lower()
    assert token not in client.get(f"{STAFF_URL}{user.pk}/").content.decode()

    duplicate = client.post(f"{STAFF_URL}new/", {"username": "NewPrinter", "role": "foil_officer",
                                                 "email": "b@staff.example.invalid"})
    assert duplicate.status_code == 200 and "already exists" in duplicate.content.decode()
    assert client.post(f"{STAFF_URL}new/", {"username": "x y", "role": "clerk", "email": "c@staff.example.invalid"}
                       ).status_code == 200
    assert not services.get_user_model().objects.filter(username="x y").exists()
    assert len(mailoutbox) == 1


def test_admin_changes_role_deactivates_and_asks_to_reactivate(staff):
    admin, clerk = staff["admin"], staff["clerk"]
    client = sign_in(admin)
    clerk_client = sign_in(clerk)
    detail = f"{STAFF_URL}{clerk.pk}/"

    second = complete_enrolment(services.create_staff(username="admin2", role="admin"))
    response = client.post(f"{detail}role/", {"role": "foil_officer"}, follow=True)
    assert "second administrator must approve" in response.content.decode()
    services.approve_change(request_id=pending_changes().get().pk, by=second)
    clerk.refresh_from_db()
    assert clerk.role == "foil_officer"

    assert client.post(f"{detail}deactivate/", {"reason": ""}).status_code == 200  # form error, nothing done
    response = client.post(f"{detail}deactivate/", {"reason": "left", "confirmed": "yes"}, follow=True)
    assert "deactivated and has been signed out" in response.content.decode()
    clerk.refresh_from_db()
    assert not clerk.is_active
    assert clerk_client.get("/").status_code == 302

    response = client.post(f"{detail}reactivate/", follow=True)
    assert "second administrator must approve" in response.content.decode()
    assert 'id="pending-changes"' in response.content.decode()
    clerk.refresh_from_db()
    assert not clerk.is_active


def test_admin_is_refused_on_their_own_account(staff):
    admin = staff["admin"]
    client = sign_in(admin)
    page = client.get(f"{STAFF_URL}{admin.pk}/").content.decode()
    assert f'action="{STAFF_URL}{admin.pk}/deactivate/"' not in page
    response = client.post(f"{STAFF_URL}{admin.pk}/deactivate/", {"reason": "left", "confirmed": "yes"}, follow=True)
    assert "You cannot deactivate your own account." in response.content.decode()
    response = client.post(f"{STAFF_URL}{admin.pk}/role/", {"role": "clerk"}, follow=True)
    assert "last active administrator" in response.content.decode()
    admin.refresh_from_db()
    assert admin.is_active and admin.role == "admin"


def test_posts_need_a_csrf_token(staff):
    admin, clerk = staff["admin"], staff["clerk"]
    client = sign_in(admin)
    strict = Client(enforce_csrf_checks=True)
    strict.cookies = client.cookies
    url = f"{STAFF_URL}{clerk.pk}/deactivate/"
    assert strict.post(url, {"reason": "left"}).status_code == 403
    clerk.refresh_from_db()
    assert clerk.is_active
    page = strict.get(f"{STAFF_URL}{clerk.pk}/").content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    assert strict.post(url, {"reason": "left", "confirmed": "yes", "csrfmiddlewaretoken": token}).status_code == 302
    clerk.refresh_from_db()
    assert not clerk.is_active


def test_pages_show_no_applicant_data(staff, enrolled):
    client = sign_in(staff["admin"])
    for url in (STAFF_URL, f"{STAFF_URL}new/", f"{STAFF_URL}{staff['clerk'].pk}/"):
        body = client.get(url).content
        assert b"Canaryname" not in body and b"Testperson" not in body


def test_spanish_pages(staff):
    client = sign_in(staff["admin"])
    client.post("/i18n/setlang/", {"language": "es", "next": STAFF_URL})
    response = client.post(f"{STAFF_URL}{staff['admin'].pk}/deactivate/", {"reason": "left", "confirmed": "yes"},
                           follow=True)
    assert "No puede desactivar su propia cuenta." in response.content.decode()
