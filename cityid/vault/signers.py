"""Signing keys: where the keys that sign audit checkpoints and destruction certificates live.

A :class:`Signer` is one key pair seen from outside: its key id, algorithm and public key, and
``sign(message)``. The private half stays in a *signing-key store*, chosen by ``CITYID_SIGNER``
through the one backend loader: ``file`` (a PEM file per key in the key directory, mode 0600) or
``pkcs11`` (a key pair inside the PKCS#11 token of the key provider, never extractable),
or a dotted path to another class meeting :class:`SigningKeyStore`. By default the store follows
``CITYID_KEY_PROVIDER``: with an HSM, no signing key sits in a file.

New keys are Ed25519, or ECDSA P-256 (SHA-256) where the token has no Ed25519 mechanisms
(``CKM_EC_EDWARDS_KEY_PAIR_GEN`` and ``CKM_EDDSA``); ``CITYID_SIGNER_ALGORITHM`` forces one
(``ed25519``, ``ecdsa-p256``; ``auto`` by default). A public key tells its algorithm by its encoding:
an Ed25519 key is its 32 raw bytes, an ECDSA key its DER SubjectPublicKeyInfo; an ECDSA signature is
ASN.1 DER (``Ecdsa-Sig-Value``), whichever store made it. Existing keys keep signing with their own
algorithm whatever the setting says now.

Which keys exist, and which one signs now, is recorded in the database (``vault.SigningKey``: public
keys only), so that after a rotation every old checkpoint and certificate still verifies.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from cityid.core.errors import CityidError
from cityid.core.files import write_file

ED25519 = "Ed25519"
ECDSA_P256 = "ECDSA-P256"  # ECDSA over NIST P-256 with SHA-256 (JOSE's ES256), DER signatures
ALGORITHMS = {"ed25519": ED25519, "ecdsa-p256": ECDSA_P256}

PrivateKey = Ed25519PrivateKey | ec.EllipticCurvePrivateKey
PublicKey = Ed25519PublicKey | ec.EllipticCurvePublicKey


def requested_algorithm() -> str | None:
    """The algorithm ``CITYID_SIGNER_ALGORITHM`` forces for new keys, or None (``auto``)."""
    from django.conf import settings
    from django.core.exceptions import ImproperlyConfigured

    chosen = (getattr(settings, "CITYID_SIGNER_ALGORITHM", "auto") or "auto").lower()
    if chosen == "auto":
        return None
    if chosen not in ALGORITHMS:
        raise ImproperlyConfigured(
            f"CITYID_SIGNER_ALGORITHM={chosen!r}: use auto, {', '.join(ALGORITHMS)}")
    return ALGORITHMS[chosen]


def load_public_key(public: bytes) -> PublicKey:
    """The public key recorded for a signing key: 32 raw bytes (Ed25519) or a DER
    SubjectPublicKeyInfo of a P-256 key (ECDSA). ``ValueError`` for anything else."""
    public = bytes(public)
    if len(public) == 32:
        return Ed25519PublicKey.from_public_bytes(public)
    key = serialization.load_der_public_key(public)
    if not isinstance(key, ec.EllipticCurvePublicKey) or not isinstance(key.curve, ec.SECP256R1):
        raise ValueError("a signing public key is Ed25519 or ECDSA P-256")
    return key


def encode_public_key(key: PublicKey) -> bytes:
    """The recorded form of a public key (see :func:`load_public_key`)."""
    if isinstance(key, Ed25519PublicKey):
        return key.public_bytes_raw()
    return key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


def algorithm_of(public: bytes) -> str:
    """The algorithm of a recorded public key."""
    return ED25519 if isinstance(load_public_key(public), Ed25519PublicKey) else ECDSA_P256


def verify(public: bytes, signature: bytes, message: bytes) -> None:
    """Check a signature made by :meth:`Signer.sign`; ``cryptography``'s ``InvalidSignature`` if it fails."""
    key = load_public_key(public)
    if isinstance(key, Ed25519PublicKey):
        key.verify(signature, message)
    else:
        key.verify(signature, message, ec.ECDSA(hashes.SHA256()))


class SigningKeyMissing(CityidError):
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
    def create(self, label: str, algorithm: str | None = None) -> bytes:
        """Make a key pair under ``label`` and return its raw public key; if the label is taken
        (a concurrent or interrupted creator), return that key's public key instead. ``algorithm``
        (``ED25519`` or ``ECDSA_P256``) overrides the configured choice: card credentials are ES256."""
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

    def __init__(self, store: SigningKeyStore, key_id: str, public: bytes, algorithm: str = ED25519) -> None:
        self._store, self.key_id, self._public, self.algorithm = store, key_id, bytes(public), algorithm

    def public_key(self) -> bytes:
        return self._public

    def sign(self, message: bytes) -> bytes:
        return self._store.sign(self.key_id, message)


class FileKeyStore:
    """Private keys (Ed25519, or ECDSA P-256 when ``CITYID_SIGNER_ALGORITHM=ecdsa-p256``) as PKCS#8
    PEM files under ``KEYS_DIR/signing/`` (0600, written once)."""

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

    def adopt(self, label: str, private_key: PrivateKey) -> bytes:
        """Store an existing private key under ``label`` (keys made before rotation existed)."""
        pem = private_key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        path = self._path(label)
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        write_file(path, pem, replace=False)  # a concurrent creator's key wins; a key is never overwritten
        return encode_public_key(self._load(label).public_key())

    def create(self, label: str, algorithm: str | None = None) -> bytes:
        if (algorithm or requested_algorithm()) == ECDSA_P256:
            return self.adopt(label, ec.generate_private_key(ec.SECP256R1()))
        return self.adopt(label, Ed25519PrivateKey.generate())

    def _load(self, label: str) -> PrivateKey:
        try:
            key = serialization.load_pem_private_key(self._path(label).read_bytes(), password=None)
        except FileNotFoundError:
            raise SigningKeyMissing("missing", label=label) from None
        if isinstance(key, ec.EllipticCurvePrivateKey) and isinstance(key.curve, ec.SECP256R1):
            return key
        if not isinstance(key, Ed25519PrivateKey):
            raise SigningKeyMissing("wrong_key_type", label=label)
        return key

    def sign(self, label: str, message: bytes) -> bytes:
        key = self._load(label)
        if isinstance(key, Ed25519PrivateKey):
            return key.sign(message)
        return key.sign(message, ec.ECDSA(hashes.SHA256()))

    def has(self, label: str) -> bool:
        return self._path(label).exists()

    def destroy(self, label: str) -> None:
        self._path(label).unlink(missing_ok=True)


class Pkcs11KeyStore:
    """Key pairs generated inside the key provider's PKCS#11 token: Ed25519 (CKM_EDDSA) where the
    token has it, else ECDSA P-256 (CKM_ECDSA over a SHA-256 digest), or as ``CITYID_SIGNER_ALGORITHM``
    forces.

    The private key is sensitive and never extractable; signing happens in the token. It shares the
    provider's logged-in session (a token allows one login per process)."""

    name = "pkcs11"
    PREFIX = "sign:"
    P256 = "1.2.840.10045.3.1.7"
    ED25519_CURVE = "1.3.101.112"

    def __init__(self, session: Any, lock: Any) -> None:
        import pkcs11

        self._pkcs11, self._session, self._lock = pkcs11, session, lock
        self._mechanisms: frozenset[Any] | None = None

    @classmethod
    def from_settings(cls) -> Pkcs11KeyStore:
        from cityid.vault.providers import Pkcs11Provider, get_provider

        provider = get_provider()
        if not isinstance(provider, Pkcs11Provider):
            from django.core.exceptions import ImproperlyConfigured

            raise ImproperlyConfigured("CITYID_SIGNER=pkcs11 needs CITYID_KEY_PROVIDER=pkcs11 (the token to sign in)")
        return cls(provider._session, provider._lock)

    def mechanisms(self) -> frozenset[Any]:
        if self._mechanisms is None:
            self._mechanisms = frozenset(self._session.token.slot.get_mechanisms())
        return self._mechanisms

    def algorithm_for_new_keys(self, algorithm: str | None = None) -> str:
        """Ed25519 if the token can make and use Ed25519 keys, else ECDSA P-256; or the forced one
        (``algorithm``, else ``CITYID_SIGNER_ALGORITHM``)."""
        from pkcs11 import Mechanism

        has = self.mechanisms()
        can = {
            ED25519: {Mechanism.EC_EDWARDS_KEY_PAIR_GEN, Mechanism.EDDSA} <= has,
            ECDSA_P256: {Mechanism.EC_KEY_PAIR_GEN, Mechanism.ECDSA} <= has,
        }
        forced = algorithm or requested_algorithm()
        for candidate in [forced] if forced else [ED25519, ECDSA_P256]:
            if can[candidate]:
                return candidate
        raise SigningKeyMissing("no_mechanism", algorithm=forced or "Ed25519 / ECDSA P-256")

    def _key(self, label: str, object_class: Any) -> Any:
        try:
            return self._session.get_key(label=self.PREFIX + label, object_class=object_class)
        except (self._pkcs11.NoSuchKey, self._pkcs11.MultipleObjectsReturned):
            raise SigningKeyMissing("missing", label=label) from None

    def _public_bytes(self, public: Any) -> bytes:
        from pkcs11 import Attribute, KeyType
        from pkcs11.util.ec import encode_ec_public_key

        if public.key_type == KeyType.EC:
            return encode_public_key(load_public_key(encode_ec_public_key(public)))
        return _raw_ed25519_point(public[Attribute.EC_POINT])

    def create(self, label: str, algorithm: str | None = None) -> bytes:
        from pkcs11 import Attribute, KeyType, Mechanism
        from pkcs11.util.ec import encode_named_curve_parameters

        with self._lock:
            try:
                existing = self._key(label, self._pkcs11.ObjectClass.PUBLIC_KEY)
            except SigningKeyMissing:
                pass
            else:
                return self._public_bytes(existing)
            if self.algorithm_for_new_keys(algorithm) == ED25519:
                key_type, curve, mechanism = KeyType.EC_EDWARDS, self.ED25519_CURVE, Mechanism.EC_EDWARDS_KEY_PAIR_GEN
            else:
                key_type, curve, mechanism = KeyType.EC, self.P256, Mechanism.EC_KEY_PAIR_GEN
            parameters = self._session.create_domain_parameters(
                key_type, {Attribute.EC_PARAMS: encode_named_curve_parameters(curve)}, local=True,
            )
            public, _ = parameters.generate_keypair(
                store=True, label=self.PREFIX + label, mechanism=mechanism,
                private_template={Attribute.SENSITIVE: True, Attribute.EXTRACTABLE: False},
            )
            return self._public_bytes(public)

    def sign(self, label: str, message: bytes) -> bytes:
        import hashlib

        from pkcs11 import KeyType, Mechanism
        from pkcs11.util.ec import encode_ecdsa_signature

        with self._lock:
            private = self._key(label, self._pkcs11.ObjectClass.PRIVATE_KEY)
            if private.key_type == KeyType.EC:
                # CKM_ECDSA over our own SHA-256 digest: every token that has ECDSA has this one.
                raw = bytes(private.sign(hashlib.sha256(message).digest(), mechanism=Mechanism.ECDSA))
                return bytes(encode_ecdsa_signature(raw))
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
