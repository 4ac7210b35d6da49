"""Reading the audit log.

Two audiences:

* **the public** (:func:`checkpoint_note`, :func:`verifier_key_text`, :func:`tile`,
  :func:`inclusion_proof`, :func:`consistency_proof`): proofs, not content. Everything is
  answered against the latest checkpoint the log signed on its schedule; nothing here signs,
  integrates or writes, and nothing beyond the latest checkpoint is shown. Hash tiles hold
  salted commitments (``merkle.entry_leaf_hash``), so no published value confirms a guessed
  entry. Entry bundles are not served (see :func:`entry_bundle_refused`).
* **auditors** (``audit.read``: the event pages below) and **a subject** (their own entries,
  :func:`subject_entries`, through the subject-access export): entry contents and salts.
"""

from __future__ import annotations

import base64
import datetime as dt
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.core.paginator import Page, Paginator
from django.db import connection
from django.db.models import Q, QuerySet
from django.utils import timezone

from cityid.audit import keys, merkle, note, services
from cityid.audit.merkle import HASH_SIZE, TILE_HEIGHT, TILE_WIDTH
from cityid.audit.models import AuditEntry, Checkpoint
from cityid.audit.store import TileStore
from cityid.core.errors import CityidError
from cityid.ui.pagination import page_number
from cityid.vault.signers import SigningKeyMissing


class BadRequest(CityidError, ValueError):
    """A proof or tile request that cannot be answered; the message says why (HTTP 400)."""


class NotSigned(BadRequest):
    """A request beyond the latest signed checkpoint (HTTP 404): checkpoints are signed on a schedule,
    never because someone asked."""


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def latest_checkpoint() -> Checkpoint | None:
    return Checkpoint.objects.order_by("-size", "-pk").first()


def checkpoint_note() -> str | None:
    """The latest signed checkpoint, or None if the log has not signed one yet."""
    latest = latest_checkpoint()
    return None if latest is None else latest.note


def verifier_key_text() -> str | None:
    """The verifier key as served (``name+hash+base64`` and a newline), or None before the log has a key."""
    try:
        return keys.verifier_key(create=False) + "\n"
    except SigningKeyMissing:
        return None


def published_size() -> int:
    """The size of the latest signed checkpoint: how much of the log the public can see."""
    latest = Checkpoint.objects.order_by("-size").values_list("size", flat=True).first()
    return latest or 0


def verifier_keys_text() -> str | None:
    """Every key that has signed this log, one a line, the current one first (older checkpoints), or
    None before the log has a key."""
    listed = keys.verifier_keys()
    return "".join(vkey + "\n" for vkey in listed) if listed else None


def _covering_size(level: int, index: int, width: int) -> int:
    """Smallest tree size in which the first ``width`` hashes of tile ``(level, index)`` exist."""
    return (index * TILE_WIDTH + width) << (TILE_HEIGHT * level)


def tile(level: int, index: int, width: int) -> bytes | None:
    """A hash tile's contents (``width`` hashes) within the latest checkpoint's tree, or None."""
    if _covering_size(level, index, width) > published_size():
        return None
    try:
        return merkle.tile_bytes(TileStore(), level, index, width)
    except KeyError:
        return None


ENTRY_BUNDLES_REFUSED = (
    "entry bundles are not published: entry contents are for auditors and, for their own entries, "
    "the people they concern; the hash tiles (tile/0/...) hold every leaf hash"
)


def parse_count(value: Any, name: str, *, required: bool = True) -> int | None:
    """A non-negative decimal query parameter, or :class:`BadRequest`."""
    if value is None or value == "":
        if required:
            raise BadRequest("missing_parameter", name=name)
        return None
    if not isinstance(value, str) or not value.isascii() or not value.isdigit() or len(value) > 19:
        raise BadRequest("not_a_count", name=name)
    return int(value)


def _signed_size(size: int | None, name: str) -> int:
    """``size`` (default: the latest checkpoint's) if the latest signed checkpoint covers it, else NotSigned."""
    published = published_size()
    if published == 0:
        raise NotSigned("nothing_signed")
    if size is None:
        return published
    if size > published:
        raise NotSigned("beyond_checkpoint", name=name, size=size, published=published)
    return size


def _checkpoint_at(size: int) -> str | None:
    found = Checkpoint.objects.filter(size=size).order_by("-pk").values_list("note", flat=True).first()
    return found


def inclusion_proof(index: int, size: int | None = None) -> dict[str, Any]:
    """RFC 6962 inclusion proof of entry ``index`` in the tree of ``size`` entries.

    ``size`` defaults to the latest signed checkpoint; the proof must lie within it
    (:class:`NotSigned` otherwise: nothing is signed on request). The answer carries the
    checkpoint of that size when the log signed one.
    """
    size = _signed_size(size, "size")
    if index >= size:
        if size == published_size():
            raise NotSigned("entry_not_signed", index=index, size=size)
        raise BadRequest("index_beyond_size", index=index, size=size)
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

    ``new`` defaults to the latest signed checkpoint and may not go beyond it.
    """
    new = _signed_size(new, "new")
    if old > new:
        raise BadRequest("old_beyond_new", old=old, new=new)
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


class UnknownActor(CityidError, LookupError):
    """An actor given as a username that names no staff account."""


def resolve_actor(text: str) -> str:
    """The pseudonymous actor id for ``text``: an actor id as logged, or a staff username."""
    text = text.strip()
    if ACTOR_ID_RE.fullmatch(text):
        return text
    from django.contrib.auth import get_user_model

    pk = get_user_model().objects.filter(username=text).values_list("pk", flat=True).first()
    if pk is None:
        raise UnknownActor("unknown_actor", name=text)
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
    if until is not None and until < dt.date.max:
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


def events_page(page: Any, per_page: int, **criteria: Any) -> Page:
    """One page of :func:`search_events`, newest first. Unfiltered, the page count comes from the log's size
    (kept as entries are appended) rather than from counting every entry."""
    paginator = Paginator(search_events(**criteria), per_page)
    if not any(criteria.values()):
        paginator.count = services.log_size()  # the cached_property, set before anything asks it
    return paginator.get_page(page_number(page))


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
    salt: bytes = b""
    commitment: bytes | None = None
    pending: bool = False
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
        legacy = not bytes(entry.salt)
        return services.entry_bytes(entry.index, services._at_text(entry.at, legacy=legacy), columns) == raw
    except (ValueError, TypeError, UnicodeEncodeError):
        return False


def event_proof(index: int) -> EventProof | None:
    """Entry ``index`` with its RFC 6962 inclusion proof in the latest checkpoint's tree, verified.

    The leaf hash is recomputed from the entry's bytes and salt, the root is the one the checkpoint
    signs (its signature checked with the log's verifier key), and the proof is checked with
    :func:`cityid.audit.merkle.verify_inclusion`. An entry the latest checkpoint does not cover
    yet is ``pending`` (nothing is signed here: checkpoints follow their schedule). None if there
    is no such entry.
    """
    entry = AuditEntry.objects.filter(index=index).first()
    if entry is None:
        return None
    raw = bytes(entry.entry)
    salt = bytes(entry.salt)
    try:
        leaf = merkle.entry_leaf_hash(raw, salt)
        commitment = merkle.commitment(salt, raw) if salt else None
    except ValueError:  # a salt of the wrong length: shown as a failed check
        leaf, commitment = merkle.leaf_hash(raw), None
    result = EventProof(
        entry=entry,
        canonical=raw.decode("ascii", errors="replace"),
        leaf_hash=leaf,
        columns_match=_columns_match(entry, raw),
        salt=salt,
        commitment=commitment,
    )
    if index >= published_size():
        result.pending = True
        result.problem = "not in a signed checkpoint yet"
        return result
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


# --------------------------------------------------------------------------- a subject's own entries


def subject_entries(refs: Iterable[str]) -> dict[str, Any]:
    """Every entry whose target is one of a subject's record ids, with what proves it is in the log.

    For the subject-access export (the caller has checked who may ask). Each entry comes with its
    canonical bytes, its salt, the commitment ``SHA-256(salt || entry)``, its leaf hash and, when
    the latest signed checkpoint covers it, an RFC 6962 inclusion proof in that checkpoint; the
    checkpoint's note is given once. With only this and the public verifier key, the subject (or
    anyone they show it to) can check each entry is in the signed log: ``merkle.verify_inclusion``
    of ``entry_leaf_hash(entry, salt)`` against the checkpoint's root.
    """
    refs = sorted(set(refs))
    hashes = [services.target_hash(ref) for ref in refs]
    rows = list(
        AuditEntry.objects.filter(target_hash__in=hashes, target__in=refs)
        .order_by("index")
        .values_list("index", "entry", "salt")
    )
    latest = latest_checkpoint()
    size = latest.size if latest is not None else 0
    store = TileStore()
    out = []
    for index, raw, salt in rows:
        raw, salt = bytes(raw), bytes(salt)
        try:
            leaf = merkle.entry_leaf_hash(raw, salt)
        except ValueError:  # a damaged salt: shown as it is; the proof below will not verify
            leaf = b""
        item: dict[str, Any] = {
            "index": index,
            "entry": raw.decode("ascii", errors="replace"),
            "salt": salt.hex(),
            "commitment": merkle.commitment(salt, raw).hex() if leaf and salt else None,
            "leaf_hash": _b64(leaf),
        }
        if index < size:
            item["inclusion_proof"] = {
                "size": size, "hashes": [_b64(h) for h in merkle.inclusion_proof(store, index, size)],
            }
        else:
            item["inclusion_proof"] = None  # logged after the latest checkpoint: the next one covers it
        out.append(item)
    return {
        "leaf_form": "leaf_hash = SHA-256(0x00 || SHA-256(salt || entry)); an entry without a salt "
                     "(logged before salted commitments): SHA-256(0x00 || entry)",
        "checkpoint": latest.note if latest is not None else None,
        "verifier_key": verifier_key_text() if latest is not None else None,
        "entries": out,
    }


# --- what the owner of the sign-in counts tells the auditor's page (a hook: accounts is above audit) --------

_unknown_sign_ins: Callable[[], dict[str, int]] | None = None


def register_unknown_sign_ins(count: Callable[[], dict[str, int]]) -> None:
    """Install the count of failed sign-ins naming no staff account, ``{"today", "period", "days"}``
    (called in ``ready()`` by the app that keeps the counts)."""
    global _unknown_sign_ins
    _unknown_sign_ins = count


def unknown_sign_ins() -> dict[str, int] | None:
    """The registered counts (None while no app registers them)."""
    return _unknown_sign_ins() if _unknown_sign_ins is not None else None
