"""The log's Ed25519 checkpoint-signing key: a file in the key directory, never in the database.

``KEYS_DIR/audit-log.key`` holds the signed-note signer key (``PRIVATE+KEY+<origin>+...``,
mode 0600). It is created on first use; its name is the log's origin (``CITYID_LOG_ORIGIN``).
Losing it means the next checkpoints are signed by a new key that holders of the old
verifier key will not trust: back it up with the other keys.
"""

from __future__ import annotations

from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from cityid.audit import note
from cityid.vault.keyfiles import create_secret_file

KEY_FILE = "audit-log.key"


def origin() -> str:
    return settings.CITYID_LOG_ORIGIN


def key_path() -> Path:
    return Path(settings.KEYS_DIR) / KEY_FILE


def _create(path: Path, name: str) -> None:
    """Write a new signer key; a concurrent creator's key wins if it got there first."""
    skey, _ = note.generate_signer_key(name)
    create_secret_file(path, (skey + "\n").encode())


def signer(create: bool = True) -> tuple[str, Ed25519PrivateKey]:
    """``(key name, private key)``, creating the key on first use."""
    path = key_path()
    if not path.exists():
        if not create:
            raise FileNotFoundError(f"no audit log signing key at {path}")
        _create(path, origin())
    try:
        name, private_key = note.parse_signer_key(path.read_text().strip())
    except note.NoteError as exc:
        raise ImproperlyConfigured(f"{path} is not a valid signer key: {exc}") from None
    if name != origin():
        raise ImproperlyConfigured(
            f"{path} signs for {name!r} but CITYID_LOG_ORIGIN is {origin()!r}: a log keeps its origin"
        )
    return name, private_key


def verifier_key(create: bool = True) -> str:
    """The signed-note verifier key (``name+hash+base64``) that checks this log's checkpoints."""
    name, private_key = signer(create=create)
    return note.verifier_key(name, private_key.public_key())
