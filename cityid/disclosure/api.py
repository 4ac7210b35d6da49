"""The public FOIL JSON API: ``POST /api/foil/requests`` (JSON body) answers ``201`` with the request's id, its
access code (shown once) and its due dates; ``GET /api/foil/openapi.json`` is the OpenAPI 3.1 document.

Errors are ``{"error": code, "field": name, "message": sentence}`` with 400 (bad input), 413 (too large),
415 (not JSON) or 429 (too many requests from this client)."""

from __future__ import annotations

import json
from typing import Any

from django.http import HttpRequest, JsonResponse
from django.urls import reverse
from django.utils import translation
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods

from cityid.disclosure import services, throttle
from cityid.disclosure.services import DESCRIPTION_MAX, NAME_MAX, FoilError, FoilInput

FIELDS = ("name", "email", "phone", "address", "description", "language")


def _error(error: FoilError, status: int) -> JsonResponse:
    return JsonResponse({"error": error.code, "field": error.field, "message": str(error)}, status=status)


@csrf_exempt  # a JSON API without cookies: nothing a forged cross-site form could use
@never_cache
@require_http_methods(["POST"])
def create_request(request: HttpRequest) -> JsonResponse:
    if request.content_type != "application/json":
        return _error(FoilError("not_json"), 415)
    if len(request.body) > 64 * 1024:
        return _error(FoilError("too_long", field="", max_length=64 * 1024), 413)
    try:
        body: Any = json.loads(request.body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return _error(FoilError("not_json"), 400)
    if not isinstance(body, dict) or any(not isinstance(body.get(k, ""), str) for k in FIELDS):
        return _error(FoilError("not_json"), 400)
    wait = throttle.hit(request, throttle.submissions())
    if wait is not None:
        return _error(FoilError("rate_limited", minutes=wait), 429)
    data = FoilInput(**{k: body.get(k, "") for k in FIELDS if k != "language"},
                     language=body.get("language") or translation.get_language() or "en")
    try:
        submitted = services.submit_request(data=data, channel="api")
    except FoilError as error:
        return _error(error, 400)
    foil = submitted.request
    return JsonResponse({
        "id": foil.public_id,
        "access_code": submitted.access_code,
        "status": foil.status,
        "received_on": foil.received_on.isoformat(),
        "acknowledgment_due": foil.acknowledgment_due.isoformat(),
        "determination_due": foil.determination_due.isoformat(),
        "status_page": request.build_absolute_uri(reverse("foil:status")),
    }, status=201)


def openapi_document(server: str = "/") -> dict[str, Any]:
    error = {"type": "object", "required": ["error", "message"], "properties": {
        "error": {"type": "string", "description": "a stable code"},
        "field": {"type": "string", "description": "the field at fault, if any"},
        "message": {"type": "string", "description": "the sentence to show, in the request's language"},
    }}
    return {
        "openapi": "3.1.0",
        "info": {"title": "cityid FOIL requests", "version": "1.0.0",
                 "description": "Submit a Freedom of Information Law request (NY Public Officers Law art. 6)."},
        "servers": [{"url": server}],
        "paths": {"/api/foil/requests": {"post": {
            "operationId": "createFoilRequest",
            "summary": "Submit a FOIL request",
            "requestBody": {"required": True, "content": {"application/json": {"schema": {
                "type": "object", "required": ["name", "description"],
                "properties": {
                    "name": {"type": "string", "maxLength": NAME_MAX},
                    "email": {"type": "string", "format": "email",
                              "description": "email or address is required: the answer is sent there"},
                    "address": {"type": "string", "maxLength": services.ADDRESS_MAX},
                    "phone": {"type": "string", "maxLength": services.PHONE_MAX},
                    "description": {"type": "string", "minLength": services.DESCRIPTION_MIN,
                                    "maxLength": DESCRIPTION_MAX},
                    "language": {"type": "string", "enum": ["en", "es"], "default": "en"},
                },
            }}}},
            "responses": {
                "201": {"description": "Received", "content": {"application/json": {"schema": {
                    "type": "object",
                    "required": ["id", "access_code", "status", "received_on", "acknowledgment_due",
                                 "determination_due"],
                    "properties": {
                        "id": {"type": "string", "pattern": "^FOIL-[0-9]{4}-[0-9A-Z]{1,8}-[0-9]{5,}$",
                               "example": "FOIL-2026-0069-00042"},
                        "access_code": {"type": "string", "description": "shown once; opens the status page"},
                        "status": {"type": "string", "example": "received"},
                        "received_on": {"type": "string", "format": "date",
                                        "description": "the business day the request counts as received"},
                        "acknowledgment_due": {"type": "string", "format": "date"},
                        "determination_due": {"type": "string", "format": "date"},
                        "status_page": {"type": "string", "format": "uri"},
                    }}}}},
                "400": {"description": "Bad input", "content": {"application/json": {"schema": error}}},
                "413": {"description": "Too large", "content": {"application/json": {"schema": error}}},
                "415": {"description": "Not JSON", "content": {"application/json": {"schema": error}}},
                "429": {"description": "Too many requests from this client",
                        "content": {"application/json": {"schema": error}}},
            },
        }}},
    }


@require_GET
def openapi(request: HttpRequest) -> JsonResponse:
    return JsonResponse(openapi_document(request.build_absolute_uri("/")))
