"""The disposition suite at a tiny size: its JSON shape and that it did what it reports.
No timing is asserted: the figures belong to ``cityid bench`` on a real machine."""

from __future__ import annotations

import json
from pathlib import Path


def test_bench_disposition_shreds_one_cohort_and_deletes_the_other_row_by_row(db, key_provider, settings):
    from cityid.bench.disposition import bench_disposition
    from cityid.retention.models import Certificate, DestroyedCohort
    from cityid.vault.models import BlindIndex, Blob, RecordKey

    seen: list[int] = []
    result = bench_disposition(50, progress=seen.append)

    assert sum(seen) == 4 * 50  # two cohorts created, one shredded, one deleted row by row
    assert result["records"] == 50 and result["key_provider"] == key_provider.name
    shred, baseline = result["crypto_shred"], result["baseline_row_by_row"]
    for figures in (shred, baseline):
        assert figures["seconds"] > 0 and figures["records_per_second"] > 0
    assert 0 < shred["key_destroyed_after_seconds"] <= shred["seconds"]
    assert result["ratio_baseline_to_shred"] > 0 and result["ratio_baseline_to_key_destroyed"] > 0

    # The shred: key destroyed, every row and file gone, certified; a backup copy no longer opens.
    assert shred["key_destroyed"] is True and not key_provider.has_key(shred["cohort"])
    assert shred | {"records_left": 0, "blobs_left": 0, "files_left": 0, "certified_records": 50} == shred
    assert shred["backup_copy_readable_after"] is False
    assert DestroyedCohort.objects.get(key_id=shred["cohort"]).records == 50
    assert Certificate.objects.count() == 1
    # The baseline: rows and files gone too, but its key lives on, so a backup copy still opens.
    assert baseline["key_destroyed"] is False and key_provider.has_key(baseline["cohort"])
    assert baseline["records_deleted"] == 50 and baseline["backup_copy_readable_after"] is True
    assert not RecordKey.objects.exists() and not Blob.objects.exists() and not BlindIndex.objects.exists()
    assert [path for path in Path(settings.BLOB_DIR).rglob("*") if path.is_file()] == []
    json.dumps(result)
