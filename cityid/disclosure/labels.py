"""The codes of the disclosure app (FOIL side) in the label catalogue."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from cityid.ui.labels import register


def register_labels() -> None:
    from cityid.disclosure.models import (
        AppealOutcome,
        ClosingReason,
        Exemption,
        ExtensionReason,
        FoilStatus,
        Outcome,
    )

    register("foil_status", FoilStatus.choices)
    register("foil_exemption", Exemption.choices)
    register("foil_outcome", Outcome.choices)
    register("foil_closing", ClosingReason.choices)
    register("foil_extension", ExtensionReason.choices)
    register("foil_appeal_outcome", AppealOutcome.choices)
    register("foil_flag", {"due_soon": _("Due soon"), "overdue": _("Overdue")})
    register("foil_event", {
        "receive": _("Received"),
        "acknowledge": _("Acknowledged"),
        "start": _("Work started"),
        "extend": _("Extended"),
        "determine": _("Determined"),
        "close": _("Closed"),
        "appeal": _("Appeal filed"),
        "decide_appeal": _("Appeal determined"),
    })
    register("audit_action", {
        "foil.receive": _("FOIL request received"),
        "foil.read": _("FOIL request read"),
        "foil.acknowledge": _("FOIL request acknowledged"),
        "foil.start": _("FOIL request in progress"),
        "foil.extend": _("FOIL request extended"),
        "foil.determine": _("FOIL request determined"),
        "foil.close": _("FOIL request closed"),
        "foil.appeal": _("FOIL appeal filed"),
        "foil.decide_appeal": _("FOIL appeal determined"),
        "foil.notice": _("FOIL notice sent"),
    })
