"""Out-of-range dates in the date filters are form errors, never a 500."""

from __future__ import annotations

import pytest

from tests.audit.helpers import sign_in


@pytest.mark.parametrize("field", ["since", "until"])
@pytest.mark.parametrize("value", ["9999-12-31", "0001-01-01", "1899-12-31", "2200-01-01"])
def test_an_out_of_range_audit_date_is_a_form_error(staff, field, value):
    response = sign_in(staff["auditor"]).get("/audit/events/", {field: value})
    assert response.status_code == 200
    assert response.context["form"].errors[field] == ["Enter a date between the years 1900 and 2199."]


def test_the_last_day_is_still_searchable_in_the_selector(db):
    from datetime import date

    from cityid.audit.selectors import search_events

    assert list(search_events(until=date.max)) == list(search_events())


@pytest.mark.parametrize("value", ["9999-12-31", "0001-01-01"])
def test_an_out_of_range_disposition_date_is_a_form_error(staff, value):
    response = sign_in(staff["records_officer"]).get("/retention/preview/", {"as_of": value})
    assert response.status_code == 200
    assert response.context["form"].errors["as_of"] == ["Enter a date between the years 1900 and 2199."]
