"""Staff accounts: creation, roles, and the one authorisation check used everywhere."""

from __future__ import annotations

import hashlib
import logging
import os
import secrets
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, TypeGuard

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import F
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy

from cityid.accounts.models import (
    ChangeKind,
    ChangeRequest,
    ChangeStatus,
    EnrolmentLink,
    EnrolmentPurpose,
    PartnerKey,
    PartnerKeyStatus,
    TOTPDevice,
    User,
)
from cityid.accounts.policy import OPERATOR, PRIVILEGED_ROLES, ROLES, PermissionDenied, allowed, roles_for
from cityid.accounts.selectors import account_of, credential_issuers
from cityid.audit.services import record_event
from cityid.core.actors import Actor
from cityid.core.errors import CityidError


@dataclass(frozen=True)
class NewStaff:
    """A new account. ``enrolment_url`` is set only for the host operator, who may print it once;
    when an administrator asked, the link went by email to the staff member and is ``None`` here."""

    user: User
    enrolment_url: str | None


def role_of(actor: Actor | None) -> str | None:
    """The role the policy sees: ``operator`` for the host (``None``), else the user's role."""
    if actor is None:
        return OPERATOR
    if not getattr(actor, "is_authenticated", False) or not getattr(actor, "is_active", False):
        return None
    return actor.role


def authorize(actor: Actor | None, action: str, *, target: str = "") -> None:
    """Raise PermissionDenied (and log the refusal) unless the actor's role allows the action."""
    if not allowed(role_of(actor), action):
        record_event(actor=actor, action="access.denied", target=target, purpose=action, outcome="denied")
        raise PermissionDenied("role_may_not", role=role_of(actor) or "none", action=action)


def create_staff(*, username: str, role: str, email: str = "", created_by: Actor | None = None,
                 approved_by: Actor | None = None) -> NewStaff:
    """Create an account with no usable password and no authenticator, and issue its enrolment link.

    Low level: an administrator goes through ``add_staff`` (a second administrator approves a
    privileged role); ``created_by=None`` is the host operator (bootstrap, tests, the demo)."""
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}; one of: {', '.join(ROLES)}")
    User = get_user_model()
    if User.objects.filter(username__iexact=username).exists():
        raise ValueError(f"a staff account named {username!r} already exists")
    if created_by is not None and not email:
        raise StaffRefused("email")
    with transaction.atomic():
        user = User.objects.create_user(username=username, password=None, email=email, role=role,
                                        must_change_password=False, role_since=timezone.now())
        record_event(actor=created_by, action="staff.create", target=f"staff:{user.pk}", purpose=role)
        url = _issue_link(user, purpose=EnrolmentPurpose.CREATE, issued_by=created_by, approved_by=approved_by)
    return NewStaff(user, url)




def resolve_command_actor(username: str | None) -> User | None:
    """The staff user named by ``--actor`` (or CITYID_ACTOR); ``None`` means the host operator."""
    username = username or os.environ.get("CITYID_ACTOR") or None
    if username is None:
        return None
    User = get_user_model()
    try:
        user = User.objects.get(username=username, is_active=True)
    except User.DoesNotExist:
        raise PermissionDenied("no_staff_account", username=username) from None
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

#: An approver whose account the requester created, reactivated, reset or changed this recently is refused.
APPROVER_CREDENTIAL_DAYS = 30


class StaffRefused(CityidError, ValueError):
    """A staff change the rules refuse; ``str()`` is the message in the active language."""


def _lock_active_admins(User: type[User]) -> list[int]:
    """The ids of the active administrators, locked until the transaction ends (PostgreSQL)."""
    return list(User.objects.select_for_update().filter(role__in=roles_for("staff.approve_change"), is_active=True)
                .order_by("pk").values_list("pk", flat=True))


def end_sessions(user: User) -> int:
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
    if hasattr(store, "delete_stored"):  # rows keyed by a digest of the cookie's key (cityid.accounts.sessions)
        return store.delete_stored(keys)
    for key in keys:  # through the store, so a cached_db engine forgets its cached copy too
        store(session_key=key).delete()
    return len(keys)


def _check_email(email: str) -> None:
    from django.core.exceptions import ValidationError
    from django.core.validators import validate_email

    try:
        validate_email(email)
    except ValidationError:
        raise StaffRefused("email") from None


def _is_admin(actor: Actor | None) -> TypeGuard[Actor]:
    return actor is not None and allowed(role_of(actor), "staff.approve_change")


def add_staff(*, username: str, role: str, email: str, by: Actor | None) -> NewStaff | ChangeRequest:
    """A new account: made at once for an unprivileged role (its link emailed to ``email``), or a
    change request a second administrator approves for a privileged one (``PRIVILEGED_ROLES``)."""
    authorize(by, "staff.manage")
    if role not in ROLES:
        raise StaffRefused("role")
    if get_user_model().objects.filter(username__iexact=username).exists():
        raise StaffRefused("taken")
    if by is not None or email:
        _check_email(email)
    if _is_admin(by) and role in PRIVILEGED_ROLES:
        return request_change(kind=ChangeKind.CREATE, by=by, username=username, role=role, email=email)
    return create_staff(username=username, role=role, email=email, created_by=by)


def set_role(user: User, *, role: str, by: Actor | None) -> ChangeRequest | None:
    """Change a role (``staff.manage``), keeping at least one active administrator. Granting a
    privileged role needs a second administrator: the change request is returned instead."""
    authorize(by, "staff.manage", target=f"staff:{user.pk}")
    if role not in ROLES:
        raise StaffRefused("role")
    if role == user.role:
        return None
    if not user.is_active:
        raise StaffRefused("deactivated")
    User = get_user_model()
    admins = roles_for("staff.approve_change")
    if user.role in admins and list(User.objects.filter(role__in=admins, is_active=True).values_list("pk", flat=True)) \
            == [user.pk]:
        raise StaffRefused("last_admin_role")
    if _is_admin(by) and role in PRIVILEGED_ROLES:
        return request_change(kind=ChangeKind.ROLE, by=by, subject=user, role=role)
    _set_role_now(user, role=role, by=by)
    return None


def _set_role_now(user: User, *, role: str, by: Actor | None) -> None:
    """Set the role and the time it was granted (``set_role``, or an approved change request)."""
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}")
    with transaction.atomic():
        if allowed(user.role, "staff.approve_change") and user.is_active \
                and _lock_active_admins(get_user_model()) == [user.pk]:
            raise StaffRefused("last_admin_role")
        user.role = role
        user.role_since = timezone.now()
        user.save(update_fields=["role", "role_since"])
        record_event(actor=by, action="staff.role_change", target=f"staff:{user.pk}", purpose=role)


def deactivate_staff(user: User, *, by: Actor | None, reason: str) -> int:
    """Deactivate a leaver's account and end their sessions; the number of sessions ended.
    One administrator may do this alone: it takes access away, it gives none."""
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
        if allowed(locked.role, "staff.approve_change") and _lock_active_admins(User) == [user.pk]:
            raise StaffRefused("last_admin")
        User.objects.filter(pk=user.pk).update(is_active=False, deactivation_reason=reason)
        user.is_active = False
        user.deactivation_reason = reason
        ended = end_sessions(user)
        _expire_links(user)
        # The reason stays on the account row: the log says who deactivated whom, not why.
        record_event(actor=by, action="staff.deactivate", target=f"staff:{user.pk}")
    return ended


def reactivate_staff(user: User, *, by: Actor | None) -> ChangeRequest | str | None:
    """Reactivate an account: a change request when an administrator asks (a second one approves);
    done at once for the host operator, who gets the enrolment link (returned, printed once)."""
    authorize(by, "staff.manage", target=f"staff:{user.pk}")
    if user.is_active:
        raise StaffRefused("active")
    if by is not None:
        if not user.email:
            raise StaffRefused("email")
        return request_change(kind=ChangeKind.REACTIVATE, by=by, subject=user)
    return _reactivate_now(user, by=None, approved_by=None)


def _reactivate_now(user: User, *, by: Actor | None, approved_by: Actor | None) -> str | None:
    """The account becomes active with no password and no authenticator until its owner enrols
    through the link (emailed, or returned to the host operator)."""
    User = get_user_model()
    with transaction.atomic():
        if User.objects.select_for_update().get(pk=user.pk).is_active:
            raise StaffRefused("active")
        user.set_unusable_password()
        user.is_active = True
        user.must_change_password = False
        user.save(update_fields=["password", "is_active", "must_change_password"])
        TOTPDevice.objects.filter(user=user).delete()
        record_event(actor=by, action="staff.reactivate", target=f"staff:{user.pk}", purpose=user.role)
        return _issue_link(user, purpose=EnrolmentPurpose.REACTIVATE, issued_by=by, approved_by=approved_by)


def reset_mfa(user: User, *, by: Actor | None) -> ChangeRequest | str | None:
    """Replace a lost authenticator: a change request when an administrator asks; done at once for
    the host operator (the enrolment link returned). Done, the old device stops working at once."""
    authorize(by, "staff.manage", target=f"staff:{user.pk}")
    if not user.is_active:
        raise StaffRefused("deactivated")
    if by is not None:
        if not user.email:
            raise StaffRefused("email")
        return request_change(kind=ChangeKind.RESET_MFA, by=by, subject=user)
    return _reset_mfa_now(user, by=None, approved_by=None)


def _reset_mfa_now(user: User, *, by: Actor | None, approved_by: Actor | None) -> str | None:
    """Remove the authenticator and the password, end the sessions, and issue an enrolment link."""
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user).delete()
        user.set_unusable_password()
        user.save(update_fields=["password"])
        end_sessions(user)
        record_event(actor=by, action="mfa.reset", target=f"staff:{user.pk}")
        return _issue_link(user, purpose=EnrolmentPurpose.RESET, issued_by=by, approved_by=approved_by)


def change_email(user: User, *, email: str, by: Actor | None) -> ChangeRequest | None:
    """A new email address (where enrolment links go): a second administrator approves it."""
    authorize(by, "staff.manage", target=f"staff:{user.pk}")
    _check_email(email)
    if email.lower() == (user.email or "").lower():
        raise StaffRefused("same_email")
    if by is not None:
        return request_change(kind=ChangeKind.EMAIL, by=by, subject=user, email=email)
    _change_email_now(user, email=email, by=None)
    return None


def _change_email_now(user: User, *, email: str, by: Actor | None) -> None:
    with transaction.atomic():
        user.email = email
        user.save(update_fields=["email"])
        _expire_links(user)  # a link sent to the old address stops working
        record_event(actor=by, action="staff.email_change", target=f"staff:{user.pk}")


# --- changes that need a second administrator ----------------------------------------------

def request_change(*, kind: str, by: Actor, subject: User | None = None, username: str = "", role: str = "",
                   email: str = "") -> ChangeRequest:
    """The first administrator's half of a change; ``approve_change`` by another one does it."""
    authorize(by, "staff.manage", target=f"staff:{subject.pk}" if subject is not None else "")
    if kind == ChangeKind.CREATE and not email:
        raise StaffRefused("email")
    now = timezone.now()
    with transaction.atomic():
        pending = ChangeRequest.objects.select_for_update().filter(
            kind=kind, status=ChangeStatus.PENDING, expires_at__gt=now)
        pending = pending.filter(username__iexact=username) if subject is None else pending.filter(subject=subject)
        if pending.exists():
            raise StaffRefused("pending")
        change = ChangeRequest.objects.create(
            kind=kind, subject=subject, username=username, role=role, email=email, requested_by=account_of(by),
            requested_at=now, expires_at=now + timedelta(hours=settings.CITYID_CHANGE_REQUEST_HOURS),
        )
        record_event(actor=by, action="staff.change_request", target=f"change:{change.pk}",
                     purpose=_change_purpose(change))
    return change


def _change_purpose(change: ChangeRequest) -> str:
    """The audit purpose: the kind, the subject's pseudonymous id and the role code (no names)."""
    parts = [change.kind]
    if change.subject_id:
        parts.append(f"staff:{change.subject_id}")
    if change.role:
        parts.append(change.role)
    return " ".join(parts)


def _pending_change(request_id: int) -> ChangeRequest:
    try:
        change = ChangeRequest.objects.select_for_update().get(pk=request_id)
    except ChangeRequest.DoesNotExist:
        raise StaffRefused("no_request") from None
    if change.status != ChangeStatus.PENDING:
        raise StaffRefused("not_pending")
    return change


def approve_change(*, request_id: int, by: Actor | None) -> ChangeRequest:
    """A second, different, active administrator approves; the change is done in the same
    transaction. Refused for the requester, for the account the change is about, and when expired."""
    authorize(by, "staff.manage", target=f"change:{request_id}")
    if by is None or not allowed(role_of(by), "staff.approve_change"):
        raise PermissionDenied("approver_not_admin")
    with transaction.atomic():
        change = _pending_change(request_id)
        expired = change.expires_at <= timezone.now()
        if expired:  # recorded, then refused once the transaction has committed
            change.status = ChangeStatus.EXPIRED
            change.save(update_fields=["status"])
            record_event(actor=by, action="staff.change_expire", target=f"change:{change.pk}")
        else:
            _execute_change(change, by=by)
    if expired:
        raise StaffRefused("expired")
    return change


def _execute_change(change: ChangeRequest, *, by: Actor) -> None:
    if change.requested_by_id == by.pk:
        raise StaffRefused("own_request")
    if change.subject_id is not None and change.subject_id == by.pk:
        raise StaffRefused("own_account")
    if change.requested_by_id in credential_issuers(by.pk, since=timezone.now()
                                                    - timedelta(days=APPROVER_CREDENTIAL_DAYS)):
        raise StaffRefused("issued_by_requester")  # else one administrator approves with an account they made
    requester, subject = change.requested_by, change.subject
    if change.kind == ChangeKind.CREATE:
        if get_user_model().objects.filter(username__iexact=change.username).exists():
            raise StaffRefused("taken")
        change.subject = create_staff(username=change.username, role=change.role, email=change.email,
                                      created_by=requester, approved_by=by).user
    elif subject is None:  # only a create is about an account that does not exist yet
        raise ValueError(f"change {change.pk} names no account")
    elif change.kind == ChangeKind.ROLE:
        if not subject.is_active:
            raise StaffRefused("deactivated")
        _set_role_now(subject, role=change.role, by=by)
    elif change.kind == ChangeKind.REACTIVATE:
        _reactivate_now(subject, by=requester, approved_by=by)
    elif change.kind == ChangeKind.RESET_MFA:
        if not subject.is_active:
            raise StaffRefused("deactivated")
        _reset_mfa_now(subject, by=requester, approved_by=by)
    elif change.kind == ChangeKind.EMAIL:
        _change_email_now(subject, email=change.email, by=by)
    change.status, change.decided_by, change.decided_at = ChangeStatus.APPROVED, account_of(by), timezone.now()
    change.save(update_fields=["status", "decided_by", "decided_at", "subject"])
    record_event(actor=by, action="staff.change_approve", target=f"change:{change.pk}",
                 purpose=_change_purpose(change))


def withdraw_change(*, request_id: int, by: Actor | None) -> ChangeRequest:
    """Any administrator (the requester included) withdraws a change still waiting for approval."""
    authorize(by, "staff.manage", target=f"change:{request_id}")
    with transaction.atomic():
        change = _pending_change(request_id)
        change.status, change.decided_by, change.decided_at = ChangeStatus.WITHDRAWN, account_of(by), timezone.now()
        change.save(update_fields=["status", "decided_by", "decided_at"])
        record_event(actor=by, action="staff.change_withdraw", target=f"change:{change.pk}")
    return change


# --- enrolment links -----------------------------------------------------------------------

def token_hash(token: str) -> bytes:
    """What is stored of an enrolment token: its SHA-256 (the token is 256 random bits)."""
    return hashlib.sha256(token.encode()).digest()


def _expire_links(user: User) -> None:
    EnrolmentLink.objects.filter(user=user, used_at=None, expires_at__gt=timezone.now()) \
        .update(expires_at=timezone.now())


def enrolment_url(token: str) -> str:
    return settings.CITYID_BASE_URL.rstrip("/") + reverse("accounts:enrol_token", args=[token])


def _issue_link(user: User, *, purpose: str, issued_by: Actor | None, approved_by: Actor | None) -> str | None:
    """A new one-time enrolment link for ``user`` (older unused ones stop working). The token goes
    by email to the staff member when an administrator issued it; only the host operator
    (``issued_by=None``) gets it back, to print once."""
    token = secrets.token_urlsafe(32)
    now = timezone.now()
    _expire_links(user)
    EnrolmentLink.objects.create(
        user=user, purpose=purpose, token_hash=token_hash(token), created_at=now,
        expires_at=now + timedelta(hours=settings.CITYID_ENROLMENT_HOURS),
        issued_by=account_of(issued_by), approved_by=account_of(approved_by),
    )
    url = enrolment_url(token)
    if issued_by is None:
        return url
    if not user.email:
        raise StaffRefused("email")
    context = {"username": user.username, "url": url, "hours": settings.CITYID_ENROLMENT_HOURS}
    with translation.override(settings.LANGUAGE_CODE):
        subject = render_to_string("accounts/email/enrolment_subject.txt", context).strip()
        body = render_to_string("accounts/email/enrolment.txt", context)
    # Sent when the transaction commits: a rolled-back change sends nothing.
    transaction.on_commit(lambda: _send(subject, body, user.email, staff_id=user.pk))
    return None


def _send(subject: str, body: str, address: str, *, staff_id: int) -> None:
    """Send an enrolment email; a mail server that fails is logged (by staff id), not a crash: the
    change is done, and ``cityid staff link`` or a new request issues a fresh link."""
    try:
        send_mail(subject, body, None, [address])
    except Exception:  # noqa: BLE001 - any transport error: SMTP, DNS, TLS, the file system
        logging.getLogger(__name__).warning("enrolment email for staff:%s could not be sent", staff_id)


def usable_link(token: str) -> EnrolmentLink | None:
    """The link this token opens, if it is unused, unexpired and its account active; else None."""
    if not token or len(token) > 128:
        return None
    link = EnrolmentLink.objects.select_related("user").filter(token_hash=token_hash(token)).first()
    if link is None or not link.usable or not link.user.is_active:
        return None
    return link


def link_by_id(link_id: Any) -> EnrolmentLink | None:
    """The link a session was given by ``usable_link``, if it is still usable."""
    try:
        link = EnrolmentLink.objects.select_related("user", "device").get(pk=int(link_id))
    except (EnrolmentLink.DoesNotExist, TypeError, ValueError):
        return None
    return link if link.usable and link.user.is_active else None


def enrolment_device(link: EnrolmentLink, *, fresh: bool = False) -> TOTPDevice:
    """The authenticator being enrolled through ``link``: a new random seed, sealed, unconfirmed.

    ``fresh``: a new seed even if the link has one, the earlier (unconfirmed) one deleted. Each opening
    of the link gets its own, so a second person who opens the same link never sees the seed that the
    owner enrols: the earlier page stops enrolling instead."""
    if fresh and link.device is not None:
        TOTPDevice.objects.filter(pk=link.device.pk, confirmed=False).delete()
        link.device = None
    if link.device is not None and link.device.user_id == link.user_id:
        return link.device
    with transaction.atomic():
        device = TOTPDevice(user=link.user, name="authenticator", confirmed=False)
        device.set_seed(os.urandom(20))
        device.save()
        EnrolmentLink.objects.filter(pk=link.pk).update(device=device)
        link.device = device
    return device


class EnrolmentFailed(CityidError, ValueError):
    """The code did not match (``code``), or the link is no longer usable (``link``)."""


def complete_enrolment(*, link_id: int, password: str, code: str, device_id: int | None = None) -> User:
    """Check a current code from the new authenticator; then set the password, make the new device
    the account's only one, and use the link up. The user, or ``EnrolmentFailed``. ``device_id``: the
    authenticator the enrolling page showed; refused when the link has been opened again since."""
    with transaction.atomic():
        link = EnrolmentLink.objects.select_for_update().filter(pk=link_id).first()
        if link is None or not link.usable or link.device_id is None:
            raise EnrolmentFailed("link")
        if device_id is not None and link.device_id != device_id:
            raise EnrolmentFailed("link")
        device = TOTPDevice.objects.select_for_update().get(pk=link.device_id)
        user = link.user
        if not user.is_active:
            raise EnrolmentFailed("link")
    # Verified outside the transaction above so that a wrong code's throttle increment is kept.
    if not device.verify_token(code):
        raise EnrolmentFailed("code")
    with transaction.atomic():
        link = EnrolmentLink.objects.select_for_update().get(pk=link_id)
        if not link.usable or link.device_id != device.pk:
            raise EnrolmentFailed("link")
        TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
        # One confirmation code says nothing about a skewed clock: the new device starts with none.
        TOTPDevice.objects.filter(pk=device.pk).update(confirmed=True, drift=0)
        user.set_password(password)
        user.must_change_password = False
        user.save(update_fields=["password", "must_change_password"])
        link.used_at = timezone.now()
        link.save(update_fields=["used_at"])
        # The holder of the link is not signed in: the actor is "public", the account the target.
        record_event(actor=AnonymousUser(), action="mfa.enrol", target=f"staff:{user.pk}", purpose=link.purpose)
    return user


def resend_link(user: User, *, by: Actor | None) -> None:
    """Email a fresh link to an active account that has never enrolled (the first one expired or
    was lost). One administrator may: it goes to the address already on the account, not to them."""
    authorize(by, "staff.manage", target=f"staff:{user.pk}")
    if not user.is_active:
        raise StaffRefused("deactivated")
    if user.has_usable_password() or EnrolmentLink.objects.filter(user=user).exclude(used_at=None).exists():
        raise StaffRefused("enrolled")
    if not user.email:
        raise StaffRefused("email")
    with transaction.atomic():
        _issue_link(user, purpose=EnrolmentPurpose.CREATE, issued_by=by, approved_by=None)
        record_event(actor=by, action="staff.link_resend", target=f"staff:{user.pk}")


def reissue_link(user: User) -> str:
    """A fresh enrolment link for the host operator (``cityid demo``, ``cityid staff add``) for an
    account that has not enrolled yet; the old one stops working."""
    with transaction.atomic():
        url = _issue_link(user, purpose=EnrolmentPurpose.CREATE, issued_by=None, approved_by=None)
    assert url is not None  # issued by the host operator: the link comes back instead of going by email
    return url


def count_unknown_sign_in_failure(*, day: date | None = None) -> None:
    """Add one to the day's tally of failed sign-ins that named no staff account (no audit entry)."""
    from cityid.accounts.models import UnknownSignInFailures

    day = day or timezone.localdate()
    with transaction.atomic():
        if UnknownSignInFailures.objects.filter(day=day).update(count=F("count") + 1):
            return
        try:
            with transaction.atomic():
                UnknownSignInFailures.objects.create(day=day, count=1)
        except IntegrityError:  # another request created the day's row first
            UnknownSignInFailures.objects.filter(day=day).update(count=F("count") + 1)


def set_site(user: User, *, site: str, by: Actor | None) -> None:
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


def unlock_staff(user: User, *, by: Actor | None) -> int:
    """Lift a sign-in lockout (django-axes) at once: the failed sign-ins counted against the account's user
    name are forgotten, from every client address. Audited when there was something to lift; the count."""
    from cityid.accounts.lockout import clear_failures

    authorize(by, "staff.manage", target=f"staff:{user.pk}")
    with transaction.atomic():
        cleared = clear_failures(user.get_username())
        if cleared:
            record_event(actor=by, action="staff.unlock", target=f"staff:{user.pk}")
    return cleared


# --- partner API keys ----------------------------------------------------------------------

class PartnerKeyRefused(CityidError, ValueError):
    """A partner-key change the rules refuse; ``str()`` is the message in the active language."""


@dataclass(frozen=True)
class PartnerKeyResult:
    """A partner key request or a new key. ``key`` is the key itself, set only when it has just been made:
    shown once (to the approving administrator, or printed to the host operator) and never stored."""

    partner: PartnerKey
    key: str | None


def _new_partner_key() -> tuple[str, str]:
    from cityid.accounts.selectors import PARTNER_KEY_START, PARTNER_PREFIX_LENGTH

    prefix = secrets.token_hex(PARTNER_PREFIX_LENGTH // 2)
    return prefix, f"{PARTNER_KEY_START}{prefix}_{secrets.token_urlsafe(32)}"


def _make_partner_key(partner: PartnerKey, *, approved_by: Actor | None) -> str:
    from cityid.accounts.selectors import partner_key_hash

    prefix, key = _new_partner_key()
    partner.prefix, partner.key_hash = prefix, partner_key_hash(key)
    partner.status, partner.activated_at = PartnerKeyStatus.ACTIVE, timezone.now()
    partner.approved_by = account_of(approved_by)
    partner.save(update_fields=["prefix", "key_hash", "status", "activated_at", "approved_by"])
    record_event(actor=approved_by, action="partner.key_create", target=partner.ref)
    return key


def add_partner_key(*, name: str, by: Actor | None) -> PartnerKeyResult:
    """A key for a partner: a request a second administrator approves when an administrator asks (a key grants
    access to card statuses), made at once for the host operator, who gets the key back to print once."""
    authorize(by, "partners.manage")
    name = " ".join((name or "").split())
    if not name or len(name) > 120:
        raise PartnerKeyRefused("name")
    now = timezone.now()
    with transaction.atomic():
        if PartnerKey.objects.filter(name__iexact=name, status=PartnerKeyStatus.PENDING, expires_at__gt=now).exists():
            raise PartnerKeyRefused("pending")
        partner = PartnerKey.objects.create(
            name=name, requested_by=account_of(by), requested_at=now,
            expires_at=now + timedelta(hours=settings.CITYID_CHANGE_REQUEST_HOURS),
        )
        record_event(actor=by, action="partner.key_request", target=partner.ref)
        if by is None:
            return PartnerKeyResult(partner, _make_partner_key(partner, approved_by=None))
    return PartnerKeyResult(partner, None)


def _pending_partner(key_id: int) -> PartnerKey:
    try:
        partner = PartnerKey.objects.select_for_update().get(pk=key_id)
    except PartnerKey.DoesNotExist:
        raise PartnerKeyRefused("no_key") from None
    if partner.status != PartnerKeyStatus.PENDING:
        raise PartnerKeyRefused("not_pending")
    return partner


def approve_partner_key(*, key_id: int, by: Actor | None) -> PartnerKeyResult:
    """A second, different, active administrator approves a partner key request: the key is made and returned
    (to be shown once). Refused for the requester, for an approver whose account the requester made or changed
    lately (as staff changes are), and once the request has expired."""
    authorize(by, "partners.manage", target=f"partner:{key_id}")
    if by is None or not allowed(role_of(by), "staff.approve_change"):
        raise PermissionDenied("approver_not_admin")
    with transaction.atomic():
        partner = _pending_partner(key_id)
        expired = partner.expires_at is not None and partner.expires_at <= timezone.now()
        if expired:  # recorded, then refused once the transaction has committed
            partner.status = PartnerKeyStatus.WITHDRAWN
            partner.save(update_fields=["status"])
            record_event(actor=by, action="partner.key_expire", target=partner.ref)
        else:
            if partner.requested_by_id == by.pk:
                raise PartnerKeyRefused("own_request")
            if partner.requested_by_id in credential_issuers(
                    by.pk, since=timezone.now() - timedelta(days=APPROVER_CREDENTIAL_DAYS)):
                raise PartnerKeyRefused("issued_by_requester")
            key = _make_partner_key(partner, approved_by=by)
    if expired:
        raise PartnerKeyRefused("expired")
    return PartnerKeyResult(partner, key)


def withdraw_partner_key(*, key_id: int, by: Actor | None) -> PartnerKey:
    """Any administrator (the requester included) withdraws a request still waiting for approval."""
    authorize(by, "partners.manage", target=f"partner:{key_id}")
    with transaction.atomic():
        partner = _pending_partner(key_id)
        partner.status = PartnerKeyStatus.WITHDRAWN
        partner.save(update_fields=["status"])
        record_event(actor=by, action="partner.key_withdraw", target=partner.ref)
    return partner


def revoke_partner_key(*, key_id: int, by: Actor | None) -> PartnerKey:
    """Revoke an active key at once: its next call is refused. One administrator may: it takes access away."""
    authorize(by, "partners.manage", target=f"partner:{key_id}")
    with transaction.atomic():
        partner = PartnerKey.objects.select_for_update().filter(pk=key_id).first()
        if partner is None:
            raise PartnerKeyRefused("no_key")
        if partner.status != PartnerKeyStatus.ACTIVE:
            raise PartnerKeyRefused("not_active")
        partner.status, partner.revoked_at, partner.revoked_by = (PartnerKeyStatus.REVOKED, timezone.now(),
                                                                  account_of(by))
        partner.save(update_fields=["status", "revoked_at", "revoked_by"])
        record_event(actor=by, action="partner.key_revoke", target=partner.ref)
    return partner


def note_partner_key_use(partner: PartnerKey) -> None:
    """Remember the day a key was last used (one write a day at most), so administrators see idle keys."""
    today = timezone.localdate()
    if partner.last_used_on != today:
        PartnerKey.objects.filter(pk=partner.pk).update(last_used_on=today)
        partner.last_used_on = today
