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


def test_the_append_is_reported_beside_the_database_insert_that_binds_it(db):
    from django.db import connection

    from cityid.bench.audit import bench_audit

    tables_before = set(connection.introspection.table_names())
    result = bench_audit(600, batch=200, proofs=10)
    ceiling = result["database_insert_ceiling"]
    assert ceiling["entries_per_second"] > 0 and ceiling["seconds"] > 0
    assert result["append_binding_ceiling"] in ("database_insert", "sha256")
    assert result["append_ratio_to_database_insert"] == round(
        result["append"]["entries_per_second"] / ceiling["entries_per_second"], 4) or (
        result["append_ratio_to_database_insert"] > 0)
    assert set(connection.introspection.table_names()) == tables_before  # the scratch table is dropped
    from cityid.audit.models import AuditEntry

    assert AuditEntry.objects.count() == 600  # the ceiling wrote nothing into the log
