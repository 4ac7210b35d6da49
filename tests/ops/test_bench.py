"""The retention benchmarks at a tiny size: their JSON shape and that they did what they report.
No timing is asserted: the figures belong to ``cityid bench`` on a real machine."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest


def test_bench_disposition_shreds_one_cohort_and_deletes_the_other_row_by_row(db, key_provider, settings):
    from cityid.ops.bench import bench_disposition
    from cityid.retention.models import Certificate, DestroyedCohort
    from cityid.vault.models import BlindIndex, Blob, RecordKey

    seen: list[int] = []
    result = bench_disposition(50, progress=seen.append)

    assert sum(seen) == 4 * 50  # two cohorts created, one shredded, one deleted row by row
    assert result["records"] == 50 and result["key_provider"] == key_provider.name
    shred, baseline = result["crypto_shred"], result["baseline_row_by_row"]
    for figures in (shred, baseline):
        assert figures["seconds"] > 0 and figures["records_per_second"] > 0
    assert 0 < shred["key_destroyed_after_seconds"] <= shred["seconds"]
    assert result["ratio_baseline_to_shred"] > 0 and result["ratio_baseline_to_key_destroyed"] > 0

    # The shred: key destroyed, every row and file gone, certified; a backup copy no longer opens.
    assert shred["key_destroyed"] is True and not key_provider.has_key(shred["cohort"])
    assert shred | {"records_left": 0, "blobs_left": 0, "files_left": 0, "certified_records": 50} == shred
    assert shred["backup_copy_readable_after"] is False
    assert DestroyedCohort.objects.get(key_id=shred["cohort"]).records == 50
    assert Certificate.objects.count() == 1
    # The baseline: rows and files gone too, but its key lives on, so a backup copy still opens.
    assert baseline["key_destroyed"] is False and key_provider.has_key(baseline["cohort"])
    assert baseline["records_deleted"] == 50 and baseline["backup_copy_readable_after"] is True
    assert not RecordKey.objects.exists() and not Blob.objects.exists() and not BlindIndex.objects.exists()
    assert [path for path in Path(settings.BLOB_DIR).rglob("*") if path.is_file()] == []
    json.dumps(result)


def test_bench_hold_rewrap_moves_every_record_under_the_hold(db, key_provider):
    from cityid.ops.bench import bench_hold_rewrap
    from cityid.retention.models import HeldRecord, LegalHold
    from cityid.vault.models import RecordKey

    seen: list[int] = []
    result = bench_hold_rewrap(50, progress=seen.append)

    assert sum(seen) == 2 * 50
    hold = LegalHold.objects.get()
    assert RecordKey.objects.count() == 50 == RecordKey.objects.filter(key_id=hold.key_id).count()
    assert HeldRecord.objects.filter(hold=hold).count() == 50
    assert result["records"] == 50 and result["scope"] == "class:documents"
    assert result["hold"]["records_rewrapped"] == 50 and result["hold"]["records_per_second"] > 0
    assert result["unwrap_wrap_ceiling"]["records_per_second"] > 0 and result["ratio_to_ceiling"] > 0
    assert not [key for key in key_provider.key_ids() if key.startswith("bench:")]  # ceiling key removed
    json.dumps(result)


def test_use_key_provider_local(settings):
    from cityid.ops.bench import use_key_provider
    from cityid.vault import providers

    settings.CITYID_KEY_PROVIDER = "pkcs11"
    assert use_key_provider("local")["provider"] == "local"
    assert settings.CITYID_KEY_PROVIDER == "local" and providers.get_provider().name == "local"
    with pytest.raises(ValueError, match="unknown key provider"):
        use_key_provider("vault9000")


def test_use_key_provider_pkcs11_makes_a_softhsm_token(tmp_path):
    """In a fresh process: SoftHSM reads its configuration once per process."""
    from cityid.ops.bench import softhsm_available

    if not softhsm_available():
        pytest.skip("SoftHSM2 is not installed (apt-get install softhsm2)")
    code = textwrap.dedent(f"""
        import os
        os.environ["DJANGO_SETTINGS_MODULE"] = "cityid.settings"
        os.environ["CITYID_KEYS_DIR"] = {str(tmp_path / "keys")!r}
        import django
        django.setup()
        from cityid.ops.bench import use_key_provider
        from cityid.vault.providers import get_provider
        described = use_key_provider("pkcs11", {str(tmp_path)!r})
        provider = get_provider()
        provider.ensure_key("cohort:bench/2016-12")
        data_key = os.urandom(32)
        assert provider.unwrap("cohort:bench/2016-12", provider.wrap("cohort:bench/2016-12", data_key)) == data_key
        print(provider.name, described["token"], described["softhsm2_conf"].startswith({str(tmp_path)!r}))
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["pkcs11", "cityid-bench", "True"]


def test_bench_command_merges_the_providers_results(tmp_path, monkeypatch):
    from django.core.management import call_command

    monkeypatch.delenv("DATABASE_URL", raising=False)
    out = tmp_path / "bench.json"
    call_command("bench", "--suite", "disposition,hold", "--records", "20", "--providers", "local", "--out", str(out))
    result = json.loads(out.read_text())
    assert "enrollment" not in result and result["database"] == "sqlite3"
    assert list(result["disposition"]) == ["local"] and list(result["hold_rewrap"]) == ["local"]
    assert result["disposition"]["local"]["crypto_shred"]["key_destroyed"] is True
    assert result["hold_rewrap"]["local"]["hold"]["records_rewrapped"] == 20


@pytest.mark.skipif(not os.environ.get("DATABASE_URL", "").startswith(("postgres", "postgresql")),
                    reason="needs a PostgreSQL server (the PostgreSQL half of the suite)")
def test_bench_on_a_scratch_postgres_database_is_dropped_afterwards(tmp_path, monkeypatch):
    import psycopg
    from django.core.management import call_command

    server = urlunsplit(urlsplit(os.environ["DATABASE_URL"])._replace(path="/postgres"))
    monkeypatch.delenv("DATABASE_URL")

    def scratch_databases() -> set[str]:
        with psycopg.connect(server, autocommit=True) as conn:
            rows = conn.execute("SELECT datname FROM pg_database WHERE datname LIKE 'cityid_bench_%'").fetchall()
        return {name for (name,) in rows}

    before = scratch_databases()
    out = tmp_path / "bench.json"
    call_command("bench", "--suite", "audit", "--entries", "600", "--postgres", server, "--out", str(out))
    result = json.loads(out.read_text())
    assert result["database"] == "postgresql"
    assert result["audit"]["log_size"] == 600 and result["audit"]["append"]["entries_per_second"] > 0
    assert scratch_databases() == before


def test_bench_refuses_a_url_that_is_not_postgresql(tmp_path, monkeypatch):
    from django.core.management import call_command
    from django.core.management.base import CommandError

    monkeypatch.delenv("DATABASE_URL", raising=False)
    with pytest.raises(CommandError, match=r"^--postgres: not a PostgreSQL URL: mysql://"):
        call_command("bench", "--suite", "audit", "--entries", "10", "--postgres", "mysql://root@127.0.0.1/",
                     "--out", str(tmp_path / "bench.json"))
