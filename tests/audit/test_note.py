"""Tests for cityid.audit.note (C2SP signed-note / tlog-checkpoint) and tile paths.

The PeterNeumann / EnochRoot vectors are those of golang.org/x/mod/sumdb/note
(note_test.go), so passing them means Go verifiers and witnesses accept our notes.
"""

from __future__ import annotations

import base64
import hashlib

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from cityid.audit import merkle, note
from cityid.audit.merkle import TileRef, entries_path, parse_tile_path, tile_path
from cityid.audit.note import (
    Checkpoint,
    NoteError,
    checkpoint_body,
    open_checkpoint,
    open_note,
    parse_checkpoint,
    parse_signer_key,
    parse_verifier_key,
    sign_note,
    verifier_key,
)


@pytest.fixture(autouse=True)
def isolated_dirs():
    """Pure-Python tests: shadow the Django-settings fixture of tests/conftest.py."""
    yield


PETER_SKEY = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
PETER_VKEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
ENOCH_VKEY = "EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop"
TEXT = "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n"
PETER_B64 = "x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM="
ENOCH_B64 = "rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33WWd1RvMc+QQ="
PETER_SIG = f"\u2014 PeterNeumann {PETER_B64}\n"
ENOCH_SIG = f"\u2014 EnochRoot {ENOCH_B64}\n"
PETER_SEED = base64.b64decode("AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz")[1:]


def _key(seed_byte: int = 7) -> Ed25519PrivateKey:
    return Ed25519PrivateKey.from_private_bytes(bytes([seed_byte]) * 32)


# ---------------------------------------------------------------------------- Go interop


def test_sign_matches_go_byte_for_byte():
    assert sign_note(TEXT, "PeterNeumann", PETER_SEED) == TEXT + "\n" + PETER_SIG
    name, sk = parse_signer_key(PETER_SKEY)
    assert name == "PeterNeumann"
    assert sign_note(TEXT, name, sk) == TEXT + "\n" + PETER_SIG
    assert note.signer_key(name, sk) == PETER_SKEY


def test_verifier_key_format_matches_go():
    _, sk = parse_signer_key(PETER_SKEY)
    vkey = verifier_key("PeterNeumann", sk.public_key())
    assert vkey == PETER_VKEY
    assert verifier_key("PeterNeumann", sk.public_key().public_bytes_raw()) == PETER_VKEY
    name, kid_hex, material = vkey.split("+", 2)
    raw = base64.b64decode(material)
    assert raw[0] == 0x01 and len(raw) == 33
    assert kid_hex == hashlib.sha256(name.encode() + b"\n\x01" + raw[1:]).digest()[:4].hex()
    assert note.key_id(name, raw[1:]).hex() == kid_hex
    v = parse_verifier_key(vkey)
    assert (v.name, v.key_id.hex(), str(v)) == ("PeterNeumann", "c74f20a3", PETER_VKEY)
    # A base64 key body containing '+' (transparency-dev/formats test key).
    assert parse_verifier_key("TEST+7997405c+AQcC+FTVKf0jlTdHDY3rbevmnKxxPjigCXlVtGe6RIr6").name == "TEST"


def test_verifier_key_manglings_rejected():
    # Port of Go TestNewVerifier: every proper substring and every one-byte change fails.
    for i in range(len(PETER_VKEY) + 1):
        for j in range(i + 1, len(PETER_VKEY) + 1):
            if (i, j) != (0, len(PETER_VKEY)):
                with pytest.raises(NoteError):
                    parse_verifier_key(PETER_VKEY[i:j])
    for i in range(len(PETER_VKEY)):
        mangled = PETER_VKEY[:i] + chr(ord(PETER_VKEY[i]) + 1) + PETER_VKEY[i + 1 :]
        with pytest.raises(NoteError):
            parse_verifier_key(mangled)
    for bad in [
        "PeterNeumann+cc469956+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TWBADKEY==",  # wrong length
        "PeterNeumann+173116ae+ZRpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",  # unknown algorithm
        "PeterNeumann+C74F20A3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",  # upper-case hex
    ]:
        with pytest.raises(NoteError):
            parse_verifier_key(bad)


def test_open_go_notes():
    assert open_note(TEXT + "\n" + PETER_SIG, PETER_VKEY) == TEXT
    # One trusted and one unknown signature; both trusted.
    assert open_note(TEXT + "\n" + PETER_SIG + ENOCH_SIG, PETER_VKEY) == TEXT
    assert open_note(TEXT + "\n" + PETER_SIG + ENOCH_SIG, [PETER_VKEY, ENOCH_VKEY]) == TEXT
    assert open_note(TEXT + "\n" + ENOCH_SIG, [ENOCH_VKEY]) == TEXT
    # No trusted signature.
    with pytest.raises(NoteError, match="no verifiable signatures"):
        open_note(TEXT + "\n" + PETER_SIG + ENOCH_SIG, [])
    with pytest.raises(NoteError, match="no verifiable signatures"):
        open_note(TEXT + "\n" + ENOCH_SIG, PETER_VKEY)
    # A corrupted signature by a trusted key rejects the whole note...
    with pytest.raises(NoteError, match="invalid signature for key PeterNeumann\\+c74f20a3"):
        open_note(TEXT + "\n" + PETER_SIG[:60] + "ABCD" + PETER_SIG[60:], PETER_VKEY)
    # ...but a corrupted signature by an unknown key is ignored.
    enoch_bad = ENOCH_SIG[:60] + "ABCD" + ENOCH_SIG[60:]
    assert open_note(TEXT + "\n" + PETER_SIG + PETER_SIG + ENOCH_SIG + enoch_bad, PETER_VKEY) == TEXT
    # Too many signatures.
    with pytest.raises(NoteError, match="too many"):
        open_note(TEXT + "\n" + PETER_SIG * 101, PETER_VKEY)
    assert open_note(TEXT + "\n" + PETER_SIG * 100, PETER_VKEY) == TEXT


@pytest.mark.parametrize(
    "msg",
    [
        TEXT,
        TEXT + "\n",
        TEXT + "\n" + PETER_SIG[:-1],
        "\x01" + TEXT + "\n" + PETER_SIG,
        "\ud800" + TEXT + "\n" + PETER_SIG,
        TEXT + "\n" + f"\u2014 Bad Name {PETER_B64}\n",
        TEXT + "\n" + PETER_SIG + "Unexpected line.\n",
        TEXT + "\n" + PETER_SIG.replace("\u2014", "-"),
        TEXT + "\n" + PETER_SIG.replace("=\n", "\n"),  # bad padding
        TEXT + "\n" + "\u2014 PeterNeumann AAAA\n",  # too short
        TEXT + "\n" + PETER_SIG + "\n",
        b"bytes are not text",
    ],
)
def test_malformed_notes(msg):
    with pytest.raises(NoteError):
        open_note(msg, PETER_VKEY)


# ---------------------------------------------------------------------------- round trips


def test_round_trip_and_tampering():
    sk = _key()
    name = "audit.cityid.example/log"
    vkey = verifier_key(name, sk.public_key())
    body = checkpoint_body(name, 42, merkle.EMPTY_ROOT)
    signed = sign_note(body, name, sk)
    assert signed.startswith(body + "\n\u2014 " + name + " ")
    assert signed.endswith("\n")
    assert open_note(signed, vkey) == body
    assert open_note(signed, [ENOCH_VKEY, vkey]) == body
    # Tampered body.
    with pytest.raises(NoteError):
        open_note(signed.replace("\n42\n", "\n43\n"), vkey)
    # Wrong key, same name: different key ID, so the signature is just unknown.
    other = verifier_key(name, _key(8).public_key())
    with pytest.raises(NoteError, match="no verifiable"):
        open_note(signed, other)
    # Same key under another name.
    with pytest.raises(NoteError, match="no verifiable"):
        open_note(signed, verifier_key("someone.else", sk.public_key()))
    # Two different keys claiming the same name and key ID.
    forged = (
        f"{name}+{parse_verifier_key(vkey).key_id.hex()}+"
        + base64.b64encode(b"\x01" + _key(8).public_key().public_bytes_raw()).decode()
    )
    with pytest.raises(NoteError):
        parse_verifier_key(forged)  # its key ID does not match its key
    # Deterministic.
    assert sign_note(body, name, sk) == signed


def test_cosigned_note_opens_for_each_signer():
    log_key, witness_key = _key(1), _key(2)
    body = checkpoint_body("log.example", 7, b"\x11" * 32)
    signed = sign_note(body, "log.example", log_key)
    witness_line = sign_note(body, "witness.example", witness_key).split("\n\n", 1)[1]
    cosigned = signed + witness_line
    assert open_note(cosigned, verifier_key("log.example", log_key.public_key())) == body
    assert open_note(cosigned, verifier_key("witness.example", witness_key.public_key())) == body


def test_generate_signer_key():
    skey, vkey = note.generate_signer_key("audit.example/log")
    name, sk = parse_signer_key(skey)
    assert name == "audit.example/log"
    assert verifier_key(name, sk.public_key()) == vkey
    assert open_note(sign_note("hello\n", name, sk), vkey) == "hello\n"


@pytest.mark.parametrize("body", ["", "no newline", "a\x00b\n", "tab\there\n"])
def test_sign_rejects_bad_bodies(body):
    with pytest.raises(NoteError):
        sign_note(body, "name", _key())


@pytest.mark.parametrize("name", ["", "has space", "has+plus", "tab\tname", "nbsp\u00a0name"])
def test_bad_key_names(name):
    with pytest.raises(NoteError):
        sign_note("x\n", name, _key())
    with pytest.raises(NoteError):
        verifier_key(name, _key().public_key())


def test_blank_lines_in_text():
    # The text ends at the *last* blank line, so it may contain blank lines itself.
    sk = _key()
    body = "line one\n\nline three\n"
    assert open_note(sign_note(body, "n", sk), verifier_key("n", sk.public_key())) == body


# ---------------------------------------------------------------------------- checkpoints


def test_checkpoint_spec_example_parses():
    body = "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"
    cp = parse_checkpoint(body)
    assert cp == Checkpoint(
        "example.com/behind-the-sofa",
        20852163,
        base64.b64decode("CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I="),
    )
    assert cp.body() == body
    assert checkpoint_body(cp.origin, cp.size, cp.root) == body


def test_checkpoint_body_format():
    root = bytes(range(32))
    assert checkpoint_body("o", 0, root) == "o\n0\n" + base64.b64encode(root).decode() + "\n"
    assert checkpoint_body("o", 5, root, ["ext one"]).endswith("\next one\n")
    assert parse_checkpoint(checkpoint_body("o", 5, root, ["ext one"])).extensions == ("ext one",)
    for args in [("", 1, root), ("a\nb", 1, root), ("o", -1, root), ("o", 1, root[:31]), ("o", True, root)]:
        with pytest.raises(NoteError):
            checkpoint_body(*args)


@pytest.mark.parametrize(
    "body",
    [
        "o\n1\n",  # no root
        "o\n01\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n",  # leading zero
        "o\n+1\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n",
        "o\n\u0661\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n",  # Arabic-Indic digit one
        "o\n99999999999999999999\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n",
        "o\n1\nAAAA\n",  # short root
        "o\n1\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAB=\n",  # non-canonical base64
        "o\n1\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",  # no final newline
        "\n1\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n",  # empty origin
        "o\n1\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n\n",  # empty extension line
    ],
)
def test_bad_checkpoints(body):
    with pytest.raises(NoteError):
        parse_checkpoint(body)


def test_open_checkpoint_with_merkle_root():
    tree = merkle.MerkleTree()
    tree.extend([b"login", b"read", b"export"])
    sk = _key()
    origin = "cityid.example/audit"
    signed = sign_note(checkpoint_body(origin, tree.size, tree.root()), origin, sk)
    vkey = verifier_key(origin, sk.public_key())
    cp = open_checkpoint(signed, vkey, origin=origin)
    assert (cp.size, cp.root) == (3, tree.root())
    assert merkle.verify_inclusion(merkle.leaf_hash(b"read"), 1, cp.size, tree.inclusion_proof(1), cp.root)
    with pytest.raises(NoteError, match="origin"):
        open_checkpoint(signed, vkey, origin="other.example/audit")


# ---------------------------------------------------------------------------- tile paths


@pytest.mark.parametrize(
    ("level", "index", "width", "path"),
    [
        (0, 1234067, None, "tile/0/x001/x234/067"),  # the C2SP tlog-tiles example
        (0, 0, None, "tile/0/000"),
        (0, 5, None, "tile/0/005"),
        (0, 999, None, "tile/0/999"),
        (0, 1000, None, "tile/0/x001/000"),
        (1, 273, 112, "tile/1/273.p/112"),
        (2, 0, 1, "tile/2/000.p/1"),
        (3, 1_000_000, 255, "tile/3/x001/x000/000.p/255"),
        (63, 0, 256, "tile/63/000"),  # width 256 is a full tile
    ],
)
def test_tile_paths(level, index, width, path):
    assert tile_path(level, index, width) == path
    ref = parse_tile_path(path)
    assert ref == TileRef(level, index, width or 256)
    assert ref.path == path
    assert ref.is_partial == (width not in (None, 256))


def test_entry_bundle_paths():
    assert entries_path(1234067) == "tile/entries/x001/x234/067"
    assert entries_path(273, 112) == "tile/entries/273.p/112"
    ref = parse_tile_path("tile/entries/x001/234.p/9")
    assert ref.is_entries and (ref.index, ref.width) == (1234, 9)


@pytest.mark.parametrize(
    "path",
    [
        "tile/0/1",
        "tile/0/0001",
        "tile/0/x000/001",  # non-canonical leading group
        "tile/0/001/002",  # missing x
        "tile/0/x001",  # x on the last element
        "tile/00/000",
        "tile/64/000",
        "tile/-1/000",
        "tile/0/000.p/0",
        "tile/0/000.p/256",
        "tile/0/000.p/012",
        "tile/0/000.p/",
        "/tile/0/000",
        "tile/0/000/",
        "tile/0/x１２３/000",  # fullwidth digits
        "tile/data/000",
    ],
)
def test_bad_tile_paths(path):
    with pytest.raises(ValueError):
        parse_tile_path(path)


@pytest.mark.parametrize(
    ("level", "index", "width"), [(64, 0, None), (-1, 0, None), (0, -1, None), (0, 0, 0)]
)
def test_bad_tile_path_arguments(level, index, width):
    with pytest.raises(ValueError):
        tile_path(level, index, width)


# --- ECDSA P-256 (signature type 0x02), for keys in tokens without Ed25519 --------------------


def _ecdsa_key():
    from cryptography.hazmat.primitives.asymmetric import ec

    return ec.generate_private_key(ec.SECP256R1())


def _ecdsa_sign(private):
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec

    return lambda message: private.sign(message, ec.ECDSA(hashes.SHA256()))


def test_an_ecdsa_note_verifies_with_its_type_0x02_verifier_key():
    from cryptography.hazmat.primitives import serialization

    private = _ecdsa_key()
    der = private.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    vkey = note.verifier_key("log.example/ec", private.public_key())
    assert vkey == note.verifier_key("log.example/ec", der)  # the DER form names the same key
    name, kid, material = vkey.split("+", 2)
    assert name == "log.example/ec" and base64.b64decode(material) == b"\x02" + der
    assert bytes.fromhex(kid) == hashlib.sha256(der).digest()[:4]
    signed = note.sign_note_with("hello\n", "log.example/ec", der, _ecdsa_sign(private))
    assert note.open_note(signed, vkey) == "hello\n"
    assert str(note.parse_verifier_key(vkey)) == vkey
    with pytest.raises(note.NoteError, match="invalid signature"):
        note.open_note(signed.replace("hello", "hallo"), vkey)


def test_ecdsa_and_ed25519_signatures_on_one_note_each_verify():
    skey, ed_vkey = note.generate_signer_key("log.example/ed")
    _, ed_private = note.parse_signer_key(skey)
    private = _ecdsa_key()
    ec_vkey = note.verifier_key("log.example/ec", private.public_key())
    signed = note.sign_note("text\n", "log.example/ed", ed_private)
    signed += note.sign_note_with("text\n", "log.example/ec", private.public_key(), _ecdsa_sign(private)).split(
        "\n\n", 1)[1]
    assert note.open_note(signed, [ed_vkey]) == note.open_note(signed, [ec_vkey]) == "text\n"


def test_ecdsa_verifier_keys_are_checked():
    from cryptography.hazmat.primitives.asymmetric import ec

    vkey = note.verifier_key("log.example/ec", _ecdsa_key().public_key())
    name, kid, material = vkey.split("+", 2)
    with pytest.raises(note.NoteError, match="key ID"):
        note.parse_verifier_key(f"{name}+{'0' * 8}+{material}")
    raw = base64.b64decode(material)
    as_ed25519 = base64.b64encode(b"\x01" + raw[1:]).decode()
    with pytest.raises(note.NoteError):
        note.parse_verifier_key(f"{name}+{kid}+{as_ed25519}")
    with pytest.raises(note.NoteError, match="Ed25519.*ECDSA P-256"):
        note.verifier_key("log.example/ec", ec.generate_private_key(ec.SECP384R1()).public_key())
