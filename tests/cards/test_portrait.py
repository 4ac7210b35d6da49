"""The card portrait: ICAO-like framing of the cleaned photo, fixed pixels, the same bytes every time; and how card
production gets it (an audited read of the card face only, never a document)."""

from __future__ import annotations

import hashlib
import io

import pytest
from PIL import Image

from cityid.cards.portrait import (
    CROWN_MARGIN,
    HEAD_HEIGHT,
    PORTRAIT_SIZE,
    PortraitRefused,
    find_head,
    make_portrait,
)
from cityid.synthetic.images import portrait_image


def _decoded(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def _drawn_head(size: tuple[int, int], *, crown: int, chin: int, centre: int, backdrop=(225, 230, 236)) -> bytes:
    """A photo with a known head: an ellipse from ``crown`` to ``chin``, a neck and shoulders below."""
    from PIL import ImageDraw

    image = Image.new("RGB", size, backdrop)
    draw = ImageDraw.Draw(image)
    half_w = (chin - crown) * 0.4
    draw.rectangle((centre - half_w * 0.35, chin - 10, centre + half_w * 0.35, chin + (chin - crown) * 0.3),
                   fill=(150, 110, 90))
    draw.ellipse((centre - half_w * 3, chin + (chin - crown) * 0.25, centre + half_w * 3, size[1] + 400),
                 fill=(40, 60, 120))
    draw.ellipse((centre - half_w, crown, centre + half_w, chin), fill=(170, 120, 95))
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def test_portrait_has_fixed_pixels_and_35_45_aspect():
    for seed in range(6):
        portrait = _decoded(make_portrait(portrait_image(seed=seed)))
        assert portrait.format == "JPEG"
        assert portrait.size == PORTRAIT_SIZE
        assert portrait.size[0] * 45 == portrait.size[1] * 35


def test_the_same_photo_gives_the_same_bytes():
    photo = portrait_image(seed=11)
    first = make_portrait(photo)
    assert all(make_portrait(photo) == first for _ in range(3))
    assert make_portrait(portrait_image(seed=12)) != first
    assert hashlib.sha256(first).digest() == hashlib.sha256(make_portrait(bytes(photo))).digest()


def test_portrait_carries_no_metadata():
    image = _decoded(make_portrait(portrait_image(seed=3)))
    assert not image.getexif()
    assert not {"icc_profile", "comment", "exif", "xmp"} & set(image.info)


@pytest.mark.parametrize("size,crown,chin,centre", [
    ((600, 800), 120, 420, 300),     # a head in the middle of a big photo
    ((1200, 1600), 500, 900, 450),   # small and off to the left
    ((400, 500), 60, 330, 220),      # large, near the top
])
def test_the_head_is_found_and_framed_icao_like(size, crown, chin, centre):
    photo = _drawn_head(size, crown=crown, chin=chin, centre=centre)
    head = find_head(_decoded(photo).convert("RGB"))
    assert head is not None
    tolerance = 0.06 * (chin - crown)
    assert abs(head.crown - crown) <= tolerance
    assert abs(head.chin - chin) <= tolerance
    assert abs(head.centre_x - centre) <= tolerance

    # In the portrait: the crown CROWN_MARGIN below the top, the head HEAD_HEIGHT tall, centred.
    portrait = _decoded(make_portrait(photo)).convert("RGB")
    skin_rows = [y for y in range(portrait.height)
                 if _is_skin(portrait.getpixel((portrait.width // 2, y)))]
    assert abs(skin_rows[0] - CROWN_MARGIN) <= 0.06 * HEAD_HEIGHT
    assert abs((skin_rows[-1] - skin_rows[0]) - HEAD_HEIGHT * 1.3) <= 0.1 * HEAD_HEIGHT  # head and neck
    row = skin_rows[0] + HEAD_HEIGHT // 2
    skin_cols = [x for x in range(portrait.width) if _is_skin(portrait.getpixel((x, row)))]
    assert abs((skin_cols[0] + skin_cols[-1]) / 2 - portrait.width / 2) <= 0.03 * portrait.width


def _is_skin(pixel) -> bool:
    r, g, b = pixel
    return r > 130 and b < 115 and r - b > 40


def test_a_photo_without_a_plain_backdrop_is_centred_whole():
    from PIL import ImageDraw

    image = Image.new("RGB", (300, 300))
    draw = ImageDraw.Draw(image)
    for x in range(0, 300, 10):
        draw.rectangle((x, 0, x + 4, 300), fill=(255, 255, 255))
    out = io.BytesIO()
    image.save(out, "PNG")
    assert find_head(image) is None
    assert _decoded(make_portrait(out.getvalue())).size == PORTRAIT_SIZE


def test_attack_hostile_photo_bytes_are_refused_cleanly():
    with pytest.raises(PortraitRefused) as refused:
        make_portrait(b"GIF89a" + b"\0" * 100)
    assert refused.value.code == "type"
    with pytest.raises(PortraitRefused) as refused:
        make_portrait(portrait_image(seed=1)[:200])
    assert refused.value.code == "unreadable"
    big = io.BytesIO()
    Image.new("L", (5000, 5000)).save(big, "PNG")
    with pytest.raises(PortraitRefused) as refused:
        make_portrait(big.getvalue(), max_pixels=1_000_000)
    assert refused.value.code == "pixels"
    assert str(refused.value) != "pixels"  # worded


# --- how card production gets the card face -----------------------------------------------------------------

def test_card_production_reads_the_card_face_audited(staff, card):
    from cityid.audit.models import AuditEntry
    from cityid.cards.selectors import card_content

    producer = staff["card_production"]
    content = card_content(card, actor=producer)
    assert (content.face.given_name, content.face.family_name) == ("Canaryname", "Testperson")
    assert content.face.date_of_birth.isoformat() == "1990-04-12"
    assert content.face.address["line1"] == "742 Canarystreet Ave"
    assert content.face.gender == "X" and content.face.languages == ("es",)
    assert content.portrait is not None and _decoded(content.portrait).size == PORTRAIT_SIZE
    assert content.portrait == card_content(card, actor=producer).portrait  # the same bytes each time

    events = list(AuditEntry.objects.filter(action="personal.read_card_face"))
    assert [(e.actor, e.role, e.target, e.purpose) for e in events][0] == (
        f"staff:{producer.pk}", "card_production", card.applicant.ref, card.ref)
    assert not AuditEntry.objects.filter(action__in=("personal.read_scan", "personal.read")).exists()


def test_attack_card_face_is_not_for_other_roles(staff, card):
    from cityid.accounts.policy import PermissionDenied
    from cityid.audit.models import AuditEntry
    from cityid.cards.selectors import card_content

    for role in ("clerk", "auditor", "admin", "fraud_analyst", "foil_officer"):
        with pytest.raises(PermissionDenied):
            card_content(card, actor=staff[role])
    assert not AuditEntry.objects.filter(action="personal.read_card_face").exists()


def test_attack_card_production_cannot_read_documents_or_the_applicant(staff, card):
    from cityid.accounts.policy import PermissionDenied
    from cityid.enrollment.selectors import read_applicant, read_photo, read_scan

    producer = staff["card_production"]
    with pytest.raises(PermissionDenied):
        read_scan(application=card.application, position=0, actor=producer, purpose=card.application.ref)
    with pytest.raises(PermissionDenied):
        read_applicant(applicant=card.applicant, actor=producer, purpose=card.application.ref)
    with pytest.raises(PermissionDenied):
        read_photo(applicant=card.applicant, actor=producer, purpose=card.application.ref)


@pytest.mark.parametrize("kind", ["care_of", "none"])
def test_care_of_and_no_address_are_never_on_the_card_face(staff, kind):
    from datetime import date

    from cityid.cards.selectors import card_content
    from cityid.enrollment.services import decide, enroll
    from tests.conftest import make_input

    address = {"kind": kind, "line1": "", "line2": "", "city": "", "postcode": "", "borough": "", "care_of": ""}
    if kind == "care_of":
        address.update(line1="1 Shelter Way", city="New York", postcode="10001", care_of="Safe Harbor")
    application = enroll(data=make_input(address=address), enrolled_by=staff["clerk"], today=date(2026, 11, 20))
    decide(application=application, approve=True, decided_by=staff["supervisor"])
    content = card_content(application.card, actor=staff["card_production"])
    assert content.face.address is None
