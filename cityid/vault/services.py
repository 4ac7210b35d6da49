"""Vault writes: create records with their data keys, seal fields, store blobs, index.

Every personal value is sealed under its record's data key before its first write. A data
key exists in plaintext only in memory; in the database it is wrapped by the provider key
named in ``RecordKey.key_id``.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
import unicodedata
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from cityid.core.bulk import update_rows
from cityid.core.errors import CityidError
from cityid.core.files import TEMPORARY_SUFFIX, write_file
from cityid.core.text import clean_text
from cityid.vault import envelope
from cityid.vault.models import BlindIndex, Blob, RecordKey
from cityid.vault.providers import KeyUnavailable, get_provider

if TYPE_CHECKING:
    from django.db.models import ForeignObjectRel

logger = logging.getLogger(__name__)


class RecordDestroyed(CityidError):
    """The record's key is gone: its data can no longer be read by anyone."""


def cohort_for(record_class: str, due_on: date) -> str:
    return f"{record_class}/{due_on:%Y-%m}"


def cohort_key_id(cohort: str) -> str:
    return f"cohort:{cohort}"


@dataclass
class OpenRecord:
    """A record whose data key is in memory, for sealing and opening its values."""

    key: RecordKey
    data_key: bytes

    def seal(self, field: str, plaintext: bytes) -> bytes:
        return envelope.seal(self.data_key, plaintext, self.key.associated_data(field))

    def open(self, field: str, sealed: bytes | memoryview) -> bytes:
        return envelope.open_sealed(self.data_key, sealed, self.key.associated_data(field))

    def seal_json(self, field: str, value: Any) -> bytes:
        return envelope.seal_json(self.data_key, value, self.key.associated_data(field))

    def open_json(self, field: str, sealed: bytes | memoryview) -> Any:
        return envelope.open_json(self.data_key, sealed, self.key.associated_data(field))


def create_records(specs: list[tuple[str, str, date]]) -> list[OpenRecord]:
    """Create records, one per ``(record_class, subject_ref, due_on)``, each with a fresh data key."""
    provider = get_provider()
    opened = []
    for record_class, subject_ref, due_on in specs:
        cohort = cohort_for(record_class, due_on)
        key_id = cohort_key_id(cohort)
        provider.ensure_key(key_id)
        data_key = envelope.new_data_key()
        record_key = RecordKey(
            record_class=record_class,
            subject_ref=subject_ref,
            cohort=cohort,
            key_id=key_id,
            wrapped_key=provider.wrap(key_id, data_key),
            due_on=due_on,
        )
        opened.append(OpenRecord(record_key, data_key))
    RecordKey.objects.bulk_create([record.key for record in opened])
    return opened


def open_record(record_key: RecordKey) -> OpenRecord:
    try:
        data_key = get_provider().unwrap(record_key.key_id, bytes(record_key.wrapped_key))
    except KeyUnavailable as exc:
        raise RecordDestroyed("destroyed", record=str(record_key)) from exc
    return OpenRecord(record_key, data_key)


# --- blobs ------------------------------------------------------------------------------

def blob_path(blob_uuid: uuid.UUID) -> Path:
    name = blob_uuid.hex
    return Path(settings.BLOB_DIR) / name[:2] / name


class _Attempts(threading.local):
    """Per thread: the blob files written by each open ``atomic_with_blobs`` (innermost last).
    Thread-local, so a rollback in one request never removes another request's files."""

    def __init__(self) -> None:
        self.stack: list[list[Path]] = []


_attempts = _Attempts()
_known_dirs: set[Path] = set()


@contextlib.contextmanager
def atomic_with_blobs() -> Iterator[None]:
    """A transaction whose blob files are removed again if it rolls back.

    Blob files are written (and fsynced) before their rows, so a committed row never points
    at nothing. If the transaction fails, the files it wrote are unlinked here; if the process
    dies instead, the files are left as ciphertext under a data key that was never committed
    (unreadable), and ``cityid vault sweep`` removes them.
    """
    written: list[Path] = []
    _attempts.stack.append(written)
    try:
        with transaction.atomic():
            yield
    except BaseException:
        _attempts.stack.pop()
        for path in written:
            path.unlink(missing_ok=True)
        raise
    _attempts.stack.pop()
    if _attempts.stack:  # nested: the outer transaction can still roll these back
        _attempts.stack[-1].extend(written)


def _write_sealed_file(path: Path, sealed: bytes) -> None:
    write_file(path, sealed)


_file_writers = None


def _file_pool() -> Any:
    """The threads that write and unlink blob files: each call waits on the disk (an fsync, or an
    unlink's journal and discard work), not the CPU, so a few at a time overlap."""
    global _file_writers
    if _file_writers is None:
        from concurrent.futures import ThreadPoolExecutor

        _file_writers = ThreadPoolExecutor(max_workers=8, thread_name_prefix="blob-writer")
    return _file_writers


def store_blobs(items: list[tuple[OpenRecord, bytes, str]]) -> list[Blob]:
    """Seal each ``(record, data, content_type)`` into a new blob file; return the unsaved rows.

    Files are written and fsynced before the caller inserts the rows (in bulk, in its transaction),
    several at a time: the writes wait on the disk, not the CPU, so threads overlap them.
    """
    blobs, jobs = [], []
    for record, data, content_type in items:
        blob = Blob(record_key=record.key, content_type=content_type, size=len(data))
        path = blob_path(blob.uuid)
        if path.parent not in _known_dirs:  # 0700, as the data directory: file names are no one else's business
            path.parent.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            path.parent.mkdir(exist_ok=True, mode=0o700)
            _known_dirs.add(path.parent)
        blobs.append(blob)
        jobs.append((path, record.seal(f"blob:{blob.uuid}", data)))
    if len(jobs) > 1:
        pool = _file_pool()
        futures = [pool.submit(_write_sealed_file, path, sealed) for path, sealed in jobs]
        errors = [future.exception() for future in futures]
    else:
        errors = []
        for path, sealed in jobs:
            try:
                _write_sealed_file(path, sealed)
                errors.append(None)
            except OSError as exc:
                errors.append(exc)
    written = [path for (path, _), error in zip(jobs, errors, strict=True) if error is None]
    if _attempts.stack:
        _attempts.stack[-1].extend(written)
    failure = next((error for error in errors if error is not None), None)
    if failure is not None:
        if not _attempts.stack:
            for path in written:
                path.unlink(missing_ok=True)
        raise failure
    return blobs


def read_blob(*, record: OpenRecord, blob: Blob) -> bytes:
    return record.open(f"blob:{blob.uuid}", blob_path(blob.uuid).read_bytes())


def delete_blob_file(blob: Blob) -> None:
    blob_path(blob.uuid).unlink(missing_ok=True)


def delete_blob_files(blob_uuids: list[uuid.UUID]) -> None:
    """Unlink the files of these blobs (missing files are fine), several at a time."""
    root = os.fspath(settings.BLOB_DIR)
    paths = [os.path.join(root, name[:2], name) for name in (blob_uuid.hex for blob_uuid in blob_uuids)]
    if len(paths) > 1:
        for _ in _file_pool().map(_unlink, paths):  # re-raises the first failure
            pass
    else:
        for path in paths:
            _unlink(path)


def _unlink(path: str) -> None:
    with contextlib.suppress(FileNotFoundError):
        os.unlink(path)


def sweep_orphan_blobs(*, older_than_seconds: float = 3600) -> int:
    """Remove blob files that no committed row refers to (left by a crash). Returns the count."""
    import time

    root = Path(settings.BLOB_DIR)
    if not root.exists():
        return 0
    cutoff = time.time() - older_than_seconds
    removed = 0
    for path in root.glob("*/*"):
        try:
            if path.stat().st_mtime > cutoff:
                continue
        except FileNotFoundError:  # removed meanwhile (its transaction rolled back, or a run deleted it)
            continue
        name = path.name.split(".")[0]
        try:
            blob_uuid = uuid.UUID(hex=name)
        except ValueError:
            continue
        if path.suffix == TEMPORARY_SUFFIX or not Blob.objects.filter(uuid=blob_uuid).exists():
            path.unlink(missing_ok=True)
            removed += 1
    return removed


# --- blind indexes ----------------------------------------------------------------------

def normalize_for_index(*parts: str) -> bytes:
    """Case-, accent- and spacing-insensitive form of a search value, blind to invisible, format and
    bidi control characters and to compatibility forms (``cityid.core.text.clean_text``)."""
    out = []
    for part in parts:
        text = unicodedata.normalize("NFKD", clean_text(str(part), keep_joiners=False)).casefold()
        text = "".join(ch for ch in text if not unicodedata.combining(ch))
        out.append(" ".join(text.replace("-", " ").split()))
    return "\x1f".join(out).encode()


def blind_index(*, record: OpenRecord, kind: str, value: bytes) -> BlindIndex:
    """An unsaved blind-index row (insert it with ``BlindIndex.objects.bulk_create``)."""
    digest = get_provider().keyed_hash(record.key.key_id, kind.encode() + b"\x00" + value)
    return BlindIndex(record_key=record.key, kind=kind, digest=digest)


# --- re-wrapping and destruction ---------------------------------------------------------------
# The vault does not know which rows hold a record's ciphertexts or which values its blind
# indexes hash: the apps that keep values in a record register that in their AppConfig (enrollment
# for all three classes; cards for the status-change notes sealed in an applicant's application record).

_indexers: dict[str, Any] = {}
_erasers: dict[str, list[Any]] = {}


def register_record_owner(record_class: str, *, indexer: Any = None, eraser: Any = None) -> None:
    """``indexer(open_records)`` gives, for each of those records in turn, its (kind, value) blind indexes;
    ``eraser(record_key_ids)`` removes the owner's ciphertext columns of those records before their keys'
    rows are deleted. Both are given a batch, so each can read its rows in one query.

    A class has one indexer (registering another replaces it) but any number of erasers: every app that
    seals values under a class's records registers its own, and all of them run."""
    if indexer is not None:
        _indexers[record_class] = indexer
    if eraser is not None:
        erasers = _erasers.setdefault(record_class, [])
        if eraser not in erasers:
            erasers.append(eraser)


# --- who must forget at once: the listeners of key destruction and record moves ---------------------
# An app that keeps something derived from records outside their rows (matching's in-memory candidate index)
# registers here in its AppConfig, so a destroyed key leaves it at once and a moved record (a legal hold, a new
# cohort) follows its key.

_destroyed_listeners: list[Callable[[str], None]] = []
_moved_listeners: list[Callable[[list[RecordKey]], None]] = []


def register_key_listener(
    *, destroyed: Callable[[str], None] | None = None, moved: Callable[[list[RecordKey]], None] | None = None
) -> None:
    """``destroyed(key_id)`` runs right after a provider key is destroyed (:func:`destroy_key`), in the process
    that destroyed it; ``moved(record_keys)`` after re-wrapped records commit, with their new ``key_id``."""
    if destroyed is not None and destroyed not in _destroyed_listeners:
        _destroyed_listeners.append(destroyed)
    if moved is not None and moved not in _moved_listeners:
        _moved_listeners.append(moved)


def destroy_key(key_id: str, *, provider: Any = None) -> None:
    """Destroy a provider key (crypto-shredding every record it wraps), then tell the listeners at once. A
    listener's failure is logged, never undoes the destruction, and does not stop the others."""
    (provider or get_provider()).destroy_key(key_id)
    for listener in list(_destroyed_listeners):
        try:
            listener(key_id)
        except Exception:  # noqa: BLE001 - the key is gone whatever a listener does
            logger.exception("a key-destruction listener failed (%s)", getattr(listener, "__qualname__", "?"))


def _notify_moved(record_keys: list[RecordKey]) -> None:
    for listener in list(_moved_listeners):
        try:
            listener(record_keys)
        except Exception:  # noqa: BLE001 - the move is committed whatever a listener does
            logger.exception("a record-move listener failed (%s)", getattr(listener, "__qualname__", "?"))


class Move(NamedTuple):
    """Where ``rewrap_moves`` puts one record: under ``key_id``, with a new cohort and due date if given."""

    record_key: RecordKey
    key_id: str
    cohort: str | None = None
    due_on: date | None = None


def rewrap(record_key: RecordKey, *, key_id: str, cohort: str | None = None, due_on: date | None = None) -> None:
    """Move one record's data key under another provider key (see ``rewrap_moves``); raises
    ``RecordDestroyed`` if its key is gone, writing nothing."""
    if rewrap_many([record_key], key_id=key_id, cohort=cohort, due_on=due_on):
        raise RecordDestroyed("destroyed", record=str(record_key))


def rewrap_many(
    record_keys: Iterable[RecordKey], *, key_id: str, cohort: str | None = None, due_on: date | None = None
) -> list[RecordKey]:
    """``rewrap_moves`` with the same target for every record. Returns the records found destroyed."""
    return rewrap_moves([Move(record_key, key_id, cohort, due_on) for record_key in record_keys])


def rewrap_moves(moves: Iterable[Move]) -> list[RecordKey]:
    """Move each record's data key under its target provider key (a new cohort, a hold, back again).

    Their blind indexes are recomputed under the new keys, so searches keep finding them and the old
    keys' destruction leaves nothing testable behind. Set-based: one UPDATE statement (executemany) for
    the keys, one DELETE of their old index rows, one query per owner to read what the new rows hash, and
    one bulk insert, in one transaction: the records move together or not at all.

    A record whose data key cannot be unwrapped (its key was destroyed) is left untouched, its rows
    included, and returned; the ``RecordKey`` objects of the others are updated in place.
    """
    moves = list(moves)
    results = get_provider().rewrap_many(
        [(m.record_key.key_id, bytes(m.record_key.wrapped_key), m.key_id) for m in moves]
    )
    records: list[OpenRecord] = []
    destroyed: list[RecordKey] = []
    for move, result in zip(moves, results, strict=True):
        key = move.record_key
        if result is None:
            destroyed.append(key)
            continue
        data_key, key.wrapped_key = result
        key.key_id = move.key_id
        if move.cohort is not None:
            key.cohort = move.cohort
        if move.due_on is not None:
            key.due_on = move.due_on
        records.append(OpenRecord(key, data_key))
    if not records:
        return destroyed
    with transaction.atomic():
        update_rows(RecordKey, ["key_id", "wrapped_key", "cohort", "due_on"], [record.key for record in records])
        BlindIndex.objects.filter(record_key_id__in=[record.key.pk for record in records]).delete()
        BlindIndex.objects.bulk_create(_recomputed_indexes(records))
        if _moved_listeners:
            moved = [record.key for record in records]
            transaction.on_commit(lambda: _notify_moved(moved))
    return destroyed


def reindex(records: list[OpenRecord]) -> None:
    """Recompute the blind indexes of these records from their owners' current values (after the owner
    re-sealed a value in a new normal form), in one transaction."""
    if not records:
        return
    with transaction.atomic():
        BlindIndex.objects.filter(record_key_id__in=[record.key.pk for record in records]).delete()
        BlindIndex.objects.bulk_create(_recomputed_indexes(records))


def _recomputed_indexes(records: list[OpenRecord]) -> list[BlindIndex]:
    by_class: dict[str, list[OpenRecord]] = {}
    for record in records:
        if record.key.record_class in _indexers:
            by_class.setdefault(record.key.record_class, []).append(record)
    rows: list[BlindIndex] = []
    for record_class, members in by_class.items():
        for record, values in zip(members, _indexers[record_class](members), strict=True):
            rows.extend(blind_index(record=record, kind=kind, value=value) for kind, value in values)
    return rows


def delete_records(record_key_ids: list[int]) -> int:
    """Delete records whose keys are destroyed: blob files, then owners' ciphertexts, blobs, indexes, keys.

    Idempotent: deleting again what is already gone does nothing. Returns the number of key rows deleted.
    """
    record_key_ids = list(record_key_ids)
    return _delete_records(RecordKey.objects.filter(id__in=record_key_ids))


def delete_records_of_key(key_id: str, *, limit: int = 10_000) -> int:
    """Delete, as ``delete_records`` does, the ``limit`` lowest-numbered records wrapped by ``key_id``
    (a destroyed key). Returns the size of that batch: 0 once none is left. The statements select the
    rows by key and id range, not by a list of ids, so a large batch stays cheap."""
    ids = list(RecordKey.objects.filter(key_id=key_id).order_by("id").values_list("id", flat=True)[:limit])
    if ids:
        _delete_records(RecordKey.objects.filter(key_id=key_id, id__range=(ids[0], ids[-1])))
    return len(ids)


def _delete_records(keys: Any) -> int:
    delete_blob_files(list(Blob.objects.filter(record_key__in=keys.values("id")).values_list("uuid", flat=True)))
    with transaction.atomic():
        by_class: dict[str, list[int]] = {}
        for key_pk, record_class in keys.values_list("id", "record_class"):
            by_class.setdefault(record_class, []).append(key_pk)
        for record_class, ids in by_class.items():
            for eraser in _erasers.get(record_class, ()):
                eraser(ids)
        # Cascades to the blob rows (clearing references to them), blind indexes and hold memberships,
        # and clears the owners' references to the keys, as RecordKey's foreign keys' on_delete say.
        return _bulk_delete(keys)


def _bulk_delete(queryset: Any) -> int:
    """Delete ``queryset``'s rows as ``QuerySet.delete()`` would, but set-based: each related table's
    CASCADE is a DELETE and each SET_NULL an UPDATE, with the rows chosen by subquery, so nothing is
    loaded into memory. Returns the number of ``queryset``'s own rows deleted.

    Anything the shortcut cannot honour exactly (signal receivers, PROTECT, RESTRICT, SET_DEFAULT,
    SET(), inheritance, generic relations, cycles) goes through Django's collector instead.
    """
    if not _can_bulk_delete(queryset.model, ()):
        _, counts = queryset.delete()
        return counts.get(queryset.model._meta.label, 0)
    return _bulk_delete_rows(queryset)


def _relations_to_delete(opts: Any) -> Iterable[ForeignObjectRel]:
    from django.db.models.deletion import get_candidate_relations_to_delete

    # django-stubs types these as Field; Django yields the reverse relations (ForeignObjectRel).
    return get_candidate_relations_to_delete(opts)  # type: ignore[return-value]


def _can_bulk_delete(model: Any, seen: tuple[Any, ...]) -> bool:
    from django.db.models import CASCADE, DO_NOTHING, SET_NULL, signals

    opts = model._meta
    if model in seen or opts.parents or opts.private_fields or any(
        signal.has_listeners(model) for signal in (signals.pre_delete, signals.post_delete)
    ):
        return False
    if any(field.many_to_many for field in opts.get_fields(include_hidden=True)):
        return False
    for relation in _relations_to_delete(opts):
        if relation.on_delete is CASCADE:
            if not _can_bulk_delete(relation.related_model, (*seen, model)):
                return False
        elif relation.on_delete not in (SET_NULL, DO_NOTHING):
            return False
    return True


def _bulk_delete_rows(queryset: Any) -> int:
    from django.db.models import CASCADE, SET_NULL

    for relation in _relations_to_delete(queryset.model._meta):
        field = relation.field
        referring = relation.related_model._base_manager.filter(
            **{f"{field.attname}__in": queryset.values(field.target_field.attname)}
        )
        if relation.on_delete is CASCADE:
            _bulk_delete_rows(referring)
        elif relation.on_delete is SET_NULL:
            referring.update(**{field.name: None})
    return queryset._raw_delete(queryset.db)


# --- signing keys ----------------------------------------------------------------------------


def _signer_of(key: Any) -> Any:
    from cityid.vault.signers import StoredSigner, get_store

    return StoredSigner(get_store(), key.key_id, bytes(key.public_key), key.algorithm)


def current_signer(*, purpose: str, legacy: Any = None, create: bool = True, algorithm: str | None = None) -> Any:
    """The key that signs for ``purpose`` now (a :class:`cityid.vault.signers.Signer`).

    Made on first use. ``legacy`` names a key file of an older installation (made before keys were
    recorded): the file store adopts its key as the first key; another store records its public half
    as retired, so that what it signed still verifies, and makes a new key. Either way the old file
    is then removed: a signing key sits in one place only. ``algorithm`` forces the algorithm of a key
    made now (``signers.ECDSA_P256`` for card credentials).
    Concurrent first uses agree on one key: labels are ``<purpose>-<n>`` and a store keeps the first
    key made under a label.
    """
    from django.db import IntegrityError

    from cityid.vault.models import SigningKey
    from cityid.vault.signers import ED25519, FileKeyStore, SigningKeyMissing, algorithm_of, get_store

    for _ in range(3):
        key = SigningKey.objects.filter(purpose=purpose, retired_at=None).first()
        if key is not None:
            return _signer_of(key)
        if not create:
            raise SigningKeyMissing("none_yet", purpose=purpose)
        store = get_store()
        old = legacy.read() if legacy else None
        try:
            with transaction.atomic():
                if old is not None:
                    transaction.on_commit(lambda: legacy.path.unlink(missing_ok=True))
                    if not SigningKey.objects.filter(purpose=purpose).exists():
                        adopted = isinstance(store, FileKeyStore)
                        if isinstance(store, FileKeyStore):
                            store.adopt(f"{purpose}-1", old)
                        SigningKey.objects.create(
                            purpose=purpose, key_id=f"{purpose}-1", algorithm=ED25519,
                            public_key=old.public_key().public_bytes_raw(), store=store.name if adopted else "file",
                            retired_at=None if adopted else timezone.now())
                        if adopted:
                            continue
                label = f"{purpose}-{SigningKey.objects.filter(purpose=purpose).count() + 1}"
                public = store.create(label, algorithm) if algorithm else store.create(label)
                SigningKey.objects.create(purpose=purpose, key_id=label, algorithm=algorithm_of(public),
                                          public_key=public, store=store.name)
        except IntegrityError:
            continue  # another process recorded the key first: read theirs
    key = SigningKey.objects.filter(purpose=purpose, retired_at=None).first()
    if key is None:
        raise SigningKeyMissing("not_recorded", purpose=purpose)
    return _signer_of(key)


def rotate_signer(*, purpose: str, algorithm: str | None = None) -> Any:
    """Make a new key for ``purpose`` that signs from now on; retire the old one and destroy its
    private half (its public half stays recorded, so everything it signed still verifies).
    ``algorithm`` forces the new key's algorithm (see :func:`current_signer`)."""
    from cityid.vault.models import SigningKey
    from cityid.vault.signers import algorithm_of, get_store

    store = get_store()
    with transaction.atomic():
        current = SigningKey.objects.select_for_update().filter(purpose=purpose, retired_at=None).first()
        if current is not None:
            current.retired_at = timezone.now()
            current.save(update_fields=["retired_at"])
        label = f"{purpose}-{SigningKey.objects.filter(purpose=purpose).count() + 1}"
        public = store.create(label, algorithm) if algorithm else store.create(label)
        new = SigningKey.objects.create(purpose=purpose, key_id=label, algorithm=algorithm_of(public),
                                        public_key=public, store=store.name)
        if current is not None and current.store == store.name:
            retired = current.key_id
            transaction.on_commit(lambda: store.destroy(retired))
    return _signer_of(new)
# --- secrets that belong to no record ------------------------------------------------------

def seal_with_key(key_id: str, plaintext: bytes, associated_data: bytes) -> bytes:
    """Seal a small secret that belongs to no retention record (a staff authenticator's seed)
    under a fresh data key wrapped by the provider key ``key_id`` (created on first use).

    The result is ``len(wrapped) (2 bytes) ‖ wrapped data key ‖ sealed value``: a copy of the
    database without the provider opens nothing."""
    provider = get_provider()
    provider.ensure_key(key_id)
    data_key = envelope.new_data_key()
    wrapped = provider.wrap(key_id, data_key)
    return len(wrapped).to_bytes(2, "big") + wrapped + envelope.seal(data_key, plaintext, associated_data)


def open_with_key(key_id: str, sealed: bytes, associated_data: bytes) -> bytes:
    """Open what ``seal_with_key`` sealed; ``envelope.SealError`` when it was moved or tampered with."""
    sealed = bytes(sealed)
    size = int.from_bytes(sealed[:2], "big")
    if size == 0 or len(sealed) < 2 + size:
        raise envelope.SealError("not_provider_sealed")
    try:
        data_key = get_provider().unwrap(key_id, sealed[2 : 2 + size])
    except KeyUnavailable as exc:
        raise envelope.SealError("provider_key_unavailable", key=key_id) from exc
    return envelope.open_sealed(data_key, sealed[2 + size :], associated_data)
