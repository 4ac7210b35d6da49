"""The statistics as released: counts from the owning apps' selectors, suppressed or noisy, stored, and shown
the same way on the public dashboard, in its CSV and JSON files, charts, and ``cityid report stats``."""

from __future__ import annotations

import csv
import io
import json
from collections import Counter
from datetime import date

import pytest
from django.core.management import CommandError, call_command

from tests.reports.conftest import END, START

pytestmark = pytest.mark.django_db


def _publish(**kwargs):
    from cityid.reports.services import publish_release

    return publish_release(start=kwargs.pop("start", START), end=kwargs.pop("end", END), **kwargs)


def test_issued_counts_match_the_cards(population):
    from cityid.cards.models import Card
    from cityid.cards.selectors import issued_counts
    from cityid.enrollment.selectors import age_band

    cards = list(Card.objects.select_related("applicant", "application"))
    assert sum(issued_counts(by="borough", start=START, end=END).values()) == len(cards) == population
    boroughs = Counter(card.applicant.borough or "not_recorded" for card in cards)
    assert {k: v for k, v in issued_counts(by="borough", start=START, end=END).items() if v} == dict(boroughs)
    months = Counter(card.issued_on.strftime("%Y-%m") for card in cards)
    assert issued_counts(by="month", start=START, end=END) == {f"2026-{m:02d}": months[f"2026-{m:02d}"]
                                                                for m in range(1, 7)}
    ages = Counter(age_band(card.issued_on.year - card.applicant.birth_year) for card in cards)
    assert {k: v for k, v in issued_counts(by="age_band", start=START, end=END).items() if v} == dict(ages)
    kinds = Counter(card.application.type for card in cards)
    assert {k: v for k, v in issued_counts(by="application_type", start=START, end=END).items() if v} == dict(kinds)
    languages = Counter((card.applicant.languages.split(",")[0] or "not_recorded") for card in cards)
    assert {k: v for k, v in issued_counts(by="language", start=START, end=END).items() if v} == dict(languages)


def test_decision_counts(population):
    from cityid.enrollment.models import Application
    from cityid.enrollment.selectors import decision_counts

    counts = decision_counts(start=START, end=END)
    assert counts["denied"] == Application.objects.filter(status="denied").count()
    assert counts["approved"] == population


def test_suppressed_release_is_stored_as_published(population):
    from cityid.reports.selectors import published

    release = _publish()
    shown = published()
    assert shown is not None and shown.release == release
    assert set(shown.tables) == {"month", "borough", "language", "age_band", "application_type", "decision"}
    for table in shown.tables.values():
        for row in table.rows:
            assert row.value is None or row.value == 0 or row.value >= release.threshold
        hidden = [row for row in table.rows if row.value is None]
        assert len(hidden) != 1 or table.total is None
    assert shown.tables["borough"].total == population


def test_dashboard_is_public_and_matches_the_command(client, population):
    from cityid.reports.selectors import published

    _publish()
    page = client.get("/stats/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'alt="Bar chart, Cards issued by borough.' in html
    assert "<table" in html and "Download CSV" in html
    shown = published()
    assert shown is not None
    out = io.StringIO()
    call_command("report", "stats", "--by", "borough", stdout=out)
    text = out.getvalue()
    for row in shown.tables["borough"].rows:
        assert ("suppressed" if row.value is None else f"{row.value:,}") in text
    as_json = io.StringIO()
    call_command("report", "stats", "--by", "borough", "--json", stdout=as_json)
    data = json.loads(as_json.getvalue())
    assert data == client.get("/stats/borough.json").json()
    counts = {row["cell"]: row["count"] for row in data["tables"]["borough"]["rows"]}
    assert counts == {row.cell: row.value for row in shown.tables["borough"].rows}


def test_csv_and_chart(client, population):
    _publish()
    response = client.get("/stats/age_band.csv")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert rows[-1]["cell"] == "total" and int(rows[-1]["count"]) == population
    assert {row["cell"] for row in rows[:-1]} == {"under_18", "18_24", "25_34", "35_44", "45_54", "55_64", "65_plus"}
    chart = client.get("/stats/month.png")
    assert chart.status_code == 200 and chart.content.startswith(b"\x89PNG")
    assert client.get("/stats/nothing.csv").status_code == 404


def test_dashboard_before_any_release(client, db):
    assert "No statistics have been published yet" in client.get("/stats/").content.decode()
    with pytest.raises(CommandError, match="No statistics have been published yet"):
        call_command("report", "stats", "--by", "borough")


def test_stats_command_refuses_an_unknown_dimension(population):
    _publish()
    with pytest.raises(CommandError, match="is not a table of the statistics"):
        call_command("report", "stats", "--by", "shoe_size")


def test_second_release_is_checked_against_the_first(population):
    """A release of a longer period never publishes a borough count that differs from the first by 1-9."""
    from cityid.reports.selectors import published

    first = published(_publish(end=date(2026, 5, 31)))
    second = published(_publish(end=date(2026, 6, 30)))
    assert first is not None and second is not None
    for dimension, table in second.tables.items():
        before = {row.cell: row.value for row in first.tables[dimension].rows}
        for row in table.rows:
            if row.value is not None and before.get(row.cell) is not None:
                assert not 0 < abs(row.value - before[row.cell]) < 10, (dimension, row.cell)


def test_private_release_spends_the_budget_and_is_refused_when_spent(population, settings):
    from cityid.reports.models import Release
    from cityid.reports.selectors import budget_status, published
    from cityid.reports.services import ReleaseRefused

    settings.CITYID_STATS_EPSILON_BUDGET = 1.0
    release = _publish(mode="private", epsilon=0.6)
    assert release.epsilon == pytest.approx(0.6, rel=1e-6)
    held = budget_status()
    assert held is not None and held.spent == pytest.approx(0.6, rel=1e-6)
    shown = published(release)
    assert shown is not None and shown.private
    assert all(row.value is not None and row.value >= 0 for row in shown.tables["borough"].rows)
    with pytest.raises(ReleaseRefused) as refused:
        _publish(mode="private", epsilon=0.5)
    assert refused.value.code == "budget_spent"
    assert Release.objects.count() == 1
    _publish(mode="private", epsilon=0.4)  # what is left
    with pytest.raises(ReleaseRefused):
        _publish(mode="private", epsilon=0.01)


def test_attack_publishing_needs_the_role(population, staff):
    from cityid.accounts.policy import PermissionDenied
    from cityid.audit.models import AuditEntry

    with pytest.raises(PermissionDenied):
        _publish(actor=staff["clerk"])
    assert AuditEntry.objects.filter(action="access.denied", purpose="reports.publish").exists()
    _publish(actor=staff["foil_officer"])
    assert AuditEntry.objects.filter(action="report.publish").count() == 1


def test_attack_budget_is_set_by_the_host_operator_only(db, staff):
    from cityid.accounts.policy import PermissionDenied
    from cityid.reports.services import set_budget

    with pytest.raises(PermissionDenied):
        set_budget(epsilon=100.0, actor=staff["admin"])
    assert set_budget(epsilon=2.0).epsilon == 2.0


def test_dashboard_and_transparency_page_in_spanish(client, population):
    _publish()
    client.cookies["django_language"] = "es"
    html = client.get("/stats/", HTTP_ACCEPT_LANGUAGE="es").content.decode()
    assert "Estadísticas del programa" in html and "Gráfico de barras" in html
    assert "Informe de transparencia" in client.get("/transparency/", {"quarter": "2026Q2"},
                                                     HTTP_ACCEPT_LANGUAGE="es").content.decode()
