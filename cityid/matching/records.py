"""One person as the matcher sees them: the fields it compares, nothing else.

Pure Python (no Django). Document numbers never appear here in clear: only their keyed hashes
(``document_hashes``) and the keyed hashes of their one-edit variants (``document_variants``, from
:func:`document_variants`: two numbers one typo apart share one), made by whoever builds the record
(the real-time index from the vault's keyed hash, the batch command from a per-run key). A missing
field is the empty string (``None`` for the date of birth): neither evidence for nor against a match.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True, slots=True)
class PersonRecord:
    """The fields of one application or cardholder that the matcher compares."""

    id: str
    given_name: str = ""
    family_name: str = ""
    date_of_birth: date | None = None
    address_line1: str = ""
    city: str = ""
    postcode: str = ""
    document_hashes: tuple[str, ...] = ()
    document_variants: tuple[str, ...] = ()


def normal_document_number(number: str) -> str:
    """A document number as compared: letters and digits only, upper case."""
    return "".join(ch for ch in number.upper() if ch.isalnum())


def document_variants(number: str) -> list[str]:
    """The number itself and every string made by deleting one character of it (to be keyed-hashed).

    Two numbers share a variant when one is the other with one character changed, added, dropped or
    two neighbours swapped — a typo — so the matcher finds them without ever comparing numbers in clear.
    """
    normal = normal_document_number(number)
    if not normal:
        return []
    return sorted({normal, *(normal[:i] + normal[i + 1:] for i in range(len(normal)))})
