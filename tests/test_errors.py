"""One way to word an error: ``CityidError(code, **params)`` raised, words only at the edges (issue 9).

Every project exception is a CityidError; every code raised anywhere (found by reading the source) has
words in English and in Spanish (the compiled catalogue); a refusing page shows the sentence, never the
code; a failing command prints one line; the pure cores import no Django; roles are named only in the
policy table.
"""

from __future__ import annotations

import ast
import importlib
import pkgutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.utils import translation

import cityid
from cityid.accounts.policy import ROLES
from cityid.core.errors import CityidError, has_words, message, register_messages

ROOT = Path(cityid.__file__).parent
NOT_IMPORTED = ("cityid.settings", "cityid.wsgi", "cityid.__main__")


def _project_modules() -> Iterator[str]:
    for info in pkgutil.walk_packages([str(ROOT)], prefix="cityid."):
        if ".migrations" in info.name or info.name in NOT_IMPORTED:
            continue
        yield info.name


def _error_classes() -> dict[str, type[CityidError]]:
    for name in _project_modules():
        importlib.import_module(name)
    found: dict[str, type[CityidError]] = {}
    todo = [CityidError]
    while todo:
        cls = todo.pop()
        for sub in cls.__subclasses__():
            if sub.__module__.startswith("cityid."):
                found[sub.__name__] = sub
            todo.append(sub)
    return found


def _sources() -> Iterator[tuple[Path, ast.AST]]:
    for path in sorted(ROOT.rglob("*.py")):
        if "migrations" not in path.parts:
            yield path, ast.parse(path.read_text(), filename=str(path))


# --- the classes ---------------------------------------------------------------------------------


def test_every_project_exception_is_a_cityid_error() -> None:
    classes = _error_classes()
    outside = []
    for name in _project_modules():
        module = sys.modules[name]
        for value in vars(module).values():
            if (isinstance(value, type) and issubclass(value, BaseException) and value.__module__ == name
                    and not value.__name__.startswith("_") and not issubclass(value, CityidError)):
                outside.append(f"{name}.{value.__name__}")
    assert not outside, outside
    assert len(classes) >= 23


def test_parents_other_code_catches_are_kept() -> None:
    from cityid.accounts.policy import PermissionDenied
    from cityid.accounts.services import StaffRefused
    from cityid.audit.selectors import UnknownActor
    from cityid.enrollment.eligibility import RulesError
    from cityid.enrollment.selectors import PurposeInvalid
    from cityid.retention.scope import ScopeInvalid

    assert issubclass(StaffRefused, ValueError) and issubclass(RulesError, ValueError)
    assert issubclass(ScopeInvalid, ValueError) and issubclass(UnknownActor, LookupError)
    assert issubclass(PurposeInvalid, PermissionDenied) and issubclass(PurposeInvalid, ValueError)


# --- every code raised has words ---------------------------------------------------------------------

#: Classes whose constructor sets the code (and its params) itself: the arguments are not a code.
FIXED_CODE = {"EnrollmentInvalid": ("invalid", ("fields",)), "ReadLimitReached": ("read_limit", ("window",))}
#: Classes whose code is the second argument.
CODE_POSITION = {"LogBroken": 1}
#: Call sites that pass the code in a variable: the codes they can pass, with their params.
DYNAMIC = {
    ("enrollment/selectors.py", "PurposeInvalid"): dict.fromkeys(
        ("missing", "malformed", "not_a_case", "closed", "not_assigned", "reason", "rate_limit"), ()),
    ("audit/verify.py", "LogBroken"): {"tile_width": ("tile", "width", "size", "want"), "tile_missing": ("tile",)},
    # The refusal of the child process that reads a PDF (uploads.clean_pdf), raised again in the parent.
    ("enrollment/uploads.py", "UploadRefused"): {"pdf_active": (), "pdf_encrypted": (), "pdf_unreadable": (),
                                                 "pdf_pages": ("max_pages",)},
    # "too_many_" and the blocking key with the most candidate pairs (splink_model.BLOCKING_COLUMNS).
    ("matching/splink_model.py", "TooManyCandidates"): dict.fromkeys(
        ("too_many_dob_key", "too_many_name_key", "too_many_doc_key"), ("total", "pairs", "most", "limit")),
}
#: Words that carry no text of their own (the params are already in the reader's words).
NO_TEXT = {("EnrollmentInvalid", "invalid"), ("RulesError", "in_file"), ("LineInvalid", "decision_refused"),
           ("StagingRefused", "file_refused")}


def raise_sites() -> list[tuple[str, str, str, tuple[str, ...]]]:
    """``(where, class name, code, param names)`` for every construction of a project error in cityid/."""
    classes = _error_classes()
    sites = []
    for path, tree in _sources():
        where = str(path.relative_to(ROOT))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else None
            if name not in classes:
                continue
            params = tuple(sorted(k.arg for k in node.keywords if k.arg))
            if name in FIXED_CODE:
                sites.append((f"{where}:{node.lineno}", name, *FIXED_CODE[name]))
                continue
            position = CODE_POSITION.get(name, 0)
            argument = node.args[position] if len(node.args) > position else None
            if isinstance(argument, ast.Constant) and isinstance(argument.value, str):
                sites.append((f"{where}:{node.lineno}", name, argument.value, params))
            else:
                codes = DYNAMIC.get((where, name))
                assert codes, f"{where}:{node.lineno}: {name} raised without a literal code"
                sites.extend((f"{where}:{node.lineno}", name, code, codes[code]) for code in sorted(codes))
    return sites


def _worded(cls: type[CityidError], code: str, params: tuple[str, ...]) -> CityidError:
    error = cls.__new__(cls)
    CityidError.__init__(error, code, **{"index": 7, **dict.fromkeys(params, 7)})
    return error


def test_the_source_scan_finds_the_raise_sites() -> None:
    sites = {(name, code) for _, name, code, _ in raise_sites()}
    assert ("StaffRefused", "self") in sites and ("ScopeInvalid", "unknown_term") in sites
    assert ("LogBroken", "not_json") in sites and ("PurposeInvalid", "rate_limit") in sites
    assert len(sites) > 200


def test_every_raised_code_has_words_in_english_and_spanish() -> None:
    classes = _error_classes()
    missing, untranslated = [], []
    for where, name, code, params in raise_sites():
        cls = classes[name]
        if not has_words(cls, code):
            missing.append(f"{where}: {name}({code!r})")
            continue
        error = _worded(cls, code, params)
        with translation.override("en"):
            english = message(error)
        with translation.override("es"):
            spanish = message(error)
        if english == code:
            missing.append(f"{where}: {name}({code!r}) params {params} do not fill its words")
        elif spanish == english and (name, code) not in NO_TEXT:
            untranslated.append(f"{where}: {name}({code!r}): {english}")
    assert not missing, missing
    assert not untranslated, untranslated


def test_message_formats_params_and_falls_back_to_the_code() -> None:
    class Sample(CityidError):
        pass

    register_messages(Sample, {"named": "the term %(term)s is unknown", "called": lambda n: f"{n} left"})
    assert str(Sample("named", term="x")) == "the term x is unknown"
    assert str(Sample("called", n=3)) == "3 left"
    assert str(Sample("unregistered")) == "unregistered"
    assert str(Sample("named")) == "named"  # a missing param never raises while wording an error
    assert Sample("named", term="x").code == "named" and Sample().code == "error"


# --- the edges -----------------------------------------------------------------------------------


def test_a_refusing_page_in_spanish_shows_the_sentence_never_the_code(staff) -> None:
    from tests.retention.test_views import sign_in

    client = sign_in(staff["counsel"])
    client.post("/i18n/setlang/", {"language": "es", "next": "/"})
    response = client.post("/retention/holds/new/", {"case_name": "People v. Canary", "court": "Supreme Court",
                                                     "scope": "class:nope"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "clase desconocida" in html and "class:nope" in html
    assert "unknown_class" not in html and "unknown class" not in html


def test_a_refusing_staff_page_shows_the_sentence(staff) -> None:
    from tests.retention.test_views import sign_in

    client = sign_in(staff["admin"])
    response = client.post(f"/accounts/staff/{staff['admin'].pk}/deactivate/", {"reason": "left", "confirmed": "yes"},
                           follow=True)
    html = response.content.decode()
    assert "You cannot deactivate your own account." in html


def test_a_failing_command_prints_one_line(staff, capsys, monkeypatch) -> None:
    from django.core.management import base

    from cityid.retention.management.commands.hold import Command

    monkeypatch.setattr(base.connections, "close_all", lambda: None)  # keep the test's transaction open
    with pytest.raises(SystemExit) as exited:
        Command().run_from_argv(["cityid", "hold", "place", "--case", "C", "--court", "K", "--scope", "class:nope",
                                 "--actor", "counsel1"])
    assert exited.value.code == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("cityid: ") and "unknown class 'nope'" in err[0], err
    assert "unknown_class" not in err[0]


def test_a_cityid_error_from_a_service_reaches_the_command_as_words(staff) -> None:
    with pytest.raises(CommandError, match="^cannot revoke the card: A card number has 16 digits.$"):
        call_command("card", "revoke", "1234", "--reason", "lost", "--actor", "supervisor1")
    with pytest.raises(CommandError, match="^no hold 999$"):
        call_command("hold", "release", "999", "--actor", "counsel1")


# --- pure cores, roles ---------------------------------------------------------------------------

PURE = ("cityid.core.errors", "cityid.retention.scope", "cityid.retention.certificate", "cityid.audit.note",
        "cityid.enrollment.eligibility", "cityid.enrollment.uploads", "cityid.vault.envelope")


def test_the_pure_cores_import_no_django() -> None:
    code = (f"import sys\nfor name in {PURE!r}:\n    __import__(name)\n"
            "print(sorted(m for m in sys.modules if m == 'django' or m.startswith('django.')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_no_role_is_named_outside_the_policy_table() -> None:
    named = [
        f"{path.relative_to(ROOT)}:{node.lineno}: {node.value!r}"
        for path, tree in _sources()
        if path != ROOT / "accounts" / "policy.py"
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value in ROLES
    ]
    assert not named, named
