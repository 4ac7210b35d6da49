from __future__ import annotations

from datetime import date

import pytest

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
