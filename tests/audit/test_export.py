"""`cityid audit export DIR`, checked by a minimal verifier written here, independently of the log core.

The verifier below does not import cityid.audit.merkle or cityid.audit.note: it has its own
RFC 6962 hashing, its own C2SP tlog-tiles paths and its own signed-note check on top of
`cryptography`, and reads nothing but the exported files.
"""

from __future__ import annotations

import base64
import hashlib
import json

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from django.core.management import call_command
from django.test import Client

from cityid.audit import services
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


def verify_exported_log(directory) -> tuple[int, bytes]:
    vkey = (directory / "verifier-key").read_text().strip()
    body = open_signed_note((directory / "checkpoint").read_text(), vkey)
    origin, size_text, root_b64 = body.rstrip("\n").split("\n")[:3]
    assert origin == vkey.split("+", 1)[0]
    size, root = int(size_text), base64.b64decode(root_b64)

    leaves: list[bytes] = []
    for index in range((size + 255) // 256):
        width = min(256, size - 256 * index)
        tile = (directory / tile_file("0", index, width)).read_bytes()
        assert len(tile) == 32 * width
        hashes = [tile[i : i + 32] for i in range(0, len(tile), 32)]
        bundle = (directory / tile_file("entries", index, width)).read_bytes()
        entries = []
        while bundle:
            length = int.from_bytes(bundle[:2], "big")
            entries.append(bundle[2 : 2 + length])
            bundle = bundle[2 + length :]
        assert [_sha(b"\x00" + e) for e in entries] == hashes, f"entry bundle {index} vs its tile"
        for position, entry in enumerate(entries):
            assert json.loads(entry)["index"] == 256 * index + position
        leaves += hashes
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
    call_command("audit", "export", str(out))
    size, root = verify_exported_log(out)
    assert size == 1300
    assert (out / "tile/0/005.p/20").is_file() and (out / "tile/1/000.p/5").is_file()
    # Exactly what the HTTP endpoints serve.
    client = Client()
    for relative in ("checkpoint", "verifier-key", "tile/0/000", "tile/0/005.p/20", "tile/1/000.p/5",
                     "tile/entries/003", "tile/entries/005.p/20"):
        response = client.get(f"/audit/{relative}")
        assert response.status_code == 200, relative
        assert response.content == (out / relative).read_bytes(), relative
    # The log grows; a second export keeps the old partial tiles for holders of the old checkpoint.
    fill(300, prefix="later")
    call_command("audit", "export", str(out))
    assert verify_exported_log(out)[0] == 1600
    assert (out / "tile/0/005.p/20").is_file() and (out / "tile/0/006.p/64").is_file()


def test_independent_verifier_catches_a_tampered_export(db, tmp_path):
    fill(300)
    call_command("audit", "export", str(tmp_path))
    verify_exported_log(tmp_path)
    tile = tmp_path / "tile/0/001.p/44"
    data = bytearray(tile.read_bytes())
    data[0] ^= 1
    tile.write_bytes(bytes(data))
    with pytest.raises(AssertionError, match="entry bundle 1"):
        verify_exported_log(tmp_path)


def test_tile_paths_of_the_verifier():
    assert tile_file("0", 1234067, 256) == "tile/0/x001/x234/067"
    assert tile_file("entries", 5, 9) == "tile/entries/005.p/9"
