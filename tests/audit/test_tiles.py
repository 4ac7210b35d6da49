"""The tile builder (cityid.audit.tiles) against the reference tree of cityid.audit.merkle (no database)."""

from __future__ import annotations

import hashlib
import random

import pytest

from cityid.audit import merkle, tiles
from cityid.audit.merkle import HASH_SIZE, TILE_HEIGHT, MemoryNodeStore


@pytest.fixture(autouse=True)
def isolated_dirs():
    """Pure-Python tests: shadow the Django-settings fixture of tests/conftest.py."""
    yield


def _leaves(n: int, seed: int = 0) -> list[bytes]:
    return [hashlib.sha256(f"{seed}:{i}".encode()).digest() for i in range(n)]


class _Tiles:
    """Read-only node store over in-memory tiles, through the same slicing the database store uses."""

    def __init__(self, built: dict) -> None:
        self.built = built

    def get(self, level: int, index: int) -> bytes:
        tile_level, tile_index, sub, position = tiles.node_location(level, index)
        sublevels = self.built.get((tile_level, tile_index))
        if sublevels is None or position >= len(sublevels[sub]) // HASH_SIZE:
            raise KeyError((level, index))
        width, data = tiles.blob(sublevels)
        offset = tiles.sublevel_offset(width, sub) + position * HASH_SIZE
        return data[offset : offset + HASH_SIZE]

    def put_many(self, nodes):
        raise TypeError


def _assert_same_tree(built: dict, reference: MemoryNodeStore, size: int) -> None:
    for (tile_level, tile_index), sublevels in built.items():
        width = merkle.tile_width(tile_level, tile_index, size)
        assert len(sublevels[0]) == width * HASH_SIZE, (tile_level, tile_index)
        for sub in range(TILE_HEIGHT):
            count = width >> sub
            level = TILE_HEIGHT * tile_level + sub
            start = tile_index * (merkle.TILE_WIDTH >> sub)
            expected = reference.get_range(level, start, count) if count else b""
            assert bytes(sublevels[sub]) == expected, (tile_level, tile_index, sub)
    store = _Tiles(built)
    assert merkle.root(store, size) == merkle.root(reference, size)


def test_incremental_batches_match_the_reference_tree_across_tile_levels():
    rng = random.Random(4)
    leaves = _leaves(66_000)  # past 65,536: a level-2 tile appears
    reference = MemoryNodeStore()
    merkle.append_leaves(reference, 0, leaves)
    built: dict = {}
    size = 0
    checkpoints = [1, 2, 255, 256, 257, 511, 512, 4097, 65_535, 65_536, 65_537, 66_000]
    while size < len(leaves):
        target = min(len(leaves), size + rng.choice([1, 3, 200, 256, 1000, 9000]))
        for mark in checkpoints:
            if size < mark < target:
                target = mark
        partial = {key: built[key] for key in ((lv, ix) for lv, ix, _ in tiles.partial_tile_keys(size))}
        assert set(partial) <= set(built)
        size, _ = tiles.extend(built, size, leaves[size:target])
        if size in checkpoints:
            _assert_same_tree(built, reference, size)
    assert (2, 0) in built


def test_every_small_size_gives_the_reference_root_and_proofs():
    leaves = _leaves(700, seed=1)
    built: dict = {}
    for size in range(1, 701):
        tiles.extend(built, size - 1, [leaves[size - 1]])
        store = _Tiles(built)
        assert merkle.root(store, size) == merkle.root_from_leaf_hashes(leaves[:size])
        if size % 37 == 0:
            for index in (0, size // 2, size - 1):
                proof = merkle.inclusion_proof(store, index, size)
                assert merkle.verify_inclusion(leaves[index], index, size, proof, merkle.root(store, size))


def test_extend_refuses_a_missing_partial_tile():
    built: dict = {}
    tiles.extend(built, 0, _leaves(10))
    del built[(0, 0)]
    with pytest.raises(ValueError, match="partial tile"):
        tiles.extend(built, 10, _leaves(1))


def test_blob_round_trip_and_partial_keys():
    built: dict = {}
    tiles.extend(built, 0, _leaves(300))
    width, data = tiles.blob(built[(0, 1)])
    assert width == 44 and len(data) == tiles.blob_size(44)
    assert tiles.unpack(width, data) == built[(0, 1)]
    with pytest.raises(ValueError):
        tiles.unpack(45, data)
    assert tiles.partial_tile_keys(300) == [(0, 1, 44), (1, 0, 1)]
    assert tiles.partial_tile_keys(256) == [(1, 0, 1)]
    assert tiles.partial_tile_keys(0) == []
