"""The public statistics and transparency pages: no sign-in, built only from published releases and
aggregate counts (nothing personal, nothing a suppressed cell would give away). Thin: reads through
``reports.selectors``; charts, files and the PDF through their modules."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET

from cityid.reports import charts, selectors
from cityid.reports.periods import PeriodInvalid, last_complete_quarter
from cityid.ui.labels import label


def _title(dimension: str) -> str:
    if dimension == "decision":
        return _("Decisions on applications")
    return _("Cards issued by %(dimension)s") % {"dimension": label("stats_dimension", dimension).lower()}


def _published_table(dimension: str) -> tuple[selectors.Published, selectors.Table]:
    published = selectors.published()
    if published is None or dimension not in published.tables:
        raise Http404
    return published, published.tables[dimension]


def stats_json_data(published: selectors.Published, dimension: str | None = None) -> dict[str, Any]:
    """What the JSON file and ``cityid report stats --json`` give: the release and its tables as published."""
    release = published.release
    tables = {name: {"title": _title(name), "total": table.total,
                     "rows": selectors.table_rows(table, label)}
              for name, table in published.tables.items() if dimension in (None, name)}
    return {
        "release": str(release.public_id), "mode": release.mode, "start": release.start.isoformat(),
        "end": release.end.isoformat(), "published_at": release.created_at.isoformat(),
        "threshold": release.threshold if not published.private else None,
        "epsilon": release.epsilon, "denial_rate": published.denial_rate, "tables": tables,
    }


@require_GET
@cache_control(public=True, max_age=300)
def dashboard(request: HttpRequest) -> HttpResponse:
    published = selectors.published()
    tables = []
    if published is not None:
        for dimension, table in published.tables.items():
            rows = selectors.table_rows(table, label)
            tables.append({"dimension": dimension, "title": _title(dimension), "rows": rows, "total": table.total,
                           "alt": charts.alt_text(_title(dimension), rows), "suppressed": table.suppressed})
    return render(request, "reports/dashboard.html", {
        "published": published, "tables": tables, "releases": selectors.releases()[:12],
        "budget": selectors.budget_status(),
    })


@require_GET
@cache_control(public=True, max_age=300)
def stats_csv(request: HttpRequest, dimension: str) -> HttpResponse:
    published, table = _published_table(dimension)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["release", "mode", "start", "end", "dimension", "cell", "label", "count", "suppressed"])
    for row in selectors.table_rows(table, label):
        writer.writerow([published.release.public_id, published.release.mode, published.release.start,
                         published.release.end, dimension, row["cell"], row["label"],
                         "" if row["count"] is None else row["count"], "yes" if row["suppressed"] else "no"])
    writer.writerow([published.release.public_id, published.release.mode, published.release.start,
                     published.release.end, dimension, "total", _("Total"),
                     "" if table.total is None else table.total, "yes" if table.total is None else "no"])
    response = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="cityid-{dimension}.csv"'
    return response


@require_GET
@cache_control(public=True, max_age=300)
def stats_json(request: HttpRequest, dimension: str | None = None) -> HttpResponse:
    published = selectors.published()
    if published is None or (dimension is not None and dimension not in published.tables):
        raise Http404
    return JsonResponse(stats_json_data(published, dimension), json_dumps_params={"ensure_ascii": False})


@require_GET
@cache_control(public=True, max_age=300)
def stats_chart(request: HttpRequest, dimension: str) -> HttpResponse:
    from django.core.cache import cache
    from django.utils.translation import get_language

    published, table = _published_table(dimension)
    # A release never changes: its chart is drawn once per language and kept.
    key = f"reports:chart:{published.release.public_id}:{dimension}:{get_language()}"
    png = cache.get(key)
    if png is None:
        png = charts.bar_chart(table, selectors.table_rows(table, label), title=_title(dimension))
        cache.set(key, png, 24 * 3600)
    return HttpResponse(png, content_type="image/png")


def _transparency_quarter(request: HttpRequest, quarter: str | None) -> tuple[selectors.TransparencyReport | None,
                                                                              str | None]:
    from django.utils import timezone

    try:
        return selectors.transparency_report(quarter or last_complete_quarter(timezone.localdate())), None
    except PeriodInvalid as exc:
        return None, str(exc)


@require_GET
@cache_control(public=True, max_age=300)
def transparency(request: HttpRequest) -> HttpResponse:
    report, error = _transparency_quarter(request, request.GET.get("quarter"))
    from cityid.reports.transparency import sections

    return render(request, "reports/transparency.html", {
        "report": report, "error": error, "sections": sections(report) if report else [],
        "asked": (request.GET.get("quarter") or "")[:8],
    }, status=400 if error else 200)


@require_GET
def transparency_pdf(request: HttpRequest, quarter: str) -> HttpResponse:
    from cityid.reports.transparency import pdf_bytes

    report, error = _transparency_quarter(request, quarter)
    if report is None:
        return HttpResponse(error, status=400, content_type="text/plain; charset=utf-8")
    response = HttpResponse(pdf_bytes(report), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="cityid-transparency-{report.quarter}.pdf"'
    return response


def json_text(data: dict[str, Any]) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False)
