"""Hostile and metadata-laden files, built small: headers that declare huge images without their pixels,
HTML behind image magic bytes, PDFs that run script, photos carrying GPS position and text chunks."""

from __future__ import annotations

import io
import struct
import zlib

CANARY = "CANARY-METADATA-7781"


def png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def png_header_only(width: int, height: int) -> bytes:
    """A PNG declaring ``width`` x ``height`` RGB pixels with almost no image data: a few hundred bytes
    that ask a decoder for ``width * height * 3`` bytes of memory."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\0" * 64)
    return b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", ihdr) + png_chunk(b"IDAT", idat) + png_chunk(b"IEND", b"")


def html_behind_jpeg_magic() -> bytes:
    return b"\xff\xd8\xff\xe0<html><body><script>fetch('/enrollment/search/')</script></body></html>"


def png_with_text(size: tuple[int, int] = (64, 48)) -> bytes:
    from PIL import Image
    from PIL.PngImagePlugin import PngInfo

    info = PngInfo()
    info.add_text("Comment", CANARY)
    info.add_itxt("XML:com.adobe.xmp", f"<x:xmpmeta>{CANARY}</x:xmpmeta>")
    buffer = io.BytesIO()
    Image.new("RGB", size, (90, 120, 150)).save(buffer, "PNG", pnginfo=info, dpi=(300, 300))
    return buffer.getvalue()


def jpeg_with_exif(size: tuple[int, int] = (64, 48), orientation: int | None = None,
                   color: tuple[int, int, int] = (200, 160, 140)) -> bytes:
    """A JPEG carrying GPS position, camera serial, time, an ICC profile, an XMP packet and a comment."""
    from PIL import ExifTags, Image, ImageCms

    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "CanaryCam"
    exif[ExifTags.Base.BodySerialNumber] = CANARY
    exif[ExifTags.Base.DateTimeOriginal] = "2026:11:02 09:15:00"
    if orientation is not None:
        exif[ExifTags.Base.Orientation] = orientation
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (40.0, 44.0, 54.36)
    gps[ExifTags.GPS.GPSLongitudeRef] = "W"
    gps[ExifTags.GPS.GPSLongitude] = (73.0, 59.0, 8.5)
    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, "JPEG", exif=exif.tobytes(), icc_profile=icc,
                                       comment=CANARY.encode(), xmp=f"<x:xmpmeta>{CANARY}</x:xmpmeta>".encode())
    return buffer.getvalue()


def _pdf(objects: list[bytes], root: int = 1, info: int | None = None) -> bytes:
    out = bytearray(b"%PDF-1.7\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    info_ref = b" /Info %d 0 R" % info if info else b""
    out += b"trailer\n<< /Size %d /Root %d 0 R%s >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1, root, info_ref, xref)
    return bytes(out)


def pdf(open_action: bytes | None = None, extra: list[bytes] | None = None) -> bytes:
    """A one-page PDF carrying an author and a title (metadata); ``open_action`` the catalog's /OpenAction
    value, ``extra`` more objects (numbered from 6)."""
    catalog = b"<< /Type /Catalog /Pages 2 0 R" + (b" /OpenAction " + open_action if open_action else b"") + b" >>"
    info = b"<< /Author (%s) /Title (passport scan) >>" % CANARY.encode()
    return _pdf([
        catalog,
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R >>",
        b"<< /Length 0 >>\nstream\n\nendstream",
        info,
        *(extra or []),
    ], info=5)


def pdf_open_action_javascript() -> bytes:
    return pdf(b"6 0 R", [b"<< /Type /Action /S /JavaScript /JS (app.alert\\('x'\\)) >>"])


def pdf_hidden_javascript() -> bytes:
    """The same action with its names written in #xx escapes, so no plain ``/JavaScript`` is in the file."""
    return pdf(b"6 0 R", [b"<< /Type /Action /S /Java#53cript /J#53 (app.alert\\('x'\\)) >>"])


def pdf_object_stream_bomb(streams: int, inflated: int) -> bytes:
    """A one-page PDF whose catalog points at ``streams`` objects, each alone in its own object stream that
    inflates to ``inflated`` bytes (the object then blanks): a few kilobytes that ask the reader to inflate
    ``streams * inflated`` bytes and keep them."""
    import struct

    refs = " ".join(f"{100 + i} 0 R" for i in range(streams)).encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R /Extra [" + refs + b"] >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R >>",
        b"<< /Length 0 >>\nstream\n\nendstream",
    ]
    for i in range(streams):
        header = f"{100 + i} 0 ".encode()
        data = zlib.compress(header + b"<< /A 1 >>" + b" " * inflated, 9)
        objects.append(b"<< /Type /ObjStm /N 1 /First %d /Filter /FlateDecode /Length %d >>\nstream\n"
                       % (len(header), len(data)) + data + b"\nendstream")
    out = bytearray(b"%PDF-1.7\n")
    rows: dict[int, tuple[int, int, int]] = {0: (0, 0, 65535)}
    for number, body in enumerate(objects, start=1):
        rows[number] = (1, len(out), 0)
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    for i in range(streams):
        rows[100 + i] = (2, 5 + i, 0)
    xref_number = len(objects) + 1
    rows[xref_number] = (1, len(out), 0)
    size = max(rows) + 1
    table = b"".join(struct.pack(">BIH", *rows.get(n, (0, 0, 0))) for n in range(size))
    out += (b"%d 0 obj\n<< /Type /XRef /Size %d /W [1 4 2] /Root 1 0 R /Length %d >>\nstream\n"
            % (xref_number, size, len(table)) + table + b"\nendstream\nendobj\n")
    out += b"startxref\n%d\n%%%%EOF\n" % rows[xref_number][1]
    return bytes(out)


def pdf_xref_stream_chain_bomb(streams: int, inflated: int) -> bytes:
    """A one-page PDF whose cross-reference is a chain of ``streams`` xref streams (each one's /Prev the one
    before), each inflating to ``inflated`` bytes: its table, then blanks. A reader inflates every stream of the
    chain while it opens the file, before anything can look at an object."""
    import struct

    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R >>",
        b"<< /Length 0 >>\nstream\n\nendstream",
    ]
    out = bytearray(b"%PDF-1.7\n")
    offsets = {}
    for number, body in enumerate(objects, start=1):
        offsets[number] = len(out)
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    previous = None
    for i in range(streams):
        number = len(objects) + 1 + i
        offsets[number] = len(out)
        size = number + 1
        rows = [(0, 0, 65535)] + [(1, offsets[n], 0) if n in offsets else (0, 0, 0) for n in range(1, size)]
        table = b"".join(struct.pack(">BIH", *row) for row in rows)
        data = zlib.compress(table + b"\0" * (inflated - len(table)), 9)
        prev = b"" if previous is None else b" /Prev %d" % previous
        out += (b"%d 0 obj\n<< /Type /XRef /Size %d /W [1 4 2] /Root 1 0 R /Filter /FlateDecode /Length %d%s >>\n"
                b"stream\n" % (number, size, len(data), prev) + data + b"\nendstream\nendobj\n")
        previous = offsets[number]
    out += b"startxref\n%d\n%%%%EOF\n" % previous
    return bytes(out)
