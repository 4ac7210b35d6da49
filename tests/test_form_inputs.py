"""Generated input over the forms' date, number and id fields: out-of-range dates (12/31/9999, year 0), huge
numbers and malformed ids are answered with a form error (or ignored), never a server error."""

from __future__ import annotations

import uuid

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.audit.helpers import sign_in

FUZZ = settings(max_examples=40, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])

DATES = st.one_of(
    st.sampled_from(["12/31/9999", "9999-12-31", "0000-01-01", "0001-01-01", "1899-12-31", "2200-01-01",
                     "99999-01-01", "2024-02-30", "-1-01-01", "1e308", "", "  "]),
    st.dates().map(lambda d: d.isoformat()),
    st.from_regex(r"\A\d{1,2}/\d{1,2}/\d{1,6}\Z"),
    st.text(max_size=24),
)
NUMBERS = st.one_of(
    st.integers(min_value=-(10**40), max_value=10**40).map(str),
    st.sampled_from(["1e999", "NaN", "-0", "0x10", "١٢", "9" * 400]),
    st.text(max_size=12),
)
IDS = st.one_of(
    st.uuids().map(str),
    st.sampled_from(["../../etc/passwd", "00000000-0000-0000-0000-000000000000", "%00", "' OR 1=1 --",
                     "a" * 500, "applicant:" + "f" * 40]),
    st.text(max_size=80),
)


def _ok(response) -> None:
    assert response.status_code < 500, response.content[:2000]


def _enrollment(**extra) -> dict:
    data = {
        "application_type": "new", "given_name": "Fuzzname", "family_name": "Testperson",
        "date_of_birth": "1990-04-12", "address_kind": "residential",
        "line1": "1 Example Plaza", "city": "Queens", "postcode": "11373", "borough": "queens",
        "doc-TOTAL_FORMS": "2", "doc-INITIAL_FORMS": "0", "doc-MIN_NUM_FORMS": "0", "doc-MAX_NUM_FORMS": "8",
        "doc-0-type": "foreign_passport", "doc-0-number": "FUZZ1", "doc-0-expires": "2030-01-01",
        "doc-1-type": "utility_bill", "doc-1-number": "FUZZBILL",
    }
    data.update(extra)
    return {key: value.replace("\x00", "") if isinstance(value, str) else value for key, value in data.items()}


@pytest.fixture
def clerk(staff):
    return sign_in(staff["clerk"])


def _signed_in(staff, role: str):
    """One signed-in client per role and test: the staff dictionary lives as long as the test, its examples
    included (signing in again for each example would run into the sign-in lockout)."""
    clients = staff.setdefault("_clients", {})
    if role not in clients:
        clients[role] = sign_in(staff[role])
    return clients[role]


@FUZZ
@given(dob=DATES, expires=DATES, total=NUMBERS, staged=IDS, scan_staged=IDS, token=IDS, phone=st.text(max_size=40),
       postcode=st.text(max_size=12), doc_type=IDS)
def test_enrollment_form_never_fails_on_generated_input(clerk, dob, expires, total, staged, scan_staged, token,
                                                       phone, postcode, doc_type):
    _ok(clerk.post("/enrollment/new/", _enrollment(
        date_of_birth=dob, **{"doc-0-expires": expires, "doc-TOTAL_FORMS": total, "doc-1-type": doc_type,
                              "doc-0-scan_staged": scan_staged},
        photo_staged=staged, form_token=token, phone=phone, emergency_phone=phone, postcode=postcode)))
    _ok(clerk.post("/enrollment/new/points/", _enrollment(date_of_birth=dob, **{"doc-0-expires": expires,
                                                                               "doc-TOTAL_FORMS": total})))


@FUZZ
@given(dob=DATES, page=NUMBERS, public_id=IDS)
def test_clerk_search_and_pages_never_fail(clerk, dob, page, public_id):
    _ok(clerk.post("/enrollment/search/", {"given_name": "A", "family_name": "B", "date_of_birth": dob}))
    _ok(clerk.get("/enrollment/cases/", {"page": page}))
    _ok(clerk.post("/enrollment/new/uploads/", {"kind": public_id}))
    try:
        uuid.UUID(public_id)
    except ValueError:
        return
    _ok(clerk.get(f"/enrollment/applicants/{public_id}/", {"purpose": public_id}))


@FUZZ
@given(since=DATES, until=DATES, page=NUMBERS, target=IDS)
def test_audit_event_search_never_fails(staff, since, until, page, target):
    client = _signed_in(staff, "auditor")  # once per test: the fixture's value is the same for every example
    _ok(client.get("/audit/events/", {"since": since, "until": until, "page": page, "target": target}))


@FUZZ
@given(as_of=DATES, fixed=DATES, years=NUMBERS, order_date=DATES)
def test_retention_forms_never_fail(staff, as_of, fixed, years, order_date):
    officer = _signed_in(staff, "records_officer")
    _ok(officer.get("/retention/preview/", {"as_of": as_of}))
    _ok(officer.post("/retention/schedules/new/", {"record_class": "documents", "kind": "fixed",
                                                   "fixed_date": fixed, "years": years}))
    _ok(officer.post("/retention/schedules/new/", {"record_class": "documents", "kind": "trigger",
                                                   "trigger": "decision", "years": years}))
    counsel = _signed_in(staff, "counsel")
    _ok(counsel.post("/retention/holds/new/", {"case_name": "Fuzz v. City", "court": "Court",
                                               "order_date": order_date, "scope": "all"}))


def test_out_of_range_dates_are_field_errors():
    from cityid.ui.forms import BoundedDateField

    field = BoundedDateField(required=False)
    for text in ("9999-12-31", "0000-01-01", "1899-12-31", "2200-01-01"):
        with pytest.raises(Exception) as raised:
            field.clean(text)
        assert raised.type.__name__ == "ValidationError", text
    assert str(field.clean("2026-12-02")) == "2026-12-02"
