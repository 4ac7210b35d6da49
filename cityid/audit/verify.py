"""``cityid audit verify``: recompute the whole log from its stored entries and check everything stored.

Checks, stopping at the first failure (:class:`LogBroken` names the first bad entry index):

* entry indexes run 0, 1, 2 ... with no gap, and match the two heads;
* each entry is JSON whose ``index`` is its row's index, and whose fields are its columns
  (the columns are what auditors search);
* the RFC 6962 tree recomputed from the entries with :func:`cityid.audit.merkle.append_leaves`
  (independently of the tile builder that wrote them) equals every stored node, and the
  stored tiles are exactly the tiles of the integrated tree;
* every stored checkpoint (and any given as text) carries a valid signature by the log's key
  and the root of the recomputed tree at its size.

Read-only: it never integrates, signs or creates a key.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from cityid.audit import keys, merkle, note, tiles
from cityid.audit.merkle import HASH_SIZE, TILE_HEIGHT, TILE_WIDTH
from cityid.audit.models import AuditEntry, Checkpoint, LogHead, TreeHead, TreeTile

COLUMNS = ("actor", "role", "action", "target", "purpose", "outcome")
PREFETCH_TILES = 64


class VerifyError(Exception):
    """The log or one of its checkpoints does not verify."""


class LogBroken(VerifyError):
    def __init__(self, index: int, reason: str) -> None:
        self.index = index
        self.reason = reason
        super().__init__(f"audit log broken at index {index}: {reason}")


@dataclass
class Report:
    entries: int
    tree_size: int
    root: bytes
    checkpoints: int
    roots: dict[int, bytes] = field(default_factory=dict)


class _CheckingStore:
    """Receives the recomputed nodes and compares each with the stored tiles (nothing is kept)."""

    def __init__(self, tree_size: int) -> None:
        self.tree_size = tree_size
        self.tiles: dict[tuple[int, int], tuple[int, bytes] | None] = {}

    def _fetch(self, level: int, index: int) -> tuple[int, bytes] | None:
        key = (level, index)
        if key not in self.tiles:
            for old in [k for k in self.tiles if k[0] == level and k[1] < index]:
                del self.tiles[old]
            rows = TreeTile.objects.filter(level=level, index__gte=index, index__lt=index + PREFETCH_TILES)
            for i in range(index, index + PREFETCH_TILES):
                self.tiles[(level, i)] = None
            for tile_index, width, data in rows.values_list("index", "width", "nodes"):
                data = bytes(data)
                if not 1 <= width <= TILE_WIDTH or len(data) != tiles.blob_size(width):
                    raise LogBroken(
                        (tile_index * TILE_WIDTH) << (TILE_HEIGHT * level),
                        f"stored tile {level}/{tile_index} is malformed ({len(data)} bytes for width {width})",
                    )
                self.tiles[(level, tile_index)] = (width, data)
        return self.tiles[key]

    def put_many(self, nodes: Iterable[tuple[int, int, bytes]]) -> None:
        tree_size = self.tree_size
        for level, index, value in nodes:
            first = index << level
            if first + (1 << level) > tree_size:
                continue  # not integrated yet: nothing stored to compare
            tile_level, tile_index, sub, position = tiles.node_location(level, index)
            tile = self._fetch(tile_level, tile_index)
            if tile is None:
                raise LogBroken(first, f"stored tile {tile_level}/{tile_index} is missing")
            width, data = tile
            if position >= width >> sub:
                raise LogBroken(first, f"stored tile {tile_level}/{tile_index} is too short")
            offset = tiles.sublevel_offset(width, sub) + position * HASH_SIZE
            if data[offset : offset + HASH_SIZE] != value:
                if level == 0:
                    raise LogBroken(first, "the entry's leaf hash differs from the stored tree")
                raise LogBroken(first, f"stored tree node ({level}, {index}) differs from the one the entries give")

    def get(self, level: int, index: int) -> bytes:
        raise KeyError((level, index))


def _fold(border: list[bytes]) -> bytes:
    if not border:
        return merkle.EMPTY_ROOT
    result = border[-1]
    for h in reversed(border[:-1]):
        result = merkle.node_hash(h, result)
    return result


def _check_entry(index: int, entry: bytes, at: dt.datetime, columns: tuple[str, ...]) -> None:
    try:
        fields = json.loads(entry)
    except (ValueError, UnicodeDecodeError):
        raise LogBroken(index, "the entry is not valid JSON") from None
    if not isinstance(fields, dict):
        raise LogBroken(index, "the entry is not a JSON object")
    said = fields.get("index")
    if said.__class__ is not int or said != index:
        raise LogBroken(index, f"the entry's bytes say index {said!r}")
    for name, value in zip(COLUMNS, columns, strict=True):
        if fields.get(name) != value:
            raise LogBroken(index, f"column {name!r} does not match the entry")
    try:
        signed_at = dt.datetime.fromisoformat(fields.get("at"))
    except (TypeError, ValueError):
        raise LogBroken(index, "the entry's time is malformed") from None
    if signed_at != at:
        raise LogBroken(index, "column 'at' does not match the entry")


def _check_tiles(tree_size: int) -> None:
    """The stored tiles are exactly those of the tree of ``tree_size`` leaves (no more, no fewer)."""
    expected = {}
    level = 0
    while tree_size >> (TILE_HEIGHT * level):
        count = tree_size >> (TILE_HEIGHT * level)
        for index in range((count + TILE_WIDTH - 1) // TILE_WIDTH):
            expected[(level, index)] = merkle.tile_width(level, index, tree_size)
        level += 1
    problems = []
    for tile_level, tile_index, width in TreeTile.objects.values_list("level", "index", "width").iterator(4096):
        want = expected.pop((tile_level, tile_index), 0)
        if want != width:
            problems.append((((tile_index * TILE_WIDTH + min(want, width)) << (TILE_HEIGHT * tile_level)),
                             f"stored tile {tile_level}/{tile_index} is {width} hashes wide; "
                             f"the tree of {tree_size} entries has {want}"))
    for tile_level, tile_index in expected:
        problems.append(((tile_index * TILE_WIDTH) << (TILE_HEIGHT * tile_level),
                         f"stored tile {tile_level}/{tile_index} is missing"))
    if problems:
        raise LogBroken(*min(problems))


def verify_log(
    *,
    progress: Callable[[int], None] | None = None,
    checkpoints: Iterable[tuple[str, str]] = (),
    chunk: int = 10_000,
) -> Report:
    """Verify the whole log; raise :class:`VerifyError` (usually :class:`LogBroken`) on the first problem.

    ``checkpoints`` adds signed checkpoint notes from elsewhere, as ``(label, text)`` (e.g. one
    a witness kept): each must verify and match the recomputed tree at its size.
    """
    log_size = LogHead.objects.filter(pk=1).values_list("size", flat=True).first() or 0
    tree_size = TreeHead.objects.filter(pk=1).values_list("size", flat=True).first() or 0
    stored = list(Checkpoint.objects.order_by("size", "pk"))
    notes = [(f"checkpoint #{cp.pk}", cp.note, cp) for cp in stored]
    notes += [(label, text, None) for label, text in checkpoints]
    opened = []
    if notes:
        try:
            vkey = keys.verifier_key(create=False)
        except FileNotFoundError as exc:
            raise VerifyError(f"cannot check the checkpoints: {exc}") from None
        for label, text, row in notes:
            try:
                signed = note.open_checkpoint(text, vkey, origin=keys.origin())
            except note.NoteError as exc:
                raise VerifyError(f"{label} does not verify with the log's key: {exc}") from None
            if row is not None and (signed.size != row.size or signed.root != bytes(row.root)):
                raise VerifyError(f"{label}: its size or root column differs from its signed note")
            opened.append((label, signed))
    capture = sorted({signed.size for _, signed in opened} | {tree_size})
    roots: dict[int, bytes] = {0: merkle.EMPTY_ROOT}

    checker = _CheckingStore(tree_size)
    border: list[bytes] = []
    count = 0
    sha = hashlib.sha256
    query = AuditEntry.objects.order_by("index").values_list(
        "index", "entry", "at", *COLUMNS
    )
    last = None
    while True:
        rows = list((query if last is None else query.filter(index__gt=last))[:chunk])
        if not rows:
            break
        hashes = []
        for index, entry, at, *columns in rows:
            if index != count + len(hashes):
                raise LogBroken(count + len(hashes), f"the entry is missing (the next stored one is {index})")
            entry = bytes(entry)
            _check_entry(index, entry, at, columns)
            hashes.append(sha(b"\x00" + entry).digest())
        # Feed the leaves, stopping at each size whose root a checkpoint needs.
        start = 0
        while start < len(hashes):
            stop = len(hashes)
            for size in capture:
                if count < size <= count + stop - start:
                    stop = start + size - count
                    break
            count = merkle.append_leaves(checker, count, hashes[start:stop], border=border)
            start = stop
            if count in capture:
                roots[count] = _fold(border)
        last = rows[-1][0]
        if progress:
            progress(len(rows))

    if count < log_size:
        raise LogBroken(count, f"the entry is missing (the log head says {log_size} entries)")
    if count > log_size:
        raise LogBroken(log_size, f"entries beyond the log head ({log_size}) are stored")
    if tree_size > count:
        raise LogBroken(count, f"the entry is missing (the stored tree holds {tree_size})")
    _check_tiles(tree_size)

    matched: list[int] = []
    for label, signed in sorted(opened, key=lambda item: item[1].size):
        if signed.size > count:
            raise LogBroken(count, f"{label} covers {signed.size} entries but the log holds {count}")
        if roots[signed.size] != signed.root:
            good = max((size for size in matched if size < signed.size), default=0)
            raise LogBroken(
                good,
                f"{label} (size {signed.size}) does not match the root the entries give "
                f"(the entries before {good} match the checkpoints)",
            )
        matched.append(signed.size)
    return Report(entries=count, tree_size=tree_size, root=_fold(border), checkpoints=len(stored), roots=roots)
