"""Security headers on every page, no inline script or style anywhere, and the request-size cap."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.test import Client
from django.urls import reverse

from cityid.accounts.context_processors import NAV
from cityid.accounts.policy import ROLES, allowed
from tests.audit.helpers import sign_in

TEMPLATES = Path(django_settings.PACKAGE_DIR) / "templates"
MiB = 2**20

EXPECTED_CSP = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data:",
    "frame-ancestors": "'none'",
    "form-action": "'self'",
    "base-uri": "'none'",
    "object-src": "'none'",
}

#: An executable inline script: a <script> with no src. A JSON data block (type="application/json", as Django's
#: json_script writes) is never executed, so the strict CSP has nothing to refuse there.
INLINE_SCRIPT = r"<script(?![^>]*\b(?:src=|type=\"application/json\"))[^>]*>"


def csp(response) -> dict[str, str]:
    header = response.get("Content-Security-Policy", "")
    return {name: value for name, _, value in (part.strip().partition(" ") for part in header.split(";")) if name}


def assert_hardened(response, path: str) -> None:
    policy = csp(response)
    for directive, value in EXPECTED_CSP.items():
        assert policy.get(directive) == value, (path, directive, policy)
    assert "unsafe-inline" not in response["Content-Security-Policy"]
    assert "unsafe-eval" not in response["Content-Security-Policy"]
    assert response["X-Content-Type-Options"] == "nosniff", path
    assert response["Referrer-Policy"] == "same-origin", path
    assert "camera=()" in response["Permissions-Policy"], path
    if response.get("Content-Type", "").startswith("text/html"):
        assert response["X-Frame-Options"] == "DENY", path
        html = response.content.decode()
        assert not re.search(INLINE_SCRIPT, html), path
        assert "<style" not in html and not re.search(r"\sstyle=", html), path
        assert not re.search(r"\son[a-z]+\s*=", html), path


def _pages(role: str) -> list[str]:
    pages = ["/", reverse("accounts:password")]
    pages += [reverse(name) for action, name, _label in NAV if allowed(role, action)]
    return pages


@pytest.mark.parametrize("role", list(ROLES))
def test_every_page_a_role_reaches_carries_the_policy(staff, role):
    client = sign_in(staff[role])
    for path in _pages(role):
        response = client.get(path)
        assert response.status_code == 200, (role, path, response.status_code)
        assert_hardened(response, path)
    # A page of another role: the refusal page is hardened too.
    denied = next(reverse(name) for action, name, _label in NAV if not allowed(role, action))
    response = client.get(denied)
    assert response.status_code == 403
    assert_hardened(response, denied)


def test_public_pages_carry_the_policy(db):
    client = Client()
    for path in ("/accounts/login/", "/no/such/page/", "/audit/checkpoint"):
        response = client.get(path)
        assert response.status_code in (200, 404), path
        assert_hardened(response, path)


def test_no_template_has_inline_script_style_or_event_handlers():
    offenders = []
    for template in TEMPLATES.rglob("*.html"):
        text = template.read_text()
        if (re.search(INLINE_SCRIPT, text) or "<style" in text or re.search(r"\sstyle=", text)
                or re.search(r"\son[a-z]+\s*=", text) or "javascript:" in text or "hx-on" in text):
            offenders.append(str(template.relative_to(TEMPLATES)))
    assert offenders == []


def test_htmx_does_not_inject_its_indicator_styles():
    base = (TEMPLATES / "base.html").read_text()
    assert '<meta name="htmx-config" content=\'{"includeIndicatorStyles": false}\'>' in base


# --- The request-size cap --------------------------------------------------------------------------

class UnreadableBody:
    """A request body that fails the test if anything reads it."""

    read_called = False

    def read(self, *args, **kwargs):
        UnreadableBody.read_called = True
        raise AssertionError("the body was read")

    readline = read


@pytest.fixture
def unread():
    UnreadableBody.read_called = False
    return UnreadableBody()


def test_default_cap_fits_the_enrollment_form_and_refuses_120_mib(settings):
    # A photo and eight scans, each at the per-file limit, fit; the attack's 120 MiB does not.
    assert settings.CITYID_MAX_REQUEST_BYTES >= 9 * settings.CITYID_MAX_SCAN_BYTES
    assert settings.CITYID_MAX_REQUEST_BYTES < 120 * MiB


@pytest.mark.parametrize("path", ["/accounts/login/", "/enrollment/new/", "/i18n/setlang/"])
def test_an_oversized_body_is_refused_unread(db, unread, path):
    response = Client().generic("POST", path, b"", content_type="multipart/form-data; boundary=x",
                                CONTENT_LENGTH=str(120 * MiB), **{"wsgi.input": unread})
    assert response.status_code == 413
    assert not UnreadableBody.read_called
    assert b"Request too large" in response.content and b"94 MB" in response.content
    assert response["Content-Security-Policy"].startswith("default-src 'none'")
    assert response["X-Content-Type-Options"] == "nosniff"


def test_the_refusal_speaks_the_browsers_language(db, unread):
    response = Client().generic("POST", "/accounts/login/", b"", content_type="application/octet-stream",
                                CONTENT_LENGTH=str(120 * MiB), HTTP_ACCEPT_LANGUAGE="es",
                                **{"wsgi.input": unread})
    assert response.status_code == 413
    assert b'lang="es"' in response.content and b"Solicitud demasiado grande" in response.content


def test_a_body_without_length_is_refused_unread(db, unread):
    response = Client().generic("POST", "/accounts/login/", b"", content_type="application/octet-stream",
                                CONTENT_LENGTH="", HTTP_TRANSFER_ENCODING="chunked", **{"wsgi.input": unread})
    assert response.status_code == 411
    assert not UnreadableBody.read_called


def test_a_nonsense_length_is_refused(db, unread):
    response = Client().generic("POST", "/accounts/login/", b"", content_type="application/octet-stream",
                                CONTENT_LENGTH="-5", **{"wsgi.input": unread})
    assert response.status_code == 400
    assert not UnreadableBody.read_called


def test_the_cap_is_a_setting(db, settings, unread):
    settings.CITYID_MAX_REQUEST_BYTES = 1000
    response = Client().post("/accounts/login/", {"username": "x" * 2000, "password": "p", "otp_token": "123456"})
    assert response.status_code == 413
    response = Client().post("/accounts/login/", {"username": "nobody", "password": "p", "otp_token": "123456"})
    assert response.status_code == 200
