"""Translatable texts for eligibility problems (the calculator itself stays Django-free)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from .eligibility import Problem

#: Problem.code -> message template, formatted with ``Problem.params`` (``%(name)s`` placeholders).
MESSAGES = {
    "birth_date_in_future": _("The date of birth is in the future."),
    "too_young": _("Applicants must be at least %(min_age)s years old (the applicant is %(age)s)."),
    "caretaker_required": _(
        "Applicants under %(below)s must apply with a caretaker who signs the application."
    ),
    "emergency_contact_required": _("An emergency contact is required for applicants under %(below)s."),
    "unknown_document_type": _("Document %(number)s: “%(type)s” is not an accepted document type."),
    "duplicate_document": _(
        "Document %(number)s: this document type was already entered as document %(first_number)s; "
        "each document type counts once."
    ),
    "expiry_date_required": _("Document %(number)s: enter the document's expiry date."),
    "document_expired": _(
        "Document %(number)s expired on %(expires)s. Expired documents are not accepted, except "
        "machine-readable passports that expired less than %(grace_years)s years ago."
    ),
    "not_enough_identity_points": _(
        "Identity points: at least %(required)s needed, the documents give %(have)s."
    ),
    "not_enough_residency_points": _(
        "Residency points: at least %(required)s needed, the documents give %(have)s."
    ),
    "not_enough_points": _("Points in total: at least %(required)s needed, the documents give %(have)s."),
    "no_photo_document": _(
        "At least one accepted document must show the applicant's photo (not needed for applicants "
        "aged %(waiver_max_age)s or under who apply with a caretaker)."
    ),
    "no_date_of_birth_document": _("At least one accepted document must show the applicant's date of birth."),
}


def problem_message(problem: Problem) -> str:
    """The problem's message in the active language; falls back to the English text from the calculator."""
    template = MESSAGES.get(problem.code)
    if template is None:
        return problem.message
    try:
        return str(template) % problem.params
    except (KeyError, TypeError, ValueError):
        return problem.message


def _upload_type(kind: str = "", **params: object) -> str:
    if kind == "photo":
        return str(_("The photo must be a JPEG or PNG image."))
    return str(_("The scan must be a JPEG, PNG or PDF file."))


def _upload_pixels(kind: str = "", max_mp: int = 0, **params: object) -> str:
    if kind == "photo":
        return str(_("The photo is larger than %(mp)d megapixels.") % {"mp": max_mp})
    return str(_("The scan is larger than %(mp)d megapixels.") % {"mp": max_mp})


def _upload_unreadable(kind: str = "", **params: object) -> str:
    if kind == "photo":
        return str(_("The photo could not be read as an image."))
    return str(_("The scan could not be read as an image."))


def register() -> None:
    """The words for the enrollment app's error codes (called in ``EnrollmentConfig.ready()``)."""
    from cityid.core.errors import register_messages
    from cityid.enrollment.exports import SubjectNotFound
    from cityid.enrollment.inputs import EnrollmentInvalid
    from cityid.enrollment.selectors import PurposeInvalid
    from cityid.enrollment.services import CaseAccessRefused, DecisionRefused, ReadLimitReached
    from cityid.enrollment.uploads import UploadRefused

    register_messages(UploadRefused, {
        "type": _upload_type,
        "pixels": _upload_pixels,
        "unreadable": _upload_unreadable,
        "pdf_encrypted": _("The PDF is encrypted: scan the document to a PDF without a password."),
        "pdf_active": _("The PDF contains scripts, automatic actions or attached files: scan the document to a "
                        "plain PDF or an image."),
        "pdf_pages": lambda max_pages, **params: _("The PDF has more than %(pages)d pages.") % {"pages": max_pages},
        "pdf_unreadable": _("The PDF could not be read."),
    })
    register_messages(CaseAccessRefused, {
        "target": _("Choose one clerk, one site or the decision queue."),
        "staff": _("This staff member cannot be assigned cases: choose an active clerk or supervisor."),
        "closed": _("This case is decided: it can no longer be assigned."),
        "open": _("This case is still open: open it through its assignment, not with a reason."),
        "reason": _("Choose a reason from the list."),
    })
    purpose_missing = _("Name a case assigned to you, or a recorded reason, to open this record.")
    register_messages(PurposeInvalid, {
        "missing": purpose_missing,
        "malformed": purpose_missing,
        "not_a_case": _("That case is not one of this applicant's."),
        "closed": _("That case is decided: a closed case is opened only with a recorded reason."),
        "not_assigned": _("That case is not assigned to you, your site or your queue."),
        "reason": _("That reason is not recorded for you and this applicant, or it has expired."),
        "rate_limit": _("You have opened more records than the hourly or daily limit allows. Ask a supervisor."),
    })
    register_messages(DecisionRefused, {
        "decided": _("this application has already been decided"),
        "own_enrollment": _("the person who enrolled an application may not decide it"),
        "before_submission": _("the decision date is before the submission date"),
        "ineligible": _("the documents do not meet the eligibility rules"),
        "no_reason": _("a denial needs at least one known reason"),
    })
    register_messages(ReadLimitReached, {
        "read_limit": _("You have opened more records than the hourly or daily limit allows. Ask a supervisor."),
    })
    register_messages(EnrollmentInvalid, {"invalid": "%(fields)s"})
    register_messages(SubjectNotFound, {"not_found": _("no applicant with id, external_id or receipt '%(subject)s'")})
