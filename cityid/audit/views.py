"""The public, cacheable audit log endpoints: checkpoint, C2SP tlog-tiles, proofs, verifier key.

No login and no personal data: entries hold pseudonymous identifiers only.
"""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.http import require_safe

from cityid.audit import selectors
from cityid.audit.merkle import parse_tile_path

TEXT = "text/plain; charset=utf-8"
BINARY = "application/octet-stream"
IMMUTABLE = "public, max-age=31536000, immutable"
PARTIAL = "public, max-age=60"
CHECKPOINT = "public, max-age=10"
PROOF = "public, max-age=3600"
KEY = "public, max-age=86400"


def _cached(response: HttpResponse, policy: str) -> HttpResponse:
    response["Cache-Control"] = policy
    response["Access-Control-Allow-Origin"] = "*"  # public data: let auditors' browser tools fetch it
    return response


@require_safe
def checkpoint(request: HttpRequest) -> HttpResponse:
    return _cached(HttpResponse(selectors.checkpoint_note(), content_type=TEXT), CHECKPOINT)


@require_safe
def verifier_key(request: HttpRequest) -> HttpResponse:
    return _cached(HttpResponse(selectors.verifier_key_text(), content_type=TEXT), KEY)


@require_safe
def tile(request: HttpRequest, path: str) -> HttpResponse:
    try:
        ref = parse_tile_path("tile/" + path)
    except ValueError:
        raise Http404("not a tile path") from None
    if ref.is_entries:
        data = selectors.entry_bundle(ref.index, ref.width)
    else:
        data = selectors.tile(ref.level, ref.index, ref.width)
    if data is None:
        raise Http404("no such tile")
    return _cached(HttpResponse(data, content_type=BINARY), PARTIAL if ref.is_partial else IMMUTABLE)


def _proof(request: HttpRequest, build) -> HttpResponse:
    try:
        answer = build(request.GET)
    except selectors.BadRequest as exc:
        response = JsonResponse({"error": str(exc)}, status=400)
        response["Cache-Control"] = "no-store"
        return response
    return _cached(JsonResponse(answer), PROOF)


@require_safe
def inclusion_proof(request: HttpRequest) -> HttpResponse:
    return _proof(request, lambda q: selectors.inclusion_proof(
        selectors.parse_count(q.get("index"), "index"),
        selectors.parse_count(q.get("size"), "size", required=False),
    ))


@require_safe
def consistency_proof(request: HttpRequest) -> HttpResponse:
    return _proof(request, lambda q: selectors.consistency_proof(
        selectors.parse_count(q.get("old"), "old"),
        selectors.parse_count(q.get("new"), "new", required=False),
    ))
