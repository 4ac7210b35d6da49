"""Images: scanned-document JPEGs showing given text lines, and face-like passport photos.

Scans are fast because each of the 8 page templates is JPEG-encoded once with a restart marker
after every MCU row: per scan only the top band holding the person's text is encoded, and the
template's pre-encoded rows follow it. The file is byte-identical to encoding the whole page (a
test checks this).
"""

from __future__ import annotations

import io
import math
import random
import re
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from PIL import FontFile, Image, ImageChops, ImageDraw, ImageFont

from cityid.synthetic.draws import mix
from cityid.synthetic.names import to_ascii

SCAN_SIZE = (600, 384)
PHOTO_SIZE = (240, 300)
JPEG_QUALITY = 60


_RST_SPLIT = re.compile(rb"\xff[\xd0-\xd7]")
_RST = tuple(bytes((0xFF, 0xD0 + i)) for i in range(8))
_EOI = b"\xff\xd9"
_TEMPLATE_VARIANTS = 8
_TITLE_Y, _LINE_Y, _LINE_STEP = 14, 56, 22


class _AtlasFont(FontFile.FontFile):
    """The bundled FreeType font pre-rendered once into an anti-aliased glyph atlas.

    Drawing with the resulting bitmap ``ImageFont`` is ~15x faster than FreeType per call, which
    matters at thousands of scans a second. ASCII only (the bundled font has no other glyphs).
    """

    def __init__(self, size: int) -> None:
        super().__init__()
        font = ImageFont.load_default(size=size)
        metrics: list = [None] * 256
        glyphs: list[tuple[Image.Image, int]] = []
        x = height = 0
        for code in range(32, 127):
            ch = chr(code)
            x0, y0, x1, y1 = (int(v) for v in font.getbbox(ch))
            advance = round(font.getlength(ch))
            w, h = x1 - x0, y1 - y0
            if w > 0 and h > 0:
                glyph = Image.new("L", (w, h), 0)
                ImageDraw.Draw(glyph).text((-x0, -y0), ch, font=font, fill=255)
                glyphs.append((glyph, x))
                metrics[code] = ((advance, 0), (x0, y0, x1, y1), (x, 0, x + w, h))
                x += w
                height = max(height, h)
            else:
                metrics[code] = ((advance, 0), (0, 0, 0, 0), (0, 0, 0, 0))
        self.bitmap = Image.new("L", (x, height), 0)
        for glyph, gx in glyphs:
            self.bitmap.paste(glyph, (gx, 0))
        self.metrics = metrics

    def compile(self) -> None:  # already compiled, in "L" mode (the base class makes mode "1")
        return None


@lru_cache(maxsize=4)
def _font(size: int) -> ImageFont.ImageFont:
    return _AtlasFont(size).to_imagefont()


def _encode(image: Image.Image, **options: Any) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=JPEG_QUALITY, **options)
    return buffer.getvalue()


def _scan_data_start(data: bytes) -> int:
    """Offset of the entropy-coded data of a baseline JPEG (just after its SOS header)."""
    pos = 2
    while True:
        if data[pos] != 0xFF:
            raise ValueError("unexpected JPEG structure")
        marker = data[pos + 1]
        pos += 2 + int.from_bytes(data[pos + 2 : pos + 4], "big")
        if marker == 0xDA:
            return pos


@lru_cache(maxsize=16)
def _noise(size: tuple[int, int], variant: int, amplitude: int, mode: str = "L") -> Image.Image:
    """Deterministic uniform noise in ``[0, 2*amplitude]`` (Pillow's effect_noise uses C ``rand()``)."""
    w, h = size
    bands = len(mode)
    raw = random.Random(mix("noise", w, h, variant, mode)).randbytes(w * h * bands)
    lut = [v * (2 * amplitude + 1) >> 8 for v in range(256)] * bands
    return Image.frombytes(mode, size, raw).point(lut)


class _ScanTemplate:
    def __init__(self, size: tuple[int, int], variant: int) -> None:
        w, h = size
        self.size = size
        self.x0 = min(160, w // 4)  # the text column starts here
        rng = random.Random(mix("scan-template", w, h, variant))
        paper = rng.randint(222, 240)
        image = Image.new("L", size, paper - 70)  # the scanner bed around the document
        d = ImageDraw.Draw(image)
        d.rectangle((6, 6, w - 7, h - 7), fill=paper)
        d.rectangle((6, 6, w - 7, 44), fill=paper - 28 - 2 * (variant % 4))  # header band
        # guilloche behind the text column
        for k in range(4):
            amp, period, y_mid = 6 + 3 * k, 60 + 17 * k, 80 + 38 * k
            points = [(x, y_mid + amp * math.sin((x + 13 * variant) * 2 * math.pi / period))
                      for x in range(self.x0, w - 8, 6)]  # fmt: skip
            d.line(points, fill=paper - 14, width=1)
        # left column: photo box, seal or logo
        left = self.x0 if self.x0 > 100 else 150
        cx = left // 2 + 4
        if variant < 4:
            d.rectangle((cx - 58, 60, cx + 58, 214), fill=paper - 22, outline=paper - 110, width=2)
            d.ellipse((cx - 30, 78, cx + 30, 148), fill=paper - 80)
            d.chord((cx - 52, 150, cx + 52, 260), 180, 360, fill=paper - 80)
            d.rectangle((cx - 58, 206, cx + 58, 214), fill=paper - 22)
        elif variant < 6:
            for r, width in ((56, 3), (46, 1), (30, 1)):
                d.ellipse((cx - r, 134 - r, cx + r, 134 + r), outline=paper - 100, width=width)
            star = [(cx + (28 if i % 2 == 0 else 12) * math.cos(math.pi * i / 5 - math.pi / 2),
                     134 + (28 if i % 2 == 0 else 12) * math.sin(math.pi * i / 5 - math.pi / 2))
                    for i in range(10)]  # fmt: skip
            d.polygon(star, fill=paper - 90)
        else:
            d.rectangle((cx - 50, 64, cx + 50, 150), fill=paper - 95)
            for k in range(3):
                d.rectangle((cx - 40, 78 + 22 * k, cx + 40, 86 + 22 * k), fill=paper - 30)
        # bottom: machine-readable zone or barcode, and a signature line
        small = _font(13)
        if h >= 300:
            if variant % 2 == 0:
                for k, line in enumerate(("P<" + "<" * 40, "<" * 12 + "0" * 6 + "<" * 24)):
                    d.text((24, h - 58 + 20 * k), line, font=small, fill=paper - 150)
            else:
                x = 24
                while x < w - 40:
                    bar = rng.choice((1, 2, 3))
                    d.rectangle((x, h - 66, x + bar - 1, h - 26), fill=paper - 170)
                    x += bar + rng.choice((1, 2, 3, 4))
            d.line((24, h - 90, 220, h - 90), fill=paper - 120, width=1)
            squiggle = [(30 + 6 * i, h - 100 - 8 * math.sin(i * 1.3 + variant)) for i in range(28)]
            d.line(squiggle, fill=paper - 140, width=2)
            d.text((24, h - 86), "SIGNATURE", font=small, fill=paper - 110)
        image = ImageChops.add(image, _noise(size, variant, 9), 1.0, -9)
        self.image = image
        # Encoded once with a restart marker after every MCU row (8 px): row r's entropy-coded segment
        # depends on row r's pixels only, and follows the marker RST((r - 1) % 8).
        data = _encode(image, restart_marker_rows=1)
        start = _scan_data_start(data)
        self.head = data[:start]
        self.data = data
        #: offset in ``data`` where MCU row r's segment begins
        self.row_offsets = [start] + [m.end() for m in _RST_SPLIT.finditer(data, start)]
        if len(self.row_offsets) != (h + 7) // 8 or not data.endswith(_EOI):
            raise AssertionError("unexpected JPEG restart layout")


@lru_cache(maxsize=64)
def _scan_template(size: tuple[int, int], variant: int) -> _ScanTemplate:
    return _ScanTemplate(size, variant)


def _text(draw: ImageDraw.ImageDraw, xy: tuple[int, int], text: str, font: ImageFont.ImageFont, fill: int) -> None:
    """``draw.text`` for a bitmap font without its per-call layout overhead (same pixels)."""
    if text:
        draw.draw.draw_bitmap(xy, font.font.getmask(text, "L"), draw.draw.draw_ink(fill))


def _draw_scan_text(image: Image.Image, dx: int, title: str, lines: Sequence[str]) -> None:
    draw = ImageDraw.Draw(image)
    _text(draw, (dx + 10, _TITLE_Y), title, _font(19), 28)
    body = _font(15)
    for k, line in enumerate(lines):
        _text(draw, (dx + 10, _LINE_Y + _LINE_STEP * k), line, body, 34)


def scan_image(text_lines: Sequence[str], *, seed: int, size: tuple[int, int] = SCAN_SIZE) -> bytes:
    """A scanned-document-looking grayscale JPEG showing ``text_lines`` (the first is the title).

    Deterministic in ``(text_lines, seed, size)``. Text is drawn in ASCII (other characters are
    transliterated or dropped). Only the top band that holds the text is encoded per call; the rest
    of the page comes pre-encoded from one of 8 cached templates. The file is byte-identical to
    encoding the whole composed page with a restart marker after every MCU row.
    """
    w, h = size
    if w < 160 or h < 64:
        raise ValueError("a scan must be at least 160 x 64 pixels")
    template = _scan_template((w, h), mix(seed, "variant") % _TEMPLATE_VARIANTS)
    texts = [to_ascii(str(t)) for t in text_lines]
    title, lines = (texts[0], texts[1:]) if texts else ("", [])
    bottom = _LINE_Y + _LINE_STEP * len(lines) + 4
    rows = min((h + 7) // 8, (bottom + 7) // 8)
    band = template.image.crop((0, 0, w, min(h, rows * 8)))
    _draw_scan_text(band, template.x0, title, lines)
    encoded = _encode(band, restart_marker_rows=1)
    # The band's rows are the page's first rows, so its segments and their markers (RST0, RST1, ...)
    # are exactly the page's: keep them, then continue with the template's segments from row `rows`.
    body = encoded[_scan_data_start(encoded) : -len(_EOI)]
    if rows == len(template.row_offsets):
        return b"".join((template.head, body, _EOI))
    return b"".join((template.head, body, _RST[(rows - 1) % 8], template.data[template.row_offsets[rows] :]))


_PHOTO_GRAIN = 44  # noise amplitude (peak to peak) of the portrait's grain
_PHOTO_MAX = 255 - _PHOTO_GRAIN
_SKIN = ((255, 224, 196), (241, 194, 160), (224, 172, 130), (198, 134, 94), (160, 102, 66), (122, 78, 52),
         (92, 58, 38), (234, 190, 150))  # fmt: skip
_HAIR = ((20, 18, 18), (45, 30, 22), (80, 52, 30), (120, 85, 50), (200, 160, 100), (150, 60, 30),
         (160, 160, 160), (225, 225, 220))  # fmt: skip
_BACKDROPS = ((232, 236, 240), (214, 226, 240), (240, 240, 236), (200, 210, 220), (225, 232, 225))
_IRIS = ((70, 45, 25), (40, 28, 20), (60, 90, 130), (70, 110, 70), (110, 80, 45))


def _jitter(rng: random.Random, colour: tuple[int, int, int], amount: int) -> tuple[int, int, int]:
    """``colour`` scaled into ``[0, _PHOTO_MAX]`` (room for the grain) and jittered."""
    return tuple(max(0, min(_PHOTO_MAX, c * _PHOTO_MAX // 255 + rng.randint(-amount, amount))) for c in colour)  # type: ignore[return-value]


def portrait(face_seed: int, shot_seed: int) -> bytes:
    """A face-like passport photo: the face comes from ``face_seed``, framing and light from ``shot_seed``."""
    face, shot = random.Random(face_seed), random.Random(shot_seed)
    w, h = PHOTO_SIZE
    skin = _jitter(face, face.choice(_SKIN), 10)
    shade = tuple(int(c * 0.82) for c in skin)
    hair = _jitter(face, face.choice(_HAIR), 6)
    shirt = _jitter(face, (120, 120, 120), 120)
    style = face.choice(("short", "short", "long", "long", "bald", "bun", "curly"))
    head_w, head_h = face.randint(50, 62), face.randint(66, 78)
    eye_gap, eye_y = face.randint(19, 25), face.randint(-14, -4)
    iris = face.choice(_IRIS)
    glasses, beard = face.random() < 0.2, face.random() < 0.18
    mouth_w = face.randint(14, 24)
    white, dark = (_PHOTO_MAX - 4,) * 3, (24, 24, 24)

    image = Image.new("RGB", PHOTO_SIZE, _jitter(shot, shot.choice(_BACKDROPS), 6))
    d = ImageDraw.Draw(image)
    cx, cy = w // 2 + shot.randint(-8, 8), 128 + shot.randint(-6, 6)
    d.ellipse((cx - 125, cy + head_h + 8, cx + 125, cy + head_h + 230), fill=shirt)
    d.polygon([(cx - 22, cy + head_h + 10), (cx, cy + head_h + 48), (cx + 22, cy + head_h + 10)], fill=shade)
    d.rectangle((cx - 20, cy + head_h - 24, cx + 20, cy + head_h + 14), fill=shade)
    if style == "long":
        d.rounded_rectangle((cx - head_w - 12, cy - head_h - 10, cx + head_w + 12, cy + head_h + 40), 40, fill=hair)
    if style == "bun":
        d.ellipse((cx - 26, cy - head_h - 34, cx + 26, cy - head_h + 14), fill=hair)
    for side in (-1, 1):  # ears
        ex = cx + side * head_w
        d.ellipse((ex - 9, cy - 12, ex + 9, cy + 16), fill=shade)
    d.ellipse((cx - head_w, cy - head_h, cx + head_w, cy + head_h), fill=skin)
    if style in ("short", "long", "bun"):
        d.chord((cx - head_w - 3, cy - head_h - 8, cx + head_w + 3, cy + head_h // 3), 180, 360, fill=hair)
    elif style == "curly":
        for k in range(11):
            a = math.pi * (k / 10)
            px, py = cx - math.cos(a) * head_w * 0.95, cy - head_h * 0.55 - math.sin(a) * head_h * 0.5
            d.ellipse((px - 16, py - 16, px + 16, py + 16), fill=hair)
    for side in (-1, 1):
        ex, ey = cx + side * eye_gap, cy + eye_y
        d.ellipse((ex - 10, ey - 5, ex + 10, ey + 5), fill=white)
        d.ellipse((ex - 5, ey - 5, ex + 5, ey + 5), fill=iris)
        d.ellipse((ex - 2, ey - 2, ex + 2, ey + 2), fill=(10, 10, 10))
        d.line((ex - 12, ey - 12 + shot.randint(-1, 1), ex + 12, ey - 13), fill=hair, width=3)
        if glasses:
            d.rounded_rectangle((ex - 15, ey - 10, ex + 15, ey + 10), 5, outline=dark, width=2)
    if glasses:
        d.line((cx - eye_gap + 15, cy + eye_y, cx + eye_gap - 15, cy + eye_y), fill=dark, width=2)
    d.polygon([(cx, cy + eye_y + 8), (cx - 8, cy + 22), (cx + 8, cy + 22)], fill=shade)
    if beard:
        d.chord((cx - head_w + 4, cy - 10, cx + head_w - 4, cy + head_h + 2), 20, 160, fill=hair)
    mouth_y = cy + 38 + shot.randint(-2, 2)
    d.chord((cx - mouth_w, mouth_y - 8, cx + mouth_w, mouth_y + 8), 0, 180, fill=(150, 60, 60))
    # film grain: every colour above is at most _PHOTO_MAX, so adding modulo 256 never wraps
    image = ImageChops.add_modulo(image, _noise(PHOTO_SIZE, shot_seed % 4, _PHOTO_GRAIN // 2, "RGB"))
    return _encode(image)


def portrait_image(*, seed: int) -> bytes:
    """A deterministic face-like portrait JPEG (240 x 300 RGB)."""
    return portrait(mix(seed, "face"), mix(seed, "shot"))
