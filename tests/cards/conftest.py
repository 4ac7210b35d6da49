"""A card issued to the canary applicant: the supervisor approves the clerk's enrollment."""

from __future__ import annotations

import pytest

from tests.conftest import with_number


@pytest.fixture
def card(staff, enrolled):
    from cityid.enrollment.services import decide

    decide(application=enrolled, approve=True, decided_by=staff["supervisor"])
    return with_number(enrolled.card)
