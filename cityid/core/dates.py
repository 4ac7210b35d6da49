"""Calendar arithmetic every layer uses (pure: no Django)."""

from __future__ import annotations

from datetime import date

__all__ = ["add_years", "age_on"]


def add_years(d: date, years: int) -> date:
    """``d`` plus ``years`` calendar years; 29 February becomes 28 February in a common year."""
    try:
        return d.replace(year=d.year + years)
    except ValueError:  # 29 Feb -> common year
        return d.replace(year=d.year + years, day=28)


def age_on(date_of_birth: date, on: date) -> int:
    """Age in whole years on ``on``. A 29 February birthday is reached on 1 March in common years.

    Negative if ``date_of_birth`` is after ``on``.
    """
    age = on.year - date_of_birth.year
    if (on.month, on.day) < (date_of_birth.month, date_of_birth.day):
        age -= 1
    return age
