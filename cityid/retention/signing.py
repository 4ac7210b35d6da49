"""The key that signs destruction certificates, used through the vault's :class:`~cityid.vault.signers.Signer`.

The private key lives in the signing-key store (a key file by default, the HSM with
``CITYID_KEY_PROVIDER=pkcs11``), never in the database. ``cityid certificate rotate-key`` makes a new
key; certificates signed by a retired key still verify against its recorded public key.
Installations older than rotation kept the key in ``KEYS_DIR/certificate-signing.pem``; it is adopted
as the first key on first use.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from cityid.vault import selectors as vault_selectors
from cityid.vault import services as vault
from cityid.vault import signers
from cityid.vault.signers import LegacyKeyFile

PURPOSE = "certificate"
LEGACY_KEY_FILE = "certificate-signing.pem"


def _load_legacy(path: Path) -> Ed25519PrivateKey:
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ImproperlyConfigured(f"{path} is not an Ed25519 private key")
    return key


def signer() -> Any:
    """The :class:`~cityid.vault.signers.Signer` of new certificates (made on first use)."""
    legacy = LegacyKeyFile(Path(settings.KEYS_DIR) / LEGACY_KEY_FILE, _load_legacy)
    return vault.current_signer(purpose=PURPOSE, legacy=legacy)


def pem(public_key: bytes) -> str:
    """The PEM form of a recorded signing public key (Ed25519 or ECDSA P-256)."""
    return (
        signers.load_public_key(public_key)
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


def public_key_pem() -> str:
    """The PEM public key of the key that signs now."""
    return pem(signer().public_key())


def known_public_key_pems() -> list[str]:
    """Every public key that has signed certificates here, the current one first."""
    signer()
    return [pem(public) for public in vault_selectors.signing_public_keys(PURPOSE)]


def rotate() -> Any:
    signer()
    return vault.rotate_signer(purpose=PURPOSE)


def load_public_key(text: str) -> Ed25519PublicKey | ec.EllipticCurvePublicKey:
    key = serialization.load_pem_public_key(text.encode())
    if isinstance(key, ec.EllipticCurvePublicKey) and isinstance(key.curve, ec.SECP256R1):
        return key
    if not isinstance(key, Ed25519PublicKey):
        raise ValueError("not an Ed25519 or ECDSA P-256 public key")
    return key
