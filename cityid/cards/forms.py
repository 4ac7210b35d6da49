"""Staff forms: finding a card by its number, changing its status, replacing it, and print batches."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from cityid.cards.models import NOTE_MAX_LENGTH, REASONS_FOR, REPLACEMENT_REASONS, StatusReason
from cityid.cards.services import BATCH_MAX
from cityid.ui.forms import UswdsMixin


class FindCardForm(UswdsMixin, forms.Form):
    number = forms.CharField(
        label=_("Card number"), max_length=32,
        help_text=_("The 16 digits printed on the card; spaces are ignored."),
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._style()


class StatusChangeForm(UswdsMixin, forms.Form):
    """The reason and note for one kind of change (revoke, suspend or reinstate); prefixed by the kind
    so that a page can hold one form of each."""

    reason = forms.ChoiceField(label=_("Reason"))
    note = forms.CharField(
        label=_("Note"), max_length=NOTE_MAX_LENGTH, required=False,
        help_text=_("Optional, at most 200 characters. Do not write names or other personal details."),
    )

    def __init__(self, *args: Any, kind: str, **kwargs: Any) -> None:
        super().__init__(*args, prefix=kind, **kwargs)
        self.kind = kind
        self.fields["reason"].choices = [("", "—"), *((r, StatusReason(r).label) for r in REASONS_FOR[kind])]
        self._style()


class ReplaceForm(UswdsMixin, forms.Form):
    """Why a card is replaced (the old card is revoked with this reason) and an optional note."""

    reason = forms.ChoiceField(label=_("Reason"))
    note = forms.CharField(
        label=_("Note"), max_length=NOTE_MAX_LENGTH, required=False,
        help_text=_("Optional, at most 200 characters. Do not write names or other personal details."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, prefix="replace", **kwargs)
        self.fields["reason"].choices = [("", "—"), *((r, StatusReason(r).label) for r in REPLACEMENT_REASONS)]
        self._style()


class BatchForm(UswdsMixin, forms.Form):
    limit = forms.IntegerField(
        label=_("Cards in the batch"), min_value=1, max_value=BATCH_MAX, initial=100,
        help_text=_("The cards waiting longest are taken first."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._style()
