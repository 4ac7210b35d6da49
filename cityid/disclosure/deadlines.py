"""FOIL deadlines in business days (NY Public Officers Law §89(3), §89(4)(a)). Pure Python: no Django.

- A request received after the cut-off (5 pm local), on a weekend or on a holiday counts as received on the
  next business day.
- Acknowledgment is due 5 business days after receipt.
- The determination is due 20 business days after the acknowledgment, or after the acknowledgment's due date
  while the request is not acknowledged yet.
- An extension needs a date certain (a business day after today) and a reason.
- A denial may be appealed within 30 calendar days; the appeal is determined within 10 business days of its
  receipt (counted like a request's).

The holidays are ``holidays.US(subdiv="NY")`` by default (federal holidays plus New York's, with their
observed days); a city names another country/subdivision and adds its own closing days.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import holidays

from cityid.core.errors import CityidError

ACKNOWLEDGMENT_DAYS = 5
DETERMINATION_DAYS = 20
APPEAL_WINDOW_CALENDAR_DAYS = 30
APPEAL_DETERMINATION_DAYS = 10


class DeadlineError(CityidError):
    """A date or an extension the rules refuse (words: ``disclosure.messages``)."""


@dataclass(frozen=True)
class BusinessCalendar:
    """Business days: Monday to Friday, less the holidays of ``country``/``subdiv`` and ``extra_closed`` days."""

    country: str = "US"
    subdiv: str | None = "NY"
    time_zone: str = "America/New_York"
    cutoff: time = time(17, 0)
    extra_closed: frozenset[date] = field(default_factory=frozenset)

    def __post_init__(self) -> None:
        # Built once per calendar; the holiday table fills in years lazily as dates are asked about.
        object.__setattr__(self, "_holidays", holidays.country_holidays(self.country, subdiv=self.subdiv))

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)

    def holiday_name(self, day: date) -> str | None:
        if day in self.extra_closed:
            return "closed"
        return self._holidays.get(day)  # type: ignore[attr-defined]

    def is_business_day(self, day: date) -> bool:
        return day.weekday() < 5 and day not in self.extra_closed and day not in self._holidays  # type: ignore[attr-defined]

    def next_business_day(self, day: date) -> date:
        """The first business day strictly after ``day``."""
        day += timedelta(days=1)
        while not self.is_business_day(day):
            day += timedelta(days=1)
        return day

    def on_or_after(self, day: date) -> date:
        return day if self.is_business_day(day) else self.next_business_day(day)

    def add_business_days(self, day: date, count: int) -> date:
        """``count`` business days after ``day`` (``day`` itself not counted)."""
        if count < 0:
            raise ValueError("count must not be negative")
        for _ in range(count):
            day = self.next_business_day(day)
        return day

    def business_days_between(self, start: date, end: date) -> int:
        """How many business days after ``start`` up to and including ``end`` (negative if ``end`` is earlier)."""
        if end < start:
            return -self.business_days_between(end, start)
        count, day = 0, start
        while day < end:
            day += timedelta(days=1)
            if self.is_business_day(day):
                count += 1
        return count

    def received_on(self, moment: datetime) -> date:
        """The business day a request arriving at ``moment`` (timezone-aware) counts as received."""
        if moment.tzinfo is None:
            raise DeadlineError("naive_time")
        local = moment.astimezone(self.zone)
        day = local.date()
        if not self.is_business_day(day) or local.time() >= self.cutoff:
            return self.next_business_day(day)
        return day

    def local_date(self, moment: datetime) -> date:
        if moment.tzinfo is None:
            raise DeadlineError("naive_time")
        return moment.astimezone(self.zone).date()


def calendar(*, country: str = "US", subdiv: str | None = "NY", time_zone: str = "America/New_York",
             cutoff: str | time = "17:00", extra_closed: Iterable[date | str] = ()) -> BusinessCalendar:
    """A calendar from configuration values (``cutoff`` as ``HH:MM``, extra days as ISO dates)."""
    if isinstance(cutoff, str):
        cutoff = time.fromisoformat(cutoff)
    days = frozenset(d if isinstance(d, date) else date.fromisoformat(d) for d in extra_closed)
    return BusinessCalendar(country=country, subdiv=subdiv or None, time_zone=time_zone, cutoff=cutoff,
                            extra_closed=days)


@dataclass(frozen=True)
class Deadlines:
    received_on: date
    acknowledgment_due: date
    determination_due: date


def acknowledgment_due(cal: BusinessCalendar, received_on: date) -> date:
    return cal.add_business_days(received_on, ACKNOWLEDGMENT_DAYS)


def determination_due(cal: BusinessCalendar, *, acknowledgment_due: date, acknowledged_on: date | None = None) -> date:
    """20 business days after the acknowledgment, or after its due date while there is none."""
    base = acknowledged_on if acknowledged_on is not None else acknowledgment_due
    return cal.add_business_days(cal.on_or_after(base), DETERMINATION_DAYS)


def deadlines(cal: BusinessCalendar, received: datetime) -> Deadlines:
    """The receipt day and both due dates of a request arriving at ``received``."""
    day = cal.received_on(received)
    ack = acknowledgment_due(cal, day)
    return Deadlines(day, ack, determination_due(cal, acknowledgment_due=ack))


def check_extension(cal: BusinessCalendar, *, date_certain: date | None, reason: str, today: date) -> date:
    """The date certain of an extension, refused without a reason or unless it is a business day after today."""
    if date_certain is None:
        raise DeadlineError("date_certain_missing")
    if not reason.strip():
        raise DeadlineError("reason_missing")
    if date_certain <= today:
        raise DeadlineError("date_in_past", day=date_certain.isoformat())
    if not cal.is_business_day(date_certain):
        raise DeadlineError("not_business_day", day=date_certain.isoformat())
    return date_certain


def appeal_deadline(denied_on: date) -> date:
    """The last calendar day on which a denial may be appealed."""
    return denied_on + timedelta(days=APPEAL_WINDOW_CALENDAR_DAYS)


def check_appeal(*, denied_on: date, filed_on: date) -> None:
    if filed_on > appeal_deadline(denied_on):
        raise DeadlineError("appeal_late", deadline=appeal_deadline(denied_on).isoformat())
    if filed_on < denied_on:
        raise DeadlineError("appeal_early")


def appeal_determination_due(cal: BusinessCalendar, appeal_received: datetime) -> date:
    return cal.add_business_days(cal.received_on(appeal_received), APPEAL_DETERMINATION_DAYS)
