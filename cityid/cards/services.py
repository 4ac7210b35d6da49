"""Card writes: issuing card records and changing their status (revoke, suspend, reinstate).

A status change re-signs the published status list once it commits (:mod:`cityid.cards.issuing`).

Status rules: revoked is final; only an issued card is suspended; only a suspended card is
reinstated; an expired card may still be revoked but not suspended or reinstated. Every change
is authorised (``cards.status``), kept in :class:`CardStatusChange` with its note (sealed under the
applicant's application record: see :mod:`cityid.cards.notes`), and written to the audit log as
``card.<change>`` with the card's id and the reason code only.
"""

from __future__ import annotations

from datetime import date
from typing import NamedTuple

from django.db import IntegrityError, transaction
from django.utils import timezone

from cityid.accounts.selectors import account_of
from cityid.accounts.services import authorize
from cityid.audit.services import record_event, record_events
from cityid.cards.issuing import draw_status_indexes, rebuild_status_list_after_commit
from cityid.cards.models import (
    NOTE_MAX_LENGTH,
    REASONS_FOR,
    Card,
    CardStatus,
    CardStatusChange,
    StatusChangeKind,
)
from cityid.cards.notes import NoteNotKept, seal_note
from cityid.cards.numbers import new_card_number
from cityid.cards.sealing import seal_number
from cityid.core.actors import Actor
from cityid.core.errors import CityidError
from cityid.enrollment.selectors import application_record_key
from cityid.enrollment.services import Approval


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
            card = Card(applicant_id=application.applicant_id, application=application, issued_on=approval.decided_on,
                        expires_on=approval.card_expires_on, status_index=index)
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

