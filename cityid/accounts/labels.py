"""The codes of the accounts app in the label catalogue (roles, staff changes, its audit actions)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from cityid.ui.labels import register


def register_labels() -> None:
    from cityid.accounts.models import ChangeKind, ChangeStatus, EnrolmentPurpose, PartnerKeyStatus
    from cityid.accounts.policy import OPERATOR, ROLES

    register("role", {**ROLES, OPERATOR: _("Host operator")})
    register("change_kind", ChangeKind.choices)
    register("change_status", ChangeStatus.choices)
    register("enrolment_purpose", EnrolmentPurpose.choices)
    register("partner_key_status", PartnerKeyStatus.choices)
    register("audit_action", {
        "access.denied": _("Access refused"),
        "login.success": _("Signed in"),
        "login.failure": _("Sign-in failed"),
        "logout": _("Signed out"),
        "password.change": _("Password changed"),
        "mfa.enrol": _("Authenticator set up"),
        "mfa.reset": _("Authenticator replaced"),
        "staff.create": _("Staff account created"),
        "staff.role_change": _("Role changed"),
        "staff.deactivate": _("Account deactivated"),
        "staff.reactivate": _("Account reactivated"),
        "staff.email_change": _("Email address changed"),
        "staff.link_resend": _("Set-up link sent again"),
        "staff.site": _("Site changed"),
        "staff.unlock": _("Account unlocked"),
        "staff.change_request": _("Staff change requested"),
        "staff.change_approve": _("Staff change approved"),
        "staff.change_withdraw": _("Staff change withdrawn"),
        "staff.change_expire": _("Staff change expired"),
        "partner.key_request": _("Partner key requested"),
        "partner.key_create": _("Partner key made"),
        "partner.key_withdraw": _("Partner key request withdrawn"),
        "partner.key_expire": _("Partner key request expired"),
        "partner.key_revoke": _("Partner key revoked"),
    })
