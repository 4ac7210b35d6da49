"""FOIL writes: receiving a request (numbered, dated, sealed, acknowledged by notice), its status changes,
appeals, and sending the notices of the outbox.

A request is never lost once its id is shown: the request, its first history step and its notice (the
outbox row) are written in one transaction, and the email goes only after that commit. A crash between the
two leaves the notice unsent, and ``cityid foil send`` (or the next request's commit) sends it.

Status rules (the transition table below): received → acknowledged → in progress → (extended) → fulfilled,
partially fulfilled or denied → closed; a request may be extended or determined from any open status, closed
without a determination (withdrawn, no records, referred, duplicate), and a denial (or partial denial) may be
appealed within 30 calendar days. Every step is authorised, kept in :class:`FoilEvent` with its codes, and
written to the audit log as ``foil.<step>`` with the request's id only.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import NamedTuple

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone

from cityid.accounts.selectors import account_of
from cityid.accounts.services import authorize
from cityid.audit.services import record_event
from cityid.core.actors import Actor
from cityid.core.errors import CityidError
from cityid.disclosure import deadlines as dl
from cityid.disclosure import sealing
from cityid.disclosure.models import (
    AppealOutcome,
    ClosingReason,
    Exemption,
    ExtensionReason,
    FoilCounter,
    FoilEvent,
    FoilNotice,
    FoilRequest,
    FoilStatus,
    Outcome,
)
from cityid.disclosure.sealing import access_digest, access_matches
from cityid.disclosure.selectors import current_calendar, letter
from cityid.enrollment import uploads
from cityid.retention import services as retention
from cityid.vault import services as vault

NAME_MAX = 200
ADDRESS_MAX = 500
DESCRIPTION_MIN = 10
DESCRIPTION_MAX = 5000
PHONE_MAX = 32


class FoilError(CityidError):
    """A FOIL request or step that the rules refuse (words: ``disclosure.messages``). ``field`` names the
    form field at fault, when there is one."""

    @property
    def field(self) -> str:
        return str(self.params.get("field", ""))


@dataclass(frozen=True)
class FoilInput:
    """What a requester submits. Every value but ``language`` is personal data and is sealed."""

    name: str
    description: str
    email: str = ""
    phone: str = ""
    address: str = ""
    language: str = "en"
    attachment: bytes | None = None

    def values(self) -> dict[str, str]:
        return {"name": self.name, "email": self.email, "phone": self.phone, "address": self.address,
                "description": self.description}


def _clean(text: str) -> str:
    return "\n".join(" ".join(line.split()) for line in (text or "").strip().splitlines()).strip()


def check_input(data: FoilInput) -> FoilInput:
    """``data`` tidied (spaces), or FoilError naming the first field at fault."""
    name, email, phone = " ".join(data.name.split()), data.email.strip(), " ".join(data.phone.split())
    address, description = _clean(data.address), _clean(data.description)
    if not name:
        raise FoilError("name_missing", field="name")
    if len(name) > NAME_MAX:
        raise FoilError("too_long", field="name", max_length=NAME_MAX)
    if not email and not address:
        raise FoilError("contact_missing", field="email")
    if email:
        try:
            validate_email(email)
        except ValidationError:
            raise FoilError("email_invalid", field="email") from None
    if len(phone) > PHONE_MAX or (phone and not any(ch.isdigit() for ch in phone)):
        raise FoilError("phone_invalid", field="phone")
    if len(address) > ADDRESS_MAX:
        raise FoilError("too_long", field="address", max_length=ADDRESS_MAX)
    if len(description) < DESCRIPTION_MIN:
        raise FoilError("description_short", field="description", min_length=DESCRIPTION_MIN)
    if len(description) > DESCRIPTION_MAX:
        raise FoilError("too_long", field="description", max_length=DESCRIPTION_MAX)
    language = data.language if data.language in dict(settings.LANGUAGES) else "en"
    attachment = data.attachment or None
    if attachment is not None and len(attachment) > attachment_max_bytes():
        raise FoilError("attachment_too_big", field="attachment", max_mb=attachment_max_bytes() // 2**20)
    return FoilInput(name=name, description=description, email=email, phone=phone, address=address,
                     language=language, attachment=attachment)


def attachment_max_bytes() -> int:
    return int(getattr(settings, "CITYID_FOIL_ATTACHMENT_MAX_BYTES", 5 * 2**20))


def _clean_attachment(data: bytes) -> uploads.Cleaned:
    """The attachment re-encoded without metadata or active content (PDF, PNG, JPEG), or FoilError."""
    try:
        return uploads.clean_upload(data, kind=uploads.SCAN, max_pixels=40_000_000, max_pages=50)
    except uploads.UploadRefused:
        raise FoilError("attachment_type", field="attachment") from None


class Submitted(NamedTuple):
    request: FoilRequest
    #: Shown once to the requester (the form's receipt, the API's answer): with the id, it opens their status page.
    access_code: str


def _next_number(year: int, agency: str) -> int:
    """The next number of ``agency`` in ``year``, drawn under a row lock (call inside a transaction)."""
    for _attempt in range(3):
        counter = FoilCounter.objects.select_for_update().filter(year=year, agency=agency).first()
        if counter is None:
            try:
                with transaction.atomic():
                    FoilCounter.objects.create(year=year, agency=agency, last=0)
            except IntegrityError:  # created at the same moment by another request: lock that one
                pass
            continue
        counter.last += 1
        counter.save(update_fields=["last"])
        return counter.last
    raise RuntimeError("could not draw a FOIL number")


def format_id(year: int, agency: str, number: int) -> str:
    """``FOIL-<year>-<agency>-<number>``: the calendar year of receipt, the agency's four-digit code
    (``CITYID_FOIL_AGENCY``), and the agency's sequence number in that year, five digits (more past 99,999)."""
    return f"FOIL-{year}-{agency}-{number:05d}"


def submit_request(*, data: FoilInput, received_at: datetime | None = None, channel: str = "web") -> Submitted:
    """Receive a request: checked, numbered, dated on the business calendar, sealed, with its receipt
    notice in the outbox, all in one transaction; the notice is sent after the commit."""
    data = check_input(data)
    received_at = received_at or timezone.now()
    cal = current_calendar()
    found = dl.deadlines(cal, received_at)
    agency = settings.CITYID_FOIL_AGENCY
    code = secrets.token_urlsafe(12)
    cleaned = _clean_attachment(data.attachment) if data.attachment else None
    with vault.atomic_with_blobs():
        year = found.received_on.year
        number = _next_number(year, agency)
        request = FoilRequest(
            public_id=format_id(year, agency, number), year=year, agency=agency, number=number, channel=channel,
            language=data.language, access_digest=access_digest(code), received_at=received_at,
            received_on=found.received_on, acknowledgment_due=found.acknowledgment_due,
            determination_due=found.determination_due,
        )
        due_on = retention.due_on(retention.current_rule("disclosure"), submitted=found.received_on)
        record = sealing.new_record(request, due_on=due_on)
        sealing.seal_request(request, record, data.values())
        if cleaned is not None:
            blob = vault.store_blobs([(record, cleaned.data, cleaned.content_type)])[0]
            blob.save()
            request.attachment = blob
        request.save()
        event = FoilEvent.objects.create(request=request, kind="receive", to_status=FoilStatus.RECEIVED,
                                         on=found.received_on)
        notice = FoilNotice.objects.create(request=request, event=event, kind="receive")
        record_event(actor=AnonymousUser(), action="foil.receive", target=request.ref)
        transaction.on_commit(lambda: send_notices(notice_ids=[notice.pk]))
    return Submitted(request, code)


# --- status changes ------------------------------------------------------------------------------------------

OPEN = (FoilStatus.RECEIVED, FoilStatus.ACKNOWLEDGED, FoilStatus.IN_PROGRESS, FoilStatus.EXTENDED)
DETERMINED = (FoilStatus.FULFILLED, FoilStatus.PARTIALLY_FULFILLED, FoilStatus.DENIED)


class _Transition(NamedTuple):
    from_statuses: tuple[str, ...]
    to_status: str | None  # None: decided by the step's outcome
    action: str  # the policy action


_TRANSITIONS: dict[str, _Transition] = {
    "acknowledge": _Transition((FoilStatus.RECEIVED,), FoilStatus.ACKNOWLEDGED, "foil.manage"),
    "start": _Transition((FoilStatus.RECEIVED, FoilStatus.ACKNOWLEDGED), FoilStatus.IN_PROGRESS, "foil.manage"),
    "extend": _Transition(OPEN, FoilStatus.EXTENDED, "foil.manage"),
    "determine": _Transition(OPEN, None, "foil.manage"),
    "close": _Transition((*OPEN, *DETERMINED), FoilStatus.CLOSED, "foil.manage"),
    "appeal": _Transition((FoilStatus.PARTIALLY_FULFILLED, FoilStatus.DENIED, FoilStatus.CLOSED), FoilStatus.APPEALED,
                          "foil.manage"),
    "decide_appeal": _Transition((FoilStatus.APPEALED,), None, "foil.appeal"),
}

STEPS: tuple[str, ...] = tuple(_TRANSITIONS)

_APPEAL_STATUS = {
    AppealOutcome.GRANTED: FoilStatus.FULFILLED,
    AppealOutcome.GRANTED_IN_PART: FoilStatus.PARTIALLY_FULFILLED,
    AppealOutcome.DENIED: FoilStatus.DENIED,
}


@dataclass
class Step:
    """The details a step may carry (each step reads the ones it needs)."""

    date_certain: date | None = None
    reason: str = ""
    outcome: str = ""
    exemptions: list[str] = field(default_factory=list)
    appeal_received_at: datetime | None = None


def _check_exemptions(outcome: str, exemptions: list[str]) -> str:
    unknown = [code for code in exemptions if code not in Exemption.values]
    if unknown:
        raise FoilError("exemption_unknown", field="exemptions", code=unknown[0])
    if outcome in (Outcome.DENIED, Outcome.PARTIALLY_FULFILLED, AppealOutcome.DENIED,
                   AppealOutcome.GRANTED_IN_PART) and not exemptions:
        raise FoilError("exemption_missing", field="exemptions")
    if outcome in (Outcome.FULFILLED, AppealOutcome.GRANTED) and exemptions:
        raise FoilError("exemption_not_withheld", field="exemptions")
    return ",".join(sorted(set(exemptions)))


def _check_transition(request: FoilRequest, kind: str) -> _Transition:
    if kind not in _TRANSITIONS:
        raise FoilError("unknown_step", kind=kind, kinds=", ".join(_TRANSITIONS))
    transition = _TRANSITIONS[kind]
    if request.status not in transition.from_statuses:
        raise FoilError("wrong_status", kind=kind, status=request.status)
    if kind == "appeal" and (request.outcome not in (Outcome.DENIED, Outcome.PARTIALLY_FULFILLED)
                             or request.appeal_filed_on is not None):
        raise FoilError("not_appealable")
    return transition


def available_steps(request: FoilRequest) -> list[str]:
    """The steps the rules allow for this request now (what the officer's page offers)."""
    out = []
    for kind in _TRANSITIONS:
        try:
            _check_transition(request, kind)
        except FoilError:
            continue
        out.append(kind)
    return out


def _apply(request: FoilRequest, kind: str, step: Step, today: date, cal: dl.BusinessCalendar) -> FoilEvent:
    """Check the step's details and change ``request`` (unsaved); the history row to save."""
    transition = _check_transition(request, kind)
    to_status = transition.to_status or ""
    event = FoilEvent(request=request, kind=kind, from_status=request.status, on=today)
    if kind == "acknowledge":
        request.acknowledged_on = today
        request.determination_due = dl.determination_due(
            cal, acknowledgment_due=request.acknowledgment_due, acknowledged_on=today
        )
        event.date_certain = request.determination_due
    elif kind == "extend":
        if step.reason and step.reason not in ExtensionReason.values:
            raise FoilError("reason_unknown", field="reason", reason=step.reason)
        date_certain = dl.check_extension(cal, date_certain=step.date_certain, reason=step.reason, today=today)
        current = request.extended_to or request.determination_due
        if date_certain <= current:
            raise FoilError("extension_not_later", field="date_certain", due=current.isoformat())
        request.extended_to = date_certain
        request.extension_reason = step.reason
        event.date_certain, event.reason = date_certain, step.reason
    elif kind == "determine":
        if step.outcome not in Outcome.values:
            raise FoilError("outcome_unknown", field="outcome", outcome=step.outcome)
        request.exemptions = event.exemptions = _check_exemptions(step.outcome, step.exemptions)
        request.outcome, request.determined_on = step.outcome, today
        to_status = step.outcome
        event.reason = step.outcome
    elif kind == "close":
        allowed = ([ClosingReason.RESOLVED] if request.status in DETERMINED
                   else [r for r in ClosingReason.values if r != ClosingReason.RESOLVED])
        if step.reason not in allowed:
            raise FoilError("closing_reason", field="reason", reasons=", ".join(allowed))
        request.closing_reason = event.reason = step.reason
    elif kind == "appeal":
        received_at = step.appeal_received_at or timezone.now()
        filed_on = cal.local_date(received_at)
        assert request.determined_on is not None  # an appealable request is determined
        dl.check_appeal(denied_on=request.determined_on, filed_on=filed_on)
        request.appeal_filed_on = filed_on
        request.appeal_due = dl.appeal_determination_due(cal, received_at)
        event.date_certain = request.appeal_due
    elif kind == "decide_appeal":
        if step.outcome not in AppealOutcome.values:
            raise FoilError("outcome_unknown", field="outcome", outcome=step.outcome)
        exemptions = _check_exemptions(step.outcome, step.exemptions)
        request.appeal_outcome, request.appeal_decided_on = step.outcome, today
        to_status = _APPEAL_STATUS[AppealOutcome(step.outcome)]
        request.outcome = to_status
        request.exemptions = event.exemptions = exemptions
        event.reason = step.outcome
    request.status = event.to_status = to_status
    return event


#: The steps that tell the requester by a notice.
NOTIFIED = frozenset({"acknowledge", "extend", "determine", "close", "appeal", "decide_appeal"})


def change_status(
    request: FoilRequest, kind: str, *, by: Actor | None, step: Step | None = None, today: date | None = None,
) -> FoilEvent:
    """One step by name (the officer's page and the command name it), with its notice in the outbox."""
    transition = _TRANSITIONS.get(kind)
    authorize(by, transition.action if transition else "foil.manage", target=request.ref)
    step = step or Step()
    cal = current_calendar()
    today = today or cal.local_date(timezone.now())
    with transaction.atomic():
        locked = FoilRequest.objects.select_for_update().get(pk=request.pk)
        event = _apply(locked, kind, step, today, cal)
        event.by = account_of(by)
        event.save()
        locked.save()
        notice = FoilNotice.objects.create(request=locked, event=event, kind=kind) if kind in NOTIFIED else None
        record_event(actor=by, action=f"foil.{kind}", target=locked.ref)
        if notice is not None:
            notice_id = notice.pk
            transaction.on_commit(lambda: send_notices(notice_ids=[notice_id]))
    for name in ("status", "acknowledged_on", "determination_due", "extended_to", "extension_reason", "outcome",
                 "determined_on", "exemptions", "closing_reason", "appeal_filed_on", "appeal_due",
                 "appeal_decided_on", "appeal_outcome"):
        setattr(request, name, getattr(locked, name))
    return event


def file_appeal(*, public_id: str, access_code: str, received_at: datetime | None = None) -> FoilEvent:
    """The requester appeals a denial themselves (their id and access code stand for them)."""
    request = FoilRequest.objects.filter(public_id=public_id.strip().upper()).first()
    if request is None or not access_matches(request, access_code):
        record_event(actor=AnonymousUser(), action="foil.appeal", target="foil:unknown", outcome="denied")
        raise FoilError("not_found")
    cal = current_calendar()
    with transaction.atomic():
        locked = FoilRequest.objects.select_for_update().get(pk=request.pk)
        event = _apply(locked, "appeal", Step(appeal_received_at=received_at or timezone.now()),
                       cal.local_date(received_at or timezone.now()), cal)
        event.save()
        locked.save()
        notice = FoilNotice.objects.create(request=locked, event=event, kind="appeal")
        record_event(actor=AnonymousUser(), action="foil.appeal", target=locked.ref)
        notice_id = notice.pk
        transaction.on_commit(lambda: send_notices(notice_ids=[notice_id]))
    return event


# --- notices ------------------------------------------------------------------------------------------------


class SendResult(NamedTuple):
    sent: int
    by_post: int
    failed: int


def send_notices(*, notice_ids: list[int] | None = None, limit: int = 500) -> SendResult:
    """Send unsent notices (those named, else the oldest ``limit``), each through Django's email backend.

    The address is opened from the sealed request at the moment of sending and goes nowhere else; a
    requester who gave only a postal address gets a letter from the officer (the notice is marked done).
    A failure is counted on the notice and left for the next run (``cityid foil send``)."""
    pending = FoilNotice.objects.filter(sent_at__isnull=True).select_related("request", "request__record", "event")
    if notice_ids is not None:
        pending = pending.filter(pk__in=notice_ids)
    sent = by_post = failed = 0
    for notice in pending.order_by("created_at", "id")[:limit]:
        request = notice.request
        values = sealing.open_request(request) or {}
        email = values.get("email", "")
        if not email:
            notice.sent_at, notice.last_error = timezone.now(), "postal"
            notice.save(update_fields=["sent_at", "last_error"])
            by_post += 1
            continue
        subject, body = letter(request, notice.event)
        notice.attempts += 1
        try:
            EmailMessage(subject=subject, body=body, to=[email]).send()
        except Exception as exc:  # any transport failure: counted, retried by the next run
            notice.last_error = type(exc).__name__[:64]
            notice.save(update_fields=["attempts", "last_error"])
            record_event(actor=None, action="foil.notice", target=request.ref, purpose=notice.kind, outcome="failed")
            failed += 1
            continue
        notice.sent_at, notice.last_error = timezone.now(), ""
        notice.save(update_fields=["attempts", "sent_at", "last_error"])
        record_event(actor=None, action="foil.notice", target=request.ref, purpose=notice.kind)
        sent += 1
    return SendResult(sent, by_post, failed)
