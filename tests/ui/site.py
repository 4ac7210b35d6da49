"""A small seeded installation with one of every staff page type, for the page checks (labels, axe-core)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from tests.conftest import complete_enrolment, make_input


@dataclass
class Site:
    #: Page paths to GET (each role gets each; a refusal is skipped).
    pages: list[str]
    #: (path, POST data, role) of the confirmation pages of final actions.
    confirms: list[tuple[str, dict[str, str], str]] = field(default_factory=list)
    second_officer: object = None


def seed_site(staff) -> Site:
    from cityid.accounts.services import create_staff
    from cityid.audit.services import integrate, make_checkpoint
    from cityid.cards.services import change_status, create_batch
    from cityid.enrollment.services import decide, enroll, open_closed_case
    from cityid.retention import approvals, services

    clerk, supervisor = staff["clerk"], staff["supervisor"]
    approved = enroll(data=make_input(languages=["es", "ht"]), enrolled_by=clerk, today=date(2026, 11, 20))
    denied = enroll(data=make_input(given_name="Deniedname", date_of_birth=date(1985, 3, 4)), enrolled_by=clerk,
                    today=date(2026, 11, 20))
    waiting = enroll(data=make_input(given_name="Waitingname", date_of_birth=date(1979, 5, 6)), enrolled_by=clerk,
                     today=date(2026, 11, 20))
    decide(application=approved, approve=True, decided_by=supervisor)
    decide(application=denied, approve=False, reasons=["insufficient_documents", "not_resident"],
           decided_by=supervisor)
    access = open_closed_case(application=denied, actor=supervisor, reason="appeal")
    # Matching's pages: an open duplicate alert naming the waiting and the approved applicant, an approvals alert.
    from cityid.matching.models import Alert, AlertPair

    alert = Alert.objects.create(kind="duplicate", level="hold", application=waiting, applicant=waiting.applicant,
                                 score=0.97, evidence={"candidates": 1}, model_version="fs-test")
    AlertPair.objects.create(alert=alert, other=approved.applicant, position=1, score=0.97, evidence=[
        {"field": "given_name", "level": "jaro_winkler_0.92", "weight": 4.7},
        {"field": "date_of_birth", "level": "day_month_swapped", "weight": 3.1}])
    outlier = Alert.objects.create(kind="approval_outlier", level="review", staff=supervisor, score=3.0,
                                   evidence={"approvals": 30, "peer_median": 10, "peers": 2, "days": 7})
    card = approved.card
    batch = create_batch(created_by=staff["card_production"])
    change_status(card, "suspend", reason="lost", changed_by=supervisor)

    # Old records, a schedule, a run with its certificate, a hold and a request waiting for approval.
    for i, day in enumerate([date(2015, 3, 10), date(2015, 9, 1), date(2016, 5, 20)]):
        enroll(data=make_input(submitted_on=day, date_of_birth=date(1960 + i, 1, 2)), enrolled_by=clerk,
               today=date(2026, 11, 20))
    officer = staff["records_officer"]
    second = complete_enrolment(create_staff(username="records_officer2", role="records_officer"))
    services.set_schedule(record_class="documents", approved_by=officer, fixed_date=date(2016, 12, 31))
    services.apply_schedule(record_class="documents")
    certificate = services.run_disposition(as_of=date(2017, 1, 2), approvers=[officer, second])
    # Due again after the run (the preview's chart has something to destroy, and nothing held, to show).
    for i, day in enumerate([date(2016, 2, 1), date(2016, 8, 1)]):
        enroll(data=make_input(submitted_on=day, date_of_birth=date(1970 + i, 1, 2)), enrolled_by=clerk,
               today=date(2026, 11, 20))
    services.apply_schedule(record_class="documents")
    hold = services.place_hold(case_name="People v. Example", court="Supreme Court", scope="class:application",
                               placed_by=staff["counsel"], order_date=date(2026, 10, 1))
    request = approvals.request_disposition(as_of=date(2017, 1, 2), requested_by=officer)
    from cityid.accounts.services import add_partner_key

    partner = add_partner_key(name="Queens Savings Bank", by=None).partner  # an active key on the partner keys page
    add_partner_key(name="Flushing Library", by=staff["admin"])  # and a request waiting for a second one
    law_enforcement, law_enforcement_confirms = _law_enforcement_requests(staff, waiting.applicant)
    foil = _seed_foil(staff)
    integrate()
    make_checkpoint()

    from cityid.audit.models import AuditEntry

    entry = AuditEntry.objects.order_by("-index").values_list("index", flat=True)[0]
    pages = [
        "/",
        "/enrollment/new/", "/enrollment/search/", "/enrollment/cases/", "/enrollment/queue/",
        "/enrollment/read-alerts/",
        f"/enrollment/applications/{waiting.public_id}/",
        f"/enrollment/applicants/{waiting.applicant.public_id}/",
        f"/enrollment/applicants/{waiting.applicant.public_id}/?purpose={waiting.ref}",
        f"/enrollment/applicants/{denied.applicant.public_id}/?purpose={access.ref}",
        f"/enrollment/submitted/{approved.public_id}/",
        "/cards/", f"/cards/{card.pk}/", "/cards/batches/", f"/cards/batches/{batch.pk}/",
        "/retention/schedules/", "/retention/preview/", "/retention/preview/?as_of=2017-01-02",
        "/retention/disposition/", "/retention/certificates/", f"/retention/certificates/{certificate.run_id}/",
        "/retention/holds/", "/retention/holds/new/", f"/retention/holds/{hold.pk}/",
        "/audit/events/", f"/audit/events/{entry}/", "/audit/events/?until=9999-12-31",
        "/accounts/staff/", f"/accounts/staff/{clerk.pk}/", "/accounts/staff/new/", "/accounts/password/",
        "/accounts/partners/", "/verify/",
        "/matching/", "/matching/?status=closed", f"/matching/{alert.public_id}/",
        f"/matching/{alert.public_id}/compare/1/", f"/matching/{outlier.public_id}/",
        *law_enforcement,
        "/disclosure/foil/", "/disclosure/foil/?queue=all", f"/disclosure/foil/{foil.public_id}/", "/foil/",
        "/foil/status/",
    ]
    confirms = [
        (f"/cards/{card.pk}/status/", {"change": "revoke", "revoke-reason": "fraud", "revoke-note": ""}, "supervisor"),
        (f"/enrollment/applications/{waiting.public_id}/", {"decision": "deny", "reasons": "age"}, "supervisor"),
        (f"/retention/disposition/{request.pk}/approve/", {}, "second_officer"),
        (f"/accounts/staff/{clerk.pk}/deactivate/", {"reason": "left"}, "admin"),
        (f"/accounts/partners/{partner.pk}/revoke/", {}, "admin"),
        (f"/matching/{alert.public_id}/compare/1/", {"decision": "fraud"}, "fraud_analyst"),
        (f"/matching/{outlier.public_id}/decide/", {"decision": "no_concern"}, "fraud_analyst"),
        (f"/cards/batches/{batch.pk}/mark/", {"step": "printed"}, "card_production"),
        *law_enforcement_confirms,
    ]
    return Site(pages=pages, confirms=confirms, second_officer=second)


def _law_enforcement_requests(staff, applicant) -> tuple[list[str], list[tuple[str, dict[str, str], str]]]:
    """A court order being produced (one item handed over, a gag order) and a subpoena under review; the pages,
    and the final actions counsel confirms on them (refuse the subpoena, produce the order's other item)."""
    from cityid.disclosure import law_enforcement_services as le
    from tests.conftest import jpeg_bytes

    counsel, clerk = staff["counsel"], staff["clerk"]
    order = le.log_request(agency_type="federal_law_enforcement", legal_process="court_order",
                           received_on=date(2026, 11, 20), agency="Example office", officer="Agent Example",
                           subjects=applicant.ref, kinds=["record", "photo"], search="someone at an address",
                           logged_by=clerk, gag_order=True, gag_until=date(2027, 1, 1))
    le.attach_document(request=order, data=jpeg_bytes(), uploaded_by=clerk)
    le.change_request(request=order, change="review", by=counsel)
    le.change_request(request=order, change="produce", by=counsel, ordered_subjects=applicant.ref,
                      ordered_kinds=["record", "photo"])
    le.produce_item(request=order, subject=applicant.ref, kind="record", by=counsel)
    subpoena = le.log_request(agency_type="local_police", legal_process="administrative_subpoena",
                              received_on=date(2026, 11, 20), agency="Example precinct", officer="Officer Example",
                              subjects=applicant.ref, logged_by=staff["supervisor"])
    le.change_request(request=subpoena, change="review", by=counsel)
    pages = ["/law-enforcement/", "/law-enforcement/?status=all", "/law-enforcement/new/",
             f"/law-enforcement/{order.public_id}/", f"/law-enforcement/{subpoena.public_id}/"]
    return pages, [
        (f"/law-enforcement/{subpoena.public_id}/change/", {"change": "refuse"}, "counsel"),
        (f"/law-enforcement/{order.public_id}/produce/", {"subject": applicant.ref, "kind": "photo"}, "counsel"),
    ]


def _seed_foil(staff):
    """A FOIL request denied in part (letters with exemptions and the appeal language) and one waiting."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from cityid.disclosure.services import FoilInput, Step, change_status, submit_request

    values = {"name": "Foil Requester", "email": "requester@example.invalid",
              "description": "Monthly counts of cards issued in 2026."}
    ny = ZoneInfo("America/New_York")
    foil = submit_request(data=FoilInput(**values), received_at=datetime(2026, 11, 2, 10, 0, tzinfo=ny)).request
    officer = staff["foil_officer"]
    change_status(foil, "acknowledge", by=officer, today=date(2026, 11, 3))
    change_status(foil, "extend", by=officer, today=date(2026, 11, 4),
                  step=Step(date_certain=date(2027, 1, 15), reason="review"))
    change_status(foil, "determine", by=officer, today=date(2026, 11, 20),
                  step=Step(outcome="partially_fulfilled", exemptions=["87_2_b", "87_2_f"]))
    submit_request(data=FoilInput(**values), received_at=datetime(2026, 11, 25, 18, 0, tzinfo=ny))
    return foil
