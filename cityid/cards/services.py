"""Card writes."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db import IntegrityError, transaction

from cityid.audit.services import record_events
from cityid.cards.models import Card
from cityid.cards.numbers import new_card_number


def issue_cards(issues: list[tuple[Any, date, date]], *, issued_by: Any) -> list[Card]:
    """A card record for each ``(application, issued_on, expires_on)``, with fresh random numbers."""
    if not issues:
        return []
    for _attempt in range(5):
        cards = [
            Card(
                number=new_card_number(),
                applicant_id=application.applicant_id,
                application=application,
                issued_on=issued_on,
                expires_on=expires_on,
            )
            for application, issued_on, expires_on in issues
        ]
        try:
            with transaction.atomic():  # a savepoint: a number collision retries the batch with new numbers
                Card.objects.bulk_create(cards)
        except IntegrityError:
            continue
        record_events(
            [
                dict(actor=issued_by, action="card.issue", target=f"card:{card.pk}", purpose=card.application.ref)
                for card in cards
            ]
        )
        return cards
    raise RuntimeError("could not draw unused card numbers")

