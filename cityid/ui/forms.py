"""USWDS styling shared by every app's forms."""

from __future__ import annotations

from datetime import date

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


class BoundedDateField(forms.DateField):
    """A date between ``MIN_YEAR`` and ``MAX_YEAR`` (a browser date picker by default): 12/31/9999 or year 0 is
    an error on the field, never an overflow further on."""

    MIN_YEAR, MAX_YEAR = 1900, 2199

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("widget", DateInput)
        super().__init__(*args, **kwargs)

    def to_python(self, value: object) -> date | None:
        try:
            parsed = super().to_python(value)
        except (OverflowError, ValueError):
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid") from None
        if parsed is not None and not self.MIN_YEAR <= parsed.year <= self.MAX_YEAR:
            raise forms.ValidationError(
                _("Enter a date between the years %(first)d and %(last)d.")
                % {"first": self.MIN_YEAR, "last": self.MAX_YEAR}, code="out_of_range")
        return parsed
