"""Law-enforcement request reads: the lists (no sealed detail), counsel's opened view (each opening logged), the
produced items, and the counts the transparency report publishes (aggregates only)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db.models import Count, Q, QuerySet

from cityid.accounts.policy import allowed
from cityid.accounts.services import authorize, role_of
from cityid.audit.services import record_event
from cityid.core.actors import Actor
from cityid.disclosure import law_enforcement as rules
from cityid.disclosure.law_enforcement_models import LawEnforcementDocument, LawEnforcementRequest, ProducedItem
from cityid.disclosure.law_enforcement_services import item_digest, open_request_record
from cityid.vault import services as vault

#: The list's filters: name -> statuses.
FILTERS: dict[str, tuple[str, ...]] = {
    "open": (rules.LOGGED, rules.UNDER_REVIEW, rules.CHALLENGED, rules.PRODUCING),
    "decided": (rules.REFUSED, rules.PRODUCED, rules.WITHDRAWN),
    "closed": (rules.CLOSED,),
    "all": rules.STATUSES,
}


def is_counsel(actor: Actor | None) -> bool:
    return actor is not None and allowed(role_of(actor), "law_enforcement.decide")


def requests_for(*, actor: Actor | None, status: str = "open") -> QuerySet[LawEnforcementRequest]:
    """The requests ``actor`` may list, oldest open first: counsel sees all; a clerk or supervisor those they logged.
    Only clear columns (type, process, dates, status): nothing sealed is opened."""
    authorize(actor, "law_enforcement.read")
    query = LawEnforcementRequest.objects.filter(status__in=FILTERS.get(status, FILTERS["open"]))
    if actor is not None and not is_counsel(actor):
        query = query.filter(logged_by_id=actor.pk)
    return query.annotate(produced_count=Count("produced")).order_by("received_on", "id")


def request_for(*, actor: Actor | None, public_id: str) -> LawEnforcementRequest | None:
    """One request by its public id, if ``actor`` may see it (else None, as for an unknown id)."""
    import uuid

    try:
        wanted = uuid.UUID(str(public_id))
    except ValueError:
        return None
    found = requests_for(actor=actor, status="all").select_related("record", "logged_by", "decided_by")
    return found.filter(public_id=wanted).first()


@dataclass(frozen=True)
class ItemRow:
    subject: str
    kind: str
    produced: ProducedItem | None


def reveal(request: LawEnforcementRequest, *, actor: Actor | None) -> LawEnforcementRequest:
    """Open the sealed details and the ordered scope for counsel (one ``law_enforcement.read`` event); other readers
    get the request unchanged (``details`` stays None)."""
    if not is_counsel(actor) and actor is not None:
        request.details = request.ordered = None
        return request
    try:
        record = open_request_record(request)
    except vault.RecordDestroyed:
        return request
    request.details = record.open_json("le_details", request.sealed_details or b"")
    if request.sealed_order:
        request.ordered = record.open_json("le_order", request.sealed_order)
    record_event(actor=actor, action="law_enforcement.read", target=request.ref)
    return request


def item_rows(request: LawEnforcementRequest) -> list[ItemRow]:
    """Every ordered item with its production, for a request ``reveal`` opened (empty before an order)."""
    if not request.ordered:
        return []
    record = open_request_record(request)
    produced = {bytes(item.digest): item for item in ProducedItem.objects.filter(request=request)}
    ordered = rules.scope_from_dict(request.ordered)
    return [ItemRow(subject, kind, produced.get(item_digest(record, subject, kind))) for subject, kind in
            ordered.items()]


def documents_of(request: LawEnforcementRequest) -> QuerySet[LawEnforcementDocument]:
    return request.documents.select_related("blob", "uploaded_by")


def read_document(*, request: LawEnforcementRequest, document_id: int, actor: Actor | None
                  ) -> tuple[bytes, str] | None:
    """A document of the process, decrypted for counsel or the person who logged the request (logged)."""
    authorize(actor, "law_enforcement.read", target=request.ref)
    if actor is not None and not is_counsel(actor) and request.logged_by_id != actor.pk:
        return None
    document = request.documents.select_related("blob").filter(pk=document_id).first()
    if document is None:
        return None
    try:
        record = open_request_record(request)
    except vault.RecordDestroyed:
        return None
    data = vault.read_blob(record=record, blob=document.blob)
    record_event(actor=actor, action="law_enforcement.read_document", target=request.ref,
                 purpose=f"document:{document.pk}")
    return data, document.blob.content_type


# --- the transparency report's counts --------------------------------------------------------------------------

def law_enforcement_counts(*, start: date, end: date) -> dict[str, Any]:
    """Requests received from ``start`` to ``end`` (both included), counted by agency type, legal process and
    outcome, and by process and outcome together; every code appears (zero when none), so that two reports line
    up. Aggregates only: no request id, no subject. ``items_produced``: items handed over for those requests;
    ``notices_given``: applicants told; ``gag_orders``: requests with an order forbidding notice."""
    rows = (
        LawEnforcementRequest.objects.filter(received_on__gte=start, received_on__lte=end)
        .values("agency_type", "legal_process", "status", "decision")
        .annotate(n=Count("id"))
    )
    by_agency = dict.fromkeys(rules.AGENCY_TYPES, 0)
    by_process = dict.fromkeys(rules.PROCESSES, 0)
    by_outcome = dict.fromkeys(rules.OUTCOMES, 0)
    by_process_outcome = {process: dict.fromkeys(rules.OUTCOMES, 0) for process in rules.PROCESSES}
    by_agency_outcome = {agency: dict.fromkeys(rules.OUTCOMES, 0) for agency in rules.AGENCY_TYPES}
    total = 0
    for row in rows:
        outcome = rules.outcome_of(row["status"], row["decision"])
        n = row["n"]
        total += n
        by_agency[row["agency_type"]] = by_agency.get(row["agency_type"], 0) + n
        by_process[row["legal_process"]] = by_process.get(row["legal_process"], 0) + n
        by_outcome[outcome] += n
        by_process_outcome.setdefault(row["legal_process"], dict.fromkeys(rules.OUTCOMES, 0))[outcome] += n
        by_agency_outcome.setdefault(row["agency_type"], dict.fromkeys(rules.OUTCOMES, 0))[outcome] += n
    window = Q(request__received_on__gte=start, request__received_on__lte=end)
    in_window = LawEnforcementRequest.objects.filter(received_on__gte=start, received_on__lte=end)
    return {
        "start": start.isoformat(),
        "end": end.isoformat(),
        "total": total,
        "by_agency_type": by_agency,
        "by_legal_process": by_process,
        "by_outcome": by_outcome,
        "by_process_and_outcome": by_process_outcome,
        "by_agency_type_and_outcome": by_agency_outcome,
        "items_produced": ProducedItem.objects.filter(window, read_at__isnull=False).count(),
        "notices_given": in_window.exclude(notice_on=None).count(),
        "gag_orders": in_window.filter(gag_order=True).count(),
    }
