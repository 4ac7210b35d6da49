"""The public FOIL JSON API."""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST


@csrf_exempt
@require_POST
def create_request(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"error": "not yet"}, status=503)


@require_GET
def openapi(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"openapi": "3.1.0"})
