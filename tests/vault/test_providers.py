"""Both key providers keep the same promises: wrap/unwrap round trips, keyed hashes, real destruction."""

import os
import uuid

import pytest

from cityid.vault.providers import KeyUnavailable, LocalKeyring


def _key_id() -> str:
    return f"cohort:test/{uuid.uuid4().hex[:12]}"


def test_wrap_unwrap_round_trip(key_provider):
    key_id = _key_id()
    key_provider.ensure_key(key_id)
    data_key = os.urandom(32)
    wrapped = key_provider.wrap(key_id, data_key)
    assert wrapped != data_key and data_key not in wrapped
    assert key_provider.unwrap(key_id, wrapped) == data_key


def test_ensure_key_is_idempotent(key_provider):
    key_id = _key_id()
    key_provider.ensure_key(key_id)
    wrapped = key_provider.wrap(key_id, b"k" * 32)
    key_provider.ensure_key(key_id)
    assert key_provider.unwrap(key_id, wrapped) == b"k" * 32
    assert key_id in key_provider.key_ids()


def test_wrapped_key_does_not_open_under_another_key(key_provider):
    first, second = _key_id(), _key_id()
    key_provider.ensure_key(first)
    key_provider.ensure_key(second)
    wrapped = key_provider.wrap(first, os.urandom(32))
    with pytest.raises(KeyUnavailable):
        key_provider.unwrap(second, wrapped)


def test_keyed_hash_is_stable_per_key_and_differs_between_keys(key_provider):
    first, second = _key_id(), _key_id()
    key_provider.ensure_key(first)
    key_provider.ensure_key(second)
    assert key_provider.keyed_hash(first, b"ana|1990-01-01") == key_provider.keyed_hash(first, b"ana|1990-01-01")
    assert key_provider.keyed_hash(first, b"ana|1990-01-01") != key_provider.keyed_hash(second, b"ana|1990-01-01")
    assert len(key_provider.keyed_hash(first, b"x")) == 32


def test_destroyed_key_can_no_longer_unwrap_or_hash(key_provider):
    key_id = _key_id()
    key_provider.ensure_key(key_id)
    wrapped = key_provider.wrap(key_id, os.urandom(32))
    key_provider.destroy_key(key_id)
    assert not key_provider.has_key(key_id)
    with pytest.raises(KeyUnavailable):
        key_provider.unwrap(key_id, wrapped)
    with pytest.raises(KeyUnavailable):
        key_provider.keyed_hash(key_id, b"x")


def test_local_keyring_destruction_reaches_other_processes_and_the_file(tmp_path):
    writer, reader = LocalKeyring(tmp_path), LocalKeyring(tmp_path)
    writer.ensure_key("cohort:a")
    wrapped = writer.wrap("cohort:a", b"d" * 32)
    assert reader.unwrap("cohort:a", wrapped) == b"d" * 32
    material = writer._material("cohort:a")[0]
    writer.destroy_key("cohort:a")
    assert material not in (tmp_path / "keyring.json").read_bytes()
    assert oct((tmp_path / "keyring.json").stat().st_mode & 0o777) == "0o600"
    with pytest.raises(KeyUnavailable):
        reader.unwrap("cohort:a", wrapped)


def test_hsm_key_material_cannot_be_read(key_provider):
    if key_provider.name != "pkcs11":
        pytest.skip("only the HSM promises non-extractable keys")
    import pkcs11
    from pkcs11 import Attribute

    key_id = _key_id()
    key_provider.ensure_key(key_id)
    with pytest.raises(pkcs11.AttributeSensitive):
        key_provider._find(key_id)[Attribute.VALUE]


def _second_instance(key_provider, settings):
    """Another instance over the same key store, as another process (a web worker, a command) has."""
    from cityid.vault.providers import Pkcs11Provider

    if key_provider.name == "pkcs11":
        return Pkcs11Provider(settings.CITYID_PKCS11_LIBRARY, settings.CITYID_PKCS11_TOKEN, settings.CITYID_PKCS11_PIN)
    return LocalKeyring(settings.KEYS_DIR)


def test_a_key_destroyed_elsewhere_is_gone_here_at_once_for_rewrapping(key_provider, settings):
    """A hold or schedule re-wrap runs right after a disposition run in another process destroyed a key:
    it must not move a record off that key with a copy (or a handle) this process still holds."""
    key_id, target = _key_id(), _key_id()
    key_provider.ensure_key(key_id)
    wrapped = key_provider.wrap(key_id, b"d" * 32)
    assert key_provider.unwrap(key_id, wrapped) == b"d" * 32  # this process now holds the key (or its handle)

    _second_instance(key_provider, settings).destroy_key(key_id)
    key_provider.ensure_key(key_id)  # created again (a released hold's records return to their cohort)
    assert key_provider.has_key(key_id)
    assert key_provider.rewrap_many([(key_id, wrapped, target)]) == [None]  # not with the destroyed key
    _second_instance(key_provider, settings).destroy_key(key_id)
    assert key_provider.rewrap_many([(key_id, wrapped, target)]) == [None]
    assert not key_provider.has_key(key_id)
    key_provider.ensure_key(key_id)
    assert key_provider.unwrap(key_id, key_provider.wrap(key_id, b"n" * 32)) == b"n" * 32
    assert key_provider.rewrap_many([(key_id, wrapped, target)]) == [None]  # the old wrapped key stays dead


def test_a_token_fault_is_not_taken_for_a_destroyed_key(key_provider, settings):
    if key_provider.name != "pkcs11":
        pytest.skip("a token fault exists only with an HSM")
    import pkcs11

    key_id = _key_id()
    key_provider.ensure_key(key_id)
    wrapped = key_provider.wrap(key_id, b"d" * 32)
    broken = _second_instance(key_provider, settings)
    assert broken.unwrap(key_id, wrapped) == b"d" * 32
    broken._session.close()  # the token drops the session under it, as on a device fault

    with pytest.raises(pkcs11.PKCS11Error):
        broken.rewrap_many([(key_id, wrapped, _key_id())])  # not [None]: a hold must not skip the record
    with pytest.raises(pkcs11.PKCS11Error):
        broken.unwrap(key_id, wrapped)
    assert key_provider.unwrap(key_id, wrapped) == b"d" * 32  # the other session is untouched
