"""The data migration that seals legal holds' details stored in clear (retention 0003)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from cityid.retention.models import LegalHold
from cityid.retention.sealing import open_details

pytestmark = pytest.mark.django_db(transaction=True)


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def test_clear_hold_details_are_sealed(staff):
    apps = _migrate([("retention", "0002_dispositionrequest")])
    OldHold = apps.get_model("retention", "LegalHold")
    for n in range(3):
        OldHold.objects.create(case_name=f"Canarycase {n} v. City", court="Supreme Court", index_number=f"IDX-{n}",
                               scope="subject:0d7c1f58-8f5e-4c2e-9d5b-1f1f1f1f1f1f, class:photo",
                               notes=f"Canarynote {n}")
    _migrate([("retention", "0003_seal_hold_details")])

    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM retention_legalhold")
        stored = repr(cursor.fetchall())
    assert "Canary" not in stored and "IDX-" not in stored and "0d7c1f58" not in stored
    holds = list(LegalHold.objects.order_by("pk"))
    open_details(holds)
    assert [(h.case_name, h.index_number, h.notes) for h in holds] == [
        (f"Canarycase {n} v. City", f"IDX-{n}", f"Canarynote {n}") for n in range(3)]
    assert {h.scope_outline for h in holds} == {"subject:…, class:photo"}
