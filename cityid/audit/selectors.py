"""Reading the audit log: checkpoints, C2SP tlog-tiles, entry bundles, proofs, the verifier key.

Everything here is public: entries hold pseudonymous identifiers only. A read that needs
entries the tree does not hold yet integrates them first (``services.ensure_integrated``).
"""

from __future__ import annotations

import base64
import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any

from django.db import connection
from django.db.models import Q, QuerySet
from django.utils import timezone

from cityid.audit import keys, merkle, note, services
from cityid.audit.merkle import HASH_SIZE, TILE_HEIGHT, TILE_WIDTH
from cityid.audit.models import AuditEntry, Checkpoint
from cityid.audit.store import TileStore


class BadRequest(ValueError):
    """A proof or tile request that cannot be answered; the message says why."""


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def latest_checkpoint() -> Checkpoint | None:
    return Checkpoint.objects.order_by("-size", "-pk").first()


def checkpoint_note() -> str:
    """The latest signed checkpoint, signing a first one if the log has none."""
    latest = latest_checkpoint()
    if latest is None:
        latest = services.make_checkpoint()
    return latest.note


def verifier_key_text() -> str:
    """The verifier key as served: ``name+hash+base64`` and a newline."""
    return keys.verifier_key() + "\n"


def verifier_keys_text() -> str:
    """Every key that has signed this log, one a line, the current one first (older checkpoints)."""
    keys.signer()
    return "".join(vkey + "\n" for vkey in keys.verifier_keys())


def _covering_size(level: int, index: int, width: int) -> int:
    """Smallest tree size in which the first ``width`` hashes of tile ``(level, index)`` exist."""
    return (index * TILE_WIDTH + width) << (TILE_HEIGHT * level)


def tile(level: int, index: int, width: int) -> bytes | None:
    """A hash tile's contents (``width`` hashes), or None if the log does not have them."""
    needed = _covering_size(level, index, width)
    if services.ensure_integrated(needed) < needed:
        return None
    try:
        return merkle.tile_bytes(TileStore(), level, index, width)
    except KeyError:
        return None


def entry_bundle(index: int, width: int) -> bytes | None:
    """An entry bundle: each of ``width`` entries as a big-endian uint16 length and its bytes."""
    start = index * TILE_WIDTH
    if services.ensure_integrated(start + width) < start + width:
        return None
    rows = list(
        AuditEntry.objects.filter(index__gte=start, index__lt=start + width)
        .order_by("index")
        .values_list("index", "entry")
    )
    if [i for i, _ in rows] != list(range(start, start + width)):
        return None
    out = bytearray()
    for _, entry in rows:
        out += len(entry).to_bytes(2, "big")
        out += entry
    return bytes(out)


def parse_count(value: Any, name: str, *, required: bool = True) -> int | None:
    """A non-negative decimal query parameter, or :class:`BadRequest`."""
    if value is None or value == "":
        if required:
            raise BadRequest(f"missing parameter {name!r}")
        return None
    if not isinstance(value, str) or not value.isascii() or not value.isdigit() or len(value) > 19:
        raise BadRequest(f"{name!r} must be a non-negative integer")
    return int(value)


def _available(size: int, name: str) -> None:
    if services.tree_size() >= size:
        return
    current = services.log_size()
    if size > current:
        raise BadRequest(f"{name}={size} is larger than the log ({current} entries)")
    services.integrate()


def _checkpoint_at(size: int) -> str | None:
    found = Checkpoint.objects.filter(size=size).order_by("-pk").values_list("note", flat=True).first()
    return found


def inclusion_proof(index: int, size: int | None = None) -> dict[str, Any]:
    """RFC 6962 inclusion proof of entry ``index`` in the tree of ``size`` entries.

    ``size`` defaults to the latest checkpoint if it holds the entry, else to a new checkpoint.
    The answer carries the checkpoint of that size when the log signed one.
    """
    if size is None:
        latest = latest_checkpoint()
        if latest is None or latest.size <= index:
            latest = services.make_checkpoint()
        size = latest.size
    if index >= size:
        raise BadRequest(f"index={index} must be less than size={size}")
    _available(size, "size")
    store = TileStore()
    hashes = merkle.inclusion_proof(store, index, size)
    return {
        "index": index,
        "size": size,
        "leaf_hash": _b64(store.get(0, index)),
        "root": _b64(merkle.root(store, size)),
        "hashes": [_b64(h) for h in hashes],
        "checkpoint": _checkpoint_at(size),
    }


def consistency_proof(old: int, new: int | None = None) -> dict[str, Any]:
    """RFC 6962 consistency proof from the tree of ``old`` entries to that of ``new``.

    ``new`` defaults to the latest checkpoint (signing one if there is none).
    """
    if new is None:
        latest = latest_checkpoint() or services.make_checkpoint()
        new = latest.size
    if old > new:
        raise BadRequest(f"old={old} must not be larger than new={new}")
    _available(new, "new")
    store = TileStore()
    hashes = merkle.consistency_proof(store, old, new)
    return {
        "old": old,
        "new": new,
        "old_root": _b64(merkle.root(store, old)),
        "new_root": _b64(merkle.root(store, new)),
        "hashes": [_b64(h) for h in hashes],
        "checkpoint": _checkpoint_at(new),
    }


def decode_hashes(values: list[str]) -> list[bytes]:
    """The hashes of a proof answer, as bytes (for callers that verify what they serve)."""
    out = [base64.b64decode(v) for v in values]
    if any(len(h) != HASH_SIZE for h in out):
        raise ValueError("proof hash of the wrong length")
    return out


# --------------------------------------------------------------------------- the auditor's pages
#
# Reads for the auditor UI (``/audit/events/...``). They touch the log's own tables and, to
# resolve a staff username to its ``staff:<id>``, the staff accounts: never an applicant table,
# never the vault, so nothing here can decrypt anything.

ACTOR_ID_RE = re.compile(r"^(staff:\d+|system:[\w.\-]+|public)$", re.ASCII)


class UnknownActor(LookupError):
    """An actor given as a username that names no staff account."""


def resolve_actor(text: str) -> str:
    """The pseudonymous actor id for ``text``: an actor id as logged, or a staff username."""
    text = text.strip()
    if ACTOR_ID_RE.fullmatch(text):
        return text
    from django.contrib.auth import get_user_model

    pk = get_user_model().objects.filter(username=text).values_list("pk", flat=True).first()
    if pk is None:
        raise UnknownActor(text)
    return f"staff:{pk}"


def distinct_actions() -> list[str]:
    """Every action the log holds, sorted (the search form's choices).

    A loose index scan: one probe of the ``action`` index per distinct action, so the page stays
    quick however long the log grows (a plain DISTINCT reads the whole index: 43 ms at 1M entries).
    """
    table, action = connection.ops.quote_name(AuditEntry._meta.db_table), connection.ops.quote_name("action")
    sql = (
        f"WITH RECURSIVE seen(action) AS ("
        f" SELECT MIN({action}) FROM {table}"
        f" UNION ALL SELECT (SELECT MIN({action}) FROM {table} WHERE {action} > seen.action)"
        f" FROM seen WHERE seen.action IS NOT NULL"
        f") SELECT action FROM seen WHERE action IS NOT NULL"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return [row[0] for row in cursor.fetchall()]


def _day_start(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def search_events(
    *,
    actor: str = "",
    action: str = "",
    since: dt.date | None = None,
    until: dt.date | None = None,
    target: str = "",
    match: str = "exact",
) -> QuerySet[AuditEntry]:
    """Entries matching every given criterion, newest first (without their bytes).

    ``actor`` is a resolved actor id; ``since`` and ``until`` are days in the current time zone,
    both included; ``target`` is matched against the entry's target as ``match`` says:
    ``exact``, ``contains``, or ``any`` (contained in the target or the purpose, which holds the
    case or subject an event served).
    """
    entries = AuditEntry.objects.defer("entry").order_by("-index")
    if actor:
        entries = entries.filter(actor=actor)
    if action:
        entries = entries.filter(action=action)
    if since is not None:
        entries = entries.filter(at__gte=_day_start(since))
    if until is not None:
        entries = entries.filter(at__lt=_day_start(until + dt.timedelta(days=1)))
    if target:
        if match == "exact":
            entries = entries.filter(target_hash=services.target_hash(target), target=target)
        elif match == "contains":
            entries = entries.filter(target__contains=target)
        elif match == "any":
            entries = entries.filter(Q(target__contains=target) | Q(purpose__contains=target))
        else:
            raise ValueError(f"unknown match {match!r}")
    return entries


def log_status() -> dict[str, Any]:
    """Sizes of the log and its tree, and the latest signed checkpoint."""
    size = services.log_size()
    integrated = services.tree_size()
    latest = latest_checkpoint()
    return {
        "size": size,
        "integrated": integrated,
        "pending": max(size - integrated, 0),
        "checkpoint_size": latest.size if latest else None,
        "checkpoint_created": latest.created if latest else None,
        "behind": size - latest.size if latest else size,
    }


@dataclass
class EventProof:
    """An entry with its inclusion proof against the latest checkpoint, checked here."""

    entry: AuditEntry
    canonical: str
    leaf_hash: bytes
    columns_match: bool
    size: int | None = None
    root: bytes | None = None
    hashes: list[bytes] = field(default_factory=list)
    checkpoint: str | None = None
    signature_ok: bool = False
    size_matches: bool = False
    tree_root_matches: bool = False
    stored_leaf_matches: bool = False
    proof_ok: bool = False
    problem: str = ""

    @property
    def ok(self) -> bool:
        return (self.columns_match and self.signature_ok and self.size_matches and self.tree_root_matches
                and self.stored_leaf_matches and self.proof_ok)

    @property
    def leaf_hash_b64(self) -> str:
        return _b64(self.leaf_hash)

    @property
    def root_b64(self) -> str:
        return _b64(self.root) if self.root is not None else ""

    @property
    def hashes_b64(self) -> list[str]:
        return [_b64(h) for h in self.hashes]


def _columns_match(entry: AuditEntry, raw: bytes) -> bool:
    """Are the searchable columns exactly what the hashed bytes say?"""
    try:
        columns = tuple(getattr(entry, name) for name in ("actor", "role", "action", "target", "purpose", "outcome"))
        return services.entry_bytes(entry.index, services._at_text(entry.at), columns) == raw
    except (ValueError, TypeError, UnicodeEncodeError):
        return False


def event_proof(index: int) -> EventProof | None:
    """Entry ``index`` with its RFC 6962 inclusion proof in the latest checkpoint's tree, verified.

    The leaf hash is recomputed from the entry's bytes, the root is the one the checkpoint signs
    (its signature checked with the log's verifier key), and the proof is checked with
    :func:`cityid.audit.merkle.verify_inclusion`. A checkpoint is signed first when the latest
    one does not cover the entry yet. None if there is no such entry.
    """
    entry = AuditEntry.objects.filter(index=index).first()
    if entry is None:
        return None
    raw = bytes(entry.entry)
    result = EventProof(
        entry=entry,
        canonical=raw.decode("ascii", errors="replace"),
        leaf_hash=merkle.leaf_hash(raw),
        columns_match=_columns_match(entry, raw),
    )
    try:
        answer = inclusion_proof(index)
        result.size = answer["size"]
        result.hashes = decode_hashes(answer["hashes"])
        result.checkpoint = answer["checkpoint"]
        tree_root = base64.b64decode(answer["root"])
        result.stored_leaf_matches = base64.b64decode(answer["leaf_hash"]) == result.leaf_hash
    except (BadRequest, services.LogInconsistent, KeyError, ValueError) as exc:
        result.problem = str(exc) or exc.__class__.__name__
        return result
    if result.checkpoint is None:  # cannot happen: the proof is of a checkpoint's size
        result.problem = f"no signed checkpoint of size {result.size}"
        return result
    try:
        signed = note.open_checkpoint(result.checkpoint, keys.verifier_keys(), origin=keys.origin())
    except note.NoteError as exc:
        result.problem = f"the checkpoint does not verify: {exc}"
        return result
    result.signature_ok = True
    result.size_matches = signed.size == result.size
    result.root = signed.root
    result.tree_root_matches = tree_root == signed.root
    result.proof_ok = merkle.verify_inclusion(result.leaf_hash, index, signed.size, result.hashes, signed.root)
    return result
