"""Issue #11's done-when for the card: render a real card's PDF, rasterise it (pypdfium2), decode both QR codes with
zxing-cpp (not the encoder, segno) and verify them against the published JWK Set and signed status list (fetched
from the public URLs); the full code's photo hash is the SHA-256 of the portrait bytes embedded in the PDF, and its
name, birth date, number and expiry are those printed on the front. A revoked card's codes then refuse."""

from __future__ import annotations

import hashlib
import json

import pypdfium2 as pdfium
import pytest
import zxingcpp
from django.test import Client

from cityid.cards import credentials, printing, status_list
from cityid.cards.card_pdf import grouped_number
from cityid.cards.selectors import card_content
from cityid.cards.services import change_status


def published(client: Client) -> tuple[dict, status_list.StatusList]:
    keys = client.get("/.well-known/cityid/keys")
    assert keys.status_code == 200 and keys["Content-Type"] == "application/jwk-set+json"
    key_set = credentials.key_set(json.loads(keys.content))
    document = client.get("/.well-known/cityid/status")
    assert document.status_code == 200
    return key_set, status_list.parse(document.content.decode(), key_set)


def decoded_codes(pdf: bytes) -> list[str]:
    back = pdfium.PdfDocument(pdf)[1].render(scale=600 / 72).to_pil()
    return [code.text for code in zxingcpp.read_barcodes(back, formats=zxingcpp.BarcodeFormat.QRCode)]


def test_card_pdf_codes_decode_with_zxing_and_verify_against_the_published_keys(
        staff, card, django_capture_on_commit_callbacks):
    producer = staff["card_production"]
    pdf = printing.card_pdf(card, actor=producer)
    texts = decoded_codes(pdf)
    assert len(texts) == 2 and all(text.startswith("CID1:") for text in texts)

    client = Client()
    key_set, statuses = published(client)
    verified = {result.claims.kind: result
                for result in (credentials.verify(text, key_set, status=statuses) for text in texts)}
    assert set(verified) == {"full", "minimal"}
    assert {result.status for result in verified.values()} == {"active"}

    full, minimal = verified["full"].claims, verified["minimal"].claims
    portrait = card_content(card, actor=producer).portrait
    assert portrait is not None and portrait in pdf  # the printed portrait, byte for byte
    assert full.photo_hash == hashlib.sha256(portrait).digest()
    front = pdfium.PdfDocument(pdf)[0].get_textpage().get_text_range()
    assert full.card_number == card.number and grouped_number(card.number) in front
    assert full.name == "Canaryname Testperson"
    assert full.birth_date.isoformat() == "1990-04-12" and "04/12/1990" in front
    assert full.expires_on == card.expires_on == minimal.expires_on
    assert card.expires_on.strftime("%m/%d/%Y") in front
    assert (minimal.resident, minimal.over_18, minimal.over_21) == (True, True, True)
    assert not {"name", "card_number", "birth_date"} & set(vars(minimal))

    # Revoked: the same printed codes now refuse against the rebuilt, re-published list.
    with django_capture_on_commit_callbacks(execute=True):  # the list is rebuilt once the change commits
        change_status(card, "revoke", reason="stolen", changed_by=staff["supervisor"])
    key_set, statuses = published(client)
    for text in texts:
        with pytest.raises(credentials.Refused) as refused:
            credentials.verify(text, key_set, status=statuses)
        assert refused.value.code == "revoked"


def test_batch_sheet_codes_verify(staff, card):
    from cityid.cards.services import create_batch

    producer = staff["card_production"]
    batch = create_batch(created_by=producer)
    pdf = printing.batch_pdf(batch, actor=producer)
    texts = decoded_codes(pdf)
    key_set, statuses = published(Client())
    kinds = sorted(credentials.verify(text, key_set, status=statuses).claims.kind for text in texts)
    assert kinds == ["full", "minimal"]
