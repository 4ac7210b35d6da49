"""The auditor's event search form. Every criterion is a pseudonymous identifier, a date or an action."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from cityid.audit import selectors
from cityid.ui.forms import BoundedDateField, UswdsMixin
from cityid.ui.labels import label

MATCHES = [
    ("exact", _("Target is exactly this id")),
    ("contains", _("Target contains this text")),
    ("any", _("Target or purpose contains this text")),
]


class EventSearchForm(UswdsMixin, forms.Form):
    actor = forms.CharField(
        label=_("Actor"), max_length=150, required=False,
        help_text=_("An actor id as logged (staff:12, system:operator, public) or a staff username."),
    )
    action = forms.ChoiceField(label=_("Action"), required=False)
    since = BoundedDateField(label=_("From"), required=False)
    until = BoundedDateField(label=_("To"), required=False, help_text=_("Both days are included."))
    target = forms.CharField(
        label=_("Record id"), max_length=80, required=False,
        help_text=_("A pseudonymous id, e.g. applicant:<uuid>, application:<uuid>, hold:3 or run:2."),
    )
    match = forms.ChoiceField(label=_("Match"), choices=MATCHES, required=False, initial="exact")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        actions = [(a, label("audit_action", a)) for a in selectors.distinct_actions()]
        self.fields["action"].choices = [("", _("Any action"))] + actions
        self._style()

    def clean_actor(self) -> str:
        text = self.cleaned_data["actor"].strip()
        if not text:
            return ""
        try:
            return selectors.resolve_actor(text)
        except selectors.UnknownActor as exc:
            raise forms.ValidationError(str(exc), code=exc.code) from None

    def clean_target(self) -> str:
        return self.cleaned_data["target"].strip()

    def clean(self) -> dict:
        data = super().clean()
        since, until = data.get("since"), data.get("until")
        if since and until and since > until:
            self.add_error("until", _("The end of the range is before its start."))
        data["match"] = data.get("match") or "exact"
        return data

    def criteria(self) -> dict[str, Any]:
        """The keyword arguments of :func:`cityid.audit.selectors.search_events`."""
        data = self.cleaned_data
        return {name: data.get(name) or default for name, default in
                (("actor", ""), ("action", ""), ("since", None), ("until", None), ("target", ""),
                 ("match", "exact"))}
