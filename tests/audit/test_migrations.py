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
