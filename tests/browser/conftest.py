"""The browser tests' shared fixture; ``browser`` itself comes from the test module (see test_enroll_end_to_end)."""

from __future__ import annotations

import pytest

from tests.browser.sessions import signed_in_context


@pytest.fixture
def journey(browser, live_server):
    """Open a page signed in as a staff member (or, with ``None``, as the public), one browser context each,
    closed at the end."""
    contexts = []

    def open_as(user, language: str = "en"):
        if user is None:
            context = browser.new_context(locale="en-US")
            context.add_cookies([{"name": "django_language", "value": language, "url": live_server.url}])
        else:
            _client, context = signed_in_context(browser, live_server, user, language)
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(15000)
        return page

    yield open_as
    for context in contexts:
        context.close()

