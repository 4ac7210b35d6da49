"""The card production page (print batches: make, download, mark with htmx), a card's PDF, and a supervisor's
replacement and renewal from the card's page; in English and Spanish; refused to the other roles."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from cityid.accounts.policy import ROLES
from cityid.audit.models import AuditEntry
from cityid.cards.models import Card, CardEvent, CardStatus, PrintBatch
from tests.audit.helpers import sign_in


def text(response) -> str:
    return response.content.decode()


@pytest.fixture
def producer(staff):
    return sign_in(staff["card_production"])


@pytest.mark.parametrize("role", sorted(ROLES))
def test_attack_batch_pages_are_card_production_only(staff, card, role):
    client = sign_in(staff[role])
    expected = 200 if role == "card_production" else 403
    assert client.get("/cards/batches/").status_code == expected
    response = client.post("/cards/batches/", {"limit": "10"})
    assert response.status_code == (302 if role == "card_production" else 403)
    assert PrintBatch.objects.exists() == (role == "card_production")
    assert client.post(f"/cards/{card.pk}/pdf/").status_code in ((200, 302) if role == "card_production" else (403,))
    if role != "card_production":
        assert not AuditEntry.objects.filter(action="personal.read_card_face").exists()


def test_batch_made_marked_with_htmx_and_in_card_history(staff, card, producer):
    page = producer.get("/cards/batches/")
    assert "1 card is waiting to be printed." in text(page)
    response = producer.post("/cards/batches/", {"limit": "10"}, follow=True)
    batch = PrintBatch.objects.get()
    assert response.redirect_chain[-1][0] == f"/cards/batches/{batch.pk}/"
    assert card.number in text(response)  # card production sees card numbers (logged)
    # Marking cannot be undone: asked first, in place through htmx, and nothing changes until confirmed.
    asked = producer.post(f"/cards/batches/{batch.pk}/mark/", {"step": "printed"}, HTTP_HX_REQUEST="true")
    assert asked.status_code == 200 and 'id="batch-status"' in text(asked) and "<html" not in text(asked)
    assert "data-confirm" in text(asked) and "Mark print batch" in text(asked)
    assert PrintBatch.objects.get().status == "created"
    partial = producer.post(f"/cards/batches/{batch.pk}/mark/", {"step": "printed", "confirmed": "yes"},
                            HTTP_HX_REQUEST="true")
    assert partial.status_code == 200 and 'id="batch-status"' in text(partial) and "<html" not in text(partial)
    assert "Mark the batch: Mailed" in text(partial)
    asked = producer.post(f"/cards/batches/{batch.pk}/mark/", {"step": "picked_up"})  # without htmx: a page
    assert asked.status_code == 200 and "<html" in text(asked) and "data-confirm" in text(asked)
    assert PrintBatch.objects.get().status == "printed"
    producer.post(f"/cards/batches/{batch.pk}/mark/", {"step": "picked_up", "confirmed": "yes"})
    assert PrintBatch.objects.get().status == "picked_up"
    history = text(producer.get(f"/cards/{card.pk}/"))
    for shown in ("Put in a print batch", "Printed", "Picked up"):
        assert shown in history
    assert "0 cards are waiting to be printed." in text(producer.get("/cards/batches/"))


def test_batch_page_in_spanish(staff, card, producer):
    producer.cookies["django_language"] = "es"
    producer.post("/cards/batches/", {"limit": "10"})
    batch = PrintBatch.objects.get()
    page = text(producer.get(f"/cards/batches/{batch.pk}/", HTTP_ACCEPT_LANGUAGE="es"))
    assert "Lote de impresión" in page
    listing = text(producer.get("/cards/batches/", HTTP_ACCEPT_LANGUAGE="es"))
    assert "Lotes de impresión" in listing


def test_supervisor_replaces_a_card_after_confirming(staff, card):
    client = sign_in(staff["supervisor"])
    page = text(client.get(f"/cards/{card.pk}/"))
    assert 'id="replace-form"' in page
    confirm = client.post(f"/cards/{card.pk}/replace/", {"replace-reason": "stolen", "replace-note": ""})
    assert confirm.status_code == 200 and Card.objects.count() == 1  # asked first
    done = client.post(f"/cards/{card.pk}/replace/", {"replace-reason": "stolen", "replace-note": "",
                                                      "confirmed": "yes"}, follow=True)
    new = Card.objects.exclude(pk=card.pk).get()
    assert done.redirect_chain[-1][0] == f"/cards/{new.pk}/"
    assert Card.objects.get(pk=card.pk).status == CardStatus.REVOKED
    assert "Issued as a replacement" in text(done)


def test_supervisor_renews_within_the_window(staff, card):
    client = sign_in(staff["supervisor"])
    assert "can be renewed from" in text(client.get(f"/cards/{card.pk}/"))  # not yet: years to go
    Card.objects.filter(pk=card.pk).update(expires_on=timezone.localdate() + timedelta(days=10))
    assert 'id="renew-form"' in text(client.get(f"/cards/{card.pk}/"))
    client.post(f"/cards/{card.pk}/renew/")
    renewed = Card.objects.get(pk=card.pk)
    assert renewed.expires_on > timezone.localdate() + timedelta(days=365)
    assert renewed.status_changes.first().event == CardEvent.RENEWED


def test_attack_card_production_cannot_replace_or_renew(staff, card, producer):
    assert producer.post(f"/cards/{card.pk}/replace/", {"replace-reason": "lost", "confirmed": "yes"}).status_code \
        == 403
    assert producer.post(f"/cards/{card.pk}/renew/").status_code == 403
    assert Card.objects.count() == 1 and Card.objects.get().status == CardStatus.ISSUED
