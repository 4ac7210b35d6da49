"""Synthetic population generator (cityid.synthetic): pure Python, no Django, no DB.

Runs with or without the pytest-django plugin (``-p no:django``).
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import subprocess
import sys
from collections import Counter
from datetime import date

import pytest
from PIL import Image

from cityid.cards.numbers import is_valid_card_number
from cityid.core.dates import age_on
from cityid.enrollment import eligibility
from cityid.synthetic import (
    DOCUMENT_TYPES,
    LANGUAGES,
    PHOTO_SIZE,
    PROGRAM_START,
    SCAN_SIZE,
    SyntheticPerson,
    generate_people,
    portrait_image,
    scan_image,
)
from cityid.synthetic.applicants import evaluate_record
from cityid.synthetic.draws import mix
from cityid.synthetic.duplicates import _typo
from cityid.synthetic.images import _draw_scan_text, _encode, _font, _scan_template, _text
from cityid.synthetic.names import to_ascii

AS_OF = date(2026, 11, 1)
N = 2000  # records only: fast; images are checked on a small sample

POSTCODE = {
    "manhattan": re.compile(r"^100\d\d$"),
    "bronx": re.compile(r"^104\d\d$"),
    "brooklyn": re.compile(r"^112\d\d$"),
    "queens": re.compile(r"^11[34]\d\d$"),
    "staten_island": re.compile(r"^103\d\d$"),
}
CITY = {"manhattan": "New York", "bronx": "Bronx", "brooklyn": "Brooklyn", "queens": "Queens",
        "staten_island": "Staten Island"}  # fmt: skip
PHOTO_ID = {"us_passport", "foreign_passport", "nys_driver_license", "nys_id", "consular_id", "permanent_resident_card",
            "foreign_national_id", "foreign_driver_license", "military_id", "visa"}  # fmt: skip
ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@pytest.fixture(autouse=True)
def isolated_dirs():
    """Overrides the project-wide autouse fixture: this module needs no Django settings."""
    yield None


@pytest.fixture(scope="module")
def people() -> list[SyntheticPerson]:
    return list(generate_people(N, seed=7, as_of=AS_OF))


@pytest.fixture(scope="module")
def rules() -> eligibility.Rules:
    return eligibility.load_rules(eligibility.DEFAULT_RULES_PATH)


def _dump(person: SyntheticPerson) -> str:
    return json.dumps(person.record, sort_keys=True, ensure_ascii=False)


def _age_at_submission(record: dict) -> int:
    return age_on(
        date.fromisoformat(record["date_of_birth"]), date.fromisoformat(record["application"]["submitted"])
    )


# --------------------------------------------------------------------------- determinism


def test_same_arguments_give_identical_records_and_images():
    first = list(generate_people(30, seed=3))
    second = list(generate_people(30, seed=3))
    assert [_dump(p) for p in first] == [_dump(p) for p in second]
    for a, b in zip(first[:8], second[:8], strict=True):
        assert a.scans == b.scans
        assert a.photo == b.photo


def test_chunks_give_the_same_people_as_one_run(people):
    chunks = [
        *generate_people(300, seed=7, start=0, as_of=AS_OF),
        *generate_people(1, seed=7, start=300, as_of=AS_OF),
        *generate_people(299, seed=7, start=301, as_of=AS_OF),
    ]
    assert [_dump(p) for p in chunks] == [_dump(p) for p in people[:600]]
    for index in (0, 301, 599):
        assert chunks[index].scans == people[index].scans
        assert chunks[index].photo == people[index].photo


def test_duplicates_are_the_same_whether_or_not_their_original_is_generated(people):
    dup = next(p for p in people if "_duplicate_of" in p.record)
    index = int(dup.record["external_id"].rsplit("-", 1)[1])
    alone = next(generate_people(1, seed=7, start=index, as_of=AS_OF))
    assert _dump(alone) == _dump(dup)


def test_seed_and_as_of_change_the_population():
    a = [_dump(p) for p in generate_people(20, seed=1)]
    b = [_dump(p) for p in generate_people(20, seed=2)]
    assert not set(a) & set(b)
    late = list(generate_people(50, seed=1, as_of=date(2020, 1, 1)))
    assert all(p.record["application"]["submitted"] <= "2020-01-01" for p in late)


def test_parallel_workers_give_identical_output():
    serial = list(generate_people(9, seed=11, start=5))
    parallel = list(generate_people(9, seed=11, start=5, workers=1, chunk_size=4))
    assert [_dump(p) for p in parallel] == [_dump(p) for p in serial]
    assert [p.scans for p in parallel] == [p.scans for p in serial]
    assert [p.photo for p in parallel] == [p.photo for p in serial]


def test_arguments_are_checked():
    with pytest.raises(ValueError):
        list(generate_people(-1))
    with pytest.raises(ValueError):
        list(generate_people(1, start=-1))
    with pytest.raises(ValueError):
        list(generate_people(1, as_of=date(2014, 1, 1)))
    assert list(generate_people(0)) == []


def test_same_people_as_before_the_generator_became_a_package():
    """Pinned before ``cityid/enrollment/synthetic.py`` was split into ``cityid/synthetic/``: any change to the
    people a seed yields (records or images) shows here, and is then a deliberate one."""
    people = list(generate_people(20, seed=3))
    records = hashlib.sha256(b"".join(json.dumps(p.record, sort_keys=True, ensure_ascii=False).encode() + b"\n"
                                      for p in people))  # fmt: skip
    assert records.hexdigest() == "c0fd5f349a7aba6fa5462876e011bc42df708727f80cdfa7dfaa895e5eca72ba"
    images = hashlib.sha256(b"".join(hashlib.sha256(image).digest() for p in people for image in (*p.scans, p.photo)))
    assert images.hexdigest() == "6c9bf31f35190cf319ecf14d70a214f876da49e40cffbf84c812288061cc07f8"


def test_package_imports_no_django():
    code = (
        "import importlib, pkgutil, sys, cityid.synthetic as package\n"
        "for module in pkgutil.walk_packages(package.__path__, 'cityid.synthetic.'):\n"
        "    importlib.import_module(module.name)\n"
        "print(len([m for m in sys.modules if m.startswith('cityid.synthetic.')]),"
        " sorted(m for m in sys.modules if m.startswith('django')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    modules, django = out.split(" ", 1)
    assert int(modules) >= 8 and django.strip() == "[]"


# --------------------------------------------------------------------------- record shape


def test_record_shape_and_types(people):
    for person in people[:500]:
        r = person.record
        assert set(r) - {"_duplicate_of"} == {
            "external_id", "given_name", "family_name", "date_of_birth", "gender", "address", "languages",
            "documents", "photo_path", "application", "caretaker", "emergency_contact",
        }  # fmt: skip
        json.dumps(r)  # JSON-serialisable as is
        assert re.fullmatch(r"SYN-7-\d{8}", r["external_id"])
        assert isinstance(r["given_name"], str) and r["given_name"].strip() and len(r["given_name"]) <= 100
        assert isinstance(r["family_name"], str) and r["family_name"].strip() and len(r["family_name"]) <= 100
        assert ISO_DATE.match(r["date_of_birth"]) and date.fromisoformat(r["date_of_birth"]).year >= 1900
        assert r["gender"] in {"F", "M", "X", ""}
        assert r["photo_path"] is None
        assert r["languages"] and set(r["languages"]) <= set(LANGUAGES)
        assert len(set(r["languages"])) == len(r["languages"])

        address = r["address"]
        assert set(address) == {"kind", "line1", "line2", "city", "postcode", "borough", "care_of"}
        assert all(isinstance(v, str) for v in address.values())
        if address["kind"] == "none":
            assert all(address[k] == "" for k in address if k != "kind")
        else:
            assert address["kind"] in {"residential", "care_of"}
            assert address["line1"] and address["borough"] in CITY
            assert address["city"] == CITY[address["borough"]]
            assert POSTCODE[address["borough"]].match(address["postcode"]), address
            assert bool(address["care_of"]) == (address["kind"] == "care_of")

        assert r["documents"]
        for doc in r["documents"]:
            assert set(doc) == {"type", "number", "issuer", "expires", "scan_path"}
            assert doc["type"] in DOCUMENT_TYPES
            assert isinstance(doc["number"], str) and len(doc["number"]) >= 6
            assert isinstance(doc["issuer"], str) and doc["issuer"]
            assert doc["expires"] is None or ISO_DATE.match(doc["expires"])
            assert doc["scan_path"] is None
            if doc["type"] in PHOTO_ID:
                assert doc["expires"] is not None

        app = r["application"]
        assert set(app) == {"type", "submitted", "decision", "decided"}
        assert app["type"] in {"new", "renewal", "replacement", "update", "reapplication"}
        assert PROGRAM_START.isoformat() <= app["submitted"] <= AS_OF.isoformat()
        assert app["decision"] in {"approved", "denied", "pending"}
        if app["decision"] == "pending":
            assert app["decided"] is None
        else:
            gap = (date.fromisoformat(app["decided"]) - date.fromisoformat(app["submitted"])).days
            assert 0 <= gap <= 30 and app["decided"] <= AS_OF.isoformat()

        for key, fields in (("caretaker", {"name", "relationship"}), ("emergency_contact", {"name", "phone"})):
            value = r[key]
            assert value is None or (set(value) == fields and all(isinstance(v, str) and v for v in value.values()))


def test_document_codes_are_in_the_shipped_catalogue(rules):
    assert set(DOCUMENT_TYPES) <= set(rules.catalogue)


def test_ages_caretakers_and_emergency_contacts(people):
    ages = Counter()
    for person in people:
        r = person.record
        age = _age_at_submission(r)
        assert 10 <= age <= 96, r
        if age < 14:
            assert r["caretaker"] and r["emergency_contact"], r
        ages["10-13" if age < 14 else "14-17" if age < 18 else "18-64" if age < 65 else "65+"] += 1
    assert ages["18-64"] > 0.6 * N  # weighted to adults
    assert ages["10-13"] > 0.02 * N and ages["65+"] > 0.05 * N


def test_decisions_agree_with_the_rules(people, rules):
    ineligible = 0
    for person in people:
        r = person.record
        evaluation = evaluate_record(r, rules, date.fromisoformat(r["application"]["submitted"]))
        if r["application"]["decision"] == "approved":
            assert evaluation.eligible, (r, evaluation.problems)
        if not evaluation.eligible:
            ineligible += 1
            assert r["application"]["decision"] == "denied", r
    assert 0.03 * N <= ineligible <= 0.08 * N
    decisions = Counter(p.record["application"]["decision"] for p in people)
    assert decisions["approved"] > 0.85 * N
    assert decisions["pending"] >= 1 and decisions["denied"] >= ineligible


def test_photo_ids_of_eligible_applicants_are_valid_on_submission(people, rules):
    for person in people:
        r = person.record
        if r["application"]["decision"] != "approved":
            continue
        for doc in r["documents"]:
            if doc["type"] in PHOTO_ID and doc["type"] not in {"us_passport", "foreign_passport"}:
                assert doc["expires"] >= r["application"]["submitted"], r


def test_shares_of_address_kinds_and_duplicates(people):
    kinds = Counter(p.record["address"]["kind"] for p in people)
    assert 0.055 * N <= kinds["care_of"] <= 0.105 * N
    assert 0.02 * N <= kinds["none"] <= 0.06 * N
    duplicates = sum("_duplicate_of" in p.record for p in people)
    assert 0.015 * N <= duplicates <= 0.045 * N


def test_realistic_mix(people):
    boroughs = Counter(p.record["address"]["borough"] for p in people)
    assert set(boroughs) == set(CITY) | {""}
    languages = Counter(code for p in people for code in p.record["languages"])
    assert {"en", "es", "zh", "ru", "bn", "ht", "ko", "ar", "fr", "pl"} <= set(languages)
    assert languages["en"] > languages["es"] > languages["zh"]
    genders = Counter(p.record["gender"] for p in people)
    assert set(genders) == {"F", "M", "X", ""}
    non_latin = sum(any(ord(c) > 0x24F for c in p.record["given_name"] + p.record["family_name"]) for p in people)
    assert 0.005 * N < non_latin < 0.1 * N
    types = Counter(d["type"] for p in people for d in p.record["documents"])
    assert set(types) == set(DOCUMENT_TYPES)
    assert Counter(p.record["application"]["type"] for p in people)["new"] > 0.6 * N


def test_document_numbers_are_unique(people):
    seen: dict[str, str] = {}
    for person in people:
        r = person.record
        numbers = [d["number"].replace(" ", "") for d in r["documents"]]
        assert len(set(numbers)) == len(numbers)
        if "_duplicate_of" in r:
            continue
        for number in numbers:
            assert number not in seen, (number, seen.get(number), r["external_id"])
            seen[number] = r["external_id"]


def test_near_duplicates_point_back_to_an_earlier_original(people):
    by_id = {p.record["external_id"]: p.record for p in people}
    kinds = Counter()
    for person in people:
        r = person.record
        if "_duplicate_of" not in r:
            continue
        original = by_id[r["_duplicate_of"]]
        assert original["external_id"] < r["external_id"] and "_duplicate_of" not in original
        assert original["application"]["submitted"] <= r["application"]["submitted"]
        changed = []
        for key in ("given_name", "family_name"):
            if r[key] != original[key]:
                assert len(r[key]) == len(original[key])  # one substitution or transposition
                assert sum(a != b for a, b in zip(r[key], original[key], strict=True)) in (1, 2)
                changed.append("name")
        if r["date_of_birth"] != original["date_of_birth"]:
            y, m, d = original["date_of_birth"].split("-")
            assert r["date_of_birth"] == f"{y}-{d}-{m}"
            changed.append("dob")
        if [d["number"] for d in r["documents"]] == [d["number"] for d in original["documents"]]:
            changed.append("documents")
        assert changed, r
        kinds.update(changed)
    assert kinds["name"] and kinds["dob"] and kinds["documents"]


def test_ebt_card_numbers_carry_the_card_luhn_check_digit(people):
    numbers = [d["number"] for p in people for d in p.record["documents"] if d["type"] == "ebt_card"]
    assert numbers and all(n.startswith("600486") and is_valid_card_number(n) for n in numbers)


def test_typo_changes_one_letter_or_swaps_two():
    import random

    rng = random.Random(1)
    for name in ("Garcia", "Jean-Baptiste", "Olawale", "Zhang", "Salas Castaño", "Ковалева", "خالد", "秀兰"):
        for _ in range(20):
            typo = _typo(name, rng)
            assert typo != name and len(typo) == len(name)
            assert sum(a != b for a, b in zip(typo, name, strict=True)) in (1, 2)
            if name.isascii() and len(name) > 2:
                assert typo[0] == name[0]
    assert _typo("王", rng) == "王"  # nothing to mistype: the generator then changes something else


# --------------------------------------------------------------------------- images


def _jpeg(data: bytes) -> Image.Image:
    assert data.startswith(b"\xff\xd8\xff")
    image = Image.open(io.BytesIO(data))
    assert image.format == "JPEG"
    image.load()
    return image


def test_scans_and_photos_decode_and_are_small(people):
    for person in people[:25]:
        assert len(person.scans) == len(person.record["documents"])
        for scan in person.scans:
            image = _jpeg(scan)
            assert image.size == SCAN_SIZE and image.mode == "L"
            assert 8_000 < len(scan) < 60_000
        photo = _jpeg(person.photo)
        assert photo.size == PHOTO_SIZE and photo.mode == "RGB"
        assert 4_000 < len(person.photo) < 60_000


def test_scans_differ_per_document_and_a_duplicate_reuses_its_originals_face(people):
    person = next(p for p in people if len(p.record["documents"]) >= 2)
    assert person.scans[0] != person.scans[1]
    dup = next(p for p in people if "_duplicate_of" in p.record)
    original = next(p for p in people if p.record["external_id"] == dup.record["_duplicate_of"])
    assert dup._spec.face_seed == original._spec.face_seed and dup.photo != original.photo


def test_scan_is_byte_identical_to_encoding_the_whole_page():
    lines = ["NEW YORK STATE  DRIVER LICENSE", "SURNAME  NUNEZ", "GIVEN NAMES  MARIA JOSE", "NO.  123 456 789"]
    for seed in range(10):
        for size in (SCAN_SIZE, (601, 377), (200, 64)):
            got = scan_image(lines[: 1 + seed % 4], seed=seed, size=size)
            template = _scan_template(size, mix(seed, "variant") % 8)
            page = template.image.copy()
            _draw_scan_text(page, template.x0, lines[0], lines[1 : 1 + seed % 4])
            assert got == _encode(page, restart_marker_rows=1)
            assert _jpeg(got).size == size


def test_public_image_functions_are_deterministic():
    a = scan_image(["PASSPORT", "SURNAME  ZHANG", "Ковалева Núñez"], seed=5)
    assert a == scan_image(["PASSPORT", "SURNAME  ZHANG", "Ковалева Núñez"], seed=5)
    assert a != scan_image(["PASSPORT", "SURNAME  WANG", "Ковалева Núñez"], seed=5)
    assert portrait_image(seed=1) == portrait_image(seed=1) != portrait_image(seed=2)
    assert _jpeg(portrait_image(seed=3)).size == PHOTO_SIZE
    with pytest.raises(ValueError):
        scan_image(["x"], seed=1, size=(100, 50))


def test_fast_text_path_draws_the_same_pixels_as_imagedraw():
    from PIL import ImageDraw

    for size in (13, 15, 19):
        font = _font(size)
        a = Image.new("L", (420, 40), 200)
        b = a.copy()
        text = "SURNAME  O'BRIEN-SMITH 0123 jgq {}|~"
        ImageDraw.Draw(a).text((7, 9), text, font=font, fill=30)
        _text(ImageDraw.Draw(b), (7, 9), text, font, 30)
        assert a.tobytes() == b.tobytes()


def test_ascii_folding_for_drawn_text():
    assert to_ascii("Núñez Żółw Straße") == "Nunez Zolw Strasse"
    assert to_ascii("Ковалева") == "Kovaleva"
    assert to_ascii("李") == ""
