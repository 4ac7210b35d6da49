"""Reading the QR codes of a card from a picture (zxing-cpp, a different library from the encoder, segno).
Pure Python: no Django.

A picture is checked before it is decoded: at most ``max_bytes`` long, an image Pillow recognises, at
most ``max_pixels`` pixels by its header (a decompression bomb is refused before any pixel is read).
"""

from __future__ import annotations

import io
import warnings
from typing import Any

from cityid.core.errors import CityidError

MAX_BYTES = 20 * 1024 * 1024
MAX_PIXELS = 40_000_000

NOT_AN_IMAGE = "not_an_image"
TOO_LARGE = "too_large"
NO_CODE = "no_code"


class ImageRefused(CityidError, ValueError):
    """A picture that gives no code: its code (``reason``) is ``not_an_image``, ``too_large`` or
    ``no_code`` (worded by ``cards.messages``); ``detail`` says more in English."""

    def __init__(self, code: str, /, detail: str = "", **params: Any) -> None:
        super().__init__(code, **params)
        self.detail = detail

    @property
    def reason(self) -> str:
        return self.code


def read_codes(data: bytes, *, max_bytes: int = MAX_BYTES, max_pixels: int = MAX_PIXELS) -> list[str]:
    """The texts of the QR codes in the picture, in reading order; :class:`ImageRefused` otherwise."""
    import zxingcpp
    from PIL import Image, UnidentifiedImageError

    if len(data) > max_bytes:
        raise ImageRefused("too_large", f"the file is over {max_bytes} bytes")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            width, height = image.size
            if width * height > max_pixels:
                raise ImageRefused("too_large", f"{width}×{height} pixels is over {max_pixels}")
            image.load()
            gray = image.convert("L")
    except ImageRefused:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ImageRefused("too_large", "the image is too large") from None
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError):
        raise ImageRefused("not_an_image", "not an image this verifier reads") from None
    found = zxingcpp.read_barcodes(gray, formats=zxingcpp.BarcodeFormats(zxingcpp.BarcodeFormat.QRCode))
    texts = [code.text for code in found if code.valid and code.text]
    if not texts:
        raise ImageRefused("no_code", "no QR code was found in the image")
    return texts
