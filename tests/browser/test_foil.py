"""A FOIL request sent on the public form in real headless Chromium appears in the FOIL officer's queue, flagged
and ordered by its due date; the officer opens it and acknowledges it (issue 13)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.sessions import signed_in_context
from tests.browser.test_enroll_end_to_end import browser  # noqa: F401  (the fixture)
from tests.disclosure.conftest import CANARY

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_request_sent_on_the_public_form_reaches_the_officers_queue(browser, live_server, staff):  # noqa: F811
    from django.core.cache import cache

    cache.clear()
    public = browser.new_context(locale="en-US")
    page = public.new_page()
    page.set_default_timeout(15000)
    page.goto(f"{live_server.url}/foil/")
    page.fill("#id_description", CANARY["description"])
    page.fill("#id_name", CANARY["name"])
    page.fill("#id_email", CANARY["email"])
    page.wait_for_load_state("networkidle")  # the test server shares one SQLite connection between its threads
    with page.expect_navigation():
        page.click("#foil-form button[type=submit]")
    expect(page.locator("h1")).to_have_text("Request received")
    public_id = page.locator("#foil-id").inner_text().strip()
    assert public_id.startswith("FOIL-")
    expect(page.locator("#foil-access-code")).not_to_be_empty()
    assert CANARY["email"] not in page.url and public_id not in page.url
    public.close()

    _client, context = signed_in_context(browser, live_server, staff["foil_officer"])
    officer = context.new_page()
    officer.set_default_timeout(15000)
    officer.goto(f"{live_server.url}/disclosure/foil/")
    row = officer.locator("#foil-queue-table tbody tr", has=officer.locator(f"a[href='/disclosure/foil/{public_id}/']"))
    expect(row).to_have_count(1)
    expect(row).to_contain_text("Received")
    expect(officer.locator("#foil-queue-table")).not_to_contain_text(CANARY["name"])
    officer.wait_for_load_state("networkidle")
    with officer.expect_navigation():
        row.locator("a").click()
    expect(officer.locator("h1")).to_have_text(public_id)
    officer.wait_for_load_state("networkidle")
    with officer.expect_navigation():
        officer.click("#acknowledge-form button[type=submit]")
    expect(officer.locator("#foil-status")).to_have_text("Acknowledged")
    # The queue's tabs swap the table in place (htmx).
    officer.goto(f"{live_server.url}/disclosure/foil/")
    officer.wait_for_load_state("networkidle")
    officer.click("a[href='?queue=finished']")
    expect(officer.locator("#foil-queue")).to_contain_text("No request is in this queue.")
    context.close()
