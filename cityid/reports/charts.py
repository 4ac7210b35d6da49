"""Charts of the published tables (matplotlib, PNG) and their text alternatives.

A chart shows only what the table beside it shows: suppressed cells are drawn as an empty, marked slot,
never estimated. The alt text names every bar and its count, so a screen reader user hears the chart."""

from __future__ import annotations

import io
from typing import Any

from django.utils.translation import gettext as _

from cityid.reports.selectors import Table


def _count_words(count: int | None) -> str:
    return _("suppressed") if count is None else f"{count:,}"


def alt_text(title: str, rows: list[dict[str, Any]]) -> str:
    """The chart in words: its title, then each bar's label and count (or that it is suppressed)."""
    parts = [f"{row['label']}: {_count_words(row['count'])}" for row in rows]
    return _("Bar chart, %(title)s. %(bars)s.") % {"title": title, "bars": "; ".join(parts)}


def bar_chart(table: Table, rows: list[dict[str, Any]], *, title: str) -> bytes:
    """A horizontal bar chart of ``rows`` as PNG bytes."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    labels = [str(row["label"]) for row in rows]
    values = [row["count"] or 0 for row in rows]
    height = max(2.2, 0.34 * len(rows) + 1.2)
    figure = Figure(figsize=(7.5, height), dpi=100)
    axes = figure.add_subplot()
    positions = list(range(len(rows)))
    bars = axes.barh(positions, values, color="#005ea2")
    top = max(values) if any(values) else 1
    for position, row, bar in zip(positions, rows, bars, strict=True):
        if row["count"] is None:
            bar.set_hatch("//")
            axes.text(top * 0.01, position, _("suppressed"), va="center", fontsize=8, color="#1b1b1b")
        else:
            axes.text(bar.get_width() + top * 0.01, position, f"{row['count']:,}", va="center", fontsize=8)
    axes.set_yticks(positions, labels, fontsize=9)
    axes.invert_yaxis()
    axes.set_xlim(0, top * 1.15)
    axes.set_title(title, fontsize=11)
    axes.spines[["top", "right"]].set_visible(False)
    figure.tight_layout()
    out = io.BytesIO()
    figure.savefig(out, format="png", metadata={"Software": None})
    return out.getvalue()
