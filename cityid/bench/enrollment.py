"""The enrollment suite: whole enrollments (two ~500 KB document scans and a photo each) through
``enroll``, beside raw AES-256-GCM over the same bytes in the same run."""

from __future__ import annotations

import functools
import io
import statistics
import time
from collections.abc import Callable
from datetime import date
from typing import Any

from cityid.accounts.policy import roles_for
from cityid.bench.common import percentile


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

    clerk = create_staff(username=f"bench_clerk_{time.time_ns()}", role=roles_for("enrollment.create")[0]).user
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
            "p95": round(percentile(latencies, 0.95) * 1000, 2),
            "max": round(max(latencies) * 1000, 2),
        },
        "aes_gcm_ceiling": {
            "mb_per_second": round(ceiling["mb_per_second"], 1),
            "enrollments_per_second": round(ceiling_per_second, 1),
        },
        "ratio_to_aes_ceiling": round(per_second / ceiling_per_second, 4),
    }
