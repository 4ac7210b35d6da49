"""The enrollment suite: whole enrollments (two ~500 KB document scans and a photo each) through
``enroll``, beside the ceiling that binds them, measured in the same run: durable writes of the same
sealed files in the same directory, as the vault writes them (each file written, fsynced, renamed
and its directory fsynced), and the decoding and re-encoding of the same uploads that precedes
them (CPU); the lower of the two is reported as the binding one. Raw AES-256-GCM over the same bytes
is reported too, as a secondary figure: it is orders of magnitude above either."""

from __future__ import annotations

import functools
import io
import shutil
import statistics
import time
import uuid
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

from cityid.accounts.policy import roles_for
from cityid.bench.common import load_average, percentile


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


def bench_input(index: int, *, scans: bool = True, photo: bytes | None = None) -> Any:
    """The ``index``-th synthetic enrollment: two documents (with ~500 KB scans unless ``scans`` is
    off) and ``photo``. Numbers and names are unique per index."""
    from cityid.enrollment.inputs import DocumentInput, EnrollmentInput

    return EnrollmentInput(
        given_name=f"Bench{index}",
        family_name="Synthetic",
        date_of_birth=date(1980 + index % 30, 1 + index % 12, 1 + index % 28),
        address={"kind": "residential", "line1": f"{index} Bench St", "line2": "", "city": "Brooklyn",
                 "postcode": "11201", "borough": "brooklyn", "care_of": ""},
        documents=[
            DocumentInput(type="foreign_passport", number=f"BP{index:08d}", expires=date(2031, 1, 1),
                          scan=_scan() if scans else None),
            DocumentInput(type="utility_bill", number=f"UB{index:08d}", scan=_scan() if scans else None),
        ],
        submitted_on=date(2026, 11, 2),
        photo=photo,
        languages=["en"],
    )


def bench_durable_write_ceiling(groups: list[list[bytes]]) -> dict[str, Any]:
    """The vault's durable file write (``_write_sealed_file``: write, fsync, rename, fsync the
    directory) of each group's sealed files, in a scratch folder of the blob directory (same file
    system as the data), the files removed afterwards. Timed twice: one file after another, and each
    group at once through the vault's writer threads, as ``store_blobs`` writes one enrollment's files.
    The second binds enrollment (its files go through those threads); the first is the plain
    per-file cost."""
    from django.conf import settings

    from cityid.vault.services import _file_pool, _write_sealed_file

    directory = Path(settings.BLOB_DIR) / f"bench-ceiling-{uuid.uuid4().hex[:8]}"
    directory.mkdir(parents=True, mode=0o700)
    pool = _file_pool()
    try:
        files = sum(map(len, groups))
        started = time.perf_counter()
        for group in groups:
            for sealed in group:
                _write_sealed_file(directory / uuid.uuid4().hex, sealed)
        serial_seconds = time.perf_counter() - started
        started = time.perf_counter()
        for group in groups:
            futures = [pool.submit(_write_sealed_file, directory / uuid.uuid4().hex, sealed) for sealed in group]
            for future in futures:
                future.result()
        grouped_seconds = time.perf_counter() - started
    finally:
        shutil.rmtree(directory, ignore_errors=True)
    return {
        "directory": "BLOB_DIR",
        "files": files,
        "bytes_per_file_mean": sum(len(sealed) for group in groups for sealed in group) // files,
        "serial": {"seconds": round(serial_seconds, 3), "files_per_second": round(files / serial_seconds, 1),
                   "enrollments_per_second": round(len(groups) / serial_seconds, 1)},
        "as_enrollment_writes": {"seconds": round(grouped_seconds, 3),
                                 "files_per_second": round(files / grouped_seconds, 1),
                                 "enrollments_per_second": round(len(groups) / grouped_seconds, 1)},
    }


def bench_upload_cleaning_ceiling(inputs: list[Any], sample: int = 50) -> dict[str, Any]:
    """The CPU work every enrollment does before it writes anything: each scan and the photo decoded
    and re-encoded without metadata (``clean_file``), on the first ``sample`` enrollments' uploads."""
    from cityid.enrollment import uploads
    from cityid.enrollment.inputs import clean_file

    chosen = inputs[:sample]
    started = time.perf_counter()
    for data in chosen:
        for doc in data.documents:
            if doc.scan is not None:
                clean_file(doc.scan, uploads.SCAN)
        if data.photo is not None:
            clean_file(data.photo, uploads.PHOTO)
    seconds = time.perf_counter() - started
    return {"enrollments": len(chosen), "seconds": round(seconds, 3),
            "enrollments_per_second": round(len(chosen) / seconds, 1)}


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
    from cityid.enrollment.services import enroll
    from cityid.vault import envelope

    clerk = create_staff(username=f"bench_clerk_{time.time_ns()}", role=roles_for("enrollment.create")[0]).user
    photo = _photo()
    inputs = [bench_input(index, photo=photo) for index in range(people)]
    payload_bytes = [blob for data in inputs for blob in (data.documents[0].scan, data.documents[1].scan, photo)]
    latencies = []
    load = load_average()
    started = time.perf_counter()
    for data in inputs:
        t0 = time.perf_counter()
        enroll(data=data, enrolled_by=clerk)
        latencies.append(time.perf_counter() - t0)
        if progress:
            progress(1)
    seconds = time.perf_counter() - started
    load = [load, load_average()]
    # One enrollment's files sealed as the vault seals them (the same sizes; the file system does
    # not deduplicate, so every group may share the bytes), written durably once per enrollment.
    key = envelope.new_data_key()
    files = [envelope.seal(key, blob, b"bench") for blob in payload_bytes[:3]]
    groups = [files] * people
    durable = bench_durable_write_ceiling(groups)
    cleaning = bench_upload_cleaning_ceiling([bench_input(index, photo=photo) for index in range(min(people, 50))])
    ceiling = bench_aes_ceiling(payload_bytes)
    per_second = people / seconds
    ceiling_per_second = people / ceiling["seconds"]
    durable_per_second = durable["as_enrollment_writes"]["enrollments_per_second"]
    binding = min(("durable_write", durable_per_second),
                  ("upload_cleaning", cleaning["enrollments_per_second"]), key=lambda pair: pair[1])
    return {
        "people": people,
        "bytes_per_enrollment": sum(map(len, payload_bytes)) // people,
        "seconds": round(seconds, 3),
        "enrollments_per_second": round(per_second, 1),
        "latency_ms": {
            "p50": round(statistics.median(latencies) * 1000, 2),
            "p95": round(percentile(latencies, 0.95) * 1000, 2),
            "max": round(max(latencies) * 1000, 2),
        },
        "load_average_1m_before_after": load,
        "binding_ceiling": binding[0],
        "ratio_to_binding_ceiling": round(per_second / binding[1], 4),
        "durable_write_ceiling": durable,
        "ratio_to_durable_write_ceiling": round(per_second / durable_per_second, 4),
        "upload_cleaning_ceiling": cleaning,
        "ratio_to_upload_cleaning_ceiling": round(per_second / cleaning["enrollments_per_second"], 4),
        "aes_gcm_ceiling": {
            "mb_per_second": round(ceiling["mb_per_second"], 1),
            "enrollments_per_second": round(ceiling_per_second, 1),
        },
        "ratio_to_aes_ceiling": round(per_second / ceiling_per_second, 4),
    }
