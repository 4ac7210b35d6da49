"""``cityid bench``: each part in its own scratch process and database, the results merged."""

from __future__ import annotations

import json
import os
from urllib.parse import urlsplit, urlunsplit

import pytest


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
