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
