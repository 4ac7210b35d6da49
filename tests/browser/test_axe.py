"""axe-core (the copy pinned with axe-playwright-python, no download at test time) on every staff page type in
headless Chromium: no violation of the WCAG 2.1 A and AA rules, nor of the landmark and heading-order rules."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import axe_playwright_python
import pytest

from tests.browser.sessions import signed_in_context
from tests.browser.test_enroll_end_to_end import browser  # noqa: F401  (the fixture)
from tests.ui.site import seed_site

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

AXE = (Path(axe_playwright_python.__file__).parent / "axe.min.js").read_text(encoding="utf-8")
WCAG = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}
STRUCTURE = {"runOnly": {"type": "rule", "values": ["region", "heading-order", "landmark-one-main",
                                                     "page-has-heading-one"]}}
#: Set CITYID_SCREENSHOTS=<dir> to keep a full-page screenshot of every page checked (to look at them).
SHOTS = Path(os.environ["CITYID_SCREENSHOTS"]) if os.environ.get("CITYID_SCREENSHOTS") else None
ROLES = ["admin", "auditor", "records_officer", "counsel", "supervisor", "clerk", "second_officer", "foil_officer",
         "fraud_analyst", "card_production"]


def violations(page) -> list[str]:
    page.evaluate(AXE)
    found = []
    for options in (WCAG, STRUCTURE):
        result = page.evaluate(f"axe.run(document, {json.dumps(options)})")
        found += [f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']][:3]}"
                  for v in result["violations"]]
    return found


def _shoot(page, name: str, language: str) -> None:
    if SHOTS is not None:
        SHOTS.mkdir(parents=True, exist_ok=True)
        slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:80] or "home"
        page.screenshot(path=str(SHOTS / f"{slug}-{language}.png"), full_page=True)


def _serve(html: bytes):
    """A route handler answering with ``html`` (a confirmation page, which only a POST shows)."""

    def handler(route, request) -> None:
        route.fulfill(status=200, content_type="text/html; charset=utf-8", body=html)

    return handler


def _contexts(browser, live_server, users, language):  # noqa: F811
    clients, contexts = {}, {}

    def get(role):
        if role not in contexts:
            clients[role], contexts[role] = signed_in_context(browser, live_server, users[role], language)
        return clients[role], contexts[role]

    return get, contexts


@pytest.mark.parametrize("language", ["en", "es"])
def test_no_axe_violation_on_any_staff_page(browser, live_server, staff, language):  # noqa: F811
    site = seed_site(staff)
    users = {**staff, "second_officer": site.second_officer}
    get, contexts = _contexts(browser, live_server, users, language)
    failures, checked, unopened = [], 0, []
    for path in site.pages:
        for role in ROLES:
            client, context = get(role)
            if client.get(path).status_code != 200:
                continue
            page = context.new_page()
            page.goto(live_server.url + path)
            failures += [f"{path} as {role}: {v}" for v in violations(page)]
            _shoot(page, path, language)
            if path == "/enrollment/new/" and language == "es":  # USWDS writes these words in English
                drag = page.locator(".usa-file-input__drag-text").first.inner_text()
                choose = page.locator(".usa-file-input__choose").first.inner_text()
                assert (drag, choose) == ("Arrastre el archivo aquí o", "elija de una carpeta")
            page.close()
            checked += 1
            break
        else:
            unopened.append(path)
    assert not unopened, f"no role in ROLES opened {unopened}: the page was never checked"
    for path, data, role in site.confirms:
        client, context = get(role)
        page = context.new_page()
        html = client.post(path, data).content
        page.route(live_server.url + path, _serve(html))
        page.goto(live_server.url + path)
        assert page.locator("[data-confirm]").count() == 1
        failures += [f"POST {path} as {role}: {v}" for v in violations(page)]
        _shoot(page, "confirm " + path, language)
        page.close()
        checked += 1
    for context in contexts.values():
        context.close()
    assert checked >= 30
    assert not failures, "\n".join(failures)


def test_the_audit_events_fit_a_phone(browser, live_server, staff):  # noqa: F811
    site = seed_site(staff)
    get, contexts = _contexts(browser, live_server, {**staff, "second_officer": site.second_officer}, "es")
    _client, context = get("auditor")
    page = context.new_page()
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_server.url}/audit/events/")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    height = page.evaluate("document.documentElement.scrollHeight")
    rows = page.locator("table.cityid-events tbody tr").count()
    assert rows >= 20 and height / rows < 120  # one line per event, not ids wrapped over many lines
    box = page.locator(".usa-table-container--scrollable")
    assert box.evaluate("e => e.scrollWidth > e.clientWidth")  # the table scrolls in its box, the page does not
    _shoot(page, "audit events 390", "es")
    page.close()
    context.close()
