"""Card writes: issuing card records and changing their status (revoke, suspend, reinstate).

Status rules: revoked is final; only an issued card is suspended; only a suspended card is
reinstated; an expired card may still be revoked but not suspended or reinstated. Every change
is authorised (``cards.status``), kept in :class:`CardStatusChange` with its note (sealed under the
applicant's application record: see :mod:`cityid.cards.notes`), and written to the audit log as
``card.<change>`` with the card's id and the reason code only.
"""

from __future__ import annotations

from datetime import date
from typing import Any, NamedTuple

from django.db import IntegrityError, transaction
from django.utils import timezone

from cityid.accounts.selectors import account_of
from cityid.accounts.services import authorize
from cityid.audit.services import record_event, record_events
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
from cityid.cards.sealing import open_record_of, seal_number
from cityid.core.actors import Actor
from cityid.enrollment.models import Applicant


def issue_cards(issues: list[tuple[Any, date, date]], *, issued_by: Actor | None) -> list[Card]:
    """A card record for each ``(application, issued_on, expires_on)``, with fresh random numbers."""
    if not issues:
        return []
    # Each number is sealed under its applicant's application record: one unwrap per applicant.
    applicants = Applicant.objects.select_related("personal_record").in_bulk(
        {application.applicant_id for application, _issued, _expires in issues}
    )
    records = {pk: open_record_of(applicant.personal_record) for pk, applicant in applicants.items()}
    for _attempt in range(5):
        cards = []
        for application, issued_on, expires_on in issues:
            card = Card(applicant_id=application.applicant_id, application=application, issued_on=issued_on,
                        expires_on=expires_on)
            seal_number(card, new_card_number(), record=records[application.applicant_id],
                        application_public_id=application.public_id)
            cards.append(card)
        try:
            with transaction.atomic():  # a savepoint: a number collision retries the batch with new numbers
                Card.objects.bulk_create(cards)
        except IntegrityError:
            continue
        record_events(
            [
                dict(actor=issued_by, action="card.issue", target=f"card:{card.pk}")  # not linked to the application
                for card in cards
            ]
        )
        return cards
    raise RuntimeError("could not draw unused card numbers")


class CardStatusError(ValueError):
    """A status change that the rules refuse: a one-line message for an operator, and a ``code``
    (with ``params``) from which the staff pages word it in the reader's language."""

    def __init__(self, message: str, *, code: str, **params: Any) -> None:
        super().__init__(message)
        self.code = code
        self.params = params


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
        raise CardStatusError(f"unknown change {kind!r}; one of: {', '.join(_TRANSITIONS)}", code="unknown_change")
    if reason not in REASONS_FOR[kind]:
        raise CardStatusError(
            f"{reason!r} is not a reason to {kind} a card; one of: {', '.join(REASONS_FOR[kind])}",
            code="reason", kind=kind,
        )
    if len(note) > NOTE_MAX_LENGTH:
        raise CardStatusError(f"the note is longer than {NOTE_MAX_LENGTH} characters", code="note")


def _check_transition(card: Card, kind: str, today: date) -> str:
    """The status the change leaves the card in, or CardStatusError saying why it is refused."""
    transition = _TRANSITIONS[kind]
    if card.status == CardStatus.REVOKED:
        raise CardStatusError("the card is revoked, and a revoked card cannot be changed (issue a replacement)",
                              code="revoked")
    if card.status not in transition.from_statuses:
        raise CardStatusError(
            f"the card is {card.status}: only {' or '.join(transition.from_statuses)} cards can be {transition.done}",
            code="wrong_status", kind=kind, status=card.status,
        )
    if kind != StatusChangeKind.REVOKE and card.expires_on < today:
        raise CardStatusError(
            f"the card expired on {card.expires_on.isoformat()}, and an expired card can only be revoked",
            code="expired", kind=kind, expired_on=card.expires_on,
        )
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
            applicant = Applicant.objects.select_related("personal_record").get(pk=locked.applicant_id)
            try:
                seal_note(change, note, record_key=applicant.personal_record)
            except NoteNotKept:
                raise CardStatusError(
                    "the applicant's application data is destroyed, so a note cannot be kept: "
                    "change the status without one", code="note_destroyed",
                ) from None
        change.save()
        locked.status = to_status
        locked.save(update_fields=["status"])
        # The reason code stays in the card's history (CardStatusChange), not in the log.
        record_event(actor=changed_by, action=f"card.{kind}", target=locked.ref)
    card.status = to_status
    return change


def revoke_card(
    card: Card, *, reason: str, changed_by: Actor | None, note: str = "", today: date | None = None
) -> CardStatusChange:
    """Revoke a card for good: from issued or suspended, expired or not (a revocation is still worth
    publishing for an expired card that was stolen or forged)."""
    return change_status(card, StatusChangeKind.REVOKE, reason=reason, changed_by=changed_by, note=note, today=today)


def suspend_card(
    card: Card, *, reason: str, changed_by: Actor | None, note: str = "", today: date | None = None
) -> CardStatusChange:
    """Suspend an issued, unexpired card until it is reinstated or revoked."""
    return change_status(card, StatusChangeKind.SUSPEND, reason=reason, changed_by=changed_by, note=note,
                          today=today)


def reinstate_card(
    card: Card, *, reason: str, changed_by: Actor | None, note: str = "", today: date | None = None
) -> CardStatusChange:
    """Return a suspended, unexpired card to issued."""
    return change_status(card, StatusChangeKind.REINSTATE, reason=reason, changed_by=changed_by, note=note,
                          today=today)
