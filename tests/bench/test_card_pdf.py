"""The card PDF rate (suite cards): the figures it reports, on real signed credentials, with small numbers."""

from __future__ import annotations

from cityid.bench.card_pdf import bench_card_pdf, sample_cards
from cityid.bench.cards import signed_payloads


def test_card_pdf_rate_reports_the_rate_beside_its_baselines():
    payloads = signed_payloads(8)
    result = bench_card_pdf(cards=8, rounds=2, payloads=lambda n: payloads[n])
    assert result["cards"] == 8 and result["target_cards_per_second"] == 50
    for figure in ("sheets_cards_per_second", "single_card_pdfs_per_second", "baseline_qr_pairs_per_second",
                   "baseline_blank_reportlab_pages_per_second", "portraits_per_second"):
        assert result[figure] > 0
    assert result["qr_characters"] == [len(payloads[0][0]), len(payloads[0][1])]
    assert result["sheets_vs_qr_pairs"] == round(result["sheets_cards_per_second"]
                                                 / result["baseline_qr_pairs_per_second"], 3)


def test_sample_cards_are_distinct_people_and_numbers():
    cards, portrait_rate = sample_cards(6, people=3)
    assert len({card.number for card in cards}) == 6 and portrait_rate > 0
    assert len({card.portrait for card in cards}) == 3
