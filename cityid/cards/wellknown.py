"""The public, cacheable endpoints partners verify cards with (``docs/credentials.md``): the JWK Set of
credential keys and the signed status list. No login; a public request reads what was signed and never
signs or writes anything."""

from __future__ import annotations

import hashlib
import json

from django.http import HttpRequest, HttpResponse, HttpResponseNotModified
from django.urls import path
from django.views.decorators.http import require_safe

from cityid.cards import issuing

KEYS_CACHE = "public, max-age=3600"
STATUS_CACHE = "public, max-age=300"


def _answer(request: HttpRequest, body: str, *, content_type: str, etag: str, cache: str) -> HttpResponse:
    quoted = f'"{etag}"'
    if quoted in [tag.strip() for tag in request.headers.get("If-None-Match", "").split(",")]:
        response: HttpResponse = HttpResponseNotModified()
    else:
        response = HttpResponse(body, content_type=content_type)
    response["ETag"] = quoted
    response["Cache-Control"] = cache
    response["Access-Control-Allow-Origin"] = "*"  # public data: partners' tools may fetch it
    return response


def _not_yet(text: str) -> HttpResponse:
    response = HttpResponse(text + "\n", content_type="text/plain; charset=utf-8", status=404)
    response["Cache-Control"] = "no-store"
    return response


@require_safe
def keys(request: HttpRequest) -> HttpResponse:
    jwks = issuing.jwk_set()
    if not jwks["keys"]:
        return _not_yet("no card has been signed yet")
    body = json.dumps(jwks, sort_keys=True)
    return _answer(request, body, content_type="application/jwk-set+json",
                   etag=hashlib.sha256(body.encode()).hexdigest()[:32], cache=KEYS_CACHE)


@require_safe
def status(request: HttpRequest) -> HttpResponse:
    document = issuing.published_status_list()
    if document is None:
        return _not_yet("no status list has been signed yet")
    return _answer(request, document.jws, content_type="application/vc+jwt", etag=document.etag,
                   cache=STATUS_CACHE)


urlpatterns = [
    path("keys", keys, name="credential_keys"),
    path("status", status, name="status_list"),
]
