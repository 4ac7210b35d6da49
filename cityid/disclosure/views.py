"""FOIL officers' pages: thin, over ``services`` and ``selectors``."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from cityid.disclosure import selectors
from cityid.ui.decorators import requires


@requires("foil.queue")
def foil_queue(request: HttpRequest) -> HttpResponse:
    return render(request, "disclosure/foil_queue.html", {"requests": selectors.requests_queue()})
