"""Card numbers in the vault: sealed under the applicant's ``application`` record, found by a keyed hash.

A card number, with a card in hand, names its holder at every partner that scans it, so it is personal
data. It is sealed, like the card's status notes (:mod:`cityid.cards.notes`), under the data key of the
card's applicant's ``personal_record`` (record class ``application``), with associated data
``<record uuid>:card_number:<application uuid>``: it is held by a hold on that subject, re-wrapped when
the record's schedule moves, and destroyed with the applicant's application data.

Look-up and uniqueness go through ``number_digest``: HMAC-SHA-256 of the number under the key provider's
``cards`` key (never in the database), with a unique constraint, so two cards never share a number. A
digest under a per-cohort key could not be unique across cohorts, hence one key for all cards; it is
erased with the record, and without the provider's key a digest in a backup cannot be tested against a
guessed number. Nothing here authorises or logs a read: :mod:`cityid.cards.selectors` does.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from cityid.vault import services as vault
from cityid.vault.providers import KeyUnavailable, get_provider

#: The key provider's key whose index secret keys the card-number digests.
CARDS_KEY = "cards"


def number_digest(number: str) -> bytes:
    """The keyed hash a card with this (normalised, 16-digit) number is stored and found under."""
    provider, message = get_provider(), b"card-number\x00" + number.encode()
    try:
        return provider.keyed_hash(CARDS_KEY, message)
    except KeyUnavailable:  # the first use: created once
        provider.ensure_key(CARDS_KEY)
        return provider.keyed_hash(CARDS_KEY, message)


def number_field(application_public_id: Any) -> str:
    """The sealed field's name within the record (the associated data adds the record's uuid)."""
    return f"card_number:{application_public_id}"


def seal_number(card: Any, number: str, *, record: vault.OpenRecord, application_public_id: Any) -> None:
    """Seal ``number`` into the (unsaved) card under its applicant's open ``application`` record."""
    card.sealed_number = record.seal(number_field(application_public_id), number.encode())
    card.number_digest = number_digest(number)
    card.number = number


def open_numbers(cards: Iterable[Any], *, records: dict[int, vault.OpenRecord] | None = None) -> None:
    """Set each card's ``number`` to its plaintext, or ``None`` where it was destroyed with the applicant's
    application record. One unwrap per applicant (``records`` may bring records already open, by key id).
    The caller authorises and logs the read."""
    opened: dict[int, vault.OpenRecord | None] = dict(records or {})
    for card in cards:
        card.number = None
        record_key = card.applicant.personal_record
        if card.sealed_number is None or record_key is None:
            continue
        if record_key.pk not in opened:
            try:
                opened[record_key.pk] = vault.open_record(record_key)
            except vault.RecordDestroyed:
                opened[record_key.pk] = None
        record = opened[record_key.pk]
        if record is not None:
            card.number = record.open(number_field(card.application.public_id), card.sealed_number).decode()


def erase_numbers(record_key_ids: list[int]) -> None:
    """Disposition's eraser for ``application`` records: remove the cards' sealed numbers and digests (the
    card rows, with status and dates, stay; their number reads as destroyed)."""
    from cityid.cards.models import Card

    Card.objects.filter(applicant__personal_record_id__in=record_key_ids).update(
        sealed_number=None, number_digest=None
    )
