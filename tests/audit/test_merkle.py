"""Tests for cityid.audit.merkle (pure Python, no database).

Known-answer vectors are the RFC 6962 test data used by Certificate Transparency,
Trillian and github.com/transparency-dev/merkle (proof/verify_test.go). The
cross-check against pymerkle covers every tree size 1..2000.
"""

from __future__ import annotations

import hashlib
import random
from functools import lru_cache

import pytest

from cityid.audit import merkle
from cityid.audit.merkle import (
    EMPTY_ROOT,
    MemoryNodeStore,
    MerkleTree,
    NodeStore,
    append_leaves,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    node_hash,
    root,
    root_from_leaf_hashes,
    tile_bytes,
    tile_width,
    verify_consistency,
    verify_inclusion,
)

h = bytes.fromhex


@pytest.fixture(autouse=True)
def isolated_dirs():
    """Pure-Python tests: shadow the Django-settings fixture of tests/conftest.py."""
    yield


# ---------------------------------------------------------------------------- RFC 6962 vectors

LEAVES = [h(x) for x in ("", "00", "10", "2021", "3031", "40414243", "5051525354555657",
                         "606162636465666768696a6b6c6d6e6f")]  # fmt: skip

# ROOTS[n - 1] is the root of the tree of the first n LEAVES.
ROOTS = [
    h("6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"),
    h("fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"),
    h("aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77"),
    h("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"),
    h("4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4"),
    h("76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef"),
    h("ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c"),
    h("5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"),
]

# (0-based leaf index, tree size, audit path). The upstream table is 1-based.
INCLUSION_VECTORS = [
    (0, 1, []),
    (0, 8, [
        h("96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7"),
        h("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
        h("6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"),
    ]),
    (5, 8, [
        h("bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"),
        h("ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0"),
        h("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"),
    ]),
    (2, 3, [
        h("fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"),
    ]),
    (1, 5, [
        h("6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"),
        h("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
        h("bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"),
    ]),
]  # fmt: skip

# (old size, new size, consistency proof)
CONSISTENCY_VECTORS = [
    (1, 1, []),
    (1, 8, [
        h("96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7"),
        h("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
        h("6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"),
    ]),
    (6, 8, [
        h("0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a"),
        h("ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0"),
        h("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"),
    ]),
    (2, 5, [
        h("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
        h("bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"),
    ]),
    (6, 7, [
        h("0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a"),
        h("b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f"),
        h("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"),
    ]),
]  # fmt: skip

SOME_HASH = h("abacaba000000000000000000000000000000000000000000060061e00123456")

LEAF_HASHES = [leaf_hash(x) for x in LEAVES]


def _flip(proof: list[bytes], i: int, bit: int) -> list[bytes]:
    out = list(proof)
    out[i] = bytes([out[i][0] ^ bit]) + out[i][1:]
    return out


def test_primitives():
    assert EMPTY_ROOT == h("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    assert leaf_hash(b"") == ROOTS[0]
    assert leaf_hash(b"x") == hashlib.sha256(b"\x00x").digest()
    assert node_hash(b"a" * 32, b"b" * 32) == hashlib.sha256(b"\x01" + b"a" * 32 + b"b" * 32).digest()
    # The two prefixes keep leaves and nodes apart (second-preimage resistance).
    assert leaf_hash(b"\x01" + LEAF_HASHES[0] + LEAF_HASHES[1]) != node_hash(LEAF_HASHES[0], LEAF_HASHES[1])


@pytest.mark.parametrize("n", range(0, 9))
def test_rfc6962_roots(n):
    want = ROOTS[n - 1] if n else EMPTY_ROOT
    assert root_from_leaf_hashes(LEAF_HASHES[:n]) == want
    assert root(LEAF_HASHES, n) == want
    # Incrementally built store, one append per leaf.
    store = MemoryNodeStore()
    size = 0
    for lh in LEAF_HASHES[:n]:
        size = append_leaves(store, size, [lh])
    assert root(store, n) == want
    tree = MerkleTree()
    tree.extend(LEAVES[:n])
    assert tree.root() == want


def _tree8() -> MerkleTree:
    tree = MerkleTree()
    tree.extend(LEAVES)
    return tree


@pytest.mark.parametrize(("index", "size", "proof"), INCLUSION_VECTORS)
def test_rfc6962_inclusion_vectors(index, size, proof):
    tree = _tree8()
    assert tree.inclusion_proof(index, size) == proof
    assert inclusion_proof(LEAF_HASHES, index, size) == proof
    lh, rt = LEAF_HASHES[index], ROOTS[size - 1]
    assert verify_inclusion(lh, index, size, proof, rt)
    assert merkle.root_from_inclusion_proof(lh, index, size, proof) == rt

    # Port of transparency-dev/merkle corruptInclusionProof: every probe must fail.
    probes = [
        (lh, index - 1, size, proof, rt),
        (lh, index + 1, size, proof, rt),
        (lh, index ^ 2, size, proof, rt),
        (lh, index, size * 2, proof, rt),
        (lh, index, size // 2, proof, rt),
        (b"WrongLeaf", index, size, proof, rt),
        (lh, index, size, proof, EMPTY_ROOT),
        (lh, index, size, proof, SOME_HASH),
        (lh, index, size, [*proof, b""], rt),
        (lh, index, size, [*proof, rt], rt),
        (lh, index, size, [b"", *proof], rt),
        (lh, index, size, [rt, *proof], rt),
    ]
    probes += [(lh, index, size, _flip(proof, i, 8), rt) for i in range(len(proof))]
    if proof:
        probes.append((lh, index, size, proof[:-1], rt))
    if len(proof) > 1:
        probes.append((lh, index, size, [proof[0], SOME_HASH, *proof[1:]], rt))
    for probe in probes:
        assert not verify_inclusion(*probe), probe


@pytest.mark.parametrize(("old", "new", "proof"), CONSISTENCY_VECTORS)
def test_rfc6962_consistency_vectors(old, new, proof):
    tree = _tree8()
    assert tree.consistency_proof(old, new) == proof
    assert consistency_proof(LEAF_HASHES, old, new) == proof
    r1, r2 = ROOTS[old - 1], ROOTS[new - 1]
    assert verify_consistency(old, new, r1, r2, proof)
    if not proof:
        return
    # Port of transparency-dev/merkle corruptConsistencyProof.
    probes = [
        (old - 1, new, r1, r2, proof),
        (old + 1, new, r1, r2, proof),
        (old ^ 2, new, r1, r2, proof),
        (old, new * 2, r1, r2, proof),
        (old, new // 2, r1, r2, proof),
        (old, new, b"WrongRoot", r2, proof),
        (old, new, r1, b"WrongRoot", proof),
        (old, new, SOME_HASH, r2, proof),
        (old, new, r1, SOME_HASH, proof),
        (old, new, r2, r1, proof),
        (old, new, r1, r2, []),
        (old, new, r1, r2, [*proof, b""]),
        (old, new, r1, r2, [*proof, r1]),
        (old, new, r1, r2, [*proof, r2]),
        (old, new, r1, r2, [b"", *proof]),
        (old, new, r1, r2, [r1, *proof]),
        (old, new, r1, r2, [r2, *proof]),
        (old, new, r1, r2, [proof[0], *proof]),
        (old, new, r1, r2, proof[:-1]),
    ]
    probes += [(old, new, r1, r2, _flip(proof, i, 16)) for i in range(len(proof))]
    for probe in probes:
        assert not verify_consistency(*probe), probe


def test_consistency_trivial_cases():
    r = ROOTS[0]
    assert verify_consistency(0, 0, EMPTY_ROOT, EMPTY_ROOT, [])
    assert verify_consistency(0, 5, EMPTY_ROOT, ROOTS[4], [])
    assert verify_consistency(3, 3, ROOTS[2], ROOTS[2], [])
    assert not verify_consistency(0, 5, SOME_HASH, ROOTS[4], [])  # old root must be the empty root
    assert not verify_consistency(0, 5, EMPTY_ROOT, ROOTS[4], [EMPTY_ROOT])
    assert not verify_consistency(1, 1, r, SOME_HASH, [])  # same size, different roots
    assert not verify_consistency(1, 1, r, r, [EMPTY_ROOT])  # same size, non-empty proof
    assert not verify_consistency(2, 1, ROOTS[1], r, [])  # time travel
    assert not verify_consistency(1, 2, r, ROOTS[1], [])  # empty proof
    assert consistency_proof(LEAF_HASHES, 0, 8) == []
    assert consistency_proof(LEAF_HASHES, 8, 8) == []
    with pytest.raises(ValueError):
        consistency_proof(LEAF_HASHES, 5, 4)


def test_inclusion_edge_cases():
    lh = LEAF_HASHES[0]
    assert verify_inclusion(lh, 0, 1, [], lh)
    assert not verify_inclusion(lh, 0, 1, [], SOME_HASH)
    for index, size in [(0, 0), (1, 0), (2, 1), (1, 1), (-1, 1)]:
        assert not verify_inclusion(lh, index, size, [], lh)
    with pytest.raises(ValueError):
        inclusion_proof(LEAF_HASHES, 8, 8)
    with pytest.raises(ValueError):
        inclusion_proof(LEAF_HASHES, -1, 8)
    with pytest.raises(ValueError):
        inclusion_proof(LEAF_HASHES, 0, 9)  # more leaves than given


@pytest.mark.parametrize(
    "bad",
    [None, 5, b"x" * 32, "abc", [None], [b"short"], [bytearray(32)], {"a": 1}],
)
def test_verifiers_never_raise_on_garbage(bad):
    proof = INCLUSION_VECTORS[1][2]
    assert not verify_inclusion(LEAF_HASHES[0], 0, 8, bad, ROOTS[7])
    assert not verify_inclusion(bad, 0, 8, proof, ROOTS[7])
    assert not verify_inclusion(LEAF_HASHES[0], 0, 8, proof, bad)
    assert not verify_inclusion(LEAF_HASHES[0], bad, 8, proof, ROOTS[7])
    assert not verify_consistency(1, 8, ROOTS[0], ROOTS[7], bad)
    assert not verify_consistency(1, 8, bad, ROOTS[7], CONSISTENCY_VECTORS[1][2])
    assert not verify_consistency(bad, 8, ROOTS[0], ROOTS[7], CONSISTENCY_VECTORS[1][2])
    assert not verify_consistency(True, 8, ROOTS[0], ROOTS[7], CONSISTENCY_VECTORS[1][2])


# ---------------------------------------------------------------------------- reference + pymerkle

N = 2000


def _split(n: int) -> int:
    k = 1
    while k * 2 < n:
        k *= 2
    return k


class Reference:
    """RFC 6962 §2.1 written out recursively, straight from the text."""

    def __init__(self, leaf_hashes):
        self.d = leaf_hashes
        self.mth = lru_cache(maxsize=None)(self._mth)

    def _mth(self, a: int, b: int) -> bytes:
        n = b - a
        if n == 0:
            return hashlib.sha256(b"").digest()
        if n == 1:
            return self.d[a]
        k = _split(n)
        return hashlib.sha256(b"\x01" + self.mth(a, a + k) + self.mth(a + k, b)).digest()

    def path(self, m: int, a: int, b: int) -> list[bytes]:
        n = b - a
        if n == 1:
            return []
        k = _split(n)
        if m < k:
            return self.path(m, a, a + k) + [self.mth(a + k, b)]
        return self.path(m - k, a + k, b) + [self.mth(a, a + k)]

    def subproof(self, m: int, a: int, b: int, complete: bool) -> list[bytes]:
        n = b - a
        if m == n:
            return [] if complete else [self.mth(a, b)]
        k = _split(n)
        if m <= k:
            return self.subproof(m, a, a + k, complete) + [self.mth(a + k, b)]
        return self.subproof(m - k, a + k, b, False) + [self.mth(a, a + k)]


@pytest.fixture(scope="module")
def big():
    pymerkle = pytest.importorskip("pymerkle")
    entries = [i.to_bytes(4, "big") + b"cityid" * (i % 3) for i in range(N)]
    pm = pymerkle.InmemoryTree()  # defaults: SHA-256 with RFC 6962 0x00/0x01 prefixes
    for e in entries:
        pm.append_entry(e)
    tree = MerkleTree()
    tree.extend(entries[:777])  # two batches, to exercise resuming from the stored border
    tree.extend(entries[777:])
    leaves = [tree.leaf_hash(i) for i in range(N)]
    assert leaves == [pm.get_leaf(i + 1) for i in range(N)]
    roots = [EMPTY_ROOT] + [pm.get_root(n) for n in range(1, N + 1)]
    return tree, pm, roots, Reference(leaves)


def test_roots_match_pymerkle_every_size(big):
    tree, _pm, roots, ref = big
    for n in range(1, N + 1):
        assert tree.root(n) == roots[n], n
    assert ref.mth(0, N) == roots[N]
    assert root_from_leaf_hashes(tree.leaf_hash(i) for i in range(N)) == roots[N]


def _inclusion_samples():
    rng = random.Random(6962)
    pairs = {(i, n) for n in range(1, 65) for i in range(n)}
    for n in range(65, N + 1):
        pairs.add((rng.randrange(n), n))
        pairs.add((n - 1, n))
    for _ in range(500):
        n = rng.randint(1, N)
        pairs.add((rng.randrange(n), n))
    return sorted(pairs)


def test_inclusion_proofs_match_pymerkle(big):
    tree, pm, roots, ref = big
    rng = random.Random(9162)
    for index, size in _inclusion_samples():
        proof = tree.inclusion_proof(index, size)
        pm_proof = pm.prove_inclusion(index + 1, size)  # pymerkle counts leaves from 1
        assert pm_proof.path[0] == tree.leaf_hash(index)
        assert proof == pm_proof.path[1:], (index, size)
        assert proof == ref.path(index, 0, size)
        lh, rt = tree.leaf_hash(index), roots[size]
        assert verify_inclusion(lh, index, size, proof, rt)
        # Negatives.
        assert not verify_inclusion(lh, index, size, proof, roots[size - 1])
        if index ^ 1 < size:
            assert not verify_inclusion(lh, index ^ 1, size, proof, rt)
            assert not verify_inclusion(tree.leaf_hash(index ^ 1), index, size, proof, rt)
        if proof:
            assert not verify_inclusion(lh, index, size, _flip(proof, rng.randrange(len(proof)), 1), rt)
            assert not verify_inclusion(lh, index, size, proof[:-1], rt)
        assert not verify_inclusion(lh, index, size, [*proof, SOME_HASH], rt)


def _consistency_samples():
    rng = random.Random(2014)
    pairs = {(m, n) for n in range(1, 41) for m in range(1, n + 1)}
    for _ in range(2500):
        n = rng.randint(1, N)
        pairs.add((rng.randint(1, n), n))
    for k in range(11):  # powers of two on either side
        p = 1 << k
        pairs.update({(p, N), (p - 1 or 1, p), (p, p + 1), (p, 2 * p - 1)})
    return sorted((m, n) for m, n in pairs if n <= N)


def test_consistency_proofs_match_reference(big):
    tree, _pm, roots, ref = big
    rng = random.Random(6962)
    for old, new in _consistency_samples():
        proof = tree.consistency_proof(old, new)
        assert proof == ref.subproof(old, 0, new, True), (old, new)
        r1, r2 = roots[old], roots[new]
        assert verify_consistency(old, new, r1, r2, proof), (old, new)
        if old == new:
            continue
        # Negatives.
        assert not verify_consistency(old, new, r2, r1, proof)
        assert not verify_consistency(old, new, SOME_HASH, r2, proof)
        assert not verify_consistency(old, new, r1, SOME_HASH, proof)
        assert not verify_consistency(old, new, r1, r2, _flip(proof, rng.randrange(len(proof)), 1))
        assert not verify_consistency(old, new, r1, r2, proof[:-1])
        assert not verify_consistency(old, new, r1, r2, [*proof, SOME_HASH])
        assert not verify_consistency(old, new, roots[old - 1], r2, proof)


# ---------------------------------------------------------------------------- storage model


def _leaf_hashes(n: int) -> list[bytes]:
    return [leaf_hash(i.to_bytes(8, "big")) for i in range(n)]


def test_store_contents_and_batching():
    hashes = _leaf_hashes(1000)
    one = MemoryNodeStore()
    assert append_leaves(one, 0, hashes) == 1000
    # Every complete node is stored: 2n - popcount(n) nodes in all.
    assert len(one) == 2 * 1000 - bin(1000).count("1")
    assert one.size == 1000
    assert isinstance(one, NodeStore)
    many = MemoryNodeStore()
    size = 0
    for chunk in (hashes[:1], hashes[1:2], hashes[2:255], hashes[255:256], hashes[256:999], hashes[999:]):
        size = append_leaves(many, size, chunk, chunk=7)
    assert size == 1000
    for level in range(11):
        count = one.level_count(level)
        assert count == 1000 >> level
        assert one.get_range(level, 0, count) == many.get_range(level, 0, count)
    # Stored nodes are the perfect subtree roots.
    assert one.get(3, 5) == root_from_leaf_hashes(hashes[40:48])
    assert one.get(9, 0) == root_from_leaf_hashes(hashes[:512])
    with pytest.raises(KeyError):
        one.get(3, 125)
    with pytest.raises(KeyError):
        one.get(40, 0)


def test_store_is_append_only():
    store = MemoryNodeStore()
    store.put_many([(0, 0, SOME_HASH)])
    store.put_many([(0, 0, SOME_HASH)])  # idempotent
    with pytest.raises(ValueError):
        store.put_many([(0, 0, EMPTY_ROOT)])  # rewrite
    with pytest.raises(ValueError):
        store.put_many([(0, 2, EMPTY_ROOT)])  # gap
    with pytest.raises(ValueError):
        store.put_many([(0, 1, b"short")])
    with pytest.raises(ValueError):
        append_leaves(store, 1, [b"short"])


def test_tree_reopened_from_store():
    hashes = _leaf_hashes(300)
    tree = MerkleTree()
    tree.append_leaf_hashes(hashes[:100])
    reopened = MerkleTree(tree.store, 100)
    reopened.append_leaf_hashes(hashes[100:])
    assert reopened.root() == root_from_leaf_hashes(hashes)
    assert MerkleTree(tree.store).size == 300
    assert reopened.append(b"x") == 300
    with pytest.raises(ValueError):
        reopened.root(302)
    with pytest.raises(IndexError):
        reopened.leaf_hash(301)
    # The cached border gives the same root as the store, also after a failed append.
    assert reopened.root() == root(reopened.store, 301)
    with pytest.raises(ValueError):
        reopened.append_leaf_hashes([SOME_HASH, b"short"])
    assert reopened.size == 301
    fresh = MerkleTree(MemoryNodeStore())
    fresh.append_leaf_hashes(hashes)
    fresh.append(b"x")
    assert fresh.root() == reopened.root() == root(fresh.store, 301)
    with pytest.raises(ValueError):
        append_leaves(fresh.store, 301, [SOME_HASH], border=[SOME_HASH])  # 301 has 4 bits set


def test_node_getter_and_sequence_sources():
    hashes = _leaf_hashes(100)
    store = MemoryNodeStore()
    append_leaves(store, 0, hashes)
    getter = store.get  # a bare (level, index) -> bytes callable works too
    for size in (1, 2, 37, 64, 100):
        assert root(getter, size) == root(hashes, size) == root(store, size)
        for index in (0, size // 2, size - 1):
            assert inclusion_proof(getter, index, size) == inclusion_proof(hashes, index, size)
        for old in (1, size // 3 or 1, size):
            assert consistency_proof(getter, old, size) == consistency_proof(hashes, old, size)
    with pytest.raises(TypeError):
        root(b"not leaves", 1)


class CountingStore:
    """Fake store of a huge tree: any node exists; counts lookups."""

    def __init__(self):
        self.lookups = 0

    def get(self, level, index):
        self.lookups += 1
        return hashlib.sha256(f"{level}/{index}".encode()).digest()

    def put_many(self, nodes):
        raise AssertionError("read only")


@pytest.mark.parametrize("size", [2**20, 10**6, 2**40 - 1, 2**62 + 12345, 2**63 - 1])
def test_proofs_need_logarithmic_lookups(size):
    rng = random.Random(size)
    for _ in range(20):
        store = CountingStore()
        index = rng.randrange(size)
        proof = inclusion_proof(store, index, size)
        assert store.lookups <= 2 * 64
        assert len(proof) <= 64
        store = CountingStore()
        old = rng.randrange(1, size)
        proof = consistency_proof(store, old, size)
        assert store.lookups <= 3 * 64
        assert len(proof) <= 2 * 64
    store = CountingStore()
    root(store, size)
    assert store.lookups == bin(size).count("1")


# ---------------------------------------------------------------------------- tiles


def test_tile_widths_spec_example():
    # C2SP tlog-tiles: "a tree of size 70,000 will be represented by 273 full level 0
    # tiles, one partial level 0 tile of width 112, one full level 1 tile, one partial
    # level 1 tile of width 17, and one partial level 2 tile of width 1."
    size = 70_000
    assert [tile_width(0, i, size) for i in (0, 272, 273, 274)] == [256, 256, 112, 0]
    assert [tile_width(1, i, size) for i in (0, 1, 2)] == [256, 17, 0]
    assert [tile_width(2, i, size) for i in (0, 1)] == [1, 0]
    assert tile_width(3, 0, size) == 0
    # "a tree of size 256 will be represented by a full level 0 tile and a partial
    # level 1 tile of width 1."
    assert tile_width(0, 0, 256) == 256
    assert tile_width(0, 1, 256) == 0
    assert tile_width(1, 0, 256) == 1


def test_tile_bytes():
    hashes = _leaf_hashes(70_000)
    tree = MerkleTree()
    tree.append_leaf_hashes(hashes)
    store = tree.store
    assert tile_bytes(store, 0, 0) == b"".join(hashes[:256])
    assert tile_bytes(store, 0, 273, 112) == b"".join(hashes[273 * 256 :])
    level1 = tile_bytes(store, 1, 0)
    assert len(level1) == 8192
    for i in (0, 1, 100, 255):
        assert level1[32 * i : 32 * i + 32] == root_from_leaf_hashes(hashes[256 * i : 256 * (i + 1)])
    level1_partial = tile_bytes(store, 1, 1, 17)
    assert level1_partial[-32:] == root_from_leaf_hashes(hashes[(256 + 16) * 256 : (256 + 17) * 256])
    assert tile_bytes(store, 2, 0, 1) == root_from_leaf_hashes(hashes[: 256 * 256])
    assert tree.tile(1, 1) == level1_partial
    # Generic stores (no get_range) give the same bytes.
    assert tile_bytes(merkle._GetterStore(store.get), 1, 1, 17) == level1_partial
    with pytest.raises(KeyError):
        tile_bytes(store, 0, 273, 113)
    with pytest.raises(KeyError):
        tree.tile(0, 274)
    with pytest.raises(ValueError):
        tile_bytes(store, 0, 0, 0)
    # Full tiles never change as the tree grows; partial tiles are prefixes of them.
    assert tile_bytes(store, 0, 273, 112) == tile_bytes(store, 0, 273, 111) + hashes[-1]
