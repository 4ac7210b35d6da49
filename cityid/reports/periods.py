"""Reporting periods: calendar quarters (``2026Q4``) and months. Pure Python."""

from __future__ import annotations

import re
from calendar import monthrange
from datetime import date

from cityid.core.errors import CityidError

QUARTER = re.compile(r"^(\d{4})-?Q([1-4])$", re.IGNORECASE)


class PeriodInvalid(CityidError):
    """A period the reports cannot cover (codes and words: ``reports.messages``)."""


def parse_quarter(text: str) -> tuple[date, date]:
    """The first and last day of a quarter written ``2026Q4`` (or ``2026-Q4``); PeriodInvalid otherwise."""
    match = QUARTER.match((text or "").strip())
    if not match or not 1900 <= int(match.group(1)) <= 9999:
        raise PeriodInvalid("bad_quarter", value=(text or "")[:20])
    year, quarter = int(match.group(1)), int(match.group(2))
    first_month = 3 * (quarter - 1) + 1
    last_month = first_month + 2
    return date(year, first_month, 1), date(year, last_month, monthrange(year, last_month)[1])


def quarter_name(day: date) -> str:
    return f"{day.year}Q{(day.month - 1) // 3 + 1}"


def last_complete_quarter(today: date) -> str:
    """The most recent quarter that ended before ``today``."""
    start, _end = parse_quarter(quarter_name(today))
    previous = date.fromordinal(start.toordinal() - 1)
    return quarter_name(previous)


def end_of_last_month(today: date) -> date:
    return date.fromordinal(today.replace(day=1).toordinal() - 1)
