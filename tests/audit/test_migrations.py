"""Migrating a log written before ``target_hash`` existed fills the column, so old entries stay searchable."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from cityid.audit import selectors, services
from cityid.audit.models import AuditEntry
from cityid.audit.verify import verify_log

BEFORE = [("audit", "0003_heads")]


@pytest.mark.django_db(transaction=True)
def test_target_hash_migration_fills_the_existing_entries():
    executor = MigrationExecutor(connection)
    latest = executor.loader.graph.leaf_nodes("audit")
    executor.migrate(BEFORE)
    old_apps = executor.loader.project_state(BEFORE).apps
    old = old_apps.get_model("audit", "AuditEntry")
    at = dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.UTC)
    targets = ["applicant:old-1", "", "card:17", "applicant:old-1"]
    for index, target in enumerate(targets):
        columns = ("staff:1", "clerk", "personal.read", target, "review", "ok")
        old.objects.create(index=index, at=at, actor="staff:1", role="clerk", action="personal.read", target=target,
                           purpose="review", outcome="ok",
                           entry=services.entry_bytes(index, at.isoformat(timespec="microseconds"), columns))
    old_apps.get_model("audit", "LogHead").objects.update_or_create(pk=1, defaults={"size": len(targets)})

    executor = MigrationExecutor(connection)
    executor.migrate(latest)

    assert [services.target_hash(t) for t in targets] == list(
        AuditEntry.objects.order_by("index").values_list("target_hash", flat=True)
    )
    assert [e.index for e in selectors.search_events(target="applicant:old-1")] == [3, 0]
    assert verify_log().entries == len(targets)


BEFORE_SALTS = [("audit", "0004_target_hash")]


@pytest.mark.django_db(transaction=True)
def test_entries_logged_before_salts_keep_their_leaves_and_old_checkpoints_stay_consistent():
    """The salt migration rewrites nothing: a root published before it is still a prefix of the log."""
    from cityid.audit import merkle

    executor = MigrationExecutor(connection)
    latest = executor.loader.graph.leaf_nodes("audit")
    executor.migrate(BEFORE_SALTS)
    old_apps = executor.loader.project_state(BEFORE_SALTS).apps
    old = old_apps.get_model("audit", "AuditEntry")
    at = dt.datetime(2026, 1, 2, 3, 4, 5, 678901, tzinfo=dt.UTC)
    entries = []
    for index in range(5):
        columns = ("staff:1", "clerk", "application.deny", f"application:old-{index}", "reason:x", "ok")
        entry = services.entry_bytes(index, at.isoformat(timespec="microseconds"), columns)
        entries.append(entry)
        old.objects.create(index=index, at=at, actor="staff:1", role="clerk", action="application.deny",
                           target=columns[3], target_hash=services.target_hash(columns[3]), purpose="reason:x",
                           outcome="ok", entry=entry)
    old_apps.get_model("audit", "LogHead").objects.update_or_create(pk=1, defaults={"size": len(entries)})
    # The root an old checkpoint signed: RFC 6962 over the entries themselves.
    published_root = merkle.root_from_leaf_hashes([merkle.leaf_hash(e) for e in entries])

    executor = MigrationExecutor(connection)
    executor.migrate(latest)

    assert set(AuditEntry.objects.values_list("salt", flat=True)) == {b""}
    services.integrate()
    first = services.make_checkpoint()
    assert bytes(first.root) == published_root
    services.record_event(actor=None, action="after.salts")
    services.record_event(actor=None, action="after.salts.too")
    second = services.make_checkpoint()
    assert [len(bytes(s)) for s in AuditEntry.objects.order_by("index").values_list("salt", flat=True)] == [0] * 5 + [
        merkle.SALT_SIZE] * 2
    proof = selectors.consistency_proof(5, 7)
    assert merkle.verify_consistency(5, 7, published_root, bytes(second.root),
                                     selectors.decode_hashes(proof["hashes"]))
    assert verify_log().entries == 7
