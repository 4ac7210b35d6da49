"""Enrollment reads. Every read of personal data names a purpose and is logged."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db.models import QuerySet
from django.utils.translation import get_language

from cityid.accounts.services import authorize
from cityid.audit.services import record_event, record_events
from cityid.cards.sealing import open_numbers
from cityid.enrollment.models import Applicant, Application, ApplicationStatus
from cityid.enrollment.records import name_dob_index_value
from cityid.enrollment.services import current_rules
from cityid.vault import services as vault
from cityid.vault.selectors import record_keys_matching


@dataclass
class DocumentView:
    position: int
    type: str
    label: str
    identity_points: int
    residency_points: int
    accepted: bool
    details: dict | None
    has_scan: bool
    scan_id: int | None


@dataclass
class ApplicantView:
    applicant: Applicant
    profile: dict | None
    applications: list[tuple[Application, dict | None, list[DocumentView]]]
    destroyed: list[str]


def pending_applications() -> QuerySet[Application]:
    return (
        Application.objects.filter(status=ApplicationStatus.SUBMITTED)
        .select_related("applicant", "enrolled_by")
        .order_by("submitted_on", "id")
    )


def purposes_for(applicant: Applicant) -> list[Application]:
    """The applicant's cases (applications, whatever their status: a replacement card serves an approved
    one): what a staff member may name as the purpose of reading this applicant."""
    return list(applicant.applications.order_by("-submitted_on"))


class PurposeInvalid(ValueError):
    """The purpose named for a read is not one of the applicant's cases."""


def _require_case(applicant: Applicant, purpose: str) -> None:
    if not purpose:
        raise PurposeInvalid("a purpose is required to read personal data")
    if not applicant.applications.filter(public_id__in=_case_ids(purpose)).exists():
        raise PurposeInvalid(f"{purpose!r} is not a case of this applicant: name one of theirs as the purpose")


def _case_ids(purpose: str) -> list[str]:
    kind, _, value = purpose.partition(":")
    try:
        return [str(uuid.UUID(value))] if kind == "application" else []
    except ValueError:
        return []


def _open(record_key: Any) -> vault.OpenRecord | None:
    if record_key is None:
        return None
    try:
        return vault.open_record(record_key)
    except vault.RecordDestroyed:
        return None


def read_applicant(*, applicant: Applicant, actor: Any, purpose: str) -> ApplicantView:
    """Decrypt an applicant's records for a person to see, for the named purpose (logged)."""
    authorize(actor, "enrollment.read_personal", target=applicant.ref)
    _require_case(applicant, purpose)
    view = decrypt_applicant(applicant)
    record_event(actor=actor, action="personal.read", target=applicant.ref, purpose=purpose)
    return view


def decrypt_applicant(applicant: Applicant) -> ApplicantView:
    """Everything still readable about an applicant. Callers authorise and log the read."""
    destroyed: list[str] = []
    personal = _open(applicant.personal_record)
    profile = personal.open_json("profile", applicant.sealed_profile) if personal else None
    if personal is None:
        destroyed.append("application")
    applications = []
    catalogue = current_rules().catalogue
    language = get_language()
    for application in applicant.applications.prefetch_related("documents").order_by("-submitted_on"):
        details = (
            personal.open_json(f"application:{application.public_id}", application.sealed_details)
            if personal and application.sealed_details
            else None
        )
        card = getattr(application, "card", None)
        if card is not None:  # its number is sealed in the applicant's application record too
            open_numbers([card], records={applicant.personal_record_id: personal} if personal else None)
        documents_record = _open(application.documents_record)
        if documents_record is None and "documents" not in destroyed:
            destroyed.append("documents")
        docs = [
            DocumentView(
                position=doc.position,
                type=doc.type,
                label=catalogue[doc.type].label_for(language) if doc.type in catalogue else doc.type,
                identity_points=doc.identity_points,
                residency_points=doc.residency_points,
                accepted=doc.accepted,
                details=documents_record.open_json(f"document:{doc.position}", doc.sealed_details)
                if documents_record and doc.sealed_details
                else None,
                has_scan=doc.scan_id is not None,
                scan_id=doc.scan_id,
            )
            for doc in application.documents.all()
        ]
        applications.append((application, details, docs))
    return ApplicantView(applicant, profile, applications, destroyed)


def read_photo(*, applicant: Applicant, actor: Any, purpose: str) -> tuple[bytes, str] | None:
    authorize(actor, "enrollment.read_personal", target=applicant.ref)
    _require_case(applicant, purpose)
    if applicant.photo is None:
        return None
    record = _open(applicant.photo_record)
    if record is None:
        return None
    record_event(actor=actor, action="personal.read_photo", target=applicant.ref, purpose=purpose)
    return vault.read_blob(record=record, blob=applicant.photo), applicant.photo.content_type


def read_scan(*, application: Application, position: int, actor: Any, purpose: str) -> tuple[bytes, str] | None:
    authorize(actor, "enrollment.read_personal", target=application.ref)
    _require_case(application.applicant, purpose)
    doc = application.documents.filter(position=position).select_related("scan").first()
    if doc is None or doc.scan is None:
        return None
    record = _open(application.documents_record)
    if record is None:
        return None
    record_event(actor=actor, action="personal.read_scan", target=application.ref, purpose=purpose)
    return vault.read_blob(record=record, blob=doc.scan), doc.scan.content_type


def search_applicants(*, actor: Any, given_name: str, family_name: str, date_of_birth: date) -> list[Applicant]:
    """Exact (normalised) name and date-of-birth search through the blind index.

    Logged so that an auditor can tell whose records a search revealed: one ``personal.search``
    event per applicant found (their pseudonymous id), or one with target ``results:0``.
    """
    authorize(actor, "enrollment.search")
    keys = record_keys_matching(
        record_class="application",
        kind="name_dob",
        value=name_dob_index_value(given_name, family_name, date_of_birth),
    )
    found = list(Applicant.objects.filter(personal_record__in=keys).order_by("created_at"))
    targets = [applicant.ref for applicant in found] or ["results:0"]
    record_events([dict(actor=actor, action="personal.search", target=target, purpose="search:name_dob")
                   for target in targets])
    return found


def files_left_unclean() -> int:
    """Stored files that ``cityid enrollment clean`` found it could not clean (not images, active PDFs)."""
    from django.db.models import Sum

    from cityid.enrollment.models import CleanupProgress
    from cityid.enrollment.services import CLEAN_VERSION

    found = CleanupProgress.objects.filter(task__endswith=f"-{CLEAN_VERSION}").aggregate(total=Sum("refused"))
    return found["total"] or 0
