"""What law-enforcement requests tell retention (registered in ``DisclosureConfig.ready()``): the day each request's
``disclosure`` record counts as submitted (received) and decided; and the eraser disposition calls once the
record's cohort key is destroyed (the ciphertexts go; the clear counts stay for the transparency report)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from django.db.models import Q

from cityid.disclosure.law_enforcement_models import LawEnforcementRequest, ProducedItem
from cityid.retention.facts import SubjectFacts, TriggerDates


class LawEnforcementFacts(SubjectFacts):
    def trigger_dates(self, keys: Sequence[Any]) -> Mapping[int, TriggerDates]:
        rows = LawEnforcementRequest.objects.filter(record_id__in=[key.pk for key in keys]).values_list(
            "record_id", "received_on", "decided_at")
        return {record_id: TriggerDates(submitted=received, decided=decided.date() if decided else None)
                for record_id, received, decided in rows}

    def submitted_between(self, first: date, last: date) -> Q | None:
        ids = LawEnforcementRequest.objects.filter(received_on__range=(first, last), record__isnull=False)
        return Q(pk__in=ids.values("record_id"))

    def default_years(self, record_class: str) -> int | None:
        return None  # the ``disclosure`` class's default comes from the FOIL side


facts = LawEnforcementFacts()


def erase_requests(record_key_ids: list[int]) -> None:
    """Disposition's eraser for ``disclosure`` records: remove law-enforcement requests' ciphertexts."""
    requests = LawEnforcementRequest.objects.filter(record_id__in=record_key_ids)
    ProducedItem.objects.filter(request__in=requests).update(sealed_item=b"")
    requests.update(sealed_details=None, sealed_order=None)
