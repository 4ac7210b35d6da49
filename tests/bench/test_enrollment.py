"""The enrollment suite at a tiny size: its JSON shape, and that each ceiling is measured and
left nothing behind. No timing is asserted: the figures belong to ``cityid bench``."""

from __future__ import annotations

import json


def test_enrollment_is_reported_beside_the_durable_write_ceiling(db, settings):
    from cityid.bench.enrollment import bench_enrollment
    from cityid.enrollment.models import Applicant
    from cityid.vault.models import Blob

    settings.CITYID_DOCUMENT_COPIES = "keep"
    seen: list[int] = []
    result = bench_enrollment(3, seen.append)
    assert sum(seen) == 3 and Applicant.objects.count() == 3
    assert Blob.objects.count() == 9  # two scans and a photo each
    assert result["binding_ceiling"] in ("durable_write", "upload_cleaning")
    assert result["upload_cleaning_ceiling"]["enrollments"] == 3
    assert result["upload_cleaning_ceiling"]["enrollments_per_second"] > 0
    assert 0 < result["ratio_to_binding_ceiling"] and result["ratio_to_upload_cleaning_ceiling"] > 0
    durable = result["durable_write_ceiling"]
    assert durable["files"] == 9 and durable["bytes_per_file_mean"] > 100_000
    for way in ("serial", "as_enrollment_writes"):
        assert durable[way]["files_per_second"] > 0 and durable[way]["enrollments_per_second"] > 0
    assert result["ratio_to_durable_write_ceiling"] > 0
    assert result["aes_gcm_ceiling"]["enrollments_per_second"] > 0 and result["ratio_to_aes_ceiling"] > 0
    files = [path for path in settings.BLOB_DIR.rglob("*") if path.is_file()]
    assert len(files) == 9  # the enrollments' own files; the ceiling's are removed
    assert not [path for path in settings.BLOB_DIR.iterdir() if path.name.startswith("bench-ceiling")]
    json.dumps(result)
