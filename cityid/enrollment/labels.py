"""The codes of the enrollment app in the label catalogue."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from cityid.ui.labels import register


def register_labels() -> None:
    from cityid.enrollment.forms import LANGUAGE_LABELS
    from cityid.enrollment.models import (
        AddressKind,
        ApplicationStatus,
        ApplicationType,
        Borough,
        ClosedCaseReason,
        DenialReason,
        ReadWindow,
    )

    register("language", LANGUAGE_LABELS)
    register("application_type", ApplicationType.choices)
    register("application_status", ApplicationStatus.choices)
    register("denial_reason", DenialReason.choices)
    register("closed_case_reason", ClosedCaseReason.choices)
    register("address_kind", AddressKind.choices)
    register("borough", [(value, name) for value, name in Borough.choices if value])
    register("read_window", ReadWindow.choices)
    register("audit_action", {
        "application.submitted": _("Application submitted"),
        "application.approve": _("Application approved"),
        "application.deny": _("Application denied"),
        "case.assign": _("Case assigned"),
        "access.reason": _("Reason recorded to open a closed case"),
        "access.read_alert": _("Read-rate alert"),
        "access.read_alerts": _("Read alerts viewed"),
        "personal.read": _("Personal data read"),
        "personal.read_photo": _("Photo viewed"),
        "personal.read_scan": _("Document scan viewed"),
        "personal.search": _("Applicant search"),
        "personal.read_names": _("Names shown in a queue"),
        "personal.decrypt": _("Personal data decrypted"),
        "purpose.list": _("Reasons to open listed"),
        "subject.export": _("Subject-access export"),
        "enrollment.import": _("Applications imported"),
        "enrollment.submit": _("Application submitted"),
    })
