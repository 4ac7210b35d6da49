"""USWDS styling shared by every app's forms."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _


class UswdsMixin:
    def _style(self) -> None:
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, forms.CheckboxInput):
                widget.attrs.setdefault("class", "usa-checkbox__input")
            elif isinstance(widget, forms.CheckboxSelectMultiple):
                continue
            elif isinstance(widget, forms.Select):
                widget.attrs.setdefault("class", "usa-select")
            elif isinstance(widget, forms.FileInput):
                widget.attrs.setdefault("class", "usa-file-input")
            else:
                widget.attrs.setdefault("class", "usa-input")


class DateInput(forms.DateInput):
    """A browser date picker: its value is always ISO (a localized "02/12/2026" would show an empty field)."""

    input_type = "date"

    def __init__(self, attrs=None, format=None):
        super().__init__(attrs, format=format or "%Y-%m-%d")


class FilterDateField(forms.DateField):
    """A date a page filters or computes by: a year outside ``MIN_YEAR``–``MAX_YEAR`` is a form error, not a
    date arithmetic overflow deeper down (``12/31/9999`` plus one day)."""

    MIN_YEAR = 1900
    MAX_YEAR = 2199

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("widget", DateInput)
        super().__init__(**kwargs)

    def validate(self, value: Any) -> None:
        super().validate(value)
        if value and not self.MIN_YEAR <= value.year <= self.MAX_YEAR:
            raise forms.ValidationError(
                _("Enter a date between the years %(first)s and %(last)s."),
                code="date_range", params={"first": self.MIN_YEAR, "last": self.MAX_YEAR},
            )
