"""A browser context signed in as a staff member without typing the sign-in form: the real login view is posted
through Django's test client (password and TOTP code) and its session cookies are handed to Chromium."""

from __future__ import annotations

from tests.audit.helpers import sign_in


def signed_in_context(browser, live_server, user, language: str = "en"):
    """(test client, Playwright context) both signed in as ``user``, the pages in ``language``."""
    client = sign_in(user)
    client.cookies["django_language"] = language
    context = browser.new_context(locale="en-US")
    context.add_cookies([{"name": name, "value": morsel.value, "url": live_server.url}
                         for name, morsel in client.cookies.items()])
    return client, context


def submit(page, selector: str) -> None:
    """Click a submit button once the page's own requests are done, and wait for the page it leads to."""
    page.wait_for_load_state("networkidle")
    with page.expect_navigation():
        page.click(selector)
