"""FOIL fixtures: a request received at a fixed moment, and signed-in clients."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.core.cache import cache

NY = ZoneInfo("America/New_York")
CANARY = {
    "name": "Zebulon Canary-Foilrequester",
    "email": "zebulon.canary@requester.example.invalid",
    "phone": "+1 212 555 0199",
    "address": "77 Canary Lane, Apt 9Q, Brooklyn NY 11201",
    "description": "All records about the Canary Lane shelter intake log for October 2026.",
}


@pytest.fixture(autouse=True)
def fresh_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def received_at() -> datetime:
    return datetime(2026, 9, 14, 10, 0, tzinfo=NY)


@pytest.fixture
def submitted(db, received_at, django_capture_on_commit_callbacks):
    from cityid.disclosure.services import FoilInput, submit_request

    with django_capture_on_commit_callbacks(execute=True):
        return submit_request(data=FoilInput(**CANARY), received_at=received_at)


@pytest.fixture
def foil(submitted):
    return submitted.request

# --- law-enforcement requests ---
TODAY = date(2026, 11, 25)
#: Values that must never reach an audit leaf, a list page or a count: the sealed details.
CANARIES = ("Canaryofficer", "Canary Precinct", "CANARY-IDX-77", "canary search text", "Canarynote")


@pytest.fixture
def counsel2(staff):
    from cityid.accounts.services import create_staff
    from tests.conftest import complete_enrolment

    return complete_enrolment(create_staff(username="counsel2", role="counsel", email="counsel2@staff.example.invalid"))


@pytest.fixture
def log(staff, enrolled):
    """``log(by=..., process=..., subjects=...)``: a request logged as presented, naming the enrolled applicant."""
    from cityid.disclosure import law_enforcement_services as services

    def make(*, by=None, process="court_order", subjects=None, kinds=("record", "photo"), **extra):
        return services.log_request(
            agency_type=extra.pop("agency_type", "federal_immigration"), legal_process=process,
            received_on=extra.pop("received_on", date(2026, 11, 24)), agency="Canary Precinct",
            officer="Det. Canaryofficer #123", reference="CANARY-IDX-77", search="canary search text",
            notes="Canarynote", subjects=enrolled.applicant.ref if subjects is None else subjects, kinds=kinds,
            logged_by=staff["clerk"] if by is None else by, today=TODAY, **extra)

    return make
