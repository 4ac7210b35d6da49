"""Original applicants: who they are (community, name, age, address, languages, contacts), the documents
they bring and the decision on their application.

The mix is a New York one (DESIGN.md §3): communities with their origins, languages and boroughs,
ages 10–95, care-of and no-address applicants, caretakers and emergency contacts, documents that
meet the IDNYC rules for most people and ~5 % ineligible. Every record is scored with
:mod:`cityid.enrollment.eligibility` on its submission date: only eligible applications are
``approved``; ineligible ones are ``denied``.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta

from cityid.core.dates import add_years
from cityid.enrollment import eligibility
from cityid.synthetic.addresses import BOROUGHS, draw_address, phone_number
from cityid.synthetic.documents import CONSULAR_COUNTRIES, draw_document_types, make_documents
from cityid.synthetic.draws import Weighted, between, mix
from cityid.synthetic.names import Name, contact_name, draw_name, name_pools

PROGRAM_START = date(2015, 1, 12)  # IDNYC opened its enrollment centers
INELIGIBLE_SHARE = 0.05
LANGUAGES = ("en", "es", "zh", "ru", "bn", "ht", "ko", "ar", "fr", "pl", "ur", "it", "yi")


@dataclass(frozen=True)
class _Profile:
    name: str
    weight: float
    origins: Weighted  # items: (pool key, country alpha-3)
    languages: Weighted  # items: tuple of language codes, preferred first
    boroughs: Weighted


def _profile(name, weight, origins, languages, boroughs) -> _Profile:
    return _Profile(
        name, weight, Weighted.of(origins), Weighted.of(languages), Weighted(BOROUGHS, boroughs)
    )


_PROFILES = (
    _profile("us", 29, [(("en_US", "USA"), 1)],
             [(("en",), 86), (("en", "es"), 8), (("en", "fr"), 2), (("en", "it"), 2), (("en", "ko"), 1),
              (("en", "zh"), 1)], (19, 14, 31, 28, 8)),
    _profile("us_latino", 8, [(("es_CO", "USA"), 1), (("es_MX", "USA"), 1)],
             [(("en", "es"), 55), (("es", "en"), 35), (("en",), 10)], (20, 35, 25, 17, 3)),
    _profile("dominican", 7, [(("es_CO", "DOM"), 1)], [(("es",), 60), (("es", "en"), 40)], (40, 40, 10, 9, 1)),
    _profile("mexican", 6, [(("es_MX", "MEX"), 1)], [(("es",), 65), (("es", "en"), 35)], (15, 25, 30, 25, 5)),
    _profile("andean", 4, [(("es_CO", "ECU"), 45), (("es_CO", "COL"), 35), (("es_CO", "PER"), 20)],
             [(("es",), 60), (("es", "en"), 40)], (10, 15, 20, 52, 3)),
    _profile("central_american", 3, [(("es_MX", "GTM"), 40), (("es_MX", "HND"), 35), (("es_MX", "SLV"), 25)],
             [(("es",), 70), (("es", "en"), 30)], (10, 35, 20, 30, 5)),
    _profile("other_hispanic", 2, [(("es_ES", "ESP"), 40), (("es_AR", "ARG"), 30), (("es_CO", "VEN"), 30)],
             [(("es",), 50), (("es", "en"), 50)], (40, 10, 25, 23, 2)),
    _profile("chinese", 8, [(("zh", "CHN"), 85), (("zh", "HKG"), 8), (("zh", "TWN"), 7)],
             [(("zh",), 60), (("zh", "en"), 40)], (25, 2, 33, 38, 2)),
    _profile("russian", 4, [(("ru_RU", "RUS"), 55), (("uk_UA", "UKR"), 35), (("ru_RU", "UZB"), 10)],
             [(("ru",), 55), (("ru", "en"), 45)], (5, 2, 75, 13, 5)),
    _profile("bangladeshi", 3, [(("bn", "BGD"), 1)], [(("bn",), 55), (("bn", "en"), 45)], (5, 25, 30, 40, 0)),
    _profile("haitian", 3, [(("ht", "HTI"), 1)],
             [(("ht",), 35), (("ht", "fr"), 35), (("ht", "en"), 20), (("fr", "ht"), 10)], (3, 5, 65, 27, 0)),
    _profile("korean", 2, [(("ko", "KOR"), 1)], [(("ko",), 55), (("ko", "en"), 45)], (15, 2, 5, 78, 0)),
    _profile("arab", 2, [(("ar", "EGY"), 35), (("ar", "YEM"), 35), (("ar", "MAR"), 20), (("ar", "SYR"), 10)],
             [(("ar",), 50), (("ar", "en"), 50)], (10, 15, 45, 20, 10)),
    _profile("francophone", 2, [(("fr_FR", "FRA"), 30), (("wa", "SEN"), 30), (("wa", "GIN"), 20),
                                (("wa", "CIV"), 10), (("wa", "MLI"), 10)],
             [(("fr",), 50), (("fr", "en"), 50)], (35, 45, 10, 8, 2)),
    _profile("polish", 2, [(("pl_PL", "POL"), 1)], [(("pl",), 50), (("pl", "en"), 50)], (5, 1, 55, 38, 1)),
    _profile("anglophone_immigrant", 4,
             [(("en_US", "JAM"), 35), (("en_US", "GUY"), 20), (("en_US", "TTO"), 10), (("en_NG", "NGA"), 20),
              (("yo_NG", "NGA"), 5), (("en_NG", "GHA"), 10)], [(("en",), 1)], (10, 30, 35, 23, 2)),
    _profile("south_asian", 2, [(("en_IN", "IND"), 50), (("en_IN", "PAK"), 50)],
             [(("en",), 45), (("ur", "en"), 35), (("bn", "en"), 20)], (15, 10, 25, 47, 3)),
    _profile("yiddish", 2, [(("yi", "USA"), 85), (("yi", "ISR"), 15)],
             [(("yi", "en"), 70), (("en", "yi"), 30)], (5, 1, 88, 5, 1)),
    _profile("other", 2, [(("it_IT", "ITA"), 35), (("pt_BR", "BRA"), 40), (("vi_VN", "VNM"), 25)],
             [(("en",), 70), (("it", "en"), 15), (("en", "es"), 15)], (35, 5, 25, 30, 5)),
)  # fmt: skip
_PROFILE_CHOICE = Weighted(_PROFILES, [p.weight for p in _PROFILES])

_AGE_BANDS = Weighted.of([((10, 13), 4), ((14, 17), 5), ((18, 24), 12), ((25, 34), 20), ((35, 44), 18),
                          ((45, 54), 15), ((55, 64), 12), ((65, 74), 8), ((75, 84), 4), ((85, 95), 2)])  # fmt: skip
_GENDERS = Weighted.of([("F", 47), ("M", 46), ("X", 2), ("", 5)])
_CARETAKER_RELATIONSHIPS = Weighted.of([
    (("mother", True), 50), (("father", False), 25), (("grandmother", True), 8), (("grandfather", False), 2),
    (("aunt", True), 5), (("uncle", False), 2), (("legal guardian", None), 5), (("foster parent", None), 3),
])  # fmt: skip
_EMERGENCY_RELATIONS_SHARE_FAMILY = 0.7


def external_id(seed: int, index: int) -> str:
    """The ``external_id`` of person ``index`` of ``seed``."""
    return f"SYN-{seed}-{index:08d}"


SHOT_SALT = 0x9E3779B97F4A7C15


@dataclass(frozen=True)
class ImageSpec:
    """Everything about a person needed to draw their images (not part of the record)."""

    name: Name
    face_seed: int
    shot_seed: int
    scan_seeds: tuple[int, ...]


def _submitted_date(rng: random.Random, as_of: date) -> date:
    boom_end = date(2016, 12, 31)  # IDNYC's first two years were its busiest
    if as_of > date(2017, 6, 30) and rng.random() < 0.35:
        return between(rng, PROGRAM_START, boom_end)
    lo = date(2017, 1, 1) if as_of > date(2017, 6, 30) else PROGRAM_START
    return between(rng, lo, as_of)


def draw_application(rng: random.Random, submitted: date, as_of: date, eligible: bool) -> dict:
    roll = rng.random()
    kind = "new"
    if submitted >= date(2019, 11, 15) and roll < 0.14:
        kind = "renewal"
    elif submitted >= date(2015, 4, 1) and roll < 0.22:
        kind = rng.choice(("replacement", "replacement", "update", "reapplication"))
    wait = rng.choice((0, 0, 1, 2, 3, 5, 7, 7, 10, 14, 14, 21, 28, 30))
    due = submitted + timedelta(days=wait)
    decided: date | None = due
    if not eligible:
        decision, decided = "denied", min(due, as_of)
    elif due > as_of or ((as_of - submitted).days <= 60 and rng.random() < 0.4) or rng.random() < 0.004:
        decision, decided = "pending", None  # still in the queue, or stalled awaiting the applicant
    elif rng.random() < 0.01:
        decision = "denied"  # e.g. a photo or fraud concern the rules do not model
    else:
        decision = "approved"
    return {"type": kind, "submitted": submitted.isoformat(), "decision": decision,
            "decided": decided.isoformat() if decided else None}  # fmt: skip


def base_person(seed: int, index: int, as_of: date, rules: eligibility.Rules) -> tuple[dict, ImageSpec, dict]:
    """Person ``index`` as first generated (before any near-duplicate treatment).

    Returns the record, the image spec and a few private facts a near-duplicate needs.
    """
    rng = random.Random(mix(seed, index, "person"))
    pools = name_pools()
    profile: _Profile = _PROFILE_CHOICE.pick(rng)
    pool_key, country = profile.origins.pick(rng)
    pool = pools[pool_key]

    gender = _GENDERS.pick(rng)
    female = gender == "F" or (gender not in ("F", "M") and rng.random() < 0.5)
    name = draw_name(pool, rng, female)

    submitted = _submitted_date(rng, as_of)
    lo_age, hi_age = _AGE_BANDS.pick(rng)
    age = rng.randint(lo_age, hi_age)
    newest = add_years(submitted, -age)
    oldest = add_years(submitted, -(age + 1)) + timedelta(days=1)
    born = between(rng, oldest, newest)

    us_born = country == "USA" or (age < 18 and rng.random() < 0.45)
    if us_born and country != "USA":
        country = "USA"

    address = draw_address(rng, profile.boroughs)

    languages = list(profile.languages.pick(rng))
    if us_born and age < 18 and "en" not in languages:
        languages.append("en")

    caretaker = None
    if age < 14 or (age < 18 and rng.random() < 0.35):
        relationship, rel_female = _CARETAKER_RELATIONSHIPS.pick(rng)
        caretaker = {
            "name": contact_name(pool, rng, name, rel_female, rng.random() < 0.75),
            "relationship": relationship,
        }
    emergency = None
    if age < 14 or rng.random() < 0.4:
        if caretaker and rng.random() < 0.6:
            emergency_name = caretaker["name"]
        else:
            emergency_name = contact_name(pool, rng, name, None,
                                          rng.random() < _EMERGENCY_RELATIONS_SHARE_FAMILY)  # fmt: skip
        emergency = {"name": emergency_name, "phone": phone_number(rng)}

    ineligible = rng.random() < INELIGIBLE_SHARE
    types = draw_document_types(rng, us_born=us_born, age=age, has_caretaker=caretaker is not None,
                                ineligible=ineligible, kind=address["kind"],
                                consular=country in CONSULAR_COUNTRIES)  # fmt: skip
    documents = make_documents(types, rng, index=index, seed=seed, country=country,
                               us_latino=profile.name == "us_latino", address=address, age=age,
                               born=born, submitted=submitted)  # fmt: skip

    record = {
        "external_id": external_id(seed, index),
        "given_name": name.given,
        "family_name": name.family,
        "date_of_birth": born.isoformat(),
        "gender": gender,
        "address": address,
        "languages": languages,
        "documents": documents,
        "photo_path": None,
        "application": None,  # filled below, once eligibility is known
        "caretaker": caretaker,
        "emergency_contact": emergency,
    }
    record["application"] = draw_application(rng, submitted, as_of, is_eligible(record, rules, submitted))
    images = mix(seed, index, "images")
    spec = ImageSpec(
        name=name,
        face_seed=images,
        shot_seed=images ^ SHOT_SALT,
        scan_seeds=tuple(images + 1 + slot for slot in range(len(documents))),
    )
    facts = {"pool": pool, "country": country, "us_latino": profile.name == "us_latino", "female": female}
    return record, spec, facts


def is_eligible(record: dict, rules: eligibility.Rules, submitted: date) -> bool:
    return evaluate_record(record, rules, submitted).eligible


def evaluate_record(record: dict, rules: eligibility.Rules, on: date) -> eligibility.Evaluation:
    city_address = record["address"]["kind"] == "residential"
    emergency = record["emergency_contact"]
    return eligibility.evaluate(
        rules,
        date_of_birth=date.fromisoformat(record["date_of_birth"]),
        as_of=on,
        documents=[
            eligibility.PresentedDocument(
                type=d["type"],
                expires=date.fromisoformat(d["expires"]) if d["expires"] else None,
                shows_city_address=city_address,
            )
            for d in record["documents"]
        ],
        with_caretaker=bool(record["caretaker"]),
        has_emergency_contact=bool(emergency and any(emergency.values())),
    )
