"""The log's checkpoint-signing key, used through the vault's :class:`~cityid.vault.signers.Signer`.

The private key lives in the signing-key store (``CITYID_SIGNER``: a key file in the key directory
by default, the HSM with ``CITYID_KEY_PROVIDER=pkcs11``), never in the database. The signed-note
key name is the log's origin (``CITYID_LOG_ORIGIN``). ``cityid audit rotate-key`` makes a new key
that signs from then on; every public key that ever signed stays listed (``verifier_keys``), so old
checkpoints still verify. Installations older than rotation kept the key in
``KEYS_DIR/audit-log.key``; it is adopted as the first key on first use.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from cityid.audit import note
from cityid.vault import selectors as vault_selectors
from cityid.vault import services as vault
from cityid.vault.signers import LegacyKeyFile

PURPOSE = "audit-log"
LEGACY_KEY_FILE = "audit-log.key"


def origin() -> str:
    return settings.CITYID_LOG_ORIGIN


def _load_legacy(path: Path) -> Ed25519PrivateKey:
    try:
        name, private_key = note.parse_signer_key(path.read_text().strip())
    except note.NoteError as exc:
        raise ImproperlyConfigured(f"{path} is not a valid signer key: {exc}") from None
    if name != origin():
        raise ImproperlyConfigured(
            f"{path} signs for {name!r} but CITYID_LOG_ORIGIN is {origin()!r}: a log keeps its origin"
        )
    return private_key


def signer(create: bool = True) -> Any:
    """The :class:`~cityid.vault.signers.Signer` of new checkpoints (made on first use)."""
    legacy = LegacyKeyFile(Path(settings.KEYS_DIR) / LEGACY_KEY_FILE, _load_legacy)
    return vault.current_signer(purpose=PURPOSE, legacy=legacy, create=create)


def verifier_key(create: bool = True) -> str:
    """The signed-note verifier key (``name+hash+base64``) of the key that signs now."""
    return note.verifier_key(origin(), signer(create=create).public_key())


def verifier_keys() -> list[str]:
    """Verifier keys of every key that has signed this log, the current one first."""
    return [note.verifier_key(origin(), public) for public in vault_selectors.signing_public_keys(PURPOSE)]


def rotate() -> Any:
    """A new checkpoint-signing key from now on (the caller records the event)."""
    signer()  # an installation's first key (or its adopted key file) is recorded before it retires
    return vault.rotate_signer(purpose=PURPOSE)
