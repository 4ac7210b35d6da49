"""The one way to write a whole file: key files, blobs, certificates, exports.

A file appears under its name complete or not at all, and once :func:`write_file` returns it survives a
power cut: the bytes go to a temporary file beside it (same directory, so the rename cannot cross file
systems), which is fsynced, renamed over the name (or linked to it, when an existing file must win),
and the directory is fsynced so that the rename itself is on disk. The file has ``mode`` from the
start; no other account sees it readable for a moment.

A temporary file left by a process that died mid-write is named ``<name>.<random>.partial``.
"""

from __future__ import annotations

import os
from pathlib import Path

PRIVATE = 0o600
PUBLIC = 0o644
TEMPORARY_SUFFIX = ".partial"


def write_file(path: str | os.PathLike[str], data: bytes | str, *, mode: int = PRIVATE, replace: bool = True) -> bool:
    """Write ``data`` (``str`` as UTF-8) to ``path`` atomically and durably, with ``mode``.

    ``replace=False`` creates the file only if it does not exist yet (a key written once): an existing
    file, or one a concurrent writer got in first, wins and ``False`` is returned. The directory must
    exist. Returns ``True`` when this call's bytes are now the file."""
    target = Path(path)
    payload = data.encode() if isinstance(data, str) else data
    tmp = target.with_name(f"{target.name}.{os.urandom(6).hex()}{TEMPORARY_SUFFIX}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, mode)
    try:
        try:
            os.fchmod(fd, mode)  # the umask narrowed the mode given to open()
            view = memoryview(payload)
            while view:
                view = view[os.write(fd, view) :]
            os.fsync(fd)
        finally:
            os.close(fd)
        if replace:
            os.replace(tmp, target)
            written = True
        else:
            try:
                os.link(tmp, target)
                written = True
            except FileExistsError:
                written = False
            os.unlink(tmp)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
    if written:
        sync_directory(target.parent)
    return written


def sync_directory(directory: str | os.PathLike[str]) -> None:
    """Fsync ``directory``: a rename, link or unlink in it survives a power cut only once this returns."""
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
