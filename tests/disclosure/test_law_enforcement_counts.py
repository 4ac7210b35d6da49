"""The counts the transparency report publishes: by agency type, legal process and outcome; aggregates only."""

from __future__ import annotations

import json
from datetime import date

import pytest
from django.core.management import call_command

from cityid.disclosure import law_enforcement as rules
from cityid.disclosure import law_enforcement_services as services
from cityid.disclosure.selectors import law_enforcement_counts
from tests.disclosure.conftest import CANARIES

pytestmark = pytest.mark.django_db


def test_counts_by_agency_type_process_and_outcome(staff, enrolled, log, capsys) -> None:
    counsel = staff["counsel"]
    refused = log(process="administrative_subpoena", agency_type="federal_immigration")
    services.change_request(request=refused, change="refuse", by=counsel)
    challenged = log(process="judicial_subpoena", agency_type="prosecutor")
    services.change_request(request=challenged, change="challenge", by=counsel)
    produced = log(process="court_order", agency_type="local_police", kinds=("record",))
    services.change_request(request=produced, change="review", by=counsel)
    services.change_request(request=produced, change="produce", by=counsel, ordered_subjects=enrolled.applicant.ref)
    services.produce_item(request=produced, subject=enrolled.applicant.ref, kind="record", by=counsel)
    log(process="judicial_warrant", agency_type="local_police")  # pending
    log(process="court_order", agency_type="court", received_on=date(2026, 9, 30))  # before the quarter

    counts = law_enforcement_counts(start=date(2026, 10, 1), end=date(2026, 12, 31))
    assert counts["total"] == 4
    assert counts["by_agency_type"] == {**dict.fromkeys(rules.AGENCY_TYPES, 0), "federal_immigration": 1,
                                        "prosecutor": 1, "local_police": 2}
    assert counts["by_legal_process"] == {"administrative_subpoena": 1, "judicial_subpoena": 1,
                                          "judicial_warrant": 1, "court_order": 1}
    assert counts["by_outcome"] == {"pending": 1, "refused": 1, "challenged": 1, "produced": 1, "withdrawn": 0}
    assert counts["by_process_and_outcome"]["court_order"]["produced"] == 1
    assert counts["by_process_and_outcome"]["administrative_subpoena"]["refused"] == 1
    assert counts["by_agency_type_and_outcome"]["local_police"] == {**dict.fromkeys(rules.OUTCOMES, 0),
                                                                    "pending": 1, "produced": 1}
    assert counts["items_produced"] == 1 and counts["notices_given"] == 0
    assert law_enforcement_counts(start=date(2026, 9, 1), end=date(2026, 9, 30))["total"] == 1
    # Aggregates only: no request id, no subject, nothing that was sealed.
    text = json.dumps(counts)
    assert "le_request" not in text and "applicant:" not in text and not any(c in text for c in CANARIES)

    call_command("law_enforcement", "counts", "--from", "2026-10-01", "--to", "2026-12-31", "--json")
    assert json.loads(capsys.readouterr().out) == counts


def test_the_command_lists_without_sealed_details(staff, log, capsys) -> None:
    request = log()
    call_command("law_enforcement", "list", "--actor", "counsel1")
    out = capsys.readouterr().out
    assert request.number in out and not any(canary in out for canary in CANARIES)
    with pytest.raises(Exception) as refused:
        call_command("law_enforcement", "list", "--actor", "auditor1")
    assert "permission denied" in str(refused.value)
    with pytest.raises(Exception) as bad:
        call_command("law_enforcement", "counts", "--from", "2026-13-01", "--to", "2026-12-31")
    assert "not a date" in str(bad.value)
