"""Publishing the statistics: a release computes every table from the owning apps' count selectors
(coarse attributes only), protects it — small cells suppressed against all earlier releases
(:mod:`cityid.reports.suppression`), or noise added through OpenDP (:mod:`cityid.reports.privacy`) within
the privacy-loss budget — and stores the tables as published."""

from __future__ import annotations

from datetime import date

from django.conf import settings
from django.db import transaction

from cityid.accounts.services import authorize
from cityid.audit.services import record_event
from cityid.cards.selectors import issued_counts
from cityid.core.actors import Actor
from cityid.core.errors import CityidError
from cityid.enrollment.selectors import STATISTICS_DIMENSIONS, decision_counts
from cityid.reports import privacy, suppression
from cityid.reports.models import PrivacyBudget, Release, ReleasedTable, ReleaseMode

#: The tables of a release: cards issued by each dimension, and decisions (the denial rate).
DIMENSIONS: tuple[str, ...] = (*STATISTICS_DIMENSIONS, "decision")
BUDGET_NAME = "statistics"


class ReleaseRefused(CityidError):
    """A release that cannot be made (codes and words: ``reports.messages``)."""


def true_counts(dimension: str, *, start: date, end: date) -> dict[str, int]:
    """The exact counts of one table (never published as such)."""
    if dimension == "decision":
        return decision_counts(start=start, end=end)
    return issued_counts(by=dimension, start=start, end=end)


def threshold() -> int:
    return int(getattr(settings, "CITYID_STATS_THRESHOLD", suppression.DEFAULT_THRESHOLD))


def _previous(dimension: str) -> list[suppression.Release]:
    rows = (ReleasedTable.objects.filter(dimension=dimension, release__mode=ReleaseMode.SUPPRESSED)
            .select_related("release").order_by("release__created_at", "release__id"))
    return [suppression.Release(row.release.start, row.release.end, dict(row.cells), row.total,
                                row.release.threshold) for row in rows]


def budget() -> PrivacyBudget:
    """The privacy-loss budget of the private releases (created at its configured size when first asked)."""
    found, _created = PrivacyBudget.objects.get_or_create(
        name=BUDGET_NAME, defaults={"epsilon": float(getattr(settings, "CITYID_STATS_EPSILON_BUDGET", 1.0))})
    return found


def publish_release(*, start: date, end: date, mode: str = ReleaseMode.SUPPRESSED, epsilon: float | None = None,
                    actor: Actor | None = None) -> Release:
    """Publish the statistics of ``[start, end]`` in ``mode``: ``suppressed`` (exact counts, small cells
    suppressed so that nothing published before or now gives one away) or ``private`` (OpenDP noise, spending
    ``epsilon`` of the budget, split evenly over the tables). Refused when the budget would be overspent."""
    authorize(actor, "reports.publish")
    if start > end:
        raise ReleaseRefused("period_reversed")
    if mode not in ReleaseMode.values:
        raise ReleaseRefused("unknown_mode", mode=mode[:20], modes=", ".join(ReleaseMode.values))
    with transaction.atomic():
        if mode == ReleaseMode.SUPPRESSED:
            release = _publish_suppressed(start, end)
        else:
            release = _publish_private(start, end, epsilon)
        record_event(actor=actor, action="report.publish", target=f"release:{release.public_id}", purpose=mode)
    return release


def _publish_suppressed(start: date, end: date) -> Release:
    limit = threshold()
    tables: dict[str, suppression.Release] = {}
    for dimension in DIMENSIONS:
        tables[dimension] = suppression.protect(true_counts(dimension, start=start, end=end), start=start, end=end,
                                                threshold=limit, previous=_previous(dimension))
    # The cards tables share one total (every card issued in the period): withheld in one, withheld in all.
    if any(tables[d].withheld for d in STATISTICS_DIMENSIONS):
        for dimension in STATISTICS_DIMENSIONS:
            table = tables[dimension]
            tables[dimension] = suppression.Release(start, end, dict.fromkeys(table.cells), None, limit)
    release = Release.objects.create(mode=ReleaseMode.SUPPRESSED, start=start, end=end, threshold=limit)
    ReleasedTable.objects.bulk_create([
        ReleasedTable(release=release, dimension=dimension, cells=dict(table.cells), total=table.total)
        for dimension, table in tables.items()
    ])
    return release


def _publish_private(start: date, end: date, epsilon: float | None) -> Release:
    if epsilon is None or not epsilon > 0:
        raise ReleaseRefused("epsilon_required")
    held = PrivacyBudget.objects.select_for_update().filter(pk=budget().pk).get()
    if epsilon > held.remaining + 1e-9:
        raise ReleaseRefused("budget_spent", asked=f"{epsilon:g}", remaining=f"{held.remaining:g}",
                             total=f"{held.epsilon:g}")
    contributions = int(getattr(settings, "CITYID_STATS_DP_CONTRIBUTIONS", 1))
    share = epsilon / len(DIMENSIONS)
    spent = 0.0
    tables: dict[str, tuple[dict[str, int], int]] = {}
    for dimension in DIMENSIONS:
        noisy, loss = privacy.noisy_counts(true_counts(dimension, start=start, end=end), epsilon=share,
                                           contributions=contributions)
        spent += loss
        tables[dimension] = (noisy, sum(noisy.values()))
    release = Release.objects.create(mode=ReleaseMode.PRIVATE, start=start, end=end, threshold=0, epsilon=spent,
                                     budget=held)
    ReleasedTable.objects.bulk_create([
        ReleasedTable(release=release, dimension=dimension, cells=cells, total=total)
        for dimension, (cells, total) in tables.items()
    ])
    held.spent = held.spent + spent
    held.save(update_fields=["spent"])
    return release


def set_budget(*, epsilon: float, actor: Actor | None = None) -> PrivacyBudget:
    """Set the total privacy-loss budget (never below what is spent already: a spent loss is not undone)."""
    authorize(actor, "reports.budget")
    with transaction.atomic():
        held = PrivacyBudget.objects.select_for_update().filter(pk=budget().pk).get()
        if epsilon < held.spent:
            raise ReleaseRefused("budget_below_spent", spent=f"{held.spent:g}")
        held.epsilon = epsilon
        held.save(update_fields=["epsilon"])
        record_event(actor=actor, action="report.budget", target=f"budget:{held.name}")
    return held
