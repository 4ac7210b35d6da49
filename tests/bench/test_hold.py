"""The hold suite at a tiny size: its JSON shape and that it did what it reports.
No timing is asserted: the figures belong to ``cityid bench`` on a real machine."""

from __future__ import annotations

import json


def test_bench_hold_rewrap_moves_every_record_under_the_hold(db, key_provider):
    from cityid.bench.hold import bench_hold_rewrap
    from cityid.enrollment.models import PresentedDocument
    from cityid.retention.models import HeldRecord, LegalHold
    from cityid.vault.models import BlindIndex, RecordKey

    seen: list[int] = []
    result = bench_hold_rewrap(50, progress=seen.append)

    assert sum(seen) == 2 * 50
    hold = LegalHold.objects.get()
    assert RecordKey.objects.filter(record_class="documents").count() == 50
    assert RecordKey.objects.filter(key_id=hold.key_id).count() == 50
    assert HeldRecord.objects.filter(hold=hold).count() == 50
    # Enrolled people's records: owned by presented documents, each indexed by its two numbers,
    # and the indexes recomputed under the hold's key.
    assert PresentedDocument.objects.exclude(sealed_details=None).count() == 100
    assert result["hold"]["blind_index_rows_before"] == 100 == result["hold"]["blind_index_rows_after"]
    assert BlindIndex.objects.filter(record_key__key_id=hold.key_id, kind="docnum").count() == 100
    assert result["binding_ceiling"] == "unwrap_wrap"
    assert result["records"] == 50 and result["scope"] == "class:documents"
    assert result["hold"]["records_rewrapped"] == 50 and result["hold"]["records_per_second"] > 0
    assert result["unwrap_wrap_ceiling"]["records_per_second"] > 0 and result["ratio_to_ceiling"] > 0
    assert not [key for key in key_provider.key_ids() if key.startswith("bench:")]  # ceiling key removed
    json.dumps(result)
