"""Card writes: issuing card records and changing their status (revoke, suspend, reinstate).

A status change re-signs the published status list once it commits (:mod:`cityid.cards.issuing`).

Status rules: revoked is final; only an issued card is suspended; only a suspended card is
reinstated; an expired card may still be revoked but not suspended or reinstated. Every change
is authorised (``cards.status``), kept in :class:`CardStatusChange` with its note (sealed under the
applicant's application record: see :mod:`cityid.cards.notes`), and written to the audit log as
``card.<change>`` with the card's id and the reason code only.
"""

from __future__ import annotations

import calendar
from datetime import date, timedelta
from typing import NamedTuple

from django.db import IntegrityError, transaction
from django.utils import timezone

from cityid.accounts.selectors import account_of
from cityid.accounts.services import authorize
from cityid.audit.services import record_event, record_events
from cityid.cards.issuing import draw_status_indexes, rebuild_status_list_after_commit
from cityid.cards.models import (
    BATCH_STEPS,
    NOTE_MAX_LENGTH,
    REASONS_FOR,
    REPLACEMENT_REASONS,
    BatchStatus,
    Card,
    CardEvent,
    CardStatus,
    CardStatusChange,
    PrintBatch,
    PrintBatchCard,
    StatusChangeKind,
)
from cityid.cards.notes import NoteNotKept, seal_note
from cityid.cards.numbers import new_card_number
from cityid.cards.sealing import seal_number
from cityid.core.actors import Actor
from cityid.core.errors import CityidError
from cityid.enrollment.selectors import applicant_record_keys, application_record_key
from cityid.enrollment.services import (
    Approval,
    card_expiry_for,
    decide,
    lock_if_decisions_move_dates,
    open_reissue,
    renewal_window,
)
from cityid.retention import services as retention

#: Applications being decided as replacements (``replace_card``), by id: the card each one replaces.
_replacing: dict[int, Card] = {}


def issue_cards(approvals: list[Approval], *, decided_by: Actor | None) -> list[Card]:
    """A card record for each approval, with a fresh random number sealed under the applicant's application
    record and a random unused status-list index (``issuing.draw_status_indexes``). Registered with
    ``enrollment.services.register_on_approval``: it runs in the approval's transaction."""
    if not approvals:
        return []
    for _attempt in range(5):
        cards = []
        indexes = draw_status_indexes(len(approvals))
        for approval, index in zip(approvals, indexes, strict=True):
            application = approval.application
            expires_on = approval.card_expires_on
            replaced = _replacing.get(application.pk)
            if replaced is not None:  # a replacement keeps the expiry of the card it replaces
                expires_on = replaced.expires_on
            card = Card(applicant_id=application.applicant_id, application=application, issued_on=approval.decided_on,
                        expires_on=expires_on, replaces=replaced, status_index=index)
            seal_number(card, new_card_number(), record=approval.record, application_public_id=application.public_id)
            cards.append(card)
        try:
            with transaction.atomic():  # a savepoint: a number or index collision retries the batch with new ones
                Card.objects.bulk_create(cards)
        except IntegrityError:
            continue
        record_events(
            [
                dict(actor=decided_by, action="card.issue", target=f"card:{card.pk}")  # not linked to the application
                for card in cards
            ]
        )
        return cards
    raise RuntimeError("could not draw unused card numbers")


class CardStatusError(CityidError, ValueError):
    """A status change that the rules refuse: a ``code`` (with ``params``), worded in the reader's language
    (``cards.messages``) on the staff pages and on the command line alike."""


class _Transition(NamedTuple):
    from_statuses: tuple[str, ...]
    to_status: str
    done: str


_TRANSITIONS: dict[str, _Transition] = {
    StatusChangeKind.SUSPEND: _Transition((CardStatus.ISSUED,), CardStatus.SUSPENDED, "suspended"),
    StatusChangeKind.REINSTATE: _Transition((CardStatus.SUSPENDED,), CardStatus.ISSUED, "reinstated"),
    StatusChangeKind.REVOKE: _Transition((CardStatus.ISSUED, CardStatus.SUSPENDED), CardStatus.REVOKED, "revoked"),
}


def _check_request(kind: str, reason: str, note: str) -> None:
    if kind not in _TRANSITIONS:
        raise CardStatusError("unknown_change", kind=kind, kinds=", ".join(_TRANSITIONS))
    if reason not in REASONS_FOR[kind]:
        raise CardStatusError("reason", kind=kind, reason=reason, reasons=", ".join(REASONS_FOR[kind]))
    if len(note) > NOTE_MAX_LENGTH:
        raise CardStatusError("note", max_length=NOTE_MAX_LENGTH)


def _check_transition(card: Card, kind: str, today: date) -> str:
    """The status the change leaves the card in, or CardStatusError saying why it is refused."""
    transition = _TRANSITIONS[kind]
    if card.status == CardStatus.REVOKED:
        raise CardStatusError("revoked")
    if card.status not in transition.from_statuses:
        raise CardStatusError("wrong_status", kind=kind, status=card.status)
    if kind != StatusChangeKind.REVOKE and card.expires_on < today:
        raise CardStatusError("expired", kind=kind, expired_on=card.expires_on.isoformat())
    return transition.to_status


def available_changes(card: Card, today: date | None = None) -> list[str]:
    """The changes the rules allow for this card now (what a staff page offers)."""
    today = today or timezone.localdate()
    possible = []
    for kind in _TRANSITIONS:
        try:
            _check_transition(card, kind, today)
        except CardStatusError:
            continue
        possible.append(str(kind))
    return possible


def change_status(
    card: Card, kind: str, *, reason: str, changed_by: Actor | None, note: str = "", today: date | None = None
) -> CardStatusChange:
    """One of revoke, suspend or reinstate by name (the command and the staff page name it)."""
    authorize(changed_by, "cards.status", target=card.ref)
    note = " ".join(note.split())
    _check_request(kind, reason, note)
    today = today or timezone.localdate()
    with transaction.atomic():
        locked = Card.objects.select_for_update().get(pk=card.pk)
        to_status = _check_transition(locked, kind, today)
        change = CardStatusChange(
            card=locked, from_status=locked.status, to_status=to_status, reason=reason,
            changed_by=account_of(changed_by),
        )
        if note:
            try:
                seal_note(change, note, record_key=application_record_key(locked.applicant_id))
            except NoteNotKept:
                raise CardStatusError("note_destroyed") from None
        change.save()
        locked.status = to_status
        locked.save(update_fields=["status"])
        # The reason code stays in the card's history (CardStatusChange), not in the log.
        record_event(actor=changed_by, action=f"card.{kind}", target=locked.ref)
        rebuild_status_list_after_commit()  # partners see the change at the next download
    card.status = to_status
    return change



# --- the card's life: replacement and renewal -------------------------------------------------------------


def replace_card(card: Card, *, reason: str, replaced_by: Actor | None, note: str = "",
                 today: date | None = None) -> Card:
    """A new card, with a new number, for the holder of ``card`` (lost, stolen, damaged, name change), and
    ``card`` revoked with that reason: one transaction, so there is never a moment with both valid or neither.

    The new card comes from a replacement case (``enrollment.services.open_reissue``: the same eligibility and
    card options, no documents) approved by ``replaced_by`` (a supervisor: ``cards.replace`` and
    ``enrollment.decide``); it keeps the old card's expiry, and it prints the holder's current name (a name change
    is recorded in enrollment first). The new card's history says it is a replacement and why; the old card's
    says it was revoked and why (with the note, sealed as every note is)."""
    authorize(replaced_by, "cards.replace", target=card.ref)
    note = " ".join(note.split())
    if reason not in REPLACEMENT_REASONS:
        raise CardStatusError("replacement_reason", reason=reason, reasons=", ".join(REPLACEMENT_REASONS))
    _check_request(StatusChangeKind.REVOKE, reason, note)
    today = today or timezone.localdate()
    with transaction.atomic():
        lock_if_decisions_move_dates()  # before any row lock, as the approval below takes it too
        locked = Card.objects.select_for_update().select_related("application").get(pk=card.pk)
        if locked.status == CardStatus.REVOKED:
            raise CardStatusError("revoked")
        if hasattr(locked, "replaced_by"):
            raise CardStatusError("replaced")
        application = open_reissue(application=locked.application, requested_by=replaced_by, today=today)
        _replacing[application.pk] = locked
        try:
            decide(application=application, approve=True, decided_by=replaced_by, decided_on=today)
        finally:
            _replacing.pop(application.pk, None)
        new = Card.objects.select_related("application", "applicant__personal_record").get(application=application)
        CardStatusChange.objects.create(card=new, from_status=new.status, to_status=new.status,
                                        event=CardEvent.REPLACEMENT, reason=reason,
                                        changed_by=account_of(replaced_by))
        change_status(locked, StatusChangeKind.REVOKE, reason=reason, changed_by=replaced_by, note=note, today=today)
        record_event(actor=replaced_by, action="card.replace", target=new.ref)
    card.status = CardStatus.REVOKED
    return new


def add_months(day: date, months: int) -> date:
    """``day`` ``months`` later, on the same day of the month or the month's last (31 Aug + 6 -> 28/29 Feb)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def renewal_opens(card: Card) -> tuple[date, date]:
    """The first and last day on which ``card`` may be renewed (the rules file's renewal window)."""
    days_before, months_after = renewal_window()
    return card.expires_on - timedelta(days=days_before), add_months(card.expires_on, months_after)


def renew_card(card: Card, *, renewed_by: Actor | None, today: date | None = None) -> Card:
    """Extend the validity of ``card`` (same number) by the rules file, as if issued ``today``: only an issued
    card, only within the renewal window (IDNYC: 60 days before expiry to 6 months after). The card is due for
    printing again (its printed expiry changed); its history says it was renewed. ``cards.renew``."""
    authorize(renewed_by, "cards.renew", target=card.ref)
    today = today or timezone.localdate()
    with transaction.atomic():
        moves_dates = lock_if_decisions_move_dates()
        locked = Card.objects.select_for_update().get(pk=card.pk)
        if locked.status != CardStatus.ISSUED:
            raise CardStatusError("renew_status", status=locked.status)
        opens, closes = renewal_opens(locked)
        if today < opens:
            raise CardStatusError("renew_early", opens_on=opens.isoformat())
        if today > closes:
            raise CardStatusError("renew_late", closed_on=closes.isoformat())
        expires_on = card_expiry_for(applicant_id=locked.applicant_id, issued_on=today, actor=renewed_by,
                                     purpose=locked.ref)
        if expires_on <= locked.expires_on:
            raise CardStatusError("renew_early", opens_on=opens.isoformat())
        CardStatusChange.objects.create(card=locked, from_status=locked.status, to_status=locked.status,
                                        event=CardEvent.RENEWED, reason="", changed_by=account_of(renewed_by))
        locked.expires_on = expires_on
        locked.needs_print = True
        locked.save(update_fields=["expires_on", "needs_print"])
        record_event(actor=renewed_by, action="card.renew", target=locked.ref)
        if moves_dates:  # the card's expiry can be a schedule's trigger
            retention.refresh_due_dates(applicant_record_keys(locked.applicant_id))
    card.expires_on, card.needs_print = locked.expires_on, True
    return card


# --- print batches (card production) ------------------------------------------------------------------------

BATCH_MAX = 500
#: What each batch step writes in its cards' histories.
BATCH_EVENTS: dict[str, str] = {
    BatchStatus.PRINTED: CardEvent.PRINTED, BatchStatus.MAILED: CardEvent.MAILED,
    BatchStatus.PICKED_UP: CardEvent.PICKED_UP,
}


def create_batch(*, created_by: Actor | None, limit: int = 100, today: date | None = None) -> PrintBatch:
    """A print batch of up to ``limit`` issued, unexpired cards waiting to be printed (new, replacement or
    renewed), oldest first. Each card's history says it was put in the batch; it waits no more. ``cards.produce``."""
    authorize(created_by, "cards.produce")
    if not 1 <= limit <= BATCH_MAX:
        raise BatchError("limit", max=BATCH_MAX)
    today = today or timezone.localdate()
    with transaction.atomic():
        waiting = list(
            Card.objects.select_for_update()
            .filter(needs_print=True, status=CardStatus.ISSUED, expires_on__gte=today)
            .order_by("issued_on", "id")[:limit]
        )
        if not waiting:
            raise BatchError("empty")
        batch = PrintBatch.objects.create(created_by=account_of(created_by))
        PrintBatchCard.objects.bulk_create(
            [PrintBatchCard(batch=batch, card=card, position=position) for position, card in enumerate(waiting)]
        )
        Card.objects.filter(pk__in=[card.pk for card in waiting]).update(needs_print=False)
        _history(waiting, CardEvent.BATCHED, created_by)
        record_event(actor=created_by, action="cards.batch_create", target=batch.ref)
    return batch


def _history(cards: list[Card], event: str, actor: Actor | None) -> None:
    account = account_of(actor)
    CardStatusChange.objects.bulk_create([
        CardStatusChange(card=card, from_status=card.status, to_status=card.status, event=event, reason="",
                         changed_by=account)
        for card in cards
    ])


def mark_batch(batch: PrintBatch, step: str, *, marked_by: Actor | None) -> PrintBatch:
    """Mark a batch ``printed``, then ``mailed`` or ``picked_up``: every card in it gets the step in its
    history. ``cards.produce``."""
    authorize(marked_by, "cards.produce", target=batch.ref)
    with transaction.atomic():
        locked = PrintBatch.objects.select_for_update().get(pk=batch.pk)
        if step not in BATCH_STEPS.get(locked.status, ()):
            raise BatchError("step", step=step, status=locked.status)
        locked.status = step
        locked.save(update_fields=["status", "changed_at"])
        cards = list(Card.objects.filter(pk__in=locked.items.values("card_id")).order_by("id"))
        _history(cards, BATCH_EVENTS[step], marked_by)
        record_event(actor=marked_by, action=f"cards.batch_{step}", target=locked.ref)
    batch.status = step
    return batch


class BatchError(CityidError, ValueError):
    """A print batch refused: ``empty`` (no card waits to be printed), ``limit``, ``step`` (not the batch's
    next step)."""
