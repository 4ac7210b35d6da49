"""``cityid audit verify``: recompute the whole log from its stored entries and check everything stored.

Checks, stopping at the first failure (:class:`LogBroken` names the first bad entry index):

* entry indexes run 0, 1, 2 ... with no gap, and match the two heads;
* each entry is JSON whose ``index`` is its row's index, and whose fields are its columns
  (the columns are what auditors search), and its ``target_hash`` is the hash of its target;
* each entry has a 32-byte salt, except a first run of entries logged before salted
  commitments (leaf form 0, empty salt): an unsalted entry after a salted one is refused;
* the RFC 6962 tree recomputed from the entries' salted commitments
  (:func:`cityid.audit.merkle.entry_leaf_hash`) with :func:`cityid.audit.merkle.append_leaves`
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
from typing import Any

from django.db import connection
from django.db.models import Max, Subquery
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from cityid.audit import keys, merkle, note, services, tiles
from cityid.audit.merkle import HASH_SIZE, TILE_HEIGHT, TILE_WIDTH
from cityid.audit.models import AuditEntry, Checkpoint, LogHead, TreeHead, TreeTile
from cityid.core.errors import CityidError

COLUMNS = ("actor", "role", "action", "target", "purpose", "outcome")
PREFETCH_TILES = 64


class VerifyError(CityidError):
    """The log or one of its checkpoints does not verify."""


class LogBroken(VerifyError):
    """The first bad entry: ``index``, and the reason as a code with its params."""

    def __init__(self, index: int, code: str, /, **params: Any) -> None:
        self.index = index
        super().__init__(code, index=index, **params)


@dataclass
class Report:
    entries: int
    tree_size: int
    root: bytes
    checkpoints: int
    roots: dict[int, bytes] = field(default_factory=dict)


_OFFSETS = [[tiles.sublevel_offset(width, sub) for sub in range(TILE_HEIGHT)] for width in range(TILE_WIDTH + 1)]


class _CheckingStore:
    """Receives the recomputed interior nodes and compares each with the stored tiles (nothing is kept).

    Leaf hashes (level 0) are compared a chunk at a time by :func:`verify_log` instead.
    """

    def __init__(self, tree_size: int) -> None:
        self.tree_size = tree_size
        self.tiles: dict[tuple[int, int], tuple[int, bytes] | None] = {}

    def fetch(self, level: int, index: int) -> tuple[int, bytes] | None:
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
                    raise LogBroken((tile_index * TILE_WIDTH) << (TILE_HEIGHT * level), "tile_malformed",
                                    tile=f"{level}/{tile_index}", size=len(data), width=width)
                self.tiles[(level, tile_index)] = (width, data)
        return self.tiles[key]

    def put_many(self, nodes: Iterable[tuple[int, int, bytes]]) -> None:
        tree_size = self.tree_size
        cache = self.tiles
        for level, index, value in nodes:
            if not level or (index + 1) << level > tree_size:
                continue  # a leaf (checked elsewhere), or not integrated yet: nothing stored to compare
            tile_level = level >> 3
            sub = level & 7
            tile_index = index >> (TILE_HEIGHT - sub)
            tile = cache.get((tile_level, tile_index)) or self.fetch(tile_level, tile_index)
            position = index - (tile_index << (TILE_HEIGHT - sub))
            if tile is None or position >= tile[0] >> sub:
                raise LogBroken(index << level, "tile_short", tile=f"{tile_level}/{tile_index}")
            offset = _OFFSETS[tile[0]][sub] + position * HASH_SIZE
            if tile[1][offset : offset + HASH_SIZE] != value:
                raise LogBroken(index << level, "node_differs", node=f"({level}, {index})")

    def check_leaves(self, start: int, hashes: list[bytes]) -> None:
        """Compare recomputed leaf hashes ``start ..`` with the level-0 tiles (integrated part only)."""
        end = min(start + len(hashes), self.tree_size)
        position = start
        while position < end:
            tile_index, offset = divmod(position, TILE_WIDTH)
            stop = min(end, (tile_index + 1) * TILE_WIDTH)
            tile = self.fetch(0, tile_index)
            if tile is None or tile[0] < stop - tile_index * TILE_WIDTH:
                raise LogBroken(position, "tile_short", tile=f"0/{tile_index}")
            stored = tile[1][offset * HASH_SIZE : (stop - tile_index * TILE_WIDTH) * HASH_SIZE]
            mine = hashes[position - start : stop - start]
            if b"".join(mine) != stored:
                for k, h in enumerate(mine):
                    if stored[k * HASH_SIZE : (k + 1) * HASH_SIZE] != h:
                        raise LogBroken(position + k, "leaf_differs")
            position = stop

    def get(self, level: int, index: int) -> bytes:
        raise KeyError((level, index))


def _fold(border: list[bytes]) -> bytes:
    if not border:
        return merkle.EMPTY_ROOT
    result = border[-1]
    for h in reversed(border[:-1]):
        result = merkle.node_hash(h, result)
    return result


def _diagnose_entry(index: int, entry: bytes, at: dt.datetime | None, columns: tuple[str, ...]) -> None:
    """The slow, precise check of an entry that is not byte for byte what its columns give."""
    try:
        fields = json.loads(entry)
    except (ValueError, UnicodeDecodeError):
        raise LogBroken(index, "not_json") from None
    if not isinstance(fields, dict):
        raise LogBroken(index, "not_object")
    said = fields.get("index")
    if said.__class__ is not int or said != index:
        raise LogBroken(index, "wrong_index", said=repr(said))
    for name, value in zip(COLUMNS, columns, strict=True):
        if fields.get(name) != value:
            raise LogBroken(index, "column_differs", column=name)
    try:
        signed_at = dt.datetime.fromisoformat(fields.get("at"))
    except (TypeError, ValueError):
        raise LogBroken(index, "bad_time") from None
    if signed_at != at:
        raise LogBroken(index, "column_differs", column="at")
    if set(fields) != {"index", "at", *COLUMNS} or services.canonical_entry(fields) != entry:
        raise LogBroken(index, "not_canonical")


class _Entries:
    """Reads entries in index order, a chunk per query, with their columns, without ORM overhead."""

    def __init__(self) -> None:
        qn = connection.ops.quote_name
        at = qn("at")
        if connection.vendor == "sqlite":
            # The stored text ("YYYY-MM-DD HH:MM:SS[.ffffff]", naive UTC unless the database has a
            # TIME_ZONE setting), skipping the per-row datetime parsing of Django's converter.
            at = f"CAST({at} AS TEXT)"
        names = ", ".join([qn("index"), qn("entry"), at, qn("target_hash"), qn("salt"), *(qn(c) for c in COLUMNS)])
        table = qn(AuditEntry._meta.db_table)
        self.sql = f"SELECT {names} FROM {table} WHERE {qn('index')} >= %s ORDER BY {qn('index')} LIMIT %s"
        self.utc = connection.timezone_name == "UTC"

    def chunk(self, start: int, size: int) -> list[tuple]:
        with connection.cursor() as cursor:
            cursor.execute(self.sql, [start, size])
            return cursor.fetchall()

    def at_text(self, value: Any, legacy: bool) -> str | None:
        """The entry's ``at`` text for a stored value, or None when only the slow path can say.

        Entries hold whole seconds; ``legacy`` entries (logged before salted commitments) microseconds.
        """
        if value.__class__ is str:
            if self.utc and len(value) == (26 if legacy else 19) and value[10] == " ":
                return f"{value[:10]}T{value[11:]}+00:00"
            return None
        if isinstance(value, dt.datetime) and value.tzinfo is not None:
            if not legacy and value.microsecond:
                return None
            return value.astimezone(dt.UTC).isoformat(timespec="microseconds" if legacy else "seconds")
        return None

    def at_value(self, value: Any) -> dt.datetime | None:
        if isinstance(value, str):
            value = parse_datetime(value)
        if isinstance(value, dt.datetime) and value.tzinfo is None:
            value = timezone.make_aware(value, connection.timezone)
        return value


def _check_tiles(verified: int) -> None:
    """The stored tiles are exactly those of the stored tree (no more, no fewer).

    The tile rows and the tree size are read in one statement (one snapshot), since the
    integrator may have grown both since the ``verified`` size was read.
    """
    rows = list(
        TreeTile.objects.annotate(tree=Subquery(TreeHead.objects.filter(pk=1).values("size")[:1]))
        .values_list("level", "index", "width", "tree")
    )
    tree_size = (rows[0][3] or 0) if rows else verified
    if tree_size < verified:
        raise LogBroken(tree_size, "tree_shrank", verified=verified, size=tree_size)
    expected = {}
    level = 0
    while tree_size >> (TILE_HEIGHT * level):
        count = tree_size >> (TILE_HEIGHT * level)
        for index in range((count + TILE_WIDTH - 1) // TILE_WIDTH):
            expected[(level, index)] = merkle.tile_width(level, index, tree_size)
        level += 1
    problems = []
    for tile_level, tile_index, width, _ in rows:
        want = expected.pop((tile_level, tile_index), 0)
        if want != width:
            problems.append((((tile_index * TILE_WIDTH + min(want, width)) << (TILE_HEIGHT * tile_level)),
                             "tile_width", {"tile": f"{tile_level}/{tile_index}", "width": width, "size": tree_size,
                                            "want": want}))
    for tile_level, tile_index in expected:
        problems.append(((tile_index * TILE_WIDTH) << (TILE_HEIGHT * tile_level),
                         "tile_missing", {"tile": f"{tile_level}/{tile_index}"}))
    if problems:
        index, code, params = min(problems, key=lambda problem: problem[:2])
        raise LogBroken(index, code, **params)


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
    # Read in this order so that the snapshot holds under concurrent appends, integration and
    # signing: every checkpoint read is within the tree read, and the tree within the log read.
    # What is appended meanwhile is left for the next run.
    stored = list(Checkpoint.objects.order_by("size", "pk"))
    tree_size = TreeHead.objects.filter(pk=1).values_list("size", flat=True).first() or 0
    log_size = LogHead.objects.filter(pk=1).values_list("size", flat=True).first() or 0
    notes = [(f"checkpoint #{cp.pk}", cp.note, cp) for cp in stored]
    notes += [(label, text, None) for label, text in checkpoints]
    opened = []
    if notes:
        vkeys = keys.verifier_keys()
        if not vkeys:
            raise VerifyError("no_signing_key")
        for label, text, row in notes:
            try:
                signed = note.open_checkpoint(text, vkeys, origin=keys.origin())
            except note.NoteError as exc:
                raise VerifyError("checkpoint_signature", label=label, reason=exc) from None
            if row is not None and (signed.size != row.size or signed.root != bytes(row.root)):
                raise VerifyError("checkpoint_columns", label=label)
            opened.append((label, signed))
    capture = sorted({signed.size for _, signed in opened})
    roots: dict[int, bytes] = {0: merkle.EMPTY_ROOT}

    checker = _CheckingStore(tree_size)
    reader = _Entries()
    encode = services.entry_bytes
    search_key = services.target_hash
    sha = hashlib.sha256  # merkle.entry_leaf_hash, inlined: verify spends most of its time here
    salt_size = merkle.SALT_SIZE
    border: list[bytes] = []
    count = 0
    salted_from: int | None = None  # the first salted entry; no unsalted one may follow it
    while True:
        rows = reader.chunk(count, min(chunk, log_size - count)) if count < log_size else []
        if not rows:
            break
        hashes = []
        at_text = reader.at_text
        for row in rows:
            index = row[0]
            if index != count + len(hashes):
                raise LogBroken(count + len(hashes), "missing_before", next=index)
            entry = bytes(row[1])
            salt = bytes(row[4])
            columns = row[5:]
            if salt:
                if len(salt) != salt_size:
                    raise LogBroken(index, "salt_size", size=len(salt), want=salt_size)
                if salted_from is None:
                    salted_from = index
            elif salted_from is not None:
                raise LogBroken(index, "salt_missing", salted_from=salted_from)
            at = at_text(row[2], not salt)
            if at is None or encode(index, at, columns) != entry:
                _diagnose_entry(index, entry, reader.at_value(row[2]), columns)
            if row[3] != search_key(columns[3]):
                raise LogBroken(index, "target_hash")
            hashes.append(sha(b"\x00" + sha(salt + entry).digest()).digest() if salt else sha(b"\x00" + entry).digest())
        checker.check_leaves(count, hashes)
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
        if progress:
            progress(len(rows))

    if count < log_size:
        raise LogBroken(count, "missing_by_head", size=log_size)
    last = AuditEntry.objects.aggregate(last=Max("index"))["last"]  # before the head: see above
    head_now = LogHead.objects.filter(pk=1).values_list("size", flat=True).first() or 0
    if last is not None and last >= head_now:
        raise LogBroken(head_now, "beyond_head", head=head_now)
    if tree_size > count:
        raise LogBroken(count, "missing_by_tree", size=tree_size)
    _check_tiles(tree_size)

    matched: list[int] = []
    for label, signed in sorted(opened, key=lambda item: item[1].size):
        if signed.size > count:
            raise LogBroken(count, "checkpoint_beyond_log", label=label, size=signed.size, count=count)
        if roots[signed.size] != signed.root:
            good = max((size for size in matched if size < signed.size), default=0)
            raise LogBroken(good, "checkpoint_root", label=label, size=signed.size, good=good)
        matched.append(signed.size)
    return Report(entries=count, tree_size=tree_size, root=_fold(border), checkpoints=len(stored), roots=roots)
