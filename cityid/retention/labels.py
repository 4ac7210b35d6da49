"""The codes of the retention app in the label catalogue."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from cityid.ui.labels import register


def register_labels() -> None:
    from cityid.retention.models import CohortState, RunStatus, Trigger

    register("retention_trigger", Trigger.choices)
    register("run_status", RunStatus.choices)
    register("cohort_state", CohortState.choices)
    register("audit_action", {
        "retention.schedule": _("Retention schedule changed"),
        "hold.place": _("Legal hold placed"),
        "hold.release": _("Legal hold released"),
        "hold.read": _("Legal hold viewed"),
        "disposition.request": _("Disposition requested"),
        "disposition.withdraw": _("Disposition request withdrawn"),
        "disposition.approve": _("Disposition approved"),
        "disposition.destroy_key": _("Record key destroyed"),
        "disposition.certificate": _("Destruction certificate signed"),
    })
