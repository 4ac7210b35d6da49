"""Reads of the published statistics (what the dashboard, the CSV/JSON files and ``cityid report stats``
show: the tables as released, never a true count behind a suppressed cell) and of the transparency report."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from cityid.disclosure.selectors import foil_counts, law_enforcement_counts
from cityid.reports.models import PrivacyBudget, Release, ReleasedTable, ReleaseMode
from cityid.reports.periods import parse_quarter, quarter_name

#: The tables in the order the dashboard shows them, and the label kind of each one's cells.
TABLES: tuple[str, ...] = ("month", "borough", "language", "age_band", "application_type", "decision")
CELL_KINDS: dict[str, str] = {
    "month": "", "borough": "stats_borough", "language": "stats_language", "age_band": "stats_age_band",
    "application_type": "application_type", "decision": "stats_decision",
}


@dataclass(frozen=True)
class Row:
    cell: str
    value: int | None  # None: suppressed


@dataclass(frozen=True)
class Table:
    dimension: str
    rows: list[Row]
    total: int | None  # None: withheld

    @property
    def suppressed(self) -> int:
        return sum(1 for row in self.rows if row.value is None)


@dataclass(frozen=True)
class Published:
    """One release as the public sees it."""

    release: Release
    tables: dict[str, Table]
    denial_rate: float | None = None  # denied / decided, from the published cells (None: a cell suppressed)
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def private(self) -> bool:
        return self.release.mode == ReleaseMode.PRIVATE


def _table(row: ReleasedTable) -> Table:
    return Table(row.dimension, [Row(cell, value) for cell, value in row.cells.items()], row.total)


def latest_release() -> Release | None:
    return Release.objects.order_by("-created_at", "-id").first()


def releases() -> list[Release]:
    return list(Release.objects.order_by("-created_at", "-id"))


def published(release: Release | None = None) -> Published | None:
    """The latest release (or ``release``) as published, with the denial rate where both counts are shown."""
    release = release or latest_release()
    if release is None:
        return None
    tables = {row.dimension: _table(row) for row in release.tables.all()}
    ordered = {dimension: tables[dimension] for dimension in TABLES if dimension in tables}
    rate = None
    decision = ordered.get("decision")
    if decision is not None:
        values = {row.cell: row.value for row in decision.rows}
        approved, denied = values.get("approved"), values.get("denied")
        if approved is not None and denied is not None and approved + denied > 0:
            rate = denied / (approved + denied)
    return Published(release, ordered, rate)


def table_rows(table: Table, cell_label: Callable[[str, str], str]) -> list[dict[str, Any]]:
    """The rows of a table as plain data (CSV, JSON, the command): cell, label, count or None, suppressed."""
    kind = CELL_KINDS.get(table.dimension, "")
    return [{"cell": row.cell, "label": cell_label(kind, row.cell) if kind else row.cell, "count": row.value,
             "suppressed": row.value is None} for row in table.rows]


def budget_status() -> PrivacyBudget | None:
    return PrivacyBudget.objects.filter(name="statistics").first()


# --- The transparency report ------------------------------------------------------------------------------

@dataclass(frozen=True)
class TransparencyReport:
    quarter: str
    start: date
    end: date
    law_enforcement: dict[str, Any]
    foil: dict[str, Any]


def transparency_report(quarter: str) -> TransparencyReport:
    """The quarter's counts (aggregates and audit metadata only) from the disclosure app's selectors;
    PeriodInvalid for a malformed quarter."""
    start, end = parse_quarter(quarter)
    return TransparencyReport(quarter_name(start), start, end, law_enforcement_counts(start=start, end=end),
                              foil_counts(start=start, end=end))
