"""The pages suite at a tiny size: the shape of its figures (no timing thresholds)."""

from __future__ import annotations

import json

import pytest
from django.core.management import call_command

from cityid.bench.pages import bench_pages, pages_table


@pytest.mark.django_db
def test_every_page_is_timed_at_both_sizes_as_its_role():
    result = bench_pages(12, baseline=6, repeats=2)
    assert result["people"] == 12 and result["baseline_people"] == 6 and result["repeats"] == 2
    assert result["applicants"]["baseline"] <= result["applicants"]["large"]
    pages = result["pages"]
    for name in ("decision queue", "my cases", "search by name (swapped)", "search by name (one typo)",
                 "search by receipt", "receipt", "cards", "audit events", "disposition preview", "staff",
                 "duplicate alerts", "print batches", "FOIL queue", "law-enforcement requests", "partner keys",
                 "statistics dashboard"):
        assert name in pages
    for figures in pages.values():
        assert set(figures) == {"role", "baseline", "large"}
        for size in ("baseline", "large"):
            assert figures[size]["status"] == 200
            assert figures[size]["median_ms"] <= figures[size]["p95_ms"]
            assert 0 <= figures[size]["cpu_median_ms"] <= figures[size]["cpu_p95_ms"]
    assert {pages["decision queue"]["role"], pages["audit events"]["role"], pages["staff"]["role"],
            pages["duplicate alerts"]["role"], pages["print batches"]["role"], pages["FOIL queue"]["role"]} == {
        "supervisor", "auditor", "admin", "fraud_analyst", "card_production", "foil_officer"}
    assert pages_table(result).row_count == len(pages)
    json.dumps(result)


def test_the_command_runs_the_pages_suite_in_a_scratch_database(tmp_path, monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)  # the bench refuses to run on a configured database
    out = tmp_path / "pages.json"
    call_command("bench", "--suite", "pages", "--people", "10", "--baseline", "5", "--repeats", "1",
                 "--out", str(out))
    result = json.loads(out.read_text())
    assert result["pages"]["baseline_people"] == 5
    assert all(figures["large"]["status"] == 200 for figures in result["pages"]["pages"].values())
