"""Card reads: find a card by its number, its status history, and paged listings."""

from __future__ import annotations

from django.core.paginator import Page, Paginator
from django.db.models import QuerySet

from cityid.cards.models import Card, CardStatus, CardStatusChange
from cityid.cards.numbers import is_valid_card_number

PAGE_SIZE = 25
NUMBER_SEPARATORS = str.maketrans("", "", " -")


class CardLookupError(ValueError):
    """No card answers to the number given; the message (one line) says why."""

    def __init__(self, message: str, *, code: str) -> None:
        super().__init__(message)
        self.code = code


def normalise_number(number: str) -> str:
    """The 16 digits of a card number as printed or typed (``1234 5678-9012 3456``)."""
    digits = (number or "").strip().translate(NUMBER_SEPARATORS)
    if len(digits) != 16 or not (digits.isascii() and digits.isdigit()):  # isdigit() alone admits "²", "①"
        raise CardLookupError(f"{number!r} is not a card number: a card number has 16 digits", code="malformed")
    if not is_valid_card_number(digits):
        raise CardLookupError(f"{number!r} is not a card number: its check digit is wrong (mistyped?)",
                              code="check_digit")
    return digits


def find_card(number: str) -> Card:
    """The card with this number; CardLookupError for a malformed number or one no card has."""
    digits = normalise_number(number)
    card = Card.objects.filter(number=digits).first()
    if card is None:
        raise CardLookupError(f"no card has the number {digits}", code="not_found")
    return card


def card_history(card: Card) -> QuerySet[CardStatusChange]:
    """The card's status changes, newest first, with who made them."""
    return card.status_changes.select_related("changed_by").order_by("-changed_at", "-id")


def cards(status: str | None = None) -> QuerySet[Card]:
    """Cards, most recently issued first, optionally of one status."""
    query = Card.objects.all()
    if status:
        if status not in CardStatus.values:
            raise ValueError(f"unknown card status {status!r}; one of: {', '.join(CardStatus.values)}")
        query = query.filter(status=status)
    return query.order_by("-issued_on", "-id")


def card_page(*, status: str | None = None, page: int | str | None = 1, per_page: int = PAGE_SIZE) -> Page:
    """One page of :func:`cards` (an out-of-range or malformed page number gives the nearest page)."""
    return Paginator(cards(status), per_page).get_page(page)
