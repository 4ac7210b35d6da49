"""The vault's record classes in the label catalogue."""

from __future__ import annotations

from cityid.ui.labels import register


def register_labels() -> None:
    from cityid.vault.models import RecordClass

    register("record_class", RecordClass.choices)
