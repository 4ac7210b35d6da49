"""What every suite and ``cityid bench`` share: timing helpers, the scratch data and key
directories and scratch database each part runs in (never the live ones), and result files."""

from __future__ import annotations

import json
import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from django.core.management.base import CommandError


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def rate(count: int, seconds: float) -> float:
    return round(count / seconds, 1) if seconds > 0 else float("inf")


def load_average() -> float:
    """The host's 1-minute load average: other work on the machine shows in the figures."""
    return round(os.getloadavg()[0], 2)


def scratch_environment(scratch: Path) -> dict[str, str]:
    """The environment of a benchmark process whose data and keys live in ``scratch``: this
    process's environment with its own data and key directories (the data directory created)."""
    env = dict(os.environ)
    env.update(
        CITYID_DATA_DIR=str(scratch / "data"),
        CITYID_KEYS_DIR=str(scratch / "keys"),
        CITYID_DOCUMENT_COPIES="keep",
        CITYID_SECRET_KEY="bench-only",
    )
    Path(env["CITYID_DATA_DIR"]).mkdir()
    return env


@contextmanager
def scratch_postgres(server_url: str) -> Iterator[str]:
    """A new, empty database on the server at ``server_url`` for one run; dropped afterwards."""
    import psycopg

    parts = urlsplit(server_url)
    if parts.scheme not in ("postgres", "postgresql"):
        raise CommandError(f"--postgres: not a PostgreSQL URL: {parts.scheme or '(no scheme)'}://...")
    name = f"cityid_bench_{secrets.token_hex(4)}"
    admin = urlunsplit(parts._replace(path="/postgres"))
    try:
        with psycopg.connect(admin, autocommit=True, connect_timeout=5) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
    except psycopg.Error as exc:
        raise CommandError(f"--postgres: cannot create a scratch database: {str(exc).splitlines()[0]}") from None
    try:
        yield urlunsplit(parts._replace(path=f"/{name}"))
    finally:
        with psycopg.connect(admin, autocommit=True, connect_timeout=5) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def write_result(path: Path, result: dict[str, Any]) -> str:
    """Write ``result`` to ``path`` as indented JSON; returns the text written."""
    text = json.dumps(result, indent=2)
    path.write_text(text)
    return text


def read_result(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text())
