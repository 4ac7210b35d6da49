"""The codes of the matching app in the label catalogue."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from cityid.ui.labels import register


def register_labels() -> None:
    from cityid.matching.models import AlertKind, AlertLevel, AlertStatus, CheckStatus, Decision

    register("match_alert_kind", AlertKind.choices)
    register("match_alert_level", AlertLevel.choices)
    register("match_alert_status", AlertStatus.choices)
    register("match_decision", Decision.choices)
    register("match_check", CheckStatus.choices)
    register("match_field", {
        "given_name": _("Given name"),
        "family_name": _("Family name"),
        "date_of_birth": _("Date of birth"),
        "address": _("Address"),
        "address_line1": _("Street address"),
        "city": _("City"),
        "postcode": _("ZIP code"),
        "document_number": _("Document number"),
        "documents": _("Documents"),
    })
    register("match_level", {  # the model's comparison levels (cityid/matching/scorer.py LEVELS)
        "null": _("Missing on one side"),
        "exact": _("Exactly the same"),
        "nickname": _("A nickname of the other"),
        "transposed": _("Given and family names swapped"),
        "jaro_winkler_0.90": _("Very similar address"),
        "one_edit": _("A document number one character apart"),
        "jaro_winkler_0.92": _("Very similar spelling"),
        "jaro_winkler_0.80": _("Similar spelling"),
        "phonetic": _("Sounds the same"),
        "one_part": _("One part of the name the same"),
        "day_month_swapped": _("Day and month swapped"),
        "one_digit": _("One digit different"),
        "same_year": _("Same year only"),
        "tokens_0.6": _("Mostly the same words"),
        "postcode": _("Same ZIP code only"),
        "shared": _("A document number in common"),
        "same": _("The same"),
        "else": _("Different"),
    })
    register("match_evidence", {
        "candidates": _("Possible duplicates"),
        "others": _("Other applicants with this document number"),
        "applicants": _("Applicants at this address in the window"),
        "days": _("Window (days)"),
        "approvals": _("Approvals in the window"),
        "peer_median": _("Median of other approvers"),
        "peers": _("Other approvers"),
    })
    register("audit_action", {
        "match.alert": _("Duplicate or fraud alert opened"),
        "match.decide": _("Fraud analyst's decision"),
        "match.submission_check": _("Duplicate check before submitting"),
    })
