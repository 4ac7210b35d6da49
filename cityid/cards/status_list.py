"""The cards' status list: a W3C Bitstring Status List (v1.0) with two bits per card, signed as a
compact JWS (ES256) by a key of the cards' JWK Set. Pure Python.

Each card's credentials carry its index in the list. Entry ``i`` is the two bits at bit positions
``2i`` and ``2i + 1`` counted from the most significant bit of byte 0 (the left-most bit is index 0,
as the W3C text says); read as a big-endian two-bit number it is 0 active, 1 suspended, 2 revoked
(3 is unused and read as revoked). The list has at least 131,072 entries (herd privacy), and cards'
indexes are drawn at random, so the list shows how many cards are revoked or suspended, not which
ones or in what order they were issued.

``encodedList`` is multibase base64url: ``"u"`` + base64url without padding of the GZIP of the
bitstring. The list credential is JSON (a ``BitstringStatusListCredential``) carried as the payload of
a compact JWS with the header ``{"alg": "ES256", "kid": ..., "typ": "vc+jwt"}``; WebCrypto verifies it
(ECDSA P-256 SHA-256 over ``header.payload``, the signature raw r ‖ s). ``docs/credentials.md`` has it
all with an example.
"""

from __future__ import annotations

import binascii
import gzip
import json
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from cityid.cards.credentials import KeySet, Signer, b64url, b64url_decode, key_id, raw_signature, verify_raw
from cityid.core.errors import CityidError

STATUS_SIZE = 2
ACTIVE, SUSPENDED, REVOKED = 0, 1, 2
STATUS_NAMES = {ACTIVE: "active", SUSPENDED: "suspended", REVOKED: "revoked"}
MIN_ENTRIES = 131_072
MAX_ENTRIES = 1 << 26  # a verifier refuses a bigger list (a decompression bomb is bounded by it)
JWS_TYPE = "vc+jwt"
MAX_JWS = 8 * 1024 * 1024


class StatusListRefused(CityidError, ValueError):
    """A status list that is not one (codes: ``not_jws``, ``unknown_key``, ``bad_signature``,
    ``not_status_list``, ``encoding``, ``too_big``, ``too_small``, ``stale``; worded by ``cards.messages``);
    ``detail`` says more in English."""

    def __init__(self, code: str, /, detail: str = "", **params: Any) -> None:
        super().__init__(code, **params)
        self.detail = detail


def byte_length(entries: int) -> int:
    return (entries * STATUS_SIZE + 7) // 8


def build_bitstring(statuses: Iterable[tuple[int, int]], entries: int) -> bytes:
    """The bitstring of ``entries`` entries with ``(index, status)`` set; active (0) entries need not be given."""
    if entries < MIN_ENTRIES or entries % 4:
        raise ValueError(f"a status list has at least {MIN_ENTRIES} entries, a multiple of 4")
    bits = bytearray(byte_length(entries))
    for index, status in statuses:
        if status:
            if not 0 <= index < entries or not 0 <= status <= 3:
                raise ValueError("status index or value out of range")
            bits[index >> 2] |= status << (6 - 2 * (index & 3))
    return bytes(bits)


def status_at(bitstring: bytes, index: int) -> int:
    if not 0 <= index < len(bitstring) * 4:
        raise IndexError("status index outside the list")
    return (bitstring[index >> 2] >> (6 - 2 * (index & 3))) & 3


def encode_list(bitstring: bytes) -> str:
    """``encodedList``: multibase ``u`` + base64url (no padding) of GZIP(bitstring)."""
    return "u" + b64url(gzip.compress(bitstring, compresslevel=6, mtime=0))


def decode_list(encoded: str, *, max_entries: int = MAX_ENTRIES) -> bytes:
    """The bitstring behind ``encodedList``; ``StatusListRefused`` for anything else, and for a list
    that would expand past ``max_entries`` (never decompressed in full)."""
    if not isinstance(encoded, str) or not encoded.startswith("u"):
        raise StatusListRefused("encoding", "encodedList is not multibase base64url ('u')")
    try:
        compressed = b64url_decode(encoded[1:])
        inflater = zlib.decompressobj(wbits=31)  # GZIP framing
        limit = byte_length(max_entries)
        bitstring = inflater.decompress(compressed, limit + 1)
    except (ValueError, zlib.error, binascii.Error):
        raise StatusListRefused("encoding", "encodedList is not GZIP base64url") from None
    if len(bitstring) > limit or inflater.unconsumed_tail:
        raise StatusListRefused("too_big", "the status list is bigger than a verifier accepts")
    if not inflater.eof:
        raise StatusListRefused("encoding", "encodedList is truncated")
    if len(bitstring) * 4 < MIN_ENTRIES:
        raise StatusListRefused("too_small", "a status list has at least 131,072 entries")
    return bitstring


@dataclass(frozen=True)
class StatusList:
    """A verified status list: what :func:`cityid.cards.credentials.verify` looks statuses up in."""

    bitstring: bytes
    issuer: str = ""
    valid_from: datetime | None = None
    valid_until: datetime | None = None
    key_id: str = ""

    @property
    def entries(self) -> int:
        return len(self.bitstring) * 4

    def status_at(self, index: int) -> int:
        return status_at(self.bitstring, index)


def credential(*, issuer: str, url: str, encoded_list: str, valid_from: datetime,
               ttl: timedelta = timedelta(hours=24)) -> dict[str, Any]:
    """The ``BitstringStatusListCredential`` (VC Data Model 2.0) for an encoded list."""
    return {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "id": url,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": issuer,
        "validFrom": _iso(valid_from),
        "validUntil": _iso(valid_from + ttl),
        "credentialSubject": {
            "id": f"{url}#list",
            "type": "BitstringStatusList",
            "statusPurpose": "message",
            "statusSize": STATUS_SIZE,
            "statusMessage": [{"status": f"0x{value:x}", "message": name} for value, name in STATUS_NAMES.items()],
            "ttl": int(ttl.total_seconds() * 1000),
            "encodedList": encoded_list,
        },
    }


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def sign_jws(payload: dict[str, Any], signer: Signer) -> str:
    """A compact JWS (RFC 7515) of ``payload`` signed ES256, ``kid`` the signer's key id."""
    header = {"alg": "ES256", "kid": key_id(signer.public_key()), "typ": JWS_TYPE}
    signing_input = (b64url(json.dumps(header, separators=(",", ":")).encode()) + "."
                     + b64url(json.dumps(payload, separators=(",", ":"), sort_keys=True).encode()))
    return signing_input + "." + b64url(raw_signature(signer.sign(signing_input.encode("ascii"))))


def build(*, statuses: Iterable[tuple[int, int]], entries: int, issuer: str, url: str, signer: Signer,
          valid_from: datetime, ttl: timedelta = timedelta(hours=24)) -> str:
    """The signed status list (a compact JWS) for ``(index, status)`` pairs."""
    encoded = encode_list(build_bitstring(statuses, entries))
    return sign_jws(credential(issuer=issuer, url=url, encoded_list=encoded, valid_from=valid_from, ttl=ttl),
                    signer)


def verify_jws(text: str, key_set: KeySet) -> tuple[dict[str, Any], str]:
    """The payload and key id of a compact JWS signed ES256 by a key of ``key_set``."""
    if not isinstance(text, str) or len(text) > MAX_JWS:
        raise StatusListRefused("not_jws", "not a status list")
    parts = text.strip().split(".")
    if len(parts) != 3:
        raise StatusListRefused("not_jws", "not a compact JWS")
    try:
        header = json.loads(b64url_decode(parts[0]))
        signature = b64url_decode(parts[2])
    except ValueError:
        raise StatusListRefused("not_jws", "not a compact JWS") from None
    if not isinstance(header, dict) or header.get("alg") != "ES256" or "crit" in header:
        raise StatusListRefused("not_jws", "the JWS is not ES256")
    public = key_set.get(header.get("kid", ""))
    if public is None:
        raise StatusListRefused("unknown_key", "the status list is signed by a key that is not published")
    if not verify_raw(public, signature, (parts[0] + "." + parts[1]).encode("ascii")):
        raise StatusListRefused("bad_signature", "the status list's signature does not verify")
    try:
        payload = json.loads(b64url_decode(parts[1]))
    except ValueError:
        raise StatusListRefused("not_status_list", "the status list's payload is not JSON") from None
    if not isinstance(payload, dict):
        raise StatusListRefused("not_status_list", "the status list's payload is not JSON")
    return payload, str(header["kid"])


def parse(text: str, key_set: KeySet, *, now: datetime | None = None) -> StatusList:
    """A verified :class:`StatusList` from its signed JWS; ``StatusListRefused`` if the signature does
    not verify, the document is not a two-bit status list, or ``now`` is past its ``validUntil``."""
    payload, kid = verify_jws(text, key_set)
    try:
        subject = payload["credentialSubject"]
        if "BitstringStatusListCredential" not in payload["type"] or subject["type"] != "BitstringStatusList":
            raise StatusListRefused("not_status_list", "not a BitstringStatusListCredential")
        if subject.get("statusSize", 1) != STATUS_SIZE:
            raise StatusListRefused("not_status_list", "the status list is not two bits per entry")
        valid_from = _parse_time(payload.get("validFrom"))
        valid_until = _parse_time(payload.get("validUntil"))
        bitstring = decode_list(subject["encodedList"])
        issuer = str(payload.get("issuer", ""))
    except (KeyError, TypeError, ValueError) as exc:
        if isinstance(exc, StatusListRefused):
            raise
        raise StatusListRefused("not_status_list", "not a BitstringStatusListCredential") from None
    if now is not None and valid_until is not None and now > valid_until:
        raise StatusListRefused("stale", "the status list is out of date (past its validUntil)")
    return StatusList(bitstring=bitstring, issuer=issuer, valid_from=valid_from, valid_until=valid_until,
                      key_id=kid)


def _parse_time(value: Any) -> datetime | None:
    if value is None:
        return None
    moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    if moment.tzinfo is None:
        raise ValueError("a time without a zone")
    return moment
