"""Per-person read-rate limits: counted cheaply per hour and per day, an alert at the threshold for supervisors
and auditors, and reads refused beyond the hard limit."""

from __future__ import annotations

from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cityid.accounts.policy import ROLES
from cityid.audit.models import AuditEntry
from cityid.enrollment.models import ReadCounter, ReadRateAlert
from cityid.enrollment.selectors import PurposeInvalid, read_applicant, read_photo
from cityid.enrollment.services import enroll
from tests.audit.helpers import sign_in
from tests.conftest import make_input

TODAY = date(2026, 11, 20)


@pytest.fixture
def thresholds(settings):
    settings.CITYID_READ_ALERT_PER_HOUR, settings.CITYID_READ_LIMIT_PER_HOUR = 3, 5
    settings.CITYID_READ_ALERT_PER_DAY, settings.CITYID_READ_LIMIT_PER_DAY = 4, 0  # 0: no daily hard limit


def test_an_alert_is_recorded_once_at_the_threshold_and_reads_stop_beyond_the_limit(staff, thresholds):
    clerk = staff["clerk"]
    application = enroll(data=make_input(), enrolled_by=clerk, today=TODAY)

    def read():
        return read_applicant(applicant=application.applicant, actor=clerk, purpose=application.ref)

    read()
    read()
    assert not ReadRateAlert.objects.exists()
    read()  # the third read this hour: the hourly threshold
    alert = ReadRateAlert.objects.get()
    assert (alert.staff, alert.window, alert.count, alert.threshold) == (clerk, "hour", 3, 3)
    event = AuditEntry.objects.get(action="access.read_alert")
    assert (event.target, event.purpose) == (f"staff:{clerk.pk}", "hour:3")
    read_photo(applicant=application.applicant, actor=clerk, purpose=application.ref)  # a photo counts too
    assert set(ReadRateAlert.objects.values_list("window", flat=True)) == {"hour", "day"}
    read()  # the fifth: still within the hard limit
    assert ReadRateAlert.objects.count() == 2  # one alert per window, not one per read

    with pytest.raises(PurposeInvalid) as refused:
        read()  # the sixth read this hour is refused, and the refusal is on record
    assert refused.value.code == "rate_limit"
    denied = AuditEntry.objects.filter(action="access.denied").latest("index")
    assert (denied.target, denied.purpose) == (application.applicant.ref, "read_limit:hour")
    assert AuditEntry.objects.filter(action="personal.read", actor=f"staff:{clerk.pk}").count() == 4

    other = staff["supervisor"]  # limits are per person
    assert read_applicant(applicant=application.applicant, actor=other, purpose=application.ref).profile


def test_counting_a_read_never_scans_the_audit_log(staff, thresholds):
    from cityid.audit.models import AuditEntry as Entry
    from cityid.enrollment.services import count_personal_read

    clerk = staff["clerk"]
    table = Entry._meta.db_table
    for _ in range(6):
        with CaptureQueriesContext(connection) as queries:
            try:
                count_personal_read(actor=clerk)
            except Exception:  # noqa: BLE001 - beyond the limit; what matters is the queries
                pass
        reads_of_the_log = [q["sql"] for q in queries if table in q["sql"] and not q["sql"].lstrip().startswith(
            ("INSERT", "UPDATE"))]
        assert reads_of_the_log == []
        assert len(queries) <= 16
    assert ReadCounter.objects.filter(staff=clerk).count() == 2  # one row per window, updated in place


def test_refused_reads_are_not_counted_and_the_operator_is_never_counted(staff, thresholds):
    clerk = staff["clerk"]
    stranger_case = enroll(data=make_input(), enrolled_by=staff["supervisor"], today=TODAY)
    from cityid.enrollment.services import assign_case

    assign_case(application=stranger_case, by=staff["supervisor"], site="elsewhere")
    for _ in range(10):
        with pytest.raises(PurposeInvalid):
            read_applicant(applicant=stranger_case.applicant, actor=clerk, purpose=stranger_case.ref)
        read_applicant(applicant=stranger_case.applicant, actor=None, purpose=stranger_case.ref)
    assert not ReadCounter.objects.exists() and not ReadRateAlert.objects.exists()


READERS = {"supervisor", "auditor"}


@pytest.mark.parametrize("role", sorted(ROLES))
def test_the_alert_page_is_for_supervisors_and_auditors_only_and_audited(staff, thresholds, role):
    clerk = staff["clerk"]
    application = enroll(data=make_input(), enrolled_by=clerk, today=TODAY)
    for _ in range(3):
        read_applicant(applicant=application.applicant, actor=clerk, purpose=application.ref)
    response = sign_in(staff[role]).get("/enrollment/read-alerts/")
    if role in READERS:
        html = response.content.decode()
        assert response.status_code == 200 and 'id="read-alerts"' in html
        assert f"staff:{clerk.pk}" in html and "Canaryname" not in html
        viewed = AuditEntry.objects.get(action="access.read_alerts")
        assert (viewed.actor, viewed.purpose) == (f"staff:{staff[role].pk}", "page:1")
    else:
        assert response.status_code == 403
        assert not AuditEntry.objects.filter(action="access.read_alerts").exists()


def test_the_alert_page_is_paginated_and_survives_a_bad_page_number(staff):
    from django.utils import timezone

    now = timezone.now()
    ReadRateAlert.objects.bulk_create(
        ReadRateAlert(staff=staff["clerk"], window="hour", starts_at=now.replace(year=2020 + i % 5, day=1 + i // 5),
                      count=200, threshold=100)
        for i in range(30)
    )
    client = sign_in(staff["auditor"])
    for page in ("1", "2", "999", "abc", "-1"):
        response = client.get("/enrollment/read-alerts/", {"page": page})
        assert response.status_code == 200
    assert client.get("/enrollment/read-alerts/", {"page": "2"}).content.decode().count("(staff:") == 5


def test_card_notes_count_toward_the_limit_and_are_withheld_beyond_it(staff, settings):
    from cityid.cards.selectors import NoteState, read_history
    from cityid.cards.services import change_status
    from cityid.enrollment.services import decide

    settings.CITYID_READ_LIMIT_PER_HOUR, settings.CITYID_READ_ALERT_PER_HOUR = 2, 0
    supervisor = staff["supervisor"]
    application = decide(application=enroll(data=make_input(), enrolled_by=staff["clerk"], today=TODAY),
                         approve=True, decided_by=supervisor)
    card = application.card
    change_status(card, "suspend", reason="lost", changed_by=supervisor, note="Canaryname called")
    assert read_history(card, actor=supervisor)[0].note_state == NoteState.SHOWN
    assert read_history(card, actor=supervisor)[0].note_state == NoteState.SHOWN
    assert read_history(card, actor=supervisor)[0].note_state == NoteState.WITHHELD
    assert AuditEntry.objects.filter(action="access.denied", purpose="read_limit:hour").count() == 1


def test_searches_count_toward_the_limit_and_are_refused_beyond_it(staff, settings):
    """A name and birth-date search tells whether someone is in the program (and their birth year): a clerk
    could test a neighbour's name after name. Each search counts as a read; beyond the limit it is refused."""
    settings.CITYID_READ_LIMIT_PER_HOUR, settings.CITYID_READ_ALERT_PER_HOUR = 2, 0
    enroll(data=make_input(), enrolled_by=staff["clerk"], today=TODAY)
    client = sign_in(staff["clerk"])
    guesses = [{"query": "Canaryname Testperson", "date_of_birth": dob}
               for dob in ("1990-01-01", "1991-02-02", "1992-03-03")]
    assert [client.post("/enrollment/search/", guess).status_code for guess in guesses] == [200, 200, 403]
    assert ReadCounter.objects.get(staff=staff["clerk"], window="hour").count == 3
    assert AuditEntry.objects.filter(action="personal.search").count() == 2
    denied = AuditEntry.objects.filter(action="access.denied").latest("index")
    assert (denied.target, denied.purpose) == ("search", "read_limit:hour")
