"""What cards tell retention (registered in ``CardsConfig.ready()``): when the card of a record's
application, or the latest card of a record's applicant, expires."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from cityid.cards.models import Card
from cityid.enrollment.selectors import record_owners
from cityid.retention.facts import SubjectFacts, TriggerDates
from cityid.vault.models import RecordKey


class CardFacts(SubjectFacts):
    def trigger_dates(self, keys: Sequence[RecordKey]) -> Mapping[int, TriggerDates]:
        owners = record_owners([key.pk for key in keys])
        if not owners:
            return {}
        by_application: dict[int, TriggerDates] = {}
        by_applicant: dict[int, TriggerDates] = {}
        for applicant_id, application_id, expires in Card.objects.filter(
            applicant_id__in={owner.applicant_id for owner in owners.values()}
        ).values_list("applicant_id", "application_id", "expires_on"):
            by_application[application_id] = TriggerDates(card_expires=expires)
            latest = by_applicant.get(applicant_id)
            if latest is None or latest.card_expires is None or expires > latest.card_expires:
                by_applicant[applicant_id] = TriggerDates(card_expires=expires)
        out = {}
        for pk, owner in owners.items():
            if owner.application_id is not None:
                found = by_application.get(owner.application_id)
            else:
                found = by_applicant.get(owner.applicant_id)
            if found is not None:
                out[pk] = found
        return out


facts = CardFacts()
