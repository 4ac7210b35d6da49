"""The reports app's codes in the label catalogue: table names and the cells of each table."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from cityid.ui.labels import register


def register_labels() -> None:
    from cityid.enrollment.forms import LANGUAGE_LABELS
    from cityid.reports.models import ReleaseMode
    from cityid.ui.labels import kinds

    not_recorded = _("Not recorded")
    register("stats_dimension", {
        "month": _("Month issued"), "borough": _("Borough"), "language": _("Preferred language"),
        "age_band": _("Age at issue"), "application_type": _("Application type"), "decision": _("Decisions"),
    })
    register("stats_borough", {**kinds().get("borough", {}), "not_recorded": not_recorded})
    register("stats_age_band", {
        "under_18": _("Under 18"), "18_24": _("18 to 24"), "25_34": _("25 to 34"), "35_44": _("35 to 44"),
        "45_54": _("45 to 54"), "55_64": _("55 to 64"), "65_plus": _("65 and over"),
    })
    register("stats_language", {**LANGUAGE_LABELS, "not_recorded": not_recorded})
    register("stats_decision", {"approved": _("Approved"), "denied": _("Denied")})
    register("release_mode", ReleaseMode.choices)
    register("audit_action", {
        "report.publish": _("Statistics published"),
        "report.budget": _("Privacy-loss budget set"),
        "report.transparency": _("Transparency report built"),
    })

