"""The clerk's enrollment form: turns a POST into an EnrollmentInput."""

from __future__ import annotations

from datetime import date

from django import forms
from django.conf import settings
from django.forms import formset_factory
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from cityid.enrollment.inputs import LANGUAGE_CODES, DocumentInput, EnrollmentInput
from cityid.enrollment.models import AddressKind, ApplicationType, Borough, ClosedCaseReason, DenialReason, Gender
from cityid.ui.forms import DateInput, UswdsMixin

LANGUAGE_LABELS = {
    "en": _("English"),
    "es": _("Spanish"),
    "zh": _("Chinese"),
    "ru": _("Russian"),
    "bn": _("Bengali"),
    "ht": _("Haitian Creole"),
    "ko": _("Korean"),
    "ar": _("Arabic"),
    "fr": _("French"),
    "pl": _("Polish"),
    "ur": _("Urdu"),
    "it": _("Italian"),
    "yi": _("Yiddish"),
    "other": _("Other"),
}


class EnrollmentForm(UswdsMixin, forms.Form):
    application_type = forms.ChoiceField(label=_("Application type"), choices=ApplicationType.choices)
    given_name = forms.CharField(label=_("Given name"), max_length=100)
    family_name = forms.CharField(label=_("Family name"), max_length=100)
    date_of_birth = forms.DateField(label=_("Date of birth"), widget=DateInput)
    gender = forms.ChoiceField(label=_("Gender shown on the card"), choices=Gender.choices, required=False)
    languages = forms.MultipleChoiceField(
        label=_("Languages"),
        choices=[(code, LANGUAGE_LABELS[code]) for code in sorted(LANGUAGE_CODES)],
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    address_kind = forms.ChoiceField(label=_("Address"), choices=AddressKind.choices)
    care_of = forms.CharField(label=_("Care-of organisation"), max_length=120, required=False)
    line1 = forms.CharField(label=_("Street address"), max_length=120, required=False)
    line2 = forms.CharField(label=_("Apartment, floor, unit"), max_length=120, required=False)
    city = forms.CharField(label=_("City"), max_length=60, required=False)
    postcode = forms.RegexField(label=_("ZIP code"), regex=r"^\d{5}(-\d{4})?$", required=False)
    borough = forms.ChoiceField(label=_("Borough"), choices=Borough.choices, required=False)
    email = forms.EmailField(label=_("Email"), required=False)
    phone = forms.CharField(label=_("Phone"), max_length=30, required=False)
    with_caretaker = forms.BooleanField(label=_("Applying with a caretaker"), required=False)
    caretaker_name = forms.CharField(label=_("Caretaker's name"), max_length=120, required=False)
    caretaker_relationship = forms.CharField(label=_("Caretaker's relationship"), max_length=60, required=False)
    emergency_name = forms.CharField(label=_("Emergency contact name"), max_length=120, required=False)
    emergency_phone = forms.CharField(label=_("Emergency contact phone"), max_length=30, required=False)
    veteran = forms.BooleanField(label=_('Show "Veteran" on the card'), required=False)
    organ_donor = forms.BooleanField(label=_("Organ donor"), required=False)
    photo = forms.FileField(label=_("Photo (JPEG or PNG)"), required=False)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._style()
        self.fields["photo"].widget.attrs["accept"] = "image/jpeg,image/png"

    def clean(self) -> dict:
        data = super().clean()
        if data.get("with_caretaker") and not data.get("caretaker_name"):
            self.add_error("caretaker_name", _("Name the caretaker who signs the application."))
        photo = data.get("photo")
        max_bytes = settings.CITYID_MAX_SCAN_BYTES
        if photo is not None and photo.size > max_bytes:
            # Refused here, before to_input() reads the upload into memory.
            self.add_error("photo", _("The photo is larger than %(mb)d MB.") % {"mb": max_bytes // 2**20})
        return data


class DocumentForm(UswdsMixin, forms.Form):
    type = forms.ChoiceField(label=_("Document type"), required=False)
    number = forms.CharField(label=_("Document number"), max_length=64, required=False)
    issuer = forms.CharField(label=_("Issued by"), max_length=80, required=False)
    expires = forms.DateField(label=_("Expires"), required=False, widget=DateInput)
    scan = forms.FileField(label=_("Scan (JPEG, PNG or PDF, at most 10 MB)"), required=False)

    def __init__(self, *args, catalogue: dict | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        language = get_language()
        choices = [("", _("— choose —"))] + [
            (code, doc.label_for(language)) for code, doc in (catalogue or {}).items()
        ]
        self.fields["type"].choices = choices
        self._style()
        self.fields["scan"].widget.attrs["accept"] = "image/jpeg,image/png,application/pdf"

    def clean(self) -> dict:
        data = super().clean()
        if data.get("type") and not data.get("number"):
            self.add_error("number", _("The document number is required."))
        if (data.get("number") or data.get("scan")) and not data.get("type"):
            self.add_error("type", _("Choose the document type."))
        scan = data.get("scan")
        if scan is not None and scan.size > settings.CITYID_MAX_SCAN_BYTES:
            self.add_error("scan", _("The scan is larger than 10 MB."))
        return data


DocumentFormSet = formset_factory(DocumentForm, extra=4, max_num=8)


def to_input(form: EnrollmentForm, documents: list[DocumentForm], *, submitted_on: date) -> EnrollmentInput:
    data = form.cleaned_data
    kind = data["address_kind"]
    address = {"kind": kind, "borough": data.get("borough", "")}
    if kind != AddressKind.NONE:
        address.update(
            line1=data.get("line1", ""),
            line2=data.get("line2", ""),
            city=data.get("city", ""),
            postcode=data.get("postcode", ""),
            care_of=data.get("care_of", "") if kind == AddressKind.CARE_OF else "",
        )
    photo = data.get("photo")
    docs = []
    for doc_form in documents:
        doc = doc_form.cleaned_data
        if not doc or not doc.get("type"):
            continue
        scan = doc.get("scan")
        docs.append(
            DocumentInput(
                type=doc["type"],
                number=doc["number"],
                issuer=doc.get("issuer", ""),
                expires=doc.get("expires"),
                scan=scan.read() if scan else None,
            )
        )
    return EnrollmentInput(
        given_name=data["given_name"].strip(),
        family_name=data["family_name"].strip(),
        date_of_birth=data["date_of_birth"],
        gender=data.get("gender", ""),
        languages=list(data.get("languages") or []),
        address=address,
        documents=docs,
        submitted_on=submitted_on,
        photo=photo.read() if photo else None,
        application_type=data["application_type"],
        with_caretaker=bool(data.get("with_caretaker")),
        caretaker={"name": data["caretaker_name"], "relationship": data.get("caretaker_relationship", "")}
        if data.get("caretaker_name")
        else None,
        emergency_contact={"name": data["emergency_name"], "phone": data.get("emergency_phone", "")}
        if data.get("emergency_name")
        else None,
        veteran=bool(data.get("veteran")),
        organ_donor=bool(data.get("organ_donor")),
        email=data.get("email", ""),
        phone=data.get("phone", ""),
    )


class DecisionForm(UswdsMixin, forms.Form):
    decision = forms.ChoiceField(
        label=_("Decision"), choices=[("approve", _("Approve")), ("deny", _("Deny"))], widget=forms.RadioSelect
    )
    reasons = forms.MultipleChoiceField(
        label=_("Reasons for a denial"),
        choices=DenialReason.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def clean(self) -> dict:
        data = super().clean()
        if data.get("decision") == "deny" and not data.get("reasons"):
            self.add_error("reasons", _("Give at least one reason for a denial."))
        return data


class SearchForm(UswdsMixin, forms.Form):
    """One box for what the applicant brings: a receipt reference, a card number, or a name (with the date of
    birth). Searched by POST, so nothing typed ends up in a URL or an access log."""

    query = forms.CharField(
        label=_("Receipt reference, card number or name"), max_length=200,
        help_text=_("A reference like K7Q4M-9X2TB (with or without the dash), a 16-digit card number, or the "
                    "applicant's names in any order."),
    )
    date_of_birth = forms.DateField(label=_("Date of birth"), widget=DateInput, required=False,
                                    help_text=_("Needed to search by name."))

    ERRORS = {
        "reference_check": _("That receipt reference is not valid: a symbol is mistyped. Check it against the "
                             "receipt."),
        "card_malformed": _("A card number has 16 digits."),
        "card_check": _("That is not a valid card number: the check digit does not match. Look for a mistyped "
                        "digit."),
        "need_dob": _("Enter the date of birth to search by name."),
        "empty": _("Enter a receipt reference, a card number or a name."),
    }

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._style()

    def clean(self) -> dict:
        from cityid.enrollment.selectors import SearchInvalid, parse_search

        cleaned = super().clean()
        if "query" in cleaned and not self.has_error("date_of_birth"):
            try:
                cleaned["search"] = parse_search(cleaned["query"], cleaned.get("date_of_birth"))
            except SearchInvalid as invalid:
                field = "date_of_birth" if invalid.code == "need_dob" else "query"
                self.add_error(field, self.ERRORS[invalid.code])
        return cleaned


class QueueFilterForm(UswdsMixin, forms.Form):
    """A queue's filters and order, from the query string (no personal data: sites, holders, an order)."""

    site = forms.ChoiceField(label=_("Site"), required=False)
    holder = forms.ChoiceField(label=_("Waiting with"), required=False, choices=[
        ("", _("Anyone")), ("decision", _("The decision queue")), ("staff", _("A staff member")),
        ("site", _("A site's queue")),
    ])
    sort = forms.ChoiceField(label=_("Order"), required=False, choices=[
        ("oldest", _("Oldest first")), ("newest", _("Newest first")),
    ])

    def __init__(self, *args, sites: list[str], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["site"].choices = [("", _("All sites")), *((site, site) for site in sites)]
        self._style()

    def values(self) -> dict[str, str]:
        if not self.is_valid():
            return {"site": "", "holder": "", "sort": "oldest"}
        return {"site": self.cleaned_data["site"], "holder": self.cleaned_data["holder"],
                "sort": self.cleaned_data["sort"] or "oldest"}


class AssignForm(UswdsMixin, forms.Form):
    """Where a supervisor moves an open case: ``queue``, ``staff:<id>`` or ``site:<code>``."""

    holder = forms.ChoiceField(label=_("Assign this case to"))

    def __init__(self, *args, staff: list, sites: list[str], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        choices = [("queue", _("The supervisors' decision queue"))]
        choices += [(f"site:{site}", _("Site queue: %(site)s") % {"site": site}) for site in sites]
        choices += [(f"staff:{person.pk}", f"{person.username} ({person.get_role_display()})") for person in staff]
        self.fields["holder"].choices = choices
        self._staff = {f"staff:{person.pk}": person for person in staff}
        self._style()

    def target(self) -> dict:
        """The keyword arguments of ``services.assign_case`` for the chosen holder."""
        holder = self.cleaned_data["holder"]
        if holder == "queue":
            return {"decision_queue": True}
        if holder.startswith("site:"):
            return {"site": holder.removeprefix("site:")}
        return {"staff": self._staff[holder]}


class ClosedCaseReasonForm(UswdsMixin, forms.Form):
    """A supervisor's recorded reason to open one of the applicant's closed cases."""

    application = forms.ChoiceField(label=_("Closed case"))
    # No reason chosen in advance: the one recorded in the audit log is the one the supervisor picked.
    reason = forms.ChoiceField(label=_("Reason"), choices=[("", "—"), *ClosedCaseReason.choices])

    def __init__(self, *args, cases: list, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["application"].choices = [
            (str(case.public_id), f"{case.get_type_display()} — {case.get_status_display()} "
                                  f"({case.submitted_on:%Y-%m-%d})")
            for case in cases
        ]
        self._cases = {str(case.public_id): case for case in cases}
        self._style()

    def case(self):
        return self._cases[self.cleaned_data["application"]]
