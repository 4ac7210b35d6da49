"""Destruction certificates (after NIST SP 800-88 Appendix G): canonical JSON, Ed25519-signed. Pure Python."""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Callable
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from cityid.audit.merkle import leaf_hash, root_from_leaf_hashes
from cityid.core.errors import CityidError

METHOD = "cryptographic erase (destruction of the key-encryption keys in the key provider), then deletion"


class CertificateInvalid(CityidError):
    pass


def record_ids_root(record_ids: list[str]) -> str:
    """The RFC 6962 SHA-256 Merkle root over the sorted record identifiers, hex."""
    return root_from_leaf_hashes([leaf_hash(rid.encode()) for rid in sorted(record_ids)]).hex()


def canonical(body: dict[str, Any]) -> bytes:
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode()


def sign(body: dict[str, Any], private_key: Ed25519PrivateKey | Callable[[bytes], bytes], public_key_pem: str) -> str:
    """The signed certificate document. ``private_key`` is a key or a ``sign(message)`` callable
    (a key held in an HSM)."""
    sign_message = private_key.sign if isinstance(private_key, Ed25519PrivateKey) else private_key
    signature = sign_message(canonical(body))
    document = {
        "certificate": body,
        "signature": {
            "algorithm": "Ed25519",
            "value": base64.b64encode(signature).decode(),
            "public_key": public_key_pem,
            "signed_sha256": hashlib.sha256(canonical(body)).hexdigest(),
        },
    }
    return json.dumps(document, indent=2, sort_keys=True) + "\n"


def verify(text: str, public_key: Ed25519PublicKey) -> dict[str, Any]:
    """Check a certificate's signature with the given key; return its body."""
    try:
        document = json.loads(text)
        body = document["certificate"]
        signature = base64.b64decode(document["signature"]["value"], validate=True)
    except (ValueError, KeyError, TypeError) as exc:
        raise CertificateInvalid("malformed", reason=str(exc)) from None
    try:
        public_key.verify(signature, canonical(body))
    except InvalidSignature:
        raise CertificateInvalid("bad_signature") from None
    return body
