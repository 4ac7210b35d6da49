"""Key providers: where cohort and hold keys live (never in the database).

A provider holds named key-encryption keys and does three things with them: wrap and
unwrap data keys (AES key wrap, RFC 5649), compute keyed hashes for blind indexes
(HMAC-SHA-256 under a second secret kept beside each key), and destroy a key. The local
keyring is the embedded default; a PKCS#11 HSM provider implements the same protocol.
"""

from __future__ import annotations

import base64
import contextlib
import fcntl
import hashlib
import hmac
import json
import os
import threading
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from cryptography.hazmat.primitives.keywrap import (
    InvalidUnwrap,
    aes_key_unwrap_with_padding,
    aes_key_wrap_with_padding,
)

from cityid.core.errors import CityidError
from cityid.core.files import write_file


class KeyUnavailable(CityidError):
    """The named key does not exist in the provider (never created, or destroyed)."""


class KeyProvider(Protocol):
    """What a key provider does. ``CITYID_KEY_PROVIDER`` names the class (``local``, ``pkcs11`` or a
    dotted path); :mod:`cityid.core.backends` checks it against this protocol at start-up."""

    name: str

    @classmethod
    def from_settings(cls) -> KeyProvider: ...
    @classmethod
    def instance_key(cls) -> str: ...
    def ensure_key(self, key_id: str) -> None: ...
    def has_key(self, key_id: str) -> bool: ...
    def key_ids(self) -> list[str]: ...
    def wrap(self, key_id: str, data_key: bytes) -> bytes: ...
    def unwrap(self, key_id: str, wrapped: bytes) -> bytes: ...
    def rewrap_many(self, items: Iterable[tuple[str, bytes, str]]) -> list[tuple[bytes, bytes] | None]: ...
    def keyed_hash(self, key_id: str, message: bytes) -> bytes: ...
    def destroy_key(self, key_id: str) -> None: ...


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


class LocalKeyring:
    """Keys in one JSON file (mode 0600) in a directory kept apart from the data directory.

    Several processes (the web server, commands) share the file: changes take an exclusive
    lock, re-read, and replace the file atomically; readers reload when they miss a key.
    """

    name = "local"

    @classmethod
    def from_settings(cls) -> LocalKeyring:
        from django.conf import settings

        return cls(settings.KEYS_DIR)

    @classmethod
    def instance_key(cls) -> str:
        from django.conf import settings

        return str(settings.KEYS_DIR)

    def __init__(self, directory: Path) -> None:
        self.directory = Path(directory)
        self.path = self.directory / "keyring.json"
        self._keys: dict[str, dict[str, str]] = {}
        self._decoded: dict[str, tuple[bytes, bytes]] = {}
        self._mtime_ns = -1
        self._thread_lock = threading.Lock()

    # --- file handling -------------------------------------------------------------
    @contextlib.contextmanager
    def _exclusive(self) -> Iterator[None]:
        self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        with self._thread_lock, open(self.directory / "keyring.lock", "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                self._reload(force=True)
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def _reload(self, force: bool = False) -> None:
        try:
            mtime = self.path.stat().st_mtime_ns
        except FileNotFoundError:
            self._keys, self._decoded, self._mtime_ns = {}, {}, -1
            return
        if force or mtime != self._mtime_ns:
            self._keys = json.loads(self.path.read_text())["keys"]
            self._decoded = {}
            self._mtime_ns = mtime

    def _write(self) -> None:
        write_file(self.path, json.dumps({"version": 1, "keys": self._keys}, indent=1, sort_keys=True))
        self._mtime_ns = self.path.stat().st_mtime_ns
        self._decoded = {}

    def _material(self, key_id: str) -> tuple[bytes, bytes]:
        # One stat() at every use (about 2.5 µs): a key another process destroyed is gone here at once,
        # for reads as for re-wraps.
        self._reload()
        found = self._decoded.get(key_id)
        if found is None:
            entry = self._keys.get(key_id)
            if entry is None:
                raise KeyUnavailable("missing", key=key_id)
            found = (base64.b64decode(entry["wrap"]), base64.b64decode(entry["index"]))
            self._decoded[key_id] = found
        return found

    # --- protocol -------------------------------------------------------------------
    def ensure_key(self, key_id: str) -> None:
        self._reload()  # another process may have destroyed it: then it is created again
        if key_id in self._keys:
            return
        with self._exclusive():
            if key_id not in self._keys:
                self._keys[key_id] = {
                    "wrap": _b64(os.urandom(32)),
                    "index": _b64(os.urandom(32)),
                    "created": datetime.now(UTC).isoformat(timespec="seconds"),
                }
                self._write()

    def has_key(self, key_id: str) -> bool:
        self._reload()
        return key_id in self._keys

    def key_ids(self) -> list[str]:
        self._reload()
        return sorted(self._keys)

    def wrap(self, key_id: str, data_key: bytes) -> bytes:
        return aes_key_wrap_with_padding(self._material(key_id)[0], data_key)

    def unwrap(self, key_id: str, wrapped: bytes) -> bytes:
        try:
            return aes_key_unwrap_with_padding(self._material(key_id)[0], bytes(wrapped))
        except InvalidUnwrap as exc:
            raise KeyUnavailable("not_this_key", key=key_id) from exc

    def rewrap_many(self, items: Iterable[tuple[str, bytes, str]]) -> list[tuple[bytes, bytes] | None]:
        """For each ``(key_id, wrapped, new_key_id)``: the data key and the data key wrapped under
        ``new_key_id`` (created on first use), or None where ``key_id`` cannot unwrap it (destroyed)."""
        out: list[tuple[bytes, bytes] | None] = []
        ensured: set[str] = set()
        for key_id, wrapped, new_key_id in items:
            try:
                data_key = self.unwrap(key_id, wrapped)
            except KeyUnavailable:
                out.append(None)
                continue
            if new_key_id not in ensured:
                self.ensure_key(new_key_id)
                ensured.add(new_key_id)
            out.append((data_key, self.wrap(new_key_id, data_key)))
        return out

    def keyed_hash(self, key_id: str, message: bytes) -> bytes:
        return hmac.new(self._material(key_id)[1], message, hashlib.sha256).digest()

    def destroy_key(self, key_id: str) -> None:
        with self._exclusive():
            if self._keys.pop(key_id, None) is not None:
                self._write()


class Pkcs11Provider:
    """Cohort and hold keys inside a PKCS#11 token (an HSM; SoftHSM2 in tests).

    Key-encryption keys are AES-256, sensitive and non-extractable, usable only to wrap and
    unwrap; each has an HMAC key beside it (label ``<key_id>#index``) for blind indexes. A data
    key enters the token as a short-lived session object to be wrapped there (CKM_AES_KEY_WRAP_PAD)
    and leaves it, unwrapped, only as the data key itself: the key-encryption key never does.
    """

    name = "pkcs11"
    INDEX_SUFFIX = "#index"

    @classmethod
    def from_settings(cls) -> Pkcs11Provider:
        from django.conf import settings

        return cls(settings.CITYID_PKCS11_LIBRARY, settings.CITYID_PKCS11_TOKEN, settings.CITYID_PKCS11_PIN)

    @classmethod
    def instance_key(cls) -> str:
        # One PKCS#11 login per process and token: a second C_Login on the same token is refused.
        from django.conf import settings

        return str(settings.CITYID_PKCS11_TOKEN)

    def __init__(self, library: str, token_label: str, pin: str) -> None:
        import pkcs11

        self._pkcs11 = pkcs11
        self._lock = threading.RLock()
        token = pkcs11.lib(library).get_token(token_label=token_label)
        try:
            self._session = token.open(user_pin=pin, rw=True)
        except pkcs11.UserAlreadyLoggedIn:
            # PKCS#11 logins belong to the application: another session of this process logged in.
            self._session = token.open(rw=True)
        self._handles: dict[str, Any] = {}

    def _find(self, label: str, *, fresh: bool = False) -> Any:
        handle = None if fresh else self._handles.get(label)
        if handle is None:
            self._handles.pop(label, None)
            try:
                handle = self._session.get_key(label=label, object_class=self._pkcs11.ObjectClass.SECRET_KEY)
            except self._pkcs11.NoSuchKey:
                raise KeyUnavailable("missing", key=label) from None
            self._handles[label] = handle
        return handle

    def _using(self, label: str, operation: Callable[[Any], Any]) -> Any:
        """``operation(handle)`` on the key labelled ``label``. A cached handle can name an object that
        another process destroyed (and perhaps created again under the same label): the token says
        so with a handle error, and the key is looked up afresh once."""
        exceptions = self._pkcs11.exceptions
        stale = (exceptions.ObjectHandleInvalid, exceptions.KeyHandleInvalid,
                 exceptions.UnwrappingKeyHandleInvalid, exceptions.WrappingKeyHandleInvalid)
        try:
            return operation(self._find(label))
        except stale:
            return operation(self._find(label, fresh=True))

    def _unwrap_session_key(self, key_id: str, wrapped: bytes) -> Any:
        """The data key wrapped under ``key_id`` as a session object (the caller destroys it).

        KeyUnavailable when the key is gone or the wrapped bytes are not of this key; any other
        token error (a device fault, a closed session) propagates, so that it is never taken for
        a destroyed key. SoftHSM2 reports a failed integrity check as CKR_GENERAL_ERROR.
        """
        from pkcs11 import Attribute, KeyType, Mechanism, ObjectClass

        exceptions = self._pkcs11.exceptions
        not_this_key = (exceptions.WrappedKeyInvalid, exceptions.WrappedKeyLenRange, exceptions.EncryptedDataInvalid,
                        exceptions.EncryptedDataLenRange, exceptions.GeneralError)
        try:
            return self._using(key_id, lambda kek: kek.unwrap_key(
                ObjectClass.SECRET_KEY, KeyType.AES, bytes(wrapped), mechanism=Mechanism.AES_KEY_WRAP_PAD,
                template={Attribute.EXTRACTABLE: True, Attribute.SENSITIVE: False, Attribute.TOKEN: False},
            ))
        except not_this_key as exc:
            raise KeyUnavailable("not_this_key", key=key_id) from exc
        except (exceptions.ObjectHandleInvalid, exceptions.KeyHandleInvalid,
                exceptions.UnwrappingKeyHandleInvalid) as exc:
            raise KeyUnavailable("destroyed", key=key_id) from exc

    def ensure_key(self, key_id: str) -> None:
        from pkcs11 import Attribute, KeyType

        with self._lock:
            if self.has_key(key_id):
                return
            self._session.generate_key(
                KeyType.AES,
                256,
                label=key_id,
                store=True,
                template={
                    Attribute.SENSITIVE: True,
                    Attribute.EXTRACTABLE: False,
                    Attribute.WRAP: True,
                    Attribute.UNWRAP: True,
                    Attribute.ENCRYPT: False,
                    Attribute.DECRYPT: False,
                },
            )
            self._session.generate_key(
                KeyType.GENERIC_SECRET,
                256,
                label=key_id + self.INDEX_SUFFIX,
                store=True,
                template={Attribute.SENSITIVE: True, Attribute.EXTRACTABLE: False, Attribute.SIGN: True},
            )

    def has_key(self, key_id: str) -> bool:
        """Asks the token, not the handle cache: another process may have destroyed the key."""
        with self._lock:
            try:
                self._find(key_id, fresh=True)
            except KeyUnavailable:
                return False
            return True

    def key_ids(self) -> list[str]:
        from pkcs11 import Attribute, ObjectClass

        with self._lock:
            objects = self._session.get_objects({Attribute.CLASS: ObjectClass.SECRET_KEY})
            labels = {obj[Attribute.LABEL] for obj in objects}
        return sorted(label for label in labels if not label.endswith(self.INDEX_SUFFIX))

    def wrap(self, key_id: str, data_key: bytes) -> bytes:
        from pkcs11 import Attribute, KeyType, Mechanism, ObjectClass

        with self._lock:
            session_key = self._session.create_object(
                {
                    Attribute.CLASS: ObjectClass.SECRET_KEY,
                    Attribute.KEY_TYPE: KeyType.AES,
                    Attribute.VALUE: data_key,
                    Attribute.TOKEN: False,
                    Attribute.EXTRACTABLE: True,
                    Attribute.SENSITIVE: False,
                }
            )
            try:
                return self._using(key_id, lambda kek: kek.wrap_key(session_key, mechanism=Mechanism.AES_KEY_WRAP_PAD))
            finally:
                session_key.destroy()

    def unwrap(self, key_id: str, wrapped: bytes) -> bytes:
        from pkcs11 import Attribute

        with self._lock:
            session_key = self._unwrap_session_key(key_id, wrapped)
            try:
                return bytes(session_key[Attribute.VALUE])
            finally:
                session_key.destroy()

    def rewrap_many(self, items: Iterable[tuple[str, bytes, str]]) -> list[tuple[bytes, bytes] | None]:
        """As ``LocalKeyring.rewrap_many``. Each data key is unwrapped into a session object and wrapped
        from there under its new key, instead of being unwrapped, destroyed and created again to wrap."""
        from pkcs11 import Attribute, Mechanism

        out: list[tuple[bytes, bytes] | None] = []
        ensured: set[str] = set()
        for key_id, wrapped, new_key_id in items:
            with self._lock:
                try:
                    session_key = self._unwrap_session_key(key_id, wrapped)
                except KeyUnavailable:
                    out.append(None)
                    continue
                try:
                    if new_key_id not in ensured:
                        self.ensure_key(new_key_id)
                        ensured.add(new_key_id)
                    rewrapped = self._using(
                        new_key_id,
                        lambda kek, key=session_key: kek.wrap_key(key, mechanism=Mechanism.AES_KEY_WRAP_PAD),
                    )
                    out.append((bytes(session_key[Attribute.VALUE]), rewrapped))
                finally:
                    session_key.destroy()
        return out

    def keyed_hash(self, key_id: str, message: bytes) -> bytes:
        from pkcs11 import Mechanism

        with self._lock:
            return bytes(self._using(key_id + self.INDEX_SUFFIX,
                                     lambda key: key.sign(message, mechanism=Mechanism.SHA256_HMAC)))

    def destroy_key(self, key_id: str) -> None:
        """C_DestroyObject on the key and its index key: afterwards no one can use either."""
        with self._lock:
            for label in (key_id, key_id + self.INDEX_SUFFIX):
                try:
                    handle = self._find(label, fresh=True)
                except KeyUnavailable:
                    continue
                handle.destroy()
                self._handles.pop(label, None)


PROVIDERS = {"local": "cityid.vault.providers.LocalKeyring", "pkcs11": "cityid.vault.providers.Pkcs11Provider"}

_providers: dict[tuple[type, str], KeyProvider] = {}


def get_provider() -> KeyProvider:
    """The configured provider (``CITYID_KEY_PROVIDER``), one instance per process and configuration."""
    from cityid.core.backends import backend_class

    cls = backend_class("CITYID_KEY_PROVIDER")
    cache_key = (cls, cls.instance_key())
    if cache_key not in _providers:
        _providers[cache_key] = cls.from_settings()
    return _providers[cache_key]
