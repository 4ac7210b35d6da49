"""The pages the cards, matching, disclosure and reports branches brought, walked in real headless Chromium as their
users would: a fraud analyst decides an alert (same person, different people, fraud) after comparing the two
records, and the decision is in the audit log; a clerk logs a law-enforcement request and counsel decides it
(never one they logged themselves), confirming every final step; card production makes a print batch and marks it
printed after confirming; the public statistics dashboard and transparency page, in English and Spanish. Each
page is checked by axe-core, for raw codes, and at a phone's width (390 px) for a page that scrolls sideways."""

from __future__ import annotations

import re
from datetime import date

import pytest
from django.utils import translation
from playwright.sync_api import expect

from tests.browser.sessions import submit
from tests.browser.test_axe import SHOTS, violations
from tests.browser.test_enroll_end_to_end import browser  # noqa: F401  (the fixture)
from tests.conftest import complete_enrolment, make_input

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
RAW_CODE = re.compile(r"\b[a-z]+_[a-z_]+\b|\b[a-z]{2,}\.[a-z_]{2,}\b")  # (not "a.m.")


def _in(language: str, kind: str, code: str) -> str:
    from cityid.ui.labels import label

    with translation.override(language):
        return label(kind, code)


def _fits_a_phone(page, what: str) -> None:
    """At 390 px the page itself never scrolls sideways (a wide table scrolls inside its own box)."""
    page.set_viewport_size({"width": 390, "height": 844})
    width = page.evaluate("document.documentElement.scrollWidth")
    wide = page.evaluate("""() => [...document.querySelectorAll("main *")]
        .filter(e => e.getBoundingClientRect().right > 390 && !e.closest(".usa-table-container--scrollable"))
        .slice(0, 5).map(e => e.tagName + "." + e.className + " " + Math.round(e.getBoundingClientRect().right))""")
    if SHOTS is not None:  # CITYID_SCREENSHOTS=<dir>: the page at 390 px and at a desktop's width, to look at
        SHOTS.mkdir(parents=True, exist_ok=True)
        slug = re.sub(r"[^a-z0-9]+", "-", what.lower()).strip("-")
        language = page.evaluate("document.documentElement.lang")
        page.screenshot(path=str(SHOTS / f"walk-{slug}-{language}-390.png"), full_page=True)
        page.set_viewport_size({"width": 1280, "height": 900})
        page.screenshot(path=str(SHOTS / f"walk-{slug}-{language}-desktop.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})
    assert width <= 390, f"{what} is {width} px wide at 390 px: {wide}"


def _clean(page, what: str) -> None:
    """No axe violation, no raw code in the words of the page."""
    found = violations(page)
    assert not found, f"{what}: " + "\n".join(found)
    text = page.locator("main").inner_text()
    assert not RAW_CODE.search(text), f"{what}: raw code {RAW_CODE.search(text).group(0)!r}"


# --- matching ------------------------------------------------------------------------------------------------

@pytest.mark.matching
@pytest.mark.parametrize(("decision", "language"), [("same_person", "en"), ("fraud", "es"),
                                                    ("different_people", "es")])
def test_an_analyst_compares_side_by_side_and_decides(journey, live_server, staff, decision, language):
    from cityid.audit.models import AuditEntry
    from cityid.matching.models import Alert
    from tests.matching.helpers import enroll, person

    enroll(staff, person(0))
    twin = person(0, given_name="Oluwasegun")
    for doc in twin.documents:
        doc.number += "9"
    enroll(staff, twin)  # the real submission check opens the alert
    alert = Alert.objects.get()
    analyst = staff["fraud_analyst"]
    page = journey(analyst, language)
    base = live_server.url

    page.goto(f"{base}/matching/")
    if language == "es":  # the filter names the alerts ("Abiertas"), not the verb ("Abrir")
        expect(page.locator("main nav [aria-current=page]")).to_have_text("Abiertas")
    _clean(page, "the alert list")
    _fits_a_phone(page, "the alert list")
    submit(page, "#alerts tbody a")
    expect(page.locator("h1")).to_have_text(_in(language, "match_alert_kind", "duplicate"))
    _clean(page, "the alert")
    submit(page, f"a[href='/matching/{alert.public_id}/compare/1/']")

    # The two records side by side, with the evidence per field; the reading is logged under the alert.
    table = page.locator("#side-by-side")
    expect(table).to_contain_text("Oluwasegun")
    expect(table).to_contain_text("Oluwaseun")
    expect(table.locator("tbody tr", has_text="Adeyemi")).to_contain_text(
        "Same" if language == "en" else "Igual")
    expect(table).to_contain_text("02/17/1984" if language == "en" else "17/02/1984")  # a date, in the locale
    _clean(page, "the comparison")
    _fits_a_phone(page, "the comparison")
    reads = AuditEntry.objects.filter(action="personal.read", actor=f"staff:{analyst.pk}", purpose=alert.ref)
    assert reads.count() == 2

    # A decision is final: asked first, and Cancel changes nothing.
    words = _in(language, "match_decision", decision)
    page.click(f"label[for='decision-{decision}']")
    submit(page, "#decide")
    expect(page.locator("[data-confirm] h1")).to_contain_text(words)
    _clean(page, "the decision's confirmation")
    assert Alert.objects.get().status == "open"
    submit(page, "[data-confirm] a.usa-button--outline")
    expect(page).to_have_url(f"{base}/matching/{alert.public_id}/compare/1/")
    assert not AuditEntry.objects.filter(action="match.decide").exists()
    page.click(f"label[for='decision-{decision}']")
    submit(page, "#decide")
    submit(page, "[data-confirm] button[type=submit]")
    expect(page).to_have_url(f"{base}/matching/{alert.public_id}/")
    expect(page.locator("#pairs")).to_contain_text(words)
    expect(page.locator("#alert-summary")).to_contain_text(words)

    alert.refresh_from_db()
    assert (alert.status, alert.decision) == ("closed", decision)
    entry = AuditEntry.objects.get(action="match.decide")
    assert (entry.actor, entry.target, entry.purpose) == (f"staff:{analyst.pk}", alert.ref, f"pair:1:{decision}")
    # The decided alert opens no record any more.
    page.goto(f"{base}/matching/{alert.public_id}/compare/1/")
    expect(page.locator("main")).not_to_contain_text("Oluwase")


# --- law-enforcement requests --------------------------------------------------------------------------------

def test_a_clerk_logs_a_request_and_counsel_decides_it(journey, live_server, staff):
    from cityid.audit.models import AuditEntry
    from cityid.disclosure import law_enforcement_services as le
    from cityid.disclosure.law_enforcement_models import LawEnforcementRequest
    from cityid.enrollment.services import enroll

    applicant = enroll(data=make_input(), enrolled_by=staff["clerk"], today=date(2026, 11, 20)).applicant
    base = live_server.url

    # The clerk logs a court order; a date in the future is refused and what was typed stays.
    page = journey(staff["clerk"])
    page.goto(f"{base}/law-enforcement/new/")
    _clean(page, "the logging form")
    page.select_option("#id_agency_type", "local_police")
    page.fill("#id_agency", "Example precinct")
    page.fill("#id_officer", "Det. Example #1")
    page.select_option("#id_legal_process", "court_order")
    page.fill("#id_received_on", "2030-01-01")
    page.fill("#id_subjects", applicant.ref)
    submit(page, "main form button[type=submit]")
    expect(page.locator("main")).to_contain_text("in the future")
    for field, value in (("#id_agency", "Example precinct"), ("#id_officer", "Det. Example #1"),
                         ("#id_subjects", applicant.ref), ("#id_legal_process", "court_order")):
        expect(page.locator(field)).to_have_value(value)
    _clean(page, "the logging form with an error")
    page.fill("#id_received_on", "2026-11-24")
    submit(page, "main form button[type=submit]")
    request = LawEnforcementRequest.objects.get()
    expect(page).to_have_url(f"{base}/law-enforcement/{request.public_id}/")
    expect(page.locator("main")).not_to_contain_text(applicant.ref)  # sealed from the clerk
    assert page.locator("input[name=change]").count() == 0

    # Counsel who logged a request themselves cannot decide it.
    own = le.log_request(agency_type="court", legal_process="court_order", received_on=date(2026, 11, 24),
                         agency="A court", officer="A clerk of the court", subjects=applicant.ref,
                         logged_by=staff["counsel"])
    counsel_page = journey(staff["counsel"], "es")
    counsel_page.goto(f"{base}/law-enforcement/{own.public_id}/")
    expect(counsel_page.locator(".usa-alert--warning")).to_be_visible()
    assert counsel_page.locator("input[name=change]").count() == 0

    # Counsel reviews the clerk's request and orders production after confirming; Cancel changes nothing.
    counsel_page.goto(f"{base}/law-enforcement/{request.public_id}/")
    _clean(counsel_page, "the request, logged")
    submit(counsel_page, "form:has(input[name=change][value=review]) button")
    expect(counsel_page.locator(".usa-tag").first).to_have_text(_in("es", "le_status", "under_review"))
    _clean(counsel_page, "the request, under review")
    _fits_a_phone(counsel_page, "the request under review")
    counsel_page.fill("#id_ordered_subjects", applicant.ref)
    counsel_page.click("label[for=id_ordered_kinds_0]")
    counsel_page.fill("#id_note", "Nota de prueba")
    submit(counsel_page, "form:has(input[name=change][value=produce]) button[type=submit]")
    expect(counsel_page.locator("[data-confirm] h1")).to_contain_text(request.number)
    _clean(counsel_page, "the production order's confirmation")
    submit(counsel_page, "[data-confirm] a.usa-button--outline")
    request.refresh_from_db()
    assert request.status == "under_review" and not AuditEntry.objects.filter(action="law_enforcement.produce").exists()
    counsel_page.fill("#id_ordered_subjects", applicant.ref)
    counsel_page.click("label[for=id_ordered_kinds_0]")
    submit(counsel_page, "form:has(input[name=change][value=produce]) button[type=submit]")
    submit(counsel_page, "[data-confirm] button[type=submit]")
    expect(counsel_page.locator(".usa-tag").first).to_have_text(_in("es", "le_status", "producing"))
    request.refresh_from_db()
    assert (request.status, request.decision, request.decided_by_id) == (
        "producing", "produce", staff["counsel"].pk)

    # Producing the item hands it over once, after confirming.
    submit(counsel_page, "form[action$='/produce/'] button[type=submit]")
    _clean(counsel_page, "the production's confirmation")
    with counsel_page.expect_download() as download:
        counsel_page.click("[data-confirm] button[type=submit]")
    assert download.value.suggested_filename.startswith(f"{request.number}-item-")
    request.refresh_from_db()
    assert request.status == "produced"
    assert AuditEntry.objects.filter(action="law_enforcement.produce_item", target=request.ref).count() == 1

    # A subpoena is refused after confirming, and the refusal is in the log.
    subpoena = le.log_request(agency_type="local_police", legal_process="administrative_subpoena",
                              received_on=date(2026, 11, 24), agency="A precinct", officer="An officer",
                              subjects=applicant.ref, logged_by=staff["clerk"])
    counsel_page.goto(f"{base}/law-enforcement/{subpoena.public_id}/")
    submit(counsel_page, "form:has(input[name=change][value=refuse]) button")
    expect(counsel_page.locator("[data-confirm] h1")).to_contain_text(subpoena.number)
    submit(counsel_page, "[data-confirm] button[type=submit]")
    expect(counsel_page.locator(".usa-tag").first).to_have_text(_in("es", "le_status", "refused"))
    assert AuditEntry.objects.filter(action="law_enforcement.refuse", target=subpoena.ref,
                                     actor=f"staff:{staff['counsel'].pk}").count() == 1
    counsel_page.goto(f"{base}/law-enforcement/?status=all")
    expect(counsel_page.locator("main nav a")).to_have_text(["Abiertas", "Decididas", "Cerradas", "Todas"])
    _clean(counsel_page, "the list of requests")
    _fits_a_phone(counsel_page, "the list of requests")


# --- print batches -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("language", ["en", "es"])
def test_card_production_makes_a_batch_and_marks_it_printed(journey, live_server, staff, language):
    from cityid.audit.models import AuditEntry
    from cityid.cards.models import CardStatusChange, PrintBatch
    from cityid.enrollment.services import decide, enroll

    for i in range(3):
        application = enroll(data=make_input(given_name=f"Printname{'abc'[i]}", date_of_birth=date(1980 + i, 1, 2)),
                             enrolled_by=staff["clerk"], today=date(2026, 11, 20))
        decide(application=application, approve=True, decided_by=staff["supervisor"])
    page = journey(staff["card_production"], language)
    base = live_server.url

    page.goto(f"{base}/cards/batches/")
    expect(page.locator("#waiting")).to_contain_text("3")
    _clean(page, "the print batches")
    page.fill("#id_limit", "2")
    submit(page, "main form button[type=submit]")
    batch = PrintBatch.objects.get()
    expect(page).to_have_url(f"{base}/cards/batches/{batch.pk}/")
    expect(page.locator("#batch-cards tbody tr")).to_have_count(2)
    _clean(page, "a print batch")
    _fits_a_phone(page, "a print batch")

    # Marking the batch printed asks first, in place; Cancel changes nothing.
    printed = _in(language, "batch_status", "printed")
    page.wait_for_load_state("networkidle")
    page.click("#batch-status button[type=submit]")
    confirm = page.locator("#batch-status[data-confirm]")
    expect(confirm).to_contain_text(printed)
    _clean(page, "the batch's confirmation")
    assert PrintBatch.objects.get().status == "created"
    submit(page, "#batch-status a.usa-button--outline")
    expect(page.locator("#batch-status[data-confirm]")).to_have_count(0)
    assert PrintBatch.objects.get().status == "created"
    page.wait_for_load_state("networkidle")
    page.click("#batch-status button[type=submit]")
    page.dblclick("#batch-status[data-confirm] button[type=submit]")  # a double click marks once
    expect(page.locator("#batch-status .usa-tag")).to_have_text(printed)
    page.wait_for_load_state("networkidle")
    assert PrintBatch.objects.get().status == "printed"
    assert AuditEntry.objects.filter(action="cards.batch_printed").count() == 1
    assert CardStatusChange.objects.filter(event="printed").count() == 2
    page.goto(f"{base}/cards/batches/")
    expect(page.locator("#waiting")).to_contain_text("1")
    expect(page.locator("#batches tbody tr").first).to_contain_text(printed)
    _fits_a_phone(page, "the print batches")


# --- public statistics and transparency ----------------------------------------------------------------------

@pytest.mark.parametrize("language", ["en", "es"])
def test_the_public_statistics_and_transparency_pages(journey, live_server, staff, language):
    from cityid.bench.population import bulk_population
    from cityid.reports.services import publish_release
    from tests.ui.site import _law_enforcement_requests

    bulk_population(400, start=date(2026, 1, 1), days=181, seed=7)
    publish_release(start=date(2026, 1, 1), end=date(2026, 6, 30))
    from cityid.enrollment.services import enroll

    _law_enforcement_requests(staff, enroll(data=make_input(), enrolled_by=staff["clerk"],
                                            today=date(2026, 11, 20)).applicant)
    page = journey(None, language)
    base = live_server.url

    page.goto(f"{base}/stats/")
    charts = page.locator("img.cityid-chart")
    assert charts.count() >= 2
    for i in range(charts.count()):
        chart = charts.nth(i)
        alt = chart.get_attribute("alt") or ""
        assert len(alt) > 40 and not RAW_CODE.search(alt), alt  # the chart in words, not codes
        chart.scroll_into_view_if_needed()
        expect(chart).to_have_js_property("complete", True)
        assert chart.evaluate("img => img.naturalWidth") > 0
    if language == "es":
        expect(page.locator("h1")).to_have_text("Estadísticas del programa")
        assert "Bar chart" not in (charts.first.get_attribute("alt") or "")
    _clean(page, "the statistics")
    _fits_a_phone(page, "the statistics")

    page.click("a[href='/transparency/']")
    page.fill("#quarter", "2026Q4")
    submit(page, "main form button[type=submit]")
    expect(page.locator("main table").first).to_be_visible()
    _clean(page, "the transparency report")
    _fits_a_phone(page, "the transparency report")
    page.fill("#quarter", "2026Q9")
    submit(page, "main form button[type=submit]")
    expect(page.locator("#quarter-error")).to_be_visible()
    expect(page.locator("#quarter")).to_have_value("2026Q9")  # what was typed stays
    _clean(page, "the transparency report with an error")


def test_two_counsel_the_one_who_logged_cannot_decide(journey, live_server, staff):
    """The other way round from above: the second counsel decides what the first logged."""
    from cityid.accounts.services import create_staff
    from cityid.disclosure import law_enforcement_services as le
    from cityid.enrollment.services import enroll

    second = complete_enrolment(create_staff(username="counsel2", role="counsel"))
    applicant = enroll(data=make_input(), enrolled_by=staff["clerk"], today=date(2026, 11, 20)).applicant
    logged = le.log_request(agency_type="court", legal_process="judicial_warrant", received_on=date(2026, 11, 24),
                            agency="A court", officer="A clerk of the court", subjects=applicant.ref,
                            logged_by=staff["counsel"])
    page = journey(staff["counsel"])
    page.goto(f"{live_server.url}/law-enforcement/{logged.public_id}/")
    expect(page.locator("main")).to_contain_text("a different counsel must review and decide it")
    assert page.locator("input[name=change]").count() == 0
    other = journey(second)
    other.goto(f"{live_server.url}/law-enforcement/{logged.public_id}/")
    submit(other, "form:has(input[name=change][value=review]) button")
    logged.refresh_from_db()
    assert logged.status == "under_review"
