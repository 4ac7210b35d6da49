"""Small-cell suppression for one-way count tables, checked against every earlier release. Pure Python.

A *release* publishes one table (cells of one dimension, e.g. cards issued by borough) for one period,
with its total. A cell is published, or suppressed (``None``). The rules, applied until nothing changes:

1. **Primary**: a cell with ``0 < count < threshold`` is suppressed. A zero is published (nobody to expose).
   A total below the threshold withholds the whole table.
2. **Margin** (complementary suppression): if any cell of the table is suppressed, at least two are, and the
   suppressed cells together hold at least ``threshold`` people, so the total minus the published cells
   (the residual) neither equals one cell nor bounds a small one. The smallest published cells are added.
3. **Difference between two releases**: for an earlier release whose period overlaps this one, a cell
   published in both whose counts differ by ``0 < |d| < threshold`` is suppressed (the difference would
   publish a small count: the people added or removed between the two). A total that differs from such a
   release's total by ``0 < |d| < threshold`` withholds the whole table: every table of that period would
   give it away.
4. **Exact recovery from all releases**: the periods of all releases of the dimension are cut into their
   atomic intervals; each published cell and total is a linear equation over the unknown counts of
   (cell, interval). A suppressed cell whose value is a linear combination of the published equations
   (e.g. the January-April table minus the April table gives the January-March one) is recoverable.
   If the new release makes a cell of an earlier release recoverable, or one of its own cells hidden
   for rules 1 and 3, the smallest published cell of the new release is suppressed too, until none is.
   (A complementary cell that other releases pin down anyway, e.g. a zero, exposes no one.)

Earlier releases are never changed: only the new release suppresses more. Their published tables must be
kept (the ``reports`` app stores them) and passed as ``previous``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

DEFAULT_THRESHOLD = 10

#: A prime for the rank test (exact over the rationals for 0/1 matrices of this size, except with
#: negligible probability: a minor divisible by a 61-bit prime).
_PRIME = (1 << 61) - 1

#: Why a cell is hidden for its own sake (the others are hidden to protect these: a complementary cell that
#: other releases pin down exposes no one, as long as no protected cell follows from it).
PROTECTED_REASONS = frozenset({"small", "difference", "suppressed_before"})


@dataclass(frozen=True)
class Release:
    """One published table: ``cells`` maps each cell to its count or ``None`` (suppressed); ``total``
    likewise. The period is ``[start, end]``, both days included."""

    start: date
    end: date
    cells: Mapping[str, int | None]
    total: int | None
    threshold: int = DEFAULT_THRESHOLD
    reasons: Mapping[str, str] = field(default_factory=dict)

    @property
    def suppressed(self) -> list[str]:
        return [cell for cell, value in self.cells.items() if value is None]

    @property
    def withheld(self) -> bool:
        """The whole table is withheld (the total too)."""
        return self.total is None


def _overlaps(a: Release | tuple[date, date], b: Release) -> bool:
    start, end = (a.start, a.end) if isinstance(a, Release) else a
    return start <= b.end and b.start <= end


def protect(counts: Mapping[str, int], *, start: date, end: date, threshold: int = DEFAULT_THRESHOLD,
            previous: Sequence[Release] = ()) -> Release:
    """The release of ``counts`` (every cell of the dimension, zeros included) for ``[start, end]``,
    suppressed so that neither it, nor its total, nor its difference with any of ``previous`` (earlier
    releases of the same dimension) reveals a suppressed cell or a count below ``threshold``."""
    if threshold < 1:
        raise ValueError("threshold must be at least 1")
    if start > end:
        raise ValueError("the period ends before it starts")
    if any(value < 0 for value in counts.values()):
        raise ValueError("counts are never negative")
    cells = dict(counts)
    total = sum(cells.values())
    related = [release for release in previous if _overlaps((start, end), release)]

    def withhold(reason: str) -> Release:
        return Release(start, end, {cell: None for cell in cells}, None, threshold,
                       {cell: reason for cell in cells})

    if 0 < total < threshold:
        return withhold("total_small")
    for release in related:
        if release.total is not None and 0 < abs(total - release.total) < threshold:
            return withhold("total_difference")

    reasons: dict[str, str] = {}
    for cell, value in cells.items():
        if 0 < value < threshold:
            reasons[cell] = "small"
    for release in related:  # a table of the same period published again: what was hidden stays hidden
        if (release.start, release.end) == (start, end):
            for cell in release.suppressed:
                if cell in cells and cell not in reasons:
                    reasons[cell] = "suppressed_before"

    def published() -> list[str]:
        return sorted((cell for cell in cells if cell not in reasons), key=lambda cell: (cells[cell], cell))

    def suppress_smallest(reason: str) -> bool:
        """Suppress the smallest published cell (a non-zero one first); False if none is left."""
        candidates = published()
        nonzero = [cell for cell in candidates if cells[cell] > 0]
        pick = (nonzero or candidates)[:1]
        for cell in pick:
            reasons[cell] = reason
        return bool(pick)

    baseline = set(recoverable_cells(previous)) if any(release.suppressed for release in previous) else None
    changed = True
    while changed:
        changed = False
        # 3. Differences with earlier releases.
        for release in related:
            for cell in published():
                before = release.cells.get(cell)
                if before is not None and 0 < abs(cells[cell] - before) < threshold:
                    reasons[cell] = "difference"
                    changed = True
        # 2. The margin.
        if reasons:
            hidden = sum(cells[cell] for cell in reasons)
            if (len(reasons) < 2 or hidden < threshold) and suppress_smallest("complementary"):
                changed = True
                continue
        # 4. Exact recovery from all releases together (beyond what the earlier ones gave away already).
        if related and (reasons or baseline is not None):
            candidate = Release(start, end, _publish(cells, reasons), total, threshold)
            found = set(recoverable_cells([*previous, candidate])) - (baseline or set())
            own = len(previous)
            if any(index != own or reasons[cell] in PROTECTED_REASONS for index, cell in found):
                if suppress_smallest("recoverable"):
                    changed = True
                    continue
                return withhold("recoverable")
    return Release(start, end, _publish(cells, reasons), total, threshold, reasons)


def _publish(cells: Mapping[str, int], reasons: Mapping[str, str]) -> dict[str, int | None]:
    return {cell: (None if cell in reasons else value) for cell, value in cells.items()}


def _atomic_intervals(releases: Sequence[Release]) -> list[tuple[int, int]]:
    cuts = sorted({release.start.toordinal() for release in releases}
                  | {release.end.toordinal() + 1 for release in releases})
    return list(zip(cuts, cuts[1:], strict=False))


def recoverable_cells(releases: Sequence[Release]) -> list[tuple[int, str]]:
    """``(release index, cell)`` of every suppressed cell of ``releases`` (one dimension) whose exact value
    follows from the published cells and totals of all of them (a linear combination)."""
    intervals = _atomic_intervals(releases)
    names = sorted({cell for release in releases for cell in release.cells})
    column = {(cell, i): n for n, (cell, i) in enumerate((c, i) for c in names for i in range(len(intervals)))}

    def inside(release: Release) -> list[int]:
        first, last = release.start.toordinal(), release.end.toordinal() + 1
        return [i for i, (a, b) in enumerate(intervals) if a >= first and b <= last]

    rows: list[dict[int, int]] = []
    for release in releases:
        spans = inside(release)
        for cell, value in release.cells.items():
            if value is not None:
                rows.append({column[(cell, i)]: 1 for i in spans})
        if release.total is not None:
            rows.append({column[(cell, i)]: 1 for cell in release.cells for i in spans})
    basis = _echelon(rows)
    found: list[tuple[int, str]] = []
    for index, release in enumerate(releases):
        spans = inside(release)
        for cell in release.suppressed:
            if _in_span(basis, {column[(cell, i)]: 1 for i in spans}):
                found.append((index, cell))
    return found


def _echelon(rows: list[dict[int, int]]) -> dict[int, dict[int, int]]:
    """A row-echelon basis over GF(p): pivot column -> row (sparse), each row's pivot normalised to 1."""
    basis: dict[int, dict[int, int]] = {}
    for row in rows:
        reduced = _reduce(basis, dict(row))
        if reduced:
            pivot = min(reduced)
            inverse = pow(reduced[pivot], _PRIME - 2, _PRIME)
            basis[pivot] = {col: value * inverse % _PRIME for col, value in reduced.items()}
    return basis


def _reduce(basis: Mapping[int, Mapping[int, int]], row: dict[int, int]) -> dict[int, int]:
    row = {col: value % _PRIME for col, value in row.items() if value % _PRIME}
    while row:
        pivots = [col for col in row if col in basis]
        if not pivots:
            return row
        col = min(pivots)
        factor = row[col]
        for other, value in basis[col].items():
            updated = (row.get(other, 0) - factor * value) % _PRIME
            if updated:
                row[other] = updated
            else:
                row.pop(other, None)
    return row


def _in_span(basis: Mapping[int, Mapping[int, int]], target: dict[int, int]) -> bool:
    return not _reduce(basis, target)
