"""The audit suite at a tiny size: its JSON shape and that it did what it reports.
No timing is asserted: the figures belong to ``cityid bench`` on a real machine."""

from __future__ import annotations


def test_bench_audit_runs_on_a_small_log(db):
    from cityid.bench.audit import bench_audit

    seen = []
    result = bench_audit(1200, progress=seen.append, batch=500, proofs=50)
    assert sum(seen) == 1200 and result["log_size"] == 1200
    assert result["append"]["entries_per_second"] > 0 and result["verify"]["seconds"] > 0
    assert result["inclusion_proof_ms"]["p95"] >= result["inclusion_proof_ms"]["p50"] > 0
    assert 0 < result["append_ratio_to_sha256"] < 1
