"""The cards suite at a tiny size: the shape of its figures (no timing thresholds)."""

from __future__ import annotations

import json

import pytest
from django.core.management import call_command

from cityid.bench.cards import bench_cards, bench_status_list, bench_verification


def test_verification_is_timed_beside_raw_ecdsa():
    result = bench_verification(verifications=40, rounds=4, entries=131_072)
    assert result["verifications"] == 40 and result["rounds"] == 4
    assert result["pipeline_per_second"] > 0 and result["raw_ecdsa_p256_verify_per_second"] > 0
    assert result["ratio"] == pytest.approx(
        result["pipeline_per_second"] / result["raw_ecdsa_p256_verify_per_second"], rel=0.05)
    assert result["qr_characters"] < 500
    json.dumps(result)


def test_status_list_of_many_cards_is_built_signed_and_read_back():
    result = bench_status_list(cards=5000, entries=131_072, repeats=1)
    assert (result["cards"], result["revoked"], result["suspended"]) == (5000, 50, 25)
    assert result["build_and_sign_seconds"] > 0 and result["jws_bytes"] > 100


@pytest.mark.django_db
def test_the_suite_signs_with_the_configured_card_key():
    result = bench_cards(cards=2000, verifications=20)
    assert result["status_list"]["signed_by"] == "cards-1"
    assert set(result) == {"verification", "status_list"}


def test_the_command_runs_the_cards_suite_in_a_scratch_database(tmp_path, monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    out = tmp_path / "cards.json"
    call_command("bench", "--suite", "cards", "--cards", "3000", "--verifications", "40", "--out", str(out))
    result = json.loads(out.read_text())
    assert result["cards"]["status_list"]["cards"] == 3000
