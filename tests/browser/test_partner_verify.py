"""The partner page in real headless Chromium: a card's QR code, uploaded as a PNG or seen by the (fake) camera,
is decoded and checked in the browser (WebCrypto) against the published JWK Set and signed status list; a revoked
card is refused; the page still verifies with the network cut once it has been loaded (service worker); a tampered
payload, a code signed by another key, an expired card, a text that is not a credential, an image without a code,
a file that is no image and a huge image are each refused in plain words, without breaking the page.

Cards are issued through enrollment and their codes signed by cards' issuing code
(``cityid.cards.issuing.credential_payloads``); the server publishes the keys and the status list at
``/.well-known/cityid/``. The QR PNGs are made here with segno (alphanumeric mode, error correction Q); the page
reads them with jsQR, a different decoder.
"""

from __future__ import annotations

import dataclasses
import io
from dataclasses import dataclass
from datetime import date, timedelta

import pytest
import segno
from playwright.sync_api import expect

from cityid.cards import credentials
from tests.browser.test_enroll_end_to_end import browser  # noqa: F401  (the fixture)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHOTO_HASH = bytes(range(32))
NAME, BORN = "Canaryname Testperson", date(1990, 4, 12)


def qr_png(text: str) -> bytes:
    """The QR code of a credential as printed: alphanumeric mode, error correction Q."""
    code = segno.make_qr(text, error="q", mode="alphanumeric" if text.startswith("CID1:") else None)
    buffer = io.BytesIO()
    code.save(buffer, kind="png", scale=6, border=4)
    return buffer.getvalue()


def png_announcing(width: int, height: int) -> bytes:
    """A PNG whose header announces ``width`` x ``height`` pixels, with one row of data."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\0" * 64))
            + chunk(b"IEND", b""))


@dataclass
class Issued:
    """A card the program issued, its two codes as printed, and the program's signing key."""

    card: object
    full: str
    minimal: str


@pytest.fixture
def issue(staff):
    """Issue a card through enrollment and sign its two codes with cards' issuing code (the card key, the
    status-list index, the published status list): what the server publishes at /.well-known/cityid/."""
    from cityid.cards.issuing import credential_payloads
    from cityid.enrollment.services import decide, enroll
    from tests.conftest import make_input, with_number

    def issue_card(given_name: str = "Canaryname", born: date = BORN) -> Issued:
        application = enroll(data=make_input(given_name=given_name, date_of_birth=born), enrolled_by=staff["clerk"],
                             today=date.today())
        decide(application=application, approve=True, decided_by=staff["supervisor"])
        card = with_number(application.card)
        full, minimal = credential_payloads(card, name=f"{given_name} Testperson", birth_date=born,
                                            photo_hash=PHOTO_HASH)
        return Issued(card, full, minimal)

    return issue_card


def change(card, kind: str, staff, reason: str) -> None:
    """A supervisor suspends or revokes the card: the published status list is re-signed when it commits."""
    from cityid.cards.services import change_status

    change_status(card, kind, reason=reason, changed_by=staff["supervisor"])


def signed_by_the_program(claims) -> str:
    """Another credential signed with the program's own card key (an expired card's, say)."""
    from cityid.cards.issuing import card_signer

    return credentials.encode(claims, card_signer())


@pytest.fixture
def partner_page(browser, live_server):  # noqa: F811
    """The partner page in a fresh context (no login), with its uncaught errors collected."""
    contexts = []

    def open_page(language: str = "en"):
        context = browser.new_context(locale="en-US")
        context.add_cookies([{"name": "django_language", "value": language, "url": live_server.url}])
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(15000)
        page.errors = []
        page.on("pageerror", lambda error: page.errors.append(str(error)))
        page.goto(f"{live_server.url}/verify/")
        expect(page.locator("body[data-verify-ready=yes]")).to_have_count(1)
        return page

    yield open_page
    for context in contexts:
        context.close()


def upload(page, data: bytes, name: str = "code.png", mime: str = "image/png") -> None:
    page.set_input_files("#verify-image", files=[{"name": name, "mimeType": mime, "buffer": data}])
    expect(page.locator("#verify-result:not([data-reason=pending])")).to_have_count(1)


def refused_for(page, reason: str) -> None:
    expect(page.locator(f"#verify-result[data-reason={reason}] [data-verdict=refused]")).to_have_count(1)


def test_verifies_a_card_from_an_uploaded_png_of_its_code(partner_page, issue):
    issued = issue()
    page = partner_page()
    upload(page, qr_png(issued.full))
    result = page.locator("#verify-result [data-verdict=valid]")
    expect(result).to_have_count(1)
    expect(result).to_contain_text(NAME)
    expect(result).to_contain_text(BORN.isoformat())
    expect(result).to_contain_text(issued.card.expires_on.isoformat())
    number = issued.card.number
    expect(result).to_contain_text(" ".join(number[i:i + 4] for i in range(0, 16, 4)))
    expect(result).to_contain_text("00010203")  # the start of the photo fingerprint
    expect(result).to_contain_text("Checked against the program's list")

    upload(page, qr_png(issued.minimal), name="small.png")
    result = page.locator("#verify-result [data-verdict=valid]")
    expect(result).to_contain_text("Resident of the city")
    expect(result).not_to_contain_text("Canaryname")
    expect(result).not_to_contain_text(number[:4] + " ")
    assert page.errors == []


def test_refuses_a_revoked_or_suspended_card(partner_page, issue, staff):
    revoked, suspended = issue(), issue("Otherperson", date(1984, 2, 3))
    change(revoked.card, "revoke", staff, "stolen")
    change(suspended.card, "suspend", staff, "lost")
    page = partner_page()
    upload(page, qr_png(revoked.full))
    refused_for(page, "revoked")
    expect(page.locator("#verify-result")).to_contain_text("revoked")
    expect(page.locator("#verify-result")).not_to_contain_text("Canaryname")
    upload(page, qr_png(suspended.minimal), name="suspended.png")
    refused_for(page, "suspended")
    assert page.errors == []


def test_still_verifies_with_the_network_cut_after_the_page_loaded(partner_page, issue, staff):
    good, revoked = issue(), issue("Otherperson", date(1984, 2, 3))
    change(revoked.card, "revoke", staff, "stolen")
    page = partner_page()
    expect(page.locator("body[data-offline-ready=yes]")).to_have_count(1)
    page.wait_for_function("navigator.serviceWorker.controller !== null")
    page.context.set_offline(True)
    page.reload()  # offline: the service worker's copy of the page, its scripts, the keys and the status list
    expect(page.locator("body[data-verify-ready=yes]")).to_have_count(1)
    upload(page, qr_png(good.full))
    expect(page.locator("#verify-result [data-verdict=valid]")).to_contain_text(NAME)
    upload(page, qr_png(revoked.full), name="revoked.png")
    refused_for(page, "revoked")  # the status list came from the cache too
    page.context.set_offline(False)
    assert page.errors == []


def _tampered(text: str) -> str:
    """The same credential with one claim changed (the name's first letter) and the signature left as it was."""
    raw = bytearray(credentials.b45decode(text[len(credentials.PREFIX):]))
    at = raw.index(NAME.encode())
    raw[at] = ord("E")
    return credentials.PREFIX + credentials.b45encode(bytes(raw))


def test_refuses_bad_codes_and_images_in_plain_words_without_breaking_the_page(partner_page, issue):
    issued = issue()
    page = partner_page()
    expired = credentials.FullClaims(
        issuer="http://127.0.0.1:8000", expires_on=date.today() - timedelta(days=3), card_number=issued.card.number,
        name=NAME, birth_date=BORN, photo_hash=PHOTO_HASH, status_index=7)
    other_key = credentials.encode(dataclasses.replace(expired, expires_on=date.today() + timedelta(days=99)),
                                   credentials.LocalSigner())
    cases = [
        (qr_png(_tampered(issued.full)), "bad_signature", "changed or forged"),
        (qr_png(other_key), "unknown_key", "not signed by a key"),
        (qr_png(signed_by_the_program(expired)), "expired", "expired"),
        (qr_png(issued.full[:40]), "malformed", "not a city ID card code"),
        (qr_png("https://example.com/not-a-card"), "malformed", "not a city ID card code"),
    ]
    for png, reason, words in cases:
        upload(page, png)
        refused_for(page, reason)
        expect(page.locator("#verify-result")).to_contain_text(words)
        expect(page.locator("#verify-result")).not_to_contain_text("Canaryname")

    from PIL import Image

    blank = io.BytesIO()
    Image.new("RGB", (400, 300), (240, 240, 240)).save(blank, "PNG")
    upload(page, blank.getvalue(), name="blank.png")
    refused_for(page, "no_code")
    expect(page.locator("#verify-result")).to_contain_text("No QR code was found")
    upload(page, b"%PDF-1.4 this is not an image", name="card.png")
    refused_for(page, "image")
    # A huge image (a decompression bomb: 60,000 x 60,000 pixels announced) is refused from its header.
    upload(page, png_announcing(60000, 60000), name="huge.png")
    refused_for(page, "too_large")

    # The page still works after all of that.
    upload(page, qr_png(issued.full), name="good.png")
    expect(page.locator("#verify-result [data-verdict=valid]")).to_contain_text(NAME)
    assert page.errors == []


def test_the_page_speaks_spanish(partner_page, issue, staff):
    revoked = issue()
    change(revoked.card, "revoke", staff, "stolen")
    page = partner_page("es")
    upload(page, qr_png(revoked.full))
    refused_for(page, "revoked")
    expect(page.locator("#verify-result")).to_contain_text("revocada")
    expect(page.locator("h1")).to_contain_text("Verificar")


def y4m_of(png: bytes, *, width: int = 640, height: int = 480, frames: int = 5) -> bytes:
    """A short raw video (YUV4MPEG2, 4:2:0) showing the picture in the middle of a grey frame: what Chromium's
    fake camera plays."""
    from PIL import Image

    picture = Image.open(io.BytesIO(png)).convert("RGB")
    picture.thumbnail((height - 40, height - 40))
    frame = Image.new("RGB", (width, height), (200, 200, 200))
    frame.paste(picture, ((width - picture.width) // 2, (height - picture.height) // 2))
    y, cb, cr = frame.convert("YCbCr").split()
    half = (width // 2, height // 2)
    planes = y.tobytes() + cb.resize(half).tobytes() + cr.resize(half).tobytes()
    header = f"YUV4MPEG2 W{width} H{height} F5:1 Ip A1:1 C420jpeg\n".encode()
    return header + b"".join(b"FRAME\n" + planes for _ in range(frames))


def test_reads_a_code_from_the_camera(browser, live_server, issue, tmp_path):  # noqa: F811
    """Chromium's fake camera plays a video of a card's code; the page finds it in the stream and verifies it."""
    from tests.browser.test_enroll_end_to_end import CHROMIUM, CHROMIUM_ARGS

    video = tmp_path / "code.y4m"
    video.write_bytes(y4m_of(qr_png(issue().minimal)))
    args = [*CHROMIUM_ARGS, "--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream",
            f"--use-file-for-fake-video-capture={video}"]
    camera_browser = browser.browser_type.launch(executable_path=CHROMIUM, args=args, headless=True)
    try:
        context = camera_browser.new_context()
        context.grant_permissions(["camera"], origin=live_server.url)
        page = context.new_page()
        page.set_default_timeout(15000)
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.goto(f"{live_server.url}/verify/")
        expect(page.locator("body[data-verify-ready=yes]")).to_have_count(1)
        page.click("#verify-camera")
        result = page.locator("#verify-result [data-verdict=valid]")
        expect(result).to_contain_text("Resident of the city")
        expect(page.locator("#verify-video")).to_be_hidden()  # the camera is stopped once a code is read
        assert errors == []
    finally:
        camera_browser.close()
