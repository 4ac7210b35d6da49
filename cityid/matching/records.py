"""One person as the matcher sees them: the fields it compares, nothing else.

Pure Python (no Django). Document numbers never appear here in clear: only their keyed hashes
(``document_hashes``), made by whoever builds the record (the real-time index from the vault's keyed
hash, the batch command from a per-run key). A missing field is the empty string (``None`` for the
date of birth); a missing field is neither evidence for nor against a match.
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
