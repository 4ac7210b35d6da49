"""The hold suite: re-wrapping a cohort's data keys when counsel places a legal hold, beside the
key provider's raw unwrap-and-wrap of the same keys in the same run."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import date
from typing import Any

from cityid.accounts.policy import roles_for
from cityid.bench.cohorts import make_cohort
from cityid.bench.common import load_average


def bench_hold_rewrap(records: int = 100_000, *, progress: Callable[[int], None] | None = None) -> dict[str, Any]:
    """Re-wrap throughput when counsel places a hold on ``records`` records (scope ``class:documents``).

    A cohort of ``records`` ``documents`` records (one blind-index row each; no blob files, which
    re-wrapping never touches) is created, then ``place_hold`` re-wraps every data key under the
    hold's key. The ceiling, measured in the same run, is the provider's raw re-wrap
    (``rewrap_many``: unwrap and wrap again, inside the token for PKCS#11) of the same data keys.
    The hold scope must cover exactly these records: run it on a database with no other
    ``documents`` records. ``progress(n)``: 2 × ``records`` (created, then re-wrapped).
    """
    from cityid.accounts.services import create_staff
    from cityid.retention import services as retention
    from cityid.vault.models import BlindIndex, RecordKey
    from cityid.vault.providers import get_provider

    provider = get_provider()
    counsel = create_staff(username=f"bench_counsel_{time.time_ns()}", role=roles_for("retention.hold")[0]).user
    t0 = time.perf_counter()
    cohort_key = make_cohort(records, due_on=date(2031, 12, 31), tag="h", with_blobs=False, progress=progress)
    setup_seconds = time.perf_counter() - t0
    scope = "class:documents"
    in_scope = retention.scope_query(scope).count()
    if in_scope != records:
        raise AssertionError(f"{scope} covers {in_scope} records, not the {records} created (other documents?)")
    wrapped = list(RecordKey.objects.filter(key_id=cohort_key).order_by("pk").values_list("wrapped_key", flat=True))

    hold_load = load_average()
    started = time.perf_counter()
    hold = retention.place_hold(case_name="Bench v. City of New York", court="Sup. Ct. N.Y. County",
                                scope=scope, placed_by=counsel, progress=progress)
    hold_seconds = time.perf_counter() - started
    hold_load = [hold_load, load_average()]
    rewrapped = RecordKey.objects.filter(key_id=hold.key_id).count()
    if rewrapped != records:
        raise AssertionError(f"{rewrapped} of {records} records moved under {hold.key_id}")

    ceiling_key = f"bench:ceiling:{time.time_ns()}"
    provider.ensure_key(ceiling_key)
    started = time.perf_counter()
    provider.rewrap_many((cohort_key, blob, ceiling_key) for blob in wrapped)
    ceiling_seconds = time.perf_counter() - started
    provider.destroy_key(ceiling_key)

    per_second = records / hold_seconds
    ceiling_per_second = records / ceiling_seconds
    return {
        "records": records,
        "key_provider": provider.name,
        "scope": scope,
        "setup_seconds": round(setup_seconds, 3),
        "hold": {
            "seconds": round(hold_seconds, 3),
            "records_per_second": round(per_second, 1),
            "records_rewrapped": rewrapped,
            "blind_index_rows_after": BlindIndex.objects.filter(record_key__key_id=hold.key_id).count(),
            "load_average_1m_before_after": hold_load,
        },
        "unwrap_wrap_ceiling": {
            "seconds": round(ceiling_seconds, 3),
            "records_per_second": round(ceiling_per_second, 1),
        },
        "ratio_to_ceiling": round(per_second / ceiling_per_second, 4),
        "note": "records created directly through the vault have no enrollment owner: the documents "
                "indexer finds no presented documents, so each record's blind-index row is deleted and "
                "none is recomputed (with enrolled people it would be, at one keyed hash per document)",
    }
