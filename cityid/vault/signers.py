"""Signing keys: where the keys that sign audit checkpoints and destruction certificates live.

A :class:`Signer` is one key pair seen from outside: its key id, algorithm and public key, and
``sign(message)``. The private half stays in a *signing-key store*, chosen by ``CITYID_SIGNER``
through the one backend loader: ``file`` (a PEM file per key in the key directory, mode 0600) or
``pkcs11`` (an Ed25519 key pair inside the PKCS#11 token of the key provider, never extractable),
or a dotted path to another class meeting :class:`SigningKeyStore`. By default the store follows
``CITYID_KEY_PROVIDER``: with an HSM, no signing key sits in a file.

Which keys exist, and which one signs now, is recorded in the database (``vault.SigningKey``: public
keys only), so that after a rotation every old checkpoint and certificate still verifies.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from cityid.core.files import write_file

ED25519 = "Ed25519"


class SigningKeyMissing(Exception):
    """The store holds no private key under this label (never created, or retired and destroyed)."""


class Signer(Protocol):
    key_id: str
    algorithm: str

    def public_key(self) -> bytes: ...
    def sign(self, message: bytes) -> bytes: ...


class SigningKeyStore(Protocol):
    """The swappable part behind signers: creates, uses and destroys private keys by label."""

    name: str

    @classmethod
    def from_settings(cls) -> SigningKeyStore: ...
    def create(self, label: str) -> bytes:
        """Make a key pair under ``label`` and return its raw public key; if the label is taken
        (a concurrent or interrupted creator), return that key's public key instead."""
        ...

    def sign(self, label: str, message: bytes) -> bytes: ...
    def has(self, label: str) -> bool: ...
    def destroy(self, label: str) -> None: ...


@dataclass(frozen=True)
class LegacyKeyFile:
    """A private key file from before signing keys were recorded: ``load(path)`` reads it (or raises)."""

    path: Path
    load: Callable[[Path], Ed25519PrivateKey]

    def read(self) -> Ed25519PrivateKey | None:
        return self.load(self.path) if self.path.exists() else None


class StoredSigner:
    """A :class:`Signer` over one labelled key of a store."""

    algorithm = ED25519

    def __init__(self, store: SigningKeyStore, key_id: str, public: bytes) -> None:
        self._store, self.key_id, self._public = store, key_id, bytes(public)

    def public_key(self) -> bytes:
        return self._public

    def sign(self, message: bytes) -> bytes:
        return self._store.sign(self.key_id, message)


class FileKeyStore:
    """Ed25519 private keys as PKCS#8 PEM files under ``KEYS_DIR/signing/`` (0600, written once)."""

    name = "file"

    def __init__(self, directory: Path) -> None:
        self.directory = Path(directory)

    @classmethod
    def from_settings(cls) -> FileKeyStore:
        from django.conf import settings

        return cls(Path(settings.KEYS_DIR) / "signing")

    def _path(self, label: str) -> Path:
        if not label or "/" in label or label.startswith("."):
            raise ValueError(f"bad signing key label {label!r}")
        return self.directory / f"{label}.pem"

    def adopt(self, label: str, private_key: Ed25519PrivateKey) -> bytes:
        """Store an existing private key under ``label`` (keys made before rotation existed)."""
        pem = private_key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        path = self._path(label)
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        write_file(path, pem, replace=False)  # a concurrent creator's key wins; a key is never overwritten
        return self._load(label).public_key().public_bytes_raw()

    def create(self, label: str) -> bytes:
        return self.adopt(label, Ed25519PrivateKey.generate())

    def _load(self, label: str) -> Ed25519PrivateKey:
        try:
            key = serialization.load_pem_private_key(self._path(label).read_bytes(), password=None)
        except FileNotFoundError:
            raise SigningKeyMissing(label) from None
        if not isinstance(key, Ed25519PrivateKey):
            raise SigningKeyMissing(f"{label}: not an Ed25519 key")
        return key

    def sign(self, label: str, message: bytes) -> bytes:
        return self._load(label).sign(message)

    def has(self, label: str) -> bool:
        return self._path(label).exists()

    def destroy(self, label: str) -> None:
        self._path(label).unlink(missing_ok=True)


class Pkcs11KeyStore:
    """Ed25519 key pairs generated inside the key provider's PKCS#11 token (CKM_EDDSA).

    The private key is sensitive and never extractable; signing happens in the token. It shares the
    provider's logged-in session (a token allows one login per process)."""

    name = "pkcs11"
    PREFIX = "sign:"

    def __init__(self, session: Any, lock: Any) -> None:
        import pkcs11

        self._pkcs11, self._session, self._lock = pkcs11, session, lock

    @classmethod
    def from_settings(cls) -> Pkcs11KeyStore:
        from cityid.vault.providers import Pkcs11Provider, get_provider

        provider = get_provider()
        if not isinstance(provider, Pkcs11Provider):
            from django.core.exceptions import ImproperlyConfigured

            raise ImproperlyConfigured("CITYID_SIGNER=pkcs11 needs CITYID_KEY_PROVIDER=pkcs11 (the token to sign in)")
        return cls(provider._session, provider._lock)

    def _key(self, label: str, object_class: Any) -> Any:
        try:
            return self._session.get_key(label=self.PREFIX + label, object_class=object_class)
        except (self._pkcs11.NoSuchKey, self._pkcs11.MultipleObjectsReturned):
            raise SigningKeyMissing(label) from None

    def create(self, label: str) -> bytes:
        from pkcs11 import Attribute, KeyType, Mechanism
        from pkcs11.util.ec import encode_named_curve_parameters

        with self._lock:
            try:
                existing = self._key(label, self._pkcs11.ObjectClass.PUBLIC_KEY)
            except SigningKeyMissing:
                pass
            else:
                return _raw_ed25519_point(existing[Attribute.EC_POINT])
            try:
                parameters = self._session.create_domain_parameters(
                    KeyType.EC_EDWARDS, {Attribute.EC_PARAMS: encode_named_curve_parameters("1.3.101.112")},
                    local=True,
                )
                public, _ = parameters.generate_keypair(
                    store=True, label=self.PREFIX + label, mechanism=Mechanism.EC_EDWARDS_KEY_PAIR_GEN,
                    private_template={Attribute.SENSITIVE: True, Attribute.EXTRACTABLE: False},
                )
            except self._pkcs11.exceptions.MechanismInvalid:
                raise SigningKeyMissing("this token cannot make Ed25519 keys (CKM_EC_EDWARDS_KEY_PAIR_GEN)") from None
            return _raw_ed25519_point(public[Attribute.EC_POINT])

    def sign(self, label: str, message: bytes) -> bytes:
        from pkcs11 import Mechanism

        with self._lock:
            private = self._key(label, self._pkcs11.ObjectClass.PRIVATE_KEY)
            return bytes(private.sign(message, mechanism=Mechanism.EDDSA))

    def has(self, label: str) -> bool:
        with self._lock:
            try:
                self._key(label, self._pkcs11.ObjectClass.PRIVATE_KEY)
            except SigningKeyMissing:
                return False
            return True

    def destroy(self, label: str) -> None:
        with self._lock:
            for object_class in (self._pkcs11.ObjectClass.PRIVATE_KEY, self._pkcs11.ObjectClass.PUBLIC_KEY):
                try:
                    self._key(label, object_class).destroy()
                except SigningKeyMissing:
                    continue


def _raw_ed25519_point(point: bytes) -> bytes:
    """An Ed25519 public key from CKA_EC_POINT: a DER OCTET STRING of 32 bytes, or the bare 32 bytes."""
    point = bytes(point)
    if len(point) == 34 and point[:2] == b"\x04\x20":
        return point[2:]
    if len(point) == 32:
        return point
    raise ValueError("unexpected Ed25519 public key encoding from the token")


STORES = {"file": "cityid.vault.signers.FileKeyStore", "pkcs11": "cityid.vault.signers.Pkcs11KeyStore"}

_stores: dict[tuple[type, str], SigningKeyStore] = {}
_stores_lock = threading.Lock()


def get_store() -> SigningKeyStore:
    """The configured signing-key store (``CITYID_SIGNER``), one per process and configuration."""
    from django.conf import settings

    from cityid.core.backends import backend_class

    cls = backend_class("CITYID_SIGNER")
    where = (str(settings.CITYID_PKCS11_TOKEN) if cls.name == "pkcs11" else str(settings.KEYS_DIR))
    with _stores_lock:
        if (cls, where) not in _stores:
            _stores[(cls, where)] = cls.from_settings()
        return _stores[(cls, where)]
