"""The public FOIL portal."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def request_form(request: HttpRequest) -> HttpResponse:
    return render(request, "disclosure/foil_new.html", {})
