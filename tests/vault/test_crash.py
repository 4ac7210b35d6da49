"""Blob files and rows stay consistent through failures: a rolled-back transaction removes the
files it wrote; a process killed mid-transaction leaves only unreadable ciphertext that
``cityid vault sweep`` removes; a committed row never points at a missing file."""

from __future__ import annotations

import io
import os
import sqlite3
import subprocess
import sys
import textwrap
import time
import uuid
from datetime import date
from pathlib import Path

import pytest
from django.conf import settings

from cityid.enrollment.models import Applicant, Application, PresentedDocument
from cityid.vault import envelope
from cityid.vault import services as vault
from cityid.vault.models import BlindIndex, Blob, RecordKey
from cityid.vault.providers import LocalKeyring
from tests.conftest import make_input

PROJECT = Path(__file__).resolve().parents[2]
TODAY = date(2026, 11, 20)


def blob_files(root: Path | None = None) -> list[Path]:
    root = Path(root or settings.BLOB_DIR)
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


# --- (a) an exception before commit --------------------------------------------------------


@pytest.mark.django_db
def test_exception_after_blob_written_leaves_nothing(staff, monkeypatch):
    written: list[Path] = []
    real_store = vault.store_blobs

    def recording_store(items):
        blobs = real_store(items)
        for blob in blobs:
            written.append(vault.blob_path(blob.uuid))
            assert written[-1].is_file()
        return blobs

    def failing_bulk_create(*args, **kwargs):
        raise RuntimeError("simulated failure after the blobs were written")

    monkeypatch.setattr(vault, "store_blobs", recording_store)
    monkeypatch.setattr(PresentedDocument.objects, "bulk_create", failing_bulk_create)
    from cityid.enrollment.services import enroll

    with pytest.raises(RuntimeError, match="simulated"):
        enroll(data=make_input(), enrolled_by=staff["clerk"], today=TODAY)

    assert len(written) == 2  # the photo and the passport scan reached the disk before the failure
    assert not any(path.exists() for path in written)
    assert blob_files() == []
    for model in (Blob, RecordKey, BlindIndex, Applicant, Application, PresentedDocument):
        assert model.objects.count() == 0, model.__name__


@pytest.mark.django_db
def test_exception_in_outer_transaction_removes_inner_blobs(staff):
    """A completed inner enrollment inside a failing outer transaction (the importer) leaves nothing."""
    from cityid.enrollment.services import enroll

    with pytest.raises(RuntimeError), vault.atomic_with_blobs():
        enroll(data=make_input(), enrolled_by=staff["clerk"], today=TODAY)
        assert len(blob_files()) == 2
        raise RuntimeError("the outer step failed")
    assert blob_files() == []
    assert Blob.objects.count() == RecordKey.objects.count() == Applicant.objects.count() == 0


# --- (b) a hard crash mid-transaction ----------------------------------------------------

CHILD = textwrap.dedent(
    """
    import os, sys
    sys.path.insert(0, {project!r})
    import django
    django.setup()
    from datetime import date
    from django.conf import settings
    from django.core.management import call_command
    call_command("migrate", verbosity=0)

    from cityid.enrollment.services import enroll
    from cityid.vault import services as vault
    from tests.conftest import jpeg_bytes, make_input

    enroll(data=make_input(external_id="COMMITTED"), enrolled_by=None, today=date(2026, 11, 20))
    print("committed", flush=True)

    import threading
    real_replace = os.replace
    first = threading.Lock()  # blob files are written by several threads: the first to finish ends it all

    def replace_then_die(src, dst, *args, **kwargs):
        real_replace(src, dst, *args, **kwargs)
        if str(dst).startswith(str(settings.BLOB_DIR)):
            first.acquire()
            print("crash", dst, flush=True)
            os._exit(1)  # no rollback, no cleanup, no atexit: like a power cut

    os.replace = replace_then_die  # the one file writer (cityid.core.files) renames with it
    enroll(data=make_input(external_id="CRASHED", given_name="Crashname", photo={photo!r}),
           enrolled_by=None, today=date(2026, 11, 20))
    print("not reached", flush=True)
    """
)


def child_env(data_dir: Path, keys_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CITYID_") and k != "DATABASE_URL"}
    env.update(
        CITYID_DATA_DIR=str(data_dir),
        CITYID_KEYS_DIR=str(keys_dir),
        CITYID_TESTING="1",
        CITYID_DOCUMENT_COPIES="keep",
        DJANGO_SETTINGS_MODULE="cityid.settings",
    )
    return env


def rows(database: Path, sql: str) -> list[tuple]:
    conn = sqlite3.connect(database)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


def test_hard_crash_leaves_only_an_unreadable_orphan_that_sweep_removes(tmp_path):
    from tests.conftest import jpeg_bytes

    root = tmp_path / "crash"
    data_dir, keys_dir = root / "data", root / "keys"
    data_dir.mkdir(parents=True)
    env = child_env(data_dir, keys_dir)
    photo = jpeg_bytes(color=(250, 1, 250)) + b"CRASHPHOTOPLAINTEXT"
    done = subprocess.run(
        [sys.executable, "-c", CHILD.format(project=str(PROJECT), photo=photo)],
        env=env,
        cwd=root,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 1, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == "committed" and lines[1].startswith("crash "), done.stdout + done.stderr
    orphan = Path(lines[1].split(" ", 1)[1])
    assert "not reached" not in done.stdout
    assert orphan.is_file()

    database = data_dir / "cityid.sqlite3"
    # Only the first enrollment committed.
    assert rows(database, "SELECT external_id FROM enrollment_applicant") == [("COMMITTED",)]
    record_keys = rows(database, "SELECT uuid, key_id, wrapped_key, subject_ref FROM vault_recordkey")
    assert len(record_keys) == 3  # application, photo and documents records of the committed applicant
    public_id = rows(database, "SELECT public_id FROM enrollment_applicant")[0][0]
    applicant_ref = f"applicant:{uuid.UUID(public_id)}"
    assert {r[3] for r in record_keys if not r[3].startswith("application:")} == {applicant_ref}

    # Every committed Blob row's file exists; the orphan is not referred to by any row.
    blob_uuids = {uuid.UUID(u) for (u,) in rows(database, "SELECT uuid FROM vault_blob")}
    assert len(blob_uuids) == 2
    for blob_uuid in blob_uuids:
        assert (data_dir / "blobs" / blob_uuid.hex[:2] / blob_uuid.hex).is_file()
    orphan_uuid = uuid.UUID(hex=orphan.name)
    assert orphan_uuid not in blob_uuids
    committed_files = {data_dir / "blobs" / u.hex[:2] / u.hex for u in blob_uuids}
    # The crash may have caught a second writer thread mid-file too: every leftover is an orphan.
    orphans = set(blob_files(data_dir / "blobs")) - committed_files
    assert orphan in orphans

    # Each orphan holds ciphertext only, and no committed record key opens it: its data key was
    # never committed (the RecordKey row died with the transaction).
    keyring = LocalKeyring(keys_dir)
    for leftover in orphans:
        sealed = leftover.read_bytes()
        assert b"CRASHPHOTOPLAINTEXT" not in sealed and photo[:64] not in sealed
        leftover_uuid = leftover.name.split(".")[0]
        for key_uuid, key_id, wrapped, _ref in record_keys:
            data_key = keyring.unwrap(key_id, wrapped)
            with pytest.raises(envelope.SealError):
                envelope.open_sealed(
                    data_key, sealed, f"{uuid.UUID(key_uuid)}:blob:{uuid.UUID(leftover_uuid)}".encode()
                )

    # The sweep removes the orphan (a young one only once it is old enough) and nothing else.
    sweep = textwrap.dedent(
        """
        import django
        django.setup()
        from django.core.management import call_command
        call_command("vault", "sweep", "--minutes", "60")
        call_command("vault", "sweep", "--minutes", "0")
        """
    )
    done = subprocess.run([sys.executable, "-c", sweep], env=env, cwd=root, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["removed 0 orphan blob file(s)", f"removed {len(orphans)} orphan blob file(s)"]
    assert not orphan.exists()
    assert len(blob_files(data_dir / "blobs")) == 2
    assert len(rows(database, "SELECT id FROM vault_blob")) == 2


# --- (c) the sweep itself ----------------------------------------------------------------


@pytest.mark.django_db
def test_sweep_removes_only_old_orphans_and_partials(staff):
    from django.core.management import call_command

    from cityid.enrollment.services import enroll

    enroll(data=make_input(), enrolled_by=staff["clerk"], today=TODAY)
    committed = blob_files()
    assert len(committed) == 2
    old = time.time() - 7200
    for path in committed:
        os.utime(path, (old, old))

    def stray(name: str, *, age: float) -> Path:
        path = Path(settings.BLOB_DIR) / name[:2] / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"\x01" + os.urandom(40))
        os.utime(path, (time.time() - age, time.time() - age))
        return path

    old_orphan = stray(uuid.uuid4().hex, age=7200)
    old_partial = stray(uuid.uuid4().hex + ".partial", age=7200)
    young_orphan = stray(uuid.uuid4().hex, age=10)
    not_a_blob = stray("zz-notes.txt", age=7200)

    out = io.StringIO()
    call_command("vault", "sweep", stdout=out)  # default: older than 60 minutes
    assert out.getvalue().strip() == "removed 2 orphan blob file(s)"
    assert not old_orphan.exists() and not old_partial.exists()
    assert young_orphan.exists() and not_a_blob.exists()
    assert all(path.exists() for path in committed)

    assert vault.sweep_orphan_blobs(older_than_seconds=0) == 1
    assert not young_orphan.exists()
    assert all(path.exists() for path in committed)
    assert Blob.objects.count() == 2


def test_a_blob_file_and_its_directory_entry_are_on_disk_before_its_row(staff, monkeypatch):
    """fsync of the file, then of its directory (which holds the rename into place), before
    ``store_blobs`` returns and its caller inserts the rows."""
    from cityid.enrollment import services as enrollment

    synced: list[str] = []
    real_fsync, real_store = os.fsync, vault.store_blobs
    returned_at: list[int] = []

    def recording_fsync(fd: int) -> None:  # runs in the blob-writer threads: no database here
        real_fsync(fd)
        synced.append(os.readlink(f"/proc/self/fd/{fd}"))

    def store_blobs(items):
        blobs = real_store(items)
        returned_at.append(len(synced))
        return blobs

    monkeypatch.setattr(os, "fsync", recording_fsync)
    monkeypatch.setattr(vault, "store_blobs", store_blobs)
    application = enrollment.enroll(data=make_input(), enrolled_by=staff["clerk"], today=date(2026, 11, 20))

    final = vault.blob_path(application.applicant.photo.uuid)
    file_synced = next(
        i for i, name in enumerate(synced) if name.startswith(f"{final}.") and name.endswith(".partial")
    )
    directory_synced = synced.index(str(final.parent), file_synced)
    assert directory_synced < returned_at[0]
