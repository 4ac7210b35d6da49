"""The typo-tolerant name index: what a name and birth-date search looks up, and how candidates are ranked.

Each applicant's ``application`` record carries, beside the exact ``name_dob`` index, one ``name_fz``
blind-index row per distinct *key* of their name, every key bound to their date of birth:

- each name token (given and family names together, so their order does not matter), normalised as the
  exact index is (case, accents, spacing, invisible characters; apostrophes and dots dropped);
- for tokens of five letters or more, their first four and their last four letters (one typo, a
  substitution, insertion, deletion or swap of neighbours, leaves at least one of the two intact in a token
  of eight letters or more; in shorter ones the sound key often still agrees);
- the token's Metaphone key (``jellyfish.metaphone``), for spellings that sound alike.

Every key is stored only as a keyed hash (HMAC) under the record's cohort key, like every blind index.
**What the index reveals to someone holding the database (without the key provider):** that two rows of
the *same cohort* hash equal keyed values, i.e. two applicants whose records are due in the same month
share a name token (or a near-spelling, or a sound) *and* a date of birth; how many keys each applicant
has (roughly the length of their name). Nothing else: no token, length or frequency of a token across the
population, since every key is salted with the birth date and keyed per cohort, and once a cohort key is
destroyed its rows in an old backup can no longer be tested against guesses.

The index finds candidates; :func:`match` then ranks them on the names themselves (decrypted for the
reader the search is logged for) and drops those that are too far from what was typed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

import jellyfish

from cityid.vault.services import normalize_for_index

KIND = "name_fz"
MIN_AFFIX_LENGTH = 5  # shorter tokens: exact or sound-alike only
AFFIX = 4
MIN_TYPO_LENGTH = 4
_DROPPED = re.compile(r"['’.]")


def name_tokens(*names: str) -> list[str]:
    """The distinct normalised tokens of ``names``, in order (``"María José", "García-López"`` →
    ``maria jose garcia lopez``)."""
    text = normalize_for_index(*names).decode().replace("\x1f", " ")
    out: list[str] = []
    for token in re.split(r"[\W_]+", _DROPPED.sub("", text)):
        if token and token not in out:
            out.append(token)
    return out


def token_keys(token: str, *, near: bool = True) -> set[bytes]:
    """The keys of one token (before binding to a birth date): its spelling and sound, and with ``near`` its
    first and last letters (``a:``/``z:``)."""
    keys = {b"e:" + token.encode()}
    if near and len(token) >= MIN_AFFIX_LENGTH:
        keys |= {b"a:" + token[:AFFIX].encode(), b"z:" + token[-AFFIX:].encode()}
    sound = jellyfish.metaphone(token)
    if sound:
        keys.add(b"p:" + sound.encode())
    return keys


def _values(names: tuple[str, ...], date_of_birth: date, *, near: bool) -> list[bytes]:
    born = date_of_birth.isoformat().encode()
    keys: set[bytes] = set()
    for token in name_tokens(*names):
        keys |= token_keys(token, near=near)
    return sorted(key + b"\x1f" + born for key in keys)


def index_values(given_name: str, family_name: str, date_of_birth: date) -> list[bytes]:
    """The values the ``name_fz`` rows of one applicant hash (sorted, distinct)."""
    return _values((given_name, family_name), date_of_birth, near=True)


def query_values(name: str, date_of_birth: date, *, near: bool = True) -> list[bytes]:
    """The values a search for ``name`` (any order, one box) born on ``date_of_birth`` looks up. Without
    ``near``: only the spellings and sounds of the typed tokens (a few keyed hashes per live key); with it,
    their first and last letters too (for a typo)."""
    return _values((name,), date_of_birth, near=near)


@dataclass(frozen=True)
class Match:
    score: int  # higher is closer: 3 a token exactly, 2 one typo or the same sound
    exact: bool  # every typed token is in the name as typed


def _token_score(typed: str, stored: list[str]) -> int:
    if typed in stored:
        return 3
    sound = jellyfish.metaphone(typed)
    for token in stored:
        if sound and sound == jellyfish.metaphone(token):
            return 2
        if min(len(typed), len(token)) >= MIN_TYPO_LENGTH and jellyfish.damerau_levenshtein_distance(typed, token) <= 1:
            return 2
    return 0


def match(typed_name: str, given_name: str, family_name: str) -> Match | None:
    """How close a stored name is to what was typed: every typed token must be in the name, with at most one
    typo or the same sound each (in any order); None when one is not."""
    typed = name_tokens(typed_name)
    stored = name_tokens(given_name, family_name)
    if not typed:
        return None
    scores = [_token_score(token, stored) for token in typed]
    if not all(scores):
        return None
    return Match(score=sum(scores), exact=all(score == 3 for score in scores))
