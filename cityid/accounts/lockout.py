"""Sign-in limits: per username *from one client*, and per client across usernames.

django-axes counts failures for each lockout parameter of ``AXES_LOCKOUT_PARAMETERS``:
``[["username", "ip_address"], "ip_address"]``. The first locks a username only for the address that
failed, so an attacker who fails five times as "supervisor1" does not lock the supervisor out of
their own desk. The second is the total from one address over every username (password spraying),
with its own, higher limit (``CITYID_LOCKOUT_CLIENT_FAILURES``): the clerks of one enrollment center
sign in from one address, and one clerk's typos must not lock the others out.

What django-axes keeps of a failed sign-in: nothing that helps whoever copies its tables.

``AccessAttempt`` rows count failures per user name (and client) to lock an account. Out of the box they
also keep the request's query string and form: a TOTP code, a password typed into the user name field,
the CSRF token. Here the form and query string are blanked before every save, and the user name axes
counts by is a keyed hash (the provider's ``accounts`` key), so a copy of the table shows neither who
tried nor what they typed. The client address and user agent stay: they are what per-client limits use.
Successful sign-ins are not logged by axes at all (``AXES_DISABLE_ACCESS_LOG``): the audit log has them.
"""

from __future__ import annotations

import ipaddress
from typing import Any

from axes.handlers.database import AxesDatabaseHandler
from django.conf import settings
from django.db.models import Sum
from django.db.models.signals import pre_save
from django.dispatch import receiver
from django.http import HttpRequest

from cityid.accounts.sessions import accounts_digest


def client_ip(request: HttpRequest) -> str | None:
    """The client's address: the one the nearest trusted proxy saw (``CITYID_PROXY_COUNT`` proxies
    append to X-Forwarded-For), else REMOTE_ADDR.

    Addresses further left in X-Forwarded-For are whatever the client wrote there, so they are
    never used; the proxy count is the deployment's promise that cityid is reachable only through
    that many proxies (README, "Production").
    """
    remote = request.META.get("REMOTE_ADDR")
    hops = settings.CITYID_PROXY_COUNT
    if hops <= 0:
        return remote
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
    if len(forwarded) < hops:
        return remote
    candidate = forwarded[-hops]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return remote


class LockoutHandler(AxesDatabaseHandler):
    """axes' database handler with one limit per lockout parameter instead of one for all."""

    def get_failures(self, request, credentials: dict | None = None) -> int:
        totals = [
            attempts.aggregate(total=Sum("failures_since_start"))["total"] or 0
            for attempts in self.get_user_attempts(request, credentials)
        ]
        per_user_client, per_client = totals[0], totals[-1]  # the order of AXES_LOCKOUT_PARAMETERS
        if per_client >= settings.CITYID_LOCKOUT_CLIENT_FAILURES:
            return max(per_user_client, settings.AXES_FAILURE_LIMIT)
        return per_user_client

    def reset_user_attempts(self, request: HttpRequest, credentials: dict | None = None) -> int:
        """After a successful sign-in: forget only this user name's failures from this client. axes would
        also delete every failure from the address (the per-client parameter), so a colleague signing in at
        the same enrollment center would lift someone else's lockout and wipe a spraying count."""
        attempts = self.filter_user_attempts(request, credentials)
        if not attempts:
            return 0
        deleted, _ = attempts[0].delete()  # the order of AXES_LOCKOUT_PARAMETERS: [username, ip] first
        return deleted


def lockout_username(request: Any, credentials: dict[str, Any] | None = None) -> str | None:
    """``AXES_USERNAME_CALLABLE``: the keyed hash of the user name signed in with (case-insensitive, as
    user names are looked up), or None when none was given."""
    field = settings.AXES_USERNAME_FORM_FIELD
    if credentials:
        username = credentials.get(field)
    else:
        username = getattr(request, "data", None) or getattr(request, "POST", {})
        username = username.get(field) if hasattr(username, "get") else None
    if not username:
        return None
    return _lock_key(str(username))


def blank_request_data(sender: Any, instance: Any, **kwargs: Any) -> None:
    """Before an ``AccessAttempt`` is saved: keep no query string and no form data."""
    instance.get_data = ""
    instance.post_data = ""


def connect() -> None:
    from axes.models import AccessAttempt

    receiver(pre_save, sender=AccessAttempt, dispatch_uid="cityid.accounts.lockout")(blank_request_data)


def _lock_key(username: str) -> str:
    return "h:" + accounts_digest("lockout", str(username).strip().casefold())


def locked_usernames(usernames: list[str]) -> set[str]:
    """Which of these user names are locked out now (from at least one client address)."""
    from axes.models import AccessAttempt
    from django.utils import timezone

    keys = {_lock_key(name): name for name in usernames}
    if not keys:
        return set()
    recent = timezone.now() - settings.AXES_COOLOFF_TIME
    hits = AccessAttempt.objects.filter(username__in=keys, failures_since_start__gte=settings.AXES_FAILURE_LIMIT,
                                        attempt_time__gte=recent).values_list("username", flat=True)
    return {keys[key] for key in hits}


def clear_failures(username: str) -> int:
    """Forget the failed sign-ins counted against this user name (every client): the lock is lifted."""
    from axes.models import AccessAttempt

    deleted, _ = AccessAttempt.objects.filter(username=_lock_key(username)).delete()
    return deleted
