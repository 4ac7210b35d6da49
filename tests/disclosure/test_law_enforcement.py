"""Law-enforcement requests end to end through the services, and the attacks on them."""

from __future__ import annotations

import json
import uuid
from datetime import date

import pytest

from cityid.accounts.policy import PermissionDenied
from cityid.audit.models import AuditEntry
from cityid.disclosure import law_enforcement_selectors as selectors
from cityid.disclosure import law_enforcement_services as services
from cityid.disclosure.law_enforcement import LawEnforcementError
from cityid.disclosure.law_enforcement_models import LawEnforcementRequest, ProducedItem
from cityid.enrollment.selectors import PurposeInvalid, read_applicant
from tests.conftest import jpeg_bytes
from tests.disclosure.conftest import CANARIES, TODAY

pytestmark = pytest.mark.django_db


def ordered(request, counsel, subjects, kinds=("record",)):
    services.change_request(request=request, change="review", by=counsel)
    return services.change_request(request=request, change="produce", by=counsel, ordered_subjects=subjects,
                                   ordered_kinds=list(kinds))


def test_a_request_is_logged_sealed_and_produced_once_as_ordered(staff, enrolled, log) -> None:
    request = log()
    stored = LawEnforcementRequest.objects.get(pk=request.pk)
    raw = bytes(stored.sealed_details)
    assert all(canary.encode() not in raw for canary in CANARIES)
    assert enrolled.applicant.ref.encode() not in raw  # the subject is sealed too
    assert stored.status == "logged" and stored.subjects_requested == 1

    ordered(request, staff["counsel"], enrolled.applicant.ref, kinds=("record", "photo"))
    produced = services.produce_item(request=request, subject=enrolled.applicant.ref, kind="record",
                                     by=staff["counsel"])
    body = json.loads(produced.data)
    assert body["subject"] == enrolled.applicant.ref and body["profile"]["given_name"] == "Canaryname"
    assert produced.item.read_at is not None and len(produced.item.sha256) == 64
    photo = services.produce_item(request=request, subject=enrolled.applicant.ref, kind="photo", by=staff["counsel"])
    assert photo.data[:3] == b"\xff\xd8\xff"
    request.refresh_from_db()
    assert request.status == "produced" and request.decision == "produce"
    # Each read went through the purpose-bound selector with the request as its purpose, and was logged.
    reads = AuditEntry.objects.filter(target=enrolled.applicant.ref, purpose=request.ref)
    assert set(reads.values_list("action", flat=True)) == {"personal.read", "personal.read_photo"}
    items = AuditEntry.objects.filter(action="law_enforcement.produce_item", target=request.ref)
    assert sorted(items.values_list("purpose", flat=True)) == sorted(
        f"item:{item.public_id}" for item in ProducedItem.objects.filter(request=request))
    rows = selectors.item_rows(selectors.reveal(request, actor=staff["counsel"]))
    assert [(row.kind, row.produced is not None) for row in rows] == [("record", True), ("photo", True)]


def test_attack_production_without_counsels_decision(staff, enrolled, log) -> None:
    request = log()
    with pytest.raises(LawEnforcementError) as refused:
        services.produce_item(request=request, subject=enrolled.applicant.ref, kind="record", by=staff["counsel"])
    assert refused.value.code == "not_producing"
    services.change_request(request=request, change="review", by=staff["counsel"])
    with pytest.raises(LawEnforcementError):
        services.produce_item(request=request, subject=enrolled.applicant.ref, kind="record", by=staff["counsel"])
    # Naming the request as a purpose directly, without a listed item, reads nothing either.
    with pytest.raises(PurposeInvalid):
        read_applicant(applicant=enrolled.applicant, actor=staff["counsel"], purpose=request.ref)
    assert not ProducedItem.objects.exists()
    assert AuditEntry.objects.filter(action="access.denied", target=request.ref,
                                     purpose="law_enforcement:not_producing").count() == 2


def test_attack_a_subpoena_alone_is_never_produced(staff, log) -> None:
    request = log(process="administrative_subpoena")
    services.change_request(request=request, change="review", by=staff["counsel"])
    with pytest.raises(LawEnforcementError) as refused:
        services.change_request(request=request, change="produce", by=staff["counsel"],
                                ordered_subjects=request.details["scope"]["subjects"][0])
    assert refused.value.code == "process_does_not_compel"
    assert services.change_request(request=request, change="challenge", by=staff["counsel"]).status == "challenged"


def test_attack_counsel_producing_beyond_scope(staff, enrolled, log) -> None:
    from cityid.enrollment.services import enroll
    from tests.conftest import make_input

    other = enroll(data=make_input(given_name="Otherperson", photo=jpeg_bytes(color=(9, 9, 9))),
                   enrolled_by=staff["clerk"], today=date(2026, 11, 20)).applicant
    request = log(kinds=("record",))
    services.change_request(request=request, change="review", by=staff["counsel"])
    # An order naming someone the process did not name, or records it did not ask for, is refused.
    with pytest.raises(LawEnforcementError) as person:
        services.change_request(request=request, change="produce", by=staff["counsel"],
                                ordered_subjects=f"{enrolled.applicant.ref} {other.ref}")
    assert person.value.code == "beyond_scope_subject"
    with pytest.raises(LawEnforcementError) as kind:
        services.change_request(request=request, change="produce", by=staff["counsel"],
                                ordered_subjects=enrolled.applicant.ref, ordered_kinds=["photo"])
    assert kind.value.code == "beyond_scope_kind"
    services.change_request(request=request, change="produce", by=staff["counsel"],
                            ordered_subjects=enrolled.applicant.ref, ordered_kinds=["record"])
    # Once ordered, an item outside the order is refused, and the purpose does not open anyone else.
    for subject, kind in ((other.ref, "record"), (enrolled.applicant.ref, "photo")):
        with pytest.raises(LawEnforcementError) as beyond:
            services.produce_item(request=request, subject=subject, kind=kind, by=staff["counsel"])
        assert beyond.value.code == "beyond_order"
    with pytest.raises(PurposeInvalid):
        read_applicant(applicant=other, actor=staff["counsel"], purpose=request.ref)
    assert not ProducedItem.objects.exists()
    assert AuditEntry.objects.filter(action="access.denied", purpose="law_enforcement:beyond_order").count() == 2


def test_attack_one_person_logging_and_deciding(staff, enrolled, log, counsel2) -> None:
    request = log(by=staff["counsel"])  # counsel was served and logged it
    for change in ("review", "refuse", "challenge"):
        with pytest.raises(LawEnforcementError) as refused:
            services.change_request(request=request, change=change, by=staff["counsel"])
        assert refused.value.code == "own_request"
    with pytest.raises(LawEnforcementError):
        services.record_notice(request=request, notice_on=TODAY, by=staff["counsel"], today=TODAY)
    # A second counsel decides; the first still cannot produce, nor read through the purpose.
    ordered(request, counsel2, enrolled.applicant.ref)
    with pytest.raises(LawEnforcementError) as own:
        services.produce_item(request=request, subject=enrolled.applicant.ref, kind="record", by=staff["counsel"])
    assert own.value.code == "own_request"
    # The host operator (no named person) decides nothing either.
    with pytest.raises(LawEnforcementError) as anonymous:
        services.change_request(request=request, change="finish", by=None)
    assert anonymous.value.code == "counsel_only"
    assert AuditEntry.objects.filter(action="access.denied", purpose="law_enforcement:own_request").count() == 5


@pytest.mark.parametrize("role", ["clerk", "supervisor", "fraud_analyst", "card_production", "records_officer",
                                  "foil_officer", "auditor", "admin"])
def test_attack_another_role_decides_produces_or_reads(staff, enrolled, log, role) -> None:
    request = log(by=staff["supervisor"] if role == "clerk" else staff["clerk"])
    ordered(request, staff["counsel"], enrolled.applicant.ref)
    actor = staff[role]
    with pytest.raises(PermissionDenied):
        services.change_request(request=request, change="close", by=actor)
    with pytest.raises(PermissionDenied):
        services.produce_item(request=request, subject=enrolled.applicant.ref, kind="record", by=actor)
    with pytest.raises(PermissionDenied):
        read_applicant(applicant=enrolled.applicant, actor=actor, purpose=request.ref)
    if role in ("clerk", "supervisor"):  # they list only what they logged, and never the sealed details
        assert selectors.request_for(actor=actor, public_id=str(request.public_id)) is None
        fetched = LawEnforcementRequest.objects.get(pk=request.pk)
        assert selectors.reveal(fetched, actor=actor).details is None
    else:
        with pytest.raises(PermissionDenied):
            selectors.requests_for(actor=actor)
    assert not ProducedItem.objects.exists()


def test_attack_a_produced_item_read_twice(staff, enrolled, log) -> None:
    request = log()
    ordered(request, staff["counsel"], enrolled.applicant.ref)
    services.produce_item(request=request, subject=enrolled.applicant.ref, kind="record", by=staff["counsel"])
    # Production finished with the only item: nothing more, and no second read through the purpose.
    with pytest.raises(LawEnforcementError):
        services.produce_item(request=request, subject=enrolled.applicant.ref, kind="record", by=staff["counsel"])
    with pytest.raises(PurposeInvalid):
        read_applicant(applicant=enrolled.applicant, actor=staff["counsel"], purpose=request.ref)
    assert ProducedItem.objects.count() == 1
    assert AuditEntry.objects.filter(action="personal.read", purpose=request.ref).count() == 1


def test_attack_a_produced_item_read_twice_while_producing(staff, enrolled, log) -> None:
    request = log()
    ordered(request, staff["counsel"], enrolled.applicant.ref, kinds=("record", "photo"))
    services.produce_item(request=request, subject=enrolled.applicant.ref, kind="record", by=staff["counsel"])
    with pytest.raises(LawEnforcementError) as again:
        services.produce_item(request=request, subject=enrolled.applicant.ref, kind="record", by=staff["counsel"])
    assert again.value.code == "already_produced"
    with pytest.raises(PurposeInvalid):  # the request is still producing: still no free read
        read_applicant(applicant=enrolled.applicant, actor=staff["counsel"], purpose=request.ref)
    assert AuditEntry.objects.filter(action="personal.read", purpose=request.ref).count() == 1


def test_attack_forged_ids(staff, enrolled, log) -> None:
    request = log()
    ordered(request, staff["counsel"], enrolled.applicant.ref)
    forged = f"le_request:{uuid.uuid4()}"
    with pytest.raises(PurposeInvalid):
        read_applicant(applicant=enrolled.applicant, actor=staff["counsel"], purpose=forged)
    for subject in (f"applicant:{uuid.uuid4()}", "applicant:../../etc", "' OR 1=1 --"):
        with pytest.raises(LawEnforcementError):
            services.produce_item(request=request, subject=subject, kind="record", by=staff["counsel"])
    with pytest.raises(LawEnforcementError):
        services.produce_item(request=request, subject=enrolled.applicant.ref, kind="scan", by=staff["counsel"])
    assert selectors.request_for(actor=staff["counsel"], public_id=str(uuid.uuid4())) is None
    assert selectors.request_for(actor=staff["counsel"], public_id="1 OR 1=1") is None
    assert not ProducedItem.objects.exists()


def test_attack_audit_leaves_carry_no_personal_data(staff, enrolled, log, counsel2) -> None:
    request = log()
    services.attach_document(request=request, data=jpeg_bytes(color=(5, 6, 7)), uploaded_by=staff["clerk"])
    selectors.reveal(request, actor=staff["counsel"])
    ordered(request, staff["counsel"], enrolled.applicant.ref, kinds=("record", "photo"))
    services.produce_item(request=request, subject=enrolled.applicant.ref, kind="record", by=staff["counsel"])
    services.set_gag_order(request=request, gag_order=True, gag_until=date(2026, 12, 31), by=staff["counsel"])
    with pytest.raises(LawEnforcementError):
        services.record_notice(request=request, notice_on=TODAY, by=staff["counsel"], today=TODAY)
    with pytest.raises(LawEnforcementError):
        services.produce_item(request=request, subject="Det. Canaryofficer", kind="record", by=staff["counsel"])
    values = CANARIES + ("Canaryname", "Testperson", "Canarystreet", "CANARYDOC1", "1990-04-12")
    for entry in AuditEntry.objects.all():
        row = " ".join(str(getattr(entry, field)) for field in ("actor", "role", "action", "target", "purpose"))
        assert not any(value in row for value in values), row
    actions = set(AuditEntry.objects.filter(target=request.ref).values_list("action", flat=True))
    assert {"law_enforcement.log", "law_enforcement.document", "law_enforcement.read", "law_enforcement.review",
            "law_enforcement.produce", "law_enforcement.produce_item", "law_enforcement.gag"} <= actions


def test_notice_waits_for_the_gag_order_to_end(staff, log) -> None:
    request = log(gag_order=True, gag_until=date(2026, 11, 30))
    with pytest.raises(LawEnforcementError) as gagged:
        services.record_notice(request=request, notice_on=TODAY, by=staff["counsel"], today=TODAY)
    assert gagged.value.code == "gag_order"
    with pytest.raises(LawEnforcementError):
        services.record_notice(request=request, notice_on=date(2026, 12, 1), by=staff["counsel"], today=TODAY)
    later = date(2026, 12, 1)
    assert services.record_notice(request=request, notice_on=later, by=staff["counsel"], today=later).notice_on == later
    with pytest.raises(LawEnforcementError) as unended:
        services.log_request(agency_type="court", legal_process="court_order", received_on=TODAY, agency="A",
                             officer="B", subjects="", search="x", gag_until=TODAY, logged_by=staff["clerk"],
                             today=TODAY)
    assert unended.value.code == "gag_until_without_order"


def test_bad_input_when_logging(staff) -> None:
    base = dict(agency_type="local_police", legal_process="judicial_warrant", received_on=TODAY, agency="A",
                officer="B", search="the person at an address", logged_by=staff["clerk"], today=TODAY)
    cases = {
        "received_in_future": dict(received_on=date(2026, 12, 1)),
        "unknown_process": dict(legal_process="letter"),
        "unknown_agency_type": dict(agency_type="militia"),
        "agency_required": dict(agency="  "),
        "officer_required": dict(officer=""),
        "too_long": dict(notes="x" * 5000),
        "empty_scope": dict(search=""),
    }
    for code, change in cases.items():
        with pytest.raises(LawEnforcementError) as refused:
            services.log_request(**{**base, **change})
        assert refused.value.code == code
    with pytest.raises(PermissionDenied):
        services.log_request(**{**base, "logged_by": staff["auditor"]})
    assert not LawEnforcementRequest.objects.exists()


def test_attack_hostile_document(staff, log) -> None:
    from cityid.enrollment.uploads import UploadRefused

    request = log()
    for data in (b"MZ\x90\x00 not a document", b"%PDF-1.7\n1 0 obj<</JS (app.alert(1))>>endobj"):
        with pytest.raises(UploadRefused):
            services.attach_document(request=request, data=data, uploaded_by=staff["clerk"])
    document = services.attach_document(request=request, data=jpeg_bytes(), uploaded_by=staff["clerk"])
    data, content_type = selectors.read_document(request=request, document_id=document.pk, actor=staff["counsel"])
    assert content_type == "image/jpeg" and data[:3] == b"\xff\xd8\xff"
    assert selectors.read_document(request=request, document_id=document.pk, actor=staff["supervisor"]) is None
