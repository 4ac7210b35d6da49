"""The documented production settings (README, "Production"): a TLS proxy in front, HSTS and Secure
cookies, CSRF that works through the proxy, a clean ``cityid check --deploy``."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from django.test import Client

from tests.audit.helpers import PASSWORD
from tests.ops.test_serve import CITYID, server_env

HOST = "cityid.example.org"
PRODUCTION = {"CITYID_HTTPS": "1", "CITYID_ALLOWED_HOSTS": HOST}
DERIVED = ["SECURE_PROXY_SSL_HEADER", "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE", "SESSION_COOKIE_HTTPONLY",
           "CSRF_COOKIE_HTTPONLY", "LANGUAGE_COOKIE_SECURE",
           "SESSION_COOKIE_SAMESITE", "CSRF_COOKIE_SAMESITE", "SECURE_HSTS_SECONDS", "SECURE_HSTS_INCLUDE_SUBDOMAINS",
           "SECURE_HSTS_PRELOAD", "SECURE_SSL_REDIRECT", "CSRF_TRUSTED_ORIGINS", "ALLOWED_HOSTS", "CITYID_PROXY_COUNT",
           "DEBUG"]


def settings_under(tmp_path, **env: str) -> dict:
    """The settings cityid derives from an environment, read in a fresh process."""
    code = ("import json, django; from django.conf import settings; django.setup(); "
            f"print(json.dumps({{name: getattr(settings, name, None) for name in {DERIVED!r}}}))")
    environment = server_env(tmp_path, DJANGO_SETTINGS_MODULE="cityid.settings", **env)
    result = subprocess.run([sys.executable, "-c", code], env=environment, cwd=tmp_path, capture_output=True,
                            text=True, check=True)
    return json.loads(result.stdout)


def test_https_turns_on_secure_cookies_hsts_and_the_proxy_header(tmp_path):
    derived = settings_under(tmp_path, **PRODUCTION)
    assert derived["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]
    assert derived["SESSION_COOKIE_SECURE"] and derived["CSRF_COOKIE_SECURE"]
    assert derived["SESSION_COOKIE_HTTPONLY"] and derived["CSRF_COOKIE_HTTPONLY"]
    assert derived["LANGUAGE_COOKIE_SECURE"]
    assert derived["SESSION_COOKIE_SAMESITE"] == derived["CSRF_COOKIE_SAMESITE"] == "Lax"
    assert derived["SECURE_HSTS_SECONDS"] == 31536000
    assert derived["SECURE_HSTS_INCLUDE_SUBDOMAINS"] and derived["SECURE_HSTS_PRELOAD"]
    assert derived["SECURE_SSL_REDIRECT"]
    assert derived["CITYID_PROXY_COUNT"] == 1
    assert not derived["DEBUG"]
    # Without CITYID_HTTPS (the demo, tests): none of it, and no proxy is trusted.
    plain = settings_under(tmp_path)
    assert plain["SECURE_PROXY_SSL_HEADER"] is None and not plain["SESSION_COOKIE_SECURE"]
    assert plain["SECURE_HSTS_SECONDS"] == 0 and plain["CITYID_PROXY_COUNT"] == 0


def test_proxy_header_hsts_and_trusted_origins_are_configurable(tmp_path):
    derived = settings_under(tmp_path, **PRODUCTION, CITYID_PROXY_SSL_HEADER="X-Forwarded-Scheme: https",
                             CITYID_HSTS_SECONDS="600", CITYID_SSL_REDIRECT="0",
                             CITYID_TRUSTED_ORIGINS="https://id.city.example, https://cityid.example.org:8443")
    assert derived["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_SCHEME", "https"]
    assert derived["SECURE_HSTS_SECONDS"] == 600
    assert not derived["SECURE_SSL_REDIRECT"]
    assert derived["CSRF_TRUSTED_ORIGINS"] == ["https://id.city.example", "https://cityid.example.org:8443"]


def _check_deploy(tmp_path, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run([CITYID, "check", "--deploy", "--fail-level", "WARNING"], env=server_env(tmp_path, **env),
                          cwd=tmp_path, capture_output=True, text=True, timeout=120)


def test_check_deploy_is_clean_for_the_documented_production_settings(tmp_path):
    result = _check_deploy(tmp_path, **PRODUCTION)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout
    assert "WARNING" not in result.stdout + result.stderr


def test_check_deploy_is_clean_when_the_proxy_redirects_plain_http(tmp_path):
    result = _check_deploy(tmp_path, **PRODUCTION, CITYID_SSL_REDIRECT="0")
    assert result.returncode == 0, result.stdout + result.stderr


def test_check_deploy_warns_without_https(tmp_path):
    result = _check_deploy(tmp_path, CITYID_ALLOWED_HOSTS=HOST)
    assert result.returncode != 0
    for warning in ("security.W004", "security.W008", "security.W012", "security.W016"):
        assert warning in result.stderr + result.stdout


# --- Behind the proxy, through the test client ----------------------------------------------------

@pytest.fixture
def behind_proxy(settings, tmp_path):
    """The settings of the documented production environment, applied to this process."""
    for name, value in settings_under(tmp_path, **PRODUCTION).items():
        if name != "DEBUG":
            setattr(settings, name, tuple(value) if name == "SECURE_PROXY_SSL_HEADER" else value)
    return settings


PROXIED = {"HTTP_HOST": HOST, "HTTP_X_FORWARDED_PROTO": "https", "HTTP_X_FORWARDED_FOR": "203.0.113.20",
           "REMOTE_ADDR": "127.0.0.1"}


def _login_post(client: Client, user, origin: str):
    from tests.accounts.test_policy import _current_code

    client.get("/accounts/login/", **PROXIED)
    token = client.cookies["csrftoken"].value
    return client.post("/accounts/login/", {"username": user.username, "password": PASSWORD,
                                            "otp_token": _current_code(user), "csrfmiddlewaretoken": token},
                       HTTP_ORIGIN=origin, **PROXIED)


def _ready(user):
    user.set_password(PASSWORD)
    user.must_change_password = False
    user.save()
    return user


def test_sign_in_through_the_proxy_with_the_sites_origin(staff, behind_proxy):
    user = _ready(staff["clerk"])
    client = Client(enforce_csrf_checks=True)
    response = _login_post(client, user, f"https://{HOST}")
    assert response.status_code == 302, response.content[:300]
    assert client.session.get("_auth_user_id") == str(user.pk)
    session_cookie = response.cookies["sessionid"]
    assert session_cookie["secure"] and session_cookie["httponly"] and session_cookie["samesite"] == "Lax"
    assert client.cookies["csrftoken"]["secure"] and client.cookies["csrftoken"]["httponly"]
    assert response["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"


def test_a_post_from_a_foreign_origin_is_refused(staff, behind_proxy):
    user = _ready(staff["clerk"])
    client = Client(enforce_csrf_checks=True)
    response = _login_post(client, user, "https://evil.example")
    assert response.status_code == 403
    assert "_auth_user_id" not in client.session


def test_a_trusted_origin_may_post(staff, behind_proxy):
    behind_proxy.CSRF_TRUSTED_ORIGINS = ["https://id.city.example"]
    user = _ready(staff["clerk"])
    response = _login_post(Client(enforce_csrf_checks=True), user, "https://id.city.example")
    assert response.status_code == 302


def test_without_the_proxy_header_every_post_failed(staff, behind_proxy):
    """What the proxy setting fixes: Django took the request for plain HTTP and refused the HTTPS Origin."""
    behind_proxy.SECURE_PROXY_SSL_HEADER = None
    behind_proxy.SECURE_SSL_REDIRECT = False
    user = _ready(staff["clerk"])
    response = _login_post(Client(enforce_csrf_checks=True), user, f"https://{HOST}")
    assert response.status_code == 403


def test_plain_http_is_redirected_to_https(db, behind_proxy):
    response = Client().get("/accounts/login/", HTTP_HOST=HOST, REMOTE_ADDR="127.0.0.1")
    assert response.status_code == 301
    assert response["Location"] == f"https://{HOST}/accounts/login/"


def test_signed_in_pages_keep_working_behind_the_proxy(staff, behind_proxy):
    user = _ready(staff["supervisor"])
    client = Client(enforce_csrf_checks=True)
    assert _login_post(client, user, f"https://{HOST}").status_code == 302
    response = client.get("/enrollment/queue/", **PROXIED)
    assert response.status_code == 200
    token = client.cookies["csrftoken"].value
    response = client.post("/accounts/logout/", {"csrfmiddlewaretoken": token}, HTTP_ORIGIN=f"https://{HOST}",
                           **PROXIED)
    assert response.status_code == 302 and "_auth_user_id" not in client.session
