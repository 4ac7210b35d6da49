"""Signed card credentials: the text behind a card's QR codes, and its offline verifier. Pure Python.

A credential is a CWT (RFC 8392): CBOR claims in a COSE_Sign1 (RFC 9052) signed ES256 (ECDSA P-256,
SHA-256), Base45-encoded (RFC 9285) behind the prefix ``CID1:``. No zlib: at this size it makes the
token larger. Every character is in the QR code's alphanumeric set, so the code is printed in
alphanumeric mode. ``docs/credentials.md`` is the wire format for other implementers.

Two kinds per card: **full** (card number, name, date of birth, photo hash) and **minimal** (resident of
the city, over 18, over 21: no name, number or birth date). Both carry the issuer, the expiry and the
card's index in the published status list; the key id is in the signed (protected) COSE header.

``encode(claims, signer)`` signs through any :class:`cityid.vault.signers.Signer` whose key is ECDSA
P-256 (a key file or an HSM). ``verify(text, key_set, status=..., now=...)`` returns the
:class:`Verified` claims or raises :class:`Refused` with one of :data:`REASONS`; it never raises
anything else, whatever the text.
"""

from __future__ import annotations

import base64
import hashlib
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, Protocol

import cbor2
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

from cityid.core.errors import CityidError

PREFIX = "CID1:"
CLAIMS_VERSION = 1

# The two kinds of credential (the value of private claim KIND).
FULL = 1
MINIMAL = 2
KINDS = {FULL: "full", MINIMAL: "minimal"}

# COSE: protected header labels and the ES256 algorithm id (RFC 9053), the COSE_Sign1 tag.
HEADER_ALG, HEADER_KID = 1, 4
ES256 = -7
COSE_SIGN1_TAG = 18

# CWT claims (RFC 8392): issuer and expiry. Everything else sits in one private-use claim.
CLAIM_ISS, CLAIM_EXP = 1, 4
CLAIM_CITYID = -65537  # private use (IANA "CBOR Web Token Claims": integers below -65536)

# Keys of the map inside CLAIM_CITYID.
VERSION, KIND, STATUS_INDEX = 0, 1, 2
NUMBER, NAME, BIRTH_DATE, PHOTO_HASH = 3, 4, 5, 6
RESIDENT, OVER_18, OVER_21 = 7, 8, 9

# Status list values (W3C Bitstring Status List, statusSize 2), see cityid.cards.status_list.
STATUS_ACTIVE, STATUS_SUSPENDED, STATUS_REVOKED = 0, 1, 2

MALFORMED = "malformed"
BAD_SIGNATURE = "bad_signature"
UNKNOWN_KEY = "unknown_key"
EXPIRED = "expired"
REVOKED = "revoked"
SUSPENDED = "suspended"
REASONS = (MALFORMED, BAD_SIGNATURE, UNKNOWN_KEY, EXPIRED, REVOKED, SUSPENDED)

MAX_TEXT = 4096  # longer than any QR code holds in alphanumeric mode: refused before decoding
KID_BYTES = 8


class Refused(CityidError, ValueError):
    """A credential that does not verify: its code (``reason``) is one of :data:`REASONS`, worded for
    people by ``cards.messages``; ``detail`` says more in English, for developers (never the claims)."""

    def __init__(self, code: str, /, detail: str = "", **params: Any) -> None:
        super().__init__(code, **params)
        self.detail = detail

    @property
    def reason(self) -> str:
        return self.code


@dataclass(frozen=True)
class FullClaims:
    issuer: str
    expires_on: date
    card_number: str
    name: str
    birth_date: date
    photo_hash: bytes  # SHA-256 of the portrait printed on the card
    status_index: int
    kind = "full"


@dataclass(frozen=True)
class MinimalClaims:
    issuer: str
    expires_on: date
    resident: bool
    over_18: bool  # on the day the credential was signed
    over_21: bool
    status_index: int
    kind = "minimal"


Claims = FullClaims | MinimalClaims


@dataclass(frozen=True)
class Verified:
    claims: Claims
    key_id: str  # the signing key's kid (base64url)
    status: str  # "active", or "unchecked" when no status list was given

    def as_dict(self) -> dict[str, Any]:
        """The claims as JSON-friendly values (dates ISO 8601, the photo hash hex)."""
        out: dict[str, Any] = {"kind": self.claims.kind, "key_id": self.key_id, "status": self.status}
        for name, value in vars(self.claims).items():
            if isinstance(value, date):
                value = value.isoformat()
            elif isinstance(value, bytes):
                value = value.hex()
            out[name] = value
        return out


class Signer(Protocol):
    """What :func:`encode` signs with (``cityid.vault.signers.Signer``): an ECDSA P-256 key whose
    ``public_key()`` is a DER SubjectPublicKeyInfo and whose ``sign()`` returns a DER ECDSA signature."""

    def public_key(self) -> bytes: ...
    def sign(self, message: bytes) -> bytes: ...


class StatusLookup(Protocol):
    """A verified status list (``cityid.cards.status_list.StatusList``)."""

    def status_at(self, index: int) -> int: ...


class LocalSigner:
    """An in-memory ECDSA P-256 key (tests, the benchmark, the documentation's example)."""

    def __init__(self, private_key: ec.EllipticCurvePrivateKey | None = None) -> None:
        self.private_key = private_key or ec.generate_private_key(ec.SECP256R1())
        self.key_id = key_id(self.public_key())

    def public_key(self) -> bytes:
        return self.private_key.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)

    def sign(self, message: bytes) -> bytes:
        return self.private_key.sign(message, ec.ECDSA(hashes.SHA256()))


# --- keys ------------------------------------------------------------------------------------------


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    if not isinstance(text, str) or not text.isascii():
        raise ValueError("not base64url")
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _p256(public_der: bytes) -> ec.EllipticCurvePublicKey:
    key = serialization.load_der_public_key(bytes(public_der))
    if not isinstance(key, ec.EllipticCurvePublicKey) or not isinstance(key.curve, ec.SECP256R1):
        raise ValueError("a card signing key is ECDSA P-256")
    return key


def kid_bytes(public_der: bytes) -> bytes:
    """The key id: the first 8 bytes of SHA-256 over the key's DER SubjectPublicKeyInfo."""
    return hashlib.sha256(bytes(public_der)).digest()[:KID_BYTES]


def key_id(public_der: bytes) -> str:
    """The key id as text (the JWK ``kid``): base64url of :func:`kid_bytes`, 11 characters."""
    return b64url(kid_bytes(public_der))


def jwk(public_der: bytes, *, retired: str | None = None) -> dict[str, Any]:
    """The public key as a JWK (RFC 7517/7518); ``retired`` (an ISO date) marks a key that no longer
    signs new credentials but still verifies the ones it signed."""
    numbers = _p256(public_der).public_numbers()
    out: dict[str, Any] = {
        "kty": "EC", "crv": "P-256", "x": b64url(numbers.x.to_bytes(32, "big")),
        "y": b64url(numbers.y.to_bytes(32, "big")), "kid": key_id(public_der), "alg": "ES256", "use": "sig",
        "key_ops": ["verify"],
    }
    if retired:
        out["cityid_retired"] = retired
    return out


def jwk_set(keys: list[tuple[bytes, str | None]]) -> dict[str, Any]:
    """A JWK Set of ``(public DER, retired ISO date or None)``."""
    return {"keys": [jwk(public, retired=retired) for public, retired in keys]}


KeySet = Mapping[str, ec.EllipticCurvePublicKey]  # kid (base64url) -> public key


def key_set(jwks: Mapping[str, Any]) -> dict[str, ec.EllipticCurvePublicKey]:
    """The verifying keys of a JWK Set (as published at ``/.well-known/cityid/keys``). A key whose
    ``kid`` is not derived from its own coordinates is refused (``ValueError``): a kid names one key."""
    out: dict[str, ec.EllipticCurvePublicKey] = {}
    for entry in jwks.get("keys", []):
        if entry.get("kty") != "EC" or entry.get("crv") != "P-256":
            continue
        x, y = b64url_decode(entry["x"]), b64url_decode(entry["y"])
        if len(x) != 32 or len(y) != 32:
            raise ValueError("a P-256 coordinate is 32 bytes")
        public = ec.EllipticCurvePublicNumbers(int.from_bytes(x, "big"), int.from_bytes(y, "big"),
                                               ec.SECP256R1()).public_key()
        der = public.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
        if entry.get("kid") != key_id(der):
            raise ValueError("a JWK's kid is not derived from its key")
        out[entry["kid"]] = public
    return out


def key_set_of(public_keys: list[bytes]) -> dict[str, ec.EllipticCurvePublicKey]:
    """A key set straight from public keys (DER)."""
    return {key_id(der): _p256(der) for der in public_keys}


def raw_signature(der_signature: bytes) -> bytes:
    """An ECDSA signature as COSE and JOSE carry it: r ‖ s, 32 bytes each."""
    r, s = decode_dss_signature(bytes(der_signature))
    return r.to_bytes(32, "big") + s.to_bytes(32, "big")


_ES256 = ec.ECDSA(hashes.SHA256())


def der_signature(signature: bytes) -> bytes:
    """The DER ``ECDSA-Sig-Value`` of a 64-byte r ‖ s signature, as ``encode_dss_signature`` writes it
    (each INTEGER minimal, a 0 byte before a high bit), built from the bytes without going through ints:
    it runs once per verification."""
    r, s = signature[:32].lstrip(b"\0"), signature[32:].lstrip(b"\0")
    if not r or r[0] > 0x7F:
        r = b"\0" + r
    if not s or s[0] > 0x7F:
        s = b"\0" + s
    return b"\x30%c\x02%c%b\x02%c%b" % (len(r) + len(s) + 4, len(r), r, len(s), s)


def verify_raw(public: ec.EllipticCurvePublicKey, signature: bytes, message: bytes) -> bool:
    """Check an r ‖ s ES256 signature."""
    if len(signature) != 64:
        return False
    try:
        public.verify(der_signature(signature), message, _ES256)
    except InvalidSignature:
        return False
    return True


# --- Base45 (RFC 9285) -------------------------------------------------------------------------------

B45 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"
_B45_VALUE = {c: i for i, c in enumerate(B45)}


def b45encode(data: bytes) -> str:
    """RFC 9285 encoding: each 2 bytes as 3 characters (least significant first), a last odd byte as 2."""
    out: list[str] = []
    for i in range(0, len(data) - 1, 2):
        n = data[i] * 256 + data[i + 1]
        n, c = divmod(n, 45)
        e, d = divmod(n, 45)
        out += (B45[c], B45[d], B45[e])
    if len(data) % 2:
        d, c = divmod(data[-1], 45)
        out += (B45[c], B45[d])
    return "".join(out)


_B45_TABLE = bytes(_B45_VALUE.get(chr(i), 255) for i in range(256))
# groups -> the masks of the low and of the high byte of every 24-bit lane (a few lengths)
_B45_MASKS: dict[int, tuple[int, int]] = {}


def b45decode(text: str) -> bytes:
    """RFC 9285 decoding; ``ValueError`` for a character outside the alphabet, a dangling single
    character or a group above 0xFFFF / 0xFF.

    All groups at once, with big-integer arithmetic: the digit values, read as one big-endian number,
    hold a group per 24-bit lane; masks pick out each digit of every lane, and the weighted sum of a
    group (below 2^17) never carries into the next lane. A verifier spends its time on the signature,
    not here."""
    values = text.encode("ascii").translate(_B45_TABLE)
    if 255 in values:
        raise ValueError("not Base45")
    groups, rest = divmod(len(values), 3)
    if rest == 1:
        raise ValueError("Base45 text ends with one character")
    masks = _B45_MASKS.get(groups)
    if masks is None:
        low = int.from_bytes(b"\x00\x00\xff" * groups, "big")
        masks = (low, low << 16)
        if len(_B45_MASKS) < 16:  # a verifier sees two lengths (full, minimal); hostile ones stay bounded
            _B45_MASKS[groups] = masks
    mask, high = masks
    lanes = int.from_bytes(values[:3 * groups], "big")
    total = ((lanes >> 16) & mask) + 45 * ((lanes >> 8) & mask) + 2025 * (lanes & mask)
    if total & high:
        raise ValueError("Base45 group too large")
    out = bytearray(total.to_bytes(3 * groups, "big"))
    del out[0::3]  # the high byte of each lane (0, checked above); the two bytes of each group remain
    if rest == 2:
        n = values[-2] + values[-1] * 45
        if n > 0xFF:
            raise ValueError("Base45 group too large")
        out.append(n)
    return bytes(out)


# --- encoding --------------------------------------------------------------------------------------


def _exp(expires_on: date) -> int:
    """A card is valid through its expiry date: ``exp`` is 00:00 UTC of the day after it."""
    return int(datetime(expires_on.year, expires_on.month, expires_on.day, tzinfo=UTC).timestamp()) + 86400


def _private_claims(claims: Claims) -> dict[int, Any]:
    if isinstance(claims, FullClaims):
        if len(claims.photo_hash) != 32:
            raise ValueError("the photo hash is a SHA-256 digest (32 bytes)")
        return {VERSION: CLAIMS_VERSION, KIND: FULL, STATUS_INDEX: claims.status_index,
                NUMBER: claims.card_number, NAME: claims.name, BIRTH_DATE: claims.birth_date.isoformat(),
                PHOTO_HASH: bytes(claims.photo_hash)}
    return {VERSION: CLAIMS_VERSION, KIND: MINIMAL, STATUS_INDEX: claims.status_index,
            RESIDENT: bool(claims.resident), OVER_18: bool(claims.over_18), OVER_21: bool(claims.over_21)}


def _bstr(data: bytes) -> bytes:
    """A CBOR byte string (major type 2), shortest length form."""
    n = len(data)
    if n < 24:
        head = bytes([0x40 | n])
    elif n < 0x100:
        head = bytes([0x58, n])
    elif n < 0x10000:
        head = b"\x59" + n.to_bytes(2, "big")
    else:
        head = b"\x5a" + n.to_bytes(4, "big")
    return head + data


def _sig_structure(protected: bytes, payload: bytes) -> bytes:
    """CBOR of ``["Signature1", protected, h'', payload]`` (RFC 9052 §4.4)."""
    return b"\x84\x6aSignature1" + _bstr(protected) + b"\x40" + _bstr(payload)


def _protected(kid: bytes) -> bytes:
    """The protected header ``{1: -7, 4: kid}`` in its one (deterministic) encoding."""
    return b"\xa2\x01\x26\x04" + _bstr(kid)


def encode(claims: Claims, signer: Signer) -> str:
    """The credential text (``CID1:`` + Base45 of the COSE_Sign1), signed by ``signer``."""
    if claims.status_index < 0:
        raise ValueError("a status index is not negative")
    public = signer.public_key()
    _p256(public)
    protected = _protected(kid_bytes(public))
    payload = cbor2.dumps(
        {CLAIM_ISS: claims.issuer, CLAIM_EXP: _exp(claims.expires_on), CLAIM_CITYID: _private_claims(claims)},
        canonical=True)
    signature = raw_signature(signer.sign(_sig_structure(protected, payload)))
    token = cbor2.dumps(cbor2.CBORTag(COSE_SIGN1_TAG, [protected, {}, payload, signature]))
    return PREFIX + b45encode(token)


# --- verification ----------------------------------------------------------------------------------

# The fixed bytes of the envelope (docs/credentials.md §2): after the optional tag 18, an array of four,
# the protected header as a 13-byte string holding {1: -7, 4: <8-byte kid>}, then an empty unprotected map.
_ENVELOPE_HEAD = b"\x84\x4d\xa2\x01\x26\x04\x48"
_SIGNATURE_HEAD = b"\x58\x40"  # the last element: a 64-byte string
# The Sig_structure ["Signature1", protected, h'', payload] up to the protected header's 13 bytes.
_SIG_STRUCTURE_HEAD = b"\x84\x6aSignature1\x4d"
_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
_KID_TEXT: dict[bytes, str] = {}  # kid -> its base64url, for kids found in a key set (a few)


def _read_bstr(raw: bytes, at: int) -> tuple[bytes, int]:
    """The CBOR byte string at ``raw[at]`` and the position after it (definite length only)."""
    head = raw[at]
    if head >> 5 != 2:
        raise ValueError("not a byte string")
    n, at = head & 0x1F, at + 1
    if n == 24:
        n, at = raw[at], at + 1
    elif n == 25:
        n, at = int.from_bytes(raw[at:at + 2], "big"), at + 2
    elif n > 25:
        raise ValueError("byte string too long or indefinite")
    if at + n > len(raw):
        raise ValueError("truncated")
    return raw[at:at + n], at + n


def _decode_token(text: str) -> tuple[bytes, bytes, bytes, bytes]:
    """The COSE_Sign1's kid, payload, signature (r ‖ s) and the Sig_structure its signature is over,
    or Refused(malformed).

    The envelope is read strictly, not by a general CBOR decoder, as ``docs/credentials.md`` writes
    it: tag 18 (optional), an array of four, the protected header exactly ``4d a2 01 26 04 48
    <8-byte kid>``, an empty unprotected map ``a0``, the payload, the signature ``58 40`` and its 64
    bytes, nothing after it."""
    if not isinstance(text, str):
        raise Refused("malformed", "not text")
    text = text.strip()
    if len(text) > MAX_TEXT:
        raise Refused("malformed", "too long")
    if not text.startswith(PREFIX):
        raise Refused("malformed", f"does not start with {PREFIX}")
    try:
        raw = b45decode(text[len(PREFIX):])
    except ValueError:
        raise Refused("malformed", "not Base45") from None
    at = 1 if raw[:1] == b"\xd2" else 0
    if raw[at:at + 1] != b"\x84":
        raise Refused("malformed", "not a COSE_Sign1")
    if raw[at:at + 7] != _ENVELOPE_HEAD or len(raw) < at + 16:
        raise Refused("malformed", "the protected header is not {1: -7 (ES256), 4: kid}")
    if raw[at + 15] != 0xA0:
        raise Refused("malformed", "the unprotected header is not empty")
    try:
        payload, end = _read_bstr(raw, at + 16)
    except (IndexError, ValueError):
        raise Refused("malformed", "not a COSE_Sign1") from None
    if len(raw) != end + 66 or raw[end:end + 2] != _SIGNATURE_HEAD:
        raise Refused("malformed", "the COSE_Sign1 does not end with a 64-byte signature")
    message = _SIG_STRUCTURE_HEAD + raw[at + 2:at + 15] + b"\x40" + _bstr(payload)
    return raw[at + 7:at + 15], payload, raw[end + 2:], message


def _text(value: Any, limit: int = 200) -> str:
    if type(value) is not str or len(value) > limit:
        raise ValueError("text claim")
    return value


def _bool(value: Any) -> bool:
    if type(value) is not bool:
        raise ValueError("boolean claim")
    return value


def _claims(payload: bytes) -> tuple[Claims, int]:
    """The card's claims and its ``exp``."""
    try:
        cwt = cbor2.loads(payload)
        if type(cwt) is not dict:
            raise ValueError("claims")
        own = cwt[CLAIM_CITYID]
        if type(own) is not dict:
            raise ValueError("claims")
        if own.get(VERSION) != CLAIMS_VERSION:
            raise Refused("malformed", f"claims version {own.get(VERSION)!r} is not supported")
        exp = cwt[CLAIM_EXP]
        if type(exp) is not int:  # not a bool either
            raise ValueError("exp")
        # the UTC date of exp - 1 day, by arithmetic (what datetime.fromtimestamp(..., UTC).date() gives)
        expires_on = date.fromordinal(_EPOCH_ORDINAL + (exp - 86400) // 86400)
        issuer = _text(cwt[CLAIM_ISS])
        index = own[STATUS_INDEX]
        if type(index) is not int or index < 0:
            raise ValueError("status index")
        kind = own.get(KIND)
        if kind == FULL:
            photo = own[PHOTO_HASH]
            if type(photo) is not bytes or len(photo) != 32:
                raise ValueError("photo hash")
            # positional, in the order of FullClaims' fields: issuer, expires_on, card_number, name,
            # birth_date, photo_hash, status_index
            return FullClaims(issuer, expires_on, _text(own[NUMBER], 32), _text(own[NAME]),
                              date.fromisoformat(_text(own[BIRTH_DATE], 10)), photo, index), exp
        if kind == MINIMAL:
            # issuer, expires_on, resident, over_18, over_21, status_index
            return MinimalClaims(issuer, expires_on, _bool(own[RESIDENT]), _bool(own[OVER_18]), _bool(own[OVER_21]),
                                 index), exp
        raise ValueError("kind")
    except Refused:
        raise
    except Exception:
        raise Refused("malformed", "the claims are not a card's") from None


def _now_seconds(now: datetime | float | None) -> float:
    if now is None:
        return time.time()
    if isinstance(now, datetime):
        return now.timestamp()
    return float(now)


def verify(text: str, key_set: KeySet, status: StatusLookup | None = None,
           now: datetime | float | None = None) -> Verified:
    """The verified claims of a credential, or :class:`Refused` naming the reason: malformed,
    unknown_key (its kid is not in ``key_set``), bad_signature, expired (``now`` is past its ``exp``),
    revoked or suspended (by ``status``, a verified status list; without one the status is
    "unchecked")."""
    try:
        kid, payload, signature, message = _decode_token(text)
        kid_text = _KID_TEXT.get(kid)
        if kid_text is None:
            kid_text = b64url(kid)
        public = key_set.get(kid_text)
        if public is None:
            raise Refused("unknown_key", f"no published key has id {kid_text}")
        if len(_KID_TEXT) < 64:  # a published key's kid: the cache holds no hostile ones
            _KID_TEXT[kid] = kid_text
        try:
            public.verify(der_signature(signature), message, _ES256)
        except InvalidSignature:
            raise Refused("bad_signature", "the signature does not match the claims and the key") from None
        claims, exp = _claims(payload)
        if _now_seconds(now) >= exp:
            raise Refused("expired", f"expired after {claims.expires_on.isoformat()}")
        if status is None:
            return Verified(claims, kid_text, "unchecked")
        try:
            value = status.status_at(claims.status_index)
        except (IndexError, ValueError):
            raise Refused("malformed", "its status-list index is outside the list") from None
        if value == STATUS_SUSPENDED:
            raise Refused("suspended", "the status list says suspended")
        if value != STATUS_ACTIVE:
            raise Refused("revoked", "the status list says revoked")
        return Verified(claims, kid_text, "active")
    except Refused:
        raise
    except Exception as exc:  # never crash on hostile input: whatever else goes wrong is "malformed"
        raise Refused("malformed", type(exc).__name__) from None


def expiry_of(expires_on: date) -> datetime:
    """When a card that expires on ``expires_on`` stops verifying (``exp``)."""
    return datetime(expires_on.year, expires_on.month, expires_on.day, tzinfo=UTC) + timedelta(days=1)
