"""The lower layers import nothing from the layers above them (README, "Layout")."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from django.core.management.base import CommandError
from django.http import HttpResponse

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


# --- the hooks the lower layers define and accounts fills in -------------------------------------


class _SignedIn:
    is_authenticated = True
    role = "auditor"

    def is_verified(self) -> bool:
        return True


def _page(request: object) -> HttpResponse:
    return HttpResponse("the page")


def test_accounts_registers_its_role_policy() -> None:
    from cityid.accounts.policy import PermissionDenied
    from cityid.accounts.services import authorize, resolve_command_actor
    from cityid.cli import base
    from cityid.ui import decorators

    assert decorators._policy.refusal is PermissionDenied
    assert base._actor_policy is not None
    assert (base._actor_policy.resolve, base._actor_policy.authorize) == (resolve_command_actor, authorize)


def test_requires_refuses_every_page_without_a_policy(rf, monkeypatch) -> None:
    from cityid.ui import decorators

    request = rf.get("/audit/")
    request.user = _SignedIn()
    view = decorators.requires("audit.read")(_page)
    assert view(request).content == b"the page"  # the registered policy lets an auditor read the log
    monkeypatch.setattr(decorators, "_policy", decorators._REFUSE_ALL)
    assert view(request).status_code == 403


def test_commands_refuse_an_actor_without_a_policy(monkeypatch) -> None:
    from cityid.cli import base

    monkeypatch.setattr(base, "_actor_policy", None)
    with pytest.raises(CommandError, match="^permission denied: "):
        base.CityidCommand().actor({"actor": None})
