"""FOIL deadlines on the New York business calendar (pure: no database)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cityid.disclosure import deadlines as dl
from cityid.disclosure.deadlines import DeadlineError

NY = ZoneInfo("America/New_York")
CAL = dl.calendar()


def at(day: str, clock: str = "10:00") -> datetime:
    return datetime.combine(date.fromisoformat(day), time.fromisoformat(clock), tzinfo=NY)


def due(day: str, clock: str = "10:00") -> tuple[str, str, str]:
    found = dl.deadlines(CAL, at(day, clock))
    return found.received_on.isoformat(), found.acknowledgment_due.isoformat(), found.determination_due.isoformat()


def test_the_new_york_holidays_are_closed_days() -> None:
    for day in ("2026-11-26",  # Thanksgiving
                "2026-12-25",  # Christmas (a Friday)
                "2027-01-01",  # New Year's Day (a Friday)
                "2027-01-18",  # Martin Luther King Jr. Day
                "2026-06-19",  # Juneteenth (a Friday)
                "2026-07-03"):  # Independence Day falls on a Saturday in 2026: observed on Friday 3 July
        assert not CAL.is_business_day(date.fromisoformat(day)), day
    assert CAL.is_business_day(date(2026, 7, 2))
    assert not CAL.is_business_day(date(2026, 7, 4))  # the Saturday itself is a weekend day anyway


def test_a_plain_week_counts_five_then_twenty_business_days() -> None:
    # Monday 14 September 2026; Columbus Day (Monday 12 October) is skipped in the twenty.
    assert due("2026-09-14") == ("2026-09-14", "2026-09-21", "2026-10-20")


def test_a_weekend_request_counts_from_monday() -> None:
    assert due("2026-09-12") == ("2026-09-14", "2026-09-21", "2026-10-20")  # Saturday
    assert due("2026-09-13", "23:59") == ("2026-09-14", "2026-09-21", "2026-10-20")  # Sunday night


def test_after_five_pm_counts_as_the_next_business_day() -> None:
    assert due("2026-09-15", "16:59")[0] == "2026-09-15"
    assert due("2026-09-15", "17:00")[0] == "2026-09-16"
    assert due("2026-09-18", "17:30")[0] == "2026-09-21"  # a Friday evening: Monday
    # The cut-off is local time: 21:30 UTC is 17:30 in New York in September.
    assert CAL.received_on(datetime(2026, 9, 15, 21, 30, tzinfo=UTC)) == date(2026, 9, 16)
    assert CAL.received_on(datetime(2026, 9, 15, 20, 30, tzinfo=UTC)) == date(2026, 9, 15)


def test_thanksgiving() -> None:
    # Wednesday 25 November 2026; Thursday 26 is Thanksgiving.
    assert due("2026-11-25")[:2] == ("2026-11-25", "2026-12-03")
    assert due("2026-11-26")[0] == "2026-11-27"  # received on Thanksgiving: counts from Friday


def test_christmas_and_new_years_day() -> None:
    # Thursday 24 December 2026: Christmas (Fri 25) and New Year's Day (Fri 1 January 2027) are skipped.
    assert due("2026-12-24")[:2] == ("2026-12-24", "2027-01-04")
    assert due("2026-12-25")[0] == "2026-12-28"


def test_martin_luther_king_day() -> None:
    assert due("2027-01-15")[:2] == ("2027-01-15", "2027-01-25")  # Monday 18 January 2027 skipped
    assert due("2027-01-15", "17:05")[0] == "2027-01-19"  # Friday evening before the long weekend: Tuesday


def test_juneteenth() -> None:
    assert due("2026-06-18")[:2] == ("2026-06-18", "2026-06-26")
    assert due("2026-06-19")[0] == "2026-06-22"


def test_independence_day_observed_on_a_friday() -> None:
    assert due("2026-07-02")[:2] == ("2026-07-02", "2026-07-10")
    assert due("2026-07-03")[0] == "2026-07-06"  # observed holiday: Monday


def test_the_determination_counts_from_the_acknowledgment_when_there_is_one() -> None:
    received = dl.deadlines(CAL, at("2026-09-14"))
    early = dl.determination_due(CAL, acknowledgment_due=received.acknowledgment_due, acknowledged_on=date(2026, 9, 15))
    assert early == CAL.add_business_days(date(2026, 9, 15), 20)
    assert early < received.determination_due
    # An acknowledgment made on a Saturday counts from Monday.
    weekend = dl.determination_due(
        CAL, acknowledgment_due=received.acknowledgment_due, acknowledged_on=date(2026, 9, 19)
    )
    assert weekend == CAL.add_business_days(date(2026, 9, 21), 20)


def test_a_city_calendar_adds_its_own_closed_days_and_cut_off() -> None:
    city = dl.calendar(extra_closed=["2026-09-16"], cutoff="16:00")
    assert dl.deadlines(city, at("2026-09-15", "16:30")).received_on == date(2026, 9, 17)
    assert dl.deadlines(city, at("2026-09-14")).acknowledgment_due == date(2026, 9, 22)
    other = dl.calendar(country="US", subdiv="CA", time_zone="America/Los_Angeles")
    assert not other.is_business_day(date(2026, 3, 31))  # César Chávez Day in California
    assert CAL.is_business_day(date(2026, 3, 31))


def test_extensions_need_a_date_certain_in_the_future_on_a_business_day_and_a_reason() -> None:
    today = date(2026, 9, 15)
    assert dl.check_extension(CAL, date_certain=date(2026, 11, 2), reason="volume", today=today) == date(2026, 11, 2)
    with pytest.raises(DeadlineError) as missing:
        dl.check_extension(CAL, date_certain=None, reason="volume", today=today)
    assert missing.value.code == "date_certain_missing"
    with pytest.raises(DeadlineError) as no_reason:
        dl.check_extension(CAL, date_certain=date(2026, 11, 2), reason=" ", today=today)
    assert no_reason.value.code == "reason_missing"
    with pytest.raises(DeadlineError) as past:
        dl.check_extension(CAL, date_certain=date(2026, 9, 1), reason="volume", today=today)
    assert past.value.code == "date_in_past"
    with pytest.raises(DeadlineError) as holiday:
        dl.check_extension(CAL, date_certain=date(2026, 11, 26), reason="volume", today=today)
    assert holiday.value.code == "not_business_day"


def test_appeals_within_thirty_calendar_days_determined_in_ten_business_days() -> None:
    denied = date(2026, 11, 2)
    assert dl.appeal_deadline(denied) == date(2026, 12, 2)
    dl.check_appeal(denied_on=denied, filed_on=date(2026, 12, 2))
    with pytest.raises(DeadlineError) as late:
        dl.check_appeal(denied_on=denied, filed_on=date(2026, 12, 3))
    assert late.value.code == "appeal_late"
    # Filed Friday 20 November 2026: ten business days skip Thanksgiving.
    assert dl.appeal_determination_due(CAL, at("2026-11-20")) == date(2026, 12, 7)


def test_a_time_without_an_offset_is_refused() -> None:
    with pytest.raises(DeadlineError) as naive:
        CAL.received_on(datetime(2026, 9, 15, 10, 0))
    assert naive.value.code == "naive_time"


moments = st.datetimes(min_value=datetime(2024, 1, 1), max_value=datetime(2030, 12, 31), timezones=st.just(UTC))


@settings(max_examples=200, deadline=None)
@given(moments)
def test_receipt_and_due_dates_are_business_days_at_the_right_distance(moment: datetime) -> None:
    found = dl.deadlines(CAL, moment)
    local = moment.astimezone(NY)
    assert CAL.is_business_day(found.received_on)
    assert found.received_on >= local.date()
    assert found.received_on - local.date() <= timedelta(days=6)
    if CAL.is_business_day(local.date()) and local.time() < time(17, 0):
        assert found.received_on == local.date()
    assert CAL.is_business_day(found.acknowledgment_due) and CAL.is_business_day(found.determination_due)
    assert CAL.business_days_between(found.received_on, found.acknowledgment_due) == 5
    assert CAL.business_days_between(found.acknowledgment_due, found.determination_due) == 20


@settings(max_examples=100, deadline=None)
@given(moments, st.integers(min_value=1, max_value=10 * 24 * 60))
def test_a_later_request_is_never_due_earlier(moment: datetime, minutes: int) -> None:
    later = moment + timedelta(minutes=minutes)
    assert dl.deadlines(CAL, later).acknowledgment_due >= dl.deadlines(CAL, moment).acknowledgment_due
