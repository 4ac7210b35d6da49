"""FOIL forms: the public request form and the officer's steps."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from cityid.disclosure.models import AppealOutcome, ClosingReason, Exemption, ExtensionReason, Outcome
from cityid.disclosure.selectors import READ_PURPOSES
from cityid.disclosure.services import ADDRESS_MAX, DESCRIPTION_MAX, NAME_MAX, PHONE_MAX
from cityid.ui.forms import BoundedDateField, UswdsMixin


class FoilRequestForm(UswdsMixin, forms.Form):
    description = forms.CharField(
        label=_("Describe the records you want"), max_length=DESCRIPTION_MAX, widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("Name the records, the subject and the dates they cover. Do not write a Social Security number "
                    "or anyone's personal details here."),
    )
    name = forms.CharField(label=_("Your name"), max_length=NAME_MAX)
    email = forms.CharField(label=_("Email address"), required=False, max_length=254,
                            help_text=_("The answer and the notices are sent here."))
    address = forms.CharField(label=_("Postal address"), required=False, max_length=ADDRESS_MAX,
                              widget=forms.Textarea(attrs={"rows": 3}),
                              help_text=_("Only if you want the answer by mail instead."))
    phone = forms.CharField(label=_("Phone number"), required=False, max_length=PHONE_MAX)
    attachment = forms.FileField(
        label=_("Attachment (optional)"), required=False,
        help_text=_("A PDF, PNG or JPEG file that helps us find the records, up to 5 MB."),
    )
    # A field people never see: a form that fills it in is a robot.
    website = forms.CharField(required=False, label=_("Leave this field empty"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._style()
        self.fields["website"].widget.attrs.update({"tabindex": "-1", "autocomplete": "off"})


class StatusLookupForm(UswdsMixin, forms.Form):
    public_id = forms.CharField(label=_("Request id"), max_length=32,
                                help_text=_("For example FOIL-2026-0069-00042"))
    access_code = forms.CharField(label=_("Access code"), max_length=64, widget=forms.PasswordInput(render_value=True),
                                  help_text=_("Shown when you sent the request."))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._style()


class StepForm(UswdsMixin, forms.Form):
    """One officer step; the fields shown depend on the step."""

    date_certain = BoundedDateField(label=_("Date certain"), required=False,
                                    help_text=_("The business day by which the determination will be made."))
    reason = forms.ChoiceField(label=_("Reason"), required=False, choices=())
    outcome = forms.ChoiceField(label=_("Outcome"), required=False, choices=())
    exemptions = forms.MultipleChoiceField(label=_("Exemptions cited"), required=False, choices=Exemption.choices,
                                           widget=forms.CheckboxSelectMultiple)

    FIELDS = {
        "acknowledge": (),
        "start": (),
        "extend": ("date_certain", "reason"),
        "determine": ("outcome", "exemptions"),
        "close": ("reason",),
        "appeal": (),
        "decide_appeal": ("outcome", "exemptions"),
    }

    def __init__(self, *args: Any, kind: str, closing_reasons: list[tuple[str, Any]] | None = None,
                 **kwargs: Any) -> None:
        super().__init__(*args, prefix=kind, **kwargs)
        self.kind = kind
        if kind == "extend":
            self.fields["reason"].choices = [("", _("Choose a reason")), *ExtensionReason.choices]
            self.fields["reason"].required = True
            self.fields["date_certain"].required = True
        elif kind == "close":
            self.fields["reason"].choices = [("", _("Choose a reason")), *(closing_reasons or ClosingReason.choices)]
            self.fields["reason"].required = True
        elif kind == "determine":
            self.fields["outcome"].choices = [("", _("Choose an outcome")), *Outcome.choices]
            self.fields["outcome"].required = True
        elif kind == "decide_appeal":
            self.fields["outcome"].choices = [("", _("Choose an outcome")), *AppealOutcome.choices]
            self.fields["outcome"].required = True
        for name in list(self.fields):
            if name not in self.FIELDS.get(kind, ()):
                del self.fields[name]
        self._style()


class ReadForm(UswdsMixin, forms.Form):
    purpose = forms.ChoiceField(label=_("Why do you open the requester's details?"), choices=[
        ("respond", _("To answer the request")),
        ("clarify", _("To ask the requester to clarify")),
        ("appeal", _("To handle an appeal")),
        ("deliver", _("To deliver records or a letter")),
    ])

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        assert {code for code, _label in self.fields["purpose"].choices} == set(READ_PURPOSES)
        self._style()
