"""Template filters of the label catalogue, built into every template (settings ``TEMPLATES`` builtins)."""

from __future__ import annotations

from typing import Any

from django import template

from cityid.ui import labels

register = template.Library()


@register.filter(name="label")
def label(value: Any, kind: str) -> str:
    """``{{ application.status|label:"application_status" }}``."""
    return labels.label(kind, value)


@register.filter(name="labels")
def label_list(value: Any, kind: str) -> str:
    """``{{ application.denial_reasons|labels:"denial_reason" }}`` (a list or ``"en,es"``)."""
    return labels.label_list(kind, value)


@register.filter(name="when")
def when(value: Any, fmt: str = "SHORT_DATETIME_FORMAT") -> str:
    """``{{ entry.at|when }}``: the city's time zone, the reader's locale (``"DATE_FORMAT"`` etc. as argument)."""
    return labels.when(value, fmt)


@register.filter(name="short_id")
def short_id(value: Any, keep: int = 8) -> str:
    """``applicant:0b5c41e2-…-9f`` as ``applicant:0b5c41e2…``: long pseudonymous ids in a table (the full id
    stays in the ``title`` and on the entry's page)."""
    text = "" if value is None else str(value)
    prefix, sep, rest = text.rpartition(":")
    if len(rest) <= keep + 1:
        return text
    return f"{prefix}{sep}{rest[:keep]}…"
