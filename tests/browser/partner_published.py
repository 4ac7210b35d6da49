"""A URL configuration for the partner page's browser tests: the project's, plus the two documents the program
publishes for partners (docs/credentials.md), served from ``PUBLISHED`` as a test sets them."""

from __future__ import annotations

import json

from django.http import HttpResponse
from django.urls import path

from cityid.urls import urlpatterns as project_urlpatterns

PUBLISHED: dict = {"keys": {"keys": []}, "status": ""}


def keys(request):
    return HttpResponse(json.dumps(PUBLISHED["keys"]), content_type="application/jwk-set+json")


def status(request):
    return HttpResponse(PUBLISHED["status"], content_type="application/vc+jwt")


urlpatterns = [
    path(".well-known/cityid/keys", keys),
    path(".well-known/cityid/status", status),
    *project_urlpatterns,
]
