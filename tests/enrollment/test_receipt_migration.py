"""Applications that existed before receipt references get one each from the migration."""

from __future__ import annotations

import re
from datetime import date

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from cityid.enrollment.models import Application
from cityid.enrollment.services import enroll
from tests.conftest import make_input


@pytest.mark.django_db(transaction=True)
def test_the_migration_gives_every_existing_application_a_distinct_receipt(staff):
    for n in range(3):
        enroll(data=make_input(external_id=f"MIG-{n}"), enrolled_by=staff["clerk"], today=date(2026, 11, 20))
    executor = MigrationExecutor(connection)
    latest = executor.loader.graph.leaf_nodes()
    executor.migrate([("enrollment", "0001_initial")])  # back to before receipts: the column is dropped
    executor = MigrationExecutor(connection)
    executor.migrate(latest)
    receipts = list(Application.objects.values_list("receipt", flat=True))
    assert len(receipts) == len(set(receipts)) == 3
    assert all(re.fullmatch(r"[0-9A-HJKMNP-TV-Z]{5}-[0-9A-HJKMNP-TV-Z]{5}", r) for r in receipts)
