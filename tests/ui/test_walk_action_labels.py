"""Every audit action the code writes has a label: the auditor's action filter and the events table never
show a raw code such as ``enrollment.submit``."""

from __future__ import annotations

import re
from pathlib import Path

import cityid
from cityid.ui import labels

WRITTEN = re.compile(r'\baction="([a-z_]+\.[a-z_]+)"')
CHOSEN = re.compile(r'\baction="([a-z_]+\.[a-z_]+)"\s+if\s+[^"]+\s+else\s+"([a-z_]+\.[a-z_]+)"')


def written_actions() -> set[str]:
    found: set[str] = set()
    for path in Path(cityid.__file__).parent.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        found.update(WRITTEN.findall(text))
        for pair in CHOSEN.findall(text):
            found.update(pair)
    return found


def test_every_written_audit_action_has_a_label(db):
    registered = set(labels.kinds()["audit_action"])
    actions = written_actions()
    assert "enrollment.submit" in actions
    assert sorted(actions - registered) == []
