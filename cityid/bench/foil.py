"""The FOIL suite: receiving requests through the whole service (number under a row lock, a ``disclosure``
record with its wrapped key, the sealed details, the history step, the outbox row, the audit entry, one
transaction, and the receipt notice sent after the commit to Django's in-memory mail backend), beside the
floor it cannot go under, measured in the same run: the same transaction with only a fresh vault record and
one audit entry. Then the transparency report's counts (``foil_counts``) over all of them and an officer's
queue page (the first 25, with flags)."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from cityid.bench.common import load_average, percentile, rate

VALUES = {"name": "Bench Requester", "email": "bench@requester.example.invalid", "phone": "+1 212 555 0100",
          "address": "1 Bench Street, New York NY 10001",
          "description": "Monthly counts of cards issued by borough, 2025 and 2026."}


def _floor(count: int) -> list[float]:
    """Seconds per transaction holding only what any request needs: a vault record and an audit entry."""
    from django.db import transaction

    from cityid.audit.services import record_event
    from cityid.vault import services as vault

    times = []
    for i in range(count):
        started = time.perf_counter()
        with transaction.atomic():
            record = vault.create_records([("disclosure", f"bench:{i}", date(2032, 12, 31))])[0]
            record.seal_json("bench", VALUES)
            record_event(actor=None, action="foil.receive", target=f"foil:bench-{i}")
        times.append(time.perf_counter() - started)
    return times


def bench_foil(count: int, progress: Callable[[int], None] | None = None) -> dict[str, Any]:
    from django.conf import settings
    from django.test.utils import override_settings

    from cityid.disclosure import selectors
    from cityid.disclosure.services import FoilInput, Step, change_status, submit_request

    floor = _floor(max(10, count // 10))
    ny = ZoneInfo(settings.TIME_ZONE)
    start = datetime(2026, 1, 5, 9, 0, tzinfo=ny)
    times: list[float] = []
    requests = []
    with override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
                           CITYID_FOIL_SUBMISSION_LIMIT=(10**9, 60)):
        for i in range(count):
            started = time.perf_counter()
            requests.append(submit_request(data=FoilInput(**VALUES),
                                           received_at=start + timedelta(minutes=7 * i)).request)
            times.append(time.perf_counter() - started)
            if progress and (i + 1) % 100 == 0:
                progress(100)
        if progress:
            progress(count % 100)
        # A few determinations, so that the counts have outcomes and exemptions to group.
        for i, foil in enumerate(requests[: count // 4]):
            outcome = ("fulfilled", "partially_fulfilled", "denied")[i % 3]
            change_status(foil, "determine", by=None, today=foil.acknowledgment_due,
                          step=Step(outcome=outcome, exemptions=[] if outcome == "fulfilled" else ["87_2_b"]))
    last = requests[-1].received_on + timedelta(days=60)
    counts_times = []
    for _ in range(5):
        started = time.perf_counter()
        counts = selectors.foil_counts(start=date(2026, 1, 1), end=last)
        counts_times.append(time.perf_counter() - started)
    queue_times = []
    cal = selectors.current_calendar()
    for _ in range(5):
        started = time.perf_counter()
        rows = list(selectors.foil_queue("open", today=last)[:25])
        [selectors.flags(foil, today=last, cal=cal) for foil in rows]
        queue_times.append(time.perf_counter() - started)
    submit_median = percentile(times, 0.5)
    floor_median = percentile(floor, 0.5)
    return {
        "requests": count,
        "load_average": load_average(),
        "submit": {
            "per_second": rate(count, sum(times)),
            "median_ms": round(submit_median * 1000, 2),
            "p95_ms": round(percentile(times, 0.95) * 1000, 2),
            "floor_median_ms": round(floor_median * 1000, 2),
            "ratio_to_floor": round(submit_median / floor_median, 2) if floor_median else None,
        },
        "foil_counts": {"median_ms": round(percentile(counts_times, 0.5) * 1000, 2), "received": counts["received"],
                        "determined": counts["determined"]},
        "queue_page": {"median_ms": round(percentile(queue_times, 0.5) * 1000, 2)},
    }
