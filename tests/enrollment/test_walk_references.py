"""What a supervisor reads in the queue and on the review page: how long a case has waited, dates in the
reader's locale, an assign form for a case outside their reach; never the applicant's receipt reference (the
subject-access identifier only the clerk who took the application sees)."""

from __future__ import annotations

from datetime import date

from cityid.enrollment.services import enroll
from tests.audit.helpers import sign_in
from tests.conftest import make_input

TODAY = date(2026, 11, 20)


def test_the_decision_queue_shows_the_wait_and_not_the_receipt(staff):
    case = enroll(data=make_input(), enrolled_by=staff["clerk"], today=TODAY)
    html = sign_in(staff["supervisor"]).get("/enrollment/queue/").content.decode()
    assert case.receipt not in html and str(case.public_id)[:8] in html
    assert "waiting " in html


def test_the_review_page_shows_document_expiry_as_a_local_date_and_not_the_receipt(staff):
    case = enroll(data=make_input(), enrolled_by=staff["clerk"], today=TODAY)
    supervisor = sign_in(staff["supervisor"])
    html = supervisor.get(f"/enrollment/applications/{case.public_id}/").content.decode()
    assert case.receipt not in html
    assert "2030-01-01" not in html and "01/01/2030" in html
    supervisor.cookies["django_language"] = "es"
    html = supervisor.get(f"/enrollment/applications/{case.public_id}/").content.decode()
    assert "01/01/2030" in html and "2030-01-01" not in html


def test_a_case_outside_the_supervisors_reach_is_assigned_from_the_queue_row_not_a_refusal(staff):
    from cityid.audit.models import AuditEntry
    from cityid.enrollment.services import assign_case

    case = enroll(data=make_input(), enrolled_by=staff["clerk"], today=TODAY)
    assign_case(application=case, by=None, site="queens-2")
    supervisor = sign_in(staff["supervisor"])
    html = supervisor.get("/enrollment/queue/").content.decode()
    row = html.split(f"{str(case.public_id)[:8]}", 1)[1].split("</tr>", 1)[0]
    assert f'action="/enrollment/applications/{case.public_id}/assign/"' in row
    assert f'href="/enrollment/applications/{case.public_id}/"' not in html
    assert supervisor.post(f"/enrollment/applications/{case.public_id}/assign/", {"holder": "queue"}).status_code == 302
    html = supervisor.get("/enrollment/queue/").content.decode()
    assert f'href="/enrollment/applications/{case.public_id}/"' in html
    assert not AuditEntry.objects.filter(action="access.denied").exists()


def test_the_clerks_receipt_can_be_printed_in_the_applicants_language(staff):
    case = enroll(data=make_input(), enrolled_by=staff["clerk"], today=TODAY)
    clerk = sign_in(staff["clerk"])
    html = clerk.get(f"/enrollment/submitted/{case.public_id}/").content.decode()
    assert 'id="print-receipt"' in html and "cityid/print.js" in html and case.receipt in html
    day = case.submitted_on
    assert f"Submitted on {day:%m/%d/%Y}." in html
    clerk.cookies["django_language"] = "es"
    html = clerk.get(f"/enrollment/submitted/{case.public_id}/").content.decode()
    assert "Imprimir el comprobante" in html and f"Presentada el {day:%d/%m/%Y}." in html
