"""Per-client limits on the public FOIL portal, kept in Django's cache (shared by the web workers when the cache
is shared: Redis or the database cache in production; the local-memory default counts per process).

A client is its address as the sign-in limits see it (``accounts.lockout.client_ip``): behind the production
proxy (``CITYID_PROXY_COUNT``), the address the nearest proxy appended to X-Forwarded-For, not the proxy's own
``REMOTE_ADDR`` (which every requester shares: one of them would have refused everybody) nor an entry the client
wrote itself. Hashed with the secret key, so the cache holds no address. Each limit is a count in a fixed
window."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest
from django.utils.crypto import salted_hmac

from cityid.accounts.lockout import client_ip


@dataclass(frozen=True)
class Limit:
    name: str
    count: int
    seconds: int


def submissions() -> Limit:
    count, seconds = getattr(settings, "CITYID_FOIL_SUBMISSION_LIMIT", (5, 3600))
    return Limit("submit", int(count), int(seconds))


def lookups() -> Limit:
    count, seconds = getattr(settings, "CITYID_FOIL_LOOKUP_LIMIT", (20, 3600))
    return Limit("lookup", int(count), int(seconds))


def client_key(request: HttpRequest) -> str:
    address = client_ip(request) or "unknown"
    return salted_hmac("cityid.disclosure.throttle", address).hexdigest()[:32]


def hit(request: HttpRequest, limit: Limit) -> int | None:
    """Count one attempt; ``None`` if it is allowed, else the minutes to wait (at most the window)."""
    key = f"foil:{limit.name}:{client_key(request)}"
    cache.add(key, 0, timeout=limit.seconds)
    try:
        used = cache.incr(key)
    except ValueError:  # expired between the two calls: start a new window
        cache.set(key, 1, timeout=limit.seconds)
        used = 1
    if used > limit.count:
        return max(1, limit.seconds // 60)
    return None
