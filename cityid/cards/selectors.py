"""Card reads: find a card by its number, its status history, and paged listings."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.core.paginator import Page
from django.db.models import QuerySet

from cityid.accounts.policy import allowed
from cityid.accounts.services import role_of
from cityid.audit.services import record_event, record_events
from cityid.cards.models import Card, CardStatus, CardStatusChange
from cityid.cards.notes import open_notes
from cityid.cards.numbers import is_valid_card_number
from cityid.cards.sealing import number_digest, open_numbers
from cityid.core.actors import Actor
from cityid.core.errors import CityidError
from cityid.enrollment.exports import ExportSection
from cityid.enrollment.selectors import CardFace, read_card_face
from cityid.enrollment.services import ReadLimitReached, count_personal_read
from cityid.ui.pagination import PAGE_SIZE, paginate
from cityid.vault import services as vault

NUMBER_SEPARATORS = str.maketrans("", "", " -")


class CardLookupError(CityidError, ValueError):
    """No card answers to the number given; the code says why (``malformed``, ``check_digit``, ``not_found``)."""


def normalise_number(number: str) -> str:
    """The 16 digits of a card number as printed or typed (``1234 5678-9012 3456``)."""
    digits = (number or "").strip().translate(NUMBER_SEPARATORS)
    if len(digits) != 16 or not (digits.isascii() and digits.isdigit()):  # isdigit() alone admits "²", "①"
        raise CardLookupError("malformed")
    if not is_valid_card_number(digits):
        raise CardLookupError("check_digit")
    return digits


def find_card(number: str) -> Card:
    """The card with this number; CardLookupError for a malformed number or one no card has."""
    digits = normalise_number(number)
    card = (Card.objects.select_related("application", "applicant__personal_record")
            .filter(number_digest=number_digest(digits)).first())
    if card is None:
        raise CardLookupError("not_found")
    card.number = digits  # the reader typed it
    return card


def applicant_of_number(digits: str) -> int | None:
    """The id of the applicant holding the card with this (normalised) number, or None (enrollment's search
    asks through ``enrollment.selectors.register_card_numbers``; the caller authorises and logs)."""
    return (Card.objects.filter(number_digest=number_digest(digits))
            .values_list("applicant_id", flat=True).first())


def reveal_numbers(cards: Iterable[Card], *, actor: Actor | None) -> list[Card]:
    """The cards, each with its ``number`` opened if ``actor`` may see card numbers (``cards.read``), else
    left ``None``. Opening is logged: one ``card.read_number`` event per card whose number was shown
    (the card's pseudonymous id; never the number)."""
    cards = list(cards)
    if not allowed(role_of(actor), "cards.read"):
        for card in cards:
            card.number = None
        return cards
    open_numbers(cards)
    shown = [card for card in cards if card.number is not None]
    if shown:
        record_events([dict(actor=actor, action="card.read_number", target=card.ref) for card in shown])
    return cards


def card_history(card: Card) -> QuerySet[CardStatusChange]:
    """The card's status changes, newest first, with who made them."""
    return card.status_changes.select_related("changed_by").order_by("-changed_at", "-id")


class NoteState:
    """What a reader of a card's history sees of one change's note."""

    NONE = "none"            # no note was written
    SHOWN = "shown"          # the note's text (the reader may read personal data; the read is logged)
    WITHHELD = "withheld"    # a note exists, but the reader may not read personal data
    DESTROYED = "destroyed"  # a note was written, and destroyed with the applicant's application data


@dataclass(frozen=True)
class HistoryEntry:
    change: CardStatusChange
    note_state: str
    note: str = ""  # the text, only when ``note_state`` is SHOWN


def read_history(card: Card, *, actor: Actor | None) -> list[HistoryEntry]:
    """The card's status changes, newest first, with each note as far as ``actor`` may read it.

    A note is personal data sealed under the applicant's application record. Roles allowed
    ``enrollment.read_personal`` (and the host operator) read it: when at least one note is decrypted,
    one ``personal.read`` event is logged with the applicant's pseudonymous id as target and the card's
    as purpose (the card being managed is the purpose; the read counts toward the reader's read-rate
    limits, and beyond the hard limit the notes are withheld). Everyone else learns only that a note
    exists, and nothing is decrypted for them; nor is anything when the history holds no note.
    """
    changes = list(card_history(card))
    if not any(change.has_note for change in changes):
        return [HistoryEntry(change, NoteState.NONE) for change in changes]
    if not allowed(role_of(actor), "enrollment.read_personal"):
        return [HistoryEntry(change, NoteState.WITHHELD if change.has_note else NoteState.NONE)
                for change in changes]
    try:  # a note read counts toward the reader's read-rate limits like any other personal read
        count_personal_read(actor=actor)
    except ReadLimitReached as reached:
        record_event(actor=actor, action="access.denied", target=card.applicant.ref,
                     purpose=f"read_limit:{reached.window}", outcome="denied")
        return [HistoryEntry(change, NoteState.WITHHELD if change.has_note else NoteState.NONE)
                for change in changes]
    notes = open_notes(changes, record_key=card.applicant.personal_record)
    if any(text is not None for text in notes.values()):
        record_event(actor=actor, action="personal.read", target=card.applicant.ref, purpose=card.ref)
    entries = []
    for change in changes:
        if not change.has_note:
            entries.append(HistoryEntry(change, NoteState.NONE))
        elif (text := notes[change.pk]) is None:
            entries.append(HistoryEntry(change, NoteState.DESTROYED))
        else:
            entries.append(HistoryEntry(change, NoteState.SHOWN, text))
    return entries


def _cards_of(applications: Iterable[Any]) -> list[Card]:
    return [card for application in applications if (card := getattr(application, "card", None)) is not None]


def open_application_cards(
    applications: list[Any], *, record_key_id: int | None, record: vault.OpenRecord | None
) -> None:
    """Open the number of each application's card under the applicant's open ``application`` record (``None``
    when it is destroyed). Registered with ``enrollment.selectors.register_application_reader``: the applicant's
    read is authorised and logged there."""
    opened = {record_key_id: record} if record is not None and record_key_id is not None else None
    open_numbers(_cards_of(applications), records=opened)


def export_section(applicant: Any, applications: list[Any]) -> ExportSection:
    """The subject-access export's ``card`` of each application: dates, status, number, and the status history
    oldest first with the staff notes (``note_destroyed`` once the applicant's application record is gone).
    Registered with ``enrollment.exports.register_export_section``: the export is authorised and logged there."""
    cards = _cards_of(applications)
    open_numbers(cards)
    by_application = {}
    for card in cards:
        changes = list(reversed(card_history(card)))
        notes = open_notes(changes, record_key=applicant.personal_record)
        by_application[card.application_id] = {
            "number": card.number,
            "issued": card.issued_on.isoformat(),
            "expires": card.expires_on.isoformat(),
            "status": card.status,
            "status_history": [
                {"at": change.changed_at.isoformat(), "from": change.from_status, "to": change.to_status,
                 "reason": change.reason, "note": notes.get(change.pk),
                 "note_destroyed": change.has_note and notes.get(change.pk) is None}
                for change in changes
            ],
        }
    return ExportSection(by_application=by_application, refs=[card.ref for card in cards])


def cards(status: str | None = None, *, applicant_id: int | None = None) -> QuerySet[Card]:
    """Cards, most recently issued first, optionally of one status and of one applicant."""
    query = Card.objects.select_related("application", "applicant__personal_record")
    if applicant_id is not None:
        query = query.filter(applicant_id=applicant_id)
    if status:
        if status not in CardStatus.values:
            raise ValueError(f"unknown card status {status!r}; one of: {', '.join(CardStatus.values)}")
        query = query.filter(status=status)
    return query.order_by("-issued_on", "-id")


def card_page(*, status: str | None = None, page: int | str | None = 1, per_page: int = PAGE_SIZE) -> Page:
    """One page of :func:`cards` (an out-of-range or malformed page number gives the nearest page)."""
    return paginate(cards(status), page, per_page)


# --- what a card shows ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CardContent:
    """A card's face as printed: its holder's face data (``enrollment.selectors.CardFace``), the portrait made
    from the stored photo (:mod:`cityid.cards.portrait`; ``None`` without a photo), and the card itself."""

    card: Card
    face: CardFace
    portrait: bytes | None


def card_content(card: Card, *, actor: Actor | None, purpose: str | None = None) -> CardContent:
    """What ``card`` shows, for card production (``cards.produce``; the host operator too). The read is logged by
    ``enrollment.selectors.read_card_face`` (``personal.read_card_face``, the applicant's pseudonymous id, the
    card's id or ``purpose``, e.g. a print batch's). No document is read. The portrait is made anew each time:
    the same photo gives the same bytes, so nothing derived from the photo is stored twice."""
    from django.conf import settings

    from cityid.cards.portrait import PortraitRefused, make_portrait

    face = read_card_face(application_id=card.application_id, actor=actor, purpose=purpose or card.ref)
    portrait = None
    if face.photo is not None:
        try:
            portrait = make_portrait(face.photo, max_pixels=settings.CITYID_MAX_PHOTO_PIXELS)
        except PortraitRefused:
            portrait = None  # a stored photo is clean; one that is not prints no portrait rather than crashing
    return CardContent(card=card, face=face, portrait=portrait)
#: What the partner API answers about a card number: nothing else (DESIGN.md §2, "learn no more than the card
#: shows"). ``active``: issued and neither suspended nor revoked (the expiry is printed and signed on the card).
PARTNER_STATUS: dict[str, str] = {
    CardStatus.ISSUED: "active", CardStatus.SUSPENDED: "suspended", CardStatus.REVOKED: "revoked",
}
PARTNER_UNKNOWN = "unknown"


def partner_card_status(number: str) -> tuple[str, str]:
    """``(status, card ref)`` for a number a partner asked about: ``active``, ``suspended``, ``revoked`` or
    ``unknown`` (and ``""``). A malformed number, a wrong check digit and a number no card has are all
    ``unknown``, after the same keyed-hash look-up, so the answer tells an enumerator nothing more. The partner
    API authenticates, limits and audits the call."""
    try:
        digits = normalise_number(number if isinstance(number, str) else "")
    except CardLookupError:
        digits = "0" * 16  # never a card's number (no card number starts with 0): the same work, no card
    row = Card.objects.filter(number_digest=number_digest(digits)).values_list("pk", "status").first()
    if row is None:
        return PARTNER_UNKNOWN, ""
    pk, status = row
    return PARTNER_STATUS.get(status, PARTNER_UNKNOWN), f"card:{pk}"
def issued_total(*, start: date, end: date) -> int:
    """How many cards were issued in ``[start, end]`` (one count)."""
    return Card.objects.filter(issued_on__gte=start, issued_on__lte=end).count()


def issued_counts(*, by: str, start: date, end: date) -> dict[str, int]:
    """How many cards were issued in ``[start, end]``, by one dimension of enrollment's coarse attributes
    (``enrollment.selectors.STATISTICS_DIMENSIONS``): every cell of the dimension, zeros included. Counts only;
    the language is the applicant's first (preferred) one, the age band is from the birth year."""
    from django.db.models import Count
    from django.db.models.functions import ExtractYear

    from cityid.enrollment.selectors import NOT_RECORDED, age_band, statistics_cells

    counts = dict.fromkeys(statistics_cells(by, start=start, end=end), 0)
    issued = Card.objects.filter(issued_on__gte=start, issued_on__lte=end).order_by()

    def add(cell: str, n: int) -> None:
        key = cell if cell in counts else ("other" if by == "language" and cell else NOT_RECORDED)
        counts[key] = counts.get(key, 0) + n

    if by == "month":
        from django.db.models.functions import ExtractMonth

        months = issued.annotate(y=ExtractYear("issued_on"), m=ExtractMonth("issued_on")).values_list("y", "m")
        for year, month, n in months.annotate(n=Count("id")):
            add(f"{year:04d}-{month:02d}", n)
    elif by == "borough":
        for borough, n in issued.values_list("applicant__borough").annotate(n=Count("id")):
            add(borough or NOT_RECORDED, n)
    elif by == "language":
        for languages, n in issued.values_list("applicant__languages").annotate(n=Count("id")):
            add((languages or "").split(",")[0] or NOT_RECORDED, n)
    elif by == "age_band":
        ages = issued.annotate(y=ExtractYear("issued_on")).values_list("y", "applicant__birth_year")
        for year, birth_year, n in ages.annotate(n=Count("id")):
            add(age_band(year - birth_year), n)
    elif by == "application_type":
        for kind, n in issued.values_list("application__type").annotate(n=Count("id")):
            add(kind, n)
    return counts
