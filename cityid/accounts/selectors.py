"""Reads of the accounts app for other apps (they never read its tables themselves)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import overload

from django.contrib.auth import get_user_model
from django.db.models import Q, QuerySet, Sum
from django.utils import timezone

from cityid.accounts.models import ChangeRequest, ChangeStatus, EnrolmentLink, PartnerKey, PartnerKeyStatus, User
from cityid.core.actors import Actor


@overload
def account_of(actor: Actor) -> User: ...
@overload
def account_of(actor: Actor | None) -> User | None: ...
def account_of(actor: Actor | None) -> User | None:
    """The staff account an actor is, for a foreign key to it (``None``: the host operator)."""
    if actor is None or isinstance(actor, User):
        return actor
    raise TypeError(f"an actor must be a staff account, not {type(actor).__name__}")


def role_since(user_id: int) -> datetime | None:
    """When the account's current role was granted (None for an unknown account)."""
    return get_user_model().objects.filter(pk=user_id).values_list("role_since", flat=True).first()


def credential_issuers(user_id: int, *, since: datetime) -> set[int]:
    """The staff ids who created, reactivated or reset the account ``user_id`` since ``since``: who
    issued one of its enrolment links, and who approved that; and who asked for or approved any other
    change to it since then (an email address changed to where the next link goes, a role granted).
    The host operator is not a staff id."""
    rows = list(EnrolmentLink.objects.filter(user_id=user_id, created_at__gte=since)
                .values_list("issued_by_id", "approved_by_id"))
    rows += ChangeRequest.objects.filter(subject_id=user_id, status=ChangeStatus.APPROVED, decided_at__gte=since) \
        .values_list("requested_by_id", "decided_by_id")
    return {staff_id for row in rows for staff_id in row if staff_id is not None}


def pending_changes(*, subject: User | None = None) -> QuerySet[ChangeRequest]:
    """Change requests still waiting for a second administrator (expired ones left out)."""
    changes = ChangeRequest.objects.filter(status=ChangeStatus.PENDING, expires_at__gt=timezone.now()) \
        .select_related("subject", "requested_by").order_by("requested_at", "pk")
    return changes if subject is None else changes.filter(subject=subject)


def change_subject_id(change_id: int) -> int | None:
    """The account a change request is about (None for an unknown request or a create not yet done)."""
    return ChangeRequest.objects.filter(pk=change_id).values_list("subject_id", flat=True).first()


def recent_changes(*, subject: User, limit: int = 10) -> list[ChangeRequest]:
    """The account's latest change requests, decided or not."""
    return list(ChangeRequest.objects.filter(Q(subject=subject)).select_related("requested_by", "decided_by")
                .order_by("-requested_at", "-pk")[:limit])


def has_authenticator(user: User) -> bool:
    return user.totpdevice_set.filter(confirmed=True).exists()


def never_enrolled(user: User) -> bool:
    """Active, and has never finished an enrolment (so a new link may be emailed by one administrator)."""
    return (user.is_active and not user.has_usable_password()
            and not EnrolmentLink.objects.filter(user=user).exclude(used_at=None).exists())



def is_staff_username(username: str) -> bool:
    """Whether a sign-in names an existing staff account (active or not), as authentication matches it."""
    return bool(username) and get_user_model().objects.filter(username=username).exists()


def unknown_sign_in_failures(*, today: date | None = None, days: int = 30) -> dict[str, int]:
    """Failed sign-ins naming no staff account: ``{"today": N, "period": M, "days": days}``."""
    from cityid.accounts.models import UnknownSignInFailures

    today = today or timezone.localdate()
    rows = UnknownSignInFailures.objects.filter(day__gt=today - timedelta(days=days), day__lte=today)
    return {
        "today": rows.filter(day=today).aggregate(n=Sum("count"))["n"] or 0,
        "period": rows.aggregate(n=Sum("count"))["n"] or 0,
        "days": days,
    }


def locked_out(usernames: list[str]) -> set[str]:
    """The user names among these that a sign-in lockout (too many failures) keeps out now."""
    from cityid.accounts.lockout import locked_usernames

    return locked_usernames(usernames)


# --- partner API keys ----------------------------------------------------------------------

#: A partner key reads ``cityid_<prefix>_<secret>``: the prefix finds the row, the whole key is checked.
PARTNER_KEY_START = "cityid_"
PARTNER_PREFIX_LENGTH = 12


def partner_key_hash(key: str) -> bytes:
    """What is stored of a partner key: its SHA-256 (the key holds 256 random bits)."""
    import hashlib

    return hashlib.sha256(key.encode()).digest()


def partner_for_key(key: str) -> PartnerKey | None:
    """The partner key row this presented key is (any status: the caller checks ``status``), or None.

    The row is found by the key's public prefix, then the SHA-256 of the whole key is compared in constant
    time: another partner's prefix with a guessed or borrowed secret, a stored hash sent as a key, or a key
    of the wrong shape finds nothing."""
    import hmac

    if not key or len(key) > 200 or not key.startswith(PARTNER_KEY_START):
        return None
    prefix, sep, secret = key[len(PARTNER_KEY_START):].partition("_")
    if not sep or len(prefix) != PARTNER_PREFIX_LENGTH or not secret:
        return None
    row = PartnerKey.objects.filter(prefix=prefix).exclude(key_hash=None).first()
    if row is None or not hmac.compare_digest(bytes(row.key_hash or b""), partner_key_hash(key)):
        return None
    return row


def partner_keys(*, status: str | None = None) -> QuerySet[PartnerKey]:
    """Partner keys, by name (pending requests that lapsed are shown as they are stored)."""
    keys = PartnerKey.objects.select_related("requested_by", "approved_by", "revoked_by")
    return keys.filter(status=status) if status else keys.order_by("name", "pk")


def pending_partner_keys() -> QuerySet[PartnerKey]:
    """Partner key requests still waiting for a second administrator (expired ones left out)."""
    return PartnerKey.objects.filter(status=PartnerKeyStatus.PENDING, expires_at__gt=timezone.now()) \
        .select_related("requested_by").order_by("requested_at", "pk")
