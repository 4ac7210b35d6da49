"""Identity and residency documents: which ones a person brings, their numbers, issuers, expiry and printed text.

Numbers are unique over a population: each goes through a keyed bijection of the person's index
and the document's position. The EBT card number carries a Luhn check digit like every payment
card, computed by :func:`cityid.cards.numbers.luhn_check_digit`.
"""

from __future__ import annotations

import math
import random
from datetime import date, timedelta
from functools import lru_cache

from cityid.cards.numbers import luhn_check_digit
from cityid.synthetic.draws import Weighted, mix
from cityid.synthetic.names import Name, to_ascii

DOCUMENT_TYPES = (
    "us_passport", "foreign_passport", "nys_driver_license", "nys_id", "consular_id",
    "birth_certificate", "permanent_resident_card", "foreign_national_id", "foreign_driver_license",
    "military_id", "visa", "itin_letter", "ebt_card", "utility_bill", "lease", "bank_statement",
    "pay_stub", "school_record", "shelter_letter",
)  # fmt: skip


_PHOTO_ID_TYPES = frozenset(
    {"us_passport", "foreign_passport", "nys_driver_license", "nys_id", "consular_id",
     "permanent_resident_card", "foreign_national_id", "foreign_driver_license", "military_id", "visa"}
)  # fmt: skip


_COUNTRY_NAMES = {
    "USA": "United States", "DOM": "Dominican Republic", "MEX": "Mexico", "ECU": "Ecuador",
    "COL": "Colombia", "PER": "Peru", "GTM": "Guatemala", "HND": "Honduras", "SLV": "El Salvador",
    "ESP": "Spain", "ARG": "Argentina", "VEN": "Venezuela", "CHN": "China", "HKG": "Hong Kong",
    "TWN": "Taiwan", "RUS": "Russia", "UKR": "Ukraine", "UZB": "Uzbekistan", "BGD": "Bangladesh",
    "HTI": "Haiti", "KOR": "Republic of Korea", "EGY": "Egypt", "YEM": "Yemen", "MAR": "Morocco",
    "SYR": "Syria", "FRA": "France", "SEN": "Senegal", "GIN": "Guinea", "CIV": "Côte d'Ivoire",
    "MLI": "Mali", "POL": "Poland", "JAM": "Jamaica", "GUY": "Guyana", "TTO": "Trinidad and Tobago",
    "NGA": "Nigeria", "GHA": "Ghana", "IND": "India", "PAK": "Pakistan", "ISR": "Israel",
    "ITA": "Italy", "BRA": "Brazil", "VNM": "Viet Nam",
}  # fmt: skip
#: Countries whose consulates in New York issue consular ID cards (matrícula consular and similar).
CONSULAR_COUNTRIES = frozenset({"MEX", "GTM", "HND", "SLV", "ECU", "COL", "DOM", "PER", "ARG"})
_PASSPORT_PREFIX = {"MEX": "G", "DOM": "SC", "CHN": "E", "RUS": "75", "UKR": "FA", "KOR": "M",
                    "EGY": "A", "BGD": "EB", "HTI": "R", "POL": "EK", "FRA": "19", "IND": "Z",
                    "PAK": "AB", "ECU": "A", "COL": "AT", "JAM": "A", "NGA": "A"}  # fmt: skip


_NO_ADDRESS_LETTER_ISSUERS = Weighted.of([
    ("NYC Department of Homeless Services", 60), ("Safe Passage Family Justice Partners", 15),
    ("Street Reach Outreach Team", 15), ("Anchor Domestic Violence Services", 10),
])  # fmt: skip
_UTILITIES = Weighted.of([("Con Edison", 40), ("National Grid", 20), ("Verizon", 12), ("Spectrum", 12),
                          ("Optimum", 6), ("NYC Water Board", 5), ("T-Mobile", 5)])  # fmt: skip
_BANKS = Weighted.of([("JPMorgan Chase Bank", 25), ("Citibank", 15), ("Bank of America", 15), ("TD Bank", 10),
                      ("Capital One", 8), ("Banco Popular", 6), ("Apple Bank", 4), ("Municipal Credit Union", 6),
                      ("Carver Federal Savings Bank", 3), ("Santander Bank", 4),
                      ("Ridgewood Savings Bank", 4)])  # fmt: skip
_LANDLORDS = Weighted.of([("New York City Housing Authority", 20), ("Bedford Park Realty LLC", 5),
                          ("Concourse Management Corp", 5), ("Fulton Gardens Associates", 5),
                          ("Queensview Properties LLC", 5), ("Harlem River Homes LLC", 5),
                          ("Ocean Parkway Owners Corp", 5), ("Private landlord", 50)])  # fmt: skip
_EMPLOYERS = Weighted([
    "Metro Deli Corp", "Sunrise Home Care Agency", "Empire Cleaning Services LLC", "Golden Dragon Restaurant",
    "Flatbush Construction Inc", "Queens Boulevard Car Wash", "Harbor Food Distributors", "Brooklyn Bakery Co",
    "Five Boroughs Moving Inc", "Uptown Laundromat LLC", "Bronx Medical Associates", "City Nail Salon",
    "Kings Plaza Supermarket", "Astoria Garment Works", "Riverside Security Services", "Liberty Delivery LLC",
])  # fmt: skip


# =========================================================================== document numbers


def _feistel(x: int, n: int, key: int) -> int:
    """A keyed bijection on ``range(n)`` (balanced Feistel on Z_m x Z_m with cycle walking)."""
    m = math.isqrt(n - 1) + 1
    x %= n
    while True:
        left, right = divmod(x, m)
        for r in range(4):
            v = (right * 0x9E3779B97F4A7C15 + key + r * 0x632BE59BD9B4E019) & 0xFFFFFFFFFFFFFFFF
            v ^= v >> 29
            v = (v * 0xBF58476D1CE4E5B9) & 0xFFFFFFFFFFFFFFFF
            v ^= v >> 32
            left, right = right, (left + v) % m
        x = left * m + right
        if x < n:
            return x


_LETTERS = "ACEFHJKLNP"  # a digit -> letter map, so a leading digit can print as a letter bijectively


@lru_cache(maxsize=64)
def _number_key(seed: int, purpose: str) -> int:
    return mix(seed, purpose)


def _document_number(doc_type: str, slot_key: int, seed: int, country: str, rng: random.Random,
                     born: date) -> str:  # fmt: skip
    """A realistic-looking number, unique over the population.

    ``slot_key`` (person index * 8 + document position) goes through a keyed bijection, so two
    documents of one run never share a number (for fewer than 125 million people), except where a
    near-duplicate deliberately reuses its original's documents.
    """
    s = f"{_feistel(slot_key, 10**9, _number_key(seed, 'document-number')):09d}"
    if doc_type in ("us_passport", "visa"):
        return _LETTERS[int(s[0])] + s[1:]
    if doc_type == "foreign_passport":
        return _PASSPORT_PREFIX.get(country, rng.choice(("P", "N", "X", "AA"))) + s
    if doc_type in ("nys_driver_license", "nys_id"):
        return f"{s[:3]} {s[3:6]} {s[6:]}"
    if doc_type == "consular_id":
        return f"{country[:2]}{s}"
    if doc_type == "birth_certificate":
        return f"{born.year}-{s[:3]}-{s[3:]}"
    if doc_type == "permanent_resident_card":
        return f"A{s}"
    if doc_type == "foreign_national_id":
        return f"{s[:3]}-{s[3:]}-{sum(map(int, s)) % 10}"
    if doc_type == "foreign_driver_license":
        return f"{rng.choice('BCDGKMRST')}{rng.choice('ABLMNRT')}{s}"
    if doc_type == "military_id":
        return f"1{s}"
    if doc_type == "itin_letter":  # 9XX-7X-XXXX / 9XX-8X-XXXX: a smaller space of its own
        x = _feistel(slot_key % 19_000_000, 19_000_000, _number_key(seed, "itin"))
        return f"9{x // 190_000:02d}-{70 + (x // 10_000) % 19}-{x % 10_000:04d}"
    if doc_type == "ebt_card":
        body = "600486" + s
        return body + luhn_check_digit(body)
    if doc_type == "utility_bill":
        return f"{s[:2]}-{s[2:6]}-{s[6:]}{rng.randint(0, 9999):04d}-{rng.randint(0, 9)}"
    if doc_type == "lease":
        return f"L-{s}"
    if doc_type == "bank_statement":
        return f"{rng.randint(10, 999)}{s}"
    if doc_type == "pay_stub":
        return f"EMP-{s}"
    if doc_type == "school_record":
        return s
    if doc_type == "shelter_letter":
        return f"CO-{s}"
    raise ValueError(f"unknown document type {doc_type!r}")


# =========================================================================== documents

#: Photo-ID validity in years, and the age below which a shorter one applies.
_VALIDITY_YEARS = {"us_passport": 10, "foreign_passport": 10, "nys_driver_license": 8, "nys_id": 8,
                   "consular_id": 5, "permanent_resident_card": 10, "foreign_national_id": 10,
                   "foreign_driver_license": 5, "military_id": 4, "visa": 10}  # fmt: skip
_RESIDENCY_ADULT = Weighted.of([("utility_bill", 32), ("lease", 25), ("bank_statement", 25), ("pay_stub", 18)])
_RESIDENCY_YOUNG = Weighted.of([("school_record", 60), ("utility_bill", 15), ("bank_statement", 15),
                                ("lease", 10)])  # fmt: skip
_RESIDENCY_CARE_OF = Weighted.of([("shelter_letter", 80), ("bank_statement", 20)])
R = "residency"  # placeholder in bundles, replaced by a residency document

_BUNDLES_US = Weighted.of([
    (("nys_driver_license",), 30), (("nys_id",), 10), (("us_passport", R), 25),
    (("birth_certificate", "us_passport", R), 8), (("nys_driver_license", "us_passport"), 5),
    (("military_id", "birth_certificate", R), 3), (("us_passport", "ebt_card", R), 3),
    (("nys_id", "ebt_card"), 3),
])  # fmt: skip
_BUNDLES_IMMIGRANT = Weighted.of([
    (("foreign_passport", R), 35), (("foreign_passport", "visa", R), 6), (("consular_id", "birth_certificate", R), 12),
    (("permanent_resident_card", R), 10), (("permanent_resident_card", "foreign_passport", R), 3),
    (("nys_driver_license",), 10), (("nys_id",), 3), (("foreign_national_id", "foreign_driver_license", R), 4),
    (("foreign_national_id", "birth_certificate", R), 3), (("expired_passport", "foreign_national_id", R), 3),
    (("foreign_passport", "itin_letter", "pay_stub"), 4),
])  # fmt: skip
_BUNDLES_MINOR_US = Weighted.of([(("birth_certificate", "school_record"), 55), (("us_passport", R), 25),
                                 (("birth_certificate", "us_passport", "school_record"), 20)])  # fmt: skip
_BUNDLES_MINOR_IMMIGRANT = Weighted.of([(("foreign_passport", "school_record"), 45),
                                        (("birth_certificate", "school_record"), 35),
                                        (("foreign_passport", "birth_certificate", "school_record"), 20)])  # fmt: skip
_BUNDLES_INELIGIBLE = Weighted.of([
    (("utility_bill",), 25), (("lease", "bank_statement"), 15), (("old_passport", "utility_bill"), 20),
    (("foreign_passport",), 15), (("expired_license",), 10), (("birth_certificate", "utility_bill"), 10),
    (("foreign_driver_license", "utility_bill"), 5),
])  # fmt: skip


def draw_document_types(rng: random.Random, *, us_born: bool, age: int, has_caretaker: bool, ineligible: bool,
                        kind: str, consular: bool) -> list[str]:  # fmt: skip
    if ineligible:
        types = list(_BUNDLES_INELIGIBLE.pick(rng))
        if kind != "residential":
            types = ["shelter_letter" if t == "utility_bill" else t for t in types]
        if us_born:
            types = ["us_passport" if t == "foreign_passport" else t for t in types]
        return types
    if age < 18 and (has_caretaker or rng.random() < 0.5):
        bundles = _BUNDLES_MINOR_US if us_born else _BUNDLES_MINOR_IMMIGRANT
        types = list(bundles.pick(rng))
        if not has_caretaker and "us_passport" not in types and "foreign_passport" not in types:
            types.insert(0, "us_passport" if us_born else "foreign_passport")  # photo ID needed
    else:
        types = list((_BUNDLES_US if us_born else _BUNDLES_IMMIGRANT).pick(rng))
        if "consular_id" in types and not consular:
            types[types.index("consular_id")] = "foreign_passport"
        if age < 16:
            types = ["nys_id" if t == "nys_driver_license" else t for t in types]
    if kind != "residential" and R not in types and not any(
        t in ("school_record", "pay_stub", "shelter_letter") for t in types
    ):
        # a NYS licence is worth all 4 points only with a city address on it
        types.append(R)
    if R in types:
        if kind != "residential":
            residency = "shelter_letter" if kind == "none" else _RESIDENCY_CARE_OF.pick(rng)
        elif age < 22:
            residency = _RESIDENCY_YOUNG.pick(rng)
        else:
            residency = _RESIDENCY_ADULT.pick(rng)
        if residency in types:
            residency = "bank_statement" if residency != "bank_statement" else "utility_bill"
        types[types.index(R)] = residency
    return types


def _issuer(doc_type: str, rng: random.Random, *, country: str, us_latino: bool, address: dict,
            age: int) -> str:  # fmt: skip
    country_name = _COUNTRY_NAMES.get(country, country)
    if doc_type in ("us_passport", "visa"):
        return "U.S. Department of State"
    if doc_type in ("foreign_passport", "foreign_national_id", "foreign_driver_license"):
        return country_name
    if doc_type == "consular_id":
        return f"Consulate General of {country_name} in New York"
    if doc_type in ("nys_driver_license", "nys_id"):
        return "New York State DMV"
    if doc_type == "birth_certificate":
        if country != "USA":
            return country_name
        if us_latino and rng.random() < 0.3:
            return "Puerto Rico Department of Health"
        if rng.random() < 0.8:
            return "NYC Department of Health and Mental Hygiene"
        return "New York State Department of Health"
    if doc_type == "permanent_resident_card":
        return "U.S. Citizenship and Immigration Services"
    if doc_type == "military_id":
        return "U.S. Department of Defense"
    if doc_type == "itin_letter":
        return "Internal Revenue Service"
    if doc_type == "ebt_card":
        return "NYS Office of Temporary and Disability Assistance"
    if doc_type == "utility_bill":
        return _UTILITIES.pick(rng)
    if doc_type == "lease":
        return _LANDLORDS.pick(rng)
    if doc_type == "bank_statement":
        return _BANKS.pick(rng)
    if doc_type == "pay_stub":
        return _EMPLOYERS.pick(rng)
    if doc_type == "school_record":
        return "NYC Department of Education" if age < 19 else "City University of New York"
    if doc_type == "shelter_letter":
        return address["care_of"] if address["kind"] == "care_of" else _NO_ADDRESS_LETTER_ISSUERS.pick(rng)
    raise ValueError(doc_type)


def _expiry(doc_type: str, rng: random.Random, submitted: date, age: int) -> date | None:
    """Expiry of an unexpired photo ID: issued up to (validity - 181 days) before ``submitted``.

    Keeping 181 days of validity means a near-duplicate submitted within 180 days of its original
    can present the very same documents.
    """
    years = _VALIDITY_YEARS.get(doc_type)
    if years is None:
        if doc_type == "lease":
            return submitted + timedelta(days=rng.randint(60, 730))
        return None
    if doc_type in ("us_passport", "foreign_passport") and age < 16:
        years = 5
    elif doc_type == "foreign_passport" and rng.random() < 0.3:
        years = 5
    validity = int(years * 365.25)
    issued = submitted - timedelta(days=rng.randint(0, validity - 181))
    return issued + timedelta(days=validity)


def make_documents(types: list[str], rng: random.Random, *, index: int, seed: int, country: str,
                   us_latino: bool, address: dict, age: int, born: date, submitted: date) -> list[dict]:  # fmt: skip
    docs = []
    for slot, code in enumerate(types):
        expires: date | None
        if code == "expired_passport":  # machine-readable, expired less than 3 years ago: 2 points
            code = "us_passport" if country == "USA" else "foreign_passport"
            expires = submitted - timedelta(days=rng.randint(30, 1000))
        elif code == "old_passport":  # expired beyond the 3-year grace: rejected
            code = "us_passport" if country == "USA" else "foreign_passport"
            expires = submitted - timedelta(days=rng.randint(1200, 3000))
        elif code == "expired_license":
            code = "nys_driver_license"
            expires = submitted - timedelta(days=rng.randint(10, 900))
        else:
            expires = _expiry(code, rng, submitted, age)
        docs.append({
            "type": code,
            "number": _document_number(code, index * 8 + slot, seed, country, rng, born),
            "issuer": _issuer(code, rng, country=country, us_latino=us_latino, address=address, age=age),
            "expires": expires.isoformat() if expires else None,
            "scan_path": None,
        })  # fmt: skip
    return docs


# =========================================================================== text on documents


def _us_date(value: str | None) -> str:
    if not value:
        return "-"
    y, m, d = value.split("-")
    return f"{m}/{d}/{y}"


def _intl_date(value: str | None) -> str:
    if not value:
        return "-"
    d = date.fromisoformat(value)
    return f"{d.day:02d} {('JAN FEB MAR APR MAY JUN JUL AUG SEP OCT NOV DEC').split()[d.month - 1]} {d.year}"


_TITLES = {
    "us_passport": "UNITED STATES OF AMERICA  PASSPORT",
    "nys_driver_license": "NEW YORK STATE  DRIVER LICENSE",
    "nys_id": "NEW YORK STATE  IDENTIFICATION CARD",
    "birth_certificate": "CERTIFICATE OF BIRTH",
    "permanent_resident_card": "PERMANENT RESIDENT CARD  USA",
    "military_id": "UNIFORMED SERVICES ID CARD",
    "visa": "UNITED STATES OF AMERICA  VISA",
    "itin_letter": "INTERNAL REVENUE SERVICE",
    "ebt_card": "NEW YORK STATE  BENEFIT CARD",
}


def scan_lines(record: dict, doc: dict, name: Name) -> list[str]:
    """The text printed on a document of this person (first line: the title)."""
    t = doc["type"]
    issuer = to_ascii(doc["issuer"]).upper()
    surname, given = name.family_latin.upper(), name.given_latin.upper()
    full = f"{name.given_latin} {name.family_latin}"
    dob = record["date_of_birth"]
    address = record["address"]
    if address["kind"] == "none":
        where = ["GENERAL DELIVERY", "NEW YORK, NY"]
    else:
        street = f"{address['line1']} {address['line2']}".strip()
        city = f"{address['city']}, NY {address['postcode']}"
        where = [f"C/O {address['care_of']}", street, city] if address["kind"] == "care_of" else [street, city]
    submitted = record["application"]["submitted"]
    if t in _PHOTO_ID_TYPES:
        if t == "foreign_passport":
            title = f"{issuer}  PASSPORT"
        elif t == "consular_id":
            title = f"MATRICULA CONSULAR  {issuer}" if "MEXICO" in issuer else f"CONSULAR ID  {issuer}"
        elif t == "foreign_national_id":
            title = f"{issuer}  NATIONAL IDENTITY CARD"
        elif t == "foreign_driver_license":
            title = f"{issuer}  DRIVING LICENCE"
        else:
            title = _TITLES[t]
        us = t in ("nys_driver_license", "nys_id")
        lines = [title, f"SURNAME  {surname}", f"GIVEN NAMES  {given}",
                 f"DATE OF BIRTH  {_us_date(dob) if us else _intl_date(dob)}",
                 f"SEX  {record['gender'] or '-'}", f"NO.  {doc['number']}",
                 f"EXPIRES  {_us_date(doc['expires']) if us else _intl_date(doc['expires'])}"]  # fmt: skip
        if us:
            lines.insert(4, f"ADDRESS  {where[0]}")
        return lines
    if t == "birth_certificate":
        return [_TITLES[t], f"CERTIFICATE NO.  {doc['number']}", f"NAME  {full.upper()}",
                f"DATE OF BIRTH  {_intl_date(dob)}", f"SEX  {record['gender'] or '-'}",
                f"REGISTRAR  {issuer}"]  # fmt: skip
    if t in ("itin_letter", "ebt_card"):
        return [_TITLES[t], f"NAME  {full.upper()}", f"NUMBER  {doc['number']}", f"ISSUED BY  {issuer}"]
    if t == "school_record":
        return [issuer, "STUDENT RECORD", f"NAME  {full.upper()}", f"DATE OF BIRTH  {_us_date(dob)}",
                f"STUDENT ID  {doc['number']}", *[w.upper() for w in where if w]]  # fmt: skip
    # residency documents: a letter or statement addressed to the person
    heading = {"utility_bill": "ACCOUNT STATEMENT", "bank_statement": "ACCOUNT STATEMENT",
               "pay_stub": "EARNINGS STATEMENT", "shelter_letter": "LETTER OF RESIDENCE",
               "lease": "RESIDENTIAL LEASE AGREEMENT"}[t]  # fmt: skip
    return [issuer, heading, full.upper(), *[w.upper() for w in where if w],
            f"ACCOUNT  {doc['number']}", f"STATEMENT DATE  {_us_date(submitted)}"]  # fmt: skip
