"""The public audit endpoints: checkpoint, hash tiles, proofs, verifier key (no entry bundles).

Everything public is answered against the latest checkpoint the log signed on its schedule;
no public request signs, integrates or shows anything beyond it.
"""

from __future__ import annotations

import base64
import json

import pytest

from cityid.audit import merkle, note, services
from cityid.audit.models import AuditEntry, Checkpoint
from tests.audit.helpers import fill

SIZE = 300  # one full level-0 tile, one partial (44), a partial level-1 tile (1)


@pytest.fixture
def log(db):
    fill(SIZE)
    return services.make_checkpoint()


def _vkey(client) -> str:
    response = client.get("/audit/verifier-key")
    assert response.status_code == 200
    return response.content.decode().strip()


def test_checkpoint_and_verifier_key(client, log, settings):
    response = client.get("/audit/checkpoint")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert "max-age" in response["Cache-Control"] and "public" in response["Cache-Control"]
    assert "immutable" not in response["Cache-Control"]
    key_response = client.get("/audit/verifier-key")
    assert key_response["Content-Type"] == "text/plain; charset=utf-8"
    assert key_response.content.decode().startswith(f"{settings.CITYID_LOG_ORIGIN}+")
    opened = note.open_checkpoint(response.content.decode(), _vkey(client), origin=settings.CITYID_LOG_ORIGIN)
    assert (opened.size, opened.root) == (SIZE, bytes(log.root))
    assert client.post("/audit/checkpoint").status_code == 405


def test_no_checkpoint_is_signed_on_request(client, db, settings):
    fill(3)
    for url in ("/audit/checkpoint", "/audit/verifier-key", "/audit/tile/0/000.p/3"):
        response = client.get(url)
        assert response.status_code == 404, url
        assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert b"signed on a schedule" in client.get("/audit/checkpoint").content
    assert client.get("/audit/proof/inclusion", {"index": 0}).status_code == 404
    assert client.get("/audit/proof/consistency", {"old": 0}).status_code == 404
    assert Checkpoint.objects.count() == 0 and services.tree_size() == 0  # nothing signed, nothing integrated
    services.make_checkpoint()  # the schedule (cron: `cityid audit checkpoint`)
    response = client.get("/audit/checkpoint")
    assert note.open_checkpoint(response.content.decode(), _vkey(client)).size == 3


def test_hash_tiles(client, log):
    leaves = [merkle.leaf_hash(merkle.commitment(bytes(s), bytes(e)))
              for e, s in AuditEntry.objects.values_list("entry", "salt")]
    full = client.get("/audit/tile/0/000")
    assert full.status_code == 200
    assert full["Content-Type"] == "application/octet-stream"
    assert full["Cache-Control"] == "public, max-age=31536000, immutable"
    assert full.content == b"".join(leaves[:256])
    partial = client.get("/audit/tile/0/001.p/44")
    assert partial.status_code == 200 and "immutable" not in partial["Cache-Control"]
    assert partial.content == b"".join(leaves[256:300])
    assert client.get("/audit/tile/0/001.p/10").content == b"".join(leaves[256:266])  # an older width
    level1 = client.get("/audit/tile/1/000.p/1")
    assert level1.content == merkle.root_from_leaf_hashes(leaves[:256])
    for missing in ("/audit/tile/0/001", "/audit/tile/0/001.p/45", "/audit/tile/0/002.p/1", "/audit/tile/1/000",
                    "/audit/tile/2/000.p/1", "/audit/tile/0/x000/001", "/audit/tile/0/1", "/audit/tile/0/000.p/256",
                    "/audit/tile/0/000.p/0", "/audit/tile/64/000", "/audit/tile/"):
        assert client.get(missing).status_code == 404, missing


def test_entry_bundles_are_not_published(client, log):
    for url in ("/audit/tile/entries/000", "/audit/tile/entries/001.p/44", "/audit/tile/entries/001.p/45"):
        response = client.get(url)
        assert response.status_code == 404, url
        assert b"entry contents are for auditors" in response.content
        assert b"personal.read" not in response.content


def test_tiles_stop_at_the_latest_signed_checkpoint(client, log):
    fill(10, prefix="late")
    services.integrate()  # integrated, but not yet signed: not public
    assert client.get("/audit/tile/0/001.p/54").status_code == 404
    assert client.get("/audit/tile/0/001.p/44").status_code == 200
    fill(10, prefix="later")
    assert client.get("/audit/tile/0/001.p/64").status_code == 404
    assert services.tree_size() == SIZE + 10  # a public request integrates nothing
    services.make_checkpoint()
    response = client.get("/audit/tile/0/001.p/64")
    assert response.status_code == 200 and len(response.content) == 64 * 32


def test_inclusion_proof(client, log):
    entry = bytes(AuditEntry.objects.get(index=123).entry)
    response = client.get("/audit/proof/inclusion", {"index": 123, "size": SIZE})
    assert response.status_code == 200 and response["Content-Type"] == "application/json"
    assert "public" in response["Cache-Control"]
    body = response.json()
    hashes = [base64.b64decode(h) for h in body["hashes"]]
    checkpoint = note.open_checkpoint(body["checkpoint"], _vkey(client))
    salt = bytes(AuditEntry.objects.get(index=123).salt)
    leaf = merkle.entry_leaf_hash(entry, salt)
    assert merkle.verify_inclusion(leaf, 123, SIZE, hashes, checkpoint.root)
    assert base64.b64decode(body["leaf_hash"]) == leaf != merkle.leaf_hash(entry)
    # Without a size: the latest checkpoint.
    assert client.get("/audit/proof/inclusion", {"index": 5}).json()["size"] == SIZE
    # At a size no checkpoint has: still a valid proof, against the tree root at that size.
    small = client.get("/audit/proof/inclusion", {"index": 5, "size": 17}).json()
    assert small["checkpoint"] is None
    five = AuditEntry.objects.get(index=5)
    assert merkle.verify_inclusion(merkle.entry_leaf_hash(bytes(five.entry), bytes(five.salt)), 5, 17,
                                   [base64.b64decode(h) for h in small["hashes"]], base64.b64decode(small["root"]))


def test_a_proof_beyond_the_latest_checkpoint_signs_nothing(client, log):
    """Attack (issue 8): `/audit/proof/inclusion?index=999999999` made the server sign a checkpoint on demand."""
    fill(1, prefix="new")
    before = Checkpoint.objects.count()
    for params in ({"index": 999_999_999}, {"index": SIZE}, {"index": 0, "size": SIZE + 1}):
        response = client.get("/audit/proof/inclusion", params)
        assert response.status_code == 404, params
        assert "signed on a schedule" in response.json()["error"]
        assert response["Cache-Control"] == "no-store"
    assert client.get("/audit/proof/consistency", {"old": 1, "new": SIZE + 1}).status_code == 404
    assert Checkpoint.objects.count() == before
    assert services.tree_size() == SIZE


def test_consistency_proof(client, log):
    first = Checkpoint.objects.get()
    fill(77, prefix="more")
    second = services.make_checkpoint()
    response = client.get("/audit/proof/consistency", {"old": SIZE, "new": SIZE + 77})
    assert response.status_code == 200
    body = response.json()
    hashes = [base64.b64decode(h) for h in body["hashes"]]
    assert merkle.verify_consistency(SIZE, SIZE + 77, bytes(first.root), bytes(second.root), hashes)
    assert client.get("/audit/proof/consistency", {"old": 10}).json()["new"] == SIZE + 77


@pytest.mark.parametrize(
    ("url", "params", "message"),
    [
        ("/audit/proof/inclusion", {"index": 20, "size": 10}, "must be less than size"),
        ("/audit/proof/inclusion", {"index": "x", "size": SIZE}, "non-negative integer"),
        ("/audit/proof/inclusion", {"index": "-1", "size": SIZE}, "non-negative integer"),
        ("/audit/proof/inclusion", {"size": SIZE}, "missing parameter 'index'"),
        ("/audit/proof/inclusion", {"index": "9" * 30}, "non-negative integer"),
        ("/audit/proof/consistency", {"old": 20, "new": 10}, "must not be larger"),
        ("/audit/proof/consistency", {"new": 10}, "missing parameter 'old'"),
    ],
)
def test_bad_proof_requests(client, log, url, params, message):
    response = client.get(url, params)
    assert response.status_code == 400
    assert message in json.loads(response.content)["error"]
    assert response["Cache-Control"] == "no-store"


def test_no_login_needed_and_no_session_cookie(client, log):
    for url in ("/audit/checkpoint", "/audit/verifier-key", "/audit/tile/0/000"):
        response = client.get(url)
        assert response.status_code == 200
        assert "sessionid" not in response.cookies
