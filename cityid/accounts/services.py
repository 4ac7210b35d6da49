"""Staff accounts: creation, roles, and the one authorisation check used everywhere."""

from __future__ import annotations

import base64
import secrets
from dataclasses import dataclass
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils.translation import gettext_lazy
from django_otp.plugins.otp_totp.models import TOTPDevice

from cityid.accounts.policy import OPERATOR, ROLES, PermissionDenied, allowed
from cityid.audit.services import record_event


@dataclass(frozen=True)
class NewAuthenticator:
    totp_secret: str
    totp_uri: str


@dataclass(frozen=True)
class NewStaff:
    user: Any
    one_time_password: str
    totp_secret: str
    totp_uri: str


def role_of(actor: Any) -> str | None:
    """The role the policy sees: ``operator`` for the host (``None``), else the user's role."""
    if actor is None:
        return OPERATOR
    if not getattr(actor, "is_authenticated", False) or not getattr(actor, "is_active", False):
        return None
    return actor.role


def authorize(actor: Any, action: str, *, target: str = "") -> None:
    """Raise PermissionDenied (and log the refusal) unless the actor's role allows the action."""
    if not allowed(role_of(actor), action):
        record_event(actor=actor, action="access.denied", target=target, purpose=action, outcome="denied")
        raise PermissionDenied(f"role {role_of(actor) or 'none'!r} may not {action}")


def create_staff(*, username: str, role: str, created_by: Any = None) -> NewStaff:
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}; one of: {', '.join(ROLES)}")
    User = get_user_model()
    if User.objects.filter(username=username).exists():
        raise ValueError(f"a staff account named {username!r} already exists")
    password = _one_time_password()
    with transaction.atomic():
        user = User.objects.create_user(username=username, password=password, role=role)
        authenticator = _new_authenticator(user)
        record_event(actor=created_by, action="staff.create", target=f"staff:{user.pk}", purpose=role)
        record_event(actor=created_by, action="mfa.enrol", target=f"staff:{user.pk}")
    return NewStaff(user, password, authenticator.totp_secret, authenticator.totp_uri)


def _one_time_password() -> str:
    return secrets.token_urlsafe(12)


def _new_authenticator(user: Any) -> NewAuthenticator:
    """A new TOTP device for ``user`` (any old one removed): its secret and otpauth URI, shown once."""
    TOTPDevice.objects.filter(user=user).delete()
    device = TOTPDevice.objects.create(user=user, name="authenticator", confirmed=True)
    return NewAuthenticator(base64.b32encode(device.bin_key).decode().rstrip("="), device.config_url)


def change_role(*, user: Any, role: str, changed_by: Any) -> None:
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}")
    with transaction.atomic():
        user.role = role
        user.save(update_fields=["role"])
        record_event(actor=changed_by, action="staff.role_change", target=f"staff:{user.pk}", purpose=role)


def resolve_command_actor(username: str | None) -> Any:
    """The staff user named by ``--actor`` (or CITYID_ACTOR); ``None`` means the host operator."""
    import os

    username = username or os.environ.get("CITYID_ACTOR") or None
    if username is None:
        return None
    User = get_user_model()
    try:
        user = User.objects.get(username=username, is_active=True)
    except User.DoesNotExist:
        raise PermissionDenied(f"no active staff account {username!r}") from None
    return user


# --- leavers, returners and lost authenticators --------------------------------------------

#: Why an account is deactivated: a code, stored as the audit event's purpose (never free text).
DEACTIVATION_REASONS: dict[str, Any] = {
    "left": gettext_lazy("Left the program"),
    "transfer": gettext_lazy("Moved to another unit"),
    "leave": gettext_lazy("Extended leave"),
    "security": gettext_lazy("Security concern"),
    "other": gettext_lazy("Other reason"),
}

_REFUSALS: dict[str, Any] = {
    "self": gettext_lazy("You cannot deactivate your own account."),
    "last_admin": gettext_lazy("This is the last active administrator: make another administrator first."),
    "last_admin_role": gettext_lazy(
        "This is the last active administrator: make another administrator before changing this role."),
    "inactive": gettext_lazy("This account is already deactivated."),
    "active": gettext_lazy("This account is already active."),
    "reason": gettext_lazy("Choose a reason from the list."),
    "role": gettext_lazy("Choose a role from the list."),
    "deactivated": gettext_lazy("This account is deactivated: reactivate it first."),
    "site": gettext_lazy("A site is a short code of letters, digits, '-' and '_' (at most 32)."),
}


class StaffRefused(ValueError):
    """A staff change the rules refuse; ``str()`` is the message in the active language."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code

    def __str__(self) -> str:
        return str(_REFUSALS[self.code])


def _lock_active_admins(User: Any) -> list[int]:
    """The ids of the active administrators, locked until the transaction ends (PostgreSQL)."""
    return list(User.objects.select_for_update().filter(role="admin", is_active=True)
                .order_by("pk").values_list("pk", flat=True))


def end_sessions(user: Any) -> int:
    """Delete every stored session signed in as ``user``; the number deleted."""
    from importlib import import_module

    from django.conf import settings
    from django.utils import timezone

    store = import_module(settings.SESSION_ENGINE).SessionStore
    if not hasattr(store, "get_model_class"):  # cookie or cache sessions: nothing stored to delete
        return 0
    Session = store.get_model_class()
    wanted = str(user.pk)
    keys = [
        session.session_key
        for session in Session.objects.filter(expire_date__gt=timezone.now()).iterator()
        if str(store().decode(session.session_data).get("_auth_user_id", "")) == wanted
    ]
    for key in keys:  # through the store, so a cached_db engine forgets its cached copy too
        store(session_key=key).delete()
    return len(keys)


def set_role(user: Any, *, role: str, by: Any) -> None:
    """Change a role (``staff.manage``), keeping at least one active administrator."""
    authorize(by, "staff.manage", target=f"staff:{user.pk}")
    if role not in ROLES:
        raise StaffRefused("role")
    if role == user.role:
        return
    with transaction.atomic():
        if user.role == "admin" and user.is_active and _lock_active_admins(get_user_model()) == [user.pk]:
            raise StaffRefused("last_admin_role")
        change_role(user=user, role=role, changed_by=by)


def deactivate_staff(user: Any, *, by: Any, reason: str) -> int:
    """Deactivate a leaver's account and end their sessions; the number of sessions ended."""
    authorize(by, "staff.manage", target=f"staff:{user.pk}")
    if reason not in DEACTIVATION_REASONS:
        raise StaffRefused("reason")
    if by is not None and by.pk == user.pk:
        raise StaffRefused("self")
    User = get_user_model()
    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=user.pk)
        if not locked.is_active:
            raise StaffRefused("inactive")
        if locked.role == "admin" and _lock_active_admins(User) == [user.pk]:
            raise StaffRefused("last_admin")
        User.objects.filter(pk=user.pk).update(is_active=False)
        user.is_active = False
        ended = end_sessions(user)
        record_event(actor=by, action="staff.deactivate", target=f"staff:{user.pk}", purpose=reason)
    return ended


def reactivate_staff(user: Any, *, by: Any) -> str:
    """Reactivate an account with a new one-time password (returned), to be changed at sign-in."""
    authorize(by, "staff.manage", target=f"staff:{user.pk}")
    User = get_user_model()
    password = _one_time_password()
    with transaction.atomic():
        if User.objects.select_for_update().get(pk=user.pk).is_active:
            raise StaffRefused("active")
        user.set_password(password)
        user.is_active = True
        user.must_change_password = True
        user.save(update_fields=["password", "is_active", "must_change_password"])
        record_event(actor=by, action="staff.reactivate", target=f"staff:{user.pk}", purpose=user.role)
    return password


def reset_mfa(user: Any, *, by: Any) -> NewAuthenticator:
    """Replace a staff member's authenticator: the old device stops working at once."""
    authorize(by, "staff.manage", target=f"staff:{user.pk}")
    if not user.is_active:
        raise StaffRefused("deactivated")
    with transaction.atomic():
        authenticator = _new_authenticator(user)
        record_event(actor=by, action="mfa.enrol", target=f"staff:{user.pk}", purpose="reset")
    return authenticator


def set_site(user: Any, *, site: str, by: Any) -> None:
    """Set the enrollment center a staff member works at (``staff.manage``; audited with the site code).

    A site is a short code (letters, digits, ``-`` and ``_``); an empty one removes the site. Cases assigned to
    a site's queue are open to its staff (``cityid.enrollment``).
    """
    import re

    authorize(by, "staff.manage", target=f"staff:{user.pk}")
    site = (site or "").strip()
    if site and not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_-]{0,31}", site):
        raise StaffRefused("site")
    with transaction.atomic():
        user.site = site
        user.save(update_fields=["site"])
        record_event(actor=by, action="staff.site", target=f"staff:{user.pk}", purpose=f"site:{site}")
