"""Card PDF rendering rate (suite ``cards``): cards per second drawn onto print-batch sheets
(:func:`cityid.cards.card_pdf.render_sheets`: front with the portrait, back with the two QR codes encoded by
segno), and one-card PDFs, beside two baselines measured in the same run on the same machine: the two QR codes
alone (the part of a card that costs most) and a plain reportlab page per card (the PDF machinery alone). The
portrait is made from a realistic photo once per person, outside the timed rendering, and timed on its own.

The inputs are what a real batch renders: distinct card numbers, names, portraits and credential texts of the
length the signed credentials have (``payloads`` may give real ones)."""

from __future__ import annotations

import io
import random
import time
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from cityid.bench.common import load_average
from cityid.cards import card_pdf
from cityid.cards.portrait import make_portrait

ALPHANUMERIC = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"
#: The lengths of the two QR texts when no real ones are given (a full and a minimal credential, ``CID1:`` and
#: Base45 of a COSE_Sign1 with an ES256 signature).
FULL_LENGTH, MINIMAL_LENGTH = 330, 170


def _photo(seed: int, size: tuple[int, int] = (960, 1200)) -> bytes:
    """A synthetic enrollment photo at a phone-camera-like size (the stored photo is at most 1600 px)."""
    from PIL import Image

    from cityid.synthetic.images import portrait_image

    image = Image.open(io.BytesIO(portrait_image(seed=seed))).resize(size, Image.Resampling.BICUBIC)
    out = io.BytesIO()
    image.save(out, "JPEG", quality=90)
    return out.getvalue()


def _random_text(rng: random.Random, length: int) -> str:
    return "CID1:" + "".join(rng.choice(ALPHANUMERIC) for _ in range(length - 5))


def sample_cards(count: int, *, payloads: Callable[[int], tuple[str, str]] | None = None,
                 people: int = 20, seed: int = 1) -> tuple[list[card_pdf.CardPrint], float]:
    """``count`` cards to render (portraits of ``people`` photos, reused), and the portraits' rate per second."""
    rng = random.Random(seed)
    photos = [_photo(seed * 1000 + n) for n in range(people)]
    started = time.perf_counter()
    portraits = [make_portrait(photo) for photo in photos]
    portrait_rate = people / (time.perf_counter() - started)
    cards = []
    for n in range(count):
        full, minimal = payloads(n) if payloads else (_random_text(rng, FULL_LENGTH), _random_text(rng, MINIMAL_LENGTH))
        cards.append(card_pdf.CardPrint(
            number=f"{4000_0000_0000_0000 + n:016d}", given_name=rng.choice(["Ana María", "Wei", "Kwame", "Olga"]),
            family_name=rng.choice(["Pérez-Rodríguez", "Zhang", "Mensah", "Kowalski"]),
            date_of_birth=date(1950, 1, 1) + timedelta(days=rng.randrange(20000)),
            expires_on=date(2031, 12, 1), full_payload=full, minimal_payload=minimal,
            portrait=portraits[n % people], address_lines=("742 Evergreen Ave, Apt 3F", "Queens, NY 11373"),
            gender=rng.choice(["", "F", "M", "X"]), veteran=n % 7 == 0, languages=("es",) if n % 3 else (),
            organ_donor=n % 2 == 0,
        ))
    return cards, portrait_rate


def _blank_pages(count: int) -> None:
    """The baseline: a reportlab document of ``count`` CR80 pages with one line of text each."""
    from reportlab.pdfgen.canvas import Canvas

    canvas = Canvas(io.BytesIO(), pagesize=card_pdf.CARD_SIZE, invariant=True)
    for n in range(count):
        canvas.drawString(10, 10, f"card {n}")
        canvas.showPage()
    canvas.save()


def bench_card_pdf(*, cards: int = 200, rounds: int = 4, payloads: Callable[[int], tuple[str, str]] | None = None,
                   progress: Callable[[int], None] | None = None) -> dict[str, Any]:
    """Cards per second rendered onto sheets and as one-card PDFs, with the same run's baselines, interleaved in
    ``rounds`` so that a busy machine slows all alike. The target is 50 cards a second onto sheets."""
    sample, portrait_rate = sample_cards(cards, payloads=payloads)
    card_pdf.render_card(sample[0])  # fonts registered, imports done
    per_round = max(1, cards // rounds)
    timings: dict[str, float] = {"sheets": 0.0, "single": 0.0, "qr_only": 0.0, "blank_pages": 0.0}
    load = load_average()
    pdf_bytes = 0
    for r in range(rounds):
        batch = sample[r * per_round : (r + 1) * per_round]
        t0 = time.perf_counter()
        pdf_bytes = len(card_pdf.render_sheets(batch))
        timings["sheets"] += time.perf_counter() - t0
        t0 = time.perf_counter()
        for card in batch[: max(1, len(batch) // 4)]:
            card_pdf.render_card(card)
        timings["single"] += (time.perf_counter() - t0) * len(batch) / max(1, len(batch) // 4)
        t0 = time.perf_counter()
        for card in batch:
            card_pdf.qr_matrix(card.full_payload)
            card_pdf.qr_matrix(card.minimal_payload)
        timings["qr_only"] += time.perf_counter() - t0
        t0 = time.perf_counter()
        _blank_pages(len(batch))
        timings["blank_pages"] += time.perf_counter() - t0
        if progress:
            progress(len(batch))
    done = per_round * rounds
    rates = {name: round(done / seconds, 1) for name, seconds in timings.items()}
    return {
        "cards": done,
        "rounds": rounds,
        "qr_characters": [len(sample[0].full_payload), len(sample[0].minimal_payload)],
        "sheets_cards_per_second": rates["sheets"],
        "single_card_pdfs_per_second": rates["single"],
        "baseline_qr_pairs_per_second": rates["qr_only"],
        "baseline_blank_reportlab_pages_per_second": rates["blank_pages"],
        "sheets_vs_qr_pairs": round(rates["sheets"] / rates["qr_only"], 3),
        "portraits_per_second": round(portrait_rate, 1),
        "last_round_pdf_bytes": pdf_bytes,
        "target_cards_per_second": 50,
        "load_average": [load, load_average()],
    }
