"""Project-wide HTTP middleware: the request-size cap and the Permissions-Policy header."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext_lazy as _

#: Headers of a refusal page, which no later middleware sees (it answers before them).
REFUSAL_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'self'; frame-ancestors 'none'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


class RequestSizeLimitMiddleware:
    """Refuse a body larger than ``CITYID_MAX_REQUEST_BYTES`` (413), or one sent without a length (411),
    from its headers alone, before anything reads it.

    First in the chain, so neither the CSRF check nor a form reads ``request.POST`` first. Django
    reads at most Content-Length bytes of a body, so a body that announces no length (chunked) would
    be read as empty anyway; it is refused plainly rather than failing later in a confusing way.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        meta = request.META
        limit = settings.CITYID_MAX_REQUEST_BYTES
        raw_length = (meta.get("CONTENT_LENGTH") or "").strip()
        if raw_length:
            try:
                length = int(raw_length)
            except ValueError:
                length = -1
            if length < 0:
                return _refusal(request, 400)
            if length > limit:
                return _refusal(request, 413)
        elif meta.get("HTTP_TRANSFER_ENCODING"):
            return _refusal(request, 411)
        return self.get_response(request)


REFUSALS = {
    400: (_("Bad request"), _("The request's length is not a number. Nothing of it was kept.")),
    411: (_("Length required"), _("The request did not say how long it is. Nothing of it was kept.")),
    413: (_("Request too large"), _("The request is larger than %(mb)d MB, the most this service accepts. "
                                    "Nothing of it was kept; send fewer or smaller files.")),
}


def _refusal(request: HttpRequest, status: int) -> HttpResponse:
    """A short page in the language the browser asks for (no later middleware has run)."""
    language = translation.get_language_from_request(request)
    title, message = REFUSALS[status]
    with translation.override(language):
        text = str(message) % {"mb": settings.CITYID_MAX_REQUEST_BYTES // 2**20} if status == 413 else str(message)
        body = render_to_string("refused.html", {"status": status, "title": str(title), "message": text,
                                                 "LANGUAGE_CODE": language})
    response = HttpResponse(body, status=status)
    response["Content-Length"] = str(len(response.content))
    for name, value in REFUSAL_HEADERS.items():
        response[name] = value
    return response


class PermissionsPolicyMiddleware:
    """Send ``Permissions-Policy`` (Django has no setting for it): no browser feature is granted."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.setdefault("Permissions-Policy", settings.CITYID_PERMISSIONS_POLICY)
        return response
