"""Per-client limits on the public FOIL portal, kept in Django's cache (shared by the web workers when the cache
is shared: Redis or the database cache in production; the local-memory default counts per process).

A client is its address as Django sees it (``REMOTE_ADDR``; behind a proxy, set it from the proxy's header in
the proxy's configuration): hashed with the secret key, so the cache holds no address. Each limit is a count in
a fixed window."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest
from django.utils.crypto import salted_hmac


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
    address = request.META.get("REMOTE_ADDR", "") or "unknown"
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
