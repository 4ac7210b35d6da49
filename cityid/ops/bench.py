"""The benchmark suite behind ``cityid bench``. Each figure sits beside a ceiling measured in
the same run on the same machine, so ratios stay meaningful on a busy or slower host."""

from __future__ import annotations

import io
import os
import statistics
import time
from collections.abc import Callable
from datetime import date
from typing import Any

SCAN_BYTES = 500 * 1024


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def _scan(seed: int) -> bytes:
    # A JPEG header followed by incompressible bytes: the size of a real 500 KB scan.
    return b"\xff\xd8\xff\xe0" + os.urandom(SCAN_BYTES - 4 - seed % 1)


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
                                  scan=_scan(index)),
                    DocumentInput(type="utility_bill", number=f"UB{index:08d}", scan=_scan(index + 1)),
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


def bench_audit(entries: int = 1_000_000, progress: Callable[[int], None] | None = None) -> dict[str, Any]:
    """The audit transparency log at scale, on the current (scratch) database.

    * batched append: ``append_entries`` of 10,000 entries then ``integrate``, repeated;
    * inclusion-proof latency at the final size: 1,000 random proofs through the database
      node store (a fresh store each time, so nothing is cached between proofs), and through
      the proof endpoint's selector (head checks, root and checkpoint lookup included);
    * a full ``audit verify``;

    each beside raw SHA-256 over the same bytes in the same run (every entry's leaf hash plus
    the n - 1 interior node hashes; for a proof, the hashes its verification takes).
    ``progress(n)`` is called as entries are appended.
    """
    import hashlib
    import random

    from cityid.audit import merkle, selectors, services
    from cityid.audit.store import TileStore
    from cityid.audit.verify import verify_log

    batch = 10_000
    actions = ["personal.read", "personal.decrypt", "application.decision", "card.issue", "login.success"]
    rng = random.Random(7)
    append_seconds = integrate_seconds = ceiling_seconds = 0.0
    written = 0
    total_bytes = 0
    while written < entries:
        n = min(batch, entries - written)
        items = [
            {"actor": f"staff:{rng.randrange(200)}", "role": "clerk", "action": actions[(written + i) % 5],
             "target": f"app:{rng.getrandbits(64):016x}", "purpose": "review"}
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

    # Inclusion proofs at the final size.
    store_root = merkle.root(TileStore(), size)
    latencies, endpoint_latencies, verify_hash_seconds = [], [], []
    sha = hashlib.sha256
    for _ in range(1000):
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
    for _ in range(200):
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
