"""Uploads that cannot hurt: every photo and image scan decoded within pixel limits and re-encoded
without metadata; every PDF scan parsed and refused if it carries active content.

Pure Python (Pillow, pypdf; no Django): the form, the import, the seeder and ``cityid enrollment
clean`` (already stored files) all call :func:`clean_upload`. A refusal is an :class:`UploadRefused`
with a reason code (the caller words it in the user's language), never a Pillow or pypdf error.

Images (JPEG, PNG):

* The declared size is read from the header and checked against ``max_pixels`` **before** any pixel
  is decoded; Pillow's own decompression-bomb guard (``Image.MAX_IMAGE_PIXELS``) is caught as the
  same refusal, so neither its error nor its warning reaches the caller.
* The image is decoded in full (a truncated or corrupt file is refused), turned upright by its EXIF
  orientation, and written anew from its pixels alone: no EXIF (GPS position, device serial, time),
  no XMP, no ICC profile, no comment, no text chunks, no embedded thumbnail. ICC profiles are
  dropped (they can name the device; a card photo needs no colour management).
* Photos are always written as JPEG (grey or RGB, quality 90) and shrunk to at most ``max_side`` pixels on
  their longer side (a card photo needs no more; less is kept). Scans keep their format: a JPEG
  scan is written as JPEG (grey or RGB, quality 90), a PNG scan as PNG (lossless; only the IHDR,
  PLTE, IDAT and IEND chunks), at their full size so they stay legible.

PDFs are parsed with pypdf and refused when encrypted, unreadable, over ``max_pages``, or when any
object reachable from the trailer holds JavaScript, an automatic action, a launch or remote action,
embedded files, rich media or an XFA form (and when such a name appears anywhere in the raw file).
An accepted PDF is written anew from its pages alone (no document information, XMP, outline,
annotations or page metadata); the images drawn on its pages are kept as they are, metadata inside
them included, so PDFs are served only as downloads.
"""

from __future__ import annotations

import io
import re
import warnings
from dataclasses import dataclass, field
from typing import Any

from cityid.core.errors import CityidError

PHOTO = "photo"
SCAN = "scan"

JPEG_QUALITY = 90

#: PDF names that make a document do something when opened or clicked, or carry other files.
PDF_ACTIVE_NAMES = frozenset({
    "/JS", "/JavaScript", "/AA", "/Launch", "/EmbeddedFile", "/EmbeddedFiles", "/RichMedia", "/XFA",
    "/SubmitForm", "/ImportData", "/GoToR", "/GoToE", "/Sound", "/Movie", "/Rendition",
})
_RAW_ACTIVE = re.compile(
    rb"/(?:JS|JavaScript|AA|Launch|EmbeddedFiles?|RichMedia|XFA|SubmitForm|ImportData|GoToR|GoToE)(?![A-Za-z0-9])"
)
PDF_MAX_OBJECTS = 200_000
#: The most the object streams of one PDF may inflate to, all together. A scan's objects take kilobytes; a few
#: kilobytes of deflated blanks can ask for gigabytes, which the reader would inflate and keep (a PDF bomb).
PDF_MAX_OBJECT_STREAM_BYTES = 8 * 2**20


class UploadRefused(CityidError, ValueError):
    """The upload cannot be accepted. ``code``: ``type``, ``pixels``, ``unreadable``, ``pdf_encrypted``,
    ``pdf_active``, ``pdf_pages`` or ``pdf_unreadable``; ``params`` fill the message (``kind``: photo or scan,
    set by :func:`clean_upload`)."""


class CleanBytes(bytes):
    """Bytes that :func:`clean_upload` wrote, handed on inside this program (the seeder cleans its
    synthetic images in its generator process, beside the one that stores them): cleaning them again
    would give the same bytes. Only code makes them: a form field, a request body or a file read gives
    plain ``bytes``, so no input can claim to be clean."""


@dataclass(frozen=True)
class Cleaned:
    data: bytes
    content_type: str
    size: tuple[int, int] | None = field(default=None)


def sniff(data: bytes) -> str | None:
    """The real type of an upload from its first bytes; the client's claim is not trusted."""
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"%PDF-"):
        return "application/pdf"
    return None


def clean_upload(
    data: bytes, *, kind: str, max_pixels: int, max_side: int | None = None, max_pages: int = 50
) -> Cleaned:
    """The safe form of a photo (``kind=PHOTO``: JPEG or PNG) or a scan (``kind=SCAN``: JPEG, PNG or
    PDF), or UploadRefused."""
    try:
        content_type = sniff(data)
        if content_type == "application/pdf" and kind == SCAN:
            return Cleaned(clean_pdf(data, max_pages=max_pages), content_type)
        if content_type not in {"image/jpeg", "image/png"}:
            raise UploadRefused("type")
        if kind == PHOTO:
            return clean_image(data, max_pixels=max_pixels, max_side=max_side, output="JPEG")
        return clean_image(data, max_pixels=max_pixels, max_side=max_side,
                           output="PNG" if content_type == "image/png" else "JPEG")
    except UploadRefused as refused:
        refused.params.setdefault("kind", kind)
        raise


def clean_image(data: bytes, *, max_pixels: int, max_side: int | None = None, output: str = "JPEG") -> Cleaned:
    """Decode ``data`` (JPEG or PNG) within ``max_pixels`` and write its pixels alone as ``output``."""
    from PIL import Image, ImageOps, UnidentifiedImageError

    failures = (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError, IndexError, KeyError,
                TypeError, ZeroDivisionError, MemoryError)
    with warnings.catch_warnings():
        # The explicit check below refuses what Pillow would only warn about.
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        try:
            image = Image.open(io.BytesIO(data), formats=["JPEG", "PNG"])
        except Image.DecompressionBombError:
            raise UploadRefused("pixels", max_mp=_megapixels(max_pixels)) from None
        except failures:
            raise UploadRefused("unreadable") from None
        with image:
            width, height = image.size
            if width < 1 or height < 1:
                raise UploadRefused("unreadable")
            if width * height > max_pixels:
                raise UploadRefused("pixels", max_mp=_megapixels(max_pixels))
            try:
                if max_side and output == "JPEG" and image.format == "JPEG":
                    image.draft("RGB", (max_side, max_side))  # decode at a reduced scale when shrinking
                image.load()
                upright = _upright(image, ImageOps)
                clean = _pixels_only(upright, output)
                if max_side and max(clean.size) > max_side:
                    clean.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
                buffer = io.BytesIO()
                if output == "PNG":
                    clean.save(buffer, "PNG", optimize=False, icc_profile=None, exif=b"")
                else:
                    clean.save(buffer, "JPEG", quality=JPEG_QUALITY, icc_profile=None, exif=b"")
            except Image.DecompressionBombError:
                raise UploadRefused("pixels", max_mp=_megapixels(max_pixels)) from None
            except failures:
                raise UploadRefused("unreadable") from None
    return Cleaned(buffer.getvalue(), "image/png" if output == "PNG" else "image/jpeg", clean.size)


def _megapixels(pixels: int) -> int:
    return max(1, round(pixels / 1_000_000))


def _upright(image: Any, image_ops: Any) -> Any:
    """The image turned by its EXIF orientation (in place: a 40-MP scan is not copied for it); as it is
    when that tag is missing or unreadable."""
    try:
        image_ops.exif_transpose(image, in_place=True)
    except Exception:  # a malformed EXIF block: the orientation is unknown, the pixels are fine
        pass
    return image


def _pixels_only(image: Any, output: str) -> Any:
    """The pixels alone, in a mode ``output`` can store, with no info dictionary
    (Pillow writes ``info``'s EXIF, ICC, XMP, comment and text chunks back out when saving)."""
    from PIL import Image

    mode = image.mode
    target = _target_mode(image, output)
    if target == mode:
        clean = image  # ours alone (opened here): its info is cleared below, its pixels not copied
    elif target == "RGB" and mode in {"RGBA", "LA", "PA", "P"}:
        rgba = image.convert("RGBA")
        clean = Image.new("RGB", rgba.size, (255, 255, 255))
        clean.paste(rgba, mask=rgba.getchannel("A"))
    elif target == "L" and (mode == "I" or mode.startswith("I;16")):
        clean = image.convert("I").point(lambda value: value / 256).convert("L")  # 16-bit grey as 8-bit
    else:
        clean = image.convert(target)
    clean.info = {}
    return clean


def _target_mode(image: Any, output: str) -> str:
    mode = image.mode
    transparent = mode in {"RGBA", "LA", "PA"} or (mode == "P" and "transparency" in image.info)
    if mode in {"L", "1", "I"} or mode.startswith("I;16"):
        return "L"
    if output == "PNG" and transparent:
        return "RGBA"
    return "RGB"


# --- PDF ---------------------------------------------------------------------------------------

#: What the child process that reads a PDF may take: address space and CPU seconds. A reader inflates the
#: cross-reference streams it is given before any check of ours can run (each one up to pypdf's own 75 MB cap,
#: as many as the file chains), so a few kilobytes can ask for gigabytes: the operating system bounds it.
PDF_CHILD_MEMORY_BYTES = 512 * 2**20
PDF_CHILD_CPU_SECONDS = 30


def clean_pdf(data: bytes, *, max_pages: int) -> bytes:
    """:func:`clean_pdf_here` in a child process bounded in memory and CPU time (a PDF bomb kills the child,
    not the server): the cleaned bytes, or the child's UploadRefused, or ``pdf_unreadable`` when it died."""
    import json
    import resource
    import subprocess
    import sys

    def bound() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (PDF_CHILD_MEMORY_BYTES, PDF_CHILD_MEMORY_BYTES))
        resource.setrlimit(resource.RLIMIT_CPU, (PDF_CHILD_CPU_SECONDS, PDF_CHILD_CPU_SECONDS))

    try:
        done = subprocess.run(
            [sys.executable, "-c", "from cityid.enrollment.uploads import _clean_pdf_child; _clean_pdf_child()",
             str(max_pages), str(PDF_MAX_OBJECT_STREAM_BYTES)],
            input=data, capture_output=True, preexec_fn=bound, timeout=PDF_CHILD_CPU_SECONDS * 2, check=False,
        )
    except subprocess.TimeoutExpired:
        raise UploadRefused("pdf_unreadable") from None
    if done.returncode == 0 and done.stdout.startswith(b"OK\n"):
        return done.stdout[3:]
    if done.returncode == 0 and done.stdout.startswith(b"REFUSED\n"):
        refusal = json.loads(done.stdout[8:])
        raise UploadRefused(refusal["code"], **refusal["params"])
    raise UploadRefused("pdf_unreadable")  # killed at its bounds, or crashed: the file is not readable here


def _clean_pdf_child() -> None:
    """The child's side of :func:`clean_pdf`: the PDF on stdin, ``OK`` and the cleaned bytes or ``REFUSED``
    and the refusal as JSON on stdout. Nothing else is written: a PDF's text never reaches a log."""
    import json
    import sys

    global PDF_MAX_OBJECT_STREAM_BYTES
    data, max_pages, PDF_MAX_OBJECT_STREAM_BYTES = sys.stdin.buffer.read(), int(sys.argv[1]), int(sys.argv[2])
    try:
        clean = clean_pdf_here(data, max_pages=max_pages)
    except UploadRefused as refused:
        sys.stdout.buffer.write(b"REFUSED\n" + json.dumps({"code": refused.code, "params": refused.params}).encode())
        return
    sys.stdout.buffer.write(b"OK\n" + clean)


def clean_pdf_here(data: bytes, *, max_pages: int) -> bytes:
    """A checked PDF (``check_pdf``) written anew from its pages alone: no document information dictionary
    (author, producer, dates), no XMP packet, no outline, no names tree, no page annotations, thumbnails or
    page metadata. What the pages draw — their content streams, fonts and images — is kept as it is.
    In this process, unbounded: call :func:`clean_pdf`."""
    check_pdf(data, max_pages=max_pages)
    from pypdf import PdfReader, PdfWriter

    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        writer = PdfWriter()
        for page in reader.pages:
            copy = writer.add_page(page)
            for key in ("/Annots", "/Metadata", "/PieceInfo", "/Thumb", "/AA", "/B"):
                if key in copy:
                    del copy[key]
        writer.metadata = None
        buffer = io.BytesIO()
        writer.write(buffer)
    except Exception:  # pypdf raises many kinds on malformed input; each one is a refusal
        raise UploadRefused("pdf_unreadable") from None
    clean = buffer.getvalue()
    check_pdf(clean, max_pages=max_pages)  # what is stored is checked, not only what was given
    return clean


def check_pdf(data: bytes, *, max_pages: int) -> None:
    """Refuse an encrypted, unreadable, too long or active PDF (UploadRefused); return quietly otherwise."""
    if _RAW_ACTIVE.search(data):
        raise UploadRefused("pdf_active")
    import logging

    from pypdf import PdfReader
    from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, NameObject

    logging.getLogger("pypdf").setLevel(logging.ERROR)  # malformed input is our refusal, not a log line
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        _check_object_streams(reader)
        if reader.is_encrypted:
            raise UploadRefused("pdf_encrypted")
        pages = len(reader.pages)
        if pages < 1:
            raise UploadRefused("pdf_unreadable")
        if pages > max_pages:
            raise UploadRefused("pdf_pages", max_pages=max_pages)
        seen: set[tuple[int, int]] = set()
        stack: list[Any] = [reader.trailer]
        visited = 0
        while stack:
            item = stack.pop()
            visited += 1
            if visited > PDF_MAX_OBJECTS:
                raise UploadRefused("pdf_unreadable")
            if isinstance(item, IndirectObject):
                ref = (item.idnum, item.generation)
                if ref in seen:
                    continue
                seen.add(ref)
                item = item.get_object()
            if isinstance(item, DictionaryObject):  # stream objects are dictionaries too
                for key, value in item.items():
                    name = str(NameObject(key))
                    if name in PDF_ACTIVE_NAMES:
                        raise UploadRefused("pdf_active")
                    if name == "/OpenAction" and _is_action(value):
                        raise UploadRefused("pdf_active")
                    if name == "/S" and str(value) in PDF_ACTIVE_NAMES:
                        raise UploadRefused("pdf_active")
                    if name != "/Parent":
                        stack.append(value)
            elif isinstance(item, ArrayObject):
                stack.extend(item)
    except UploadRefused:
        raise
    except Exception:  # pypdf raises many kinds on malformed input; each one is a refusal
        raise UploadRefused("pdf_unreadable") from None


def _check_object_streams(reader: Any) -> None:
    """Refuse a PDF whose object streams inflate past ``PDF_MAX_OBJECT_STREAM_BYTES`` in all: each is inflated
    here within what is left of the budget, before the reader takes any object out of one."""
    import zlib

    left = PDF_MAX_OBJECT_STREAM_BYTES
    for number in sorted({stream for stream, _index in reader.xref_objStm.values()}):
        stream = reader.get_object(number)  # its dictionary and raw bytes: nothing is inflated yet
        raw = bytes(getattr(stream, "_data", b"") or b"")
        filters = stream.get("/Filter") if hasattr(stream, "get") else None
        if isinstance(filters, list) and len(filters) == 1:
            filters = filters[0]
        if filters is None:
            left -= len(raw)
        elif str(filters) == "/FlateDecode":
            try:
                left -= len(zlib.decompressobj().decompress(raw, left + 1))
            except zlib.error:
                raise UploadRefused("pdf_unreadable") from None
        else:  # an object stream behind another filter, or a chain of them: no scanner writes one
            raise UploadRefused("pdf_unreadable")
        if left < 0:
            raise UploadRefused("pdf_unreadable")


def _is_action(value: Any) -> bool:
    """An /OpenAction that runs an action (a dictionary), not just a page to open at (an array)."""
    from pypdf.generic import DictionaryObject

    resolved = value.get_object() if hasattr(value, "get_object") else value
    return isinstance(resolved, DictionaryObject)
