"""Staff accounts: creation, roles, and the one authorisation check used everywhere."""

from __future__ import annotations

import base64
import secrets
from dataclasses import dataclass
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django_otp.plugins.otp_totp.models import TOTPDevice

from cityid.accounts.policy import OPERATOR, ROLES, PermissionDenied, allowed
from cityid.audit.services import record_event


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
    password = secrets.token_urlsafe(12)
    with transaction.atomic():
        user = User.objects.create_user(username=username, password=password, role=role)
        device = TOTPDevice.objects.create(user=user, name="authenticator", confirmed=True)
        record_event(actor=created_by, action="staff.create", target=f"staff:{user.pk}", purpose=role)
        record_event(actor=created_by, action="mfa.enrol", target=f"staff:{user.pk}")
    secret = base64.b32encode(device.bin_key).decode().rstrip("=")
    return NewStaff(user, password, secret, device.config_url)


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
