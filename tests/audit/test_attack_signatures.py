"""Attacks on the ECDSA P-256 fallback: forged checkpoints and certificates with the wrong curve, DER tricks,
out-of-range or malleated signatures, and algorithm confusion between an Ed25519 and an ECDSA key under one name
or one key id. Each test fails if a forgery is accepted (or changes what is read)."""

from __future__ import annotations

import base64
import json

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature, encode_dss_signature

from cityid.audit import note
from cityid.retention import certificate as certificates
from cityid.vault import signers

ORIGIN = "cityid.example/audit"
ROOT = bytes(range(32))
N = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551  # the order of P-256


def _p256() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def _der_public(key) -> bytes:
    return key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


def _signed(key: ec.EllipticCurvePrivateKey, body: str | None = None) -> tuple[str, str]:
    body = body or note.checkpoint_body(ORIGIN, 7, ROOT)
    text = note.sign_note_with(body, ORIGIN, key.public_key(), lambda m: key.sign(m, ec.ECDSA(hashes.SHA256())))
    return text, note.verifier_key(ORIGIN, key.public_key())


def _with_signature(text: str, signature: bytes) -> str:
    """The note with its one signature line's signature bytes replaced (key id kept)."""
    body, line = text.rsplit("\n\n", 1)
    name, b64 = line.rstrip("\n").split(" ", 2)[1:]
    kid = base64.b64decode(b64)[:4]
    return f"{body}\n\n\u2014 {name} {base64.b64encode(kid + signature).decode()}\n"


def _signature(text: str) -> bytes:
    return base64.b64decode(text.rstrip("\n").rsplit(" ", 1)[1])[4:]


def _der_int(value: bytes) -> bytes:
    return b"\x02" + bytes([len(value)]) + value


def _rs(der: bytes) -> tuple[bytes, bytes]:
    r, s = decode_dss_signature(der)

    def minimal(n: int) -> bytes:  # DER's: a leading zero only when the top bit is set
        return n.to_bytes((n.bit_length() + 8) // 8, "big")

    return minimal(r), minimal(s)


def _der_variants(der: bytes) -> dict[str, bytes]:
    r, s = _rs(der)
    inner = _der_int(r) + _der_int(s)
    return {
        "trailing byte": der + b"\x00",
        "BER long-form length": b"\x30\x81" + bytes([len(inner)]) + inner,
        "padded r": b"\x30" + bytes([len(inner) + 1]) + _der_int(b"\x00" + r) + _der_int(s),
        "indefinite length": b"\x30\x80" + inner + b"\x00\x00",
        "raw r||s": decode_dss_signature(der)[0].to_bytes(32, "big") + decode_dss_signature(der)[1].to_bytes(32, "big"),
        "r=0 s=0": encode_dss_signature(0, 0),
        "r=n": encode_dss_signature(N, decode_dss_signature(der)[1]),
        "r+n": encode_dss_signature(decode_dss_signature(der)[0] + N, decode_dss_signature(der)[1]),
        "s+n": encode_dss_signature(decode_dss_signature(der)[0], decode_dss_signature(der)[1] + N),
        "swapped": encode_dss_signature(decode_dss_signature(der)[1], decode_dss_signature(der)[0]),
    }


def test_attack_der_tricks_and_out_of_range_values_are_refused_on_checkpoints():
    key = _p256()
    text, vkey = _signed(key)
    assert note.open_checkpoint(text, vkey, origin=ORIGIN).size == 7
    for label, forged in _der_variants(_signature(text)).items():
        with pytest.raises(note.NoteError):
            note.open_checkpoint(_with_signature(text, forged), vkey, origin=ORIGIN)
            pytest.fail(f"{label} accepted")
        with pytest.raises(Exception):  # noqa: B017 (InvalidSignature or ValueError: both refuse)
            signers.verify(_der_public(key), forged, note.checkpoint_body(ORIGIN, 7, ROOT).encode())
            pytest.fail(f"{label} accepted by signers.verify")


def test_attack_a_malleated_high_s_signature_changes_nothing_it_vouches_for():
    """(r, n - s) is the other valid ECDSA signature of the same message (Go and the C2SP witnesses accept
    both): it opens to the very same checkpoint, and nothing here is keyed on a note's bytes."""
    key = _p256()
    text, vkey = _signed(key)
    r, s = decode_dss_signature(_signature(text))
    malleated = _with_signature(text, encode_dss_signature(r, N - s))
    assert note.open_checkpoint(malleated, vkey, origin=ORIGIN) == note.open_checkpoint(text, vkey, origin=ORIGIN)
    # ...and it cannot be moved onto another body.
    other = note.checkpoint_body(ORIGIN, 8, ROOT)
    with pytest.raises(note.NoteError):
        note.open_checkpoint(other + malleated.split(note.checkpoint_body(ORIGIN, 7, ROOT), 1)[1], vkey)


@pytest.mark.parametrize("curve", [ec.SECP384R1(), ec.SECP521R1(), ec.SECP256K1()])
def test_attack_a_key_on_another_curve_is_refused_everywhere(curve):
    key = ec.generate_private_key(curve)
    der = _der_public(key)
    with pytest.raises(note.NoteError):
        note.verifier_key(ORIGIN, key.public_key())
    import hashlib

    kid = hashlib.sha256(der).digest()[:4].hex()  # the id such a key would have
    forged_vkey = f"{ORIGIN}+{kid}+" + base64.b64encode(bytes([note.ALG_ECDSA]) + der).decode()
    with pytest.raises(note.NoteError):
        note.parse_verifier_key(forged_vkey)
    with pytest.raises(ValueError):
        signers.load_public_key(der)
    with pytest.raises(certificates.CertificateInvalid):
        certificates.algorithm_of(key.public_key())
    document = json.dumps({"certificate": {"run": 1}, "signature": {"algorithm": "ES256", "value": ""}})
    with pytest.raises(certificates.CertificateInvalid):
        certificates.verify(document, key.public_key())


def test_attack_a_verifier_key_whose_type_byte_lies_is_refused():
    ed = Ed25519PrivateKey.generate()
    p256 = _p256()
    ed_raw = ed.public_key().public_bytes_raw()
    ed_as_ecdsa = f"{ORIGIN}+{note.key_id(ORIGIN, ed_raw).hex()}+" + base64.b64encode(b"\x02" + ed_raw).decode()
    ecdsa_as_ed = f"{ORIGIN}+{note.key_id(ORIGIN, _der_public(p256)).hex()}+" + base64.b64encode(
        b"\x01" + _der_public(p256)).decode()
    for forged in (ed_as_ecdsa, ecdsa_as_ed):
        with pytest.raises(note.NoteError):
            note.parse_verifier_key(forged)


def test_attack_an_ecdsa_and_an_ed25519_key_under_one_key_id_are_never_tried_in_turn():
    """Two trusted keys with one name and key id (a collision, or a planted key): the note is refused outright,
    never checked with whichever algorithm happens to accept it."""
    ed = Ed25519PrivateKey.generate()
    p256 = _p256()
    text, _vkey = _signed(p256)
    kid = base64.b64decode(text.rstrip("\n").rsplit(" ", 1)[1])[:4]
    planted = [note.Verifier(ORIGIN, kid, ed.public_key()), note.Verifier(ORIGIN, kid, p256.public_key())]
    for order in (planted, planted[::-1]):
        with pytest.raises(note.NoteError, match="ambiguous|more than one|two"):
            note.open_note(text, order)


def test_attack_an_ed25519_signature_under_the_ecdsa_key_id_is_refused():
    ed = Ed25519PrivateKey.generate()
    p256 = _p256()
    body = note.checkpoint_body(ORIGIN, 7, ROOT)
    ed_signed = note.sign_note(body, ORIGIN, ed)
    kid = note.key_id(ORIGIN, _der_public(p256))
    forged = f"{body}\n\u2014 {ORIGIN} {base64.b64encode(kid + _signature(ed_signed)).decode()}\n"
    with pytest.raises(note.NoteError):
        note.open_note(forged, note.verifier_key(ORIGIN, p256.public_key()))
    # the same 64 bytes read as raw r||s by the certificate verifier
    document = json.dumps({"certificate": json.loads(certificates.canonical({"run": 1})),
                           "signature": {"algorithm": "ES256",
                                         "value": base64.b64encode(_signature(ed_signed)).decode()}})
    with pytest.raises(certificates.CertificateInvalid):
        certificates.verify(document, p256.public_key())


def _es256_document(key: ec.EllipticCurvePrivateKey, body: dict) -> str:
    pem = key.public_key().public_bytes(serialization.Encoding.PEM,
                                        serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    return certificates.sign(body, lambda m: key.sign(m, ec.ECDSA(hashes.SHA256())), pem)


def test_attack_forged_es256_certificate_values_are_refused():
    key = _p256()
    body = {"run": 3, "records": 10}
    good = _es256_document(key, body)
    assert certificates.verify(good, key.public_key()) == body
    raw = base64.b64decode(json.loads(good)["signature"]["value"])
    r, s = int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big")
    forged_values = {
        "DER instead of raw": encode_dss_signature(r, s),
        "r=0": bytes(32) + raw[32:],
        "s=0": raw[:32] + bytes(32),
        "all ones": b"\xff" * 64,
        "r=n": N.to_bytes(32, "big") + raw[32:],
        "short": raw[:63],
        "long": raw + b"\x00",
        "leading zero": b"\x00" + raw[:63],
    }
    for label, value in forged_values.items():
        document = json.loads(good)
        document["signature"]["value"] = base64.b64encode(value).decode()
        with pytest.raises(certificates.CertificateInvalid):
            certificates.verify(json.dumps(document), key.public_key())
            pytest.fail(f"{label} accepted")
    relabelled = json.loads(good)
    relabelled["signature"]["algorithm"] = "Ed25519"  # the label is not what decides
    assert certificates.verify(json.dumps(relabelled), key.public_key()) == body
    with pytest.raises(certificates.CertificateInvalid):
        certificates.verify(good, Ed25519PrivateKey.generate().public_key())


def test_attack_a_certificate_signed_by_a_stranger_never_verifies_as_ours(db, settings):
    """A P-256 certificate made with the attacker's own key, naming that key or ours, or ours re-labelled with a
    stranger's key: only the genuine one verifies against this installation's keys and audit log."""
    from cityid.audit.services import record_event
    from cityid.retention import services, signing

    settings.CITYID_SIGNER_ALGORITHM = "ecdsa-p256"
    entry = record_event(actor=None, action="disposition.certificate", target="run:1")
    body = {"run": 1, "records": 2, "audit_log_index": entry.index}
    ours = signing.signer()
    assert ours.algorithm == signers.ECDSA_P256
    genuine = certificates.sign(body, ours.sign, signing.pem(ours.public_key()))
    assert services.verify_certificate(genuine) == body

    stranger = _p256()
    stranger_pem = stranger.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    naming_stranger = _es256_document(stranger, body)
    naming_us = json.loads(naming_stranger)
    naming_us["signature"]["public_key"] = signing.pem(ours.public_key())
    relabelled = json.loads(genuine)
    relabelled["signature"]["public_key"] = stranger_pem
    for forged in (naming_stranger, json.dumps(naming_us), json.dumps(relabelled)):
        with pytest.raises(certificates.CertificateInvalid):
            services.verify_certificate(forged)


@pytest.mark.parametrize("content", [
    "[" * 100_000 + "]" * 100_000,
    "[]", '"text"', "null", "{}", '{"certificate": {"run": 1}, "signature": []}',
    '{"certificate": [], "signature": {"value": "", "public_key": ["x"]}}',
    '{"certificate": {"run": 1}, "signature": {"value": 5, "public_key": {}}}',
    '{"certificate": {"run": 1}, "signature": {"value": "AAAA", "public_key": "' + "-" * 10 + '"}}',
    '{"certificate": {"run": ' + "9" * 5000 + '}, "signature": {"value": "AAAA"}}',
    "\ufeff{}",
])
def test_attack_a_hostile_certificate_file_is_invalid_in_one_line(db, tmp_path, content):
    import io

    from django.core.management import call_command
    from django.core.management.base import CommandError

    path = tmp_path / "forged.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(CommandError, match="INVALID|cannot read"):
        call_command("certificate", "verify", str(path), stdout=io.StringIO(), stderr=io.StringIO())
