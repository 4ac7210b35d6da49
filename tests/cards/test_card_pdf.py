"""The card PDF renderer (pure): CR80 pages, what the front shows and leaves off, the portrait's own bytes, two QR
codes that another library (zxing-cpp) reads back, deterministic output, and sheets for printing."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import date

import pypdfium2 as pdfium
import pytest
import zxingcpp

from cityid.cards.card_pdf import (
    CARD_HEIGHT_MM,
    CARD_WIDTH_MM,
    CARDS_PER_SHEET,
    SHEET_SIZE,
    CardDesign,
    CardPrint,
    render_card,
    render_sheets,
)
from cityid.cards.portrait import make_portrait
from cityid.synthetic.images import portrait_image

ALPHANUMERIC = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"


def payload(length: int, seed: int) -> str:
    rng = random.Random(seed)
    return "CID1:" + "".join(rng.choice(ALPHANUMERIC) for _ in range(length))


def sample(**changes) -> CardPrint:
    card = CardPrint(
        number="4000123412341234", given_name="María José", family_name="Núñez-García",
        date_of_birth=date(1990, 4, 12), expires_on=date(2031, 11, 20),
        full_payload=payload(330, 1), minimal_payload=payload(160, 2),
        portrait=make_portrait(portrait_image(seed=7)),
        address_lines=("742 Evergreen Ave, Apt 3F", "Queens, NY 11373"), gender="X", veteran=True,
        languages=("es", "zh"), organ_donor=True,
    )
    return replace(card, **changes)


def page_text(pdf: bytes, index: int) -> str:
    page = pdfium.PdfDocument(pdf)[index]
    return page.get_textpage().get_text_range()


def codes_on(pdf: bytes, index: int, dpi: int = 600) -> list[str]:
    image = pdfium.PdfDocument(pdf)[index].render(scale=dpi / 72).to_pil()
    return [found.text for found in zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode)]


def test_card_is_cr80_front_and_back():
    pdf = render_card(sample())
    document = pdfium.PdfDocument(pdf)
    assert len(document) == 2
    for page in document:
        width, height = page.get_size()
        assert width == pytest.approx(CARD_WIDTH_MM * 72 / 25.4, abs=0.01)
        assert height == pytest.approx(CARD_HEIGHT_MM * 72 / 25.4, abs=0.01)


def test_front_shows_what_a_card_shows():
    card = sample()
    front = page_text(render_card(card), 0)
    for shown in ("NÚÑEZ-GARCÍA", "María José", "04/12/1990", "11/20/2031", "4000 1234 1234 1234",
                  "742 Evergreen Ave, Apt 3F", "Queens, NY 11373", "VETERAN", "ORGAN DONOR", "ES ZH", "SEX"):
        assert shown in front, shown


def test_front_leaves_off_what_is_not_given():
    front = page_text(render_card(sample(address_lines=(), gender="", veteran=False, organ_donor=False,
                                         languages=())), 0)
    for absent in ("742 Evergreen", "Queens", "VETERAN", "ORGAN DONOR", "LANGUAGES", "SEX"):
        assert absent not in front, absent
    assert "NÚÑEZ-GARCÍA" in front


def test_portrait_is_embedded_as_its_own_bytes():
    card = sample()
    assert card.portrait is not None and card.portrait in render_card(card)


def test_both_codes_read_back_with_another_library():
    card = sample()
    pdf = render_card(card)
    assert sorted(codes_on(pdf, 1)) == sorted([card.full_payload, card.minimal_payload])
    assert codes_on(pdf, 0) == []  # the front carries no code


def test_back_has_signature_area_and_return_address():
    design = CardDesign(return_address=("If found, return to:", "Canary Card Office, 1 Test Plaza, NY 10007"))
    back = page_text(render_card(sample(), design), 1)
    assert "CARDHOLDER SIGNATURE" in back
    assert "Canary Card Office, 1 Test Plaza, NY 10007" in back


def test_rendering_is_deterministic():
    card = sample()
    assert render_card(card) == render_card(card)
    assert render_card(card) != render_card(sample(number="4000123412341242"))


def test_sheets_put_ten_cards_a_sheet_fronts_then_backs():
    cards = [sample(number=f"40001234123412{n:02d}", full_payload=payload(300, n), minimal_payload=payload(150, n))
             for n in range(12)]
    pdf = render_sheets(cards)
    document = pdfium.PdfDocument(pdf)
    assert len(document) == 4  # 10 + 2 cards: two sheets, each a page of fronts and a page of backs
    assert document[0].get_size() == pytest.approx(SHEET_SIZE)
    assert page_text(pdf, 0).count("NÚÑEZ-GARCÍA") == CARDS_PER_SHEET
    assert page_text(pdf, 2).count("NÚÑEZ-GARCÍA") == 2
    found = codes_on(pdf, 3, dpi=400)
    assert sorted(found) == sorted([cards[10].full_payload, cards[10].minimal_payload,
                                    cards[11].full_payload, cards[11].minimal_payload])


def test_attack_hostile_name_text_stays_text():
    # A name is drawn as text, never interpreted: PDF operators and parentheses in it do not escape.
    hostile = ") Tj /JavaScript (app.alert(1)) BT ("
    pdf = render_card(sample(given_name=hostile, family_name="x" * 300))
    assert hostile in page_text(pdf, 0)
    assert b"/JavaScript" not in pdf and b"/JS" not in pdf
