"""Signing keys behind the Signer interface: in a key file or inside the PKCS#11 token, rotated
without breaking anything they signed."""

from __future__ import annotations

import base64
import hashlib
import io
import json

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from django.core.management import CommandError, call_command

from cityid.audit import keys, note, services
from cityid.audit.models import AuditEntry, Checkpoint
from cityid.audit.verify import verify_log
from cityid.retention import certificate as certificates
from cityid.retention import signing
from cityid.vault import selectors, signers
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
    store = get_store()
    if request.param == "pkcs11":
        _empty_token(store)  # the token outlives each test's database: no label left from another test
    return store


def _empty_token(store):
    import pkcs11

    with store._lock:
        for found in list(store._session.get_objects({pkcs11.Attribute.TOKEN: True})):
            if str(found[pkcs11.Attribute.LABEL]).startswith(store.PREFIX):
                found.destroy()


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


# --- ECDSA P-256: the fallback for tokens without Ed25519 -------------------------------------


@pytest.fixture
def ecdsa(settings):
    settings.CITYID_SIGNER_ALGORITHM = "ecdsa-p256"


def test_an_ecdsa_key_signs_and_its_algorithm_is_recorded(db, signer_store, ecdsa):
    from cryptography.hazmat.primitives.asymmetric import ec

    signer = vault.current_signer(purpose="test")
    assert signer.algorithm == signers.ECDSA_P256
    assert SigningKey.objects.get(key_id=signer.key_id).algorithm == signers.ECDSA_P256
    public = signers.load_public_key(signer.public_key())
    assert isinstance(public, ec.EllipticCurvePublicKey) and public.curve.name == "secp256r1"
    signature = signer.sign(b"message")
    signers.verify(signer.public_key(), signature, b"message")  # DER, over SHA-256
    with pytest.raises(InvalidSignature):
        signers.verify(signer.public_key(), signature, b"another message")
    if signer_store.name == "pkcs11":
        import pkcs11

        private = signer_store._key(signer.key_id, pkcs11.ObjectClass.PRIVATE_KEY)
        assert private.key_type == pkcs11.KeyType.EC
        assert private[pkcs11.Attribute.SENSITIVE] and not private[pkcs11.Attribute.EXTRACTABLE]


def test_a_token_without_ed25519_makes_ecdsa_keys(db, settings, softhsm_token):
    library, label, pin = softhsm_token
    settings.CITYID_PKCS11_LIBRARY, settings.CITYID_PKCS11_TOKEN, settings.CITYID_PKCS11_PIN = library, label, pin
    settings.CITYID_KEY_PROVIDER = settings.CITYID_SIGNER = "pkcs11"
    import pkcs11

    store = get_store()
    _empty_token(store)
    mechanisms = store.mechanisms()  # SoftHSM2's own list
    assert {pkcs11.Mechanism.EC_KEY_PAIR_GEN, pkcs11.Mechanism.ECDSA} <= mechanisms
    if {pkcs11.Mechanism.EC_EDWARDS_KEY_PAIR_GEN, pkcs11.Mechanism.EDDSA} <= mechanisms:
        assert store.algorithm_for_new_keys() == signers.ED25519
    # The same token as one without the Ed25519 mechanisms would list them.
    store._mechanisms = mechanisms - {pkcs11.Mechanism.EC_EDWARDS_KEY_PAIR_GEN, pkcs11.Mechanism.EDDSA}
    try:
        assert store.algorithm_for_new_keys() == signers.ECDSA_P256
        signer = vault.current_signer(purpose="fallback")
        assert signer.algorithm == signers.ECDSA_P256
        signers.verify(signer.public_key(), signer.sign(b"m"), b"m")
        settings.CITYID_SIGNER_ALGORITHM = "ed25519"
        with pytest.raises(SigningKeyMissing, match="cannot make Ed25519"):
            store.algorithm_for_new_keys()
    finally:
        store._mechanisms = None


def test_a_wrong_algorithm_setting_is_refused(db, settings):
    from django.core.exceptions import ImproperlyConfigured

    from cityid.vault.apps import swappable_parts_check

    settings.CITYID_SIGNER_ALGORITHM = "rsa"
    with pytest.raises(ImproperlyConfigured, match="CITYID_SIGNER_ALGORITHM"):
        vault.current_signer(purpose="test")
    assert [error.msg for error in swappable_parts_check()] == [
        "CITYID_SIGNER_ALGORITHM='rsa': use auto, ed25519, ecdsa-p256"]


def test_ecdsa_checkpoints_verify_after_rotations(db, signer_store, settings, client,
                                                  django_capture_on_commit_callbacks):
    _events(4)
    ed25519 = services.make_checkpoint()  # the installation's first key: Ed25519
    assert keys.signer().algorithm == signers.ED25519
    settings.CITYID_SIGNER_ALGORITHM = "ecdsa-p256"
    with django_capture_on_commit_callbacks(execute=True):
        call_command("audit", "rotate-key", stdout=io.StringIO())
    first = keys.signer()
    assert first.algorithm == signers.ECDSA_P256
    _events(4)
    ecdsa_1 = services.make_checkpoint()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("audit", "rotate-key", stdout=io.StringIO())
    second = keys.signer()
    assert second.algorithm == signers.ECDSA_P256 and second.public_key() != first.public_key()
    assert not signer_store.has(first.key_id)
    _events(4)
    ecdsa_2 = services.make_checkpoint()

    vkey = keys.verifier_key()
    _name, kid, material = vkey.split("+", 2)
    der = base64.b64decode(material)
    assert der[0] == note.ALG_ECDSA and der[1:] == second.public_key()
    assert bytes.fromhex(kid) == hashlib.sha256(second.public_key()).digest()[:4]  # c2sp.org/signed-note 0x02
    signature = base64.b64decode(ecdsa_2.note.rsplit(" ", 1)[1])[4:]
    assert signature[0] == 0x30  # an ASN.1 DER SEQUENCE

    published = client.get("/audit/verifier-keys").content.decode().splitlines()
    assert published[0] == vkey and len(published) == 3
    for checkpoint in (ed25519, ecdsa_1, ecdsa_2):
        note.open_checkpoint(checkpoint.note, published, origin=keys.origin())
    with pytest.raises(note.NoteError):
        note.open_checkpoint(ecdsa_1.note, vkey, origin=keys.origin())
    assert verify_log().checkpoints == 3


def test_es256_certificates_verify_after_rotations(db, signer_store, ecdsa, django_capture_on_commit_callbacks):
    body = {"run": 1, "records": 3}
    signer = signing.signer()
    assert signer.algorithm == signers.ECDSA_P256
    before = certificates.sign(body, signer.sign, signing.public_key_pem())
    document = json.loads(before)
    assert document["signature"]["algorithm"] == "ES256"
    assert len(base64.b64decode(document["signature"]["value"])) == 64  # raw r || s, as JOSE's ES256
    with django_capture_on_commit_callbacks(execute=True):
        call_command("certificate", "rotate-key", stdout=io.StringIO())
    new = signing.signer()
    assert not signer_store.has(signer.key_id) and new.public_key() != signer.public_key()
    after = certificates.sign(body, new.sign, signing.public_key_pem())
    pems = signing.known_public_key_pems()
    assert len(pems) == 2 and pems[0] == signing.public_key_pem()
    assert certificates.verify(before, signing.load_public_key(pems[1])) == body
    assert certificates.verify(after, signing.load_public_key(pems[0])) == body
    with pytest.raises(certificates.CertificateInvalid):
        certificates.verify(before, signing.load_public_key(pems[0]))
    tampered = json.loads(after)
    tampered["certificate"]["records"] = 4
    with pytest.raises(certificates.CertificateInvalid, match="does not match"):
        certificates.verify(json.dumps(tampered), signing.load_public_key(pems[0]))


def test_an_ed25519_certificate_verifies_after_rotating_to_ecdsa(db, signer_store, settings,
                                                                django_capture_on_commit_callbacks):
    body = {"run": 2}
    old = certificates.sign(body, signing.signer().sign, signing.public_key_pem())
    assert json.loads(old)["signature"]["algorithm"] == "Ed25519"
    settings.CITYID_SIGNER_ALGORITHM = "ecdsa-p256"
    with django_capture_on_commit_callbacks(execute=True):
        call_command("certificate", "rotate-key", stdout=io.StringIO())
    new = certificates.sign(body, signing.signer().sign, signing.public_key_pem())
    assert json.loads(new)["signature"]["algorithm"] == "ES256"
    current, retired = signing.known_public_key_pems()
    assert certificates.verify(old, signing.load_public_key(retired)) == body
    assert certificates.verify(new, signing.load_public_key(current)) == body


def test_a_purpose_can_ask_for_ecdsa_whatever_the_setting(db, signer_store, settings):
    """Card credentials are ES256: their keys are ECDSA P-256 even where new keys are Ed25519 by default,
    at first use and at rotation; the purpose's other keys are untouched."""
    settings.CITYID_SIGNER_ALGORITHM = "ed25519"
    first = vault.current_signer(purpose="ecdsa-test", algorithm=signers.ECDSA_P256)
    assert first.algorithm == signers.ECDSA_P256
    signers.verify(first.public_key(), first.sign(b"m"), b"m")
    second = vault.rotate_signer(purpose="ecdsa-test", algorithm=signers.ECDSA_P256)
    assert second.algorithm == signers.ECDSA_P256 and second.key_id != first.key_id
    assert vault.current_signer(purpose="other").algorithm == signers.ED25519
