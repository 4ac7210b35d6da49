"""The SQLite database file (and the blob directories), readable by their owner only.

SQLite creates a database file with the process's umask (usually 0644: readable by every account on the
host) and gives its ``-wal`` and ``-shm`` files the database file's mode. Here the file is created 0600
before SQLite first opens it (``cityid`` and the WSGI entry point call :func:`make_private` before
Django connects), and an existing file (of an older installation) is narrowed to 0600 with its
companions, so a copy of the host's files taken by another account reads nothing.
"""

from __future__ import annotations

import os
from typing import Any

PRIVATE_FILE = 0o600


def make_private(name: Any) -> None:
    """Create the database file ``name`` mode 0600 if it is missing; narrow it and its -wal/-shm to 0600."""
    path = os.fspath(name)
    if not path or path == ":memory:" or path.startswith("file:"):  # in-memory (tests) or a URI: nothing on disk
        return
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, PRIVATE_FILE)
    except FileNotFoundError:  # no such directory: SQLite reports it as it always does
        return
    try:
        if os.fstat(fd).st_mode & 0o777 != PRIVATE_FILE:
            os.fchmod(fd, PRIVATE_FILE)
    finally:
        os.close(fd)
    for suffix in ("-wal", "-shm", "-journal"):
        try:
            os.chmod(path + suffix, PRIVATE_FILE)
        except FileNotFoundError:
            pass


def make_private_directories(root: Any) -> None:
    """``root`` and the directories directly in it narrowed to 0700 (blob directories of an older installation;
    new ones are created so, and blob files always were 0600)."""
    root = os.fspath(root)
    try:
        directories = [root] + [entry.path for entry in os.scandir(root) if entry.is_dir(follow_symlinks=False)]
    except FileNotFoundError:
        return
    for directory in directories:
        found = os.stat(directory)
        if found.st_mode & 0o077 and found.st_uid == os.getuid():
            os.chmod(directory, 0o700)


def make_private_database() -> None:
    """At start: :func:`make_private` for the default database when it is an SQLite file, and
    :func:`make_private_directories` for the blob store."""
    from django.conf import settings

    database = settings.DATABASES["default"]
    if database["ENGINE"].endswith("sqlite3"):
        make_private(database["NAME"])
    make_private_directories(settings.BLOB_DIR)
