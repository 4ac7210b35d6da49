"""Every read of personal data names one of that applicant's own cases as its purpose, whoever calls it."""

from __future__ import annotations

from datetime import date

import pytest

from cityid.audit.models import AuditEntry
from cityid.enrollment.selectors import PurposeInvalid, read_applicant, read_photo, read_scan
from cityid.enrollment.services import enroll
from tests.conftest import make_input


def test_a_read_must_name_one_of_the_applicants_own_cases(staff):
    clerk = staff["clerk"]
    mine = enroll(data=make_input(), enrolled_by=clerk, today=date(2026, 11, 20))
    other = enroll(data=make_input(given_name="Otherperson", external_id="OTHER-1"), enrolled_by=clerk,
                   today=date(2026, 11, 20))
    before = AuditEntry.objects.filter(action__startswith="personal.read").count()

    for purpose in ("", "case", other.ref, "application:not-a-uuid", f"card:{mine.pk}"):
        with pytest.raises(PurposeInvalid):
            read_applicant(applicant=mine.applicant, actor=clerk, purpose=purpose)
        with pytest.raises(PurposeInvalid):
            read_photo(applicant=mine.applicant, actor=clerk, purpose=purpose)
        with pytest.raises(PurposeInvalid):
            read_scan(application=mine, position=0, actor=clerk, purpose=purpose)
    assert AuditEntry.objects.filter(action__startswith="personal.read").count() == before  # nothing was read

    assert read_applicant(applicant=mine.applicant, actor=clerk, purpose=mine.ref).profile["given_name"]
    assert AuditEntry.objects.filter(action="personal.read").latest("index").purpose == mine.ref
