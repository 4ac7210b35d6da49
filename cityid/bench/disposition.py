"""The disposition suite: crypto-shredding a cohort against deleting another one row by row,
in the same run, on the current database and key provider."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import date
from typing import Any

from cityid.accounts.policy import roles_for
from cityid.bench.cohorts import make_cohort
from cityid.bench.common import load_average, rate


def _backup_sample(key_id: str) -> dict[str, Any]:
    """A copy of one record as a database and blob backup would hold it: its row and its file."""
    from cityid.vault import services as vault
    from cityid.vault.models import Blob, RecordKey

    record_key = RecordKey.objects.filter(key_id=key_id).order_by("pk").first()
    blob = Blob.objects.filter(record_key=record_key).first()
    return {"record_key": record_key, "blob": blob,
            "file": vault.blob_path(blob.uuid).read_bytes() if blob is not None else None}


def _backup_readable(sample: dict[str, Any]) -> bool:
    """Can the current keys still open the backed-up copy (row and file) of a deleted record?"""
    from cityid.vault import envelope
    from cityid.vault import services as vault

    try:
        record = vault.open_record(sample["record_key"])
    except vault.RecordDestroyed:
        return False
    if sample["blob"] is not None:
        try:
            record.open(f"blob:{sample['blob'].uuid}", sample["file"])
        except envelope.SealError:
            return False
    return True


def bench_disposition(records: int = 100_000, *, progress: Callable[[int], None] | None = None) -> dict[str, Any]:
    """A disposition run over a ``records``-record cohort against row-by-row deletion, same run.

    Two identical cohorts of class ``documents`` are created (one sealed ~2 KB blob file and one
    blind-index row per record). Then, on the current database and key provider:

    * **crypto-shredding**: ``run_disposition`` as of 2017-01-02, approved by two records officers,
      destroys the 2016-12 cohort's key (from that instant nothing, backups included, opens the
      cohort) and then deletes its rows and files (housekeeping);
    * **baseline**: the other cohort (due 2017-06, so the run leaves it alone) deleted the way a
      system without crypto-shredding would: record by record, one transaction each, unlinking the
      blob file and deleting the blob, the blind-index row and the key row each with its own
      ``Model.delete()``. Its backups stay readable afterwards.

    The shred runs first, with both cohorts in the database, so the baseline gets the smaller
    tables. ``progress(n)`` is called as records are created (2 × ``records``), shredded and
    deleted (``records`` each): 4 × ``records`` in all.
    """
    from django.db import transaction

    from cityid.accounts.services import create_staff
    from cityid.retention import services as retention
    from cityid.retention.models import DestroyedCohort
    from cityid.vault import services as vault
    from cityid.vault.models import BlindIndex, Blob, RecordKey
    from cityid.vault.providers import get_provider

    provider = get_provider()
    as_of = date(2017, 1, 2)
    stamp = time.time_ns()
    role = roles_for("retention.dispose")[0]
    officers = [create_staff(username=f"bench_officer{i}_{stamp}", role=role).user for i in (1, 2)]

    t0 = time.perf_counter()
    shred_key = make_cohort(records, due_on=date(2016, 12, 31), tag="s", progress=progress)
    base_key = make_cohort(records, due_on=date(2017, 6, 30), tag="b", progress=progress)
    setup_seconds = time.perf_counter() - t0
    due = retention.due_cohorts(as_of)
    if [c["key_id"] for c in due] != [shred_key] or due[0]["records"] != records:
        raise AssertionError(f"expected one due cohort {shred_key} of {records} records, got {due}")
    shred_sample, base_sample = _backup_sample(shred_key), _backup_sample(base_key)
    shred_files = [vault.blob_path(u) for u in Blob.objects.filter(record_key__key_id=shred_key)
                   .values_list("uuid", flat=True)]
    base_files = [vault.blob_path(u) for u in Blob.objects.filter(record_key__key_id=base_key)
                  .values_list("uuid", flat=True)]

    # (a) crypto-shredding: destroy the cohort key, then bulk housekeeping.
    marks: dict[str, float] = {}

    def after_step(step: str) -> None:
        if step.startswith("key destroyed") and "key" not in marks:
            marks["key"] = time.perf_counter()

    shred_load = load_average()
    started = time.perf_counter()
    certificate = retention.run_disposition(as_of=as_of, approvers=officers, progress=progress,
                                           after_step=after_step)
    shred_seconds = time.perf_counter() - started
    key_seconds = marks["key"] - started
    destroyed = DestroyedCohort.objects.get(run=certificate.run, key_id=shred_key)
    shred_check = {
        "key_destroyed": not provider.has_key(shred_key),
        "records_left": RecordKey.objects.filter(key_id=shred_key).count(),
        "blobs_left": Blob.objects.filter(record_key__key_id=shred_key).count(),
        "files_left": sum(1 for path in shred_files if path.exists()),
        "certified_records": destroyed.records,
        "backup_copy_readable_after": _backup_readable(shred_sample),
    }

    shred_load = [shred_load, load_average()]

    # (b) baseline: row by row and file by file, no key destroyed.
    base_load = load_average()
    started = time.perf_counter()
    deleted = 0
    for record_key in RecordKey.objects.filter(key_id=base_key).order_by("pk"):
        with transaction.atomic():
            for blob in Blob.objects.filter(record_key=record_key):
                vault.delete_blob_file(blob)
                blob.delete()
            for row in BlindIndex.objects.filter(record_key=record_key):
                row.delete()
            record_key.delete()
        deleted += 1
        if progress and deleted % 100 == 0:
            progress(100)
    if progress and deleted % 100:
        progress(deleted % 100)
    base_seconds = time.perf_counter() - started
    base_load = [base_load, load_average()]
    base_check = {
        "key_destroyed": not provider.has_key(base_key),
        "records_left": RecordKey.objects.filter(key_id=base_key).count(),
        "blobs_left": Blob.objects.filter(record_key__key_id=base_key).count(),
        "files_left": sum(1 for path in base_files if path.exists()),
        "records_deleted": deleted,
        "backup_copy_readable_after": _backup_readable(base_sample),
    }

    return {
        "records": records,
        "key_provider": provider.name,
        "record_class": "documents",
        "blob_bytes": 2048,
        "blind_index_rows_per_record": 1,
        "setup_seconds": round(setup_seconds, 3),
        "crypto_shred": {
            "cohort": shred_key,
            "seconds": round(shred_seconds, 3),
            "records_per_second": rate(records, shred_seconds),
            "key_destroyed_after_seconds": round(key_seconds, 4),
            "housekeeping_seconds": round(shred_seconds - key_seconds, 3),
            "load_average_1m_before_after": shred_load,
            **shred_check,
        },
        "baseline_row_by_row": {
            "cohort": base_key,
            "seconds": round(base_seconds, 3),
            "records_per_second": rate(deleted, base_seconds),
            "method": "per record, one transaction: unlink the blob file, blob.delete(), "
                      "blind_index.delete(), record_key.delete(); no key destroyed",
            "load_average_1m_before_after": base_load,
            **base_check,
        },
        "ratio_baseline_to_shred": round(base_seconds / shred_seconds, 2),
        "ratio_baseline_to_key_destroyed": round(base_seconds / key_seconds, 1),
        "order": "shred first (both cohorts present), then the baseline",
        "note": "the shredded cohort is unreadable everywhere (database and blob backups included) once its "
                "key is destroyed, key_destroyed_after_seconds into the run; deleting its rows and files "
                "afterwards is housekeeping. The baseline's deleted records stay readable from any backup "
                "taken before, for as long as that backup lives.",
        "target": {"ratio_min": 20},
    }
