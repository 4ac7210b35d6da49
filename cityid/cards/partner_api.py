"""The partner JSON API: a card number's status for a partner holding an API key (DESIGN.md §9).

``POST /api/partner/v1/card-status`` with ``Authorization: Bearer <key>`` and ``{"number": "..."}`` answers
``{"status": "active" | "suspended" | "revoked" | "unknown"}`` and nothing else. The number travels in the
body, never in the URL (URLs reach access logs); the key only in the header. Keys belong to ``accounts``
(hashed at rest, shown once, revocable). Each partner (all its keys together) has a per-minute and a per-day
limit counted in Django's cache. Every answered call is one audit entry naming the key (``partner:<id>``), the
card's pseudonymous id (``card:<id>``, empty for ``unknown``) and the answer, never the number; over the limit,
the first refusal of a window is recorded. The OpenAPI 3 document is at ``/api/partner/v1/openapi.json``.
"""

from __future__ import annotations

import hashlib
import json

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from cityid.accounts.selectors import partner_for_key
from cityid.accounts.services import note_partner_key_use
from cityid.audit.services import record_event
from cityid.cards.openapi import openapi_document
from cityid.cards.selectors import partner_card_status

ACTION = "partner.card_status"
MAX_BODY = 1024


def _answer(body: dict, status: int = 200, **headers: str) -> JsonResponse:
    response = JsonResponse(body, status=status)
    response["Cache-Control"] = "no-store"
    for name, value in headers.items():
        response[name.replace("_", "-")] = value
    return response


def _unauthorised() -> JsonResponse:
    """The same answer for no key, a malformed, unknown or revoked key: a caller learns nothing of keys."""
    return _answer({"error": "unauthorized"}, 401, WWW_Authenticate='Bearer realm="cityid-partner"')


def _bearer(request: HttpRequest) -> str:
    scheme, _sep, key = (request.headers.get("Authorization") or "").strip().partition(" ")
    return key.strip() if scheme.lower() == "bearer" else ""


def _budget(partner_name: str) -> str:
    """Whose calls a limit counts: the partner's (its name, as administrators see it: case and spacing aside), not
    one key's. A partner holds two keys while it rotates (the new one made, the old not yet revoked) and may ask for
    another at any time; counted per key, each new key would bring a fresh minute's and day's budget for
    enumerating card numbers."""
    name = " ".join(partner_name.split()).casefold()
    return hashlib.sha256(name.encode()).hexdigest()[:32]


def _count(budget: str, *, seconds: int) -> int:
    """Calls counted against this budget in the current window (which starts at its first call and lasts
    ``seconds``)."""
    name = f"cityid:partner-calls:{budget}:{seconds}"
    cache.add(name, 0, timeout=seconds)
    try:
        return cache.incr(name)
    except ValueError:  # expired between add and incr
        cache.set(name, 1, timeout=seconds)
        return 1


def _over_limit(partner_name: str) -> tuple[int, int] | None:
    """``(seconds, count)`` of the first window this call goes past, else None."""
    budget = _budget(partner_name)
    for seconds, limit in ((60, settings.CITYID_PARTNER_CALLS_PER_MINUTE),
                           (86400, settings.CITYID_PARTNER_CALLS_PER_DAY)):
        count = _count(budget, seconds=seconds)
        if count > limit:
            return seconds, count - limit
    return None


def _audit(partner_ref: str, *, target: str = "", purpose: str = "", outcome: str) -> None:
    record_event(actor=AnonymousUser(), actor_id=partner_ref, action=ACTION, target=target, purpose=purpose,
                 outcome=outcome)


@csrf_exempt
@never_cache
@require_POST
def card_status(request: HttpRequest) -> HttpResponse:
    partner = partner_for_key(_bearer(request))
    if partner is None:
        return _unauthorised()
    if not partner.active:  # a revoked key still in use: worth an auditor's eye
        _audit(partner.ref, purpose="key_revoked", outcome="denied")
        return _unauthorised()
    over = _over_limit(partner.name)
    if over is not None:
        seconds, past = over
        if past == 1:  # the first refusal of the window is recorded; the rest are not (a flood would swamp the log)
            _audit(partner.ref, purpose=f"rate_limit:{seconds}", outcome="denied")
        return _answer({"error": "rate_limited"}, 429, Retry_After=str(seconds))
    number = None
    if len(request.body) <= MAX_BODY:
        try:
            payload = json.loads(request.body)
        except ValueError:
            payload = None
        if isinstance(payload, dict) and isinstance(payload.get("number"), str) and len(payload["number"]) <= 64:
            number = payload["number"]
    if number is None:
        _audit(partner.ref, purpose="bad_request", outcome="denied")
        return _answer({"error": "bad_request"}, 400)
    status, card_ref = partner_card_status(number)
    _audit(partner.ref, target=card_ref, outcome=status)
    note_partner_key_use(partner)
    return _answer({"status": status})




@require_GET
def openapi(request: HttpRequest) -> HttpResponse:
    """The OpenAPI 3 document of the partner API (public: it names no key and no card)."""
    body = json.dumps(openapi_document(), indent=2).encode()
    response = HttpResponse(body, content_type="application/json")
    response["Cache-Control"] = "public, max-age=3600"
    response["Access-Control-Allow-Origin"] = "*"
    return response


