"""The words for matching's error codes (registered in ``MatchingConfig.ready()``)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from cityid.core.errors import register_messages


def register() -> None:
    from cityid.matching.services import MatcherUnavailable, MatchingRefused

    register_messages(MatchingRefused, {
        "queued": _("This application has not been checked for duplicates yet (the check was not available when "
                    "it was submitted). It can be approved once it is checked."),
        "held": _("A fraud analyst must review a possible duplicate or a reused document on this application "
                  "before it can be approved."),
        "found": _("A fraud analyst found this application to be a duplicate or fraud: it cannot be approved."),
        "closed": _("This alert is already decided: its records can no longer be opened through it."),
        "no_pair": _("This alert has no such comparison."),
        "decision": _("Choose one of the decisions offered for this alert."),
        "not_found": _("No alert has that id."),
    })
    register_messages(MatcherUnavailable, {"unavailable": _("The duplicate check is not available now.")})
