"""The normal form the matcher compares: one spelling per name, address and date, precomputed once.

Pure Python (no Django). :func:`normalise` turns a :class:`~cityid.matching.records.PersonRecord`
into a :class:`Normalised` record whose fields are what the comparison levels of
:mod:`cityid.matching.scorer` (and their SQL twins in :mod:`cityid.matching.splink_model`) read, so
that scoring one candidate is a handful of string comparisons and no parsing:

* **case, accents, punctuation**: :func:`fold` — the project's :func:`~cityid.core.text.clean_text`
  (invisible and bidi characters out), then ``anyascii`` transliterates every script to ASCII
  (``José`` → ``jose``, ``王`` → ``wang``, ``Мария`` → ``mariia``, ``محمد`` → ``mhmd``), lower case,
  every run of non-alphanumerics one space;
* **nicknames**: the first given name's canonical forms from the ``nicknames`` package (``Bill`` →
  ``william``; ``Al`` → ``albert``, ``alexander``, ``alfred``, …), and the name itself;
* **multi-part and hyphenated family names**: the parts as tokens (``García-López`` → ``garcia``,
  ``lopez``), without particles (``de``, ``van``, ``bin``, …), so that one part alone still agrees;
* **given and family names transposed**: kept as typed; the scorer tries both alignments;
* **phonetic codes**: Metaphone (``jellyfish``) of the first given name and of each family part;
* **date of birth**: ``YYYYMMDD`` and its parts; **address**: street words abbreviated the USPS way
  (``Street`` → ``st``), tokens for a token similarity; **postcode**: letters and digits only.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import jellyfish
from anyascii import anyascii

from cityid.core.text import clean_text
from cityid.matching.records import PersonRecord

#: Particles of multi-part family names, left out of the name's parts (kept in the full name).
PARTICLES = frozenset({
    "de", "del", "della", "der", "den", "di", "da", "das", "do", "dos", "du", "la", "le", "las", "los",
    "van", "von", "y", "e", "bin", "ibn", "bint", "ben", "al", "el", "abu", "mac", "st",
})

#: Address words in their USPS abbreviations (street suffixes, directions, unit designators).
ADDRESS_WORDS = {
    "street": "st", "str": "st", "avenue": "ave", "av": "ave", "road": "rd", "boulevard": "blvd",
    "place": "pl", "drive": "dr", "lane": "ln", "court": "ct", "terrace": "ter", "parkway": "pkwy",
    "highway": "hwy", "square": "sq", "plaza": "plz", "expressway": "expy", "turnpike": "tpke",
    "north": "n", "south": "s", "east": "e", "west": "w", "apartment": "apt", "suite": "ste",
    "floor": "fl", "number": "no", "first": "1st", "second": "2nd", "third": "3rd", "fourth": "4th",
    "fifth": "5th", "sixth": "6th", "seventh": "7th", "eighth": "8th", "ninth": "9th", "tenth": "10th",
}

_NON_ALNUM = re.compile(r"[^a-z0-9]+")
_ORDINAL = re.compile(r"^(\d+)(st|nd|rd|th)$")


def fold(text: str) -> str:
    """Lower-case ASCII words separated by single spaces: no accents, punctuation or invisible characters."""
    if not text:
        return ""
    if not (text.isascii() and text.isprintable()):  # printable ASCII has nothing to clean or transliterate
        text = anyascii(clean_text(text, keep_joiners=False))
    return _NON_ALNUM.sub(" ", text.lower()).strip()


def phonetic(word: str) -> str:
    """The Metaphone code of one folded word (empty for an empty word)."""
    return jellyfish.metaphone(word) if word else ""


@lru_cache(maxsize=1)
def _nicknamer() -> object:
    from nicknames import NickNamer

    return NickNamer()


@lru_cache(maxsize=65536)
def canonical_given(word: str) -> frozenset[str]:
    """``word`` and the formal names it is a nickname of (``bill`` → ``bill``, ``william``)."""
    if not word:
        return frozenset()
    canonicals = _nicknamer().canonicals_of(word)  # type: ignore[attr-defined]
    return frozenset({word, *canonicals})


def name_parts(folded: str) -> tuple[str, ...]:
    """The parts of a folded multi-part name without particles (all parts if nothing else is left)."""
    words = folded.split()
    parts = tuple(w for w in words if w not in PARTICLES)
    return parts or tuple(words)


def address_tokens(folded: str) -> tuple[str, ...]:
    """A folded address line's words, abbreviated; ordinals as bare numbers (``5th`` → ``5``)."""
    out = []
    for word in folded.split():
        word = ADDRESS_WORDS.get(word, word)
        ordinal = _ORDINAL.match(word)
        out.append(ordinal.group(1) if ordinal else word)
    return tuple(out)


def postcode_key(text: str) -> str:
    """Letters and digits of a postcode, upper case (``sw1a 1aa`` → ``SW1A1AA``)."""
    return fold(text).replace(" ", "").upper()


@dataclass(frozen=True, slots=True)
class Normalised:
    """One record's comparable form (every field empty when the record's field is missing)."""

    id: str
    given: str
    given_canon: frozenset[str]
    given_phon: str
    family: str
    family_parts: frozenset[str]
    family_phons: frozenset[str]
    dob: str  # YYYYMMDD
    address: str
    address_tokens: frozenset[str]
    postcode: str
    city: str
    docs: frozenset[str]
    doc_variants: frozenset[str]

    @property
    def year(self) -> str:
        return self.dob[:4]


def normalise(record: PersonRecord) -> Normalised:
    """The comparable form of ``record``."""
    given = fold(record.given_name)
    given_words = given.split()
    first = given_words[0] if given_words else ""
    family = fold(record.family_name)
    parts = name_parts(family)
    address = address_tokens(fold(record.address_line1))
    dob = record.date_of_birth.strftime("%Y%m%d") if record.date_of_birth else ""
    return Normalised(
        id=record.id,
        given=given,
        given_canon=canonical_given(first),
        given_phon=phonetic(first),
        family=family,
        family_parts=frozenset(parts),
        family_phons=frozenset(phonetic(p) for p in parts),
        dob=dob,
        address=" ".join(address),
        address_tokens=frozenset(address),
        postcode=postcode_key(record.postcode),
        city=fold(record.city),
        docs=frozenset(record.document_hashes),
        doc_variants=frozenset(record.document_variants),
    )
