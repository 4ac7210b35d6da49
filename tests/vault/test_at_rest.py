"""Nothing personal is stored in plaintext (DESIGN.md §5).

Canary applicants with distinctive values go in through the real paths (the clerk's service,
the importer); then every byte the system stored is searched for them: every row of every
table, every file under the data directory (the SQLite database and its -wal/-shm files,
the blob store), and on PostgreSQL a ``pg_dump`` of the database. The keys live outside the
data directory, and their material appears nowhere in it.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import uuid
from datetime import date
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
from django.conf import settings

from tests.conftest import jpeg_bytes, make_input

#: Values that must never be found in clear at rest. Each is distinctive enough not to occur by chance.
CANARIES = [
    "Zanzibarqueenly",            # given name
    "Quixotlewhistle",            # family name
    "987 Canarywhistle Boulevard",  # street
    "Apt Canarysuite 5Q",         # second address line
    "Canarycare Shelter Collective",  # care-of organisation
    "canary.mail@canarydomain.example",
    "718-555-0199",
    "CANARYPASS4471",             # document numbers
    "CANARYBILL8832",
    "CANARYLEASE1234",
    "Canaryissuerland",           # document issuer
    "1931-02-27",                 # full date of birth (only the year is kept in clear)
    "Canarykeeper Guardiansson",  # caretaker / emergency contact
]
SCAN_MARKER = b"CANARYSCANCONTENT"
PHOTO_MARKER = b"CANARYPHOTOCONTENT"
#: Stored in clear on purpose (an earlier program's id): proves the search really reads the stored data.
POSITIVE_CONTROL = "AR-POSITIVE-0001"


def needles(scan: bytes, photo: bytes) -> list[tuple[str, bytes]]:
    found: list[tuple[str, bytes]] = []
    for canary in CANARIES:
        for variant in {canary, canary.lower(), canary.upper()}:
            found.append((f"{variant!r} utf-8", variant.encode("utf-8")))
            found.append((f"{variant!r} utf-16-le", variant.encode("utf-16-le")))
    found += [("scan marker", SCAN_MARKER), ("photo marker", PHOTO_MARKER)]
    # The image bytes themselves (not only the markers) must not be stored either.
    found += [("scan bytes", scan[-200:]), ("photo bytes", photo[-200:])]
    return found


def assert_no_canary(label: str, data: bytes, scan: bytes, photo: bytes) -> None:
    for name, needle in needles(scan, photo):
        assert needle not in data, f"{name} found in {label}"


def files_under(root: Path) -> list[Path]:
    return sorted(p for p in Path(root).rglob("*") if p.is_file())


def canary_scan() -> bytes:
    return jpeg_bytes(color=(11, 22, 33)) + SCAN_MARKER


def canary_photo() -> bytes:
    return jpeg_bytes(color=(44, 55, 66)) + PHOTO_MARKER


def canary_lines(base: Path) -> list[dict]:
    (base / "scan.jpg").write_bytes(canary_scan())
    (base / "photo.jpg").write_bytes(canary_photo())
    address = {"kind": "residential", "line1": "987 Canarywhistle Boulevard", "line2": "Apt Canarysuite 5Q",
               "city": "Queens", "postcode": "11373", "borough": "queens"}
    return [
        {
            "external_id": POSITIVE_CONTROL,
            "given_name": "Zanzibarqueenly",
            "family_name": "Quixotlewhistle",
            "date_of_birth": "1931-02-27",
            "gender": "F",
            "languages": ["es"],
            "address": address,
            "documents": [
                {"type": "foreign_passport", "number": "CANARYPASS4471", "issuer": "Canaryissuerland",
                 "expires": "2031-01-01", "scan_path": "scan.jpg"},
                {"type": "lease", "number": "CANARYLEASE1234", "issuer": "Canaryissuerland",
                 "scan_path": "scan.jpg"},
            ],
            "photo_path": "photo.jpg",
            "emergency_contact": {"name": "Canarykeeper Guardiansson", "phone": "718-555-0199"},
            "application": {"type": "new", "submitted": "2026-10-01", "decision": "approved",
                            "decided": "2026-10-20"},
        },
        {
            "external_id": "AR-2",
            "given_name": "Quixotlewhistle",
            "family_name": "Zanzibarqueenly",
            "date_of_birth": "1931-02-27",
            "address": {"kind": "care_of", "care_of": "Canarycare Shelter Collective",
                        "line1": "987 Canarywhistle Boulevard", "city": "Bronx", "postcode": "10451",
                        "borough": "bronx"},
            "documents": [
                {"type": "foreign_passport", "number": "CANARYPASS4471", "issuer": "Canaryissuerland",
                 "expires": "2031-01-01", "scan_path": "scan.jpg"},
                {"type": "utility_bill", "number": "CANARYBILL8832", "scan_path": "scan.jpg"},
            ],
            "photo_path": "photo.jpg",
            "application": {"type": "new", "submitted": "2026-10-01", "decision": "pending"},
        },
    ]


def assert_keys_apart(data_dir: Path, keys_dir: Path) -> list[bytes]:
    """The keys dir is not inside the data dir; returns the raw and encoded key material."""
    data_dir, keys_dir = Path(data_dir).resolve(), Path(keys_dir).resolve()
    assert not keys_dir.is_relative_to(data_dir), "the keys must not be inside the data directory"
    assert not data_dir.is_relative_to(keys_dir)
    keyring = keys_dir / "keyring.json"
    assert keyring.is_file(), "no keys were created: the test did not exercise the vault"
    material = []
    for entry in json.loads(keyring.read_text())["keys"].values():
        for name in ("wrap", "index"):
            material += [entry[name].encode(), base64.b64decode(entry[name])]
    assert not any(p.name.startswith("keyring") for p in files_under(data_dir))
    return material


def test_default_keys_dir_is_outside_data_dir():
    import cityid.settings as configured

    assert not configured.KEYS_DIR.is_relative_to(configured.DATA_DIR)
    assert Path(configured.BLOB_DIR).is_relative_to(configured.DATA_DIR)


# --- logical: every row of every table, in-process (SQLite or PostgreSQL) ---------------------

def all_stored_values() -> bytes:
    from django.db import connection

    chunks: list[bytes] = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")
            for row in cursor.fetchall():
                for value in row:
                    if isinstance(value, memoryview | bytes | bytearray):
                        chunks.append(bytes(value))
                    elif value is not None:
                        chunks.append(str(value).encode("utf-8"))
    return b"\x00".join(chunks)


@pytest.mark.django_db(transaction=True)
def test_no_plaintext_in_any_row_or_blob(staff, tmp_path):
    from django.core.management import call_command

    from cityid.enrollment.inputs import DocumentInput
    from cityid.enrollment.selectors import read_applicant, search_applicants
    from cityid.enrollment.services import decide, enroll

    scan, photo = canary_scan(), canary_photo()
    application = enroll(
        data=make_input(
            given_name="Zanzibarqueenly", family_name="Quixotlewhistle", date_of_birth=date(1931, 2, 27),
            address={"kind": "residential", "line1": "987 Canarywhistle Boulevard",
                     "line2": "Apt Canarysuite 5Q", "city": "Queens", "postcode": "11373",
                     "borough": "queens", "care_of": ""},
            documents=[
                DocumentInput(type="foreign_passport", number="CANARYPASS4471", issuer="Canaryissuerland",
                              expires=date(2031, 1, 1), scan=scan),
                DocumentInput(type="utility_bill", number="CANARYBILL8832", issuer="Canaryissuerland",
                              scan=scan),
            ],
            photo=photo, email="canary.mail@canarydomain.example", phone="718-555-0199",
            emergency_contact={"name": "Canarykeeper Guardiansson", "phone": "718-555-0199"},
            external_id=POSITIVE_CONTROL,
        ),
        enrolled_by=staff["clerk"],
        today=date(2026, 11, 20),
    )
    # Reads and searches write audit entries: those must stay pseudonymous too (the read, while the case is open).
    read_applicant(applicant=application.applicant, actor=staff["clerk"], purpose=application.ref)
    decide(application=application, approve=True, decided_by=staff["supervisor"])
    found = search_applicants(actor=staff["clerk"], given_name="Zanzibarqueenly",
                              family_name="Quixotlewhistle", date_of_birth=date(1931, 2, 27))
    assert found == [application.applicant]

    base = tmp_path / "import"
    base.mkdir()
    (base / "canary.jsonl").write_text("\n".join(json.dumps(line) for line in canary_lines(base)[1:]) + "\n")
    call_command("import", "applicants", str(base / "canary.jsonl"), stdout=open(os.devnull, "w"))

    stored = all_stored_values()
    assert POSITIVE_CONTROL.encode() in stored
    assert_no_canary("the database rows", stored, scan, photo)
    blobs = files_under(settings.BLOB_DIR)
    assert len(blobs) == 6  # two photos, four scans
    for path in files_under(settings.DATA_DIR):
        assert_no_canary(str(path), path.read_bytes(), scan, photo)
    material = assert_keys_apart(settings.DATA_DIR, settings.KEYS_DIR)
    for secret in material:
        assert secret not in stored
        for path in blobs:
            assert secret not in path.read_bytes()


# --- physical: the real command line, then every file on disk -------------------------------

def cli_env(data_dir: Path, keys_dir: Path, database_url: str | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CITYID_") and k != "DATABASE_URL"}
    env.update(CITYID_DATA_DIR=str(data_dir), CITYID_KEYS_DIR=str(keys_dir), CITYID_TESTING="1",
               CITYID_DOCUMENT_COPIES="keep", DJANGO_SETTINGS_MODULE="cityid.settings")
    if database_url:
        env["DATABASE_URL"] = database_url
    return env


def cli(env: dict[str, str], *args: str, cwd: Path) -> str:
    done = subprocess.run([sys.executable, "-m", "cityid", *args], env=env, cwd=cwd, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, f"cityid {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout


def import_canaries(env: dict[str, str], work: Path, *, migrate: bool = True) -> None:
    if migrate:
        cli(env, "migrate", "-v0", cwd=work)
    (work / "canary.jsonl").write_text("\n".join(json.dumps(line) for line in canary_lines(work)) + "\n")
    out = cli(env, "import", "applicants", str(work / "canary.jsonl"), cwd=work)
    assert "imported 2, skipped 0, rejected 0" in out


def scan_data_dir(data_dir: Path, keys_dir: Path, *, expect_positive: bool) -> None:
    scan, photo = canary_scan(), canary_photo()
    files = files_under(data_dir)
    assert len([p for p in files if p.is_relative_to(data_dir / "blobs")]) == 6
    material = assert_keys_apart(data_dir, keys_dir)
    everything = b""
    for path in files:
        data = path.read_bytes()
        everything += data
        assert_no_canary(str(path.relative_to(data_dir)), data, scan, photo)
        for secret in material:
            assert secret not in data, f"key material found in {path}"
    if expect_positive:
        assert POSITIVE_CONTROL.encode() in everything, "the database file was not among the files searched"


def test_sqlite_files_hold_no_plaintext(tmp_path):
    root = tmp_path / "cli"  # the autouse fixture's tmp_path/data belongs to this process's settings
    data_dir, keys_dir, work = root / "data", root / "keys", root / "work"
    for d in (data_dir, work):
        d.mkdir(parents=True)
    env = cli_env(data_dir, keys_dir)
    cli(env, "migrate", "-v0", cwd=work)
    database = data_dir / "cityid.sqlite3"
    # A second connection held open keeps the command from being the last one to close, so its
    # writes stay in the -wal file (no final checkpoint): the WAL and -shm are searched too.
    watcher = sqlite3.connect(database)
    try:
        assert watcher.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        import_canaries(env, work, migrate=False)
        wal = Path(f"{database}-wal")
        assert wal.is_file() and wal.stat().st_size > 0
        assert Path(f"{database}-shm").is_file()
        scan_data_dir(data_dir, keys_dir, expect_positive=True)
        assert watcher.execute("SELECT count(*) FROM enrollment_applicant").fetchone()[0] == 2
    finally:
        watcher.close()
    # After the last connection closes (checkpoint into the main file), search again.
    sqlite3.connect(database).close()
    scan_data_dir(data_dir, keys_dir, expect_positive=True)


def _pg_dump() -> str | None:
    for candidate in ("/usr/lib/postgresql/15/bin/pg_dump", shutil.which("pg_dump")):
        if candidate and Path(candidate).is_file():
            return candidate
    return None


@pytest.mark.skipif(not os.environ.get("DATABASE_URL", "").startswith(("postgres", "postgresql")),
                    reason="PostgreSQL run only (DATABASE_URL)")
def test_postgresql_dump_holds_no_plaintext(tmp_path):
    import psycopg

    pg_dump = _pg_dump()
    if pg_dump is None:
        pytest.skip("pg_dump not installed")
    server_url = os.environ["DATABASE_URL"]
    name = f"cityid_at_rest_{uuid.uuid4().hex[:12]}"
    parts = urlsplit(server_url)
    scratch_url = urlunsplit(parts._replace(path=f"/{name}"))
    admin_url = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        root = tmp_path / "cli"
        data_dir, keys_dir, work = root / "data", root / "keys", root / "work"
        for d in (data_dir, work):
            d.mkdir(parents=True)
        env = cli_env(data_dir, keys_dir, scratch_url)
        import_canaries(env, work)
        dump = subprocess.run([pg_dump, "--no-owner", "--dbname", scratch_url], capture_output=True,
                              timeout=120)
        assert dump.returncode == 0, dump.stderr.decode()
        assert POSITIVE_CONTROL.encode() in dump.stdout
        assert b"vault_recordkey" in dump.stdout
        assert_no_canary("pg_dump", dump.stdout, canary_scan(), canary_photo())
        # bytea columns are dumped as hex: search the decoded form too.
        decoded = _decode_hex_runs(dump.stdout)
        assert len(decoded) > 1000, "no bytea values found in the dump"
        assert_no_canary("pg_dump (hex-decoded)", decoded, canary_scan(), canary_photo())
        scan_data_dir(data_dir, keys_dir, expect_positive=False)  # blobs only: no database file here
        for secret in assert_keys_apart(data_dir, keys_dir):
            assert secret not in dump.stdout
            assert secret.hex().encode() not in dump.stdout
    finally:
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _decode_hex_runs(dump: bytes) -> bytes:
    import re

    runs = re.finditer(rb"\\\\x((?:[0-9a-f]{2})+)", dump)
    return b"\x00".join(bytes.fromhex(m.group(1).decode()) for m in runs)
