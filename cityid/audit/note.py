"""C2SP signed-note (Ed25519, or ECDSA P-256) and tlog-checkpoint, for the audit transparency log.

Pure Python on top of ``cryptography`` (no Django here). Wire formats follow
https://c2sp.org/signed-note and https://c2sp.org/tlog-checkpoint and are
byte-compatible with ``golang.org/x/mod/sumdb/note``:

* a note is ``text`` (ending in a newline), a blank line, then one or more lines
  ``"\u2014 <key name> base64(key ID || signature)\\n"``;
* the key ID is ``SHA-256(name || 0x0A || 0x01 || 32-byte public key)[:4]``;
* a verifier key is ``"<name>+<8 hex digits of key ID>+base64(0x01 || public key)"``,
  a signer key ``"PRIVATE+KEY+<name>+<key ID hex>+base64(0x01 || 32-byte seed)"``;
* a checkpoint body is ``"<origin>\\n<size>\\n<base64(root)>\\n"`` plus optional
  extension lines.

Keys held in a token without Ed25519 sign with ECDSA over NIST P-256 and SHA-256, signature type
``0x02`` of the signed-note spec, as ``github.com/transparency-dev/witness`` (and Sigstore's Rekor)
implement it: the verifier key is ``"<name>+<key ID hex>+base64(0x02 || DER SubjectPublicKeyInfo)"``,
the key ID is ``SHA-256(DER SubjectPublicKeyInfo)[:4]`` (the name is not hashed), and the signature
is ASN.1 DER (``Ecdsa-Sig-Value``, variable length) over SHA-256 of the note text. Only P-256 is
accepted. Signer keys (``PRIVATE+KEY+...``) stay Ed25519: an ECDSA key lives in a token.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from cityid.core.errors import CityidError

__all__ = [
    "ALG_ECDSA",
    "ALG_ED25519",
    "Checkpoint",
    "NoteError",
    "Verifier",
    "checkpoint_body",
    "generate_signer_key",
    "key_id",
    "open_checkpoint",
    "open_note",
    "parse_checkpoint",
    "parse_signer_key",
    "parse_verifier_key",
    "sign_note",
    "signer_key",
    "verifier_key",
]

#: signed-note signature type byte for Ed25519.
ALG_ED25519 = 0x01
#: signed-note signature type byte for ECDSA (here P-256 with SHA-256, DER signatures).
ALG_ECDSA = 0x02

PublicKey = Ed25519PublicKey | ec.EllipticCurvePublicKey

#: Most signature lines accepted in one note (the spec requires at least 16; Go allows 100).
MAX_SIGNATURES = 100

_SIG_PREFIX = "\u2014 "  # em dash, space
_HASH_SIZE = 32


class NoteError(CityidError, ValueError):
    """A note, key or checkpoint is malformed, or no trusted signature verifies."""


# --------------------------------------------------------------------------- helpers


def _b64decode(text: str) -> bytes:
    """Strict standard base64: valid alphabet, padding, and canonical trailing bits."""
    try:
        raw = base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError, ValueError) as exc:
        raise NoteError("bad_base64") from exc
    if base64.b64encode(raw).decode("ascii") != text:
        raise NoteError("noncanonical_base64")
    return raw


def _b64encode(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def _check_name(name: object) -> str:
    """Key names: non-empty, valid text, no Unicode spaces, no '+'."""
    if (
        not isinstance(name, str)
        or not name
        or "+" in name
        or any(ch.isspace() for ch in name)
        or not _valid_text(name)
    ):
        raise NoteError("bad_key_name", name=name)
    return name


def _valid_text(text: str) -> bool:
    """UTF-8 encodable, and no ASCII control characters other than newline."""
    if any(ord(ch) < 0x20 and ch != "\n" for ch in text):
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # lone surrogates
        return False
    return True


def _typed_public(public_key: PublicKey | bytes) -> tuple[int, bytes, PublicKey]:
    """(signature type, encoded key, key): an Ed25519 key (object or 32 raw bytes) or a P-256 key
    (object or DER SubjectPublicKeyInfo)."""
    if isinstance(public_key, (bytes, bytearray)):
        raw = bytes(public_key)
        if len(raw) == 32:
            return ALG_ED25519, raw, Ed25519PublicKey.from_public_bytes(raw)
        try:
            loaded = serialization.load_der_public_key(raw)
        except (ValueError, UnsupportedAlgorithm) as exc:
            raise NoteError("bad_public_key") from exc
        if not isinstance(loaded, ec.EllipticCurvePublicKey):
            raise NoteError("bad_public_key")
        public_key = loaded
    if isinstance(public_key, Ed25519PublicKey):
        return ALG_ED25519, public_key.public_bytes_raw(), public_key
    if isinstance(public_key, ec.EllipticCurvePublicKey) and isinstance(public_key.curve, ec.SECP256R1):
        der = public_key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
        return ALG_ECDSA, der, public_key
    raise NoteError("bad_public_key")


def _private_key(private_key: Ed25519PrivateKey | bytes) -> Ed25519PrivateKey:
    if isinstance(private_key, Ed25519PrivateKey):
        return private_key
    if isinstance(private_key, (bytes, bytearray)) and len(private_key) == 32:
        return Ed25519PrivateKey.from_private_bytes(bytes(private_key))
    raise NoteError("bad_private_key")


# --------------------------------------------------------------------------- keys


def key_id(name: str, public_key: PublicKey | bytes) -> bytes:
    """The 4-byte key ID: ``SHA-256(name || 0x0A || 0x01 || public key)[:4]`` for Ed25519,
    ``SHA-256(DER public key)[:4]`` for ECDSA."""
    _check_name(name)
    alg, raw, _ = _typed_public(public_key)
    if alg == ALG_ECDSA:
        return hashlib.sha256(raw).digest()[:4]
    return hashlib.sha256(name.encode("utf-8") + b"\n" + bytes([ALG_ED25519]) + raw).digest()[:4]


def verifier_key(name: str, public_key: PublicKey | bytes) -> str:
    """``"name+<key ID hex>+base64(type || pubkey)"``, the form witnesses and Go tools take."""
    alg, raw, _ = _typed_public(public_key)
    return f"{name}+{key_id(name, raw).hex()}+{_b64encode(bytes([alg]) + raw)}"


def signer_key(name: str, private_key: Ed25519PrivateKey | bytes) -> str:
    """``"PRIVATE+KEY+name+<key ID hex>+base64(0x01 || seed)"`` (Go ``note.NewSigner`` format).

    This is secret material: keep it out of logs, settings dumps and the database.
    """
    sk = _private_key(private_key)
    seed = sk.private_bytes_raw()
    return (
        f"PRIVATE+KEY+{name}+{key_id(name, sk.public_key()).hex()}+{_b64encode(bytes([ALG_ED25519]) + seed)}"
    )


def generate_signer_key(name: str) -> tuple[str, str]:
    """A fresh Ed25519 key pair as ``(signer_key, verifier_key)`` strings."""
    _check_name(name)
    sk = Ed25519PrivateKey.generate()
    return signer_key(name, sk), verifier_key(name, sk.public_key())


_HEX8 = re.compile(r"[0-9a-f]{8}", re.ASCII)


def _split_key(text: str, types: tuple[int, ...] = (ALG_ED25519,)) -> tuple[str, bytes, int, bytes]:
    """``name+hex+base64`` -> (name, key id, type byte, key bytes after the type byte)."""
    parts = text.split("+", 2)
    if len(parts) != 3 or not _HEX8.fullmatch(parts[1]):
        raise NoteError("malformed_key")
    name = _check_name(parts[0])
    material = _b64decode(parts[2])
    if not material or material[0] not in types or (material[0] == ALG_ED25519 and len(material) != 33):
        raise NoteError("unsupported_key")
    return name, bytes.fromhex(parts[1]), material[0], material[1:]


@dataclass(frozen=True)
class Verifier:
    """A parsed verifier key."""

    name: str
    key_id: bytes
    public_key: PublicKey

    def verify(self, message: bytes, signature: bytes) -> bool:
        try:
            if isinstance(self.public_key, Ed25519PublicKey):
                self.public_key.verify(signature, message)
            else:
                self.public_key.verify(signature, message, ec.ECDSA(hashes.SHA256()))
        except InvalidSignature:
            return False
        return True

    def __str__(self) -> str:
        return verifier_key(self.name, self.public_key)


def parse_verifier_key(vkey: str) -> Verifier:
    """Parse ``"name+hex8+base64(type||pubkey)"`` (Ed25519 or ECDSA P-256), checking the key ID matches."""
    if not isinstance(vkey, str):
        raise NoteError("verifier_not_text")
    name, kid, alg, raw = _split_key(vkey, (ALG_ED25519, ALG_ECDSA))
    try:
        typed, _, public_key = _typed_public(Ed25519PublicKey.from_public_bytes(raw) if alg == ALG_ED25519 else raw)
    except ValueError as exc:
        raise NoteError("bad_verifier_key") from exc
    if typed != alg:
        raise NoteError("key_type_mismatch")
    if key_id(name, public_key) != kid:
        raise NoteError("verifier_id_mismatch")
    return Verifier(name, kid, public_key)


def parse_signer_key(skey: str) -> tuple[str, Ed25519PrivateKey]:
    """Parse a ``PRIVATE+KEY+...`` signer key into ``(name, private key)``."""
    prefix = "PRIVATE+KEY+"
    if not isinstance(skey, str) or not skey.startswith(prefix):
        raise NoteError("malformed_signer_key")
    name, kid, _, seed = _split_key(skey[len(prefix) :])
    sk = Ed25519PrivateKey.from_private_bytes(seed)
    if key_id(name, sk.public_key()) != kid:
        raise NoteError("signer_id_mismatch")
    return name, sk


# --------------------------------------------------------------------------- notes


def _check_body(body: object) -> str:
    if not isinstance(body, str) or not body.endswith("\n") or not _valid_text(body):
        raise NoteError("bad_text")
    return body


def sign_note(body: str, name: str, private_key: Ed25519PrivateKey | bytes) -> str:
    """Sign ``body`` (text ending in a newline) as key ``name``; return the signed note.

    ``private_key`` is an ``Ed25519PrivateKey`` or its 32-byte seed. Ed25519 is
    deterministic, so the same inputs always give the same note.
    """
    sk = _private_key(private_key)
    return sign_note_with(body, name, sk.public_key(), sk.sign)


def sign_note_with(body: str, name: str, public_key: PublicKey | bytes, sign: Callable[[bytes], bytes]) -> str:
    """:func:`sign_note` with the signature made by ``sign(message)`` (a key held in an HSM, say):
    64 bytes for an Ed25519 key, ASN.1 DER for an ECDSA P-256 key."""
    _check_body(body)
    kid = key_id(name, public_key)
    signature = sign(body.encode("utf-8"))
    alg, _, _ = _typed_public(public_key)
    if alg == ALG_ED25519 and len(signature) != 64:
        raise NoteError("bad_signature_length")
    if alg == ALG_ECDSA and not 8 <= len(signature) <= 72:
        raise NoteError("bad_ecdsa_signature_length")
    return f"{body}\n{_SIG_PREFIX}{name} {_b64encode(kid + signature)}\n"


def _parse_note(text: str) -> tuple[str, list[tuple[str, bytes, bytes]]]:
    """Split a signed note into its text and ``(name, key id, signature)`` triples."""
    if not isinstance(text, str) or not _valid_text(text):
        raise NoteError("malformed_note")
    split = text.rfind("\n\n")
    if split < 0:
        raise NoteError("no_signature_block")
    body, block = text[: split + 1], text[split + 2 :]
    if not block.endswith("\n"):
        raise NoteError("signature_block_newline")
    lines = block[:-1].split("\n")
    if len(lines) > MAX_SIGNATURES:
        raise NoteError("too_many_signatures")
    signatures = []
    for line in lines:
        if not line.startswith(_SIG_PREFIX):
            raise NoteError("bad_signature_line")
        name, sep, b64 = line[len(_SIG_PREFIX) :].partition(" ")
        if not sep or not b64:
            raise NoteError("bad_signature_line")
        _check_name(name)
        raw = _b64decode(b64)
        if len(raw) < 5:
            raise NoteError("signature_too_short")
        signatures.append((name, raw[:4], raw[4:]))
    return body, signatures


def open_note(text: str, verifier_keys: str | Verifier | Iterable[str | Verifier]) -> str:
    """Verify a signed note against trusted key(s) and return its text.

    Signatures by unknown keys are ignored (that is how cosignatures and key
    rotation work). Raises :class:`NoteError` if the note is malformed, if a
    signature by a trusted key fails, or if no trusted key signed it.
    """
    if isinstance(verifier_keys, (str, Verifier)):
        verifier_keys = [verifier_keys]
    trusted: dict[tuple[str, bytes], Verifier] = {}
    for vk in verifier_keys:
        verifier = vk if isinstance(vk, Verifier) else parse_verifier_key(vk)
        known = trusted.setdefault((verifier.name, verifier.key_id), verifier)
        if known.public_key != verifier.public_key:
            raise NoteError("ambiguous_key", key=f"{verifier.name}+{verifier.key_id.hex()}")
    body, signatures = _parse_note(text)
    message = body.encode("utf-8")
    verified = False
    for name, kid, signature in signatures:
        signer = trusted.get((name, kid))
        if signer is None:
            continue
        if not signer.verify(message, signature):
            raise NoteError("invalid_signature", key=f"{name}+{kid.hex()}")
        verified = True
    if not verified:
        raise NoteError("no_verifiable_signature")
    return body


# --------------------------------------------------------------------------- checkpoints


@dataclass(frozen=True)
class Checkpoint:
    """A C2SP tlog-checkpoint body."""

    origin: str
    size: int
    root: bytes
    extensions: tuple[str, ...] = ()

    def body(self) -> str:
        return checkpoint_body(self.origin, self.size, self.root, self.extensions)


_SIZE_RE = re.compile(r"0|[1-9][0-9]{0,18}", re.ASCII)


def checkpoint_body(origin: str, size: int, root: bytes, extensions: Iterable[str] = ()) -> str:
    """``"origin\\nsize\\nbase64(root)\\n"`` (plus any extension lines, not recommended)."""
    if not isinstance(origin, str) or not origin or "\n" in origin or not _valid_text(origin):
        raise NoteError("bad_origin")
    if not isinstance(size, int) or isinstance(size, bool) or not 0 <= size < 1 << 63:
        raise NoteError("bad_size")
    if not isinstance(root, bytes) or len(root) != _HASH_SIZE:
        raise NoteError("bad_root")
    lines = [origin, str(size), _b64encode(root)]
    for ext in extensions:
        if not isinstance(ext, str) or not ext or "\n" in ext or not _valid_text(ext):
            raise NoteError("bad_extension")
        lines.append(ext)
    return "\n".join(lines) + "\n"


def parse_checkpoint(body: str) -> Checkpoint:
    """Parse a checkpoint body (the text of an opened note) strictly."""
    if not isinstance(body, str) or not body.endswith("\n") or not _valid_text(body):
        raise NoteError("malformed_checkpoint")
    lines = body[:-1].split("\n")
    if len(lines) < 3 or not all(lines):
        raise NoteError("checkpoint_lines")
    origin, size_text, root_text, *extensions = lines
    if not _SIZE_RE.fullmatch(size_text) or int(size_text) >= 1 << 63:
        raise NoteError("malformed_size")
    root = _b64decode(root_text)
    if len(root) != _HASH_SIZE:
        raise NoteError("malformed_root")
    return Checkpoint(origin, int(size_text), root, tuple(extensions))


def open_checkpoint(
    text: str, verifier_keys: str | Verifier | Iterable[str | Verifier], origin: str | None = None
) -> Checkpoint:
    """:func:`open_note` then :func:`parse_checkpoint`, optionally pinning the origin."""
    checkpoint = parse_checkpoint(open_note(text, verifier_keys))
    if origin is not None and checkpoint.origin != origin:
        raise NoteError("wrong_origin", found=checkpoint.origin, origin=origin)
    return checkpoint
