"""The layers (README, "Layout") are import-linter contracts in pyproject.toml; these tests run them and
show that they catch what they are for. Then the hooks the lower layers define and the owners fill in."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management.base import CommandError
from django.http import HttpResponse

import cityid

PROJECT = Path(cityid.__file__).parent.parent
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"


def lint_imports(project: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(LINT_IMPORTS), "--no-cache", "--config", str(project / "pyproject.toml")],
                          cwd=project, capture_output=True, text=True, timeout=300,
                          env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(project)})


def test_the_contracts_hold() -> None:
    result = lint_imports(PROJECT)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert "0 broken" in result.stdout


PLANTED = {
    # an upward import inside a function, from the bottom layer
    "cityid/core/planted.py": "def f():\n    from cityid.accounts.policy import allowed\n    return allowed\n",
    # a domain app reading another app's tables
    "cityid/cards/planted.py": "from cityid.retention.models import LegalHold\n",
    # a pure core reaching for Django
    "cityid/cards/numbers.py": "\n\ndef _planted():\n    import django.db\n    return django.db\n",
    # vault (below audit) importing audit closes a cycle as well as breaking the layers
    "cityid/vault/planted.py": "import cityid.audit.services\n",
}


@pytest.fixture(scope="module")
def planted_report(tmp_path_factory) -> str:
    copy = tmp_path_factory.mktemp("planted")
    shutil.copytree(PROJECT / "cityid", copy / "cityid",
                    ignore=shutil.ignore_patterns("__pycache__", "static", "locale", "templates"))
    shutil.copy(PROJECT / "pyproject.toml", copy / "pyproject.toml")
    for relative, text in PLANTED.items():
        with open(copy / relative, "a") as handle:
            handle.write(text)
    result = lint_imports(copy)
    assert result.returncode == 1, result.stdout[-4000:] + result.stderr[-2000:]
    return result.stdout


def test_a_planted_upward_import_is_caught(planted_report: str) -> None:
    assert "Layers: a module imports only from its own layer and the layers below it BROKEN" in planted_report
    assert "cityid.core.planted -> cityid.accounts.policy" in planted_report
    assert "cityid.vault.planted -> cityid.audit.services" in planted_report


def test_a_planted_read_of_another_apps_tables_is_caught(planted_report: str) -> None:
    assert "Only retention reads its own tables (cityid.retention.models) BROKEN" in planted_report
    assert "cityid.cards.planted -> cityid.retention.models" in planted_report


def test_a_planted_django_import_in_a_pure_core_is_caught(planted_report: str) -> None:
    assert "The pure cores import nothing from Django BROKEN" in planted_report
    assert "cityid.cards.numbers -> django" in planted_report


def test_a_planted_cycle_is_caught(planted_report: str) -> None:
    assert "No import cycle between cityid's packages BROKEN" in planted_report
    assert ".vault -> .audit" in planted_report or ".audit -> .vault" in planted_report


def test_the_cycle_script_sees_a_cycle() -> None:
    import importlib.machinery
    import importlib.util

    loader = importlib.machinery.SourceFileLoader("cycles_script", str(PROJECT / "scripts" / "cycles"))
    spec = importlib.util.spec_from_loader("cycles_script", loader)
    assert spec is not None
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    edges = {("a", "b"), ("b", "c"), ("c", "a"), ("c", "d")}
    assert module.strongly_connected({"a", "b", "c", "d"}, edges) == [["a", "b", "c"]]
    assert module.strongly_connected({"a", "b"}, {("a", "b")}) == []


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


class _Recorder:
    """A role policy that lets everything through and remembers what it was asked."""

    def __init__(self) -> None:
        self.asked: list[str] = []

    def policy(self):
        from cityid.cli import base

        return base.ActorPolicy(resolve=lambda name: name or "operator",
                                authorize=lambda actor, action: self.asked.append(action), refusal=PermissionError)


def test_a_subcommand_names_its_own_action(monkeypatch) -> None:
    from cityid.cli import base

    class Command(base.CityidCommand):
        action = "thing.read"
        subcommand_actions = {"change": "thing.change", "verify": None}

    recorder = _Recorder()
    monkeypatch.setattr(base, "_actor_policy", recorder.policy())
    command = Command()
    for subcommand in ("change", "verify", "list"):
        assert command.actor({"subcommand": subcommand, "actor": "clerk1"}) == "clerk1"
    assert command.actor({"actor": None}) == "operator"
    assert recorder.asked == ["thing.change", "thing.read", "thing.read"]


@pytest.mark.parametrize(
    ("command", "argv", "action"),
    [
        ("card", ["list"], "cards.read"),
        ("card", ["revoke", "1", "--reason", "lost"], "cards.status"),
        ("hold", ["list"], "retention.read"),
        ("hold", ["release", "1"], "retention.hold"),
        ("retention", ["schedule", "--list"], "retention.read"),
        ("retention", ["schedule", "--class", "x"], "retention.schedule"),
        ("retention", ["run", "--as-of", "2026-01-01"], "retention.dispose"),
        ("certificate", ["list"], "retention.read"),
        ("certificate", ["verify", "x.json"], None),
        ("certificate", ["rotate-key"], "keys.rotate"),
        ("audit", ["rotate-key"], "keys.rotate"),
        ("audit", ["verify"], None),
    ],
)
def test_the_commands_declare_their_subcommands_actions(command: str, argv: list[str], action: str | None) -> None:
    from django.core.management import load_command_class

    from cityid.cli.base import CityidCommand

    app = {"card": "cards", "hold": "retention", "retention": "retention", "certificate": "retention",
           "audit": "audit"}[command]
    instance = load_command_class(f"cityid.{app}", command)
    assert isinstance(instance, CityidCommand)
    options = vars(instance.create_parser("cityid", command).parse_args(argv))
    assert instance.action_for(options) == action


def test_audit_shows_unknown_sign_ins_only_through_the_hook(monkeypatch) -> None:
    from cityid.accounts.selectors import unknown_sign_in_failures
    from cityid.audit import selectors

    assert selectors._unknown_sign_ins is unknown_sign_in_failures  # accounts registers it in ready()
    monkeypatch.setattr(selectors, "_unknown_sign_ins", None)
    assert selectors.unknown_sign_ins() is None
    monkeypatch.setattr(selectors, "_unknown_sign_ins", lambda: {"today": 2, "period": 5, "days": 30})
    assert selectors.unknown_sign_ins() == {"today": 2, "period": 5, "days": 30}
