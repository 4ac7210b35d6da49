"""FOIL reads: queues with their flags, a request's personal data (authorised, purpose-bound, audited), the
requester's own view, and the counts the transparency report publishes."""

from __future__ import annotations

from collections import Counter
from datetime import date
from typing import Any

from django.conf import settings
from django.db.models import Case, Count, F, Q, QuerySet, When
from django.db.models.functions import Coalesce
from django.template.loader import render_to_string
from django.utils import timezone, translation

from cityid.accounts.services import authorize
from cityid.audit.services import record_event
from cityid.core.errors import CityidError
from cityid.disclosure.deadlines import BusinessCalendar, appeal_deadline, calendar
from cityid.disclosure.models import FoilRequest, FoilStatus, Outcome
from cityid.disclosure.sealing import access_matches, open_request

#: Statuses in which nothing more is owed to the requester (until an appeal).
FINISHED: frozenset[str] = frozenset({
    FoilStatus.FULFILLED, FoilStatus.PARTIALLY_FULFILLED, FoilStatus.DENIED, FoilStatus.CLOSED,
})


def current_calendar() -> BusinessCalendar:
    """The business calendar of ``CITYID_FOIL_CALENDAR`` (default: New York State, 5 pm cut-off)."""
    conf: dict[str, Any] = dict(getattr(settings, "CITYID_FOIL_CALENDAR", {}) or {})
    conf.setdefault("time_zone", settings.TIME_ZONE)
    return _calendar(tuple(sorted((k, tuple(v) if isinstance(v, list) else v) for k, v in conf.items())))


_calendars: dict[tuple[Any, ...], BusinessCalendar] = {}


def _calendar(key: tuple[Any, ...]) -> BusinessCalendar:
    if key not in _calendars:
        _calendars[key] = calendar(**dict(key))
    return _calendars[key]


def foil_counts(*, start: date, end: date) -> dict[str, Any]:
    """What the transparency report publishes for ``start``..``end`` (both included): requests received (by
    their current status), determinations made (by outcome, with the exemptions cited), appeals, and
    timeliness (acknowledgments and determinations made on time or late; requests still open past their due
    date at ``end``). Counts only: no text, no contact details."""
    received = FoilRequest.objects.filter(received_on__range=(start, end))
    by_status = {status: 0 for status in FoilStatus.values}
    for status, count in received.values_list("status").annotate(n=Count("id")):
        by_status[status] = count

    determined = FoilRequest.objects.filter(determined_on__range=(start, end)).annotate(
        due=Coalesce(F("extended_to"), F("determination_due"))
    )
    by_outcome = {outcome: 0 for outcome in Outcome.values}
    for outcome, count in determined.values_list("outcome").annotate(n=Count("id")):
        if outcome:
            by_outcome[outcome] = count
    exemptions: Counter[str] = Counter()
    for cited in determined.exclude(exemptions="").values_list("exemptions", flat=True):
        exemptions.update(code for code in cited.split(",") if code)
    determined_on_time = determined.filter(determined_on__lte=F("due")).count()

    acknowledged = FoilRequest.objects.filter(acknowledged_on__range=(start, end))
    ack_on_time = acknowledged.filter(acknowledged_on__lte=F("acknowledgment_due")).count()

    open_late = (
        FoilRequest.objects.filter(received_on__lte=end)
        .exclude(status__in=FINISHED)
        .annotate(due=Coalesce(F("extended_to"), F("determination_due")))
        .filter(Q(determined_on__isnull=True) | Q(determined_on__gt=end), due__lt=end)
        .count()
    )
    appeals = FoilRequest.objects.filter(appeal_filed_on__range=(start, end))
    appeal_outcomes = {
        row["appeal_outcome"]: row["n"]
        for row in appeals.exclude(appeal_outcome="").values("appeal_outcome").annotate(n=Count("id"))
    }
    total_determined = sum(by_outcome.values())
    total_ack = acknowledged.count()
    return {
        "start": start.isoformat(),
        "end": end.isoformat(),
        "received": sum(by_status.values()),
        "by_status": by_status,
        "determined": total_determined,
        "by_outcome": by_outcome,
        "exemptions": dict(sorted(exemptions.items())),
        "timeliness": {
            "acknowledged_on_time": ack_on_time,
            "acknowledged_late": total_ack - ack_on_time,
            "determined_on_time": determined_on_time,
            "determined_late": total_determined - determined_on_time,
            "open_past_due": open_late,
        },
        "appeals": {"filed": appeals.count(), "by_outcome": appeal_outcomes},
    }


def requests_queue(status: str = "open") -> QuerySet[FoilRequest]:
    """Requests by due date (the earliest first): ``open`` (not finished), ``finished``, ``appealed``, ``all``
    or one status."""
    qs = FoilRequest.objects.annotate(due=Coalesce(F("extended_to"), F("determination_due")))
    if status == "open":
        qs = qs.exclude(status__in=FINISHED)
    elif status == "finished":
        qs = qs.filter(status__in=FINISHED)
    elif status in FoilStatus.values:
        qs = qs.filter(status=status)
    return qs.order_by("due", "id")


# --- flags and the officer's view ------------------------------------------------------------------------------

def due_soon_days() -> int:
    return int(getattr(settings, "CITYID_FOIL_DUE_SOON_DAYS", 2))


def next_due(request: FoilRequest) -> date | None:
    """The next date something is owed: the appeal's determination, the acknowledgment while there is none,
    else the determination (its extension's date certain once extended); ``None`` once finished."""
    if request.status == FoilStatus.APPEALED:
        return request.appeal_due
    if request.status in FINISHED:
        return None
    if request.status == FoilStatus.RECEIVED and request.acknowledged_on is None:
        return request.acknowledgment_due
    return request.extended_to or request.determination_due


def flags(request: FoilRequest, *, today: date, cal: BusinessCalendar | None = None) -> list[str]:
    """``overdue`` once the next due date has passed; ``due soon`` within ``CITYID_FOIL_DUE_SOON_DAYS``
    business days of it."""
    due = next_due(request)
    if due is None:
        return []
    if due < today:
        return ["overdue"]
    cal = cal or current_calendar()
    if cal.business_days_between(today, due) <= due_soon_days():
        return ["due_soon"]
    return []


def _next_due_expression() -> Any:
    return Case(
        When(status=FoilStatus.APPEALED, then=F("appeal_due")),
        When(status=FoilStatus.RECEIVED, acknowledged_on__isnull=True, then=F("acknowledgment_due")),
        default=Coalesce(F("extended_to"), F("determination_due")),
    )


QUEUES: tuple[str, ...] = ("open", "overdue", "appealed", "finished", "all")


def foil_queue(queue: str = "open", *, today: date) -> QuerySet[FoilRequest]:
    """Requests by next due date, the earliest first: ``open`` (anything owed), ``overdue``, ``appealed``,
    ``finished`` or ``all``. Metadata only: nothing the requester wrote."""
    qs = FoilRequest.objects.defer("sealed_request").annotate(next_due=_next_due_expression())
    if queue in ("open", "overdue"):
        qs = qs.exclude(status__in=FINISHED)
        if queue == "overdue":
            qs = qs.filter(next_due__lt=today)
    elif queue == "appealed":
        qs = qs.filter(status=FoilStatus.APPEALED)
    elif queue == "finished":
        qs = qs.filter(status__in=FINISHED)
    return qs.order_by(F("next_due").asc(nulls_last=True), "received_at", "id")


def request_by_id(public_id: str) -> FoilRequest | None:
    return FoilRequest.objects.defer("sealed_request").filter(public_id=public_id).first()


def history(request: FoilRequest) -> list[Any]:
    return list(request.events.select_related("by").order_by("at", "id"))


class FoilReadError(CityidError):
    """A read of a requester's details that is refused (words: ``disclosure.messages``)."""


#: Why a FOIL officer opens what a requester wrote (recorded with the read).
READ_PURPOSES: tuple[str, ...] = ("respond", "clarify", "appeal", "deliver")


def read_request(request: FoilRequest, *, actor: Any, purpose: str) -> dict[str, Any] | None:
    """What the requester wrote (name, contact details, description), for a FOIL officer with a purpose:
    authorised (``foil.read``), opened from the vault and written to the audit log as ``foil.read`` with the
    request's id and the purpose code. ``None`` once the record is destroyed."""
    authorize(actor, "foil.read", target=request.ref)
    if purpose not in READ_PURPOSES:
        raise FoilReadError("purpose", purposes=", ".join(READ_PURPOSES))
    record_event(actor=actor, action="foil.read", target=request.ref, purpose=purpose)
    full = FoilRequest.objects.select_related("record").get(pk=request.pk)
    return open_request(full)


def requester_view(public_id: str, access_code: str) -> FoilRequest | None:
    """The requester's own request, for its id and the access code shown to them once; ``None`` for any other
    pair (an unknown id and a wrong code look the same)."""
    request = FoilRequest.objects.defer("sealed_request").filter(public_id=public_id.strip().upper()).first()
    if request is None or not access_matches(request, access_code):
        return None
    return request


def letter_context(request: FoilRequest, event: Any) -> dict[str, Any]:
    """What a notice or letter says: the request's id and dates, the step, its codes. Never the requester's
    name or contact details (a letter is addressed to "the requester")."""
    exemptions = [code for code in (event.exemptions if event is not None else request.exemptions).split(",") if code]
    denied = request.outcome in (Outcome.DENIED, Outcome.PARTIALLY_FULFILLED) and (
        event is None or event.kind in ("determine", "decide_appeal")
    )
    return {
        "request": request,
        "event": event,
        "kind": event.kind if event is not None else "receive",
        "exemptions": exemptions,
        "appeal_language": denied and (event is None or event.kind == "determine"),
        "appeal_by": appeal_deadline(request.determined_on) if request.determined_on else None,
        "appeals_officer": getattr(settings, "CITYID_FOIL_APPEALS_OFFICER", "the agency's FOIL Appeals Officer"),
        "agency_name": getattr(settings, "CITYID_FOIL_AGENCY_NAME", "the agency"),
        "final_appeal": event is not None and event.kind == "decide_appeal",
    }


def letter(request: FoilRequest, event: Any) -> tuple[str, str]:
    """The subject and text of the notice or letter of one step, in the request's language."""
    context = letter_context(request, event)
    with translation.override(request.language or "en"):
        subject = " ".join(render_to_string("disclosure/letters/subject.txt", context).split())
        body = render_to_string("disclosure/letters/letter.txt", context).strip() + "\n"
    return subject, body


def letters(request: FoilRequest) -> list[dict[str, Any]]:
    """Every letter the requester was sent (or is sent by post), oldest first."""
    out = []
    for event in request.events.order_by("at", "id"):
        if event.kind in ("receive", "acknowledge", "extend", "determine", "close", "appeal", "decide_appeal"):
            subject, body = letter(request, event)
            out.append({"event": event, "subject": subject, "body": body})
    return out


def appealable(request: FoilRequest, *, today: date | None = None) -> bool:
    """Whether the requester may still appeal (a denial in whole or in part, within 30 days, not yet appealed)."""
    if request.outcome not in (Outcome.DENIED, Outcome.PARTIALLY_FULFILLED) or request.determined_on is None:
        return False
    if request.appeal_filed_on is not None or request.status not in (
            FoilStatus.DENIED, FoilStatus.PARTIALLY_FULFILLED, FoilStatus.CLOSED):
        return False
    today = today or current_calendar().local_date(timezone.now())
    return today <= appeal_deadline(request.determined_on)


# --- law-enforcement requests (cityid.disclosure.law_enforcement_selectors) ---------------------------------------

def law_enforcement_counts(*, start: date, end: date) -> dict[str, Any]:
    """Law-enforcement requests received from ``start`` to ``end`` (both included) by agency type, legal process and
    outcome (every code present, zero when none), with items produced, notices given and gag orders: aggregates
    only, for the transparency report. See :func:`cityid.disclosure.law_enforcement_selectors.law_enforcement_counts`.
    """
    from cityid.disclosure.law_enforcement_selectors import law_enforcement_counts as counts

    return counts(start=start, end=end)
