"""The journeys of the supervisor, records officer, counsel, auditor and administrator in real headless Chromium,
each asserting that a defect found walking them by hand is gone (issue 10): waiting times in the decision queue,
confirmation before deny, revoke and deactivate, local dates and class labels in Spanish, the scope parser's
error in Spanish, an out-of-range date as a form error, labels for audit actions, lock status and unlock, the
authenticator set-up as a QR code. The clerk's journey is in test_enrollment_form.py and
test_enroll_end_to_end.py."""

from __future__ import annotations

import re
from datetime import date

import pytest
from django.utils import translation
from playwright.sync_api import expect

from tests.accounts.test_unlock import _lock
from tests.browser.sessions import submit
from tests.browser.test_enroll_end_to_end import browser  # noqa: F401  (the fixture)
from tests.conftest import make_input, with_number

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
RAW_CODE = re.compile(r"\b[a-z]+_[a-z_]+\b|\b[a-z]+\.[a-z_]+\b")


def _choose(page, name: str, value: str) -> None:
    """Tick a USWDS radio or checkbox by its label (the input itself is drawn off-screen)."""
    page.click(f"label[for='{page.locator(f'input[name={name}][value={value}]').get_attribute('id')}']")
    expect(page.locator(f"input[name={name}][value={value}]")).to_be_checked()


def _confirm_page(page, title: str) -> None:
    expect(page.locator("[data-confirm]")).to_have_count(1)
    expect(page.locator("h1")).to_have_text(title)


def test_supervisor_sees_waiting_times_and_confirms_deny_and_revoke(journey, live_server, staff):
    from cityid.cards.models import Card
    from cityid.enrollment.models import Application
    from cityid.enrollment.services import decide, enroll

    clerk, supervisor = staff["clerk"], staff["supervisor"]
    waiting = enroll(data=make_input(given_name="Waitingname"), enrolled_by=clerk, today=date(2026, 11, 20))
    approved = enroll(data=make_input(given_name="Approvedname", date_of_birth=date(1984, 2, 3)),
                      enrolled_by=clerk, today=date(2026, 11, 20))
    decide(application=approved, approve=True, decided_by=supervisor)
    card = with_number(Card.objects.get(application=approved))
    page = journey(supervisor)
    base = live_server.url

    page.goto(f"{base}/enrollment/queue/")
    row = page.locator("main tbody tr", has=page.locator(f"a[href='/enrollment/applications/{waiting.public_id}/']"))
    expect(row).to_have_count(1)
    expect(row).to_contain_text(re.compile(r"waiting \d+\s+\w+"))  # how long, not only "Review d8226366"

    # Deny asks first, naming the reasons as words; nothing changes until confirmed.
    page.click(f"a[href='/enrollment/applications/{waiting.public_id}/']")
    _choose(page, "decision", "deny")
    _choose(page, "reasons", "insufficient_documents")
    submit(page, "#record-decision")
    _confirm_page(page, "Deny this application?")
    consequences = page.locator("[data-confirm] .usa-alert li")
    expect(consequences.first).to_contain_text("Documents do not meet the points requirement")
    expect(page.locator("[data-confirm]")).not_to_contain_text("insufficient_documents")
    assert Application.objects.get(pk=waiting.pk).status == "submitted"
    page.click("text=Cancel — change nothing")
    expect(page).to_have_url(f"{base}/enrollment/applications/{waiting.public_id}/")
    assert Application.objects.get(pk=waiting.pk).status == "submitted"
    _choose(page, "decision", "deny")
    _choose(page, "reasons", "insufficient_documents")
    submit(page, "#record-decision")
    submit(page, "[data-confirm] button[type=submit]")
    expect(page.locator(".usa-alert--success")).to_contain_text("Decision recorded.")
    assert Application.objects.get(pk=waiting.pk).status == "denied"

    # Revoking a card asks first, naming the card by its number; then the card is revoked.
    page.goto(f"{base}/cards/{card.pk}/")
    page.select_option("#revoke-form select[name=revoke-reason]", index=1)
    submit(page, "#revoke-form button[type=submit]")
    _confirm_page(page, f"Revoke card {card.number}?")
    assert Card.objects.get(pk=card.pk).status == "issued"
    submit(page, "[data-confirm] button[type=submit]")
    expect(page).to_have_url(f"{base}/cards/{card.pk}/")
    expect(page.locator("#card-status")).to_contain_text("Revoked")
    assert Card.objects.get(pk=card.pk).status == "revoked"


def test_records_officer_previews_and_requests_a_run_in_spanish(journey, live_server, staff):
    from cityid.enrollment.services import enroll
    from cityid.retention import services
    from cityid.retention.models import DispositionRequest
    from cityid.ui.labels import label, when

    officer, as_of = staff["records_officer"], date(2017, 1, 2)
    for i, day in enumerate([date(2015, 3, 10), date(2016, 5, 20)]):
        enroll(data=make_input(submitted_on=day, date_of_birth=date(1960 + i, 1, 2)), enrolled_by=staff["clerk"],
               today=date(2026, 11, 20))
    services.set_schedule(record_class="documents", approved_by=officer, fixed_date=date(2016, 12, 31))
    services.apply_schedule(record_class="documents")
    with translation.override("es"):
        documents, local_date = label("record_class", "documents"), when(as_of)
    assert documents != "documents" and not re.search(r"\d{4}-\d{2}-\d{2}", local_date)
    page = journey(officer, "es")

    page.goto(f"{live_server.url}/retention/preview/")
    page.fill("#id_as_of", as_of.isoformat())
    submit(page, "main form[method=get] button[type=submit]")
    expect(page.locator(".cityid-chart strong").first).to_have_text(documents)
    expect(page.locator("main tbody td").nth(1)).to_have_text(documents)
    expect(page.locator("main h2").first).to_contain_text(local_date)

    submit(page, "main form[action='/retention/disposition/request/'] button[type=submit]")
    expect(page).to_have_url(f"{live_server.url}/retention/disposition/")
    flash = page.locator(".usa-alert--success")
    expect(flash).to_contain_text(local_date)
    flash_text = flash.inner_text()
    assert as_of.isoformat() not in flash_text and not RAW_CODE.search(flash_text)
    assert DispositionRequest.objects.get().as_of == as_of


def test_counsel_sees_the_scope_error_in_spanish_then_places_the_hold(journey, live_server, staff):
    from cityid.retention.models import LegalHold
    from cityid.retention.scope import ScopeInvalid, parse_scope

    bad = "class:paper"
    reasons = {}
    with pytest.raises(ScopeInvalid) as caught:
        parse_scope(bad)
    for language in ("en", "es"):
        with translation.override(language):
            reasons[language] = str(caught.value)
    assert reasons["es"] != reasons["en"]  # the parser's words have a Spanish translation
    page = journey(staff["counsel"], "es")

    page.goto(f"{live_server.url}/retention/holds/new/")
    page.fill("#id_case_name", "Doe v. City")
    page.fill("#id_court", "Supreme Court, Kings County")
    page.fill("#id_order_date", "2026-11-30")
    page.fill("#id_scope", bad)
    submit(page, "main form button[type=submit]")
    error = page.locator("#id_scope_error").first
    expect(error).to_contain_text(reasons["es"])
    expect(page.locator("main")).not_to_contain_text(reasons["en"])
    expect(page.locator("#id_scope")).to_have_value(bad)  # what was typed is kept to correct
    assert not LegalHold.objects.exists()

    page.fill("#id_scope", "class:application")
    submit(page, "main form button[type=submit]")
    hold = LegalHold.objects.get()
    expect(page).to_have_url(f"{live_server.url}/retention/holds/{hold.pk}/")
    expect(page.locator(".usa-alert--success")).to_be_visible()


def test_auditor_gets_a_form_error_an_empty_checkpoint_state_and_action_labels(journey, live_server, staff):
    from cityid.ui.labels import label

    page = journey(staff["auditor"])
    response = page.goto(f"{live_server.url}/audit/events/")
    assert response is not None and response.status == 200
    expect(page.locator("[data-empty=checkpoint]")).to_be_visible()  # a fresh install: nothing signed yet
    expect(page.locator("main")).not_to_contain_text("None yet")

    actions = page.locator("table.cityid-events tbody td:nth-child(5)")
    expect(actions.first).to_be_visible()
    shown = actions.all_inner_texts()
    assert label("audit_action", "staff.create") in shown
    assert not [text for text in shown if RAW_CODE.search(text)], shown
    options = page.locator("select[name=action] option").all_inner_texts()
    assert label("audit_action", "staff.create") in options and "staff.create" not in options

    page.fill("#id_until", "9999-12-31")
    with page.expect_response(lambda r: "/audit/events/?" in r.url) as answer:
        submit(page, "main form[method=get] button[type=submit]")
    assert answer.value.status == 200
    expect(page.locator("#id_until")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("main")).to_contain_text("Enter a date between the years 1900 and 2199.")


def test_administrator_unlocks_confirms_deactivation_and_enrols_with_a_qr_code(journey, live_server, staff,
                                                                               mailoutbox):
    from cityid.accounts.models import User

    clerk, base = staff["clerk"], live_server.url
    _lock(clerk)
    page = journey(staff["admin"])

    page.goto(f"{base}/accounts/staff/")
    row = page.locator("main tbody tr", has=page.locator(f"a[href='/accounts/staff/{clerk.pk}/']"))
    expect(row.locator("[data-status=locked]")).to_have_text("Locked out")
    row.locator("a").click()
    expect(page.locator("h1 ~ [data-status=locked]")).to_have_text("Locked out")
    submit(page, "#unlock")
    expect(page.locator(".usa-alert--success")).to_contain_text("can sign in again")
    expect(page.locator("[data-status=locked]")).to_have_count(0)
    page.goto(f"{base}/accounts/staff/")
    expect(row).to_have_count(1)
    expect(row.locator("[data-status=locked]")).to_have_count(0)

    # Deactivation asks first, naming the account; nothing changes until confirmed.
    page.goto(f"{base}/accounts/staff/{clerk.pk}/")
    page.select_option("#deactivate_reason", index=1)
    submit(page, f"form[action='/accounts/staff/{clerk.pk}/deactivate/'] button[type=submit]")
    _confirm_page(page, f"Deactivate {clerk.username}?")
    assert User.objects.get(pk=clerk.pk).is_active
    submit(page, "[data-confirm] button[type=submit]")
    expect(page.locator(".usa-alert--success")).to_contain_text("is deactivated")
    assert not User.objects.get(pk=clerk.pk).is_active

    # A new account's enrolment link shows the authenticator key as a QR code beside the secret.
    page.goto(f"{base}/accounts/staff/new/")
    page.fill("[name=username]", "journey_foil")
    page.fill("[name=email]", "journey_foil@staff.example.invalid")
    page.select_option("[name=role]", "foil_officer")  # every role waits for a second administrator
    submit(page, "main form button[type=submit]")
    expect(page.locator("main")).to_contain_text("second administrator must approve")
    from cityid.accounts.selectors import pending_changes
    from cityid.accounts.services import approve_change, create_staff
    from tests.conftest import complete_enrolment

    second = complete_enrolment(create_staff(username="journey_admin2", role="admin"))
    approve_change(request_id=pending_changes().get().pk, by=second)  # its link is mailed after the commit
    link = re.search(r"https?://\S+/accounts/enrol/[^/\s]+/", mailoutbox[-1].body)
    assert link, mailoutbox[-1].body
    page.context.clear_cookies()
    page.goto(base + re.sub(r"^https?://[^/]+", "", link.group(0)))
    expect(page).to_have_url(f"{base}/accounts/enrol/")
    expect(page.locator("#enrol-qr svg, #enrol-qr img")).to_have_count(1)
    expect(page.locator("#enrol-qr svg, #enrol-qr img")).to_be_visible()
    expect(page.locator("#enrol-secret")).to_have_text(re.compile(r"^[A-Z2-7]{16,}$"))
