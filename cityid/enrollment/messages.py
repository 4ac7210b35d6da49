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
    from cityid.enrollment.eligibility import RulesError
    from cityid.enrollment.exports import SubjectNotFound
    from cityid.enrollment.imports import LineInvalid
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
    from cityid.enrollment.references import ReferenceInvalid
    from cityid.enrollment.selectors import SearchInvalid

    register_messages(SearchInvalid, {
        "reference_check": _("That receipt reference is not valid: a symbol is mistyped. Check it against the "
                             "receipt."),
        "card_malformed": _("A card number has 16 digits."),
        "card_check": _("That is not a valid card number: the check digit does not match. Look for a mistyped "
                        "digit."),
        "need_dob": _("Enter the date of birth to search by name."),
        "empty": _("Enter a receipt reference, a card number or a name."),
    })
    register_messages(ReferenceInvalid, {
        "malformed": _("A receipt reference has ten letters and digits, like K7Q4M-9X2TB."),
        "check": _("That receipt reference is not valid: a symbol is mistyped. Check it against the receipt."),
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
    register_messages(RulesError, {
        "not_object": _("%(where)s must be an object"),
        "missing_key": _("%(where)s: missing required key '%(key)s'"),
        "not_int": _("%(where)s must be an integer, got %(value)s"),
        "too_small": _("%(where)s must be at least %(minimum)s, got %(value)s"),
        "not_text": _("%(where)s must be a non-empty string, got %(value)s"),
        "not_bool": _("%(where)s must be true or false, got %(value)s"),
        "bad_document_code": _("%(where)s: document codes must be lower_snake_case"),
        "unknown_keys": _("%(where)s: unknown key(s) %(keys)s"),
        "worthless_document": _("%(where)s: a document must be worth at least one identity or residency point"),
        "bad_expired_points": _("%(where)s.expired_points must be null or a non-negative integer"),
        "expired_points_not_passport": _("%(where)s.expired_points is only allowed on machine-readable passports "
                                         "(set it to null or set machine_readable_passport to true)"),
        "expired_points_too_many": _("%(where)s.expired_points (%(expired)s) exceeds identity_points (%(identity)s)"),
        "top_not_object": _("%(source)s: the top level must be a JSON object"),
        "bad_copies": _("rules.document_copies must be one of %(policies)s, got %(value)s"),
        "points_exceed_total": _("rules.required_points: identity (%(identity)s) + residency (%(residency)s) "
                                 "exceeds total (%(total)s)"),
        "bad_bands": _("rules.card_validity_years must be a non-empty list of {min_age, years}"),
        "same_band": _("rules.card_validity_years: two bands have the same min_age"),
        "no_band": _("rules.card_validity_years: no band covers the minimum age %(min_age)s (lowest band starts at "
                     "%(lowest)s)"),
        "bad_retention": _("rules.retention must be an object"),
        "bad_documents": _("rules.documents must be a non-empty object of document types"),
        "no_residency_document": _("rules.documents: no document type is worth residency points"),
        "file_not_found": _("rules file not found: %(file)s"),
        "file_not_json": _("rules file %(file)s is not valid JSON: %(reason)s"),
        "file_unreadable": _("cannot read rules file %(file)s: %(reason)s"),
        "in_file": _("%(file)s: %(reason)s"),
    })
    register_messages(LineInvalid, {
        "not_a_date": _("%(field)s: expected a date YYYY-MM-DD"),
        "bad_date": _("%(field)s: %(value)s is not a valid date YYYY-MM-DD"),
        "not_text": _("%(field)s: expected text"),
        "required": _("%(field)s: required"),
        "not_a_path": _("%(field)s: expected a file path"),
        "file_not_found": _("%(field)s: file %(file)s not found"),
        "file_too_large": _("%(field)s: file %(file)s is larger than %(mb)s MB"),
        "not_object": _("the line is not a JSON object"),
        "bad_address": _("address: expected an object with a 'kind'"),
        "address_not_text": _("address: every part must be text"),
        "no_documents": _("documents: expected a non-empty list"),
        "not_an_object": _("%(field)s: expected an object"),
        "bad_decision": _("application.decision: must be one of %(decisions)s"),
        "bad_languages": _("languages: expected a list of language codes"),
        "not_object_or_null": _("%(field)s: expected an object or null"),
        "decision_refused": _("application.decided: %(reason)s"),
        "not_json": _("not valid JSON (%(reason)s at column %(column)s)"),
    })
    register_messages(SubjectNotFound, {"not_found": _("no applicant with id, external_id or receipt '%(subject)s'")})
    from cityid.enrollment.staging import StagingRefused, TokenUsed

    register_messages(StagingRefused, {
        "unknown_kind": _("Unknown kind of file."),
        "photo_too_big": _("The photo is larger than %(mb)d MB."),
        "scan_too_big": _("The scan is larger than %(mb)d MB."),
        "file_refused": lambda refusal, **_: str(refusal),  # the upload refusal's own words
        "too_many": _("Too many files are kept for unfinished forms: submit or leave one of them, then choose the "
                      "file again."),
        "photo_gone": _("The kept photo is no longer available (kept files are removed after %(hours)d hours). "
                        "Choose the photo again."),
        "scan_gone": _("The kept scan is no longer available (kept files are removed after %(hours)d hours). "
                       "Choose the scan again."),
        "unreadable": _("A kept file could not be opened. Choose the file again."),
    })
    register_messages(TokenUsed, {"token_used": _("This form was already submitted. Start a new application.")})
