"""Reading the audit log: checkpoints, C2SP tlog-tiles, entry bundles, proofs, the verifier key.

Everything here is public: entries hold pseudonymous identifiers only. A read that needs
entries the tree does not hold yet integrates them first (``services.ensure_integrated``).
"""

from __future__ import annotations

import base64
from typing import Any

from cityid.audit import keys, merkle, services
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
