"""Card writes."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db import IntegrityError, transaction

from cityid.audit.services import record_event
from cityid.cards.models import Card
from cityid.cards.numbers import new_card_number


def issue_card(*, application: Any, issued_on: date, expires_on: date, issued_by: Any) -> Card:
    for _attempt in range(5):
        try:
            with transaction.atomic():
                card = Card.objects.create(
                    number=new_card_number(),
                    applicant=application.applicant,
                    application=application,
                    issued_on=issued_on,
                    expires_on=expires_on,
                )
                record_event(actor=issued_by, action="card.issue", target=f"card:{card.pk}", purpose=application.ref)
                return card
        except IntegrityError:
            if Card.objects.filter(application=application).exists():
                raise
    raise RuntimeError("could not draw an unused card number")
