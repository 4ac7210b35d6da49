"""The reports suite: building the public statistics and the transparency report over a large population.

The population is bulk-created as coarse rows only (:mod:`cityid.bench.population`: borough, birth year,
languages, one application with its decision, a card per approval), directly in the tables: seeding a million
encrypted applicants through enrollment would take hours, and the statistics read nothing else.

Figures (seconds, each the median of ``repeats`` runs unless said):

* ``baseline_count``: one ``COUNT(*)`` of the cards issued in the period (one scan: the floor of any table);
* ``tables``: the six tables' exact counts through the owning apps' selectors (``issued_counts`` by month,
  borough, language, age band, application type; ``decision_counts``), each beside the baseline (ratio);
* ``suppression``: protecting the six tables against the earlier releases (the pure core, no database);
* ``release_first`` / ``release_nested``: a whole suppressed release (counts, suppression, storing), the first
  one of the year and then one of a longer period checked against it (once each: a release is stored);
* ``release_private``: a differentially private release through OpenDP (once);
* ``dashboard`` and ``chart``: the public page and one chart, through Django's test client;
* ``transparency_counts`` and ``transparency_pdf``: the disclosure selectors for a quarter, and the whole PDF
  (counts, sections, reportlab), with the PDF's ratio to the counts.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from datetime import date
from typing import Any

from cityid.bench.common import load_average, rate

START = date(2025, 1, 1)
DAYS = 700  # January 2025 to early December 2026


def _timed(fn: Callable[[], Any], repeats: int) -> tuple[float, Any]:
    times, result = [], None
    for _ in range(repeats):
        started = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - started)
    return round(statistics.median(times), 4), result


def bench_reports(people: int, *, repeats: int = 3, progress: Callable[[int], None] | None = None) -> dict[str, Any]:
    from django.test import Client

    from cityid.bench.population import bulk_population
    from cityid.cards.selectors import issued_counts, issued_total
    from cityid.enrollment.selectors import STATISTICS_DIMENSIONS, decision_counts
    from cityid.reports import suppression
    from cityid.reports.selectors import transparency_report
    from cityid.reports.services import publish_release, true_counts
    from cityid.reports.transparency import pdf_bytes

    result: dict[str, Any] = {"people": people, "load_before": load_average()}
    started = time.perf_counter()
    cards = bulk_population(people, start=START, days=DAYS, seed=1, progress=progress)
    seconds = time.perf_counter() - started
    result["population"] = {"applicants": people, "cards": cards, "seconds": round(seconds, 1),
                            "rows_per_second": rate(3 * people, seconds),
                            "note": "coarse rows bulk-created directly; no personal data, nothing sealed"}
    period = (date(2026, 1, 1), date(2026, 10, 31))

    def baseline() -> int:
        return issued_total(start=period[0], end=period[1])

    base, issued = _timed(baseline, repeats)
    result["baseline_count"] = {"seconds": base, "cards_in_period": issued,
                                "what": "one COUNT(*) of the period's cards"}
    tables: dict[str, Any] = {}
    total = 0.0
    for dimension in (*STATISTICS_DIMENSIONS, "decision"):
        if dimension == "decision":
            seconds, _counts = _timed(lambda: decision_counts(start=period[0], end=period[1]), repeats)
        else:
            seconds, _counts = _timed(
                lambda d=dimension: issued_counts(by=d, start=period[0], end=period[1]), repeats)
        tables[dimension] = {"seconds": seconds, "ratio_to_baseline": round(seconds / base, 2) if base else None}
        total += seconds
    result["tables"] = {"each": tables, "all_seconds": round(total, 3),
                        "ratio_to_baseline": round(total / base, 2) if base else None}

    counts = {d: true_counts(d, start=period[0], end=period[1]) for d in (*STATISTICS_DIMENSIONS, "decision")}
    earlier = {d: [suppression.protect(true_counts(d, start=period[0], end=date(2026, 9, 30)), start=period[0],
                                       end=date(2026, 9, 30))] for d in counts}
    seconds, _ = _timed(lambda: [suppression.protect(c, start=period[0], end=period[1], previous=earlier[d])
                                 for d, c in counts.items()], repeats)
    result["suppression"] = {"seconds": seconds, "tables": len(counts)}

    started = time.perf_counter()
    publish_release(start=period[0], end=date(2026, 9, 30))
    first = time.perf_counter() - started
    started = time.perf_counter()
    publish_release(start=period[0], end=period[1])
    nested = time.perf_counter() - started
    started = time.perf_counter()
    publish_release(start=period[0], end=period[1], mode="private", epsilon=0.5)
    private = time.perf_counter() - started
    result["release_first"] = {"seconds": round(first, 3), "ratio_to_baseline": round(first / base, 2)}
    result["release_nested"] = {"seconds": round(nested, 3), "ratio_to_baseline": round(nested / base, 2)}
    result["release_private"] = {"seconds": round(private, 3), "ratio_to_baseline": round(private / base, 2)}

    client = Client()
    client.get("/stats/")
    seconds, _ = _timed(lambda: client.get("/stats/"), repeats)
    result["dashboard"] = {"seconds": seconds}
    seconds, _ = _timed(lambda: client.get("/stats/borough.png"), repeats)
    result["chart"] = {"seconds": seconds}

    counts_seconds, report = _timed(lambda: transparency_report("2026Q3"), repeats)
    pdf_seconds, pdf = _timed(lambda: pdf_bytes(transparency_report("2026Q3")), repeats)
    result["transparency_counts"] = {"seconds": counts_seconds}
    result["transparency_pdf"] = {"seconds": pdf_seconds, "bytes": len(pdf),
                                  "ratio_to_counts": round(pdf_seconds / counts_seconds, 2) if counts_seconds else None,
                                  "note": "no law-enforcement or FOIL request rows in the scratch database: the "
                                          "report is built over empty tables (their counts are per request, not "
                                          "per applicant)"}
    result["load_after"] = load_average()
    return result
