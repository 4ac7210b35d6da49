"""FOIL fixtures: a request received at a fixed moment, and signed-in clients."""

from __future__ import annotations

from datetime import datetime
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
