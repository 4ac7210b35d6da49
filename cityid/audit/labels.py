"""The audit log's own actions in the label catalogue."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from cityid.ui.labels import register


def register_labels() -> None:
    register("audit_action", {
        "audit.verify": _("Audit log verified"),
        "keys.rotate": _("Signing key rotated"),
    })
    register("audit_outcome", {"ok": _("Done"), "denied": _("Refused"), "failed": _("Failed")})
