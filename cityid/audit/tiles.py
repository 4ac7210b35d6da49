"""Building and reading C2SP tlog-tiles that also carry their inner node levels (pure Python).

A tile ``(L, N)`` holds the nodes of tree level ``8L`` numbered ``256N .. 256N + 255``
(its *width* is how many of them exist so far) and, above them, the complete nodes of
tree levels ``8L + 1 .. 8L + 7`` over the same leaves: sublevel ``r`` holds ``width >> r``
hashes. Stored as one blob, sublevel after sublevel, so that the served tile is the blob's
first ``32 * width`` bytes and any node of any level is one slice away.

:func:`extend` appends leaf hashes to a set of in-memory tiles, computing every node that
becomes complete (about one SHA-256 per leaf), like :func:`cityid.audit.merkle.append_leaves`
but a tile at a time; :func:`node_location` maps an RFC 6962 node ``(level, index)`` to its
tile and slice. The storage layer (``cityid.audit.services``) keeps the tiles in the database.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from cityid.audit.merkle import HASH_SIZE, TILE_HEIGHT, TILE_WIDTH

__all__ = ["Sublevels", "blob", "extend", "node_location", "partial_tile_keys", "sublevel_offset", "unpack"]

#: The hashes of one tile, sublevel 0 (the tile proper) to 7, each a bytearray.
Sublevels = list[bytearray]

_sha256 = hashlib.sha256
_NODE = b"\x01"


def sublevel_offset(width: int, sublevel: int) -> int:
    """Byte offset of ``sublevel`` in the blob of a tile of ``width`` hashes."""
    return HASH_SIZE * sum(width >> r for r in range(sublevel))


def blob_size(width: int) -> int:
    return sublevel_offset(width, TILE_HEIGHT)


def unpack(width: int, data: bytes) -> Sublevels:
    """Split a stored tile blob into its sublevels (raises ValueError if the length is wrong)."""
    if not 1 <= width <= TILE_WIDTH or len(data) != blob_size(width):
        raise ValueError(f"tile blob of {len(data)} bytes does not hold width {width}")
    out = []
    offset = 0
    for r in range(TILE_HEIGHT):
        n = (width >> r) * HASH_SIZE
        out.append(bytearray(data[offset : offset + n]))
        offset += n
    return out


def blob(sublevels: Sublevels) -> tuple[int, bytes]:
    """``(width, blob)`` of a tile built by :func:`extend`."""
    return len(sublevels[0]) // HASH_SIZE, b"".join(sublevels)


def partial_tile_keys(size: int) -> list[tuple[int, int, int]]:
    """``(L, N, width)`` of the incomplete rightmost tile of each level of a tree of ``size`` leaves.

    These are the only tiles an append changes; full tiles never change again.
    """
    keys = []
    level = 0
    while size >> (TILE_HEIGHT * level):
        count = size >> (TILE_HEIGHT * level)
        if count % TILE_WIDTH:
            keys.append((level, count // TILE_WIDTH, count % TILE_WIDTH))
        level += 1
    return keys


def node_location(level: int, index: int) -> tuple[int, int, int, int]:
    """``(L, N, sublevel, position)`` of RFC 6962 node ``(level, index)`` in the tiles."""
    tile_level, sub = divmod(level, TILE_HEIGHT)
    shift = TILE_HEIGHT - sub
    tile_index = index >> shift
    return tile_level, tile_index, sub, index - (tile_index << shift)


def _fill_sublevels(sublevels: Sublevels) -> bytes | None:
    """Hash every newly complete inner node; return the tile's top node once it is full."""
    sha = _sha256
    prefix = _NODE
    for r in range(1, TILE_HEIGHT):
        src = sublevels[r - 1]
        dst = sublevels[r]
        have = len(dst) // HASH_SIZE
        can = len(src) // (2 * HASH_SIZE)
        if can > have:
            dst += b"".join(
                [sha(prefix + src[o : o + 2 * HASH_SIZE]).digest() for o in range(2 * HASH_SIZE * have,
                                                                                    2 * HASH_SIZE * can,
                                                                                    2 * HASH_SIZE)]
            )
    if len(sublevels[0]) == TILE_WIDTH * HASH_SIZE:
        return sha(prefix + sublevels[TILE_HEIGHT - 1]).digest()
    return None


def extend(
    tiles: dict[tuple[int, int], Sublevels], size: int, leaf_hashes: Sequence[bytes]
) -> tuple[int, set[tuple[int, int]]]:
    """Append ``leaf_hashes`` to a tree of ``size`` leaves held in ``tiles``; return (new size, changed keys).

    ``tiles`` must hold the partial tiles of the tree (:func:`partial_tile_keys`); new tiles
    are added to it. Every node that becomes complete is stored, so after the call ``tiles``
    (with the full tiles already stored elsewhere) hold the whole tree of the new size.
    """
    changed: set[tuple[int, int]] = set()
    new = list(leaf_hashes)
    for h in new:
        if h.__class__ is not bytes or len(h) != HASH_SIZE:
            raise ValueError("leaf hashes must be 32 bytes")
    level = 0
    while new:
        position = size >> (TILE_HEIGHT * level)  # nodes of tree level 8*level before this append
        carry = []
        k = 0
        while k < len(new):
            index, offset = divmod(position, TILE_WIDTH)
            take = min(TILE_WIDTH - offset, len(new) - k)
            key = (level, index)
            sublevels = tiles.get(key)
            if sublevels is None:
                if offset:
                    raise ValueError(f"partial tile {key} is missing")
                sublevels = tiles[key] = [bytearray() for _ in range(TILE_HEIGHT)]
            if len(sublevels[0]) != offset * HASH_SIZE:
                raise ValueError(f"tile {key} holds {len(sublevels[0]) // HASH_SIZE} hashes, expected {offset}")
            sublevels[0] += b"".join(new[k : k + take])
            top = _fill_sublevels(sublevels)
            if top is not None:
                carry.append(top)
            changed.add(key)
            position += take
            k += take
        new = carry
        level += 1
    return size + len(leaf_hashes), changed
