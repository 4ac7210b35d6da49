"""What django-axes keeps of a failed sign-in: nothing that helps whoever copies its tables.

``AccessAttempt`` rows count failures per user name (and client) to lock an account. Out of the box they
also keep the request's query string and form: a TOTP code, a password typed into the user name field,
the CSRF token. Here the form and query string are blanked before every save, and the user name axes
counts by is a keyed hash (the provider's ``accounts`` key), so a copy of the table shows neither who
tried nor what they typed. The client address and user agent stay: they are what per-client limits use.
Successful sign-ins are not logged by axes at all (``AXES_DISABLE_ACCESS_LOG``): the audit log has them.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db.models.signals import pre_save
from django.dispatch import receiver

from cityid.accounts.sessions import accounts_digest


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
    return "h:" + accounts_digest("lockout", str(username).strip().casefold())


def blank_request_data(sender: Any, instance: Any, **kwargs: Any) -> None:
    """Before an ``AccessAttempt`` is saved: keep no query string and no form data."""
    instance.get_data = ""
    instance.post_data = ""


def connect() -> None:
    from axes.models import AccessAttempt

    receiver(pre_save, sender=AccessAttempt, dispatch_uid="cityid.accounts.lockout")(blank_request_data)
