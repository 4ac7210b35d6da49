"""Secret files in the key directory (signing keys): written once, atomically, mode 0600."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def create_secret_file(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` unless it exists. Fsynced before it appears under its name; a concurrent
    creator's file wins if it got there first, and an existing key is never overwritten."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        try:
            os.link(tmp, path)
        except FileExistsError:
            pass
    finally:
        os.unlink(tmp)
