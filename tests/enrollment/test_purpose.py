"""Every read of personal data names one of that applicant's own cases as its purpose, whoever calls it."""

from __future__ import annotations

from datetime import date

import pytest

from cityid.audit.models import AuditEntry
from cityid.enrollment.selectors import PurposeInvalid, read_applicant, read_photo, read_scan
from cityid.enrollment.services import enroll
from tests.conftest import make_input


def test_a_read_must_name_one_of_the_applicants_own_cases(staff):
    clerk = staff["clerk"]
    mine = enroll(data=make_input(), enrolled_by=clerk, today=date(2026, 11, 20))
    other = enroll(data=make_input(given_name="Otherperson", external_id="OTHER-1"), enrolled_by=clerk,
                   today=date(2026, 11, 20))
    before = AuditEntry.objects.filter(action__startswith="personal.read").count()

    for purpose in ("", "case", other.ref, "application:not-a-uuid", f"card:{mine.pk}"):
        with pytest.raises(PurposeInvalid):
            read_applicant(applicant=mine.applicant, actor=clerk, purpose=purpose)
        with pytest.raises(PurposeInvalid):
            read_photo(applicant=mine.applicant, actor=clerk, purpose=purpose)
        with pytest.raises(PurposeInvalid):
            read_scan(application=mine, position=0, actor=clerk, purpose=purpose)
    assert AuditEntry.objects.filter(action__startswith="personal.read").count() == before  # nothing was read

    assert read_applicant(applicant=mine.applicant, actor=clerk, purpose=mine.ref).profile["given_name"]
    assert AuditEntry.objects.filter(action="personal.read").latest("index").purpose == mine.ref


# --- issue 8, attack 1: purpose binding that binds ------------------------------------------------------
#
# Before this change any case of the applicant was accepted as the purpose, whoever held it and whatever its
# status: every read below that is now refused succeeded then.

TODAY = date(2026, 11, 20)


def _new_staff(username: str, role: str, site: str = ""):
    from cityid.accounts.services import create_staff
    from tests.conftest import complete_enrolment

    user = complete_enrolment(create_staff(username=username, role=role, email=f"{username}@staff.example.invalid"))
    user.site = site
    user.save(update_fields=["site"])
    return user


def _reads(application, purpose):
    """The three reads of personal data, each as a callable taking the reader."""
    applicant = application.applicant
    return {
        "record": lambda actor: read_applicant(applicant=applicant, actor=actor, purpose=purpose),
        "photo": lambda actor: read_photo(applicant=applicant, actor=actor, purpose=purpose),
        "scan": lambda actor: read_scan(application=application, position=0, actor=actor, purpose=purpose),
    }


def _assert_refused(application, actor, purpose, code):
    before_reads = AuditEntry.objects.filter(action__startswith="personal.read").count()
    before_denials = AuditEntry.objects.filter(action="access.denied", actor=f"staff:{actor.pk}").count()
    for name, read in _reads(application, purpose).items():
        with pytest.raises(PurposeInvalid) as refused:
            read(actor)
        assert refused.value.code == code, name
    assert AuditEntry.objects.filter(action__startswith="personal.read").count() == before_reads
    denials = AuditEntry.objects.filter(action="access.denied", actor=f"staff:{actor.pk}").order_by("index")
    assert denials.count() == before_denials + 3  # each refusal is on record
    assert denials.last().target == application.applicant.ref and denials.last().outcome == "denied"


def _assert_reads(application, actor, purpose):
    reads = _reads(application, purpose)
    assert reads["record"](actor).profile["given_name"] == "Canaryname"
    assert reads["photo"](actor) is not None
    assert reads["scan"](actor) is not None
    assert AuditEntry.objects.filter(action="personal.read_scan", actor=f"staff:{actor.pk}").latest(
        "index").purpose == purpose


def test_a_clerk_cannot_read_an_open_case_assigned_to_another_clerk(staff):
    """The attack: a clerk reads ids off the public log and names another clerk's open case."""
    holder = staff["clerk"]
    attacker = _new_staff("clerk_attacker", "clerk")
    application = enroll(data=make_input(), enrolled_by=holder, today=TODAY)

    _assert_refused(application, attacker, application.ref, "not_assigned")
    _assert_reads(application, holder, application.ref)  # the clerk it is assigned to reads it


def test_nobody_reads_a_closed_case_through_the_case_itself(staff):
    from cityid.enrollment.services import decide

    clerk, supervisor = staff["clerk"], staff["supervisor"]
    denied = enroll(data=make_input(external_id="DEN-1"), enrolled_by=clerk, today=TODAY)
    denied = decide(application=denied, approve=False, reasons=["not_resident"], decided_by=supervisor)
    approved = enroll(data=make_input(external_id="APP-1"), enrolled_by=clerk, today=TODAY)
    approved = decide(application=approved, approve=True, decided_by=supervisor)

    for application in (denied, approved):
        _assert_refused(application, clerk, application.ref, "closed")  # even the clerk who enrolled it
        _assert_refused(application, supervisor, application.ref, "closed")  # a supervisor needs a reason


def test_a_site_queue_opens_to_that_sites_staff_only(staff):
    from cityid.enrollment.services import assign_case

    at_site = _new_staff("clerk_bronx", "clerk", site="bronx-1")
    elsewhere = _new_staff("clerk_queens", "clerk", site="queens-2")
    no_site = staff["clerk"]
    application = enroll(data=make_input(), enrolled_by=no_site, today=TODAY)
    assign_case(application=application, by=staff["supervisor"], site="bronx-1")

    _assert_reads(application, at_site, application.ref)
    _assert_refused(application, elsewhere, application.ref, "not_assigned")
    _assert_refused(application, no_site, application.ref, "not_assigned")  # it left the enrolling clerk
    _assert_refused(application, staff["supervisor"], application.ref, "not_assigned")  # and the decision queue


def test_the_decision_queue_opens_to_supervisors_not_clerks(staff):
    from cityid.enrollment.services import assign_case

    clerk, supervisor = staff["clerk"], staff["supervisor"]
    application = enroll(data=make_input(), enrolled_by=clerk, today=TODAY)
    _assert_reads(application, supervisor, application.ref)  # a new case waits in the decision queue
    assign_case(application=application, by=supervisor, decision_queue=True)
    _assert_refused(application, clerk, application.ref, "not_assigned")
    _assert_reads(application, supervisor, application.ref)


def test_a_closed_case_opens_to_a_supervisor_only_with_their_own_recorded_reason(staff):
    from cityid.accounts.policy import PermissionDenied
    from cityid.enrollment.services import CaseAccessRefused, decide, open_closed_case

    clerk, supervisor = staff["clerk"], staff["supervisor"]
    other_supervisor = _new_staff("supervisor_two", "supervisor")
    application = decide(application=enroll(data=make_input(), enrolled_by=clerk, today=TODAY),
                         approve=True, decided_by=supervisor)
    other = enroll(data=make_input(external_id="OTHER-1"), enrolled_by=clerk, today=TODAY)

    with pytest.raises(PermissionDenied):  # a clerk cannot record one
        open_closed_case(application=application, actor=clerk, reason="appeal")
    for bad in ("", "because", "APPEAL", "appeal "):  # only a code of the fixed list
        with pytest.raises(CaseAccessRefused):
            open_closed_case(application=application, actor=supervisor, reason=bad)
    with pytest.raises(CaseAccessRefused):  # an open case is read through its assignment, not a reason
        open_closed_case(application=other, actor=supervisor, reason="appeal")

    access = open_closed_case(application=application, actor=supervisor, reason="replacement_card")
    recorded = AuditEntry.objects.get(action="access.reason")
    assert (recorded.target, recorded.purpose) == (application.ref, f"{access.ref} replacement_card")
    _assert_reads(application, supervisor, access.ref)
    _assert_refused(application, other_supervisor, access.ref, "reason")  # another supervisor's reason
    _assert_refused(other, supervisor, access.ref, "reason")  # a reason for one applicant opens no other
    supervisor.role = "clerk"  # a role change takes the reason's use away at once
    supervisor.save(update_fields=["role"])
    _assert_refused(application, supervisor, access.ref, "reason")


def test_an_expired_reason_opens_nothing(staff):
    from django.utils import timezone

    from cityid.enrollment.models import ClosedCaseAccess
    from cityid.enrollment.services import decide, open_closed_case

    supervisor = staff["supervisor"]
    application = decide(application=enroll(data=make_input(), enrolled_by=staff["clerk"], today=TODAY),
                         approve=False, reasons=["other"], decided_by=supervisor)
    access = open_closed_case(application=application, actor=supervisor, reason="appeal")
    assert access.expires_at > timezone.now()
    ClosedCaseAccess.objects.filter(pk=access.pk).update(expires_at=timezone.now())
    _assert_refused(application, supervisor, access.ref, "reason")


def test_forged_purpose_strings_are_refused_and_logged_without_their_text(staff):
    import uuid

    clerk = staff["clerk"]
    application = enroll(data=make_input(), enrolled_by=clerk, today=TODAY)
    ref = application.ref
    upper = f"application:{str(application.public_id).upper()}"
    forged = {
        upper: "malformed", f"application:{{{application.public_id}}}": "malformed",
        f"application:{application.public_id.hex}": "malformed", f" {ref}": "malformed", f"{ref}\n": "malformed",
        f"{ref}&purpose={ref}": "malformed", "application:" + "0" * 200: "malformed",
        "Canaryname Testperson 1990-04-12": "malformed", f"fraud_alert:{uuid.uuid4()}": "malformed",
        f"closed_case:{application.public_id}": "reason", f"closed_case:{uuid.uuid4()}": "reason",
        f"application:{uuid.uuid4()}": "not_a_case", "": "missing",
    }
    for purpose, code in forged.items():
        _assert_refused(application, clerk, purpose, code)
    logged = " ".join(AuditEntry.objects.filter(action="access.denied").values_list("purpose", flat=True))
    assert "Canaryname" not in logged and "\n" not in logged and "&" not in logged and "{" not in logged
    _assert_reads(application, clerk, ref)


def test_a_supervisor_moves_a_case_and_read_access_moves_with_it(staff):
    from cityid.accounts.policy import PermissionDenied
    from cityid.enrollment.services import CaseAccessRefused, assign_case

    first, supervisor = staff["clerk"], staff["supervisor"]
    second = _new_staff("clerk_two", "clerk")
    application = enroll(data=make_input(), enrolled_by=first, today=TODAY)

    with pytest.raises(PermissionDenied):  # a clerk cannot hand themselves a case
        assign_case(application=application, by=second, staff=second)
    for refused in ({"staff": staff["auditor"]}, {}, {"staff": second, "decision_queue": True}):
        with pytest.raises(CaseAccessRefused):
            assign_case(application=application, by=supervisor, **refused)

    assign_case(application=application, by=supervisor, staff=second)
    _assert_refused(application, first, application.ref, "not_assigned")
    _assert_refused(application, supervisor, application.ref, "not_assigned")  # out of the decision queue
    _assert_reads(application, second, application.ref)
    moved = AuditEntry.objects.get(action="case.assign")
    assert (moved.actor, moved.target, moved.purpose) == (f"staff:{supervisor.pk}", application.ref,
                                                          f"staff:{second.pk}")
