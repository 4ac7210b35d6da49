"""The one label catalogue: every stored code shown to a person is looked up here.

Each app registers the kinds of codes it owns (``register("role", {...})``) in its ``ready()``; a template
shows a code with ``{{ value|label:"role" }}`` (a list or a comma-separated string with ``labels``). A code
nobody registered is shown as stored, and the check in ``tests/ui/test_labels_pages.py`` fails on it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime
from typing import Any

from django.utils import formats, timezone
from django.utils.dateparse import parse_date, parse_datetime

_catalogue: dict[str, dict[str, Any]] = {}


def register(kind: str, labels: Mapping[str, Any] | Iterable[tuple[str, Any]]) -> None:
    """Add ``code → label`` pairs (labels lazily translated) to ``kind``; several apps may add to one kind."""
    _catalogue.setdefault(kind, {}).update(dict(labels))


def label(kind: str, code: Any) -> str:
    """The label of ``code`` in the reader's language; an unregistered code as stored, empty as empty."""
    if code is None or code == "":
        return ""
    found = _catalogue.get(kind, {}).get(str(code))
    return str(found) if found is not None else str(code)


def label_list(kind: str, codes: Iterable[Any] | str | None) -> str:
    """``["en", "es"]`` or ``"en,es"`` as ``"English, Spanish"``."""
    if not codes:
        return ""
    if isinstance(codes, str):
        codes = [c.strip() for c in codes.split(",")]
    return ", ".join(label(kind, code) for code in codes if code)


def kinds() -> dict[str, dict[str, Any]]:
    """Every registered kind with its codes and labels (read-only use: the page check, the tests)."""
    return _catalogue


def when(value: date | datetime | str | None, fmt: str = "SHORT_DATETIME_FORMAT") -> str:
    """A moment in the city's time zone and the reader's locale; an ISO-8601 string is parsed first."""
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        parsed: date | datetime | None = parse_date(value) if len(value) == 10 else parse_datetime(value)
        if parsed is None:
            return value
        value = parsed
    if isinstance(value, datetime):
        if timezone.is_naive(value):
            value = timezone.make_aware(value, UTC)
        value = timezone.localtime(value)
    elif fmt == "SHORT_DATETIME_FORMAT":
        fmt = "SHORT_DATE_FORMAT"
    return formats.date_format(value, fmt)
