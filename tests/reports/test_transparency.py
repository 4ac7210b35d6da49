"""The quarterly transparency report: counts by agency type, process and outcome, FOIL counts and timeliness,
as a PDF (``cityid report transparency``) and a public page."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import CommandError, call_command
from pypdf import PdfReader

pytestmark = pytest.mark.django_db


def _pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def test_command_writes_the_pdf(tmp_path, disclosures):
    out = tmp_path / "report.pdf"
    printed = io.StringIO()
    call_command("report", "transparency", "--quarter", "2026Q4", "--out", str(out), stdout=printed)
    assert "2026Q4" in printed.getvalue()
    text = _pdf_text(out.read_bytes())
    assert "Transparency report, 2026Q4" in text
    assert "2026-10-01" in text and "2026-12-31" in text
    assert "Court order" in text and "Administrative subpoena" in text
    assert "Produced as ordered" in text and "Refused" in text
    assert "Determined on time" in text


def test_json_has_the_selectors_counts(tmp_path, disclosures):
    out = tmp_path / "report.json"
    call_command("report", "transparency", "--quarter", "2026Q4", "--out", str(out))
    data = json.loads(out.read_text())
    law = data["law_enforcement"]
    assert law["total"] == 2
    assert law["by_legal_process"]["court_order"] == 1
    assert law["by_agency_type"]["local_police"] == 1
    assert law["by_outcome"]["refused"] == 1
    assert law["items_produced"] == 1
    assert data["foil"]["received"] == 1
    other = tmp_path / "q3.json"
    call_command("report", "transparency", "--quarter", "2026Q3", "--out", str(other))
    assert json.loads(other.read_text())["law_enforcement"]["total"] == 0


@pytest.mark.parametrize("quarter", ["2026Q5", "2026-4", "Q4 2026", "", "20260Q1", "2026Q4; rm -rf /"])
def test_malformed_quarter_is_one_clear_line(tmp_path, db, quarter):
    with pytest.raises(CommandError) as refused:
        call_command("report", "transparency", "--quarter", quarter, "--out", str(tmp_path / "x.pdf"))
    message = str(refused.value)
    assert "is not a quarter" in message and "2026Q4" in message and "\n" not in message
    assert not (tmp_path / "x.pdf").exists()


def test_public_page_and_pdf(client, disclosures):
    page = client.get("/transparency/", {"quarter": "2026q4"})
    assert page.status_code == 200
    html = page.content.decode()
    assert "Quarter 2026Q4" in html and "Court order" in html and "<caption>" in html
    pdf = client.get("/transparency/2026Q4.pdf")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert "Transparency report, 2026Q4" in _pdf_text(pdf.content)
    bad = client.get("/transparency/", {"quarter": "2026Q9"})
    assert bad.status_code == 400 and "is not a quarter" in bad.content.decode()
    assert client.get("/transparency/2026Q9.pdf").status_code == 400


def test_page_defaults_to_the_last_complete_quarter(client, db):
    from datetime import date

    from cityid.reports.periods import last_complete_quarter, parse_quarter
    assert last_complete_quarter(date(2027, 1, 15)) == "2026Q4"
    assert last_complete_quarter(date(2026, 12, 31)) == "2026Q3"
    assert parse_quarter("2026-Q1") == (date(2026, 1, 1), date(2026, 3, 31))
    assert client.get("/transparency/").status_code == 200
