"""The shape of an enrollment, shared by the clerk's form, the importer, the seeder and the
benchmark, and its validation. Errors name the field they concern."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _

from cityid.core.errors import CityidError
from cityid.core.text import clean_strings
from cityid.enrollment import uploads
from cityid.enrollment.eligibility import Rules
from cityid.enrollment.models import AddressKind, ApplicationType, Borough, Gender

#: The names and addresses of a profile and of an application's details, kept in one normal form
#: (``cityid.core.text.clean_text``): on entry here, and for what was stored before by ``cityid enrollment clean``.
PROFILE_TEXT = ("given_name", "family_name", "address")
DETAILS_TEXT = ("caretaker", "emergency_contact")
LANGUAGE_CODES = {"en", "es", "zh", "ru", "bn", "ht", "ko", "ar", "fr", "pl", "ur", "it", "yi", "other"}


def clean_sealed_text(values: dict[str, Any], fields: tuple[str, ...]) -> dict[str, Any]:
    """A stored profile or details dictionary with its names and addresses in the normal form."""
    return {key: clean_strings(value) if key in fields else value for key, value in values.items()}


class EnrollmentInvalid(CityidError):
    """Validation failed; ``errors`` maps each field to its messages (already in the reader's words). Nothing
    was stored."""

    def __init__(self, errors: dict[str, list[str]]) -> None:
        self.errors = errors
        super().__init__("invalid", fields="; ".join(f"{name}: {' '.join(map(str, msgs))}"
                                                      for name, msgs in errors.items()))


@dataclass
class DocumentInput:
    type: str
    number: str
    issuer: str = ""
    expires: date | None = None
    scan: bytes | None = None


@dataclass
class EnrollmentInput:
    given_name: str
    family_name: str
    date_of_birth: date
    address: dict[str, str]
    documents: list[DocumentInput]
    submitted_on: date
    gender: str = ""
    languages: list[str] = field(default_factory=list)
    photo: bytes | None = None
    application_type: str = ApplicationType.NEW
    with_caretaker: bool = False
    caretaker: dict[str, str] | None = None
    emergency_contact: dict[str, str] | None = None
    veteran: bool = False
    organ_donor: bool = False
    email: str = ""
    phone: str = ""
    external_id: str | None = None

    def __post_init__(self) -> None:
        # Names and addresses in one normal form before anything is checked, sealed or indexed.
        for name in PROFILE_TEXT + DETAILS_TEXT:
            setattr(self, name, clean_strings(getattr(self, name)))

    def profile(self) -> dict[str, Any]:
        """The sealed personal part of the applicant."""
        return {
            "given_name": self.given_name,
            "family_name": self.family_name,
            "date_of_birth": self.date_of_birth.isoformat(),
            "address": self.address,
            "email": self.email,
            "phone": self.phone,
        }

    def details(self) -> dict[str, Any]:
        """The sealed personal part of the application."""
        return {
            "caretaker": self.caretaker,
            "emergency_contact": self.emergency_contact,
            "veteran": self.veteran,
            "organ_donor": self.organ_donor,
        }


def sniff_content_type(data: bytes) -> str | None:
    """The real type of an upload from its first bytes; the client's claim is not trusted."""
    return uploads.sniff(data)


def clean_file(data: bytes, kind: str) -> uploads.Cleaned:
    """A photo (``uploads.PHOTO``) or scan (``uploads.SCAN``) decoded within the configured limits and
    re-encoded without metadata (a PDF checked); raises UploadRefused."""
    if isinstance(data, uploads.CleanBytes):
        return uploads.Cleaned(data, uploads.sniff(data) or "application/octet-stream")
    if kind == uploads.PHOTO:
        return uploads.clean_upload(data, kind=kind, max_pixels=settings.CITYID_MAX_PHOTO_PIXELS,
                                    max_side=settings.CITYID_PHOTO_MAX_SIDE)
    return uploads.clean_upload(data, kind=kind, max_pixels=settings.CITYID_MAX_SCAN_PIXELS,
                                max_pages=settings.CITYID_MAX_PDF_PAGES)


def validate(data: EnrollmentInput, rules: Rules, *, today: date) -> None:
    """Raise EnrollmentInvalid naming every bad field; return quietly when the input is well formed.

    The photo and the scans are replaced by their clean form (``clean_file``): what is stored is
    what was decoded within the pixel limits and re-encoded without metadata, never the upload."""
    errors: dict[str, list[str]] = {}

    def add(name: str, message: str) -> None:
        errors.setdefault(name, []).append(str(message))

    for name in ("given_name", "family_name"):
        value = getattr(data, name)
        if not value or not value.strip():
            add(name, _("This field is required."))
        elif len(value) > 100:
            add(name, _("At most 100 characters."))
    if data.date_of_birth > today:
        add("date_of_birth", _("The date of birth is in the future."))
    elif data.date_of_birth.year < 1900:
        add("date_of_birth", _("The date of birth is before 1900."))
    if data.submitted_on > today:
        add("submitted_on", _("The submission date is in the future."))
    if data.date_of_birth > data.submitted_on and "date_of_birth" not in errors:
        add("date_of_birth", _("The date of birth is after the submission date."))
    if data.gender not in Gender.values:
        add("gender", _("Gender must be F, M, X or empty."))
    if data.application_type not in ApplicationType.values:
        add("application_type", _("Unknown application type."))
    for code in data.languages:
        if code not in LANGUAGE_CODES:
            add("languages", _("Unknown language code %(code)s.") % {"code": code})

    kind = data.address.get("kind", "")
    if kind not in AddressKind.values:
        add("address.kind", _("Address kind must be residential, care_of or none."))
    elif kind != AddressKind.NONE:
        for part in ("line1", "city", "postcode"):
            if not (data.address.get(part) or "").strip():
                add(f"address.{part}", _("This field is required for this address kind."))
        if kind == AddressKind.CARE_OF and not (data.address.get("care_of") or "").strip():
            add("address.care_of", _("Name the organisation for a care-of address."))
    if data.address.get("borough", "") not in Borough.values:
        add("address.borough", _("Unknown borough."))

    if not data.documents:
        add("documents", _("At least one document is required."))
    max_scan = settings.CITYID_MAX_SCAN_BYTES
    for index, doc in enumerate(data.documents):
        if doc.type not in rules.catalogue:
            add(f"documents[{index}].type", _("Unknown document type %(code)s.") % {"code": doc.type})
        if not (doc.number or "").strip():
            add(f"documents[{index}].number", _("The document number is required."))
        if doc.scan is not None:
            if len(doc.scan) > max_scan:
                add(f"documents[{index}].scan", _("The scan is larger than %(mb)d MB.") % {"mb": max_scan // 2**20})
            else:
                try:
                    doc.scan = clean_file(doc.scan, uploads.SCAN).data
                except uploads.UploadRefused as refused:
                    add(f"documents[{index}].scan", str(refused))
    if data.photo is not None:
        if len(data.photo) > max_scan:
            add("photo", _("The photo is larger than %(mb)d MB.") % {"mb": max_scan // 2**20})
        else:
            try:
                data.photo = clean_file(data.photo, uploads.PHOTO).data
            except uploads.UploadRefused as refused:
                add("photo", str(refused))
    if errors:
        raise EnrollmentInvalid(errors)
