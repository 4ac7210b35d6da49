"""The hold suite: re-wrapping enrolled people's data keys when counsel places a legal hold, beside
the key provider's raw unwrap-and-wrap of the same keys in the same run."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import date
from typing import Any

from cityid.accounts.policy import roles_for
from cityid.bench.common import load_average
from cityid.bench.enrollment import bench_input


def enroll_people(people: int, *, batch: int = 500, progress: Callable[[int], None] | None = None) -> None:
    """``people`` enrollments stored as enrollment stores them (``store_enrollments``: sealed profile,
    application and document details, name and document-number blind indexes, one ``documents``
    record each with its owner's presented documents), in batches of ``batch``; without scans or
    photos, whose files a re-wrap never touches."""
    from cityid.accounts.services import create_staff
    from cityid.enrollment import services as enrollment

    clerk = create_staff(username=f"bench_clerk_{time.time_ns()}", role=roles_for("enrollment.create")[0]).user
    rules = enrollment.current_rules()
    today = date(2026, 11, 20)
    made = 0
    while made < people:
        n = min(batch, people - made)
        inputs = [bench_input(made + i, scans=False) for i in range(n)]
        checked = [(data, enrollment.check_enrollment(data, rules, today=today, require_eligible=False))
                   for data in inputs]
        enrollment.store_enrollments(checked, enrolled_by=clerk)
        made += n
        if progress:
            progress(n)


def bench_hold_rewrap(records: int = 100_000, *, progress: Callable[[int], None] | None = None) -> dict[str, Any]:
    """Re-wrap throughput when counsel places a hold on ``records`` records (scope ``class:documents``).

    ``records`` people are enrolled (:func:`enroll_people`: one ``documents`` record each, owned by
    their presented documents and indexed by two document numbers), then ``place_hold`` re-wraps
    every data key under the hold's key, and recomputes each record's blind indexes from its
    owner's sealed details, as it does for enrolled people. The ceiling, measured in the same run,
    is the provider's raw re-wrap (``rewrap_many``: unwrap and wrap again, inside the token for
    PKCS#11) of the same data keys.
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
    enroll_people(records, progress=progress)
    setup_seconds = time.perf_counter() - t0
    scope = "class:documents"
    in_scope = retention.scope_query(scope).count()
    if in_scope != records:
        raise AssertionError(f"{scope} covers {in_scope} records, not the {records} created (other documents?)")
    documents = RecordKey.objects.filter(record_class="documents")
    index_rows_before = BlindIndex.objects.filter(record_key__in=documents).count()
    wrapped = list(documents.order_by("pk").values_list("key_id", "wrapped_key"))

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
    provider.rewrap_many((key_id, blob, ceiling_key) for key_id, blob in wrapped)
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
            "blind_index_rows_before": index_rows_before,
            "blind_index_rows_after": BlindIndex.objects.filter(record_key__key_id=hold.key_id).count(),
            "load_average_1m_before_after": hold_load,
        },
        "binding_ceiling": "unwrap_wrap",
        "unwrap_wrap_ceiling": {
            "seconds": round(ceiling_seconds, 3),
            "records_per_second": round(ceiling_per_second, 1),
        },
        "ratio_to_ceiling": round(per_second / ceiling_per_second, 4),
        "note": "records of enrolled people: each re-wrap also opens the owner's sealed document "
                "details and recomputes the record's document-number blind indexes (two per person)",
    }
