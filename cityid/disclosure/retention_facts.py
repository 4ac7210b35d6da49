"""What the FOIL side of disclosure tells retention (registered in ``DisclosureConfig.ready()``): the day each
request's record counts as submitted, and the default years a ``disclosure`` record is kept."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from django.conf import settings
from django.db.models import Q

from cityid.disclosure.models import FoilRequest
from cityid.retention.facts import SubjectFacts, TriggerDates


class FoilFacts(SubjectFacts):
    def trigger_dates(self, keys: Sequence[Any]) -> Mapping[int, TriggerDates]:
        rows = FoilRequest.objects.filter(record_id__in=[key.pk for key in keys]).values_list(
            "record_id", "received_on", "determined_on"
        )
        return {record_id: TriggerDates(submitted=received, decided=decided) for record_id, received, decided in rows}

    def submitted_between(self, first: date, last: date) -> Q | None:
        ids = FoilRequest.objects.filter(received_on__range=(first, last), record__isnull=False).values("record_id")
        return Q(pk__in=ids)

    def default_years(self, record_class: str) -> int | None:
        if record_class == "disclosure":
            return int(getattr(settings, "CITYID_FOIL_RETENTION_YEARS", 6))
        return None


facts = FoilFacts()
