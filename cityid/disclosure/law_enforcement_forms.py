"""Staff forms for law-enforcement requests: logging on receipt, a document of the process, counsel's decision,
the gag order and the notice."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from cityid.disclosure import law_enforcement as rules
from cityid.disclosure.law_enforcement_models import AgencyType, ItemKind, LegalProcess, RequestChange
from cityid.ui.forms import BoundedDateField, UswdsMixin

TEXT = {"maxlength": rules.MAX_TEXT}


class LogRequestForm(UswdsMixin, forms.Form):
    agency_type = forms.ChoiceField(label=_("Kind of agency"), choices=AgencyType.choices)
    agency = forms.CharField(label=pgettext_lazy("law enforcement", "Agency"), max_length=200,
                             help_text=_("As named on the process, e.g. the police precinct or the federal office."))
    officer = forms.CharField(label=_("Officer who presented it"), max_length=200,
                              help_text=_("Name, rank and badge or shield number."))
    legal_process = forms.ChoiceField(label=_("Legal process presented"), choices=LegalProcess.choices)
    reference = forms.CharField(label=_("Reference on the process"), max_length=200, required=False,
                                help_text=_("Index, docket or case number."))
    received_on = BoundedDateField(label=pgettext_lazy("law enforcement", "Date received"))
    subjects = forms.CharField(
        label=_("Subjects named"), required=False, widget=forms.Textarea(attrs={"rows": 3, **TEXT}),
        help_text=_("Pseudonymous ids (applicant:…), one per line. Never type a name here."))
    search = forms.CharField(
        label=_("Search the process asks for"), required=False, widget=forms.Textarea(attrs={"rows": 3, **TEXT}),
        help_text=_("If the process describes people instead of naming ids, copy its description. It is sealed."))
    kinds = forms.MultipleChoiceField(label=_("Records asked for"), choices=ItemKind.choices,
                                      widget=forms.CheckboxSelectMultiple, initial=["record"])
    gag_order = forms.BooleanField(label=_("A court order forbids telling the applicant"), required=False)
    gag_until = BoundedDateField(label=_("Gag order ends on"), required=False,
                                 help_text=_("Leave empty when the order has no end date."))
    notes = forms.CharField(label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 3, **TEXT}),
                            help_text=_("Sealed; for counsel."))
    document = forms.FileField(label=_("The process (JPEG, PNG or PDF)"), required=False,
                               help_text=_("Cleaned of metadata and sealed. You can add more documents later."))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._style()


class DocumentForm(UswdsMixin, forms.Form):
    document = forms.FileField(label=_("Document (JPEG, PNG or PDF)"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._style()


class ChangeForm(UswdsMixin, forms.Form):
    change = forms.ChoiceField(choices=RequestChange.choices, widget=forms.HiddenInput)
    ordered_subjects = forms.CharField(
        label=_("Subjects the process orders produced"), required=False,
        widget=forms.Textarea(attrs={"rows": 3, **TEXT}),
        help_text=_("Only for production: pseudonymous ids named in the request, one per line."))
    ordered_kinds = forms.MultipleChoiceField(label=_("Records ordered"), choices=ItemKind.choices, required=False,
                                              widget=forms.CheckboxSelectMultiple)
    note = forms.CharField(label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2, **TEXT}))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._style()


class GagForm(UswdsMixin, forms.Form):
    gag_order = forms.BooleanField(label=_("A court order forbids telling the applicant"), required=False)
    gag_until = BoundedDateField(label=_("Gag order ends on"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._style()


class NoticeForm(UswdsMixin, forms.Form):
    notice_on = BoundedDateField(label=_("Applicant given notice on"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._style()
