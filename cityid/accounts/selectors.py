"""Reads of the accounts context that other apps may use."""

from __future__ import annotations

from datetime import date, timedelta

from django.contrib.auth import get_user_model
from django.db.models import Sum
from django.utils import timezone


def is_staff_username(username: str) -> bool:
    """Whether a sign-in names an existing staff account (active or not), as authentication matches it."""
    return bool(username) and get_user_model().objects.filter(username=username).exists()


def unknown_sign_in_failures(*, today: date | None = None, days: int = 30) -> dict[str, int]:
    """Failed sign-ins naming no staff account: ``{"today": N, "period": M, "days": days}``."""
    from cityid.accounts.models import UnknownSignInFailures

    today = today or timezone.localdate()
    rows = UnknownSignInFailures.objects.filter(day__gt=today - timedelta(days=days), day__lte=today)
    return {
        "today": rows.filter(day=today).aggregate(n=Sum("count"))["n"] or 0,
        "period": rows.aggregate(n=Sum("count"))["n"] or 0,
        "days": days,
    }
