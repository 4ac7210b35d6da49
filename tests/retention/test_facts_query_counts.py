"""Asking the registered subject-fact providers costs a fixed number of queries per batch: the same for a
small and a large cohort (no query per record), for due dates, hold scopes and the disposition preview."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cityid.retention import services as retention
from cityid.vault.models import RecordKey
from tests.retention.dataset import import_people, people

pytestmark = pytest.mark.django_db


def queries(action: Callable[[], object]) -> int:
    with CaptureQueriesContext(connection) as captured:
        action()
    return len(captured)


def counts(officer, counsel) -> dict[str, int]:
    keys = list(RecordKey.objects.order_by("pk"))
    holds = []
    out = {
        "refresh_due_dates": queries(lambda: retention.refresh_due_dates(keys)),
        "scope_submitted": queries(lambda: retention.scope_query("submitted:2015-01-01..2016-12-31").count()),
        "scope_subject": queries(lambda: retention.scope_query("subject:C-000").count()),
        "preview": queries(lambda: retention.preview(date(2060, 1, 1))),
        "place_hold": queries(lambda: holds.append(retention.place_hold(
            case_name="Count", court="Court", scope="submitted:2015-01-01..2016-12-31", placed_by=counsel))),
    }
    retention.release_hold(hold_id=holds[0].pk, released_by=counsel)
    return out


def test_fact_queries_do_not_grow_with_records(staff, tmp_path):
    officer, counsel = staff["records_officer"], staff["counsel"]
    retention.set_schedule(record_class="documents", trigger="card_expired", years=1, approved_by=officer)
    retention.set_schedule(record_class="application", trigger="decided", years=2, approved_by=officer)
    import_people(people(3, prefix="C"), tmp_path / "small", staff["supervisor"])
    counts(officer, counsel)  # the first hold creates the retention lock row
    small = counts(officer, counsel)
    import_people(people(21, prefix="D"), tmp_path / "large", staff["supervisor"])
    large = counts(officer, counsel)
    print("query counts small / large:", small, large)
    assert small == large
