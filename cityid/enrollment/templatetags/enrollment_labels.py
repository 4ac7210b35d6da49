"""Template filters that show stored codes as words in the reader's language."""

from __future__ import annotations

from django import template

from cityid.enrollment.forms import LANGUAGE_LABELS

register = template.Library()


@register.filter
def language_names(codes: str) -> str:
    """``"en,es"`` as ``"English, Spanish"`` (translated); an unknown code is shown as stored."""
    return ", ".join(str(LANGUAGE_LABELS.get(code, code)) for code in (codes or "").split(",") if code)
