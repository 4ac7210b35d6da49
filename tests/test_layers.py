"""The lower layers import nothing from the layers above them (README, "Layout")."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import cityid

ROOT = Path(cityid.__file__).parent
LOWER = ("core", "ui", "cli")
ABOVE = ("vault", "audit", "accounts", "enrollment", "cards", "retention", "ops")


def imported_modules(path: Path, package: Path | None = None) -> set[str]:
    """Every module a file imports, at the top or inside a function (``package``: the folder it sits in)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            module = node.module or ""
            if node.level:  # relative: resolved against the file's package
                parts = (package or path.parent).relative_to(ROOT.parent).parts
                module = ".".join([*parts[: len(parts) - node.level + 1], *([module] if module else [])])
            names.add(module)
            names.update(f"{module}.{alias.name}" for alias in node.names)
    return names


@pytest.mark.parametrize("layer", LOWER)
def test_a_lower_layer_imports_no_app_above_it(layer: str) -> None:
    files = sorted((ROOT / layer).rglob("*.py"))
    assert files, f"cityid/{layer} has no modules"
    upward = {
        f"{path.relative_to(ROOT.parent)}: {name}"
        for path in files
        for name in imported_modules(path)
        if name.split(".")[:2] in [["cityid", app] for app in ABOVE]
    }
    assert not upward, sorted(upward)


def test_the_check_sees_an_upward_import(tmp_path: Path) -> None:
    module = tmp_path / "sample.py"
    module.write_text("def f():\n    from cityid.accounts.policy import allowed\n")
    assert "cityid.accounts.policy" in imported_modules(module)
    module.write_text("from .. import accounts\nfrom ..enrollment.forms import DateInput\n")
    found = imported_modules(module, package=ROOT / "ui")
    assert {"cityid.accounts", "cityid.enrollment.forms"} <= found
