"""The clerk's enrollment form in real headless Chromium: files chosen survive a validation error, Enter does not
submit early, a double click makes one applicant, leaving a half-filled form asks first. Screenshots of the form
after a failed submit (English and Spanish) are written to the test's directory (and CITYID_SCREENSHOTS)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.browser.test_enroll_end_to_end import _sign_in, _watch_csp, browser  # noqa: F401  (the fixture)
from tests.conftest import complete_enrolment, jpeg_bytes

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSWORD = "an enrolled staff passphrase 1"


def _clerk(username: str):
    from cityid.accounts.services import create_staff

    return complete_enrolment(create_staff(username=username, role="clerk"), PASSWORD)


def _page(browser, live_server, user, violations: list[str], *, language: str = "en"):  # noqa: F811
    context = browser.new_context(locale="en-US", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15000)
    _watch_csp(page, violations)
    _sign_in(page, live_server.url, user, PASSWORD)
    page.wait_for_url(f"{live_server.url}/")
    if language != "en":
        context.add_cookies([{"name": "django_language", "value": language, "url": live_server.url}])
    return page


def _files(tmp_path: Path) -> dict[str, str]:
    out = {}
    for name, size, color in (("photo.jpg", (120, 150), (210, 180, 150)), ("passport.jpg", (320, 200), (9, 9, 9)),
                              ("bill.jpg", (300, 400), (250, 250, 250))):
        (tmp_path / name).write_bytes(jpeg_bytes(size, color))
        out[name] = str(tmp_path / name)
    return out


def _settle(page) -> None:
    """Let the points panel's request (sent when a field changes) finish before submitting: the test server
    shares one in-memory SQLite connection between its threads, which two overlapping writes would trip."""
    page.wait_for_load_state("networkidle")


def _fill(page, files: dict[str, str], *, postcode: str) -> None:
    from playwright.sync_api import expect

    page.fill("#id_given_name", "Browsertest")
    page.fill("#id_family_name", "Synthetic")
    page.fill("#id_date_of_birth", "1991-06-15")
    page.select_option("#id_address_kind", "residential")
    page.fill("#id_line1", "1 Example Plaza")
    page.fill("#id_city", "Bronx")
    page.fill("#id_postcode", postcode)
    page.select_option("#id_borough", "bronx")
    page.select_option("#id_doc-0-type", "foreign_passport")
    page.fill("#id_doc-0-number", "E2E000111")
    page.fill("#id_doc-0-expires", "2031-01-01")
    page.select_option("#id_doc-1-type", "utility_bill")
    page.fill("#id_doc-1-number", "BILL-77")
    for selector, name in (("#id_photo", "photo.jpg"), ("#id_doc-0-scan", "passport.jpg"),
                           ("#id_doc-1-scan", "bill.jpg")):
        _settle(page)  # an upload starts at once: not beside the points panel's request
        page.set_input_files(selector, files[name])
        expect(page.locator(f"{selector}_kept")).to_contain_text(name)  # staged the moment it was chosen


def _screenshot(page, tmp_path: Path, name: str) -> None:
    page.screenshot(path=str(tmp_path / name), full_page=True)
    target = os.environ.get("CITYID_SCREENSHOTS")
    if target:
        Path(target).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(target) / name), full_page=True)


def test_files_survive_a_validation_error_and_enter_does_not_submit(browser, live_server, tmp_path):  # noqa: F811
    from playwright.sync_api import expect

    from cityid.enrollment.models import Application, StagedUpload

    violations: list[str] = []
    page = _page(browser, live_server, _clerk("clerk_form"), violations)
    posts: list[str] = []
    page.on("request", lambda request: posts.append(request.url)
            if request.method == "POST" and request.url.endswith("/enrollment/new/") else None)
    files = _files(tmp_path)
    page.goto(f"{live_server.url}/enrollment/new/")
    _fill(page, files, postcode="1000")
    assert StagedUpload.objects.count() == 3

    page.locator("#id_given_name").press("Enter")  # must not submit the form
    page.locator("#id_city").press("Enter")
    _settle(page)
    page.click("#submit-application")
    page.wait_for_load_state()
    summary = page.locator("#error-summary")
    expect(summary).to_be_focused()
    assert posts == [f"{live_server.url}/enrollment/new/"]  # only the click submitted
    expect(summary.locator('a[href="#id_postcode"]')).to_contain_text("Enter a 5-digit ZIP code, like 10001.")
    for selector, name in (("#id_photo", "photo.jpg"), ("#id_doc-0-scan", "passport.jpg"),
                           ("#id_doc-1-scan", "bill.jpg")):
        expect(page.locator(f"{selector}_kept")).to_contain_text(f"{name} kept")
    expect(page.locator("#points .cityid-points")).to_have_attribute("data-identity", "3")  # the panel kept its state
    _screenshot(page, tmp_path, "enrollment-failed-en.png")

    summary.locator('a[href="#id_postcode"]').click()
    expect(page.locator("#id_postcode")).to_be_focused()
    page.fill("#id_postcode", "10451")
    _settle(page)
    page.click("#submit-application")
    page.wait_for_url("**/enrollment/submitted/**")
    application = Application.objects.get()
    assert application.applicant.photo is not None
    assert [doc.scan is not None for doc in application.documents.order_by("position")] == [True, True]
    assert not StagedUpload.objects.exists()

    # The same failure in Spanish, and "No address" disabling the address fields without clearing them.
    page.context.add_cookies([{"name": "django_language", "value": "es", "url": live_server.url}])
    page.goto(f"{live_server.url}/enrollment/new/")
    _fill(page, files, postcode="1000")
    page.fill("#id_family_name", "")
    _settle(page)
    page.click("#submit-application")
    page.wait_for_load_state()
    expect(page.locator("#error-summary")).to_be_focused()
    expect(page.locator("#id_photo_kept")).to_be_visible()
    _screenshot(page, tmp_path, "enrollment-failed-es.png")
    page.select_option("#id_address_kind", "none")
    expect(page.locator("#id_line1")).to_be_disabled()
    page.select_option("#id_address_kind", "residential")
    expect(page.locator("#id_line1")).to_have_value("1 Example Plaza")
    assert not violations, violations


def test_a_double_click_makes_one_applicant_and_leaving_asks_first(browser, live_server, tmp_path):  # noqa: F811
    from cityid.enrollment.models import Applicant

    violations: list[str] = []
    page = _page(browser, live_server, _clerk("clerk_double"), violations)
    dialogs: list[str] = []

    def on_dialog(dialog) -> None:
        dialogs.append(dialog.type)
        dialog.accept()

    page.on("dialog", on_dialog)
    page.goto(f"{live_server.url}/enrollment/new/")
    page.fill("#id_given_name", "Halfway")
    page.goto(f"{live_server.url}/")  # a half-filled form: the browser asks first
    assert dialogs == ["beforeunload"]

    page.goto(f"{live_server.url}/enrollment/new/")
    _fill(page, _files(tmp_path), postcode="10451")
    _settle(page)
    page.dblclick("#submit-application")
    page.wait_for_url("**/enrollment/submitted/**")
    assert Applicant.objects.count() == 1
    page.goto(f"{live_server.url}/")  # after a successful submit: no question
    assert dialogs == ["beforeunload"]
    assert not violations, violations
