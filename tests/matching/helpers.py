"""People to enroll for the matching tests: distinct by default, the canary's twin on request."""

from __future__ import annotations

from datetime import date

from cityid.enrollment.inputs import DocumentInput
from tests.conftest import make_input

PEOPLE = [
    ("Oluwaseun", "Adeyemi", date(1984, 2, 17), "19 Harbor Rd", "11201", "P1111111"),
    ("Mei", "Tanaka", date(1972, 9, 3), "500 Grand Concourse", "10451", "P2222222"),
    ("Ruslan", "Petrov", date(1999, 12, 30), "88 Bay Ridge Pkwy", "11209", "P3333333"),
    ("Fatima", "Zahra", date(1965, 6, 21), "7 Victory Blvd", "10301", "P4444444"),
    ("Joaquín", "Herrera", date(2001, 1, 8), "1200 Jerome Ave", "10452", "P5555555"),
]


def person(index: int, **overrides):
    given, family, born, line1, postcode, passport = PEOPLE[index]
    data = dict(
        given_name=given, family_name=family, date_of_birth=born,
        address={"kind": "residential", "line1": line1, "line2": "", "city": "New York", "postcode": postcode,
                 "borough": "", "care_of": ""},
        documents=[
            DocumentInput(type="foreign_passport", number=passport, issuer="X", expires=date(2031, 1, 1), scan=None),
            DocumentInput(type="utility_bill", number=f"BILL{index}", issuer="Con Edison", scan=None),
        ],
    )
    data.update(overrides)
    return make_input(**data)


def enroll(staff, data, today: date = date(2026, 11, 20)):
    from cityid.enrollment.services import enroll as do_enroll

    return do_enroll(data=data, enrolled_by=staff["clerk"], today=today)
