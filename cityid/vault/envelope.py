"""Envelope encryption with per-record data keys: AES-256-GCM, pure Python (no Django).

A sealed value is ``VERSION ‖ nonce(12) ‖ ciphertext+tag``. The associated data binds a
ciphertext to the record and field it belongs to, so a value copied into another row or
field fails to open instead of being read in the wrong place.
"""

from __future__ import annotations

import json
import os
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from cityid.core.errors import CityidError

VERSION = b"\x01"
NONCE_BYTES = 12
DATA_KEY_BYTES = 32


class SealError(CityidError):
    """A sealed value could not be opened: wrong key, wrong record, or tampered bytes."""


def new_data_key() -> bytes:
    return os.urandom(DATA_KEY_BYTES)


def seal(data_key: bytes, plaintext: bytes, associated_data: bytes) -> bytes:
    nonce = os.urandom(NONCE_BYTES)
    return VERSION + nonce + AESGCM(data_key).encrypt(nonce, plaintext, associated_data)


def open_sealed(data_key: bytes, sealed: bytes | memoryview, associated_data: bytes) -> bytes:
    sealed = bytes(sealed)
    if len(sealed) < 1 + NONCE_BYTES + 16 or sealed[:1] != VERSION:
        raise SealError("unknown_version")
    nonce, body = sealed[1 : 1 + NONCE_BYTES], sealed[1 + NONCE_BYTES :]
    try:
        return AESGCM(data_key).decrypt(nonce, body, associated_data)
    except InvalidTag as exc:
        raise SealError("authentication_failed") from exc


def seal_json(data_key: bytes, value: Any, associated_data: bytes) -> bytes:
    return seal(data_key, json.dumps(value, separators=(",", ":"), sort_keys=True).encode(), associated_data)


def open_json(data_key: bytes, sealed: bytes | memoryview, associated_data: bytes) -> Any:
    return json.loads(open_sealed(data_key, sealed, associated_data))
