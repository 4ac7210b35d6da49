"""``cityid audit export DIR``: the log as static files, byte for byte what the HTTP endpoints serve.

Writes ``DIR/checkpoint`` (the latest one signed on the log's schedule: exporting signs
nothing), ``DIR/verifier-key`` and every hash tile ``DIR/tile/<L>/<N>[.p/<W>]`` of that
checkpoint's tree, so that any static web server can publish the log (serve ``DIR`` under
``/audit/``). Proofs, not content: no entry bundles, and ``DIR/tile/entries`` left by an
export of an older version (which published entry contents) is removed. Files are replaced
atomically, and partial tiles of earlier exports are left in place for clients that still
hold older checkpoints.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

from cityid.audit import selectors, services
from cityid.audit.merkle import TILE_HEIGHT, TILE_WIDTH, tile_path, tile_width
from cityid.audit.models import Checkpoint
from cityid.core.files import PUBLIC, write_file


def _write(root: Path, relative: str, data: bytes) -> None:
    target = root.joinpath(*relative.split("/"))
    if target.is_file() and target.stat().st_size == len(data) and target.read_bytes() == data:
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    write_file(target, data, mode=PUBLIC)


class NothingSigned(services.LogInconsistent):
    """There is no signed checkpoint to export yet."""


def tile_refs(size: int) -> list[tuple[int, int, int]]:
    """``(level, index, width)`` of every hash tile of a tree of ``size`` entries."""
    refs = []
    level = 0
    while size >> (TILE_HEIGHT * level):
        count = size >> (TILE_HEIGHT * level)
        for index in range((count + TILE_WIDTH - 1) // TILE_WIDTH):
            width = tile_width(level, index, size)
            refs.append((level, index, width))
        level += 1
    return refs


def export_log(directory: Path, progress: Callable[[int], None] | None = None) -> Checkpoint:
    """Write the latest signed checkpoint with its hash tiles and the verifier key under ``directory``."""
    checkpoint = selectors.latest_checkpoint()
    if checkpoint is None:
        raise NothingSigned("nothing_signed")
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    stale = directory / "tile" / "entries"
    if stale.is_dir() and not stale.is_symlink():
        shutil.rmtree(stale)  # entry bundles an older export published: contents are no longer public
    for level, index, width in tile_refs(checkpoint.size):
        suffix = None if width == TILE_WIDTH else width
        data, path = selectors.tile(level, index, width), tile_path(level, index, suffix)
        if data is None:
            raise services.LogInconsistent("tile_unavailable", path=path, size=checkpoint.size)
        _write(directory, path, data)
        if progress:
            progress(1)
    _write(directory, "verifier-key", (selectors.verifier_key_text() or "").encode())
    _write(directory, "verifier-keys", (selectors.verifier_keys_text() or "").encode())
    _write(directory, "checkpoint", checkpoint.note.encode())  # last: it points at the tiles above
    return checkpoint
