"""Signing keys behind the Signer interface: in a key file or inside the PKCS#11 token, rotated
without breaking anything they signed."""

from __future__ import annotations

import io

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from django.core.management import CommandError, call_command

from cityid.audit import keys, note, services
from cityid.audit.models import AuditEntry, Checkpoint
from cityid.audit.verify import verify_log
from cityid.retention import certificate as certificates
from cityid.retention import signing
from cityid.vault import selectors
from cityid.vault import services as vault
from cityid.vault.models import SigningKey
from cityid.vault.signers import FileKeyStore, Pkcs11KeyStore, SigningKeyMissing, get_store


@pytest.fixture(params=["file", "pkcs11"])
def signer_store(request, settings):
    """Each signing-key store in turn; the PKCS#11 one with the PKCS#11 key provider, as configured."""
    if request.param == "pkcs11":
        library, label, pin = request.getfixturevalue("softhsm_token")
        settings.CITYID_PKCS11_LIBRARY, settings.CITYID_PKCS11_TOKEN, settings.CITYID_PKCS11_PIN = library, label, pin
        settings.CITYID_KEY_PROVIDER = "pkcs11"
    settings.CITYID_SIGNER = request.param
    return get_store()


def _events(count: int) -> None:
    for number in range(count):
        services.record_event(actor=None, action="test.event", target=f"thing:{number}")


def _verifies(public: bytes, signature: bytes, message: bytes) -> bool:
    Ed25519PublicKey.from_public_bytes(public).verify(signature, message)
    return True


def test_a_signer_signs_with_the_key_it_names(db, signer_store):
    signer = vault.current_signer(purpose="test")
    assert signer.algorithm == "Ed25519" and signer.key_id == "test-1"
    assert _verifies(signer.public_key(), signer.sign(b"message"), b"message")
    assert vault.current_signer(purpose="test").public_key() == signer.public_key()  # made once, reused


def test_with_the_hsm_no_signing_key_sits_in_a_file(db, settings, softhsm_token):
    library, label, pin = softhsm_token
    settings.CITYID_PKCS11_LIBRARY, settings.CITYID_PKCS11_TOKEN, settings.CITYID_PKCS11_PIN = library, label, pin
    settings.CITYID_KEY_PROVIDER = settings.CITYID_SIGNER = "pkcs11"
    _events(5)
    checkpoint = services.make_checkpoint()
    signing.signer().sign(b"a certificate")
    assert isinstance(get_store(), Pkcs11KeyStore)
    assert not (settings.KEYS_DIR / "signing").exists()
    assert list(settings.KEYS_DIR.glob("*.key")) == [] and list(settings.KEYS_DIR.glob("*.pem")) == []
    note.open_checkpoint(checkpoint.note, keys.verifier_keys(), origin=keys.origin())
    import pkcs11

    private = get_store()._key(keys.signer().key_id, pkcs11.ObjectClass.PRIVATE_KEY)
    assert private[pkcs11.Attribute.SENSITIVE] and not private[pkcs11.Attribute.EXTRACTABLE]


def test_the_file_store_keeps_keys_in_the_key_directory(db, settings):
    settings.CITYID_SIGNER = "file"
    signer = keys.signer()
    assert isinstance(get_store(), FileKeyStore)
    assert (settings.KEYS_DIR / "signing" / f"{signer.key_id}.pem").exists()
    assert not SigningKey.objects.filter(public_key__isnull=True).exists()


def test_rotation_signs_with_the_new_key_and_old_checkpoints_still_verify(
    db, signer_store, django_capture_on_commit_callbacks
):
    _events(10)
    first = services.make_checkpoint()
    old = keys.signer()
    out = io.StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("audit", "rotate-key", stdout=out)
    new = keys.signer()
    assert new.key_id != old.key_id and new.public_key() != old.public_key()
    assert out.getvalue().startswith(f"new checkpoint-signing key {new.key_id}: {keys.origin()}+")
    assert not signer_store.has(old.key_id)  # the retired private key is destroyed
    with pytest.raises(SigningKeyMissing):
        signer_store.sign(old.key_id, b"anything")
    _events(10)
    second = services.make_checkpoint()
    assert second.size == 21  # ten, the rotation event, ten more
    note.open_checkpoint(second.note, keys.verifier_key(), origin=keys.origin())  # the new key signed it
    with pytest.raises(note.NoteError):
        note.open_checkpoint(first.note, keys.verifier_key(), origin=keys.origin())
    assert keys.verifier_keys()[0] == keys.verifier_key() and len(keys.verifier_keys()) == 2
    report = verify_log()  # both checkpoints, each against the key that signed it
    assert report.checkpoints == 2
    assert AuditEntry.objects.filter(action="keys.rotate", target=f"signing-key:{new.key_id}").count() == 1


def test_the_published_key_list_lets_an_outsider_check_old_checkpoints(db, client):
    _events(3)
    first = services.make_checkpoint()
    call_command("audit", "rotate-key", stdout=io.StringIO())
    _events(3)
    services.make_checkpoint()
    published = client.get("/audit/verifier-keys").content.decode().splitlines()
    assert published[0] == client.get("/audit/verifier-key").content.decode().strip()
    assert note.open_checkpoint(first.note, published).size == 3
    assert Checkpoint.objects.count() == 2


def test_only_the_host_operator_rotates_keys(db, staff):
    for role in ("admin", "auditor", "records_officer"):
        with pytest.raises(CommandError, match="permission denied"):
            call_command("audit", "rotate-key", "--actor", staff[role].username)
        with pytest.raises(CommandError, match="permission denied"):
            call_command("certificate", "rotate-key", "--actor", staff[role].username)
    assert not SigningKey.objects.filter(retired_at__isnull=False).exists()


def test_certificates_signed_before_a_rotation_still_verify(db, signer_store, django_capture_on_commit_callbacks):
    body = {"run": 1, "records": 3}
    old = signing.signer()
    before = certificates.sign(body, old.sign, signing.public_key_pem())
    with django_capture_on_commit_callbacks(execute=True):
        call_command("certificate", "rotate-key", stdout=io.StringIO())
    new = signing.signer()
    assert not signer_store.has(old.key_id)
    assert new.public_key() != old.public_key()
    after = certificates.sign(body, new.sign, signing.public_key_pem())
    pems = signing.known_public_key_pems()
    assert len(pems) == 2 and pems[0] == signing.public_key_pem()
    assert certificates.verify(before, signing.load_public_key(pems[1])) == body
    assert certificates.verify(after, signing.load_public_key(pems[0])) == body


def test_concurrent_first_uses_agree_on_one_key(db, settings):
    """Two processes making the first key under the same label: the store keeps the first."""
    store = FileKeyStore(settings.KEYS_DIR / "signing")
    first, second = store.create("race-1"), store.create("race-1")
    assert first == second


def test_public_keys_are_listed_current_first(db):
    vault.current_signer(purpose="p")
    vault.rotate_signer(purpose="p")
    current = vault.current_signer(purpose="p")
    listed = selectors.signing_public_keys("p")
    assert listed[0] == current.public_key() and len(listed) == 2
