"""The role × action policy (DESIGN.md §2) and its enforcement in services, commands and views."""

from __future__ import annotations

import io
from datetime import date

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from cityid.accounts.policy import OPERATOR, POLICY, ROLES, PermissionDenied, allowed, roles_for
from cityid.audit.models import AuditEntry
from cityid.enrollment.models import Applicant, ApplicationStatus
from tests.conftest import make_input

ALL_ROLES = frozenset(ROLES)

#: The policy written out independently of ``POLICY``: a change to one must be made to the other.
EXPECTED: dict[str, frozenset[str]] = {
    "enrollment.create": frozenset({"clerk", "supervisor"}),
    "enrollment.search": frozenset({"clerk", "supervisor"}),
    "enrollment.read_personal": frozenset({"clerk", "supervisor"}),
    "enrollment.read_closed": frozenset({"supervisor"}),
    "enrollment.assign": frozenset({"supervisor"}),
    "enrollment.read_alerts": frozenset({"supervisor", "auditor"}),
    "enrollment.queue": frozenset({"supervisor"}),
    "enrollment.decide": frozenset({"supervisor"}),
    "enrollment.import": frozenset({"supervisor"}),
    "enrollment.seed": frozenset(),
    "keys.rotate": frozenset(),
    "enrollment.clean": frozenset(),
    "subject.export": frozenset({"records_officer"}),
    "staff.manage": frozenset({"admin"}),
    "staff.approve_change": frozenset({"admin"}),
    "partners.manage": frozenset({"admin"}),
    "audit.read": frozenset({"auditor"}),
    "cards.produce": frozenset({"card_production"}),
    "cards.read": frozenset({"supervisor", "card_production"}),
    "cards.status": frozenset({"supervisor"}),
    "cards.replace": frozenset({"supervisor"}),
    "cards.renew": frozenset({"supervisor"}),
    "cards.rotate_keys": frozenset(),
    "retention.read": frozenset({"records_officer", "counsel", "auditor"}),
    "retention.schedule": frozenset({"records_officer"}),
    "retention.dispose": frozenset({"records_officer"}),
    "retention.hold": frozenset({"counsel"}),
    "law_enforcement.log": frozenset({"clerk", "supervisor", "counsel"}),
    "law_enforcement.read": frozenset({"clerk", "supervisor", "counsel"}),
    "law_enforcement.decide": frozenset({"counsel"}),
    "law_enforcement.produce": frozenset({"counsel"}),
    "foil.queue": frozenset({"foil_officer"}),
    "foil.read": frozenset({"foil_officer"}),
    "foil.manage": frozenset({"foil_officer"}),
    "foil.appeal": frozenset({"foil_officer"}),
    "stats.read": ALL_ROLES,
    "matching.review": frozenset({"fraud_analyst"}),
    "enrollment.read_by_reason": frozenset({"fraud_analyst"}),
    "enrollment.match_read": frozenset(),
    "matching.index": frozenset(),
    "reports.publish": frozenset({"foil_officer"}),
    "reports.budget": frozenset(),
}

#: Actions that reveal personal data: separation of duties keeps these roles away from all of them.
PERSONAL_ACTIONS = ("enrollment.search", "enrollment.read_personal", "enrollment.read_closed", "enrollment.queue",
                    "enrollment.decide", "enrollment.assign", "enrollment.create", "enrollment.import",
                    "subject.export")
NO_PERSONAL_DATA = ("auditor", "admin", "card_production")

TODAY = date(2026, 11, 20)
PASSWORD = "correct horse battery 9"


# --- the table ---------------------------------------------------------------------------

def test_table_covers_every_action():
    assert set(POLICY) == set(EXPECTED), "POLICY and the expected table in this test disagree on the actions"
    for action, roles in POLICY.items():
        assert roles <= ALL_ROLES, f"{action} names an unknown role"


@pytest.mark.parametrize("role", sorted(ROLES))
@pytest.mark.parametrize("action", sorted(POLICY))
def test_allowed_matches_table(action, role):
    assert action in EXPECTED, f"add {action!r} to EXPECTED in this test"
    assert allowed(role, action) is (role in EXPECTED[action])


@pytest.mark.parametrize("action", sorted(POLICY))
def test_operator_allowed_and_nobody_denied(action):
    assert allowed(OPERATOR, action)
    assert not allowed(None, action)
    assert not allowed("", action)
    assert not allowed("mayor", action)
    assert roles_for(action) == sorted(EXPECTED[action])


def test_unknown_action_is_an_error():
    with pytest.raises(KeyError):
        allowed("clerk", "enrollment.frobnicate")


@pytest.mark.parametrize("role", NO_PERSONAL_DATA)
def test_separation_of_duties(role):
    for action in PERSONAL_ACTIONS:
        assert not allowed(role, action), f"{role} must not {action}"


# --- services ----------------------------------------------------------------------------

def _denials(user) -> int:
    entries = AuditEntry.objects.filter(action="access.denied", actor=f"staff:{user.pk}", outcome="denied")
    return entries.count()


@pytest.mark.parametrize("role", sorted(ROLES))
def test_enroll_by_role(staff, role):
    from cityid.enrollment.services import enroll

    user = staff[role]
    if role in {"clerk", "supervisor"}:
        application = enroll(data=make_input(), enrolled_by=user, today=TODAY)
        assert application.enrolled_by == user
        assert Applicant.objects.count() == 1
        assert _denials(user) == 0
    else:
        with pytest.raises(PermissionDenied):
            enroll(data=make_input(), enrolled_by=user, today=TODAY)
        assert Applicant.objects.count() == 0
        assert _denials(user) == 1
        assert AuditEntry.objects.get(action="access.denied").purpose == "enrollment.create"


def test_enroll_by_inactive_user_denied(staff):
    from cityid.enrollment.services import enroll

    clerk = staff["clerk"]
    clerk.is_active = False
    clerk.save()
    with pytest.raises(PermissionDenied):
        enroll(data=make_input(), enrolled_by=clerk, today=TODAY)
    assert Applicant.objects.count() == 0


@pytest.mark.parametrize("role", sorted(ROLES))
def test_decide_only_by_supervisor(staff, enrolled, role):
    from cityid.enrollment.services import decide

    user = staff[role]
    if role == "supervisor":
        decided = decide(application=enrolled, approve=True, decided_by=user)
        assert decided.status == ApplicationStatus.APPROVED
        assert decided.decided_by == user
    else:
        with pytest.raises(PermissionDenied):
            decide(application=enrolled, approve=True, decided_by=user)
        enrolled.refresh_from_db()
        assert enrolled.status == ApplicationStatus.SUBMITTED
        assert enrolled.decided_by is None
        assert _denials(user) == 1
        assert AuditEntry.objects.get(action="access.denied").target == enrolled.ref


def test_supervisor_cannot_decide_own_enrollment(staff):
    from cityid.enrollment.services import DecisionRefused, decide, enroll

    supervisor = staff["supervisor"]
    application = enroll(data=make_input(), enrolled_by=supervisor, today=TODAY)
    for approve, reasons in ((True, []), (False, ["insufficient_documents"])):
        with pytest.raises(DecisionRefused):
            decide(application=application, approve=approve, reasons=reasons, decided_by=supervisor)
    application.refresh_from_db()
    assert application.status == ApplicationStatus.SUBMITTED
    assert not AuditEntry.objects.filter(action__startswith="application.").exists()


@pytest.mark.parametrize("role", sorted(ROLES))
def test_read_applicant_by_role(staff, enrolled, role):
    from cityid.enrollment.selectors import read_applicant

    user = staff[role]
    applicant = enrolled.applicant
    if role in {"clerk", "supervisor"}:
        view = read_applicant(applicant=applicant, actor=user, purpose=enrolled.ref)
        assert view.profile["given_name"] == "Canaryname"
        assert AuditEntry.objects.filter(action="personal.read", actor=f"staff:{user.pk}").count() == 1
    else:
        with pytest.raises(PermissionDenied):
            read_applicant(applicant=applicant, actor=user, purpose=enrolled.ref)
        assert _denials(user) == 1
        assert not AuditEntry.objects.filter(action="personal.read").exists()


@pytest.mark.parametrize("role", NO_PERSONAL_DATA)
def test_no_personal_data_roles_cannot_read_photo_scan_or_search(staff, enrolled, role):
    from cityid.enrollment import selectors

    user = staff[role]
    with pytest.raises(PermissionDenied):
        selectors.read_photo(applicant=enrolled.applicant, actor=user, purpose=enrolled.ref)
    with pytest.raises(PermissionDenied):
        selectors.read_scan(application=enrolled, position=0, actor=user, purpose=enrolled.ref)
    with pytest.raises(PermissionDenied):
        selectors.search_applicants(actor=user, given_name="Canaryname", family_name="Testperson",
                                    date_of_birth=date(1990, 4, 12))


# --- commands ----------------------------------------------------------------------------

def _run(*args: str) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def test_export_command_needs_records_officer(staff, enrolled, tmp_path):
    subject = str(enrolled.applicant.public_id)
    out_dir = tmp_path / "export"
    with pytest.raises(CommandError, match="permission"):
        _run("export", "subject", subject, "--out", str(out_dir), "--actor", "clerk1")
    assert not out_dir.exists()
    assert _denials(staff["clerk"]) == 1
    assert not AuditEntry.objects.filter(action="subject.export").exists()

    printed = _run("export", "subject", subject, "--out", str(out_dir), "--actor", "records_officer1")
    assert (out_dir / subject / "subject.json").is_file()
    assert subject in printed
    entry = AuditEntry.objects.get(action="subject.export")
    assert entry.actor == f"staff:{staff['records_officer'].pk}"


@pytest.mark.parametrize("role", sorted(set(ROLES) - {"records_officer"}))
def test_export_command_denied_for_other_roles(staff, enrolled, tmp_path, role):
    with pytest.raises(CommandError, match="permission"):
        _run("export", "subject", str(enrolled.applicant.public_id), "--out", str(tmp_path / "x"),
             "--actor", f"{role}1")


def test_command_unknown_or_inactive_actor_denied(staff, enrolled, tmp_path):
    with pytest.raises(CommandError, match="permission"):
        _run("export", "subject", str(enrolled.applicant.public_id), "--out", str(tmp_path),
             "--actor", "nobody")
    officer = staff["records_officer"]
    officer.is_active = False
    officer.save()
    with pytest.raises(CommandError, match="permission"):
        _run("export", "subject", str(enrolled.applicant.public_id), "--out", str(tmp_path),
             "--actor", "records_officer1")


def test_actor_from_environment(staff, enrolled, tmp_path, monkeypatch):
    monkeypatch.setenv("CITYID_ACTOR", "clerk1")
    with pytest.raises(CommandError, match="permission"):
        _run("export", "subject", str(enrolled.applicant.public_id), "--out", str(tmp_path))


def test_staff_command_needs_admin(staff):
    from django.contrib.auth import get_user_model

    User = get_user_model()
    with pytest.raises(CommandError, match="permission"):
        _run("staff", "add", "x", "--role", "clerk", "--actor", "clerk1")
    assert not User.objects.filter(username="x").exists()
    assert _denials(staff["clerk"]) == 1

    from cityid.accounts.models import ChangeRequest
    from cityid.accounts.services import create_staff
    from tests.conftest import complete_enrolment

    complete_enrolment(create_staff(username="admin2", role="admin"))
    printed = _run("staff", "add", "x", "--role", "foil_officer", "--email", "x@staff.example.invalid",
                   "--actor", "admin1")
    assert "waits for a second administrator" in printed  # every role does (a FOIL officer reads requesters)
    approved = _run("staff", "approve", str(ChangeRequest.objects.get().pk), "--actor", "admin2")
    user = User.objects.get(username="x")
    assert user.role == "foil_officer" and not user.has_usable_password()
    assert "http" not in printed + approved  # neither administrator sees the link: it is sent by email
    created = AuditEntry.objects.get(action="staff.create", target=f"staff:{user.pk}")
    assert created.actor == f"staff:{staff['admin'].pk}"

    # --actor is accepted before the subcommand as well; a privileged role waits for a second administrator.
    printed = _run("staff", "--actor", "admin1", "add", "y", "--role", "auditor", "--email", "y@staff.example.invalid")
    assert "waits for a second administrator" in printed
    assert not User.objects.filter(username="y").exists()
    with pytest.raises(CommandError, match="permission"):
        _run("staff", "--actor", "supervisor1", "add", "z", "--role", "auditor")


def test_staff_command_by_host_operator(db):
    from django.contrib.auth import get_user_model

    printed = _run("staff", "add", "firstadmin", "--role", "admin")  # bootstrap: the host operator alone
    user = get_user_model().objects.get(username="firstadmin")
    assert user.role == "admin"
    assert "enrolment link:     http" in printed  # printed once, to the operator who holds the keyring anyway
    created = AuditEntry.objects.get(action="staff.create")
    assert (created.actor, created.role) == ("system:operator", "operator")


# --- views -------------------------------------------------------------------------------

PAGES = {
    "/enrollment/new/": "enrollment.create",
    "/enrollment/queue/": "enrollment.queue",
    "/enrollment/search/": "enrollment.search",
}
LOGIN_URL = "/accounts/login/"


def _current_code(user, *, offset: int = 0) -> str:
    from django_otp.oath import totp

    device = user.totpdevice_set.first()
    code = totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits, drift=device.drift)
    return f"{(code + offset) % 10**device.digits:0{device.digits}d}"


def _with_password(user):
    user.set_password(PASSWORD)
    user.save()
    return user


def _post_login(client: Client, user, *, password: str = PASSWORD, code: str | None = None):
    return client.post(
        LOGIN_URL, {"username": user.username, "password": password, "otp_token": code or _current_code(user)}
    )


def _sign_in(client: Client, user) -> None:
    _with_password(user)
    response = _post_login(client, user)
    assert response.status_code == 302, response.content[:500]
    assert client.session.get("_auth_user_id") == str(user.pk)
    assert client.session.get("otp_device_id")


@pytest.mark.parametrize("role", sorted(ROLES))
def test_pages_by_role(staff, role):
    client = Client()
    user = staff[role]
    _sign_in(client, user)
    for path, action in PAGES.items():
        response = client.get(path)
        expected = 200 if role in EXPECTED[action] else 403
        assert response.status_code == expected, (path, role, response.status_code)
    denied = sum(1 for action in PAGES.values() if role not in EXPECTED[action])
    assert _denials(user) == denied


@pytest.mark.parametrize("path", sorted(PAGES))
def test_anonymous_redirected_to_login(db, path):
    response = Client().get(path)
    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN_URL)
    assert f"next={path}" in response["Location"]


@pytest.mark.parametrize("path", sorted(PAGES))
def test_unverified_session_redirected_to_login(staff, path):
    client = Client()
    client.force_login(staff["supervisor"])  # password only: no second factor in this session
    response = client.get(path)
    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN_URL)


def test_login_success_is_audited(staff):
    user = staff["clerk"]
    _sign_in(Client(), user)
    assert AuditEntry.objects.filter(action="login.success", actor=f"staff:{user.pk}").count() == 1


def test_wrong_totp_refused(staff):
    client = Client()
    user = _with_password(staff["clerk"])
    response = _post_login(client, user, code=_current_code(user, offset=500_000))
    assert response.status_code == 200
    assert b"not correct" in response.content
    assert "_auth_user_id" not in client.session
    assert client.get("/enrollment/new/").status_code == 302
    assert AuditEntry.objects.filter(action="login.failure").count() == 1
    assert not AuditEntry.objects.filter(action="login.success").exists()


def test_wrong_password_refused(staff):
    client = Client()
    user = _with_password(staff["clerk"])
    response = _post_login(client, user, password="wrong horse battery 9")
    assert response.status_code == 200
    assert b"not correct" in response.content
    assert "_auth_user_id" not in client.session


def _assert_locked(response) -> None:
    # django-axes answers a locked-out username with AXES_HTTP_RESPONSE_CODE (429) and the lockout page.
    assert response.status_code == 429
    assert b"Account locked" in response.content


@pytest.mark.parametrize("failure", ["password", "code"])
def test_five_failures_lock_the_account(staff, settings, failure):
    assert settings.AXES_FAILURE_LIMIT == 5
    client = Client()
    user = _with_password(staff["clerk"])
    for attempt in range(5):
        if failure == "password":
            response = _post_login(client, user, password=f"wrong password {attempt}")
        else:
            response = _post_login(client, user, code=_current_code(user, offset=500_000 + attempt))
        if attempt < 4:
            assert response.status_code == 200, attempt
    _assert_locked(response)
    # Even the right password and a current code now fail, from any client at this address.
    for other in (client, Client()):
        response = _post_login(other, user)
        _assert_locked(response)
        assert "_auth_user_id" not in other.session
    # Another account is not affected.
    _sign_in(Client(), staff["supervisor"])


def test_login_without_csrf_token_refused(staff):
    user = _with_password(staff["clerk"])
    client = Client(enforce_csrf_checks=True)
    response = _post_login(client, user)
    assert response.status_code == 403
    assert "_auth_user_id" not in client.session


def test_login_with_csrf_token_accepted(staff):
    user = _with_password(staff["clerk"])
    client = Client(enforce_csrf_checks=True)
    client.get(LOGIN_URL)
    token = client.cookies["csrftoken"].value
    response = client.post(
        LOGIN_URL,
        {"username": user.username, "password": PASSWORD, "otp_token": _current_code(user),
         "csrfmiddlewaretoken": token},
    )
    assert response.status_code == 302
    assert client.session.get("_auth_user_id") == str(user.pk)


def test_login_next_must_be_local(staff):
    user = _with_password(staff["supervisor"])
    client = Client()
    response = client.post(
        f"{LOGIN_URL}?next=https://evil.example/",
        {"username": user.username, "password": PASSWORD, "otp_token": _current_code(user)},
    )
    assert response.status_code == 302
    assert "evil.example" not in response["Location"]


def test_denied_page_does_not_leak(staff, enrolled):
    client = Client()
    _sign_in(client, staff["auditor"])
    response = client.get(f"/enrollment/applicants/{enrolled.applicant.public_id}/?purpose={enrolled.ref}")
    assert response.status_code == 403
    assert b"Canaryname" not in response.content
    assert not AuditEntry.objects.filter(action="personal.read").exists()


@pytest.mark.django_db
def test_role_change_command_is_admin_only_and_audited(staff):
    from django.core.management import call_command
    from django.core.management.base import CommandError

    from cityid.audit.models import AuditEntry

    with pytest.raises(CommandError, match="permission"):
        call_command("staff", "role", "clerk1", "--role", "supervisor", "--actor", "clerk1")
    from cityid.accounts.models import ChangeRequest
    from cityid.accounts.services import create_staff
    from tests.conftest import complete_enrolment

    complete_enrolment(create_staff(username="admin2", role="admin"))
    call_command("staff", "role", "clerk1", "--role", "foil_officer", "--actor", "admin1")  # a request
    staff["clerk"].refresh_from_db()
    assert staff["clerk"].role == "clerk"
    call_command("staff", "approve", str(ChangeRequest.objects.get().pk), "--actor", "admin2")
    staff["clerk"].refresh_from_db()
    assert staff["clerk"].role == "foil_officer"
    assert AuditEntry.objects.filter(action="staff.role_change", target=f"staff:{staff['clerk'].pk}").exists()
