"""The audit suite: the transparency log at scale (batched append, inclusion proofs, full
verification), each beside raw SHA-256 over the same bytes in the same run; the append also beside
the ceiling that binds it, the database's bare insert of the same rows into a table of the same
shape (columns and indexes), measured in the same run."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from cityid.accounts.policy import roles_for
from cityid.bench.common import percentile


def _sha256_ceiling(entries: list[bytes]) -> float:
    """Seconds raw SHA-256 takes for the RFC 6962 tree of ``entries``: n leaf and n - 1 node hashes."""
    import hashlib

    sha = hashlib.sha256
    started = time.perf_counter()
    level = [sha(b"\x00" + entry).digest() for entry in entries]
    while len(level) > 1:
        upper = [sha(b"\x01" + level[i] + level[i + 1]).digest() for i in range(0, len(level) - 1, 2)]
        if len(level) % 2:
            upper.append(level[-1])
        level = upper
    return time.perf_counter() - started


@contextmanager
def _same_shaped_table() -> Iterator[str]:
    """A scratch table with the audit entry table's columns and indexes; dropped afterwards."""
    import uuid

    from django.db import connection, models

    from cityid.audit.models import AuditEntry

    suffix = uuid.uuid4().hex[:8]
    attrs: dict[str, Any] = {
        "__module__": __name__,
        "Meta": type("Meta", (), {"app_label": "bench_ceiling", "db_table": f"bench_insert_ceiling_{suffix}"}),
    }
    attrs.update({field.name: field.clone() for field in AuditEntry._meta.local_fields})
    model = type(f"InsertCeiling{suffix}", (models.Model,), attrs)
    # The statements only, run here: SQLite's schema editor refuses to open inside a transaction
    # (as the tests run), and a plain CREATE TABLE and its CREATE INDEXes need none of what it adds.
    editor = connection.schema_editor(collect_sql=True, atomic=False)
    editor.deferred_sql = []
    editor.create_model(model)
    table = connection.ops.quote_name(model._meta.db_table)
    with connection.cursor() as cursor:
        for statement in [*editor.collected_sql, *map(str, editor.deferred_sql)]:
            cursor.execute(statement.rstrip().rstrip(";"))
    try:
        yield model._meta.db_table
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"DROP TABLE {table}")


def _insert_ceiling(table: str, start: int, count: int) -> float:
    """Seconds the database takes to insert, in one transaction as ``append_entries`` does, the
    rows ``[start, start + count)`` of the log (read back first, untimed) into ``table``."""
    from django.db import connection, transaction

    from cityid.audit import services
    from cityid.audit.models import AuditEntry

    adapt = connection.ops.adapt_datetimefield_value
    rows = [
        (row[0], adapt(row[1]), *row[2:])
        for row in AuditEntry.objects.filter(index__gte=start, index__lt=start + count)
        .order_by("index").values_list(*services._INSERT_COLUMNS)
    ]
    started = time.perf_counter()
    with transaction.atomic(savepoint=False):
        services._insert_rows(rows, db_table=table)
    return time.perf_counter() - started


def bench_audit(
    entries: int = 1_000_000, progress: Callable[[int], None] | None = None, batch: int = 10_000,
    proofs: int = 1000,
) -> dict[str, Any]:
    """The audit transparency log at scale, on the current (scratch) database.

    * batched append: ``append_entries`` of ``batch`` entries then ``integrate``, repeated;
    * inclusion-proof latency at the final size: ``proofs`` random proofs through the database
      node store (a fresh store each time, so nothing is cached between proofs), and through
      the proof endpoint's selector (head checks, root and checkpoint lookup included);
    * a full ``audit verify``;

    each beside raw SHA-256 over the same bytes in the same run (every entry's leaf hash plus
    the n - 1 interior node hashes; for a proof, the hashes its verification takes).
    ``progress(n)`` is called as entries are appended.
    """
    import hashlib
    import random
    import uuid

    from cityid.audit import merkle, selectors, services
    from cityid.audit.store import TileStore
    from cityid.audit.verify import verify_log

    actions = ["personal.read", "personal.decrypt", "application.decision", "card.issue", "login.success"]
    kinds = ["applicant", "application", "card"]  # targets shaped as the real ones: kind:uuid
    rng = random.Random(7)
    append_seconds = integrate_seconds = ceiling_seconds = insert_ceiling_seconds = 0.0
    written = 0
    total_bytes = 0
    with _same_shaped_table() as scratch_table:
        while written < entries:
            n = min(batch, entries - written)
            role = roles_for("enrollment.create")[0]
            items = [
                {"actor": f"staff:{rng.randrange(200)}", "role": role, "action": actions[(written + i) % 5],
                 "target": f"{kinds[i % 3]}:{uuid.UUID(int=rng.getrandbits(128), version=4)}",
                 "purpose": "review"}
                for i in range(n)
            ]
            t0 = time.perf_counter()
            appended = services.append_entries(items)
            t1 = time.perf_counter()
            services.integrate()
            t2 = time.perf_counter()
            append_seconds += t1 - t0
            integrate_seconds += t2 - t1
            ceiling_seconds += _sha256_ceiling(appended.entries)
            insert_ceiling_seconds += _insert_ceiling(scratch_table, appended.start, n)
            total_bytes += sum(map(len, appended.entries))
            written += n
            if progress:
                progress(n)
    size = services.log_size()
    appended_seconds = append_seconds + integrate_seconds
    services.make_checkpoint()  # the public proof endpoint answers within the latest signed checkpoint

    # Inclusion proofs at the final size.
    store_root = merkle.root(TileStore(), size)
    latencies, endpoint_latencies, verify_hash_seconds = [], [], []
    sha = hashlib.sha256
    for _ in range(proofs):
        index = rng.randrange(size)
        t0 = time.perf_counter()
        proof = merkle.inclusion_proof(TileStore(), index, size)
        latencies.append(time.perf_counter() - t0)
        leaf = TileStore().get(0, index)
        t0 = time.perf_counter()
        node = leaf
        for sibling in proof:  # the same count of 65-byte hashes a verifier computes
            node = sha(b"\x01" + sibling + node).digest()
        verify_hash_seconds.append(time.perf_counter() - t0)
        if not merkle.verify_inclusion(leaf, index, size, proof, store_root):
            raise AssertionError(f"inclusion proof of {index} in {size} does not verify")
    for _ in range(max(1, proofs // 5)):
        index = rng.randrange(size)
        t0 = time.perf_counter()
        selectors.inclusion_proof(index, size)
        endpoint_latencies.append(time.perf_counter() - t0)

    # Full verification.
    t0 = time.perf_counter()
    report = verify_log()
    verify_seconds = time.perf_counter() - t0
    if report.root != store_root:
        raise AssertionError("verify recomputed another root")

    def ms(values: list[float]) -> dict[str, float]:
        return {
            "mean": round(statistics.fmean(values) * 1000, 4),
            "p50": round(statistics.median(values) * 1000, 4),
            "p95": round(percentile(values, 0.95) * 1000, 4),
            "max": round(max(values) * 1000, 4),
        }

    ceiling_per_second = written / ceiling_seconds
    insert_per_second = written / insert_ceiling_seconds
    append_per_second = written / appended_seconds
    hash_all_seconds = ceiling_seconds * size / written  # raw hashing of the whole log, as verify does
    return {
        "entries": written,
        "log_size": size,
        "batch": batch,
        "entry_bytes_mean": round(total_bytes / written, 1),
        "append": {
            "seconds": round(appended_seconds, 3),
            "insert_seconds": round(append_seconds, 3),
            "integrate_seconds": round(integrate_seconds, 3),
            "entries_per_second": round(append_per_second),
        },
        "append_binding_ceiling": "database_insert" if insert_per_second < ceiling_per_second else "sha256",
        "database_insert_ceiling": {
            "seconds": round(insert_ceiling_seconds, 3),
            "entries_per_second": round(insert_per_second),
            "what": "the same rows inserted into a table of the same columns and indexes, one transaction "
                    "per batch, as append_entries inserts them (COPY on PostgreSQL)",
        },
        "append_ratio_to_database_insert": round(append_per_second / insert_per_second, 4),
        "sha256_ceiling": {
            "seconds": round(ceiling_seconds, 3),
            "hashes": 2 * written - 1,
            "entries_per_second": round(ceiling_per_second),
        },
        "append_ratio_to_sha256": round(append_per_second / ceiling_per_second, 4),
        "inclusion_proof_ms": ms(latencies),
        "inclusion_proof_endpoint_ms": ms(endpoint_latencies),
        "proof_sha256_ceiling_ms": round(statistics.fmean(verify_hash_seconds) * 1000, 4),
        "proof_ratio_to_sha256": round(statistics.fmean(verify_hash_seconds) / statistics.fmean(latencies), 4),
        "verify": {
            "seconds": round(verify_seconds, 3),
            "entries_per_second": round(size / verify_seconds),
            "ratio_to_sha256": round(hash_all_seconds / verify_seconds, 4),
        },
        "targets": {
            "append_per_second_min": 50_000,
            "proof_ms_max": 1.0,
            "verify_seconds_max_at_1m": 30.0,
        },
    }
