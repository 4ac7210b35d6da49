"""The confirmation step of a final or destructive action: the first POST shows what will happen and posts the
same fields again with ``confirmed=yes``; only that second POST acts. Works without JavaScript."""

from __future__ import annotations

from collections.abc import Iterable

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

FIELD = "confirmed"


def confirmed(request: HttpRequest) -> bool:
    """Whether this POST is the confirmation (the person saw the consequences and chose to go on)."""
    return request.POST.get(FIELD) == "yes"


def confirm_page(request: HttpRequest, *, title: str, consequences: Iterable[str], button: str,
                 cancel_url: str) -> HttpResponse:
    """The page that names what will happen, with the button that does it and a way back that does nothing."""
    fields = [(name, value) for name in request.POST if name not in ("csrfmiddlewaretoken", FIELD)
              for value in request.POST.getlist(name)]
    return render(request, "confirm.html", {"title": title, "consequences": list(consequences), "button": button,
                                            "cancel_url": cancel_url, "fields": fields, "field": FIELD})
