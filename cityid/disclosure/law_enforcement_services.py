"""Law-enforcement request writes: logging on receipt, the process's documents, counsel's decisions, production
as ordered, notice to the applicant. The rules are in :mod:`cityid.disclosure.law_enforcement`.

Separation of duties: whoever is served logs the request (``law_enforcement.log``: a clerk, a supervisor or
counsel); only counsel decides and produces (``law_enforcement.decide``, ``law_enforcement.produce``), never on a
request they logged, and never as the anonymous host operator. Each item produced is read through enrollment's
purpose-bound selectors with the request as the purpose (``le_request:<uuid>``): the read is checked, counted and
logged there, and the production is logged here (``law_enforcement.produce``, the item's id only).
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db import transaction
from django.utils import timezone

from cityid.accounts.policy import allowed
from cityid.accounts.selectors import account_of
from cityid.accounts.services import authorize, role_of
from cityid.audit.services import record_event
from cityid.core.actors import Actor
from cityid.disclosure import law_enforcement as rules
from cityid.disclosure.law_enforcement import LawEnforcementError
from cityid.disclosure.law_enforcement_models import (
    LawEnforcementDocument,
    LawEnforcementRequest,
    ProducedItem,
)
from cityid.retention import services as retention
from cityid.vault import services as vault
from cityid.vault.classes import DISCLOSURE

MAX_DOCUMENT_BYTES = 20 * 2**20


def _due_on(received_on: date) -> date:
    """When the request's record is due for disposition: the ``disclosure`` class's schedule (as FOIL requests),
    counted from receipt; the record then moves with the schedule and any legal hold like every record."""
    return retention.due_on(retention.current_rule(DISCLOSURE), submitted=received_on)


def _text(value: str) -> str:
    value = " ".join((value or "").split())
    if len(value) > rules.MAX_TEXT:
        raise LawEnforcementError("too_long", most=rules.MAX_TEXT)
    return value


def open_request_record(request: LawEnforcementRequest) -> vault.OpenRecord:
    """The request's ``disclosure`` record, opened (RecordDestroyed once its cohort was shredded)."""
    if request.record is None:
        raise vault.RecordDestroyed("destroyed", record=request.ref)
    return vault.open_record(request.record)


def _open_or_refuse(actor: Actor | None, request: LawEnforcementRequest) -> vault.OpenRecord:
    """The request's record for a change: once its retention ran out and the record was destroyed, nothing more
    can be attached, scoped, ordered or produced; a refusal that says so (logged within ``_refusals_logged``),
    not a server error."""
    try:
        return open_request_record(request)
    except vault.RecordDestroyed:
        raise _refuse(actor, request, LawEnforcementError("record_destroyed")) from None


def _mac(record: vault.OpenRecord, *parts: str) -> bytes:
    return hmac.new(record.data_key, ("le-item\x00" + "\x00".join(parts)).encode(), hashlib.sha256).digest()


def item_digest(record: vault.OpenRecord, subject: str, kind: str) -> bytes:
    return _mac(record, subject, kind)


def subject_digest(record: vault.OpenRecord, subject: str) -> bytes:
    return _mac(record, subject)


# --- logging on receipt ----------------------------------------------------------------------------------------

def log_request(
    *, agency_type: str, legal_process: str, received_on: date, agency: str, officer: str, logged_by: Actor | None,
    subjects: str = "", kinds: tuple[str, ...] | list[str] = ("record",), search: str = "", reference: str = "",
    notes: str = "", gag_order: bool = False, gag_until: date | None = None, today: date | None = None,
) -> LawEnforcementRequest:
    """Log a request as it was presented. Its details are sealed under a new ``disclosure`` record of its own."""
    authorize(logged_by, "law_enforcement.log")
    today = today or timezone.localdate()
    if agency_type not in rules.AGENCY_TYPES:
        raise LawEnforcementError("unknown_agency_type", value=agency_type, values=", ".join(rules.AGENCY_TYPES))
    if legal_process not in rules.PROCESSES:
        raise LawEnforcementError("unknown_process", value=legal_process, values=", ".join(rules.PROCESSES))
    if received_on > today:
        raise LawEnforcementError("received_in_future")
    if gag_until is not None and not gag_order:
        raise LawEnforcementError("gag_until_without_order")
    scope = rules.make_scope(subjects=subjects, kinds=list(kinds), search=search)
    if not _text(agency):
        raise LawEnforcementError("agency_required")
    if not _text(officer):
        raise LawEnforcementError("officer_required")
    details = {
        "agency": _text(agency),
        "officer": _text(officer),
        "reference": _text(reference),
        "notes": _text(notes),
        "scope": scope.as_dict(),
    }
    with transaction.atomic():
        request = LawEnforcementRequest(
            agency_type=agency_type, legal_process=legal_process, received_on=received_on,
            subjects_requested=len(scope.subjects), gag_order=gag_order, gag_until=gag_until,
            logged_by=account_of(logged_by),
        )
        record = vault.create_records([(DISCLOSURE, request.ref, _due_on(received_on))])[0]
        request.record = record.key
        request.sealed_details = record.seal_json("le_details", details)
        request.save()
        request.details = details
        record_event(actor=logged_by, action="law_enforcement.log", target=request.ref,
                     purpose=f"{agency_type}/{legal_process}")
    return request


def attach_document(*, request: LawEnforcementRequest, data: bytes, uploaded_by: Actor | None
                    ) -> LawEnforcementDocument:
    """Clean (decode and re-encode: no metadata, no active PDF content) and seal a document of the process under
    the request's record. The logger or counsel, while the request is open."""
    from cityid.enrollment.inputs import clean_file
    from cityid.enrollment.uploads import SCAN

    authorize(uploaded_by, "law_enforcement.log", target=request.ref)
    if not _is_counsel(uploaded_by) and not _same_person(uploaded_by, request.logged_by_id):
        authorize(uploaded_by, "law_enforcement.decide", target=request.ref)
    if request.status in (rules.CLOSED,):
        raise LawEnforcementError("closed")
    if len(data) > MAX_DOCUMENT_BYTES:
        raise LawEnforcementError("document_too_big", most_mb=MAX_DOCUMENT_BYTES // 2**20)
    cleaned = clean_file(bytes(data), SCAN)  # UploadRefused says why
    record = _open_or_refuse(uploaded_by, request)
    with vault.atomic_with_blobs():
        blob = vault.store_blobs([(record, cleaned.data, cleaned.content_type)])[0]
        blob.save()
        document = LawEnforcementDocument.objects.create(request=request, blob=blob,
                                                         uploaded_by=account_of(uploaded_by))
        record_event(actor=uploaded_by, action="law_enforcement.document", target=request.ref,
                     purpose=f"document:{document.pk}")
    return document


def add_subjects(*, request: LawEnforcementRequest, subjects: str, by: Actor | None) -> LawEnforcementRequest:
    """Name the subjects that the search the process describes found (pseudonymous ids), before counsel decides.
    By staff who log requests, not by counsel: the person who decides never widens the scope they decide on.
    Only for a request that describes a search; audited with the number added."""
    authorize(by, "law_enforcement.log", target=request.ref)
    added = rules.parse_subjects(subjects)
    with _refusals_logged(), transaction.atomic():
        locked = _locked(request)
        if _is_counsel(by):
            raise _refuse(by, locked, LawEnforcementError("counsel_widens"))
        if locked.status not in (rules.LOGGED, rules.UNDER_REVIEW):
            raise _refuse(by, locked, LawEnforcementError("scope_fixed"))
        record = _open_or_refuse(by, locked)
        details = record.open_json("le_details", locked.sealed_details or b"")
        scope = rules.scope_from_dict(details["scope"])
        if not scope.search:
            raise _refuse(by, locked, LawEnforcementError("no_search"))
        if not added:
            raise LawEnforcementError("bad_subject", length=0)
        merged = rules.make_scope(subjects=[*scope.subjects, *added], kinds=list(scope.kinds), search=scope.search)
        details["scope"] = merged.as_dict()
        locked.sealed_details = record.seal_json("le_details", details)
        count = len(merged.subjects) - len(scope.subjects)
        locked.subjects_requested = len(merged.subjects)
        locked.save(update_fields=["sealed_details", "subjects_requested"])
        record_event(actor=by, action="law_enforcement.scope", target=locked.ref, purpose=f"added:{count}")
    return locked


# --- counsel's review and decision -----------------------------------------------------------------------------

def _is_counsel(actor: Actor | None) -> bool:
    return actor is not None and allowed(role_of(actor), "law_enforcement.decide")


def _same_person(actor: Actor | None, user_id: int | None) -> bool:
    return actor is not None and user_id is not None and actor.pk == user_id


def _refuse(actor: Actor | None, request: LawEnforcementRequest, refused: LawEnforcementError) -> LawEnforcementError:
    """``refused``, marked to be logged as ``access.denied`` (the code only) by :func:`_refusals_logged` once the
    transaction that found it has rolled back."""
    refused.audit = (actor, request.ref)  # type: ignore[attr-defined]
    return refused


@contextmanager
def _refusals_logged() -> Iterator[None]:
    try:
        yield
    except LawEnforcementError as refused:
        audit = getattr(refused, "audit", None)
        if audit is not None:
            actor, target = audit
            record_event(actor=actor, action="access.denied", target=target, purpose=f"law_enforcement:{refused.code}",
                         outcome="denied")
        raise


def _locked(request: LawEnforcementRequest) -> LawEnforcementRequest:
    """The request's row, locked until the transaction ends (only its own row: the record may be gone)."""
    return LawEnforcementRequest.objects.select_for_update(of=("self",)).select_related("record").get(pk=request.pk)


def _check_counsel(actor: Actor | None, request: LawEnforcementRequest) -> None:
    """Counsel by name (not the host operator), and not the person who logged the request. The caller authorised
    ``action`` before its transaction (so that a refusal's audit event is kept)."""
    if actor is None:
        raise _refuse(actor, request, LawEnforcementError("counsel_only"))
    if _same_person(actor, request.logged_by_id):
        raise _refuse(actor, request, LawEnforcementError("own_request"))


def change_request(
    *, request: LawEnforcementRequest, change: str, by: Actor | None, ordered_subjects: str = "",
    ordered_kinds: tuple[str, ...] | list[str] = (), note: str = "",
) -> LawEnforcementRequest:
    """One change by name (review, refuse, challenge, produce, finish, withdraw, close), as the transition table
    allows. ``produce`` fixes the ordered scope (subjects and kinds within the requested scope) and needs a
    process that compels production. Audited as ``law_enforcement.<change>`` with the request's id only."""
    note = _text(note)
    authorize(by, "law_enforcement.decide", target=request.ref)
    with _refusals_logged(), transaction.atomic():
        _check_counsel(by, request)
        locked = _locked(request)
        to_status = rules.next_status(locked.status, change, process=locked.legal_process)
        fields = ["status"]
        if change == rules.PRODUCE:
            record = _open_or_refuse(by, locked)
            requested = rules.scope_from_dict(record.open_json("le_details", locked.sealed_details or b"")["scope"])
            ordered = rules.make_scope(subjects=ordered_subjects, kinds=list(ordered_kinds) or list(requested.kinds))
            try:
                rules.check_ordered(requested, ordered)
            except LawEnforcementError as refused:
                raise _refuse(by, locked, refused) from None
            locked.sealed_order = record.seal_json("le_order", {**ordered.as_dict(), "note": note})
            locked.items_ordered = len(ordered.items())
            locked.ordered = ordered.as_dict()
            fields += ["sealed_order", "items_ordered"]
        if change in rules.DECISIONS or change == rules.WITHDRAW:
            locked.decision = change
            locked.decided_by = account_of(by)
            locked.decided_at = timezone.now()
            fields += ["decision", "decided_by", "decided_at"]
        locked.status = to_status
        locked.save(update_fields=fields)
        record_event(actor=by, action=f"law_enforcement.{change}", target=locked.ref)
    return locked


# --- production ------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Production:
    """One item produced: the file handed over (it is not kept) and its row."""

    item: ProducedItem
    data: bytes
    content_type: str
    filename: str


def _record_json(view: Any) -> bytes:
    """The applicant's records as read by ``read_applicant``, as one JSON document."""
    applications = []
    for application, details, documents in view.applications:
        applications.append({
            "application": application.ref,
            "type": application.type,
            "status": application.status,
            "submitted_on": application.submitted_on,
            "details": details,
            "documents": [
                {"type": doc.type, "label": doc.label, "identity_points": doc.identity_points,
                 "residency_points": doc.residency_points, "accepted": doc.accepted, "details": doc.details,
                 "has_scan": doc.has_scan}
                for doc in documents
            ],
        })
    body = {"subject": view.applicant.ref, "profile": view.profile, "applications": applications,
            "destroyed": view.destroyed}
    return json.dumps(body, ensure_ascii=False, indent=2, sort_keys=True, default=str).encode()


def produce_item(*, request: LawEnforcementRequest, subject: str, kind: str, by: Actor | None) -> Production:
    """Produce one ordered item, once: the item is listed, its subject read through the purpose-bound selector
    (purpose: this request), and the production written to the audit log, in one transaction."""
    from cityid.enrollment import selectors as enrollment

    if kind not in rules.ITEM_KINDS:
        raise LawEnforcementError("unknown_kind", kind=kind, kinds=", ".join(rules.ITEM_KINDS))
    subject = (rules.parse_subjects(subject) or ("",))[0]
    authorize(by, "law_enforcement.produce", target=request.ref)
    with _refusals_logged(), transaction.atomic():
        _check_counsel(by, request)
        locked = _locked(request)
        if locked.status != rules.PRODUCING:
            raise _refuse(by, locked, LawEnforcementError("not_producing", status=locked.status))
        record = _open_or_refuse(by, locked)
        ordered = rules.scope_from_dict(record.open_json("le_order", locked.sealed_order or b""))
        if (subject, kind) not in ordered.items():
            raise _refuse(by, locked, LawEnforcementError("beyond_order"))
        digest = item_digest(record, subject, kind)
        if ProducedItem.objects.filter(request=locked, digest=digest).exists():
            raise _refuse(by, locked, LawEnforcementError("already_produced"))
        applicant = enrollment.applicant_by_ref(subject)
        if applicant is None:
            raise _refuse(by, locked, LawEnforcementError("subject_gone"))
        item = ProducedItem.objects.create(
            request=locked, digest=digest, subject_digest=subject_digest(record, subject), kind=kind,
            sealed_item=b"", produced_by=account_of(by),
        )
        item.sealed_item = record.seal_json(f"le_item:{item.public_id}", {"subject": subject})
        if kind == "record":
            view = enrollment.read_applicant(applicant=applicant, actor=by, purpose=locked.ref)
            data, content_type, extension = _record_json(view), "application/json", "json"
        else:
            photo = enrollment.read_photo(applicant=applicant, actor=by, purpose=locked.ref)
            if photo is None:
                raise _refuse(by, locked, LawEnforcementError("nothing_kept"))
            data, content_type = photo
            extension = "png" if content_type == "image/png" else "jpg"
        item.read_at = timezone.now()
        item.size = len(data)
        item.sha256 = hashlib.sha256(data).hexdigest()
        item.save(update_fields=["sealed_item", "read_at", "size", "sha256"])
        record_event(actor=by, action="law_enforcement.produce_item", target=locked.ref,
                     purpose=f"item:{item.public_id}")
        if ProducedItem.objects.filter(request=locked).count() >= locked.items_ordered:
            locked.status = rules.next_status(locked.status, rules.FINISH, process=locked.legal_process)
            locked.save(update_fields=["status"])
            record_event(actor=by, action="law_enforcement.finish", target=locked.ref)
    request.status = locked.status
    return Production(item, data, content_type, f"{locked.number}-item-{item.pk}.{extension}")


def reason_allows(reason_id: str, *, actor: Actor | None, applicant: Any) -> bool:
    """The ``le_request`` access-reason checker (registered with enrollment): the request is being produced, the
    reader is counsel who did not log it, and an item of this applicant is listed for them and not yet read —
    which only :func:`produce_item` creates, in the transaction that reads it. So each item is read once."""
    if actor is None or not allowed(role_of(actor), "law_enforcement.produce"):
        return False
    request = (
        LawEnforcementRequest.objects.filter(public_id=reason_id, status=rules.PRODUCING)
        .select_related("record").first()
    )
    if request is None or _same_person(actor, request.logged_by_id):
        return False
    try:
        record = open_request_record(request)
    except vault.RecordDestroyed:
        return False
    return ProducedItem.objects.filter(
        request=request, subject_digest=subject_digest(record, applicant.ref), read_at=None, produced_by_id=actor.pk
    ).exists()


# --- notice to the applicant -----------------------------------------------------------------------------------

def set_gag_order(*, request: LawEnforcementRequest, gag_order: bool, gag_until: date | None, by: Actor | None
                  ) -> LawEnforcementRequest:
    """Record (or lift) a court's order forbidding notice to the applicant; counsel."""
    if gag_until is not None and not gag_order:
        raise LawEnforcementError("gag_until_without_order")
    authorize(by, "law_enforcement.decide", target=request.ref)
    with _refusals_logged(), transaction.atomic():
        _check_counsel(by, request)
        locked = LawEnforcementRequest.objects.select_for_update().get(pk=request.pk)
        locked.gag_order, locked.gag_until = gag_order, gag_until
        locked.save(update_fields=["gag_order", "gag_until"])
        record_event(actor=by, action="law_enforcement.gag", target=locked.ref,
                     purpose="gag:on" if gag_order else "gag:off")
    return locked


def notice_allowed(request: LawEnforcementRequest, on: date) -> bool:
    """Whether the applicant may be told on ``on``: no gag order, or one that ended before that day."""
    return not request.gag_order or (request.gag_until is not None and request.gag_until < on)


def record_notice(*, request: LawEnforcementRequest, notice_on: date, by: Actor | None,
                  today: date | None = None) -> LawEnforcementRequest:
    """Record the day the applicant was given notice. Refused while a gag order stands, or for a future day."""
    today = today or timezone.localdate()
    if notice_on > today:
        raise LawEnforcementError("notice_in_future")
    if notice_on < request.received_on:
        raise LawEnforcementError("notice_before_receipt")
    authorize(by, "law_enforcement.decide", target=request.ref)
    with _refusals_logged(), transaction.atomic():
        _check_counsel(by, request)
        locked = LawEnforcementRequest.objects.select_for_update().get(pk=request.pk)
        if not notice_allowed(locked, notice_on):
            raise _refuse(by, locked, LawEnforcementError("gag_order"))
        locked.notice_on = notice_on
        locked.save(update_fields=["notice_on"])
        record_event(actor=by, action="law_enforcement.notice", target=locked.ref)
    return locked
