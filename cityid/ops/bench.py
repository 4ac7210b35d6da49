"""The benchmark suite behind ``cityid bench``. Each figure sits beside a ceiling measured in
the same run on the same machine, so ratios stay meaningful on a busy or slower host."""

from __future__ import annotations

import functools
import io
import os
import statistics
import time
from collections.abc import Callable
from datetime import date
from typing import Any


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


@functools.cache
def _scan() -> bytes:
    # A real grey JPEG page of about 500 KB (noise: nothing compresses it). Every scan is decoded and
    # re-encoded on entry (cityid/enrollment/uploads.py), so the benchmark pays for that as enrollment does.
    from PIL import Image

    buffer = io.BytesIO()
    Image.effect_noise((900, 1165), 48).convert("L").save(buffer, "JPEG", quality=75)
    return buffer.getvalue()


def _photo() -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.effect_noise((240, 300), 40).convert("RGB").save(buffer, "JPEG", quality=70)
    return buffer.getvalue()


def bench_aes_ceiling(payloads: list[bytes]) -> dict[str, float]:
    """Raw AES-256-GCM over the same bytes an enrollment seals: the machine's ceiling."""
    from cityid.vault import envelope

    key = envelope.new_data_key()
    started = time.perf_counter()
    total = 0
    for payload in payloads:
        envelope.seal(key, payload, b"bench")
        total += len(payload)
    seconds = time.perf_counter() - started
    return {"bytes": total, "seconds": seconds, "mb_per_second": total / seconds / 1e6}


def bench_enrollment(people: int, progress: Callable[[int], None] | None = None) -> dict[str, Any]:
    from cityid.accounts.services import create_staff
    from cityid.enrollment.inputs import DocumentInput, EnrollmentInput
    from cityid.enrollment.services import enroll

    clerk = create_staff(username=f"bench_clerk_{time.time_ns()}", role="clerk").user
    photo = _photo()
    inputs = []
    for index in range(people):
        inputs.append(
            EnrollmentInput(
                given_name=f"Bench{index}",
                family_name="Synthetic",
                date_of_birth=date(1980 + index % 30, 1 + index % 12, 1 + index % 28),
                address={"kind": "residential", "line1": f"{index} Bench St", "line2": "", "city": "Brooklyn",
                         "postcode": "11201", "borough": "brooklyn", "care_of": ""},
                documents=[
                    DocumentInput(type="foreign_passport", number=f"BP{index:08d}", expires=date(2031, 1, 1),
                                  scan=_scan()),
                    DocumentInput(type="utility_bill", number=f"UB{index:08d}", scan=_scan()),
                ],
                submitted_on=date(2026, 11, 2),
                photo=photo,
                languages=["en"],
            )
        )
    payload_bytes = [blob for data in inputs for blob in (data.documents[0].scan, data.documents[1].scan, photo)]
    latencies = []
    started = time.perf_counter()
    for data in inputs:
        t0 = time.perf_counter()
        enroll(data=data, enrolled_by=clerk)
        latencies.append(time.perf_counter() - t0)
        if progress:
            progress(1)
    seconds = time.perf_counter() - started
    ceiling = bench_aes_ceiling(payload_bytes)
    per_second = people / seconds
    ceiling_per_second = people / ceiling["seconds"]
    return {
        "people": people,
        "bytes_per_enrollment": sum(map(len, payload_bytes)) // people,
        "seconds": round(seconds, 3),
        "enrollments_per_second": round(per_second, 1),
        "latency_ms": {
            "p50": round(statistics.median(latencies) * 1000, 2),
            "p95": round(_percentile(latencies, 0.95) * 1000, 2),
            "max": round(max(latencies) * 1000, 2),
        },
        "aes_gcm_ceiling": {
            "mb_per_second": round(ceiling["mb_per_second"], 1),
            "enrollments_per_second": round(ceiling_per_second, 1),
        },
        "ratio_to_aes_ceiling": round(per_second / ceiling_per_second, 4),
    }


def _sha256_ceiling(entries: list[bytes]) -> float:
    """Seconds raw SHA-256 takes for the RFC 6962 tree of ``entries``: n leaf and n - 1 node hashes."""
    import hashlib

    sha = hashlib.sha256
    started = time.perf_counter()
    level = [sha(b"\x00" + entry).digest() for entry in entries]
    while len(level) > 1:
        upper = [sha(b"\x01" + level[i] + level[i + 1]).digest() for i in range(0, len(level) - 1, 2)]
        if len(level) % 2:
            upper.append(level[-1])
        level = upper
    return time.perf_counter() - started


def bench_audit(
    entries: int = 1_000_000, progress: Callable[[int], None] | None = None, batch: int = 10_000,
    proofs: int = 1000,
) -> dict[str, Any]:
    """The audit transparency log at scale, on the current (scratch) database.

    * batched append: ``append_entries`` of ``batch`` entries then ``integrate``, repeated;
    * inclusion-proof latency at the final size: ``proofs`` random proofs through the database
      node store (a fresh store each time, so nothing is cached between proofs), and through
      the proof endpoint's selector (head checks, root and checkpoint lookup included);
    * a full ``audit verify``;

    each beside raw SHA-256 over the same bytes in the same run (every entry's leaf hash plus
    the n - 1 interior node hashes; for a proof, the hashes its verification takes).
    ``progress(n)`` is called as entries are appended.
    """
    import hashlib
    import random
    import uuid

    from cityid.audit import merkle, selectors, services
    from cityid.audit.store import TileStore
    from cityid.audit.verify import verify_log

    actions = ["personal.read", "personal.decrypt", "application.decision", "card.issue", "login.success"]
    kinds = ["applicant", "application", "card"]  # targets shaped as the real ones: kind:uuid
    rng = random.Random(7)
    append_seconds = integrate_seconds = ceiling_seconds = 0.0
    written = 0
    total_bytes = 0
    while written < entries:
        n = min(batch, entries - written)
        items = [
            {"actor": f"staff:{rng.randrange(200)}", "role": "clerk", "action": actions[(written + i) % 5],
             "target": f"{kinds[i % 3]}:{uuid.UUID(int=rng.getrandbits(128), version=4)}",
             "purpose": "review"}
            for i in range(n)
        ]
        t0 = time.perf_counter()
        appended = services.append_entries(items)
        t1 = time.perf_counter()
        services.integrate()
        t2 = time.perf_counter()
        append_seconds += t1 - t0
        integrate_seconds += t2 - t1
        ceiling_seconds += _sha256_ceiling(appended.entries)
        total_bytes += sum(map(len, appended.entries))
        written += n
        if progress:
            progress(n)
    size = services.log_size()
    appended_seconds = append_seconds + integrate_seconds
    services.make_checkpoint()  # the public proof endpoint answers within the latest signed checkpoint

    # Inclusion proofs at the final size.
    store_root = merkle.root(TileStore(), size)
    latencies, endpoint_latencies, verify_hash_seconds = [], [], []
    sha = hashlib.sha256
    for _ in range(proofs):
        index = rng.randrange(size)
        t0 = time.perf_counter()
        proof = merkle.inclusion_proof(TileStore(), index, size)
        latencies.append(time.perf_counter() - t0)
        leaf = TileStore().get(0, index)
        t0 = time.perf_counter()
        node = leaf
        for sibling in proof:  # the same count of 65-byte hashes a verifier computes
            node = sha(b"\x01" + sibling + node).digest()
        verify_hash_seconds.append(time.perf_counter() - t0)
        if not merkle.verify_inclusion(leaf, index, size, proof, store_root):
            raise AssertionError(f"inclusion proof of {index} in {size} does not verify")
    for _ in range(max(1, proofs // 5)):
        index = rng.randrange(size)
        t0 = time.perf_counter()
        selectors.inclusion_proof(index, size)
        endpoint_latencies.append(time.perf_counter() - t0)

    # Full verification.
    t0 = time.perf_counter()
    report = verify_log()
    verify_seconds = time.perf_counter() - t0
    if report.root != store_root:
        raise AssertionError("verify recomputed another root")

    def ms(values: list[float]) -> dict[str, float]:
        return {
            "mean": round(statistics.fmean(values) * 1000, 4),
            "p50": round(statistics.median(values) * 1000, 4),
            "p95": round(_percentile(values, 0.95) * 1000, 4),
            "max": round(max(values) * 1000, 4),
        }

    ceiling_per_second = written / ceiling_seconds
    hash_all_seconds = ceiling_seconds * size / written  # raw hashing of the whole log, as verify does
    return {
        "entries": written,
        "log_size": size,
        "batch": batch,
        "entry_bytes_mean": round(total_bytes / written, 1),
        "append": {
            "seconds": round(appended_seconds, 3),
            "insert_seconds": round(append_seconds, 3),
            "integrate_seconds": round(integrate_seconds, 3),
            "entries_per_second": round(written / appended_seconds),
        },
        "sha256_ceiling": {
            "seconds": round(ceiling_seconds, 3),
            "hashes": 2 * written - 1,
            "entries_per_second": round(ceiling_per_second),
        },
        "append_ratio_to_sha256": round((written / appended_seconds) / ceiling_per_second, 4),
        "inclusion_proof_ms": ms(latencies),
        "inclusion_proof_endpoint_ms": ms(endpoint_latencies),
        "proof_sha256_ceiling_ms": round(statistics.fmean(verify_hash_seconds) * 1000, 4),
        "proof_ratio_to_sha256": round(statistics.fmean(verify_hash_seconds) / statistics.fmean(latencies), 4),
        "verify": {
            "seconds": round(verify_seconds, 3),
            "entries_per_second": round(size / verify_seconds),
            "ratio_to_sha256": round(hash_all_seconds / verify_seconds, 4),
        },
        "targets": {
            "append_per_second_min": 50_000,
            "proof_ms_max": 1.0,
            "verify_seconds_max_at_1m": 30.0,
        },
    }


# --- retention: disposition (crypto-shredding) and legal-hold re-wrap --------------------------

BENCH_SOFTHSM_LABEL = "cityid-bench"
BENCH_SOFTHSM_PIN = "1234"
SOFTHSM_LIBRARY = "/usr/lib/softhsm/libsofthsm2.so"


def softhsm_available() -> bool:
    import shutil

    return bool(shutil.which("softhsm2-util")) and os.path.exists(SOFTHSM_LIBRARY)


def use_key_provider(kind: str, scratch: str | os.PathLike[str] | None = None) -> dict[str, Any]:
    """Make ``kind`` ("local" or "pkcs11") the active key provider of this process.

    For ``pkcs11`` a fresh SoftHSM2 token (label ``cityid-bench``) is created in ``scratch`` (a
    temporary directory if None). SoftHSM reads ``SOFTHSM2_CONF`` once, when the library is first
    loaded: call this before anything in the process has used PKCS#11 (``cityid bench`` runs each
    provider in its own process for that reason).
    """
    import subprocess
    import tempfile
    from pathlib import Path

    from django.conf import settings

    from cityid.vault import providers

    if kind == "pkcs11":
        if not softhsm_available():
            raise RuntimeError("SoftHSM2 is not installed (apt-get install softhsm2)")
        root = Path(scratch if scratch is not None else tempfile.mkdtemp(prefix="cityid-softhsm-")) / "softhsm"
        (root / "tokens").mkdir(parents=True, exist_ok=True)
        conf = root / "softhsm2.conf"
        conf.write_text(f"directories.tokendir = {root / 'tokens'}\nobjectstore.backend = file\nlog.level = ERROR\n")
        os.environ["SOFTHSM2_CONF"] = str(conf)
        subprocess.run(
            ["softhsm2-util", "--init-token", "--free", "--label", BENCH_SOFTHSM_LABEL,
             "--so-pin", "5678", "--pin", BENCH_SOFTHSM_PIN],
            check=True, capture_output=True,
        )
        settings.CITYID_PKCS11_LIBRARY = SOFTHSM_LIBRARY
        settings.CITYID_PKCS11_TOKEN = BENCH_SOFTHSM_LABEL
        settings.CITYID_PKCS11_PIN = BENCH_SOFTHSM_PIN
        described = {"provider": "pkcs11", "library": SOFTHSM_LIBRARY, "token": BENCH_SOFTHSM_LABEL,
                     "softhsm2_conf": str(conf)}
    elif kind == "local":
        described = {"provider": "local", "keys_dir": str(settings.KEYS_DIR)}
    else:
        raise ValueError(f"unknown key provider {kind!r}: local or pkcs11")
    settings.CITYID_KEY_PROVIDER = kind
    providers._providers.clear()
    return described


def _bench_cohort(
    records: int, *, due_on: date, tag: str, blob_bytes: int = 2048, with_blobs: bool = True,
    batch: int = 2000, progress: Callable[[int], None] | None = None,
) -> str:
    """``records`` records of class ``documents`` in the cohort of ``due_on``, each with one sealed
    blob file of ``blob_bytes`` (unless ``with_blobs`` is off) and one blind-index row, created in
    batches of ``batch`` per transaction. Returns the cohort's key id."""
    from cityid.vault import services as vault
    from cityid.vault.models import BlindIndex, Blob

    key_id = vault.cohort_key_id(vault.cohort_for("documents", due_on))
    made = 0
    while made < records:
        n = min(batch, records - made)
        with vault.atomic_with_blobs():
            opened = vault.create_records(
                [("documents", f"bench:{tag}:{made + i}", due_on) for i in range(n)]
            )
            if with_blobs:
                Blob.objects.bulk_create(vault.store_blobs(
                    [(record, os.urandom(blob_bytes), "application/octet-stream") for record in opened]
                ))
            BlindIndex.objects.bulk_create([
                vault.blind_index(record=record, kind="docnum", value=f"BENCH{tag}{made + i:09d}".encode())
                for i, record in enumerate(opened)
            ])
        made += n
        if progress:
            progress(n)
    return key_id


def _backup_sample(key_id: str) -> dict[str, Any]:
    """A copy of one record as a database and blob backup would hold it: its row and its file."""
    from cityid.vault import services as vault
    from cityid.vault.models import Blob, RecordKey

    record_key = RecordKey.objects.filter(key_id=key_id).order_by("pk").first()
    blob = Blob.objects.filter(record_key=record_key).first()
    return {"record_key": record_key, "blob": blob,
            "file": vault.blob_path(blob.uuid).read_bytes() if blob is not None else None}


def _backup_readable(sample: dict[str, Any]) -> bool:
    """Can the current keys still open the backed-up copy (row and file) of a deleted record?"""
    from cityid.vault import envelope
    from cityid.vault import services as vault

    try:
        record = vault.open_record(sample["record_key"])
    except vault.RecordDestroyed:
        return False
    if sample["blob"] is not None:
        try:
            record.open(f"blob:{sample['blob'].uuid}", sample["file"])
        except envelope.SealError:
            return False
    return True


def _rate(count: int, seconds: float) -> float:
    return round(count / seconds, 1) if seconds > 0 else float("inf")


def _load() -> float:
    """The host's 1-minute load average: other work on the machine shows in the figures."""
    return round(os.getloadavg()[0], 2)


def bench_disposition(records: int = 100_000, *, progress: Callable[[int], None] | None = None) -> dict[str, Any]:
    """A disposition run over a ``records``-record cohort against row-by-row deletion, same run.

    Two identical cohorts of class ``documents`` are created (one sealed ~2 KB blob file and one
    blind-index row per record). Then, on the current database and key provider:

    * **crypto-shredding**: ``run_disposition`` as of 2017-01-02, approved by two records officers,
      destroys the 2016-12 cohort's key (from that instant nothing, backups included, opens the
      cohort) and then deletes its rows and files (housekeeping);
    * **baseline**: the other cohort (due 2017-06, so the run leaves it alone) deleted the way a
      system without crypto-shredding would: record by record, one transaction each, unlinking the
      blob file and deleting the blob, the blind-index row and the key row each with its own
      ``Model.delete()``. Its backups stay readable afterwards.

    The shred runs first, with both cohorts in the database, so the baseline gets the smaller
    tables. ``progress(n)`` is called as records are created (2 × ``records``), shredded and
    deleted (``records`` each): 4 × ``records`` in all.
    """
    from django.db import transaction

    from cityid.accounts.services import create_staff
    from cityid.retention import services as retention
    from cityid.retention.models import DestroyedCohort
    from cityid.vault import services as vault
    from cityid.vault.models import BlindIndex, Blob, RecordKey
    from cityid.vault.providers import get_provider

    provider = get_provider()
    as_of = date(2017, 1, 2)
    stamp = time.time_ns()
    officers = [create_staff(username=f"bench_officer{i}_{stamp}", role="records_officer").user for i in (1, 2)]

    t0 = time.perf_counter()
    shred_key = _bench_cohort(records, due_on=date(2016, 12, 31), tag="s", progress=progress)
    base_key = _bench_cohort(records, due_on=date(2017, 6, 30), tag="b", progress=progress)
    setup_seconds = time.perf_counter() - t0
    due = retention.due_cohorts(as_of)
    if [c["key_id"] for c in due] != [shred_key] or due[0]["records"] != records:
        raise AssertionError(f"expected one due cohort {shred_key} of {records} records, got {due}")
    shred_sample, base_sample = _backup_sample(shred_key), _backup_sample(base_key)
    shred_files = [vault.blob_path(u) for u in Blob.objects.filter(record_key__key_id=shred_key)
                   .values_list("uuid", flat=True)]
    base_files = [vault.blob_path(u) for u in Blob.objects.filter(record_key__key_id=base_key)
                  .values_list("uuid", flat=True)]

    # (a) crypto-shredding: destroy the cohort key, then bulk housekeeping.
    marks: dict[str, float] = {}

    def after_step(step: str) -> None:
        if step.startswith("key destroyed") and "key" not in marks:
            marks["key"] = time.perf_counter()

    shred_load = _load()
    started = time.perf_counter()
    certificate = retention.run_disposition(as_of=as_of, approvers=officers, progress=progress,
                                           after_step=after_step)
    shred_seconds = time.perf_counter() - started
    key_seconds = marks["key"] - started
    destroyed = DestroyedCohort.objects.get(run=certificate.run, key_id=shred_key)
    shred_check = {
        "key_destroyed": not provider.has_key(shred_key),
        "records_left": RecordKey.objects.filter(key_id=shred_key).count(),
        "blobs_left": Blob.objects.filter(record_key__key_id=shred_key).count(),
        "files_left": sum(1 for path in shred_files if path.exists()),
        "certified_records": destroyed.records,
        "backup_copy_readable_after": _backup_readable(shred_sample),
    }

    shred_load = [shred_load, _load()]

    # (b) baseline: row by row and file by file, no key destroyed.
    base_load = _load()
    started = time.perf_counter()
    deleted = 0
    for record_key in RecordKey.objects.filter(key_id=base_key).order_by("pk"):
        with transaction.atomic():
            for blob in Blob.objects.filter(record_key=record_key):
                vault.delete_blob_file(blob)
                blob.delete()
            for row in BlindIndex.objects.filter(record_key=record_key):
                row.delete()
            record_key.delete()
        deleted += 1
        if progress and deleted % 100 == 0:
            progress(100)
    if progress and deleted % 100:
        progress(deleted % 100)
    base_seconds = time.perf_counter() - started
    base_load = [base_load, _load()]
    base_check = {
        "key_destroyed": not provider.has_key(base_key),
        "records_left": RecordKey.objects.filter(key_id=base_key).count(),
        "blobs_left": Blob.objects.filter(record_key__key_id=base_key).count(),
        "files_left": sum(1 for path in base_files if path.exists()),
        "records_deleted": deleted,
        "backup_copy_readable_after": _backup_readable(base_sample),
    }

    return {
        "records": records,
        "key_provider": provider.name,
        "record_class": "documents",
        "blob_bytes": 2048,
        "blind_index_rows_per_record": 1,
        "setup_seconds": round(setup_seconds, 3),
        "crypto_shred": {
            "cohort": shred_key,
            "seconds": round(shred_seconds, 3),
            "records_per_second": _rate(records, shred_seconds),
            "key_destroyed_after_seconds": round(key_seconds, 4),
            "housekeeping_seconds": round(shred_seconds - key_seconds, 3),
            "load_average_1m_before_after": shred_load,
            **shred_check,
        },
        "baseline_row_by_row": {
            "cohort": base_key,
            "seconds": round(base_seconds, 3),
            "records_per_second": _rate(deleted, base_seconds),
            "method": "per record, one transaction: unlink the blob file, blob.delete(), "
                      "blind_index.delete(), record_key.delete(); no key destroyed",
            "load_average_1m_before_after": base_load,
            **base_check,
        },
        "ratio_baseline_to_shred": round(base_seconds / shred_seconds, 2),
        "ratio_baseline_to_key_destroyed": round(base_seconds / key_seconds, 1),
        "order": "shred first (both cohorts present), then the baseline",
        "note": "the shredded cohort is unreadable everywhere (database and blob backups included) once its "
                "key is destroyed, key_destroyed_after_seconds into the run; deleting its rows and files "
                "afterwards is housekeeping. The baseline's deleted records stay readable from any backup "
                "taken before, for as long as that backup lives.",
        "target": {"ratio_min": 20},
    }


def bench_hold_rewrap(records: int = 100_000, *, progress: Callable[[int], None] | None = None) -> dict[str, Any]:
    """Re-wrap throughput when counsel places a hold on ``records`` records (scope ``class:documents``).

    A cohort of ``records`` ``documents`` records (one blind-index row each; no blob files, which
    re-wrapping never touches) is created, then ``place_hold`` re-wraps every data key under the
    hold's key. The ceiling, measured in the same run, is the provider's raw re-wrap
    (``rewrap_many``: unwrap and wrap again, inside the token for PKCS#11) of the same data keys.
    The hold scope must cover exactly these records: run it on a database with no other
    ``documents`` records. ``progress(n)``: 2 × ``records`` (created, then re-wrapped).
    """
    from cityid.accounts.services import create_staff
    from cityid.retention import services as retention
    from cityid.vault.models import BlindIndex, RecordKey
    from cityid.vault.providers import get_provider

    provider = get_provider()
    counsel = create_staff(username=f"bench_counsel_{time.time_ns()}", role="counsel").user
    t0 = time.perf_counter()
    cohort_key = _bench_cohort(records, due_on=date(2031, 12, 31), tag="h", with_blobs=False, progress=progress)
    setup_seconds = time.perf_counter() - t0
    scope = "class:documents"
    in_scope = retention.scope_query(scope).count()
    if in_scope != records:
        raise AssertionError(f"{scope} covers {in_scope} records, not the {records} created (other documents?)")
    wrapped = list(RecordKey.objects.filter(key_id=cohort_key).order_by("pk").values_list("wrapped_key", flat=True))

    hold_load = _load()
    started = time.perf_counter()
    hold = retention.place_hold(case_name="Bench v. City of New York", court="Sup. Ct. N.Y. County",
                                scope=scope, placed_by=counsel, progress=progress)
    hold_seconds = time.perf_counter() - started
    hold_load = [hold_load, _load()]
    rewrapped = RecordKey.objects.filter(key_id=hold.key_id).count()
    if rewrapped != records:
        raise AssertionError(f"{rewrapped} of {records} records moved under {hold.key_id}")

    ceiling_key = f"bench:ceiling:{time.time_ns()}"
    provider.ensure_key(ceiling_key)
    started = time.perf_counter()
    provider.rewrap_many((cohort_key, blob, ceiling_key) for blob in wrapped)
    ceiling_seconds = time.perf_counter() - started
    provider.destroy_key(ceiling_key)

    per_second = records / hold_seconds
    ceiling_per_second = records / ceiling_seconds
    return {
        "records": records,
        "key_provider": provider.name,
        "scope": scope,
        "setup_seconds": round(setup_seconds, 3),
        "hold": {
            "seconds": round(hold_seconds, 3),
            "records_per_second": round(per_second, 1),
            "records_rewrapped": rewrapped,
            "blind_index_rows_after": BlindIndex.objects.filter(record_key__key_id=hold.key_id).count(),
            "load_average_1m_before_after": hold_load,
        },
        "unwrap_wrap_ceiling": {
            "seconds": round(ceiling_seconds, 3),
            "records_per_second": round(ceiling_per_second, 1),
        },
        "ratio_to_ceiling": round(per_second / ceiling_per_second, 4),
        "note": "records created directly through the vault have no enrollment owner: the documents "
                "indexer finds no presented documents, so each record's blind-index row is deleted and "
                "none is recomputed (with enrolled people it would be, at one keyed hash per document)",
    }
