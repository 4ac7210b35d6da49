"""Blocking keys: which existing records are worth scoring against a new one.

Pure Python (no Django). Two records are scored only if they share a blocking key; every key is a
plaintext string here — the real-time index stores keyed hashes of them, never these strings.
The keys are chosen so that each kind of near-duplicate the model must catch shares at least one:

* ``dob:`` birth year with day and month *sorted* — an exact or day/month-swapped date of birth
  (a changed name, a new address);
* ``nm:`` the phonetic codes of the first given name and of a family-name part, *sorted* — typos
  that keep the sound, transposed given and family names, a typo or missing date of birth;
* ``fy:`` a family-name part's phonetic code and the birth year — a mistyped day or month with
  a new given-name spelling;
* ``doc:`` each document number's keyed hash — the same document, whatever else changed;
  ``docv:`` the keyed hashes of its one-deletion variants — the same document mistyped;
* ``pg:`` and ``pf:`` the postcode with the given name's, or a family-name part's, phonetic code — the
  other name mistyped beyond its sound and the date of birth missing or wrong.

The batch run (:mod:`cityid.matching.splink_model`) blocks on the ``dob:``, ``nm:``, ``doc:`` and ``docv:``
keys, as columns: over a whole file the ``fy:``, ``pg:`` and ``pf:`` keys found no labelled duplicate those miss
and doubled the pairs to score (``splink_model.BLOCKING_COLUMNS``).
"""

from __future__ import annotations

from cityid.matching.normalise import Normalised, normalise
from cityid.matching.records import PersonRecord


def dob_key(n: Normalised) -> str:
    if not n.dob:
        return ""
    month, day = n.dob[4:6], n.dob[6:8]
    return f"dob:{n.dob[:4]}{min(month, day)}{max(month, day)}"


def _family_codes(n: Normalised) -> list[str]:
    """Phonetic codes of the family name's parts (at most two, in a stable order)."""
    return sorted(code for code in n.family_phons if code)[:2]


def name_keys(n: Normalised) -> list[str]:
    given = n.given_phon
    if not given:
        return []
    return [f"nm:{'|'.join(sorted((given, code)))}" for code in _family_codes(n)]


def family_year_keys(n: Normalised) -> list[str]:
    if not n.dob:
        return []
    return [f"fy:{code}|{n.dob[:4]}" for code in _family_codes(n)]


def postcode_keys(n: Normalised) -> list[str]:
    if not n.postcode:
        return []
    keys = [f"pg:{n.postcode}|{n.given_phon}"] if n.given_phon else []
    return keys + [f"pf:{n.postcode}|{code}" for code in _family_codes(n)[:1]]


def normalised_keys(n: Normalised) -> list[str]:
    """The blocking keys of a normalised record, without repeats, in a stable order."""
    keys = [dob_key(n), *name_keys(n), *family_year_keys(n), *postcode_keys(n), *(f"doc:{d}" for d in sorted(n.docs)),
            *(f"docv:{v}" for v in sorted(n.doc_variants))]
    return list(dict.fromkeys(k for k in keys if k))


def blocking_keys(record: PersonRecord | Normalised) -> list[str]:
    """The plaintext blocking keys of ``record`` (hash them with a keyed hash before storing)."""
    return normalised_keys(record if isinstance(record, Normalised) else normalise(record))
