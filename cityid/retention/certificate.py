"""Destruction certificates (after NIST SP 800-88 Appendix G): canonical JSON, signed. Pure Python.

The signature block names its algorithm: ``"Ed25519"`` (RFC 8032, 64 bytes), or ``"ES256"`` for a
key held in a token without Ed25519: ECDSA over NIST P-256 with SHA-256, the value being the raw
64-byte ``r || s`` (each big-endian, 32 bytes) as JOSE's ES256 (RFC 7518 §3.4) defines it, not DER.
``public_key`` is the signer's PEM SubjectPublicKeyInfo. A verifier reads the signature as the
trusted key's type says (an Ed25519 key: Ed25519; a P-256 key: ES256); the label, outside the
signed body, tells a reader which, and is not itself certified.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Callable
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature, encode_dss_signature

from cityid.audit.merkle import leaf_hash, root_from_leaf_hashes
from cityid.core.errors import CityidError

METHOD = "cryptographic erase (destruction of the key-encryption keys in the key provider), then deletion"
ED25519 = "Ed25519"
ES256 = "ES256"
_P256_BYTES = 32

PublicKey = Ed25519PublicKey | ec.EllipticCurvePublicKey


class CertificateInvalid(CityidError):
    pass


def record_ids_root(record_ids: list[str]) -> str:
    """The RFC 6962 SHA-256 Merkle root over the sorted record identifiers, hex."""
    return root_from_leaf_hashes([leaf_hash(rid.encode()) for rid in sorted(record_ids)]).hex()


def canonical(body: dict[str, Any]) -> bytes:
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode()


def algorithm_of(public_key: PublicKey) -> str:
    if isinstance(public_key, Ed25519PublicKey):
        return ED25519
    if isinstance(public_key, ec.EllipticCurvePublicKey) and isinstance(public_key.curve, ec.SECP256R1):
        return ES256
    raise CertificateInvalid("bad_key_type")


def sign(body: dict[str, Any], private_key: Ed25519PrivateKey | Callable[[bytes], bytes], public_key_pem: str) -> str:
    """The signed certificate document. ``private_key`` is an Ed25519 key or a ``sign(message)``
    callable (a key held in an HSM) giving an Ed25519 signature or, for a P-256 public key, a DER
    ECDSA signature over SHA-256 (stored as ES256's raw ``r || s``)."""
    sign_message = private_key.sign if isinstance(private_key, Ed25519PrivateKey) else private_key
    algorithm = algorithm_of(serialization.load_pem_public_key(public_key_pem.encode()))  # type: ignore[arg-type]
    signature = sign_message(canonical(body))
    if algorithm == ES256:
        r, s = decode_dss_signature(signature)
        signature = r.to_bytes(_P256_BYTES, "big") + s.to_bytes(_P256_BYTES, "big")
    document = {
        "certificate": body,
        "signature": {
            "algorithm": algorithm,
            "value": base64.b64encode(signature).decode(),
            "public_key": public_key_pem,
            "signed_sha256": hashlib.sha256(canonical(body)).hexdigest(),
        },
    }
    return json.dumps(document, indent=2, sort_keys=True) + "\n"


def verify(text: str, public_key: PublicKey) -> dict[str, Any]:
    """Check a certificate's signature with the given key; return its body."""
    try:
        document = json.loads(text)
        body = document["certificate"]
        signature = base64.b64decode(document["signature"]["value"], validate=True)
    except (ValueError, KeyError, TypeError, RecursionError) as exc:  # RecursionError: nesting too deep
        raise CertificateInvalid("malformed", reason=str(exc)) from None
    algorithm_of(public_key)
    try:
        if isinstance(public_key, Ed25519PublicKey):
            public_key.verify(signature, canonical(body))
        else:
            if len(signature) != 2 * _P256_BYTES:
                raise InvalidSignature
            r, s = (int.from_bytes(signature[i : i + _P256_BYTES], "big") for i in (0, _P256_BYTES))
            public_key.verify(encode_dss_signature(r, s), canonical(body), ec.ECDSA(hashes.SHA256()))
    except InvalidSignature:
        raise CertificateInvalid("bad_signature") from None
    return body
