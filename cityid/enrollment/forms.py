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
from cityid.ui.forms import BoundedDateField, UswdsMixin

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


ADDRESS_PARTS = ("care_of", "line1", "line2", "city", "postcode")
#: The address fields a residential or care-of address requires (starred on the form).
REQUIRED_ADDRESS_PARTS = ("line1", "city", "postcode")


def _required(message: str) -> dict:
    return {"required": message}


class PhoneField(forms.CharField):
    """A phone number a caller can dial: US numbers as typed by clerks (212-555-0123, (718) 555 0199), other
    countries with their + code; stored in one international form (+1 212-555-0123)."""

    default_error_messages = {
        "invalid": _("Enter a phone number like 212-555-0123, or with its country code for a number outside "
                     "the US, like +44 20 7946 0958."),
    }

    def to_python(self, value: object) -> str:
        import phonenumbers

        text = super().to_python(value)
        if not text:
            return text
        try:
            number = phonenumbers.parse(text, "US")
        except phonenumbers.NumberParseException:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid") from None
        if not phonenumbers.is_valid_number(number):
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


PHONE_HINT = _("Like 212-555-0123; outside the US, start with + and the country code.")
DATE_FORMAT_MESSAGE = _("Enter the date as month, day and year, like 04/12/1990.")


class EnrollmentForm(UswdsMixin, forms.Form):
    form_token = forms.CharField(required=False, widget=forms.HiddenInput, max_length=64)
    application_type = forms.ChoiceField(label=_("Application type"), choices=ApplicationType.choices)
    given_name = forms.CharField(label=_("Given name"), max_length=100, error_messages=_required(
        _("Enter the given name as it is on the applicant's document.")))
    family_name = forms.CharField(label=_("Family name"), max_length=100, error_messages=_required(
        _("Enter the family name as it is on the applicant's document.")))
    date_of_birth = BoundedDateField(label=_("Date of birth"), error_messages={
        "required": _("Enter the date of birth, like 04/12/1990."), "invalid": DATE_FORMAT_MESSAGE})
    gender = forms.ChoiceField(label=_("Gender shown on the card"), choices=Gender.choices, required=False)
    languages = forms.MultipleChoiceField(
        label=_("Languages"),
        choices=[(code, LANGUAGE_LABELS[code]) for code in sorted(LANGUAGE_CODES)],
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    address_kind = forms.ChoiceField(label=_("Address"), choices=AddressKind.choices, error_messages=_required(
        _("Choose the kind of address.")))
    care_of = forms.CharField(label=_("Care-of organisation"), max_length=120, required=False,
                              error_messages=_required(_("Name the organisation the mail goes to.")))
    line1 = forms.CharField(label=_("Street address"), max_length=120, required=False, error_messages=_required(
        _('Enter the street and number, like 742 Evergreen Ave, or choose "No address".')))
    line2 = forms.CharField(label=_("Apartment, floor, unit"), max_length=120, required=False)
    city = forms.CharField(label=_("City"), max_length=60, required=False, error_messages=_required(
        _("Enter the city, like New York.")))
    postcode = forms.RegexField(label=_("ZIP code"), regex=r"^\d{5}(-\d{4})?$", required=False, error_messages={
        "required": _("Enter a 5-digit ZIP code, like 10001."), "invalid": _("Enter a 5-digit ZIP code, like 10001.")})
    borough = forms.ChoiceField(label=_("Borough"), choices=Borough.choices, required=False)
    email = forms.EmailField(label=_("Email"), required=False, error_messages={
        "invalid": _("Enter an email address like name@example.com.")})
    phone = PhoneField(label=_("Phone"), max_length=30, required=False, help_text=PHONE_HINT)
    with_caretaker = forms.BooleanField(label=_("Applying with a caretaker"), required=False)
    caretaker_name = forms.CharField(label=_("Caretaker's name"), max_length=120, required=False)
    caretaker_relationship = forms.CharField(label=_("Caretaker's relationship"), max_length=60, required=False)
    emergency_name = forms.CharField(label=_("Emergency contact name"), max_length=120, required=False)
    emergency_phone = PhoneField(label=_("Emergency contact phone"), max_length=30, required=False,
                                 help_text=PHONE_HINT)
    veteran = forms.BooleanField(label=_('Show "Veteran" on the card'), required=False)
    organ_donor = forms.BooleanField(label=_("Organ donor"), required=False)
    photo = forms.FileField(label=_("Photo (JPEG or PNG)"), required=False)
    photo_staged = forms.CharField(required=False, widget=forms.HiddenInput, max_length=64)
    acknowledge_warnings = forms.BooleanField(
        label=_("I have checked the warnings above: submit the application anyway"), required=False)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._style()
        self.fields["photo"].widget.attrs["accept"] = "image/jpeg,image/png"
        kind = self.data.get("address_kind") if self.is_bound else AddressKind.RESIDENTIAL
        # Starred (required) for a residential or care-of address; "No address" leaves them as typed, unused.
        for name in REQUIRED_ADDRESS_PARTS:
            self.fields[name].required = kind != AddressKind.NONE
        self.fields["care_of"].required = kind == AddressKind.CARE_OF
        for name in ADDRESS_PARTS:
            self.fields[name].widget.attrs["data-address-part"] = "true"
        self.fields["line1"].widget.attrs["autocomplete"] = "off"

    def clean(self) -> dict:
        data = super().clean()
        if data.get("address_kind") == AddressKind.NONE:
            for name in ADDRESS_PARTS:  # kept on the page as typed, not used: nothing to correct there
                self._errors.pop(name, None)
        if data.get("with_caretaker") and not data.get("caretaker_name"):
            self.add_error("caretaker_name", _("Name the caretaker who signs the application."))
        if data.get("emergency_phone") and not data.get("emergency_name"):
            self.add_error("emergency_name", _("Name the emergency contact whose phone is given."))
        photo = data.get("photo")
        max_bytes = settings.CITYID_MAX_SCAN_BYTES
        if photo is not None and photo.size > max_bytes:
            # Refused here, before the upload is read into memory.
            self.add_error("photo", _("The photo is larger than %(mb)d MB.") % {"mb": max_bytes // 2**20})
        return data


class DocumentForm(UswdsMixin, forms.Form):
    type = forms.ChoiceField(label=_("Document type"), required=False)
    number = forms.CharField(label=_("Document number"), max_length=64, required=False)
    issuer = forms.CharField(label=_("Issued by"), max_length=80, required=False)
    expires = BoundedDateField(label=_("Expires"), required=False, error_messages={"invalid": DATE_FORMAT_MESSAGE})
    scan = forms.FileField(label=_("Scan (JPEG, PNG or PDF, at most 10 MB)"), required=False)
    scan_staged = forms.CharField(required=False, widget=forms.HiddenInput, max_length=64)

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
            self.add_error("number", _("Enter the document's number as printed on it."))
        if (data.get("number") or data.get("scan") or data.get("scan_staged")) and not data.get("type"):
            self.add_error("type", _("Choose the document type from the list."))
        scan = data.get("scan")
        if scan is not None and scan.size > settings.CITYID_MAX_SCAN_BYTES:
            self.add_error("scan", _("The scan is larger than 10 MB."))
        return data


DocumentFormSet = formset_factory(DocumentForm, extra=4, max_num=8)


def to_input(
    form: EnrollmentForm,
    documents: list[DocumentForm],
    *,
    submitted_on: date,
    photo: bytes | None = None,
    scans: dict[int, bytes] | None = None,
) -> EnrollmentInput:
    """The input as far as the forms could read it (a field in error is left empty): the whole form is then
    checked in one pass. ``documents`` are the blocks with a type, in order; ``scans`` their files by position
    in that list, ``photo`` the photo (both already read from the staged files)."""
    data = form.cleaned_data
    kind = data.get("address_kind") or AddressKind.RESIDENTIAL
    address = {"kind": kind, "borough": data.get("borough") or ""}
    if kind != AddressKind.NONE:
        address.update(
            line1=data.get("line1") or "",
            line2=data.get("line2") or "",
            city=data.get("city") or "",
            postcode=data.get("postcode") or "",
            care_of=(data.get("care_of") or "") if kind == AddressKind.CARE_OF else "",
        )
    docs = []
    for index, doc_form in enumerate(documents):
        doc = doc_form.cleaned_data
        docs.append(
            DocumentInput(
                type=doc["type"],
                number=doc.get("number") or "",
                issuer=doc.get("issuer") or "",
                expires=doc.get("expires"),
                scan=(scans or {}).get(index),
            )
        )
    return EnrollmentInput(
        given_name=(data.get("given_name") or "").strip(),
        family_name=(data.get("family_name") or "").strip(),
        date_of_birth=data.get("date_of_birth") or submitted_on,
        gender=data.get("gender") or "",
        languages=list(data.get("languages") or []),
        address=address,
        documents=docs,
        submitted_on=submitted_on,
        photo=photo,
        application_type=data.get("application_type") or ApplicationType.NEW,
        with_caretaker=bool(data.get("with_caretaker")),
        caretaker={"name": data["caretaker_name"], "relationship": data.get("caretaker_relationship", "")}
        if data.get("caretaker_name")
        else None,
        emergency_contact={"name": data["emergency_name"], "phone": data.get("emergency_phone", "")}
        if data.get("emergency_name")
        else None,
        veteran=bool(data.get("veteran")),
        organ_donor=bool(data.get("organ_donor")),
        email=data.get("email") or "",
        phone=data.get("phone") or "",
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
    date_of_birth = BoundedDateField(label=_("Date of birth"), required=False,
                                    help_text=_("Needed to search by name."))

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
                self.add_error(field, str(invalid))
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
