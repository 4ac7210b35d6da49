"""The public log, checked by a minimal verifier written here, independently of the log core.

The verifier below does not import cityid.audit.merkle or cityid.audit.note: it has its own
RFC 6962 hashing and RFC 9162 proof checks, its own C2SP tlog-tiles paths and its own
signed-note check on top of `cryptography`, and reads only public material: the files of
`cityid audit export DIR` (checkpoint, verifier key, hash tiles: no entry bundles) and the
public proof endpoints. What a subject is given of their own entries is checked the same way
in tests/enrollment/test_subject_audit.py.
"""

from __future__ import annotations

import base64
import hashlib
import io

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from django.core.management import CommandError, call_command
from django.test import Client

from cityid.audit import services
from cityid.audit.models import AuditEntry
from tests.audit.helpers import fill

# ------------------------------------------------------------------ an independent minimal verifier


def _sha(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def mth(leaf_hashes: list[bytes]) -> bytes:
    """RFC 6962 Merkle Tree Hash over leaf hashes, by the RFC's recursive definition."""
    n = len(leaf_hashes)
    if n == 0:
        return _sha(b"")
    if n == 1:
        return leaf_hashes[0]
    k = 1
    while k * 2 < n:
        k *= 2
    return _sha(b"\x01" + mth(leaf_hashes[:k]) + mth(leaf_hashes[k:]))


def tile_file(kind: str, index: int, width: int) -> str:
    """C2SP tlog-tiles path: index in 3-digit groups, all but the last prefixed with x."""
    digits = f"{index:d}"
    digits = "0" * (-len(digits) % 3) + digits
    groups = [digits[i : i + 3] for i in range(0, len(digits), 3)]
    path = "/".join([f"x{g}" for g in groups[:-1]] + [groups[-1]])
    return f"tile/{kind}/{path}" + ("" if width == 256 else f".p/{width}")


def open_signed_note(text: str, vkey: str) -> str:
    """Check a signed note against a `name+hex8+base64(0x01||key)` verifier key; return its body."""
    name, key_hash, key_b64 = vkey.split("+", 2)
    material = base64.b64decode(key_b64)
    assert material[0] == 0x01 and len(material) == 33
    key_id = _sha(name.encode() + b"\n" + material)[:4]
    assert key_id.hex() == key_hash
    body, _, signatures = text.rpartition("\n\n")
    body += "\n"
    for line in signatures.rstrip("\n").split("\n"):
        assert line.startswith("\u2014 ")
        signer, raw = line[2:].split(" ")
        raw = base64.b64decode(raw)
        if signer == name and raw[:4] == key_id:
            try:
                Ed25519PublicKey.from_public_bytes(material[1:]).verify(raw[4:], body.encode())
            except InvalidSignature:
                raise AssertionError("bad checkpoint signature") from None
            return body
    raise AssertionError("no signature by the log's key")


def verify_inclusion(leaf: bytes, index: int, size: int, proof: list[bytes], root: bytes) -> bool:
    """RFC 9162 §2.1.3.2, written out."""
    if index >= size:
        return False
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = _sha(b"\x01" + p + r)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            r = _sha(b"\x01" + r + p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == root


def verify_consistency(old: int, new: int, old_root: bytes, new_root: bytes, proof: list[bytes]) -> bool:
    """RFC 9162 §2.1.4.2, written out."""
    if old == new:
        return old_root == new_root and not proof
    if old == 0 or old > new or not proof:
        return False
    if old & (old - 1) == 0:  # a power of two: the old root is the first node
        proof = [old_root, *proof]
    fn, sn = old - 1, new - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = proof[0]
    for c in proof[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = _sha(b"\x01" + c + fr)
            sr = _sha(b"\x01" + c + sr)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = _sha(b"\x01" + sr + c)
        fn >>= 1
        sn >>= 1
    return fr == old_root and sr == new_root and sn == 0


def open_checkpoint(text: str, vkey: str) -> tuple[int, bytes]:
    body = open_signed_note(text, vkey)
    origin, size_text, root_b64 = body.rstrip("\n").split("\n")[:3]
    assert origin == vkey.split("+", 1)[0]
    return int(size_text), base64.b64decode(root_b64)


def exported_leaves(directory, size: int) -> list[bytes]:
    """The leaf hashes of a tree of ``size`` entries, from the exported level-0 hash tiles."""
    leaves: list[bytes] = []
    for index in range((size + 255) // 256):
        width = min(256, size - 256 * index)
        tile = (directory / tile_file("0", index, width)).read_bytes()
        assert len(tile) == 32 * width
        leaves += [tile[i : i + 32] for i in range(0, len(tile), 32)]
    return leaves


def verify_exported_log(directory) -> tuple[int, bytes]:
    """What anyone holding the export and the verifier key can check: the tiles give the signed root."""
    vkey = (directory / "verifier-key").read_text().strip()
    size, root = open_checkpoint((directory / "checkpoint").read_text(), vkey)
    leaves = exported_leaves(directory, size)
    assert len(leaves) == size
    # Level-1 tiles hold the roots of the full level-0 tiles.
    full = size // 256
    for index in range((full + 255) // 256):
        width = min(256, full - 256 * index)
        tile = (directory / tile_file("1", index, width)).read_bytes()
        expected = b"".join(mth(leaves[256 * k : 256 * (k + 1)]) for k in range(256 * index, 256 * index + width))
        assert tile == expected
    assert mth(leaves) == root, "the tiles do not give the checkpoint's root"
    return size, root


# ------------------------------------------------------------------ the tests


def test_export_verifies_independently(db, tmp_path):
    services.record_event(actor=None, action="export.test")
    fill(1299)
    out = tmp_path / "published"
    with pytest.raises(CommandError, match="no checkpoint has been signed yet"):
        call_command("audit", "export", str(out))  # exporting signs nothing
    call_command("audit", "checkpoint", stdout=io.StringIO())
    call_command("audit", "export", str(out))
    size, root = verify_exported_log(out)
    assert size == 1300
    assert (out / "tile/0/005.p/20").is_file() and (out / "tile/1/000.p/5").is_file()
    assert not (out / "tile" / "entries").exists()  # proofs, not content
    # Exactly what the HTTP endpoints serve.
    client = Client()
    for relative in ("checkpoint", "verifier-key", "tile/0/000", "tile/0/005.p/20", "tile/1/000.p/5"):
        response = client.get(f"/audit/{relative}")
        assert response.status_code == 200, relative
        assert response.content == (out / relative).read_bytes(), relative
    # The log grows; the export follows the schedule's checkpoints, not the log.
    fill(300, prefix="later")
    call_command("audit", "export", str(out))
    assert verify_exported_log(out)[0] == 1300
    call_command("audit", "checkpoint", stdout=io.StringIO())
    call_command("audit", "export", str(out))
    assert verify_exported_log(out)[0] == 1600
    # ... and keeps the old partial tiles for holders of the old checkpoint.
    assert (out / "tile/0/005.p/20").is_file() and (out / "tile/0/006.p/64").is_file()


def test_export_removes_entry_bundles_an_older_version_published(db, tmp_path):
    fill(10)
    stale = tmp_path / "tile" / "entries" / "000.p" / "10"
    stale.parent.mkdir(parents=True)
    stale.write_bytes(b'\x00\x10{"action":"personal.read"}')
    services.make_checkpoint()
    call_command("audit", "export", str(tmp_path))
    assert not (tmp_path / "tile" / "entries").exists()
    verify_exported_log(tmp_path)


def test_independent_verifier_catches_a_tampered_export(db, tmp_path):
    fill(300)
    services.make_checkpoint()
    call_command("audit", "export", str(tmp_path))
    verify_exported_log(tmp_path)
    tile = tmp_path / "tile/0/001.p/44"
    data = bytearray(tile.read_bytes())
    data[0] ^= 1
    tile.write_bytes(bytes(data))
    with pytest.raises(AssertionError, match="the tiles do not give the checkpoint's root"):
        verify_exported_log(tmp_path)


def test_an_outsider_checks_two_checkpoints_are_consistent(db, tmp_path):
    """With only public material (checkpoints, verifier key, tiles, a consistency proof), the log only grew."""
    fill(300)
    services.make_checkpoint()
    client = Client()
    vkey = client.get("/audit/verifier-key").content.decode().strip()
    kept = client.get("/audit/checkpoint").content.decode()  # what a witness keeps
    old_size, old_root = open_checkpoint(kept, vkey)
    fill(333, prefix="later")
    services.make_checkpoint()
    new_size, new_root = open_checkpoint(client.get("/audit/checkpoint").content.decode(), vkey)
    assert (old_size, new_size) == (300, 633)
    body = client.get("/audit/proof/consistency", {"old": old_size}).json()
    proof = [base64.b64decode(h) for h in body["hashes"]]
    assert verify_consistency(old_size, new_size, old_root, new_root, proof)
    assert not verify_consistency(old_size, new_size, _sha(b"forged"), new_root, proof)
    # The same from the static export: the new tree's first 300 leaves give the old root.
    call_command("audit", "export", str(tmp_path))
    leaves = exported_leaves(tmp_path, new_size)
    assert mth(leaves[:old_size]) == old_root and mth(leaves) == new_root
    # And the local verifier accepts the kept checkpoint.
    path = tmp_path / "kept.txt"
    path.write_text(kept)
    out = io.StringIO()
    call_command("audit", "verify", "--checkpoint", str(path), stdout=out)
    assert "audit log OK: 633 entries" in out.getvalue()


def test_a_guessed_entry_matches_no_published_leaf(db, tmp_path):
    """A guess of an entry, byte for byte right, cannot be confirmed from the public tiles."""
    services.record_event(actor=None, action="application.deny", target="application:guess-me")
    fill(20)
    services.make_checkpoint()
    call_command("audit", "export", str(tmp_path))
    size, _ = verify_exported_log(tmp_path)
    published = set(exported_leaves(tmp_path, size))
    entry = AuditEntry.objects.get(index=0)
    guess = bytes(entry.entry)  # the attacker guessed everything, time to the second included
    assert _sha(b"\x00" + guess) not in published
    assert all(_sha(b"\x00" + _sha(salt + guess)) not in published
               for salt in (b"", b"\x00" * 32, b"\xff" * 32))
    # Only with the salt (auditors, the subject) does the entry match its leaf.
    assert _sha(b"\x00" + _sha(bytes(entry.salt) + guess)) in published


def test_tile_paths_of_the_verifier():
    assert tile_file("0", 1234067, 256) == "tile/0/x001/x234/067"
    assert tile_file("entries", 5, 9) == "tile/entries/005.p/9"
