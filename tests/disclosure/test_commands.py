"""``cityid foil``: due dates on the command line, the outbox, the queue."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import CommandError, call_command

from cityid.disclosure import deadlines, selectors


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("foil", *args, stdout=out)
    return out.getvalue()


def test_due_prints_json_with_the_two_due_dates(db):
    values = json.loads(run("due", "--received", "2026-11-25T16:30:00-05:00", "--json"))
    assert values["acknowledgment_due"] == "2026-12-03"
    expected = deadlines.deadlines(selectors.current_calendar(),
                                   deadlines.datetime.fromisoformat("2026-11-25T16:30:00-05:00"))
    assert values["determination_due"] == expected.determination_due.isoformat()
    after_hours = json.loads(run("due", "--received", "2026-11-25T17:30:00-05:00", "--json"))
    assert after_hours["received_on"] == "2026-11-27"
    text = run("due", "--received", "2026-07-03T09:00:00-04:00")
    assert "2026-07-06" in text and "acknowledgment due" in text


def test_due_refuses_a_malformed_time(db):
    with pytest.raises(CommandError, match="ISO 8601"):
        run("due", "--received", "next tuesday")


def test_list_needs_a_foil_officer(foil, staff):
    assert foil.public_id in run("list", "--actor", "foil_officer1")
    with pytest.raises(CommandError, match="permission denied"):
        run("list", "--actor", "clerk1")
    with pytest.raises(CommandError, match="unknown queue"):
        run("list", "--queue", "everything")
