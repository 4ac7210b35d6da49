"""The quarterly transparency report as sections of plain rows (the web page and the PDF show the same),
and its PDF (reportlab). Built only from the disclosure app's aggregate counts: no request id, no name."""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from cityid.reports.selectors import TransparencyReport
from cityid.ui.labels import label


@dataclass(frozen=True)
class Section:
    part: str  # "law_enforcement" or "foil"
    title: str
    columns: list[str]
    rows: list[list[Any]]


def _counts(part: str, title: str, counts: dict[str, int], kind: str) -> Section:
    rows: list[list[Any]] = [[label(kind, code) if kind else code, n] for code, n in counts.items()]
    rows.append([_("Total"), sum(counts.values())])
    return Section(part, title, [_("Category"), _("Count")], rows)


def sections(report: TransparencyReport) -> list[Section]:
    law = report.law_enforcement
    foil = report.foil
    timeliness = foil.get("timeliness", {})
    appeals = foil.get("appeals", {})
    outcomes = list(next(iter(law.get("by_process_and_outcome", {}).values()), {}))
    found: list[Section] = [
        Section("law_enforcement", _("Law-enforcement requests"), [_("Measure"), _("Count")], [
            [_("Requests received"), law.get("total", 0)],
            [_("Records and photos produced"), law.get("items_produced", 0)],
            [_("Applicants notified"), law.get("notices_given", 0)],
            [_("Requests with an order forbidding notice"), law.get("gag_orders", 0)],
        ]),
        _counts("law_enforcement", _("Requests by type of agency"), law.get("by_agency_type", {}), "le_agency_type"),
        _counts("law_enforcement", _("Requests by legal process presented"), law.get("by_legal_process", {}),
                "le_process"),
        _counts("law_enforcement", _("Requests by outcome"), law.get("by_outcome", {}), "le_outcome"),
        Section("law_enforcement", _("Outcome by legal process"),
                [_("Legal process"), *[label("le_outcome", code) for code in outcomes]],
                [[label("le_process", process), *[row.get(code, 0) for code in outcomes]]
                 for process, row in law.get("by_process_and_outcome", {}).items()]),
        Section("foil", _("FOIL requests in the quarter"), [_("Measure"), _("Count")], [
            [_("Requests received"), foil.get("received", 0)],
            [_("Determinations made"), foil.get("determined", 0)],
            [_("Appeals filed"), appeals.get("filed", 0)],
        ]),
        _counts("foil", _("Requests received, by current status"), foil.get("by_status", {}), "foil_status"),
        _counts("foil", _("Determinations by outcome"), foil.get("by_outcome", {}), "foil_outcome"),
        _counts("foil", _("Exemptions cited in determinations"), foil.get("exemptions", {}), "foil_exemption"),
        Section("foil", _("Timeliness"), [_("Measure"), _("Count")], [
            [_("Acknowledged on time"), timeliness.get("acknowledged_on_time", 0)],
            [_("Acknowledged late"), timeliness.get("acknowledged_late", 0)],
            [_("Determined on time"), timeliness.get("determined_on_time", 0)],
            [_("Determined late"), timeliness.get("determined_late", 0)],
            [_("Open past the due date at the end of the quarter"), timeliness.get("open_past_due", 0)],
        ]),
        _counts("foil", _("Appeals by outcome"), appeals.get("by_outcome", {}), "foil_appeal_outcome"),
    ]
    return found


def title(report: TransparencyReport) -> str:
    return _("Transparency report, %(quarter)s") % {"quarter": report.quarter}


def pdf_bytes(report: TransparencyReport) -> bytes:
    """The report as a PDF: a title, the period, and each section as a table with a header row."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import LETTER
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.lib.units import inch
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    styles = getSampleStyleSheet()
    out = io.BytesIO()
    document = SimpleDocTemplate(out, pagesize=LETTER, title=title(report), author="", subject=title(report),
                                 creator="cityid", leftMargin=0.8 * inch, rightMargin=0.8 * inch)
    story: list[Any] = [
        Paragraph(title(report), styles["Title"]),
        Paragraph(_("Requests received from %(start)s to %(end)s. Counts only: no request, requester or applicant "
                    "is named.") % {"start": report.start.isoformat(), "end": report.end.isoformat()},
                  styles["Normal"]),
        Paragraph(_("Built on %(day)s.") % {"day": timezone.localdate().isoformat()}, styles["Normal"]),
    ]
    part_titles = {"law_enforcement": _("Law-enforcement requests"), "foil": _("Freedom of Information Law requests")}
    part = ""
    for section in sections(report):
        if section.part != part:
            part = section.part
            story += [Spacer(1, 0.2 * inch), Paragraph(part_titles[part], styles["Heading1"])]
        story.append(Paragraph(section.title, styles["Heading3"]))
        data = [section.columns, *[[str(cell) for cell in row] for row in section.rows]]
        table = Table(data, hAlign="LEFT", repeatRows=1)
        table.setStyle(TableStyle([
            ("FONTNAME", (0, 0), (-1, 0), "Helvetica-Bold"),
            ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#dfe1e2")),
            ("GRID", (0, 0), (-1, -1), 0.5, colors.HexColor("#71767a")),
            ("ALIGN", (1, 1), (-1, -1), "RIGHT"),
        ]))
        story += [table, Spacer(1, 0.12 * inch)]
    document.build(story)
    return out.getvalue()
