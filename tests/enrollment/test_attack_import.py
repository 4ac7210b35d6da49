"""Attack on the import with a line nested too deep for the JSON parser: that line is rejected and the rest of
the file is still imported (not a RecursionError that stops the whole import)."""

from __future__ import annotations

from cityid.enrollment.imports import import_lines


def test_attack_a_line_nested_too_deep_is_rejected_alone(db):
    summary = import_lines(["[" * 100_000 + "]" * 100_000, "{}"], actor=None)
    assert [number for number, _reason in summary.rejected] == [1, 2]
    assert summary.imported == 0
