"""The one file writer: atomic (complete under its name or absent), durable, with its mode from the start."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from cityid.core import files


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    path = tmp_path / "written"
    path.mkdir()
    return path


def mode_of(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_writes_bytes_and_text_private_by_default(folder: Path) -> None:
    key = folder / "key"
    assert files.write_file(key, b"\x00secret") is True
    assert key.read_bytes() == b"\x00secret" and mode_of(key) == 0o600
    note = folder / "note.json"
    files.write_file(note, "señal", mode=files.PUBLIC)
    assert note.read_text(encoding="utf-8") == "señal" and mode_of(note) == 0o644
    assert sorted(p.name for p in folder.iterdir()) == ["key", "note.json"]  # no temporary file left


def test_the_mode_is_not_widened_by_the_umask_or_narrowed_by_it(folder: Path) -> None:
    old = os.umask(0o077)
    try:
        files.write_file(folder / "cert", b"{}", mode=files.PUBLIC)
    finally:
        os.umask(old)
    assert mode_of(folder / "cert") == 0o644


def test_replaces_an_existing_file_whole(folder: Path) -> None:
    path = folder / "keyring.json"
    path.write_bytes(b"old contents, longer than the new ones")
    os.chmod(path, 0o644)
    files.write_file(path, b"new")
    assert path.read_bytes() == b"new" and mode_of(path) == 0o600


def test_create_only_keeps_the_existing_file(folder: Path) -> None:
    path = folder / "signing.pem"
    assert files.write_file(path, b"first", replace=False) is True
    assert files.write_file(path, b"second", replace=False) is False
    assert path.read_bytes() == b"first"
    assert [p.name for p in folder.iterdir()] == ["signing.pem"]


def test_a_failed_write_leaves_the_old_file_and_no_temporary(folder: Path, monkeypatch) -> None:
    path = folder / "export"
    path.write_bytes(b"before")

    def disk_full(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(files.os, "fsync", disk_full)
    with pytest.raises(OSError):
        files.write_file(path, b"after")
    assert path.read_bytes() == b"before"
    assert [p.name for p in folder.iterdir()] == ["export"]


def test_the_file_then_its_directory_are_fsynced_around_the_rename(folder: Path, monkeypatch) -> None:
    events: list[str] = []
    real_fsync, real_replace = os.fsync, os.replace

    def fsync(fd: int) -> None:
        real_fsync(fd)
        events.append("fsync " + os.readlink(f"/proc/self/fd/{fd}"))

    def replace(src, dst) -> None:
        real_replace(src, dst)
        events.append(f"replace {src} {dst}")

    monkeypatch.setattr(files.os, "fsync", fsync)
    monkeypatch.setattr(files.os, "replace", replace)
    path = folder / "blob"
    files.write_file(path, b"sealed")
    assert len(events) == 3
    tmp = events[0].removeprefix("fsync ")
    assert tmp.startswith(f"{path}.") and tmp.endswith(files.TEMPORARY_SUFFIX)
    assert events[1:] == [f"replace {tmp} {path}", f"fsync {folder}"]
