"""The card portrait: the cleaned enrollment photo framed like a passport photo, at fixed pixels, as JPEG bytes
that are the same every time for the same photo. Pure Python (Pillow; no Django).

The bytes made here are printed on the card (:mod:`cityid.cards.card_pdf`) and hashed (SHA-256) into the full
credential's photo hash, so a verifier who holds the card can compare the printed portrait with the one signed.

Framing follows ICAO 9303 / ISO/IEC 19794-5 loosely ("ICAO-like"): a 35:45 frame, the head (crown to chin) 34 mm
of the 45 mm height (ICAO allows 32–36 mm), the crown 4 mm below the top edge, the head centred left to right.
The head is found without a face model: enrollment photos are taken against a plain backdrop, so the backdrop's
colour is read from the top border, everything far from it is the subject, the crown is the subject's first row,
and the chin is where the subject's outline is narrowest below the widest part of the head (the neck). When no
such outline is found (a photo with no plain backdrop) the photo is centred and cropped to 35:45 whole:
:func:`find_head` returns ``None`` and the card still prints the person's photo.

The input is the photo as stored (already cleaned: decoded within pixel limits, re-encoded without metadata, see
``cityid.enrollment.uploads``); it is decoded here again within ``max_pixels`` all the same, and a photo that is
not a JPEG or PNG, or cannot be decoded, is refused with :class:`PortraitRefused`.

Deterministic: the same photo gives the same bytes (Pillow is pinned; the JPEG is written baseline, without
optimisation, with fixed quality and 4:4:4 sampling, and with no metadata).
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass
from statistics import median

from cityid.core.errors import CityidError

#: The portrait's pixels: 35 x 45 mm at 12 pixels per millimetre (about 305 dpi).
PIXELS_PER_MM = 12
PORTRAIT_SIZE = (35 * PIXELS_PER_MM, 45 * PIXELS_PER_MM)
#: Crown to chin (ICAO: 32–36 mm of a 45 mm photo) and the margin above the crown.
HEAD_HEIGHT = 34 * PIXELS_PER_MM
CROWN_MARGIN = 4 * PIXELS_PER_MM
JPEG_QUALITY = 90
CONTENT_TYPE = "image/jpeg"

#: The width the head is looked for at (the photo is shrunk to it first: fast, and the grain averages out).
_PROBE_WIDTH = 120
#: How far a pixel's colour must be from the backdrop's to belong to the subject (the channels' differences summed).
_SUBJECT_THRESHOLD = 48


class PortraitRefused(CityidError, ValueError):
    """The photo cannot be made into a portrait. ``code``: ``type`` (not a JPEG or PNG), ``pixels`` (more than
    ``max_pixels``), ``unreadable``."""


@dataclass(frozen=True)
class Head:
    """Where the head is in a photo, in the photo's pixels."""

    centre_x: float
    crown: float
    chin: float

    @property
    def height(self) -> float:
        return self.chin - self.crown


def _open(photo: bytes, max_pixels: int) -> object:
    from PIL import Image, UnidentifiedImageError

    if not (photo.startswith(b"\xff\xd8\xff") or photo.startswith(b"\x89PNG\r\n\x1a\n")):
        raise PortraitRefused("type")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        try:
            image = Image.open(io.BytesIO(photo), formats=["JPEG", "PNG"])
            width, height = image.size
            if width * height > max_pixels:
                raise PortraitRefused("pixels", max_pixels=max_pixels)
            image.load()
            return image.convert("RGB")
        except PortraitRefused:
            raise
        except Image.DecompressionBombError:
            raise PortraitRefused("pixels", max_pixels=max_pixels) from None
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError, IndexError, KeyError,
                TypeError, ZeroDivisionError, MemoryError):
            raise PortraitRefused("unreadable") from None


def _backdrop(probe: object) -> tuple[int, int, int]:
    """The backdrop's colour: the median of the top rows and of the upper sides' outer columns."""
    from PIL import Image, ImageStat

    assert isinstance(probe, Image.Image)
    w, h = probe.size
    top, side = max(1, h // 16), max(1, w // 12)
    regions = [probe.crop((0, 0, w, top)), probe.crop((0, 0, side, h // 2)), probe.crop((w - side, 0, w, h // 2))]
    medians = [ImageStat.Stat(region).median for region in regions]
    return tuple(int(median(channel)) for channel in zip(*medians, strict=True))  # type: ignore[return-value]


def _breadth(span: tuple[int, int] | None) -> int:
    return span[1] - span[0] if span else 0


def _neck_top(spans: list[tuple[int, int] | None], start: int, *, limit: int) -> int:
    """Below the jaw (``start``), the first row where the outline is as narrow as the neck gets: the chin."""
    narrowest, y = _breadth(spans[start]), start
    while y + 1 < limit and _breadth(spans[y + 1]) <= narrowest + 1:
        y += 1
        narrowest = min(narrowest, _breadth(spans[y]))
    return next(row for row in range(start, y + 1) if _breadth(spans[row]) <= narrowest + 1)


def find_head(image: object) -> Head | None:
    """The head in a photo (a Pillow RGB image) against a plain backdrop, or ``None`` when none is found."""
    from PIL import Image, ImageChops, ImageFilter

    assert isinstance(image, Image.Image)
    width, height = image.size
    scale = width / _PROBE_WIDTH
    probe = image.resize((_PROBE_WIDTH, max(1, round(height / scale))), Image.Resampling.BOX)
    w, h = probe.size
    red, green, blue = ImageChops.difference(probe, Image.new("RGB", probe.size, _backdrop(probe))).split()
    distance = ImageChops.add(ImageChops.add(red, green), blue)  # the channels' differences summed (at most 255)
    subject = distance.point(lambda v: 255 if v > _SUBJECT_THRESHOLD else 0).filter(ImageFilter.MedianFilter(3))
    spans: list[tuple[int, int] | None] = []
    for y in range(h):
        box = subject.crop((0, y, w, y + 1)).getbbox()
        spans.append((box[0], box[2]) if box else None)
    least = max(3, w // 25)
    crown = next((y for y, span in enumerate(spans) if span and span[1] - span[0] >= least), None)
    if crown is None or crown > h * 0.6:
        return None
    widest, chin, centres = 0, None, []
    for y in range(crown, h):
        span = spans[y]
        breadth = span[1] - span[0] if span else 0
        if widest and breadth > 1.5 * widest and y - crown > widest * 0.8:
            chin = y  # the shoulders: the head ended above them
            break
        if breadth > widest and (y - crown) < max(widest, least) * 0.8:  # the upper head, not the shoulders
            widest = breadth
        if span and breadth <= 1.5 * widest:
            centres.append((span[0] + span[1]) / 2)
        if widest and y - crown > widest * 0.6 and breadth < 0.6 * widest:
            chin = _neck_top(spans, y, limit=min(h, y + widest))  # narrower than the head, below its widest part
            break
    if widest < least or not centres:
        return None
    lowest, highest = crown + 0.7 * widest, crown + 1.6 * widest
    chin_at = min(max(chin if chin is not None else crown + 1.3 * widest, lowest), highest)
    if chin_at > h:
        return None
    top: float = crown
    if chin_at - crown < widest:  # shorter than wide: hair as pale as the backdrop was missed; a head's proportions
        top = chin_at - 1.2 * widest
    return Head(centre_x=median(centres) * scale, crown=top * scale, chin=chin_at * scale)


def frame(image: object) -> tuple[tuple[float, float, float, float], tuple[int, int, int]]:
    """The part of the photo that becomes the portrait (left, top, right, bottom; it may reach past the photo's
    edges) and the backdrop colour that fills what does."""
    from PIL import Image

    assert isinstance(image, Image.Image)
    width, height = image.size
    out_w, out_h = PORTRAIT_SIZE
    fill = _backdrop(image.resize((_PROBE_WIDTH, max(1, round(height * _PROBE_WIDTH / width))), Image.Resampling.BOX))
    head = find_head(image)
    if head is None or head.height < height * 0.15:
        # No head found: the largest 35:45 part of the photo, centred.
        crop_h = min(height, width * out_h / out_w)
        crop_w = crop_h * out_w / out_h
        left, top = (width - crop_w) / 2, (height - crop_h) / 2
        return (left, top, left + crop_w, top + crop_h), fill
    per_pixel = head.height / HEAD_HEIGHT  # photo pixels per portrait pixel
    crop_w, crop_h = out_w * per_pixel, out_h * per_pixel
    left, top = head.centre_x - crop_w / 2, head.crown - CROWN_MARGIN * per_pixel
    return (left, top, left + crop_w, top + crop_h), fill


def make_portrait(photo: bytes, *, max_pixels: int = 16_000_000) -> bytes:
    """The card portrait (JPEG, :data:`PORTRAIT_SIZE`) of a stored photo; :class:`PortraitRefused` if it is not
    a photo that can be read."""
    from PIL import Image

    image = _open(photo, max_pixels)
    assert isinstance(image, Image.Image)
    (left, top, right, bottom), fill = frame(image)
    # Pad the photo with its backdrop where the frame reaches past an edge, then cut and scale in one step.
    pad_left, pad_top = max(0, -int(left // 1)), max(0, -int(top // 1))
    pad_right = max(0, int(-(-right // 1)) - image.width)
    pad_bottom = max(0, int(-(-bottom // 1)) - image.height)
    if pad_left or pad_top or pad_right or pad_bottom:
        canvas = Image.new("RGB", (image.width + pad_left + pad_right, image.height + pad_top + pad_bottom), fill)
        canvas.paste(image, (pad_left, pad_top))
        image, left, top, right, bottom = canvas, left + pad_left, top + pad_top, right + pad_left, bottom + pad_top
    portrait = image.resize(PORTRAIT_SIZE, Image.Resampling.LANCZOS, box=(left, top, right, bottom))
    out = io.BytesIO()
    portrait.save(out, "JPEG", quality=JPEG_QUALITY, subsampling=0, optimize=False, progressive=False)
    return out.getvalue()
