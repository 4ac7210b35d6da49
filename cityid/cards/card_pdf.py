"""The card as a print-ready PDF: CR80 (ISO/IEC 7810 ID-1, 85.60 x 53.98 mm), front and back; and sheets of cards
for a print batch. Pure Python (reportlab, segno; no Django).

Front: the program's name, the portrait (:mod:`cityid.cards.portrait`, embedded as its own JPEG bytes), the name,
date of birth, the address (only when one is given: care-of and no-address cardholders have none printed), the
expiry, the card number, and the optional marks: gender (F, M, X), "Veteran", languages, organ donor.
Back: the two signed credentials as QR codes (the full one and the minimal one; alphanumeric mode, error
correction Q, drawn as vector squares with a four-module quiet zone), a signature area and the return address.

The renderer takes the two payload texts as given (``cityid.cards`` signs them); it signs nothing and reads
nothing. Output is deterministic (reportlab's ``invariant`` mode: no creation time, a fixed document id), so the
same card gives the same bytes. The fonts are the Bitstream Vera faces that ship inside reportlab, embedded.
"""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

CARD_WIDTH_MM = 85.60
CARD_HEIGHT_MM = 53.98
MM = 72 / 25.4  # points per millimetre
CARD_SIZE = (CARD_WIDTH_MM * MM, CARD_HEIGHT_MM * MM)
#: A US Letter sheet holds two columns of five cards.
SHEET_SIZE = (8.5 * 72, 11 * 72)
SHEET_COLUMNS, SHEET_ROWS = 2, 5
CARDS_PER_SHEET = SHEET_COLUMNS * SHEET_ROWS
SHEET_GAP_MM = 4.0

FONT, BOLD = "CityidVera", "CityidVeraBold"
INK = (0.08, 0.10, 0.16)
ACCENT = (0.0, 0.27, 0.53)
QR_QUIET_ZONE = 4
#: The QR mask pattern every code uses (ISO/IEC 18004 allows any; 0 is the plain checkerboard).
QR_MASK: int | None = 0


@dataclass(frozen=True)
class CardPrint:
    """What one card shows: everything is given; nothing here is looked up."""

    number: str
    given_name: str
    family_name: str
    date_of_birth: date | None
    expires_on: date
    full_payload: str
    minimal_payload: str
    portrait: bytes | None = None
    address_lines: tuple[str, ...] = ()
    gender: str = ""
    veteran: bool = False
    languages: tuple[str, ...] = ()
    organ_donor: bool = False


@dataclass(frozen=True)
class CardDesign:
    """The program's words on every card."""

    program: str = "IDNYC"
    issuer: str = "City of New York"
    return_address: tuple[str, ...] = field(default=("If found, drop in any mailbox. Return postage guaranteed.",
                                                     "IDNYC, PO Box 0000, New York, NY 10000"))


def grouped_number(number: str) -> str:
    """``1234 5678 9012 3456``: four groups of four, as people read a card number out."""
    return " ".join(number[i : i + 4] for i in range(0, len(number), 4))


_fonts_registered = False


def _register_fonts() -> None:
    global _fonts_registered
    if _fonts_registered:
        return
    from reportlab import rl_config
    from reportlab.pdfbase import pdfmetrics

    # Images go into the PDF as they are (the portrait's JPEG bytes, DCT-encoded, not re-encoded), without an
    # ASCII85 wrapping: the printed portrait is byte for byte the one hashed into the credential.
    rl_config.useA85 = 0
    from reportlab.pdfbase.ttfonts import TTFont

    pdfmetrics.registerFont(TTFont(FONT, "Vera.ttf"))
    pdfmetrics.registerFont(TTFont(BOLD, "VeraBd.ttf"))
    _fonts_registered = True


def qr_matrix(text: str) -> tuple[bytes, ...]:
    """The QR code's modules, one ``bytes`` a row (1 dark, 0 light), for a credential text: alphanumeric mode,
    error correction Q. The mask is fixed (:data:`QR_MASK`): any of the eight is valid and read alike, and
    scoring all eight would triple the time a card takes."""
    import segno

    code = segno.make_qr(text, error="q", mode="alphanumeric", boost_error=False, mask=QR_MASK)
    return tuple(bytes(row) for row in code.matrix)


_DARK_RUN = re.compile(rb"[^\x00]+")


def _draw_qr(canvas: Any, matrix: Sequence[bytes], x: float, y: float, size: float) -> None:
    """The code with its quiet zone in a ``size`` square whose lower left corner is (x, y): white square, then
    one filled path of a rectangle per run of dark modules in a row (written as PDF operators directly: a code
    has thousands of runs)."""
    count = len(matrix) + 2 * QR_QUIET_ZONE
    module = size / count
    ops = [f"q 1 g {x:.3f} {y:.3f} {size:.3f} {size:.3f} re f 0 g"]
    left = x + QR_QUIET_ZONE * module
    for row_index, row in enumerate(matrix):
        top = f"{y + size - (row_index + QR_QUIET_ZONE + 1) * module:.3f}"
        for run in _DARK_RUN.finditer(row):
            start, end = run.span()
            ops.append(f"{left + start * module:.3f} {top} {(end - start) * module:.3f} {module:.3f} re")
    ops.append("f Q")
    canvas.addLiteral("\n".join(ops))


def _fit(canvas: Any, text: str, font: str, size: float, width: float) -> float:
    """The largest font size at most ``size`` at which ``text`` fits in ``width``."""
    from reportlab.pdfbase.pdfmetrics import stringWidth

    measured = stringWidth(text, font, size)
    return size if measured <= width else max(4.0, size * width / measured)


def draw_front(canvas: Any, card: CardPrint, design: CardDesign, x: float = 0, y: float = 0) -> None:
    """The card's front with its lower left corner at (x, y)."""
    from reportlab.lib.utils import ImageReader

    width, height = CARD_SIZE
    canvas.saveState()
    canvas.translate(x, y)
    # The band across the top: the program and the issuer.
    band = 9 * MM
    canvas.setFillColorRGB(*ACCENT)
    canvas.rect(0, height - band, width, band, stroke=0, fill=1)
    canvas.setFillColorRGB(1, 1, 1)
    canvas.setFont(BOLD, 11)
    canvas.drawString(4 * MM, height - 6.2 * MM, design.program)
    canvas.setFont(FONT, 6)
    canvas.drawRightString(width - 4 * MM, height - 5.8 * MM, design.issuer)

    # The portrait: 35:45, 22 x 28.29 mm, left.
    photo_w, photo_h = 22 * MM, 22 * MM * 45 / 35
    photo_x, photo_y = 4 * MM, height - band - 2.5 * MM - photo_h
    if card.portrait is not None:
        canvas.drawImage(ImageReader(io.BytesIO(card.portrait)), photo_x, photo_y, photo_w, photo_h)
    else:
        canvas.setStrokeColorRGB(*INK)
        canvas.setLineWidth(0.5)
        canvas.rect(photo_x, photo_y, photo_w, photo_h, stroke=1, fill=0)

    # The text column.
    left = photo_x + photo_w + 3.5 * MM
    room = width - left - 3.5 * MM
    canvas.setFillColorRGB(*INK)
    line = height - band - 5.2 * MM
    name = card.family_name.upper()
    canvas.setFont(BOLD, _fit(canvas, name, BOLD, 9.5, room))
    canvas.drawString(left, line, name)
    line -= 3.6 * MM
    canvas.setFont(FONT, _fit(canvas, card.given_name, FONT, 8.5, room))
    canvas.drawString(left, line, card.given_name)
    line -= 4.6 * MM

    def field_(label: str, value: str, at_x: float, at_y: float, size: float = 7.5) -> None:
        canvas.setFont(FONT, 4.6)
        canvas.setFillColorRGB(*ACCENT)
        canvas.drawString(at_x, at_y + 2.6 * MM, label)
        canvas.setFillColorRGB(*INK)
        canvas.setFont(BOLD, size)
        canvas.drawString(at_x, at_y, value)

    born = card.date_of_birth.strftime("%m/%d/%Y") if card.date_of_birth else ""
    field_("DATE OF BIRTH", born, left, line)
    field_("EXPIRES", card.expires_on.strftime("%m/%d/%Y"), left + room / 2, line)
    if card.gender:
        field_("SEX", card.gender, left + room - 6 * MM, line)
    line -= 6.2 * MM
    field_("CARD NUMBER", grouped_number(card.number), left, line, size=8)
    line -= 3.8 * MM
    canvas.setFont(FONT, 5.6)
    for address_line in card.address_lines[:3]:
        canvas.setFont(FONT, _fit(canvas, address_line, FONT, 5.6, room))
        canvas.drawString(left, line, address_line)
        line -= 2.4 * MM

    # The marks along the bottom.
    marks = []
    if card.veteran:
        marks.append("VETERAN")
    if card.organ_donor:
        marks.append("ORGAN DONOR")
    if card.languages:
        marks.append("LANGUAGES: " + " ".join(code.upper() for code in card.languages))
    canvas.setFont(BOLD, 5.4)
    mark_x = left
    for mark in marks:
        from reportlab.pdfbase.pdfmetrics import stringWidth

        mark_w = stringWidth(mark, BOLD, 5.4) + 2.4 * MM
        canvas.setFillColorRGB(*ACCENT)
        canvas.roundRect(mark_x, 2.6 * MM, mark_w, 3.4 * MM, 0.8 * MM, stroke=0, fill=1)
        canvas.setFillColorRGB(1, 1, 1)
        canvas.drawString(mark_x + 1.2 * MM, 3.75 * MM, mark)
        mark_x += mark_w + 1.2 * MM
    canvas.restoreState()


def draw_back(canvas: Any, card: CardPrint, design: CardDesign, x: float = 0, y: float = 0,
              codes: tuple[Any, Any] | None = None) -> None:
    """The card's back with its lower left corner at (x, y): the two codes, a signature area, the return
    address. ``codes`` may bring the two QR matrices already made."""
    width, height = CARD_SIZE
    full, minimal = codes or (qr_matrix(card.full_payload), qr_matrix(card.minimal_payload))
    canvas.saveState()
    canvas.translate(x, y)
    size = 30 * MM
    top = height - 2.5 * MM - size
    gap = (width - 2 * size) / 3
    _draw_qr(canvas, full, gap, top, size)
    _draw_qr(canvas, minimal, 2 * gap + size, top, size)
    canvas.setFillColorRGB(*INK)
    canvas.setFont(FONT, 4.6)
    canvas.drawCentredString(gap + size / 2, top - 2.2 * MM, "Full credential: name, birth date, number")
    canvas.drawCentredString(2 * gap + 1.5 * size, top - 2.2 * MM, "Minimal: resident, age over 18 / 21")
    # The signature area.
    sign_y = top - 9.5 * MM
    canvas.setStrokeColorRGB(*INK)
    canvas.setLineWidth(0.4)
    canvas.line(4 * MM, sign_y, width - 4 * MM, sign_y)
    canvas.setFont(FONT, 4.4)
    canvas.drawString(4 * MM, sign_y - 2 * MM, "CARDHOLDER SIGNATURE")
    # The return address.
    line = 3.8 * MM + 2.2 * MM * (len(design.return_address[:3]) - 1)
    for text in design.return_address[:3]:
        canvas.setFont(FONT, _fit(canvas, text, FONT, 4.8, width - 8 * MM))
        canvas.drawCentredString(width / 2, line, text)
        line -= 2.2 * MM
    canvas.restoreState()


def _canvas(out: io.BytesIO, pagesize: tuple[float, float], title: str) -> Any:
    from reportlab.pdfgen.canvas import Canvas

    _register_fonts()
    canvas = Canvas(out, pagesize=pagesize, invariant=True, pageCompression=1)
    canvas.setTitle(title)
    canvas.setAuthor("")
    canvas.setCreator("cityid")
    return canvas


def render_card(card: CardPrint, design: CardDesign | None = None) -> bytes:
    """One card as a two-page PDF at its own size: page 1 the front, page 2 the back."""
    design = design or CardDesign()
    out = io.BytesIO()
    canvas = _canvas(out, CARD_SIZE, f"{design.program} card")
    draw_front(canvas, card, design)
    canvas.showPage()
    draw_back(canvas, card, design)
    canvas.showPage()
    canvas.save()
    return out.getvalue()


def sheet_positions() -> list[tuple[float, float]]:
    """Where each card of a sheet's front goes (lower left corners), row by row from the top."""
    sheet_w, sheet_h = SHEET_SIZE
    card_w, card_h = CARD_SIZE
    gap = SHEET_GAP_MM * MM
    block_w = SHEET_COLUMNS * card_w + (SHEET_COLUMNS - 1) * gap
    block_h = SHEET_ROWS * card_h + (SHEET_ROWS - 1) * gap
    left, bottom = (sheet_w - block_w) / 2, (sheet_h - block_h) / 2
    return [(left + col * (card_w + gap), bottom + (SHEET_ROWS - 1 - row) * (card_h + gap))
            for row in range(SHEET_ROWS) for col in range(SHEET_COLUMNS)]


def _crop_marks(canvas: Any, x: float, y: float) -> None:
    card_w, card_h = CARD_SIZE
    mark, off = 2.5 * MM, 0.8 * MM
    canvas.setLineWidth(0.25)
    canvas.setStrokeColorRGB(0.4, 0.4, 0.4)
    for cx, cy, dx, dy in ((x, y, -1, -1), (x + card_w, y, 1, -1), (x, y + card_h, -1, 1),
                           (x + card_w, y + card_h, 1, 1)):
        canvas.line(cx + dx * off, cy, cx + dx * (off + mark), cy)
        canvas.line(cx, cy + dy * off, cx, cy + dy * (off + mark))


def render_sheets(cards: Sequence[CardPrint], design: CardDesign | None = None, *,
                  on_card: Any = None) -> bytes:
    """Cards on US Letter sheets for duplex printing (flip on the long edge): for every ten cards one page of
    fronts, then one page of their backs, each back behind its front (the columns mirrored). ``on_card()`` is
    called after each card is drawn (a progress bar)."""
    design = design or CardDesign()
    out = io.BytesIO()
    canvas = _canvas(out, SHEET_SIZE, f"{design.program} cards")
    positions = sheet_positions()
    for start in range(0, len(cards), CARDS_PER_SHEET):
        batch = cards[start : start + CARDS_PER_SHEET]
        for card, (x, y) in zip(batch, positions, strict=False):
            _crop_marks(canvas, x, y)
            draw_front(canvas, card, design, x, y)
        canvas.showPage()
        sheet_w = SHEET_SIZE[0]
        for card, (x, y) in zip(batch, positions, strict=False):
            mirrored = sheet_w - x - CARD_SIZE[0]
            _crop_marks(canvas, mirrored, y)
            draw_back(canvas, card, design, mirrored, y)
            if on_card is not None:
                on_card()
        canvas.showPage()
    if not cards:
        canvas.showPage()
    canvas.save()
    return out.getvalue()
