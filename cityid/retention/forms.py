"""Staff forms for schedules, previews, disposition requests and legal holds."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cityid.retention.models import Trigger
from cityid.retention.scope import ScopeInvalid, parse_scope
from cityid.ui.forms import BoundedDateField, UswdsMixin
from cityid.vault.models import RecordClass

KIND_FIXED, KIND_TRIGGER = "fixed", "trigger"


class ScheduleForm(UswdsMixin, forms.Form):
    record_class = forms.ChoiceField(label=_("Retention class"), choices=RecordClass.choices)
    kind = forms.ChoiceField(
        label=_("Kind of schedule"),
        choices=[(KIND_FIXED, _("Destroy on a fixed date (e.g. a program-wide decision deadline)")),
                 (KIND_TRIGGER, _("Destroy a number of years after an event"))],
        widget=forms.RadioSelect,
        initial=KIND_TRIGGER,
    )
    fixed_date = BoundedDateField(label=_("Disposition date"), required=False,
                                 help_text=_("Only for a fixed-date schedule."))
    trigger = forms.ChoiceField(label=_("Trigger event"), choices=[("", "—"), *Trigger.choices], required=False,
                                help_text=_("Only for a period after an event."))
    years = forms.IntegerField(label=_("Years after the event"), min_value=0, max_value=100, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._style()

    def clean(self) -> dict:
        data = super().clean()
        if data.get("kind") == KIND_FIXED:
            if not data.get("fixed_date"):
                self.add_error("fixed_date", _("Give the date on which the records are destroyed."))
        elif data.get("kind") == KIND_TRIGGER:
            if not data.get("trigger"):
                self.add_error("trigger", _("Choose the event the period starts from."))
            if data.get("years") is None and "years" not in self.errors:
                self.add_error("years", _("Give the number of years after the event."))
        return data

    def schedule_kwargs(self) -> dict[str, Any]:
        data = self.cleaned_data
        if data["kind"] == KIND_FIXED:
            return {"fixed_date": data["fixed_date"], "trigger": None, "years": None}
        return {"fixed_date": None, "trigger": data["trigger"], "years": data["years"]}


class AsOfForm(UswdsMixin, forms.Form):
    as_of = BoundedDateField(label=_("As of"),
                            help_text=_("Records due on or before this date are destroyed, unless a hold keeps them."))

    def __init__(self, *args: Any, future: bool = True, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.future = future
        self._style()

    def clean_as_of(self) -> Any:
        as_of = self.cleaned_data["as_of"]
        if not self.future and as_of > timezone.localdate():
            raise forms.ValidationError(_("A run cannot be as of a future date."))
        return as_of


class HoldForm(UswdsMixin, forms.Form):
    case_name = forms.CharField(label=_("Case name"), max_length=200)
    court = forms.CharField(label=_("Court"), max_length=200)
    index_number = forms.CharField(label=_("Index number"), max_length=64, required=False)
    order_date = BoundedDateField(label=_("Order date"), required=False)
    scope = forms.CharField(
        label=_("Scope"), max_length=400,
        help_text=_("Terms separated by commas, all of which a record must match: all, class:NAME "
                    "(documents, application, photo, card, disclosure), submitted:YYYY-MM-DD..YYYY-MM-DD "
                    "(application submitted in that range), subject:ID (applicant id or external id)."),
    )
    notes = forms.CharField(label=_("Notes"), required=False, widget=forms.Textarea(attrs={"class": "usa-textarea",
                                                                                        "rows": 3}))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._style()

    def clean_order_date(self) -> Any:
        order_date = self.cleaned_data.get("order_date")
        if order_date and order_date > timezone.localdate():
            raise forms.ValidationError(_("The order date cannot be in the future."))
        return order_date

    def clean_scope(self) -> str:
        scope = self.cleaned_data["scope"].strip()
        try:
            parse_scope(scope)
        except ScopeInvalid as exc:
            raise scope_error(exc) from None
        return scope


def scope_error(exc: ScopeInvalid) -> forms.ValidationError:
    """The scope parser's reason (it names the bad term), introduced in the staff member's language."""
    return forms.ValidationError(_("The scope is not valid: %(reason)s"), params={"reason": str(exc)},
                                 code="scope")
