"""The backfill of the typo-tolerant name index (``name_fz``, :mod:`cityid.enrollment.name_index`) for
applicants stored before it existed: ``cityid enrollment reindex-names``.

Resumable: the progress is a :class:`CleanupProgress` row (the applicants to go through are fixed when the
task first starts; applicants enrolled later are indexed on entry), and each batch is one transaction, so
a run stopped anywhere goes on where it stopped. Recomputing a record's indexes replaces them (the exact
``name_dob`` index is recomputed with it), so running a batch twice changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from cityid.accounts.services import authorize
from cityid.audit.services import record_events
from cityid.enrollment.models import Applicant, CleanupProgress
from cityid.retention import services as retention
from cityid.vault import services as vault

TASK = "name-index-v2"  # v2: first and last letters instead of one-letter deletions


@dataclass
class ReindexBatch:
    checked: int = 0
    indexed: int = 0
    finished: bool = False


def _progress() -> CleanupProgress:
    progress, _created = CleanupProgress.objects.get_or_create(
        task=TASK, defaults={"until_id": Applicant.objects.aggregate(top=Max("pk"))["top"] or 0}
    )
    return progress


def reindex_remaining() -> int:
    progress = _progress()
    return Applicant.objects.filter(pk__gt=progress.last_id, pk__lte=progress.until_id).count()


def reindex_names_batch(*, actor: Any, size: int = 500) -> ReindexBatch:
    """Index the next ``size`` applicants' names; each decryption of a profile is logged (``personal.decrypt``,
    pseudonymous target, purpose ``maintenance:reindex``). Host operator only (as ``enrollment clean``)."""
    authorize(actor, "enrollment.clean")
    progress = _progress()
    if progress.finished_at is not None:
        return ReindexBatch(finished=True)
    batch = ReindexBatch()
    with transaction.atomic():
        retention.lock_for_rewrap()  # no hold or disposition run moves these records' keys meanwhile
        applicants = list(
            Applicant.objects.filter(pk__gt=progress.last_id, pk__lte=progress.until_id)
            .select_related("personal_record").order_by("pk")[:size]
        )
        if not applicants:
            progress.finished_at = timezone.now()
            progress.save(update_fields=["finished_at"])
            return ReindexBatch(finished=True)
        records, events = [], []
        for applicant in applicants:
            batch.checked += 1
            if applicant.personal_record is None or applicant.sealed_profile is None:
                continue
            try:
                records.append(vault.open_record(applicant.personal_record))
            except vault.RecordDestroyed:
                continue
            events.append(dict(actor=actor, action="personal.decrypt", target=applicant.ref,
                               purpose="maintenance:reindex"))
        vault.reindex(records)
        record_events(events)
        batch.indexed = len(records)
        progress.last_id = applicants[-1].pk
        progress.checked += batch.checked
        progress.changed += batch.indexed
        progress.save(update_fields=["last_id", "checked", "changed"])
    return batch
