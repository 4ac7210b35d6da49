"""Envelope encryption (cityid.vault.envelope): pure Python, no Django, no database."""

from __future__ import annotations

import pytest

from cityid.vault.envelope import (
    DATA_KEY_BYTES,
    NONCE_BYTES,
    VERSION,
    SealError,
    new_data_key,
    open_json,
    open_sealed,
    seal,
    seal_json,
)

AAD = b"record-uuid:profile"


@pytest.fixture
def key() -> bytes:
    return new_data_key()


@pytest.mark.parametrize("plaintext", [b"", b"x", b"Canaryname Testperson", bytes(range(256)) * 300])
def test_round_trip(key, plaintext):
    sealed = seal(key, plaintext, AAD)
    assert open_sealed(key, sealed, AAD) == plaintext
    assert sealed[:1] == VERSION
    assert len(sealed) == 1 + NONCE_BYTES + len(plaintext) + 16
    if len(plaintext) >= 8:  # shorter strings turn up in random bytes by chance
        assert plaintext not in sealed


def test_data_keys_are_random_256_bit():
    keys = {new_data_key() for _ in range(50)}
    assert len(keys) == 50
    assert all(len(k) == DATA_KEY_BYTES == 32 for k in keys)


def test_nonce_is_fresh_each_time(key):
    a, b = seal(key, b"same", AAD), seal(key, b"same", AAD)
    assert a != b
    assert a[1 : 1 + NONCE_BYTES] != b[1 : 1 + NONCE_BYTES]


def test_json_round_trip(key):
    value = {"given_name": "Zoë", "family_name": "Ñandú", "address": {"line1": "1 Main"}, "n": [1, 2]}
    sealed = seal_json(key, value, AAD)
    assert open_json(key, sealed, AAD) == value
    assert "Ñandú".encode() not in sealed


def test_memoryview_and_bytearray_accepted(key):
    sealed = seal(key, b"data", AAD)
    assert open_sealed(key, memoryview(sealed), AAD) == b"data"
    assert open_sealed(key, bytearray(sealed), AAD) == b"data"


def test_wrong_associated_data(key):
    sealed = seal(key, b"secret", AAD)
    for other in (b"", b"record-uuid:profilE", b"other-uuid:profile", AAD + b"\x00"):
        with pytest.raises(SealError):
            open_sealed(key, sealed, other)


def test_wrong_key(key):
    sealed = seal(key, b"secret", AAD)
    with pytest.raises(SealError):
        open_sealed(new_data_key(), sealed, AAD)
    flipped = bytes([key[0] ^ 1]) + key[1:]
    with pytest.raises(SealError):
        open_sealed(flipped, sealed, AAD)


def test_every_tampered_byte_detected(key):
    sealed = seal(key, b"a short secret value", AAD)
    for index in range(len(sealed)):
        tampered = bytearray(sealed)
        tampered[index] ^= 0x01
        with pytest.raises(SealError):
            open_sealed(key, bytes(tampered), AAD)


def test_truncated_or_extended(key):
    sealed = seal(key, b"secret", AAD)
    for broken in (sealed[:-1], sealed[: 1 + NONCE_BYTES + 15], sealed + b"\x00", b"", VERSION):
        with pytest.raises(SealError):
            open_sealed(key, broken, AAD)


def test_unknown_version(key):
    sealed = seal(key, b"secret", AAD)
    with pytest.raises(SealError, match="version"):
        open_sealed(key, b"\x02" + sealed[1:], AAD)


def test_tampered_json_raises_seal_error(key):
    sealed = bytearray(seal_json(key, {"a": 1}, AAD))
    sealed[-1] ^= 0x80
    with pytest.raises(SealError):
        open_json(key, bytes(sealed), AAD)


def test_no_django_import():
    import subprocess
    import sys

    code = "import sys, cityid.vault.envelope; assert 'django' not in sys.modules, sorted(sys.modules)"
    subprocess.run([sys.executable, "-c", code], check=True)
