"""A name and birth-date search is accountable: the log says whose records it revealed, by pseudonymous id."""

from __future__ import annotations

from datetime import date

from cityid.audit import selectors as audit_selectors
from cityid.audit.models import AuditEntry
from cityid.enrollment.selectors import search_applicants
from cityid.enrollment.services import enroll
from tests.conftest import make_input


def _searches():
    return list(AuditEntry.objects.filter(action="personal.search").order_by("index")
                .values_list("actor", "target", "purpose"))


def test_each_applicant_a_search_finds_is_logged_by_id(staff):
    clerk = staff["clerk"]
    twins = [enroll(data=make_input(external_id=f"TWIN-{i}"), enrolled_by=clerk, today=date(2026, 11, 20))
             for i in range(2)]
    other = enroll(data=make_input(given_name="Otherperson"), enrolled_by=clerk, today=date(2026, 11, 20))

    found = search_applicants(actor=clerk, given_name="canaryname", family_name="TESTPERSON",
                              date_of_birth=date(1990, 4, 12))

    assert found == [application.applicant for application in twins]
    refs = [application.applicant.ref for application in twins]
    assert _searches() == [(f"staff:{clerk.pk}", ref, "search:name_dob") for ref in refs]
    # An auditor asking who looked at one of them finds the search; the other person was not revealed.
    assert [e.action for e in audit_selectors.search_events(target=refs[1])] == ["personal.search"]
    assert not audit_selectors.search_events(target=other.applicant.ref, action="personal.search").exists()


def test_a_search_that_finds_nobody_is_logged_once(staff):
    assert search_applicants(actor=staff["supervisor"], given_name="Nobody", family_name="Here",
                             date_of_birth=date(1980, 1, 1)) == []
    assert _searches() == [(f"staff:{staff['supervisor'].pk}", "results:0", "search:name_dob")]
