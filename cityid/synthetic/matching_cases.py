"""Labelled person records for the matcher: near-duplicates and the hard cases that are *not* duplicates.

Pure Python (no Django). :func:`match_records` yields flat rows in the batch CSV's columns (``id,
given_name, family_name, date_of_birth, address_line1, city, postcode, document_number``) plus two
labels: ``person`` (rows of one person share it: the truth for precision and recall) and ``case``
(how the row came about). Names come from the population's community name pools
(:mod:`cityid.synthetic.names`), addresses from :mod:`cityid.synthetic.addresses`.

Fast enough for a million rows (no documents, scans or eligibility: only what the matcher reads).
Row ``i`` of a seed depends only on the seed and the person it belongs to.

Duplicates of one person (``case``, same ``person`` as an earlier row):

* ``typo`` — one mistyped letter in the given or family name;
* ``swapped_names`` — given and family name entered in each other's box;
* ``swapped_dob`` — day and month of birth swapped; ``dob_digit`` — one digit of the date wrong;
* ``name_change`` — a new family name (marriage, divorce), often at a new address;
* ``nickname`` — ``Bill`` for ``William``; ``hyphenated`` — a second family name added or dropped;
* ``transliterated`` — the name in its native script in one record, romanised in the other;
* ``moved`` — a new address; ``missing`` — date of birth or address left out.

Different people who look alike (new ``person``):

* ``twin`` — same family name, date of birth and address, another given name;
* ``parent_child`` — same given and family name and address, born 18–45 years apart;
* ``shared_address`` — an unrelated person at the same address (a shelter, a care-of address);
* ``namesake`` — same given and family name, another date of birth and address.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import date, timedelta

from cityid.synthetic.addresses import draw_address
from cityid.synthetic.applicants import _PROFILE_CHOICE
from cityid.synthetic.draws import mix
from cityid.synthetic.names import Name, draw_name, name_pools

COLUMNS = ("id", "given_name", "family_name", "date_of_birth", "address_line1", "city", "postcode",
           "document_number")  # fmt: skip
LABELS = ("person", "case")

DUPLICATE_CASES = ("typo", "swapped_names", "swapped_dob", "dob_digit", "name_change", "nickname", "hyphenated",
                   "transliterated", "moved", "missing")  # fmt: skip
LOOKALIKE_CASES = ("twin", "parent_child", "shared_address", "namesake")

#: Share of people who get a duplicate row, and of those who get a look-alike.
DUPLICATE_SHARE = 0.08
LOOKALIKE_SHARE = 0.05

NICKNAMES = {
    "William": "Bill", "Robert": "Bob", "Elizabeth": "Liz", "Katherine": "Kate", "Margaret": "Peggy",
    "Richard": "Rick", "James": "Jim", "Michael": "Mike", "Jennifer": "Jen", "Alexander": "Alex",
    "Christopher": "Chris", "Daniel": "Dan", "Joseph": "Joe", "Thomas": "Tom", "Anthony": "Tony",
    "Patricia": "Patty", "Rebecca": "Becky", "Samuel": "Sam", "Benjamin": "Ben", "Jonathan": "Jon",
    "Nicholas": "Nick", "Matthew": "Matt", "Andrew": "Andy", "Edward": "Ed", "Susan": "Sue", "Deborah": "Debbie",
    "David": "Dave", "Steven": "Steve", "Jessica": "Jess", "Kimberly": "Kim", "Timothy": "Tim",
}  # fmt: skip

_NEIGHBOURS = "qwertyuiopasdfghjklzxcvbnm"


def _typo(text: str, rng: random.Random) -> str:
    """One changed, dropped or swapped letter (never the first); unchanged if the name is too short."""
    if len(text) < 3:
        return text
    i = rng.randrange(1, len(text) - 1)
    roll = rng.random()
    if roll < 0.4 and text[i] != text[i + 1]:
        return text[:i] + text[i + 1] + text[i] + text[i + 2:]
    if roll < 0.6:
        return text[:i] + text[i + 1:]
    new = rng.choice(_NEIGHBOURS)
    return text[:i] + (new.upper() if text[i].isupper() else new) + text[i + 1:]


def _dob(rng: random.Random) -> date:
    return date(1940, 1, 1) + timedelta(days=rng.randrange(68 * 365))


def _document(rng: random.Random) -> str:
    if rng.random() < 0.25:
        return ""
    return f"{rng.choice('ABCDEFGHJKLMNPRSTUVWXYZ')}{rng.randrange(10**8):08d}"


def _one_digit_off(born: date, rng: random.Random) -> date:
    """``born`` with one digit of ``YYYYMMDD`` changed (a valid date; the next day if none was drawn)."""
    text = born.strftime("%Y%m%d")
    for _ in range(20):
        i = rng.randrange(2, 8)
        digit = rng.choice([d for d in "0123456789" if d != text[i]])
        try:
            changed = _parse(text[:i] + digit + text[i + 1:])
        except ValueError:
            continue
        if changed.year <= 2010:
            return changed
    return born + timedelta(days=1)


def _parse(text: str) -> date:
    return date(int(text[:4]), int(text[4:6]), int(text[6:8]))


class _Person:
    __slots__ = ("name", "pool", "female", "dob", "address", "document")

    def __init__(self, rng: random.Random) -> None:
        profile = _PROFILE_CHOICE.pick(rng)
        pool_key, _country = profile.origins.pick(rng)
        self.pool = name_pools()[pool_key]
        self.female = rng.random() < 0.5
        self.name: Name = draw_name(self.pool, rng, self.female)
        self.dob = _dob(rng)
        self.address = draw_address(rng, profile.boroughs)
        self.document = _document(rng)


def _row(person: _Person, *, given: str | None = None, family: str | None = None, dob: date | None | str = "",
         address: dict | None = None, document: str | None = None) -> dict[str, str]:  # fmt: skip
    born = person.dob if dob == "" else dob
    where = person.address if address is None else address
    return {
        "given_name": person.name.given if given is None else given,
        "family_name": person.name.family if family is None else family,
        "date_of_birth": born.isoformat() if isinstance(born, date) else "",
        "address_line1": where["line1"],
        "city": where["city"],
        "postcode": where["postcode"],
        "document_number": person.document if document is None else document,
    }


def _duplicate(person: _Person, rng: random.Random, case: str) -> dict[str, str]:
    name, born = person.name, person.dob
    if case == "typo":
        if rng.random() < 0.5 and (given := _typo(name.given, rng)) != name.given:
            return _row(person, given=given)
        return _row(person, family=_typo(name.family, rng))
    if case == "swapped_names":
        return _row(person, given=name.family, family=name.given)
    if case == "swapped_dob":
        if born.day <= 12 and born.day != born.month:
            return _row(person, dob=born.replace(month=born.day, day=born.month))
        return _row(person, dob=born.replace(day=min(28, born.day % 28 + 1)) if born.day != 28 else born)
    if case == "dob_digit":
        return _row(person, dob=_one_digit_off(born, rng))
    if case == "name_change":
        other = draw_name(person.pool, rng, person.female)
        moved = draw_address(rng, _PROFILE_CHOICE.pick(rng).boroughs) if rng.random() < 0.6 else None
        return _row(person, family=other.family, address=moved)
    if case == "nickname":
        first, _, rest = name.given.partition(" ")
        if first in NICKNAMES:
            return _row(person, given=" ".join(filter(None, (NICKNAMES[first], rest))))
        return _row(person, given=name.given.upper(), family=name.family.lower())  # case only
    if case == "hyphenated":
        parts = name.family.split()
        if len(parts) > 1:
            return _row(person, family=parts[0])
        second = draw_name(person.pool, rng, True).family.split()[0]
        return _row(person, family=f"{name.family}-{second}")
    if case == "transliterated":
        if name.given != name.given_latin or name.family != name.family_latin:
            return _row(person, given=name.given_latin, family=name.family_latin)
        return _row(person, given=name.given.replace(" ", "-"), family=f"{name.family}.")  # punctuation only
    if case == "moved":
        return _row(person, address=draw_address(rng, _PROFILE_CHOICE.pick(rng).boroughs),
                    document=_document(rng) or person.document)  # fmt: skip
    # missing
    if rng.random() < 0.5:
        return _row(person, dob=None)
    return _row(person, address={"line1": "", "city": "", "postcode": ""}, document="")


def _lookalike(person: _Person, rng: random.Random, case: str) -> dict[str, str]:
    if case == "twin":
        other = draw_name(person.pool, rng, rng.random() < 0.5)
        given = other.given if other.given != person.name.given else _typo(other.given, rng) + "a"
        return _row(person, given=given, document=_document(rng))
    if case == "parent_child":
        years = rng.randint(18, 45)
        try:
            older = person.dob.replace(year=person.dob.year - years)
        except ValueError:
            older = person.dob - timedelta(days=365 * years)
        return _row(person, dob=older if rng.random() < 0.5 else older + timedelta(days=rng.randrange(365)),
                    document=_document(rng))  # fmt: skip
    if case == "namesake":
        return _row(person, dob=_dob(rng), address=draw_address(rng, _PROFILE_CHOICE.pick(rng).boroughs),
                    document=_document(rng))  # fmt: skip
    # shared_address
    stranger = _Person(rng)
    return _row(stranger, address=person.address)


def match_records(count: int, *, seed: int = 0, duplicate_share: float = DUPLICATE_SHARE,
                  lookalike_share: float = LOOKALIKE_SHARE) -> Iterator[dict[str, str]]:  # fmt: skip
    """``count`` labelled rows of seed ``seed`` (ids ``r0``, ``r1``, …), in :data:`COLUMNS` + :data:`LABELS`."""
    if count < 0:
        raise ValueError("count must not be negative")
    made = 0
    index = 0
    while made < count:
        rng = random.Random(mix(seed, index, "match"))
        person = _Person(rng)
        label = f"p{index}"
        rows = [(label, "original", _row(person))]
        if rng.random() < duplicate_share:
            case = rng.choice(DUPLICATE_CASES)
            rows.append((label, case, _duplicate(person, rng, case)))
        if rng.random() < lookalike_share:
            case = rng.choice(LOOKALIKE_CASES)
            rows.append((f"{label}{case[0]}", case, _lookalike(person, rng, case)))
        for person_label, case, row in rows:
            if made >= count:
                return
            yield {"id": f"r{made}", **row, "person": person_label, "case": case}
            made += 1
        index += 1


def true_pairs(rows: list[dict[str, str]]) -> set[tuple[str, str]]:
    """The pairs of row ids ``(a, b)``, ``a < b``, that are one person."""
    by_person: dict[str, list[str]] = {}
    for row in rows:
        by_person.setdefault(row["person"], []).append(row["id"])
    pairs = set()
    for ids in by_person.values():
        for i, a in enumerate(ids):
            for b in ids[i + 1:]:
                pairs.add((a, b) if a < b else (b, a))
    return pairs
