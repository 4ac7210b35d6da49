"""The staff pages of purpose binding: the purpose page (audited, filtered), the refusal page, the review page
through the decision queue, reassignment, and a supervisor's recorded reason for a closed case."""

from __future__ import annotations

from datetime import date

import pytest

from cityid.audit.models import AuditEntry
from cityid.enrollment.models import Application, ApplicationStatus
from cityid.enrollment.services import decide, enroll
from tests.audit.helpers import sign_in
from tests.conftest import make_input

TODAY = date(2026, 11, 20)
CANARY = "Canaryname"


def _new_staff(username: str, role: str, site: str = ""):
    from cityid.accounts.services import create_staff
    from tests.conftest import complete_enrolment

    user = complete_enrolment(create_staff(username=username, role=role, email=f"{username}@staff.example.invalid"))
    user.site = site
    user.save(update_fields=["site"])
    return user


@pytest.fixture
def cases(staff):
    """One applicant with an open case (held by clerk1, in the decision queue) and a denied one."""
    open_case = enroll(data=make_input(), enrolled_by=staff["clerk"], today=TODAY)
    applicant = open_case.applicant
    closed = Application.objects.create(
        applicant=applicant, type="replacement", status=ApplicationStatus.DENIED, submitted_on=date(2026, 1, 5),
        decided_on=date(2026, 1, 9), rules_version=open_case.rules_version, document_copies="keep",
        denial_reasons=["other"],
    )
    return open_case, closed


def _purpose_events(applicant):
    return AuditEntry.objects.filter(action="purpose.list", target=applicant.ref)


def test_purpose_page_is_audited_and_lists_only_what_this_person_may_use(staff, cases):
    open_case, closed = cases
    applicant = open_case.applicant
    url = f"/enrollment/applicants/{applicant.public_id}/"

    html = sign_in(staff["clerk"]).get(url).content.decode()
    assert f'value="{open_case.ref}"' in html and closed.ref not in html and str(closed.public_id) not in html
    assert 'id="reason-form"' not in html and CANARY not in html
    event = _purpose_events(applicant).get()
    assert (event.actor, event.purpose) == (f"staff:{staff['clerk'].pk}", "offered:1 closed:0")

    stranger = _new_staff("clerk_stranger", "clerk", site="queens-2")
    html = sign_in(stranger).get(url).content.decode()
    assert 'id="no-purpose"' in html and "ask a supervisor to assign it to you" in html
    assert open_case.ref not in html and closed.ref not in html and 'id="purpose-form"' not in html
    assert _purpose_events(applicant).filter(actor=f"staff:{stranger.pk}").get().purpose == "offered:0 closed:0"

    # A supervisor: the open case (decision queue) to open, the closed one only through a recorded reason.
    html = sign_in(staff["supervisor"]).get(url).content.decode()
    assert f'value="{open_case.ref}"' in html and f'value="{closed.ref}"' not in html
    assert 'id="reason-form"' in html and f'value="{closed.public_id}"' in html


def test_purpose_page_in_spanish_says_how_to_get_a_purpose(staff, cases):
    stranger = _new_staff("clerk_stranger", "clerk")
    client = sign_in(stranger)
    client.post("/i18n/setlang/", {"language": "es", "next": "/"})
    html = client.get(f"/enrollment/applicants/{cases[0].applicant.public_id}/").content.decode()
    assert 'id="no-purpose"' in html and "You have no purpose" not in html


def test_a_refused_read_is_a_403_that_shows_nothing_personal(staff, cases):
    open_case, closed = cases
    stranger = sign_in(_new_staff("clerk_stranger", "clerk"))
    applicant = open_case.applicant
    urls = [
        f"/enrollment/applicants/{applicant.public_id}/?purpose={open_case.ref}",
        f"/enrollment/applicants/{applicant.public_id}/?purpose={closed.ref}",
        f"/enrollment/applicants/{applicant.public_id}/photo/?purpose={open_case.ref}",
        f"/enrollment/applications/{open_case.public_id}/scans/0/?purpose={open_case.ref}",
        f"/enrollment/applicants/{applicant.public_id}/?purpose=application:Forgedname",
    ]
    for url in urls:
        response = stranger.get(url)
        assert response.status_code == 403, url
        html = response.content.decode()
        assert 'id="refusal"' in html and CANARY not in html and "742 Canarystreet" not in html
    assert not AuditEntry.objects.filter(action__startswith="personal.read").exists()
    assert AuditEntry.objects.filter(action="access.denied", outcome="denied").count() == len(urls)
    assert not AuditEntry.objects.filter(purpose__contains="Forgedname").exists()


def test_review_reads_through_the_decision_queue_and_refuses_a_case_taken_out_of_it(staff, cases):
    open_case, _closed = cases
    supervisor = sign_in(staff["supervisor"])
    url = f"/enrollment/applications/{open_case.public_id}/"
    html = supervisor.get(url).content.decode()
    assert 'id="applicant-name"' in html and 'id="assign-form"' in html

    # The supervisor sends the case back to the clerk: it leaves the decision queue.
    response = supervisor.post(f"{url}assign/", {"holder": f"staff:{staff['clerk'].pk}"})
    assert response.status_code == 302
    response = supervisor.get(url)
    assert response.status_code == 403 and CANARY not in response.content.decode()
    assert 'action="/enrollment/applications/' in response.content.decode()  # ... and can assign it back
    response = supervisor.post(url, {"decision": "approve"})  # nor can it be decided blind
    assert response.status_code == 403
    open_case.refresh_from_db()
    assert open_case.status == ApplicationStatus.SUBMITTED

    assert supervisor.post(f"{url}assign/", {"holder": "queue"}).status_code == 302
    assert supervisor.post(url, {"decision": "approve"}).status_code == 302
    open_case.refresh_from_db()
    assert open_case.status == ApplicationStatus.APPROVED


def test_assign_refuses_other_roles_and_hostile_input(staff, cases):
    open_case, closed = cases
    url = f"/enrollment/applications/{open_case.public_id}/assign/"
    for role in ("clerk", "auditor", "admin", "card_production"):
        assert sign_in(staff[role]).post(url, {"holder": "queue"}).status_code == 403
    supervisor = sign_in(staff["supervisor"])
    for holder in ("", "staff:999999", f"staff:{staff['auditor'].pk}", "site:../../etc", "queue; drop", "x" * 5000):
        response = supervisor.post(url, {"holder": holder})
        assert response.status_code == 302
    open_case.refresh_from_db()
    assert (open_case.assigned_to_id, open_case.assigned_site, open_case.in_decision_queue) == (
        staff["clerk"].pk, "", True)
    # A decided case is not assigned any more.
    response = supervisor.post(f"/enrollment/applications/{closed.public_id}/assign/", {"holder": "queue"})
    assert response.status_code == 302
    closed.refresh_from_db()
    assert not closed.in_decision_queue
    assert not AuditEntry.objects.filter(action="case.assign").exists()


def test_a_supervisor_records_a_reason_then_opens_the_closed_case(staff, cases):
    open_case, closed = cases
    applicant = open_case.applicant
    supervisor = sign_in(staff["supervisor"])
    url = f"/enrollment/applicants/{applicant.public_id}/"
    assert supervisor.get(f"{url}?purpose={closed.ref}").status_code == 403  # the case alone opens nothing
    response = supervisor.post(url, {"application": str(closed.public_id), "reason": "not-a-reason"})
    assert response.status_code == 200 and "Select a valid choice" in response.content.decode()
    response = supervisor.post(url, {"application": str(open_case.public_id), "reason": "appeal"})
    assert response.status_code == 200  # an open case is not in the list of closed ones
    assert not AuditEntry.objects.filter(action="access.reason").exists()

    response = supervisor.post(url, {"application": str(closed.public_id), "reason": "appeal"})
    assert response.status_code == 302
    html = supervisor.get(response["Location"]).content.decode()
    assert 'id="applicant-name"' in html and CANARY in html
    purpose = response["Location"].split("purpose=")[1].replace("%3A", ":")
    assert AuditEntry.objects.filter(action="personal.read", purpose=purpose).count() == 1
    # The recorded reason is listed as a purpose on the purpose page while it lasts.
    assert f'value="{purpose}"' in supervisor.get(url).content.decode()

    # A clerk posting the same form records nothing.
    clerk = sign_in(staff["clerk"])
    assert clerk.post(url, {"application": str(closed.public_id), "reason": "appeal"}).status_code == 200
    assert AuditEntry.objects.filter(action="access.reason").count() == 1


def test_my_cases_lists_only_cases_assigned_to_me_or_my_site(staff, cases):
    from cityid.enrollment.services import assign_case

    open_case, closed = cases
    at_site = _new_staff("clerk_site", "clerk", site="bronx-1")
    other = enroll(data=make_input(external_id="OTHER-1"), enrolled_by=staff["clerk"], today=TODAY)
    assign_case(application=other, by=staff["supervisor"], site="bronx-1")

    mine = sign_in(staff["clerk"]).get("/enrollment/cases/").content.decode()
    ids = [str(case.public_id) for case in (open_case, other, closed)]
    assert ids[0] in mine and ids[1] not in mine and ids[2] not in mine
    theirs = sign_in(at_site).get("/enrollment/cases/").content.decode()
    assert ids[1] in theirs and ids[0] not in theirs
    assert sign_in(staff["auditor"]).get("/enrollment/cases/").status_code == 403


def test_the_clerks_receipt_still_works(staff):
    application = enroll(data=make_input(), enrolled_by=staff["clerk"], today=TODAY)
    html = sign_in(staff["clerk"]).get(f"/enrollment/submitted/{application.public_id}/").content.decode()
    assert str(application.public_id) in html and CANARY not in html


def test_only_the_clerk_who_took_it_sees_a_receipt(staff):
    """The receipt reference is the applicant's subject-access identifier: another clerk or a supervisor
    holding the application id learns nothing (404, as for an id that does not exist)."""
    application = enroll(data=make_input(), enrolled_by=staff["clerk"], today=TODAY)
    other = _new_staff("clerk_other", "clerk")
    for person in (other, staff["supervisor"]):
        response = sign_in(person).get(f"/enrollment/submitted/{application.public_id}/")
        assert response.status_code == 404 and application.receipt not in response.content.decode()


def test_decided_case_links_to_the_purpose_page_after_a_decision(staff, cases):
    open_case, _closed = cases
    decide(application=open_case, approve=True, decided_by=staff["supervisor"])
    response = sign_in(staff["supervisor"]).get(f"/enrollment/applications/{open_case.public_id}/")
    html = response.content.decode()
    assert response.status_code == 403 and CANARY not in html
    assert f'href="/enrollment/applicants/{open_case.applicant.public_id}/"' in html
