"""Queues show who is waiting and for how long, to those who may read the names (a logged read), sorted and
filtered; a clerk's list holds only their own and their site's cases."""

from __future__ import annotations

from datetime import date

from cityid.accounts.services import create_staff
from cityid.audit.models import AuditEntry
from cityid.enrollment.models import Application
from cityid.enrollment.selectors import pending_applications, queue_rows
from cityid.enrollment.services import assign_case, enroll
from tests.audit.helpers import sign_in
from tests.conftest import complete_enrolment, make_input

TODAY = date(2026, 11, 20)


def _enroll(clerk, given, n, submitted=date(2026, 11, 2)):
    return enroll(data=make_input(external_id=f"Q-{n}", given_name=given, family_name="Waitingperson",
                                  submitted_on=submitted), enrolled_by=clerk, today=TODAY)


def test_decision_queue_shows_names_and_waiting_time_oldest_first(staff):
    old = _enroll(staff["clerk"], "Olderone", 1, submitted=date(2026, 11, 2))
    new = _enroll(staff["clerk"], "Newerone", 2, submitted=date(2026, 11, 10))
    client = sign_in(staff["supervisor"])
    html = client.get("/enrollment/queue/").content.decode()
    assert html.index("Olderone Waitingperson") < html.index("Newerone Waitingperson")
    assert "waiting " in html
    newest = client.get("/enrollment/queue/?sort=newest").content.decode()
    assert newest.index("Newerone Waitingperson") < newest.index("Olderone Waitingperson")
    # Showing the names is a logged read, by pseudonymous ids only.
    shown = AuditEntry.objects.filter(action="personal.read_names", actor=f"staff:{staff['supervisor'].pk}")
    assert {entry.target for entry in shown} >= {old.applicant.ref, new.applicant.ref}
    assert {entry.purpose for entry in shown} >= {old.ref, new.ref}
    rows = queue_rows(actor=staff["supervisor"], applications=list(pending_applications()), today=TODAY)
    assert [row.waiting_days for row in rows] == [18, 10]


def test_names_only_for_roles_and_cases_that_allow_them(staff):
    case = _enroll(staff["clerk"], "Hiddenname", 1)
    applications = list(pending_applications())
    assert [row.name for row in queue_rows(actor=staff["auditor"], applications=applications)] == [None]
    assert [row.name for row in queue_rows(actor=staff["supervisor"], applications=applications)] == [
        "Hiddenname Waitingperson"]
    # Moved out of the decision queue to one clerk: the supervisor sees the case, not the name.
    assign_case(application=case, by=staff["supervisor"], staff=staff["clerk"])
    html = sign_in(staff["supervisor"]).get("/enrollment/queue/").content.decode()
    assert "Hiddenname" not in html and "Not shown" in html


def test_a_clerk_sees_their_own_cases_with_names_and_not_another_clerks(staff):
    other = complete_enrolment(create_staff(username="clerk2", role="clerk", email="clerk2@staff.example.invalid"))
    _enroll(staff["clerk"], "Minename", 1)
    _enroll(other, "Othersname", 2)
    html = sign_in(staff["clerk"]).get("/enrollment/cases/").content.decode()
    assert "Minename Waitingperson" in html
    assert "Othersname" not in html


def test_the_queue_filters_by_site_and_holder_and_no_name_reaches_a_url(staff):
    here = _enroll(staff["clerk"], "Siteperson", 1)
    _enroll(staff["clerk"], "Queueperson", 2)
    assign_case(application=here, by=staff["supervisor"], site="brooklyn-1")
    staff["clerk"].site = "brooklyn-1"
    staff["clerk"].save(update_fields=["site"])
    client = sign_in(staff["supervisor"])
    by_site = client.get("/enrollment/queue/?site=brooklyn-1").content.decode()
    assert "Queueperson" not in by_site and "Not shown" in by_site  # a site's case: the clerks' there
    queued = client.get("/enrollment/queue/?holder=decision").content.decode()
    assert "Queueperson Waitingperson" in queued and "brooklyn-1" not in queued.split("<tbody>")[1]
    mine = sign_in(staff["clerk"]).get("/enrollment/cases/?site=brooklyn-1").content.decode()
    assert "Siteperson Waitingperson" in mine
    import re

    for page in (by_site, queued, mine):
        for href in re.findall(r'href="([^"]*)"', page):
            assert "person" not in href.lower()
    assert Application.objects.count() == 2


def test_beyond_the_read_limit_the_queue_shows_no_names(staff, settings):
    settings.CITYID_READ_LIMIT_PER_HOUR, settings.CITYID_READ_ALERT_PER_HOUR = 1, 0
    _enroll(staff["clerk"], "Limitname", 1)
    client = sign_in(staff["supervisor"])
    assert "Limitname" in client.get("/enrollment/queue/").content.decode()
    assert "Limitname" not in client.get("/enrollment/queue/").content.decode()
    denied = AuditEntry.objects.filter(action="access.denied").latest("index")
    assert (denied.target, denied.purpose) == ("queue", "read_limit:hour")


def test_the_printable_receipt_holds_the_reference_and_nothing_personal_and_only_for_its_clerk(staff):
    application = _enroll(staff["clerk"], "Receiptname", 1)
    page = sign_in(staff["clerk"]).get(f"/enrollment/submitted/{application.public_id}/").content.decode()
    assert f'<strong id="application-ref">{application.receipt}</strong>' in page
    assert "cityid/receipt.css" in page and 'class="cityid-receipt"' in page
    receipt = page.split('class="cityid-receipt"')[1].split("</section>")[0]
    for personal in ("Receiptname", "Waitingperson", "1990", "Canarystreet", "CANARYDOC1"):
        assert personal not in receipt
    other = complete_enrolment(create_staff(username="clerk3", role="clerk", email="clerk3@staff.example.invalid"))
    assert sign_in(other).get(f"/enrollment/submitted/{application.public_id}/").status_code == 404
