from __future__ import annotations

from datetime import date

import pytest

START, END = date(2026, 1, 1), date(2026, 6, 30)


@pytest.fixture
def population(db):
    """400 coarse applicants decided in the first half of 2026 (about 370 cards): the rows the statistics read,
    bulk-created as the bench does."""
    from cityid.bench.population import bulk_population

    return bulk_population(400, start=START, days=(END - START).days + 1, seed=7)


@pytest.fixture
def disclosures(staff, enrolled):
    """Law-enforcement requests in 2026Q4 (one produced as ordered on a court order, one subpoena refused) and
    one FOIL request received in the quarter."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from cityid.disclosure import law_enforcement_services as le
    from cityid.disclosure.services import FoilInput, submit_request

    counsel = staff["counsel"]
    today = date(2026, 11, 25)
    ordered = le.log_request(agency_type="federal_immigration", legal_process="court_order",
                             received_on=date(2026, 11, 24), agency="Agency", officer="Officer",
                             subjects=enrolled.applicant.ref, kinds=("record",), logged_by=staff["clerk"], today=today)
    le.change_request(request=ordered, change="review", by=counsel)
    le.change_request(request=ordered, change="produce", by=counsel, ordered_subjects=enrolled.applicant.ref,
                      ordered_kinds=["record"])
    le.produce_item(request=ordered, subject=enrolled.applicant.ref, kind="record", by=counsel)
    subpoena = le.log_request(agency_type="local_police", legal_process="administrative_subpoena",
                              received_on=date(2026, 10, 6), agency="Agency", officer="Officer",
                              subjects=enrolled.applicant.ref, logged_by=staff["clerk"], today=today)
    le.change_request(request=subpoena, change="review", by=counsel)
    le.change_request(request=subpoena, change="refuse", by=counsel)
    submit_request(data=FoilInput(name="A requester", description="Statistics of cards issued in 2026.",
                                  email="requester@example.invalid"),
                   received_at=datetime(2026, 10, 14, 10, 0, tzinfo=ZoneInfo("America/New_York")))
    return ordered, subpoena
