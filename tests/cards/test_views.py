"""The staff card pages: who sees them, the status form (CSRF, messages, refusals) and the history."""

from __future__ import annotations

import pytest
from django.test import Client

from cityid.accounts.policy import ROLES
from cityid.audit.models import AuditEntry
from cityid.cards.models import Card, CardStatus, CardStatusChange
from tests.audit.helpers import LOGIN_URL, PASSWORD, sign_in
from tests.cards.test_services import unused_number, wrong_check_digit

READERS = {"supervisor", "card_production"}


def change_url(card: Card) -> str:
    return f"/cards/{card.pk}/status/"


def post_change(client: Client, card: Card, change: str, reason: str, note: str = "", **extra):
    return client.post(change_url(card), {"confirmed": "yes", "change": change, f"{change}-reason": reason,
                                          f"{change}-note": note, **extra}, follow=True)


def page_text(response) -> str:
    return response.content.decode()


@pytest.mark.parametrize("role", sorted(ROLES))
def test_pages_by_role(staff, card, role):
    client = sign_in(staff[role])
    expected = 200 if role in READERS else 403
    assert client.get("/cards/").status_code == expected
    assert client.get(f"/cards/{card.pk}/").status_code == expected
    response = client.post(change_url(card), {"change": "revoke", "revoke-reason": "stolen", "confirmed": "yes"})
    assert response.status_code == (302 if role == "supervisor" else 403)
    assert Card.objects.get(pk=card.pk).status == (CardStatus.REVOKED if role == "supervisor" else CardStatus.ISSUED)
    if role != "supervisor":
        assert AuditEntry.objects.filter(action="access.denied", actor=f"staff:{staff[role].pk}").exists()


def test_anonymous_is_sent_to_sign_in(card):
    response = Client().get(f"/cards/{card.pk}/")
    assert response.status_code == 302 and response["Location"].startswith(LOGIN_URL)
    revoke = {"change": "revoke", "revoke-reason": "stolen", "confirmed": "yes"}
    assert Client().post(change_url(card), revoke).status_code == 302
    assert Card.objects.get(pk=card.pk).status == CardStatus.ISSUED


def test_card_production_sees_no_form_and_no_applicant_link(staff, card):
    html = page_text(sign_in(staff["card_production"]).get(f"/cards/{card.pk}/"))
    assert card.number in html
    assert 'name="change"' not in html
    assert "/enrollment/applicants/" not in html
    assert "Canaryname" not in html


def test_supervisor_page_offers_the_possible_changes(staff, card):
    client = sign_in(staff["supervisor"])
    html = page_text(client.get(f"/cards/{card.pk}/"))
    assert 'id="suspend-form"' in html and 'id="revoke-form"' in html and 'id="reinstate-form"' not in html
    # The card's case is decided: the link leads to the purpose page (a closed case opens only with a reason).
    assert f'href="/enrollment/applicants/{card.applicant.public_id}/"' in html and "?purpose=" not in html
    assert "Canaryname" not in html  # the card page shows the card, not the person
    assert "has not changed since it was issued" in html
    assert 'value="recovered"' not in html.split('id="suspend-form"')[1].split("</form>")[0]


def test_supervisor_suspends_then_revokes_with_csrf(staff, card):
    user = staff["supervisor"]
    user.set_password(PASSWORD)
    user.save()
    client = Client(enforce_csrf_checks=True)
    client.get(LOGIN_URL)
    from django_otp.oath import totp

    device = user.totpdevice_set.first()
    code = totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits, drift=device.drift)
    response = client.post(LOGIN_URL, {"username": user.username, "password": PASSWORD,
                                       "otp_token": f"{code:0{device.digits}d}",
                                       "csrfmiddlewaretoken": client.cookies["csrftoken"].value})
    assert response.status_code == 302

    page = page_text(client.get(f"/cards/{card.pk}/"))
    assert 'name="csrfmiddlewaretoken"' in page
    without_token = client.post(change_url(card), {"change": "suspend", "suspend-reason": "lost"})
    assert without_token.status_code == 403
    assert Card.objects.get(pk=card.pk).status == CardStatus.ISSUED

    token = client.cookies["csrftoken"].value
    response = post_change(client, card, "suspend", "lost", "left on the bus", csrfmiddlewaretoken=token)
    html = page_text(response)
    assert response.redirect_chain == [(f"/cards/{card.pk}/", 302)]
    assert "The card is suspended." in html
    assert Card.objects.get(pk=card.pk).status == CardStatus.SUSPENDED
    history = html.split('id="card-history"')[1].split("</table>")[0]
    assert "left on the bus" in history and "Lost" in history and user.username in history
    assert 'id="reinstate-form"' in html and 'id="suspend-form"' not in html

    response = post_change(client, card, "revoke", "stolen", csrfmiddlewaretoken=token)
    html = page_text(response)
    assert "The card is revoked." in html
    assert "A revoked card is final" in html and 'name="change"' not in html
    assert list(CardStatusChange.objects.order_by("id").values_list("to_status", flat=True)) == [
        "suspended", "revoked"]
    assert AuditEntry.objects.get(action="card.revoke").target == f"card:{card.pk}"


def test_refusal_shows_a_message(staff, card):
    client = sign_in(staff["supervisor"])
    post_change(client, card, "revoke", "fraud")
    response = post_change(client, card, "suspend", "lost")
    assert response.status_code == 200
    assert "a revoked card cannot be changed" in page_text(response)
    assert 'usa-alert--error' in page_text(response)

    other = Card.objects.get(pk=card.pk)
    assert other.status == CardStatus.REVOKED
    assert CardStatusChange.objects.count() == 1


def test_reinstating_an_issued_card_is_refused(staff, card):
    client = sign_in(staff["supervisor"])
    response = post_change(client, card, "reinstate", "recovered")
    assert "Only a suspended card can be reinstated." in page_text(response)
    assert not CardStatusChange.objects.exists()


def test_invalid_form_shows_field_errors(staff, card):
    client = sign_in(staff["supervisor"])
    response = post_change(client, card, "revoke", "")
    assert response.redirect_chain == []
    html = page_text(response)
    assert "usa-form-group--error" in html and 'id="revoke-form"' in html
    response = post_change(client, card, "suspend", "recovered", "x" * 201)
    assert "usa-error-message" in page_text(response)
    response = client.post(change_url(card), {"change": "destroy"}, follow=True)
    assert "Choose whether to revoke, suspend or reinstate the card." in page_text(response)
    assert not CardStatusChange.objects.exists()
    assert Card.objects.get(pk=card.pk).status == CardStatus.ISSUED


def test_find_a_card_by_number(staff, card):
    client = sign_in(staff["card_production"])
    spaced = " ".join(card.number[i : i + 4] for i in range(0, 16, 4))
    response = client.post("/cards/", {"number": spaced})
    assert response.status_code == 302 and response["Location"] == f"/cards/{card.pk}/"
    for number, message in ((wrong_check_digit(card.number), "the check digit does not match"),
                            (unused_number(), "No card has that number."), ("12ab", "A card number has 16 digits."),
                            ("\u00b2234 5678 9012 3456", "A card number has 16 digits.")):
        response = client.post("/cards/", {"number": number})
        assert response.status_code == 200
        assert message in page_text(response), number


def test_list_filters_by_status(staff, card):
    client = sign_in(staff["supervisor"])
    assert card.number in page_text(client.get("/cards/"))
    assert card.number not in page_text(client.get("/cards/?status=suspended"))
    assert "No card has this status." in page_text(client.get("/cards/?status=revoked"))
    post_change(client, card, "suspend", "lost")
    assert card.number in page_text(client.get("/cards/?status=suspended"))
    assert card.number in page_text(client.get("/cards/?status=bogus&page=9"))


def test_nav_and_applicant_page_link(staff, card):
    # The card's case is decided: the supervisor records a reason, then the record shows the card's link.
    supervisor = sign_in(staff["supervisor"])
    response = supervisor.post(f"/enrollment/applicants/{card.applicant.public_id}/",
                               {"application": str(card.application.public_id), "reason": "replacement_card"})
    assert response.status_code == 302 and "purpose=closed_case" in response["Location"]
    html = page_text(supervisor.get(response["Location"]))
    assert card.number in html
    assert f'href="/cards/{card.pk}/"' in html and 'href="/cards/"' in html
    # A clerk may not open a closed case at all: neither the record nor the card's link.
    clerk = sign_in(staff["clerk"])
    response = clerk.get(f"/enrollment/applicants/{card.applicant.public_id}/?purpose={card.application.ref}")
    assert response.status_code == 403
    html = page_text(response)
    assert card.number not in html
    assert f'href="/cards/{card.pk}/"' not in html and 'href="/cards/"' not in html


def test_card_page_in_spanish(staff, card):
    client = sign_in(staff["supervisor"])
    client.post("/i18n/setlang/", {"language": "es", "next": "/"})
    post_change(client, card, "suspend", "lost")
    html = page_text(client.get(f"/cards/{card.pk}/"))
    assert "Suspend the card" not in html and "Reinstate the card" not in html
    assert "Historial" in html


def test_revoke_confirmation_names_the_card_by_its_number(staff, card):
    client = sign_in(staff["supervisor"])
    response = client.post(change_url(card), {"change": "revoke", "revoke-reason": "stolen"})
    html = page_text(response)
    assert response.status_code == 200 and f"Revoke card {card.number}?" in html
    assert Card.objects.get(pk=card.pk).status == CardStatus.ISSUED
    assert card.application.receipt not in html


def test_a_confirmation_page_is_sent_once(staff, card):
    html = page_text(sign_in(staff["supervisor"]).post(change_url(card), {"change": "revoke", "revoke-reason": "lost"}))
    assert 'data-submit-once' in html.split('name="confirmed"')[0].rsplit("<form", 1)[1]
