"""Suite matching: both sides measured on the same data in one run (small sizes here)."""

import csv

from cityid.bench.matching import bench_matching, write_febrl


def test_accuracy_and_batch_beside_plain_splink(tmp_path):
    result = bench_matching(scratch=tmp_path, synthetic=800, batch=400, max_pairs=1e5, febrl=False)
    synthetic = result["synthetic"]
    assert synthetic["records"] == 800 and synthetic["true_pairs"] > 10
    for side in ("cityid", "plain_splink"):
        figures = synthetic[side]
        assert 0 <= figures["precision"] <= 1 and 0 <= figures["recall"] <= 1 and 0 < figures["f1"] <= 1
        assert figures["best_f1"] >= figures["f1"] - 1e-9
        batch = result["batch"][side]
        assert batch["seconds"] > 0 and batch["peak_memory_mb"] > 0 and batch["pairs"] >= 0
    assert result["batch"]["records"] == 400 and result["batch"]["wall_ratio"] > 0
    rounds = result["batch"]["rounds"]
    assert len(rounds) == 2  # the sides take turns, each side's figure its best round
    for side in ("cityid", "plain_splink"):
        assert result["batch"][side]["seconds"] == min(r[side]["seconds"] for r in rounds)
        assert {r[side]["pairs"] for r in rounds} == {result["batch"][side]["pairs"]}


def test_febrl_files_become_the_batch_columns_and_the_truth(tmp_path):
    truth = write_febrl("dataset1", tmp_path / "ours.csv", tmp_path / "raw.csv")
    assert truth is not None and len(truth) == 500
    with open(tmp_path / "ours.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 1000 and set(rows[0]) == {"id", "given_name", "family_name", "date_of_birth",
                                                  "address_line1", "city", "postcode", "document_number"}
    assert all(a.split("-")[1] == b.split("-")[1] for a, b in truth)
