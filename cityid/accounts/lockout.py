"""Sign-in limits: per username *from one client*, and per client across usernames.

django-axes counts failures for each lockout parameter of ``AXES_LOCKOUT_PARAMETERS``:
``[["username", "ip_address"], "ip_address"]``. The first locks a username only for the address that
failed, so an attacker who fails five times as "supervisor1" does not lock the supervisor out of
their own desk. The second is the total from one address over every username (password spraying),
with its own, higher limit (``CITYID_LOCKOUT_CLIENT_FAILURES``): the clerks of one enrollment center
sign in from one address, and one clerk's typos must not lock the others out.
"""

from __future__ import annotations

import ipaddress

from axes.handlers.database import AxesDatabaseHandler
from django.conf import settings
from django.db.models import Sum
from django.http import HttpRequest


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
