"""A fraud analyst's review in real headless Chromium: the alert list (sorted through htmx), an alert, the two
records side by side with the field-level evidence, a decision; the decision and both reads are in the audit log."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.sessions import signed_in_context
from tests.browser.test_enroll_end_to_end import browser  # noqa: F401  (the fixture)
from tests.matching.helpers import enroll, person

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_analyst_opens_an_alert_compares_and_decides(browser, live_server, staff):  # noqa: F811
    from cityid.audit.models import AuditEntry
    from cityid.matching.models import Alert

    enroll(staff, person(0))
    twin = person(0, given_name="Oluwasegun")
    for doc in twin.documents:
        doc.number += "9"
    enroll(staff, twin)
    alert = Alert.objects.get()
    analyst = staff["fraud_analyst"]

    _client, context = signed_in_context(browser, live_server, analyst)
    try:
        page = context.new_page()
        page.set_default_timeout(15000)
        page.goto(f"{live_server.url}/matching/")
        expect(page.locator("h1")).to_have_text("Duplicate and fraud alerts")
        expect(page.locator("#alerts tbody tr")).to_have_count(1)
        page.click("#alerts thead a:has-text('Score')")  # htmx swaps the table and pushes the address
        expect(page).to_have_url(f"{live_server.url}/matching/?status=open&sort=score")
        page.wait_for_load_state("networkidle")
        with page.expect_navigation():
            page.click("#alerts tbody a")
        expect(page.locator("h1")).to_have_text("Possible duplicate applicant")
        with page.expect_navigation():
            page.click("text=Compare with record 1")
        table = page.locator("#side-by-side")
        expect(table).to_contain_text("Oluwasegun")
        expect(table).to_contain_text("Oluwaseun")
        expect(table).to_contain_text("Adeyemi")
        expect(page.locator("#evidence")).to_contain_text("Date of birth")
        page.click("label[for='decision-different_people']")
        page.wait_for_load_state("networkidle")
        with page.expect_navigation():
            page.click("#decide")
        expect(page.locator("[data-confirm] h1")).to_have_text("Decision on record 1: Different people?")
        assert Alert.objects.get().status == "open"  # asked first: nothing is decided yet
        page.wait_for_load_state("networkidle")
        with page.expect_navigation():
            page.click("[data-confirm] button[type=submit]")
        expect(page.locator(".usa-alert--success, .usa-alert")).to_contain_text(["Your decision is recorded."])
        expect(page.locator("#pairs")).to_contain_text("Different people")
    finally:
        context.close()

    alert.refresh_from_db()
    assert (alert.status, alert.decision) == ("closed", "different_people")
    decision = AuditEntry.objects.get(action="match.decide")
    assert (decision.actor, decision.target, decision.purpose) == (
        f"staff:{analyst.pk}", alert.ref, "pair:1:different_people")
    reads = AuditEntry.objects.filter(action="personal.read", actor=f"staff:{analyst.pk}", purpose=alert.ref)
    assert reads.count() == 2
