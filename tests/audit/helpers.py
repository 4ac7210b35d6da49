"""Shared helpers for the database-backed audit log tests."""

from __future__ import annotations

from cityid.audit import services


def fill(count: int, *, prefix: str = "rec", batch: int = 5000) -> None:
    """Append ``count`` synthetic pseudonymous entries (in batches)."""
    done = 0
    while done < count:
        n = min(batch, count - done)
        services.append_entries(
            {"actor": f"staff:{(done + i) % 7}", "role": "clerk", "action": "personal.read",
             "target": f"{prefix}:{done + i}", "purpose": "review"}
            for i in range(n)
        )
        done += n
