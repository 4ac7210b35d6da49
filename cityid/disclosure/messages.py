"""The words for the disclosure app's error codes (registered in ``DisclosureConfig.ready()``)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from cityid.core.errors import register_messages
from cityid.disclosure.deadlines import DeadlineError
from cityid.disclosure.selectors import FoilReadError
from cityid.disclosure.services import FoilError


def register() -> None:
    register_messages(DeadlineError, {
        "naive_time": _("Give the time with its UTC offset (for example 2026-11-25T16:30:00-05:00)."),
        "date_certain_missing": _("An extension needs a date certain: the day the determination will be made."),
        "reason_missing": _("An extension needs a reason."),
        "date_in_past": _("%(day)s is not after today: a date certain must be in the future."),
        "not_business_day": _("%(day)s is not a business day: choose a working day."),
        "appeal_late": _("The time to appeal ended on %(deadline)s (30 days after the denial)."),
        "appeal_early": _("An appeal can only follow a denial."),
    })
    register_messages(FoilError, {
        "name_missing": _("Give your name, or a name we can address the answer to."),
        "contact_missing": _("Give an email address or a postal address: the answer is sent there."),
        "email_invalid": _("That email address is not valid."),
        "phone_invalid": _("That phone number is not valid."),
        "too_long": _("This is longer than %(max_length)s characters."),
        "description_short": _("Describe the records you want in at least %(min_length)s characters."),
        "attachment_too_big": _("The attachment is larger than %(max_mb)s MB."),
        "attachment_type": _("Attach a PDF, PNG or JPEG file."),
        "rate_limited": _("Too many requests from your connection. Wait %(minutes)s minutes and try again."),
        "not_json": _("Send a JSON object with text values (Content-Type: application/json)."),
        "not_found": _("No request has that id and access code. Check both and try again."),
        "unknown_step": _("unknown step '%(kind)s'; one of: %(kinds)s"),
        "wrong_status": _("This step is not possible for a request in its current status."),
        "not_appealable": _("Only a denial (in whole or in part) can be appealed, and only once."),
        "reason_unknown": _("Choose a reason from the list."),
        "extension_not_later": _("The date certain must be after the current due date (%(due)s)."),
        "outcome_unknown": _("Choose an outcome from the list."),
        "exemption_unknown": _("That exemption is not in the catalogue."),
        "exemption_missing": _("A denial must cite at least one exemption of §87(2)."),
        "exemption_not_withheld": _("A request fulfilled in full withholds nothing: cite no exemption."),
        "closing_reason": _("Choose a closing reason that fits: %(reasons)s."),
    })
    register_messages(FoilReadError, {
        "purpose": _("Say why you open the requester's details: one of %(purposes)s."),
    })
