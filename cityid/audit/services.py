"""Writing the audit log: appending entries, integrating them into the Merkle tree, signing checkpoints.

Three steps, as in Trillian/Tessera:

1. **Append** (:func:`record_event`, :func:`append_entries`): inside the caller's transaction,
   take the next index from :class:`LogHead` (one ``UPDATE ... RETURNING`` that also locks the
   row until the transaction ends, so indexes are consecutive and gap-free) and insert the
   entry. An event that commits is logged; one that rolls back is not, and neither is its index.
2. **Integrate** (:func:`integrate`): hash the committed entries the tree does not hold yet,
   in batches, into the tile rows. Serialised by locking :class:`TreeHead` (``SELECT ... FOR
   UPDATE`` on PostgreSQL, the IMMEDIATE write transaction on SQLite), never the append head,
   so it does not hold up the transactions that record events. Called before a checkpoint, a
   proof or a tile is produced, and by ``cityid audit integrate``.
3. **Checkpoint** (:func:`make_checkpoint`): integrate, then sign the tree head as a C2SP
   checkpoint after checking it is consistent with the latest stored one.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
from collections.abc import Iterable
from typing import Any, NamedTuple

from django.contrib.auth.models import AnonymousUser
from django.db import connection, transaction
from django.db.models import CharField, Max
from django.utils import timezone

from cityid.audit import keys, merkle, note, tiles
from cityid.audit.models import AuditEntry, Checkpoint, LogHead, TreeHead, TreeTile
from cityid.audit.store import TileStore, fetch_tiles
from cityid.core.actors import Actor
from cityid.core.errors import CityidError

SYSTEM_ACTOR = "system:operator"

#: Entries hashed per integrator transaction.
INTEGRATE_BATCH = 10_000

#: The entry columns besides ``index`` and ``entry``, with their defaults; each is also a key
#: of the canonical entry.
ENTRY_FIELDS = ("at", "actor", "role", "action", "target", "purpose", "outcome")
_STRING_FIELDS = ("actor", "role", "action", "target", "purpose", "outcome")


def _max_length(name: str) -> int:
    field = AuditEntry._meta.get_field(name)
    if not isinstance(field, CharField) or field.max_length is None:
        raise TypeError(f"AuditEntry.{name} must be a CharField with a max_length")
    return field.max_length


_LIMITS = tuple(_max_length(name) for name in _STRING_FIELDS)

_ITEM_KEYS = frozenset(ENTRY_FIELDS)
_ENCODER = json.JSONEncoder(separators=(",", ":"), sort_keys=True, ensure_ascii=True)
_UTC = dt.UTC


class LogInconsistent(CityidError):
    """The log's tree does not extend its latest checkpoint (or its stored state is damaged)."""


def actor_ref(user: Actor | AnonymousUser | None) -> tuple[str, str]:
    """The pseudonymous actor id and role of a user (or the host operator for ``None``)."""
    if user is None:
        return SYSTEM_ACTOR, "operator"
    if not getattr(user, "is_authenticated", False):
        return "public", "public"
    return f"staff:{user.pk}", getattr(user, "role", "") or "none"


def target_hash(target: str) -> int:
    """The signed 64-bit BLAKE2b of an entry's target: the indexed key of exact searches by record id."""
    return int.from_bytes(hashlib.blake2b(target.encode(), digest_size=8).digest(), "big", signed=True)


def canonical_entry(fields: dict[str, Any]) -> bytes:
    """The bytes hashed into the tree: compact JSON, sorted keys, ASCII only."""
    return _ENCODER.encode(fields).encode()


# --------------------------------------------------------------------------- appending


def _reserve(count: int) -> int:
    """Take the next ``count`` indexes; return the first.

    The ``UPDATE`` locks the head row until the caller's transaction ends: a concurrent
    appender waits, then sees the committed size (or the old one if this transaction rolls back).
    """
    qn = connection.ops.quote_name
    size = qn("size")
    sql = f"UPDATE {qn(LogHead._meta.db_table)} SET {size} = {size} + %s WHERE id = 1 RETURNING {size}"
    with connection.cursor() as cursor:
        cursor.execute(sql, [count])
        row = cursor.fetchone()
        if row is None:  # a fresh or flushed database: create the head, then take it
            last = AuditEntry.objects.aggregate(last=Max("index"))["last"]
            LogHead.objects.get_or_create(pk=1, defaults={"size": 0 if last is None else last + 1})
            cursor.execute(sql, [count])
            row = cursor.fetchone()
    return row[0] - count


_escape = json.encoder.encode_basestring_ascii  # what the canonical encoder uses for strings


def _at_text(at: dt.datetime, *, legacy: bool = False) -> str:
    """An entry's time as its bytes hold it: whole seconds, UTC (``legacy``: the microseconds that
    entries logged before salted commitments carry)."""
    if timezone.is_naive(at):
        raise ValueError("audit entry times must be timezone-aware")
    return at.astimezone(_UTC).isoformat(timespec="microseconds" if legacy else "seconds")


def _entry_time(at: dt.datetime) -> dt.datetime:
    """An event's time as logged: to the second. The index already orders events, and a microsecond
    stamp would be a near-unique value to match against other records' times."""
    return at.replace(microsecond=0)


def new_salts(count: int) -> list[bytes]:
    """``count`` fresh random salts of ``merkle.SALT_SIZE`` bytes (one read of the OS's random source)."""
    size = merkle.SALT_SIZE
    pool = os.urandom(size * count)
    return [pool[k : k + size] for k in range(0, size * count, size)]


def _columns(values: dict[str, Any]) -> tuple[str, ...]:
    """The string columns of an entry, checked (before any write, so a bad call breaks no transaction)."""
    get = values.get
    columns: tuple[Any, ...] = (get("actor"), get("role", ""), get("action"), get("target", ""), get("purpose", ""),
               get("outcome", "ok"))
    try:
        "".join(columns)  # the quickest check that every column is a string
        fits = all(map(int.__ge__, _LIMITS, map(len, columns)))
    except TypeError:
        fits = False
    if not fits:
        _reject(columns)
    return columns


def _reject(columns: tuple[Any, ...]) -> None:
    if columns[0] is None or columns[2] is None:
        raise ValueError("an audit entry needs an actor and an action")
    for name, value, limit in zip(_STRING_FIELDS, columns, _LIMITS, strict=True):
        if not isinstance(value, str) or len(value) > limit:
            raise ValueError(f"audit entry field {name!r} must be a string of at most {limit} characters")


def entry_bytes(index: int, at_text: str, columns: tuple[str, ...]) -> bytes:
    """The canonical entry: byte for byte ``canonical_entry`` of the same fields.

    Written out rather than through the JSON encoder because bulk appends spend most of their
    Python time here; ``tests/audit`` checks both give the same bytes. The column lengths keep
    an entry far below the 65,535 bytes an entry bundle allows.
    """
    actor, role, action, target, purpose, outcome = columns
    return (
        f'{{"action":{_escape(action)},"actor":{_escape(actor)},"at":"{at_text}","index":{index:d},'
        f'"outcome":{_escape(outcome)},"purpose":{_escape(purpose)},"role":{_escape(role)},'
        f'"target":{_escape(target)}}}'
    ).encode("ascii")


_INSERT_COLUMNS = ("index", *ENTRY_FIELDS, "target_hash", "entry", "salt")
_COPY_TYPES = ("int8", "timestamptz", *["varchar"] * len(_STRING_FIELDS), "int8", "bytea", "bytea")


def _insert_rows(rows: list[tuple[Any, ...]], db_table: str | None = None) -> None:
    """Insert entry rows (``_INSERT_COLUMNS``): ``COPY`` on PostgreSQL, one prepared ``INSERT`` elsewhere.

    PostgreSQL runs a multi-row ``executemany`` statement by statement, three to four times
    slower than ``COPY`` for a batch of thousands. ``db_table``: a table of the same shape instead
    (``cityid bench`` times the bare insert there).
    """
    qn = connection.ops.quote_name
    table = qn(db_table or AuditEntry._meta.db_table)
    columns = ", ".join(map(qn, _INSERT_COLUMNS))
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN (FORMAT BINARY)") as copy:
                copy.set_types(_COPY_TYPES)
                write = copy.write_row
                for row in rows:
                    write(row)
        else:
            placeholders = ", ".join(["%s"] * len(_INSERT_COLUMNS))
            cursor.executemany(f"INSERT INTO {table} ({columns}) VALUES ({placeholders})", rows)


def record_event(
    *,
    actor: Actor | AnonymousUser | None,
    action: str,
    target: str = "",
    purpose: str = "",
    outcome: str = "ok",
    actor_id: str | None = None,
) -> AuditEntry:
    """Append one event. ``target`` and ``purpose`` must be pseudonymous (ids, never names).

    Two queries inside the caller's transaction (take the index, insert the entry); the
    tree is built later by :func:`integrate`.
    """
    ref, role = actor_ref(actor)
    if actor_id is not None:
        ref = actor_id
    columns = _columns({"actor": ref, "role": role, "action": action, "target": target, "purpose": purpose,
                        "outcome": outcome})
    salt = new_salts(1)[0]
    with transaction.atomic(savepoint=False):
        index = _reserve(1)
        at = _entry_time(timezone.now())
        entry = entry_bytes(index, _at_text(at), columns)
        return AuditEntry.objects.create(
            index=index, at=at, actor=ref, role=role, action=action, target=target,
            target_hash=target_hash(target), purpose=purpose, outcome=outcome, entry=entry, salt=salt,
        )


class Appended(NamedTuple):
    """What :func:`append_entries` wrote: indexes ``start .. start + len(entries) - 1``, with their salts."""

    start: int
    entries: list[bytes]
    salts: list[bytes] = []

    @property
    def stop(self) -> int:
        return self.start + len(self.entries)


def append_entries(items: Iterable[dict[str, Any]]) -> Appended:
    """Append many entries at once, in the caller's transaction (bulk imports, benchmarks).

    Each item is a dict of ``actor`` and ``action`` (required), ``role``, ``target``,
    ``purpose``, ``outcome`` (strings) and ``at`` (an aware datetime, logged to the second;
    default now). Values must already be pseudonymous. Each entry gets a fresh random salt.
    Two statements whatever the count: one ``UPDATE`` of the head and one multi-row ``INSERT``.
    """
    items = list(items)
    if not items:
        return Appended(0, [], [])
    now = timezone.now()
    ops = connection.ops
    times: dict[dt.datetime, tuple[str, Any]] = {}  # at -> (entry text, database value), computed once each
    prepared = []
    for item in items:
        if not _ITEM_KEYS.issuperset(item):
            raise ValueError(f"unknown audit entry field(s): {', '.join(sorted(item.keys() - _ITEM_KEYS))}")
        at = item.get("at") or now
        known = times.get(at)
        if known is None:
            logged = _entry_time(at)
            known = times[at] = (_at_text(logged), ops.adapt_datetimefield_value(logged))
        prepared.append((known, _columns(item)))
    rows = []
    entries = []
    salts = new_salts(len(items))
    with transaction.atomic(savepoint=False):
        start = _reserve(len(items))
        for index, (((at_text, at_value), columns), salt) in enumerate(zip(prepared, salts, strict=True), start):
            entry = entry_bytes(index, at_text, columns)
            entries.append(entry)
            rows.append((index, at_value, *columns, target_hash(columns[3]), entry, salt))
        _insert_rows(rows)
    return Appended(start, entries, salts)


# --------------------------------------------------------------------------- integrating


def _locked_tree_head() -> TreeHead:
    head = TreeHead.objects.select_for_update().filter(pk=1).first()
    if head is None:
        TreeHead.objects.get_or_create(pk=1, defaults={"size": 0})
        head = TreeHead.objects.select_for_update().get(pk=1)
    return head


def log_size() -> int:
    """Entries appended and committed (as this transaction sees them)."""
    return LogHead.objects.filter(pk=1).values_list("size", flat=True).first() or 0


def tree_size() -> int:
    """Entries hashed into the stored tree."""
    return TreeHead.objects.filter(pk=1).values_list("size", flat=True).first() or 0


def _load_partial_tiles(size: int) -> dict[tuple[int, int], tiles.Sublevels]:
    wanted = tiles.partial_tile_keys(size)
    found = fetch_tiles((level, index) for level, index, _ in wanted)
    out = {}
    for level, index, width in wanted:
        stored = found.get((level, index))
        if stored is None or stored[0] != width:
            if stored is None:
                raise LogInconsistent("tile_missing", tile=f"{level}/{index}", size=size, width=width)
            raise LogInconsistent("tile_width", tile=f"{level}/{index}", have=stored[0], size=size, width=width)
        try:
            out[(level, index)] = tiles.unpack(width, stored[1])
        except ValueError as exc:
            raise LogInconsistent("tile_malformed", tile=f"{level}/{index}", reason=str(exc)) from None
    return out


def _integrate_batch(batch: int) -> tuple[int, int]:
    """Hash up to ``batch`` pending entries into the tiles; return (tree size, entries added)."""
    with transaction.atomic():
        head = _locked_tree_head()
        size = head.size
        qn = connection.ops.quote_name
        on_server = connection.vendor == "postgresql"
        # PostgreSQL hashes the leaves itself (merkle.entry_leaf_hash with its sha256(): 0x00 || the
        # salted commitment, or 0x00 || entry for an entry logged before salts), sending 32 bytes an
        # entry instead of entry and salt. `audit verify` still recomputes every leaf from the entries
        # and salts in Python, so nothing rests on the server's hashing.
        entry, salt = qn("entry"), qn("salt")
        if on_server:
            selected = (f"CASE WHEN octet_length({salt}) = 0 THEN sha256(decode('00', 'hex') || {entry}) "
                        f"ELSE sha256(decode('00', 'hex') || sha256({salt} || {entry})) END")
        else:
            selected = f"{entry}, {salt}"
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT {qn('index')}, {selected} FROM {qn(AuditEntry._meta.db_table)} "
                f"WHERE {qn('index')} >= %s ORDER BY {qn('index')} LIMIT %s",
                [size, batch],
            )
            rows = cursor.fetchall()
        hashes: list[bytes] = []
        sha = hashlib.sha256  # merkle.entry_leaf_hash, inlined (a bad salt is for `audit verify` to report)
        for row in rows:
            if row[0] != size + len(hashes):  # not committed yet (or a gap that `audit verify` reports)
                break
            if on_server:
                hashes.append(bytes(row[1]))
            elif row[2]:
                hashes.append(sha(b"\x00" + sha(row[2] + row[1]).digest()).digest())
            else:
                hashes.append(sha(b"\x00" + row[1]).digest())
        if not hashes:
            return size, 0
        partial = _load_partial_tiles(size)
        existing = set(partial)
        built = dict(partial)
        new_size, changed = tiles.extend(built, size, hashes)
        created = []
        for key in sorted(changed):
            width, data = tiles.blob(built[key])
            if key in existing:
                TreeTile.objects.filter(level=key[0], index=key[1]).update(width=width, nodes=data)
            else:
                created.append(TreeTile(level=key[0], index=key[1], width=width, nodes=data))
        TreeTile.objects.bulk_create(created, batch_size=500)
        head.size = new_size
        head.save(update_fields=["size"])
    return new_size, len(hashes)


def integrate(*, batch: int = INTEGRATE_BATCH, progress: Any = None) -> int:
    """Hash every committed entry not yet in the tree into the tiles; return the tree size.

    Each batch is its own transaction, so a long backlog does not hold the lock for long.
    ``progress(n)`` is called after each batch with the number of entries added.
    """
    while True:
        size, added = _integrate_batch(batch)
        if added and progress:
            progress(added)
        if added < batch:
            return size


def ensure_integrated(size: int) -> int:
    """Integrate if the tree holds fewer than ``size`` entries; return the tree size."""
    current = tree_size()
    if current < size and log_size() > current:
        current = integrate()
    return current


# --------------------------------------------------------------------------- checkpoints


def tree_root(size: int, store: TileStore | None = None) -> bytes:
    """RFC 6962 root of the first ``size`` entries, from the stored tiles."""
    return merkle.root(store or TileStore(), size)


def make_checkpoint() -> Checkpoint:
    """Integrate, then sign and store a checkpoint of the whole tree; return it.

    Refuses (:class:`LogInconsistent`) unless the latest stored checkpoint verifies and the
    tree extends it (RFC 6962 consistency proof). If the tree has not grown, returns the
    latest checkpoint instead of storing an identical one.
    """
    integrate()
    signer = keys.signer()
    vkeys = keys.verifier_keys()
    origin = keys.origin()
    with transaction.atomic():
        head = _locked_tree_head()  # one checkpointer at a time, and no integration meanwhile
        size = head.size
        store = TileStore()
        try:
            root = tree_root(size, store)
        except KeyError as exc:
            raise LogInconsistent("node_missing", node=str(exc)) from None
        latest = Checkpoint.objects.order_by("-size", "-pk").first()
        if latest is not None:
            try:
                signed = note.open_checkpoint(latest.note, vkeys, origin=origin)
            except note.NoteError as exc:
                raise LogInconsistent("checkpoint_signature", checkpoint=latest.pk, reason=exc) from None
            if signed.size != latest.size or signed.root != bytes(latest.root):
                raise LogInconsistent("checkpoint_columns", checkpoint=latest.pk)
            if signed.size > size:
                raise LogInconsistent("checkpoint_beyond_tree", checkpoint=latest.pk, signed=signed.size, size=size)
            proof = merkle.consistency_proof(store, signed.size, size)
            if not merkle.verify_consistency(signed.size, size, signed.root, root, proof):
                raise LogInconsistent("not_consistent", checkpoint=latest.pk, signed=signed.size, size=size)
            if signed.size == size:
                return latest
        text = note.sign_note_with(note.checkpoint_body(origin, size, root), origin, signer.public_key(), signer.sign)
        return Checkpoint.objects.create(size=size, root=root, note=text)


def record_events(events: list[dict[str, Any]]) -> None:
    """Append several events, each given as the keyword arguments of :func:`record_event`, at once."""
    items = []
    for event in events:
        ref, role = actor_ref(event.get("actor"))
        if event.get("actor_id") is not None:
            ref = event["actor_id"]
        items.append(
            {"actor": ref, "role": role, "action": event["action"], "target": event.get("target", ""),
             "purpose": event.get("purpose", ""), "outcome": event.get("outcome", "ok")}
        )
    append_entries(items)
