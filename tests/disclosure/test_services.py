"""FOIL requests: receiving, numbering, sealing, the status steps and their rules, notices through the outbox."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from django.core import mail
from django.db import connection

from cityid.audit.models import AuditEntry
from cityid.disclosure import selectors, services
from cityid.disclosure.deadlines import DeadlineError
from cityid.disclosure.models import FoilEvent, FoilNotice, FoilRequest, FoilStatus
from cityid.disclosure.services import FoilError, FoilInput, Step, change_status, submit_request
from tests.disclosure.conftest import CANARY, NY


def test_a_request_gets_an_id_due_dates_and_a_receipt_notice(foil, submitted):
    assert foil.public_id == "FOIL-2026-0069-00001"
    assert (foil.received_on, foil.acknowledgment_due, foil.determination_due) == (
        date(2026, 9, 14), date(2026, 9, 21), date(2026, 10, 20))
    assert foil.status == FoilStatus.RECEIVED
    assert len(submitted.access_code) >= 16
    [message] = mail.outbox
    assert message.to == [CANARY["email"]]
    assert "FOIL-2026-0069-00001" in message.subject and "FOIL-2026-0069-00001" in message.body
    assert CANARY["name"] not in message.body  # letters address "the requester"
    assert FoilNotice.objects.get(request=foil).sent_at is not None


def test_numbers_count_up_per_year_and_agency(db, settings):
    first = submit_request(data=FoilInput(**CANARY), received_at=datetime(2026, 12, 31, 18, 0, tzinfo=NY)).request
    second = submit_request(data=FoilInput(**CANARY), received_at=datetime(2026, 12, 30, 9, 0, tzinfo=NY)).request
    settings.CITYID_FOIL_AGENCY = "0071"
    other = submit_request(data=FoilInput(**CANARY), received_at=datetime(2026, 12, 30, 9, 0, tzinfo=NY)).request
    # Received after hours on New Year's Eve: counts as received on 4 January 2027, numbered in 2027.
    assert first.public_id == "FOIL-2027-0069-00001" and first.received_on == date(2027, 1, 4)
    assert second.public_id == "FOIL-2026-0069-00001"
    assert other.public_id == "FOIL-2026-0071-00001"


def test_what_the_requester_wrote_is_sealed(foil):
    table = FoilRequest._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {table} WHERE id = %s", [foil.pk])
        row = repr(cursor.fetchone())
    for value in CANARY.values():
        assert value not in row
        assert value.encode() not in row.encode()
    for entry in AuditEntry.objects.all():
        for value in CANARY.values():
            assert value not in f"{entry.target} {entry.purpose} {entry.actor}"


def test_bad_input_each_has_its_field_and_code(db):
    cases = {
        "name_missing": dict(CANARY, name="  "),
        "contact_missing": dict(CANARY, email="", address=""),
        "email_invalid": dict(CANARY, email="not an email"),
        "phone_invalid": dict(CANARY, phone="call me"),
        "description_short": dict(CANARY, description="docs"),
    }
    for code, values in cases.items():
        with pytest.raises(FoilError) as refused:
            submit_request(data=FoilInput(**values))
        assert refused.value.code == code
        assert refused.value.field
        assert str(refused.value) and str(refused.value) != code
    with pytest.raises(FoilError) as long:
        submit_request(data=FoilInput(**dict(CANARY, description="x" * (services.DESCRIPTION_MAX + 1))))
    assert long.value.code == "too_long" and long.value.field == "description"
    with pytest.raises(FoilError) as big:
        submit_request(data=FoilInput(**CANARY, attachment=b"%PDF-" + b"0" * services.attachment_max_bytes()))
    assert big.value.code == "attachment_too_big"
    with pytest.raises(FoilError) as hostile:
        submit_request(data=FoilInput(**CANARY, attachment=b"MZ\x90\x00 not a document"))
    assert hostile.value.code == "attachment_type"
    assert not FoilRequest.objects.exists()


def test_postal_only_requests_need_no_email(db):
    foil = submit_request(data=FoilInput(**dict(CANARY, email=""))).request
    services.send_notices()
    assert FoilNotice.objects.get(request=foil).last_error == "postal"
    assert not mail.outbox


def test_an_attachment_is_cleaned_and_sealed(db):
    from tests.conftest import jpeg_bytes

    foil = submit_request(data=FoilInput(**CANARY, attachment=jpeg_bytes())).request
    assert foil.attachment is not None and foil.attachment.content_type == "image/jpeg"


def officer_step(foil, kind, staff, today, **details):
    return change_status(foil, kind, by=staff["foil_officer"], step=Step(**details), today=today)


def test_the_whole_path_acknowledge_extend_deny_appeal(foil, staff, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        officer_step(foil, "acknowledge", staff, date(2026, 9, 16))
    assert foil.status == FoilStatus.ACKNOWLEDGED
    assert foil.determination_due == date(2026, 10, 15)  # 20 business days after 16 September, Columbus Day skipped
    with pytest.raises(DeadlineError) as past:
        officer_step(foil, "extend", staff, date(2026, 9, 17), date_certain=date(2026, 9, 1), reason="volume")
    assert past.value.code == "date_in_past"
    with pytest.raises(DeadlineError):
        officer_step(foil, "extend", staff, date(2026, 9, 17), date_certain=date(2026, 11, 30), reason="")
    with django_capture_on_commit_callbacks(execute=True):
        officer_step(foil, "extend", staff, date(2026, 9, 17), date_certain=date(2026, 11, 30), reason="volume")
    assert foil.status == FoilStatus.EXTENDED and foil.extended_to == date(2026, 11, 30)
    with pytest.raises(FoilError) as bare:
        officer_step(foil, "determine", staff, date(2026, 11, 2), outcome="denied")
    assert bare.value.code == "exemption_missing"
    with django_capture_on_commit_callbacks(execute=True):
        officer_step(foil, "determine", staff, date(2026, 11, 2), outcome="denied", exemptions=["87_2_b", "87_2_f"])
    assert foil.status == FoilStatus.DENIED and foil.exemptions == "87_2_b,87_2_f"
    denial = mail.outbox[-1]
    assert "appeal" in denial.body and "30 days" in denial.body and "§87(2)(b)" in denial.body
    assert selectors.appealable(foil, today=date(2026, 12, 2))
    assert not selectors.appealable(foil, today=date(2026, 12, 3))
    with pytest.raises(FoilError):
        services.file_appeal(public_id=foil.public_id, access_code="not the code")
    event = change_status(foil, "appeal", by=staff["foil_officer"],
                          step=Step(appeal_received_at=datetime(2026, 11, 20, 10, 0, tzinfo=NY)))
    assert foil.status == FoilStatus.APPEALED and foil.appeal_due == date(2026, 12, 7)
    assert event.date_certain == date(2026, 12, 7)
    officer_step(foil, "decide_appeal", staff, date(2026, 12, 4), outcome="granted_in_part", exemptions=["87_2_b"])
    assert foil.status == FoilStatus.PARTIALLY_FULFILLED and foil.appeal_outcome == "granted_in_part"
    with pytest.raises(FoilError) as again:
        officer_step(foil, "appeal", staff, date(2026, 12, 5))
    assert again.value.code in ("not_appealable", "wrong_status")
    kinds = list(FoilEvent.objects.filter(request=foil).values_list("kind", flat=True))
    assert kinds == ["receive", "acknowledge", "extend", "determine", "appeal", "decide_appeal"]
    actions = list(AuditEntry.objects.filter(target=foil.ref).values_list("action", flat=True))
    assert actions[:2] == ["foil.receive", "foil.notice"] and "foil.decide_appeal" in actions


def test_the_requester_appeals_with_their_code(foil, submitted, staff):
    officer_step(foil, "determine", staff, date(2026, 9, 20), outcome="denied", exemptions=["87_2_b"])
    event = services.file_appeal(public_id=foil.public_id.lower(), access_code=submitted.access_code,
                                 received_at=datetime(2026, 9, 25, 18, 0, tzinfo=NY))
    foil.refresh_from_db()
    assert event.kind == "appeal" and foil.status == FoilStatus.APPEALED
    assert foil.appeal_due == date(2026, 10, 13)  # counted from Monday 28 September; Columbus Day skipped


def test_transition_table_refusals(foil, staff):
    with pytest.raises(FoilError) as unknown:
        officer_step(foil, "explode", staff, date(2026, 9, 15))
    assert unknown.value.code == "unknown_step"
    with pytest.raises(FoilError) as early:
        officer_step(foil, "decide_appeal", staff, date(2026, 9, 15), outcome="granted")
    assert early.value.code == "wrong_status"
    with pytest.raises(FoilError) as fulfilled_with_exemption:
        officer_step(foil, "determine", staff, date(2026, 9, 15), outcome="fulfilled", exemptions=["87_2_b"])
    assert fulfilled_with_exemption.value.code == "exemption_not_withheld"
    with pytest.raises(FoilError) as forged_code:
        officer_step(foil, "determine", staff, date(2026, 9, 15), outcome="denied", exemptions=["87_2_z"])
    assert forged_code.value.code == "exemption_unknown"
    with pytest.raises(FoilError) as wrong_reason:
        officer_step(foil, "close", staff, date(2026, 9, 15), reason="resolved")
    assert wrong_reason.value.code == "closing_reason"
    officer_step(foil, "close", staff, date(2026, 9, 15), reason="withdrawn")
    assert foil.status == FoilStatus.CLOSED and services.available_steps(foil) == []


@pytest.mark.parametrize("role", ["clerk", "supervisor", "counsel", "auditor", "admin", "records_officer"])
def test_attack_another_role_cannot_step_or_read(foil, staff, role):
    from cityid.accounts.policy import PermissionDenied

    with pytest.raises(PermissionDenied):
        change_status(foil, "acknowledge", by=staff[role], today=date(2026, 9, 15))
    with pytest.raises(PermissionDenied):
        selectors.read_request(foil, actor=staff[role], purpose="respond")
    foil.refresh_from_db()
    assert foil.status == FoilStatus.RECEIVED
    assert AuditEntry.objects.filter(action="access.denied", actor=f"staff:{staff[role].pk}").count() == 2


def test_reading_the_details_is_purpose_bound_and_logged(foil, staff):
    with pytest.raises(selectors.FoilReadError):
        selectors.read_request(foil, actor=staff["foil_officer"], purpose="curiosity")
    details = selectors.read_request(foil, actor=staff["foil_officer"], purpose="respond")
    assert details == CANARY | {}
    entry = AuditEntry.objects.get(action="foil.read")
    assert (entry.target, entry.purpose, entry.actor) == (foil.ref, "respond", f"staff:{staff['foil_officer'].pk}")


def test_flags_due_soon_and_overdue(foil):
    assert selectors.flags(foil, today=date(2026, 9, 14)) == []
    assert selectors.flags(foil, today=date(2026, 9, 17)) == ["due_soon"]  # 2 business days before 21 September
    assert selectors.flags(foil, today=date(2026, 9, 22)) == ["overdue"]
    queue = list(selectors.foil_queue("overdue", today=date(2026, 9, 22)))
    assert queue == [foil] and queue[0].next_due == date(2026, 9, 21)


def test_queue_orders_by_next_due_date(db, staff):
    late = submit_request(data=FoilInput(**CANARY), received_at=datetime(2026, 9, 18, 10, 0, tzinfo=NY)).request
    early = submit_request(data=FoilInput(**CANARY), received_at=datetime(2026, 9, 14, 10, 0, tzinfo=NY)).request
    assert list(selectors.foil_queue("open", today=date(2026, 9, 15))) == [early, late]
    change_status(early, "acknowledge", by=staff["foil_officer"], today=date(2026, 9, 15))
    assert list(selectors.foil_queue("open", today=date(2026, 9, 15))) == [late, early]


def test_foil_counts_for_the_transparency_report(db, staff):
    def received(day: int):
        return submit_request(data=FoilInput(**CANARY), received_at=datetime(2026, 10, day, 10, 0, tzinfo=NY)).request

    on_time, late, partial, waiting = received(1), received(2), received(5), received(6)
    officer = staff["foil_officer"]
    change_status(on_time, "acknowledge", by=officer, today=date(2026, 10, 2))
    change_status(on_time, "determine", by=officer, today=date(2026, 10, 20), step=Step(outcome="fulfilled"))
    change_status(late, "determine", by=officer, today=date(2026, 12, 15),
                  step=Step(outcome="denied", exemptions=["87_2_b", "87_2_f"]))
    change_status(partial, "determine", by=officer, today=date(2026, 10, 30),
                  step=Step(outcome="partially_fulfilled", exemptions=["87_2_b"]))
    counts = selectors.foil_counts(start=date(2026, 10, 1), end=date(2026, 12, 31))
    assert counts["received"] == 4
    assert counts["by_status"]["fulfilled"] == 1 and counts["by_status"]["received"] == 1
    assert counts["by_outcome"] == {"fulfilled": 1, "partially_fulfilled": 1, "denied": 1}
    assert counts["exemptions"] == {"87_2_b": 2, "87_2_f": 1}
    assert counts["timeliness"]["determined_on_time"] == 2 and counts["timeliness"]["determined_late"] == 1
    assert counts["timeliness"]["acknowledged_on_time"] == 1
    assert counts["timeliness"]["open_past_due"] == 1  # `waiting`, past both its due dates
    assert waiting.status == FoilStatus.RECEIVED
    text = repr(counts)
    assert all(value not in text for value in CANARY.values())
