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
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

from cryptography.hazmat.primitives.keywrap import (
    InvalidUnwrap,
    aes_key_unwrap_with_padding,
    aes_key_wrap_with_padding,
)


class KeyUnavailable(Exception):
    """The named key does not exist in the provider (never created, or destroyed)."""


class KeyProvider(Protocol):
    name: str

    def ensure_key(self, key_id: str) -> None: ...
    def has_key(self, key_id: str) -> bool: ...
    def key_ids(self) -> list[str]: ...
    def wrap(self, key_id: str, data_key: bytes) -> bytes: ...
    def unwrap(self, key_id: str, wrapped: bytes) -> bytes: ...
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
        tmp = self.path.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as fh:
            json.dump({"version": 1, "keys": self._keys}, fh, indent=1, sort_keys=True)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, self.path)
        dir_fd = os.open(self.directory, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
        self._mtime_ns = self.path.stat().st_mtime_ns
        self._decoded = {}

    def _material(self, key_id: str) -> tuple[bytes, bytes]:
        found = self._decoded.get(key_id)
        if found is None:
            entry = self._keys.get(key_id)
            if entry is None:
                self._reload()
                entry = self._keys.get(key_id)
                if entry is None:
                    raise KeyUnavailable(key_id)
            found = (base64.b64decode(entry["wrap"]), base64.b64decode(entry["index"]))
            self._decoded[key_id] = found
        return found

    # --- protocol -------------------------------------------------------------------
    def ensure_key(self, key_id: str) -> None:
        if key_id in self._keys:
            return
        self._reload()
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
            raise KeyUnavailable(f"{key_id}: wrapped key does not belong to this key") from exc

    def keyed_hash(self, key_id: str, message: bytes) -> bytes:
        return hmac.new(self._material(key_id)[1], message, hashlib.sha256).digest()

    def destroy_key(self, key_id: str) -> None:
        with self._exclusive():
            if self._keys.pop(key_id, None) is not None:
                self._write()


_providers: dict[tuple[str, str], KeyProvider] = {}


def get_provider() -> KeyProvider:
    """The configured provider (``CITYID_KEY_PROVIDER``), one instance per process."""
    from django.conf import settings

    kind = settings.CITYID_KEY_PROVIDER
    cache_key = (kind, str(settings.KEYS_DIR))
    if cache_key not in _providers:
        if kind == "local":
            _providers[cache_key] = LocalKeyring(settings.KEYS_DIR)
        else:
            raise KeyUnavailable(f"unknown key provider {kind!r} (CITYID_KEY_PROVIDER)")
    return _providers[cache_key]
