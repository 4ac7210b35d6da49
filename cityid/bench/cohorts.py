"""Cohorts of vault records made directly, for the retention suites (disposition, hold)."""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import date


def make_cohort(
    records: int, *, due_on: date, tag: str, blob_bytes: int = 2048, with_blobs: bool = True,
    batch: int = 2000, progress: Callable[[int], None] | None = None,
) -> str:
    """``records`` records of class ``documents`` in the cohort of ``due_on``, each with one sealed
    blob file of ``blob_bytes`` (unless ``with_blobs`` is off) and one blind-index row, created in
    batches of ``batch`` per transaction. Returns the cohort's key id."""
    from cityid.vault import services as vault
    from cityid.vault.models import BlindIndex, Blob

    key_id = vault.cohort_key_id(vault.cohort_for("documents", due_on))
    made = 0
    while made < records:
        n = min(batch, records - made)
        with vault.atomic_with_blobs():
            opened = vault.create_records(
                [("documents", f"bench:{tag}:{made + i}", due_on) for i in range(n)]
            )
            if with_blobs:
                Blob.objects.bulk_create(vault.store_blobs(
                    [(record, os.urandom(blob_bytes), "application/octet-stream") for record in opened]
                ))
            BlindIndex.objects.bulk_create([
                vault.blind_index(record=record, kind="docnum", value=f"BENCH{tag}{made + i:09d}".encode())
                for i, record in enumerate(opened)
            ])
        made += n
        if progress:
            progress(n)
    return key_id
