"""The words for the accounts app's error codes (registered in ``AccountsConfig.ready()``)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from cityid.accounts.policy import PermissionDenied
from cityid.accounts.services import EnrolmentFailed, PartnerKeyRefused, StaffRefused
from cityid.core.errors import register_messages


def register() -> None:
    register_messages(PermissionDenied, {
        "role_may_not": _("role '%(role)s' may not %(action)s"),
        "no_staff_account": _("no active staff account '%(username)s'"),
        "approver_not_admin": _("only an active administrator approves staff changes"),
    })
    register_messages(StaffRefused, {
        "self": _("You cannot deactivate your own account."),
        "last_admin": _("This is the last active administrator: make another administrator first."),
        "last_admin_role": _(
            "This is the last active administrator: make another administrator before changing this role."),
        "inactive": _("This account is already deactivated."),
        "active": _("This account is already active."),
        "reason": _("Choose a reason from the list."),
        "role": _("Choose a role from the list."),
        "deactivated": _("This account is deactivated: reactivate it first."),
        "email": _("Enter the staff member's email address: the enrolment link is sent there."),
        "same_email": _("This is already the account's email address."),
        "pending": _("A request for this change is already waiting for a second administrator."),
        "not_pending": _("This request is no longer waiting for approval."),
        "expired": _("This request has expired: ask again."),
        "own_request": _("You asked for this change: a different administrator must approve it."),
        "own_account": _("This change concerns your own account: another administrator must approve it."),
        "taken": _("A staff account with this username already exists."),
        "no_request": _("There is no such change request."),
        "enrolled": _("This account has enrolled already: ask to replace the authenticator instead."),
        "site": _("A site is a short code of letters, digits, '-' and '_' (at most 32)."),
        "issued_by_requester": _(
            "The administrator who asked for this change created, reactivated, reset or changed your account in the "
            "last 30 days: a different administrator must approve it."),
    })
    register_messages(EnrolmentFailed, {
        "code": _("This code is not correct. Check the time on your phone and enter the current code."),
        "link": _("An enrolment link works once and for a limited time. This one has expired, has been used already, "
                  "or is not a valid link."),
    })
    register_messages(PartnerKeyRefused, {
        "name": _("Enter the partner's name (at most 120 characters)."),
        "pending": _("A key for this partner is already waiting for a second administrator."),
        "no_key": _("There is no such partner key."),
        "not_pending": _("This partner key request is no longer waiting for approval."),
        "not_active": _("Only an active partner key can be revoked."),
        "expired": _("This partner key request has expired: ask again."),
        "own_request": _("You asked for this partner key: a different administrator must approve it."),
        "issued_by_requester": _(
            "The administrator who asked for this partner key created, reactivated, reset or changed your account "
            "in the last 30 days: a different administrator must approve it."),
    })
