"""The Merkle tree's node hashes as database rows: a read-only :class:`~cityid.audit.merkle.NodeStore`.

Nodes live in :class:`~cityid.audit.models.TreeTile` rows (see :mod:`cityid.audit.tiles`);
:class:`TileStore` fetches all the tiles a proof needs in one query and slices the nodes
out. Only the integrator (``services.integrate``) writes tiles.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from django.db import connection

from cityid.audit import tiles
from cityid.audit.merkle import HASH_SIZE, TILE_HEIGHT, TILE_WIDTH
from cityid.audit.models import TreeTile

_OFFSETS = {}  # (width, sublevel) -> byte offset; widths are 1..256, so this stays small


def _offset(width: int, sublevel: int) -> int:
    key = (width, sublevel)
    value = _OFFSETS.get(key)
    if value is None:
        value = _OFFSETS[key] = tiles.sublevel_offset(width, sublevel)
    return value


def fetch_tiles(keys: Iterable[tuple[int, int]]) -> dict[tuple[int, int], tuple[int, bytes]]:
    """``{(L, N): (width, blob)}`` for the stored tiles among ``keys``, in one query."""
    by_level: dict[int, list[int]] = {}
    for level, index in set(keys):
        by_level.setdefault(level, []).append(index)
    if not by_level:
        return {}
    table = connection.ops.quote_name(TreeTile._meta.db_table)
    qn = connection.ops.quote_name
    clauses = []
    params: list[int] = []
    for level, indexes in by_level.items():
        clauses.append(f"({qn('level')} = %s AND {qn('index')} IN ({', '.join(['%s'] * len(indexes))}))")
        params.append(level)
        params.extend(indexes)
    sql = (
        f"SELECT {qn('level')}, {qn('index')}, {qn('width')}, {qn('nodes')} FROM {table} "
        f"WHERE {' OR '.join(clauses)}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return {(level, index): (width, bytes(data)) for level, index, width, data in cursor.fetchall()}


class TileStore:
    """Read-only node store over the tile rows, caching the tiles it has fetched.

    Use a fresh one per request or transaction: a cached partial tile does not see later growth.
    """

    __slots__ = ("_cache",)

    def __init__(self) -> None:
        self._cache: dict[tuple[int, int], tuple[int, bytes] | None] = {}

    def _load(self, keys: Iterable[tuple[int, int]]) -> None:
        missing = {key for key in keys if key not in self._cache}
        if missing:
            found = fetch_tiles(missing)
            for key in missing:
                self._cache[key] = found.get(key)

    def get_many(self, keys: Sequence[tuple[int, int]]) -> list[bytes]:
        locations = [tiles.node_location(level, index) for level, index in keys]
        self._load((loc[0], loc[1]) for loc in locations)
        out = []
        cache = self._cache
        for key, (tile_level, tile_index, sub, position) in zip(keys, locations, strict=True):
            tile = cache.get((tile_level, tile_index))
            if tile is None or position >= tile[0] >> sub:
                raise KeyError(key)
            offset = _offset(tile[0], sub) + position * HASH_SIZE
            out.append(tile[1][offset : offset + HASH_SIZE])
        return out

    def get(self, level: int, index: int) -> bytes:
        return self.get_many([(level, index)])[0]

    def get_range(self, level: int, start: int, count: int) -> bytes:
        """``count`` consecutive nodes of tree level ``level`` from one tile (what a tile endpoint serves)."""
        tile_level, sub = divmod(level, TILE_HEIGHT)
        span = TILE_WIDTH >> sub
        index, position = divmod(start, span)
        if count < 1 or position + count > span:
            raise KeyError((level, start + count - 1))
        self._load([(tile_level, index)])
        tile = self._cache.get((tile_level, index))
        if tile is None or position + count > tile[0] >> sub:
            raise KeyError((level, start + count - 1))
        offset = _offset(tile[0], sub) + position * HASH_SIZE
        return tile[1][offset : offset + count * HASH_SIZE]

    def put_many(self, nodes: Iterable[tuple[int, int, bytes]]) -> None:
        raise TypeError("the tile store is read-only: append through services.integrate()")
