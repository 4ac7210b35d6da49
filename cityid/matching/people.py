"""From what enrollment holds to what the model compares, and the keys the candidate index hashes (pure).

Document numbers never reach the model or the index as typed: each becomes an HMAC under a key that lives only
in this process's memory (``document_hash``), equal for equal numbers of one type, and useless outside it.
"""

from __future__ import annotations

import hmac
import re
import unicodedata
from collections.abc import Iterable, Mapping
from datetime import date

from cityid.matching.blocking import blocking_keys
from cityid.matching.normalise import Normalised, normalise
from cityid.matching.records import PersonRecord

_NOT_ALNUM = re.compile(r"[^0-9a-z]+")


def fold(text: str) -> str:
    """Lower case, accents dropped, anything but letters and digits as one space."""
    decomposed = unicodedata.normalize("NFKD", text or "").casefold()
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(_NOT_ALNUM.sub(" ", plain).split())


def document_hash(key: bytes, doc_type: str, number: str) -> str:
    """A document number as the model and index see it: type and number folded, then keyed."""
    message = f"{fold(doc_type)}\x1f{fold(number).replace(' ', '')}".encode()
    return hmac.digest(key, message, "sha256")[:16].hex()


def person_record(
    *, person_id: int | str, given_name: str, family_name: str, date_of_birth: date | None,
    address: Mapping[str, str], documents: Iterable[tuple[str, str]], document_key: bytes,
) -> PersonRecord:
    return PersonRecord(
        id=str(person_id),
        given_name=given_name or "",
        family_name=family_name or "",
        date_of_birth=date_of_birth,
        address_line1=address.get("line1", "") or "",
        city=address.get("city", "") or "",
        postcode=address.get("postcode", "") or "",
        document_hashes=tuple(sorted({document_hash(document_key, t, n) for t, n in documents if fold(n)})),
    )


def document_keys(record: PersonRecord | Normalised) -> list[str]:
    hashes = record.docs if isinstance(record, Normalised) else record.document_hashes
    return [f"doc:{digest}" for digest in sorted(hashes)]


def address_key(record: PersonRecord | Normalised) -> str | None:
    """One key per street address (the model's normal form of line and postcode); None without a street line."""
    n = record if isinstance(record, Normalised) else normalise(record)
    if not n.address:
        return None
    return f"addr:{n.address}|{n.postcode}"


def index_keys(record: PersonRecord | Normalised) -> list[str]:
    """What the candidate index hashes for a person and a query: the model's blocking keys, each document
    number's, and the address's (for the reuse and velocity signals)."""
    n = record if isinstance(record, Normalised) else normalise(record)
    keys = list(blocking_keys(n)) + document_keys(n)
    address = address_key(n)
    if address:
        keys.append(address)
    return list(dict.fromkeys(keys))
