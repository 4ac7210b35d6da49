"""A clerk sets up their account through the one-time enrolment link, signs in with MFA and enrolls an
applicant in real headless Chromium; a supervisor approves, then finds the card by its number and suspends it."""

from __future__ import annotations

import os
import shutil
import time

import pytest

from tests.conftest import jpeg_bytes, with_number

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync",
]

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(scope="module")
def browser():
    if not os.path.exists(CHROMIUM):
        if os.environ.get("CI") == "true":
            pytest.fail("Chromium is required in CI (apt-get install chromium)")
        pytest.skip("Chromium is not installed (apt-get install chromium)")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"  # Playwright's sync API runs an event loop
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


def _code(user) -> str:
    from django_otp.oath import totp

    return f"{totp(user.totpdevice_set.get().bin_key):06d}"


def _watch_csp(page, violations: list[str]) -> None:
    """Collect the browser's Content-Security-Policy violation reports (it logs each to the console)."""
    page.on("console", lambda message: violations.append(message.text)
            if "Content Security Policy" in message.text else None)
def _clear_of_a_step_boundary() -> None:
    """A TOTP code is worked out here and checked by the server a moment later, on a busy machine seconds later:
    start a code's life well inside its 30-second step, so that the server still accepts it."""
    import time

    left = 30 - time.time() % 30
    if left < 8:
        time.sleep(left + 0.5)


def _enrol(page, base: str, url: str, password: str) -> None:
    """Open the enrolment link, choose a password, read the key off the page and confirm a code."""
    import base64
    from urllib.parse import urlsplit

    from django_otp.oath import totp

    page.goto(base + urlsplit(url).path)
    page.wait_for_url("**/accounts/enrol/")
    assert page.locator("#enrol-qr svg").count() == 1
    secret = page.locator("#enrol-secret").inner_text()
    key = base64.b32decode(secret + "=" * (-len(secret) % 8))
    page.fill("#id_new_password1", password)
    page.fill("#id_new_password2", password)
    _clear_of_a_step_boundary()
    page.fill("#id_otp_token", f"{totp(key, drift=-1):06d}")  # the previous step's: sign-in then uses the current
    page.click("#enrol-submit")
    page.wait_for_url("**/accounts/login/")


def _sign_in(page, base: str, user, password: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", user.username)
    page.fill("#id_password", password)
    _clear_of_a_step_boundary()
    page.fill("#id_otp_token", _code(user))
    page.click("main button[type=submit]")


def test_clerk_enrolls_and_supervisor_approves(browser, live_server, tmp_path):
    from cityid.accounts.services import create_staff
    from cityid.enrollment.models import Application, ApplicationStatus

    clerk = create_staff(username="clerk_e2e", role="clerk")
    supervisor = create_staff(username="super_e2e", role="supervisor")
    scan = tmp_path / "passport.jpg"
    scan.write_bytes(jpeg_bytes((320, 200)))
    photo = tmp_path / "photo.jpg"
    photo.write_bytes(jpeg_bytes((120, 150), (210, 180, 150)))

    violations: list[str] = []
    context = browser.new_context(locale="en-US")
    page = context.new_page()
    page.set_default_timeout(15000)
    _watch_csp(page, violations)

    # The clerk sets up their own password and authenticator through the link nobody else has.
    _enrol(page, live_server.url, clerk.enrolment_url, "a long clerk passphrase 42")

    # A wrong authenticator code is refused even with the right password.
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", clerk.user.username)
    page.fill("#id_password", "a long clerk passphrase 42")
    page.fill("#id_otp_token", "000000" if _code(clerk.user) != "000000" else "111111")
    page.click("main button[type=submit]")
    assert "not correct" in page.content()
    time.sleep(2)  # django-otp throttles a device for a second or more after a wrong code

    _sign_in(page, live_server.url, clerk.user, "a long clerk passphrase 42")
    page.wait_for_url(f"{live_server.url}/")

    page.goto(f"{live_server.url}/enrollment/new/")
    page.fill("#id_given_name", "Browsertest")
    page.fill("#id_family_name", "Synthetic")
    page.fill("#id_date_of_birth", "1991-06-15")
    page.select_option("#id_address_kind", "residential")
    page.fill("#id_line1", "1 Example Plaza")
    page.fill("#id_city", "Bronx")
    page.fill("#id_postcode", "10451")
    page.select_option("#id_borough", "bronx")
    page.set_input_files("#id_photo", str(photo))
    page.select_option("#id_doc-0-type", "foreign_passport")
    page.fill("#id_doc-0-number", "E2E000111")
    page.fill("#id_doc-0-expires", "2031-01-01")
    page.set_input_files("#id_doc-0-scan", str(scan))
    page.select_option("#id_doc-1-type", "utility_bill")
    page.fill("#id_doc-1-number", "BILL-77")
    page.locator("#id_doc-1-number").dispatch_event("change")

    # The live points box (htmx) shows the evaluation before anything is submitted.
    from playwright.sync_api import expect

    points = page.locator("#points .cityid-points")
    points.wait_for()
    # (a locator assertion, not wait_for_function: the page's policy forbids evaluating strings)
    expect(points).to_have_attribute("data-residency", "1")
    assert points.get_attribute("data-identity") == "3"
    assert "Eligible" in page.locator("#eligibility").inner_text()

    page.click("#submit-application")
    page.wait_for_url("**/enrollment/submitted/**")
    receipt = page.locator("#application-ref").inner_text()
    application = Application.objects.get(receipt=receipt)  # the applicant's receipt: not an id in the log
    reference = str(application.public_id)
    assert reference not in page.locator("main").inner_text()  # (the address bar is the staff member's)
    assert application.status == ApplicationStatus.SUBMITTED
    assert application.documents.get(position=0).scan is not None
    context.close()

    # The supervisor decides from the queue.
    context = browser.new_context(locale="en-US")
    page = context.new_page()
    page.set_default_timeout(15000)
    _watch_csp(page, violations)
    _enrol(page, live_server.url, supervisor.enrolment_url, "a long supervisor passphrase 7")
    _sign_in(page, live_server.url, supervisor.user, "a long supervisor passphrase 7")
    page.wait_for_url(f"{live_server.url}/")
    page.goto(f"{live_server.url}/enrollment/queue/")
    page.click(f"a[href$='{reference}/']")
    assert page.locator("#applicant-name").inner_text() == "Browsertest Synthetic"
    page.click("label[for=id_decision_0]")  # USWDS styles the label; the radio itself is off-screen
    page.click("#record-decision")
    page.wait_for_url("**/enrollment/queue/")
    application.refresh_from_db()
    assert application.status == ApplicationStatus.APPROVED
    card = with_number(application.card)
    assert card.number

    # The cardholder reports the card lost: the supervisor finds it by number and suspends it.
    page.click("nav >> text=Cards")
    page.wait_for_url("**/cards/")
    page.fill("#id_number", f"{card.number[:4]} {card.number[4:]}")
    page.click("main form button[type=submit]")
    page.wait_for_url(f"**/cards/{card.pk}/")
    assert card.number not in page.url  # found by POST: the number never appears in a URL
    page.select_option("#id_suspend-reason", "lost")
    page.click("#suspend-form button[type=submit]")
    page.wait_for_url(f"**/cards/{card.pk}/")
    assert "Suspended" in page.locator("#card-status").text_content()
    assert "Lost" in page.locator("#card-history").inner_text()
    assert page.locator("#suspend-form").count() == 0 and page.locator("#reinstate-form").count() == 1
    card.refresh_from_db()
    assert card.status == "suspended"
    context.close()
    # Every page worked under the strict Content-Security-Policy, and none was blocked from anything.
    assert violations == []
