"""The partner page's server side: public, no inline script, camera allowed on this page only, and everything
it loads is what its service worker keeps for offline use (vendored, with licences; nothing from outside)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from django.contrib.staticfiles import finders
from django.test import Client

from cityid.cards.verify_views import ASSETS, precache_urls

pytestmark = pytest.mark.django_db

STATIC = Path(__file__).resolve().parents[2] / "cityid" / "static"


def test_the_page_is_public_and_runs_no_inline_script():
    response = Client().get("/verify/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "script-src 'self'" in response["Content-Security-Policy"]
    assert "unsafe-inline" not in response["Content-Security-Policy"]
    assert "unsafe-eval" not in response["Content-Security-Policy"]
    for tag in re.findall(r"<script\b[^>]*>", html):
        assert "src=" in tag or 'type="application/json"' in tag, tag
    assert "camera=(self)" in response["Permissions-Policy"]
    assert "camera=()" in Client().get("/accounts/login/")["Permissions-Policy"]  # no other page gets it
    config = json.loads(re.search(r'<script id="verify-config" type="application/json">(.*?)</script>', html,
                                  re.S).group(1))
    assert config["keys_url"] == "/.well-known/cityid/keys" and config["status_url"] == "/.well-known/cityid/status"


def test_everything_the_page_loads_is_kept_by_its_service_worker():
    html = Client().get("/verify/").content.decode()
    loaded = set(re.findall(r'<script src="([^"]+)"', html)) | set(re.findall(r'<link rel="stylesheet" href="([^"]+)"',
                                                                              html))
    assert loaded and loaded <= set(precache_urls())
    assert not any(url.startswith(("http:", "https:", "//")) for url in loaded)  # nothing from outside
    worker = Client().get("/verify/sw.js")
    assert worker.status_code == 200 and worker["Content-Type"].startswith("text/javascript")
    for url in precache_urls():
        assert json.dumps(url) in worker.content.decode()


def test_the_vendored_decoders_are_there_with_their_licences():
    for path in ASSETS:
        assert finders.find(path), path
    for folder in ("jsqr", "cbor-x"):
        assert (STATIC / "vendor" / folder / "LICENSE").stat().st_size > 500
    assert "new Function" not in (STATIC / "vendor" / "cbor-x" / "cbor-x.min.js").read_text()
