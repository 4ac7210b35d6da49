"""Printing cards: one card's PDF and a print batch's sheets, from the card records, the holders' card faces (an
audited read, :func:`cityid.cards.selectors.card_content`) and the signed credentials.

Nothing here is stored: the PDF is made when asked for and handed to the caller (a download, a file the operator
names). Card production (``cards.produce``) and the host operator print.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from datetime import date
from typing import Any

from django.conf import settings

from cityid.accounts.services import authorize
from cityid.cards.card_pdf import CardDesign, CardPrint, render_card, render_sheets
from cityid.cards.models import Card, PrintBatch
from cityid.cards.sealing import open_numbers
from cityid.cards.selectors import CardContent, card_content
from cityid.core.actors import Actor
from cityid.core.errors import CityidError

#: ``payloads(card, name=..., birth_date=..., photo_hash=...) -> (full, minimal)``: the two signed credential
#: texts (``cityid.cards.issuing.credential_payloads``).
Payloads = Callable[..., tuple[str, str]]


class PrintRefused(CityidError, ValueError):
    """A card cannot be printed: ``destroyed`` (the holder's application data is gone), ``status`` (not an
    issued card), ``number_destroyed``."""


def design() -> CardDesign:
    """The program's words on the cards (settings ``CITYID_CARD_PROGRAM``, ``CITYID_CARD_ISSUER_NAME``,
    ``CITYID_CARD_RETURN_ADDRESS``)."""
    return CardDesign(program=settings.CITYID_CARD_PROGRAM, issuer=settings.CITYID_CARD_ISSUER_NAME,
                      return_address=tuple(settings.CITYID_CARD_RETURN_ADDRESS))


def address_lines(address: dict[str, str] | None) -> tuple[str, ...]:
    """A residential address as printed: the street lines, then city and postcode."""
    if not address:
        return ()
    street = ", ".join(part for part in (address.get("line1", ""), address.get("line2", "")) if part)
    town = " ".join(part for part in (address.get("city", "") + ",", address.get("postcode", "")) if part.strip(","))
    return tuple(line for line in (street, town.strip().rstrip(",")) if line)


def default_payloads() -> Payloads:
    from cityid.cards.issuing import credential_payloads

    return credential_payloads


def card_print(content: CardContent, payloads: Payloads, *, today: date | None = None) -> CardPrint:
    """What the renderer draws for one card: its face, and the credentials signed over the printed name, date of
    birth and the SHA-256 of the printed portrait's bytes."""
    card, face = content.card, content.face
    if face.date_of_birth is None:
        raise PrintRefused("destroyed")
    if card.number is None:
        raise PrintRefused("number_destroyed")
    portrait = content.portrait or b""
    name = f"{face.given_name} {face.family_name}".strip()
    full, minimal = payloads(card, name=name, birth_date=face.date_of_birth,
                             photo_hash=hashlib.sha256(portrait).digest(), **({"today": today} if today else {}))
    return CardPrint(
        number=card.number, given_name=face.given_name, family_name=face.family_name,
        date_of_birth=face.date_of_birth, expires_on=card.expires_on, full_payload=full, minimal_payload=minimal,
        portrait=content.portrait, address_lines=address_lines(face.address), gender=face.gender,
        veteran=face.veteran, languages=face.languages, organ_donor=face.organ_donor,
    )


def _printable(cards: Sequence[Card]) -> None:
    for card in cards:
        if card.status != "issued":
            raise PrintRefused("status", status=card.status)


def card_pdf(card: Card, *, actor: Actor | None, payloads: Payloads | None = None,
             today: date | None = None) -> bytes:
    """One issued card as a two-page CR80 PDF (front, back). ``cards.produce``; the card face read is logged."""
    authorize(actor, "cards.produce", target=card.ref)
    _printable([card])
    open_numbers([card])
    content = card_content(card, actor=actor)
    return render_card(card_print(content, payloads or default_payloads(), today=today), design())


def batch_pdf(batch: PrintBatch, *, actor: Actor | None, payloads: Payloads | None = None,
              progress: Callable[[], Any] | None = None, today: date | None = None) -> bytes:
    """A print batch's cards on sheets (ten a sheet; fronts, then backs for duplex). Each card face read is
    logged with the batch as its purpose. Cards revoked or suspended since the batch was made are left out."""
    authorize(actor, "cards.produce", target=batch.ref)
    cards = [item.card for item in batch.items.select_related("card__application", "card__applicant__personal_record")
             .order_by("position") if item.card.status == "issued"]
    open_numbers(cards)
    sign = payloads or default_payloads()
    prints = []
    for card in cards:
        prints.append(card_print(card_content(card, actor=actor, purpose=batch.ref), sign, today=today))
        if progress is not None:
            progress()
    return render_sheets(prints, design())
