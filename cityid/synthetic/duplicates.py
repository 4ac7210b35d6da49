"""Near-duplicates: ~3 % of people are a later application of an earlier person, labelled for evaluation.

A near-duplicate re-applies within 180 days of its original with a mistyped name, day and month of
birth swapped, a new address or the very same documents (at least one thing left to match on). Its
record carries ``"_duplicate_of"``: the ``external_id`` of the original (importers ignore keys
starting with ``_``), so a matcher can be scored against these labels.
"""

from __future__ import annotations

import random
from datetime import date, timedelta

from cityid.core.dates import age_on
from cityid.enrollment import eligibility
from cityid.synthetic.addresses import BOROUGHS, POSTCODES, phone_number, residential_address, street_address
from cityid.synthetic.applicants import SHOT_SALT, ImageSpec, base_person, draw_application, external_id, is_eligible
from cityid.synthetic.documents import make_documents
from cityid.synthetic.draws import mix, unit
from cityid.synthetic.names import Name, contact_name, to_ascii

DUPLICATE_SHARE = 0.03


def is_duplicate(seed: int, index: int) -> bool:
    """Whether person ``index`` of ``seed`` is a near-duplicate (never person 0: it needs an earlier one)."""
    return index > 0 and unit(seed, index, "duplicate") < DUPLICATE_SHARE


_KEYBOARD_NEIGHBOURS = {
    "a": "qswz", "b": "vghn", "c": "xdfv", "d": "serfcx", "e": "wsdr", "f": "drtgvc", "g": "ftyhbv",
    "h": "gyujnb", "i": "ujko", "j": "huikmn", "k": "jiolm", "l": "kop", "m": "njk", "n": "bhjm",
    "o": "iklp", "p": "ol", "q": "wa", "r": "edft", "s": "awedxz", "t": "rfgy", "u": "yhji",
    "v": "cfgb", "w": "qase", "x": "zsdc", "y": "tghu", "z": "asx",
}  # fmt: skip


def _typo(text: str, rng: random.Random) -> str:
    """One substitution (a neighbouring key) or one transposition, never on the first letter."""
    chars = list(text)
    positions = [i for i in range(1, len(chars)) if chars[i].isalpha() and chars[i - 1].isalpha()]
    if not positions:
        return text
    if rng.random() < 0.5:
        swaps = [i for i in positions if i + 1 < len(chars) and chars[i + 1].isalpha() and chars[i] != chars[i + 1]]
        if swaps:
            i = rng.choice(swaps)
            chars[i], chars[i + 1] = chars[i + 1], chars[i]
            return "".join(chars)
    i = rng.choice(positions)
    low = chars[i].lower()
    if low in _KEYBOARD_NEIGHBOURS:
        new = rng.choice(_KEYBOARD_NEIGHBOURS[low])
        chars[i] = new.upper() if chars[i].isupper() else new
    elif i + 1 < len(chars) and chars[i + 1].isalpha() and chars[i + 1] != chars[i]:
        chars[i], chars[i + 1] = chars[i + 1], chars[i]  # not a Latin letter (Hanzi, Arabic...): swap
    elif chars[i] != chars[i - 1]:
        chars[i - 1], chars[i] = chars[i], chars[i - 1]
    return "".join(chars)  # may be unchanged (e.g. a one-character name); the caller checks


def near_duplicate(seed: int, index: int, as_of: date, rules: eligibility.Rules) -> tuple[dict, ImageSpec]:
    """Person ``index`` as a near-duplicate of an earlier original person: the record and its image spec."""
    rng = random.Random(mix(seed, index, "duplicate-of"))
    original = rng.randrange(index)
    while is_duplicate(seed, original):
        original = rng.randrange(index)
    base, base_spec, facts = base_person(seed, original, as_of, rules)
    record = {**base, "external_id": external_id(seed, index), "_duplicate_of": base["external_id"]}
    record["address"] = dict(base["address"])
    name = base_spec.name

    base_submitted = date.fromisoformat(base["application"]["submitted"])
    submitted = min(as_of, base_submitted + timedelta(days=rng.randint(1, 180)))
    born = date.fromisoformat(base["date_of_birth"])

    changes = set()
    if rng.random() < 0.65:
        changes.add("name")
    if rng.random() < 0.35 and born.day <= 12 and born.day != born.month:
        swapped = born.replace(month=born.day, day=born.month)
        if age_on(swapped, submitted) >= rules.min_age:
            born = swapped
            changes.add("dob")
    reuse_documents = rng.random() < 0.4
    if not changes and not reuse_documents:
        changes.add("name")
    if "name" in changes:
        parts = ["given", "family"] if rng.random() < 0.5 else ["family", "given"]
        for part in parts:  # the other part if this one is too short to mistype (e.g. 王)
            if part == "given" and (given := _typo(name.given, rng)) != name.given:
                name = Name(given, name.family, to_ascii(given) or name.given_latin, name.family_latin)
                break
            if part == "family" and (family := _typo(name.family, rng)) != name.family:
                name = Name(name.given, family, name.given_latin, to_ascii(family) or name.family_latin)
                break
        else:
            changes.discard("name")
            reuse_documents = reuse_documents or "dob" not in changes  # always leave something to match on
        record["given_name"], record["family_name"] = name.given, name.family
    record["date_of_birth"] = born.isoformat()

    age = age_on(born, submitted)
    if rng.random() < 0.3 and record["address"]["kind"] == "residential":
        borough = rng.choice(BOROUGHS)
        line1, line2 = street_address(rng, borough)
        record["address"] = residential_address(line1, line2, borough, rng.choice(POSTCODES[borough]))
    if reuse_documents:
        record["documents"] = [dict(d) for d in base["documents"]]
    else:
        types = [d["type"] for d in base["documents"]]
        record["documents"] = make_documents(
            types, rng, index=index, seed=seed, country=facts["country"], us_latino=facts["us_latino"],
            address=record["address"], age=age, born=born, submitted=submitted,
        )
        # keep deliberately expired documents expired, as in the original
        for new, old in zip(record["documents"], base["documents"], strict=True):
            if old["expires"] and old["expires"] < base["application"]["submitted"]:
                new["expires"] = old["expires"]
    if age < rules.caretaker_required_below and not record["caretaker"]:
        record["caretaker"] = {"name": contact_name(facts["pool"], rng, name, True, True),
                               "relationship": "mother"}  # fmt: skip
    if age < rules.emergency_contact_required_below and not record["emergency_contact"]:
        record["emergency_contact"] = {"name": record["caretaker"]["name"], "phone": phone_number(rng)}
    record["application"] = draw_application(rng, submitted, as_of, is_eligible(record, rules, submitted))
    images = mix(seed, index, "images")
    spec = ImageSpec(
        name=name,
        face_seed=base_spec.face_seed,  # the same face, photographed again
        shot_seed=images ^ SHOT_SALT,
        scan_seeds=tuple(images + 1 + slot for slot in range(len(record["documents"]))),
    )
    # keep the key order of the original record, with the marker last
    ordered = {k: record[k] for k in base if k in record}
    ordered["_duplicate_of"] = record["_duplicate_of"]
    return ordered, spec
