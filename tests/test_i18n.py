"""English/Spanish UI: the committed catalogue is complete and compiled, and the language switch works.

Refreshing the catalogue is described in cityid/locale/README.md. The .po file is parsed here with a
small stdlib parser (the project does not depend on polib); the compiled .mo is read with ``gettext``.
"""

from __future__ import annotations

import ast
import gettext
import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import pytest
from django.utils import translation

import cityid
from cityid.enrollment import eligibility
from cityid.enrollment.eligibility import PROBLEM_CODES, PresentedDocument
from cityid.enrollment.messages import MESSAGES, problem_message

LC_MESSAGES = Path(cityid.__file__).resolve().parent / "locale" / "es" / "LC_MESSAGES"
PO_FILE = LC_MESSAGES / "django.po"
MO_FILE = LC_MESSAGES / "django.mo"

PLACEHOLDER = re.compile(r"%\(\w+\)[sd]")


@dataclass
class Entry:
    line: int
    msgctxt: str | None = None
    msgid: str = ""
    msgid_plural: str | None = None
    msgstr: dict[int, str] = field(default_factory=dict)  # plural index -> text; singular uses 0
    flags: set[str] = field(default_factory=set)


def parse_po(path: Path) -> list[Entry]:
    """Entries of a .po file, header included, obsolete (``#~``) entries left out."""
    entries: list[Entry] = []
    current: Entry | None = None
    target: tuple[str, int | None] | None = None  # which field continuation lines append to

    def finish() -> None:
        nonlocal current, target
        if current is not None:
            entries.append(current)
        current, target = None, None

    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#~"):
            if not line:
                finish()
            continue
        if line.startswith("#"):
            if current is not None and target is not None and target[0] != "flags-only":
                finish()  # a comment after a msgstr starts a new entry even without a blank line
            if current is None:
                current, target = Entry(line=number), ("flags-only", None)
            if line.startswith("#,"):
                current.flags.update(flag.strip() for flag in line[2:].split(","))
            continue
        keyword, _, rest = line.partition(" ")
        if keyword.startswith('"'):
            assert current is not None and target is not None and target[0] != "flags-only", f"line {number}"
            text = ast.literal_eval(line)
            name, index = target
            if name == "msgstr":
                current.msgstr[index] += text
            else:
                setattr(current, name, getattr(current, name) + text)
            continue
        if keyword == "msgctxt" or (keyword == "msgid" and current is not None and current.msgstr):
            finish()
        if current is None:
            current = Entry(line=number)
        text = ast.literal_eval(rest)
        match = re.fullmatch(r"msgstr\[(\d+)\]", keyword)
        if match:
            target = ("msgstr", int(match.group(1)))
            current.msgstr[target[1]] = text
        elif keyword == "msgstr":
            target = ("msgstr", 0)
            current.msgstr[0] = text
        elif keyword in {"msgctxt", "msgid", "msgid_plural"}:
            target = (keyword, None)
            setattr(current, keyword, text)
        else:
            raise AssertionError(f"{path}:{number}: unexpected line {raw!r}")
    finish()
    return entries


@pytest.fixture(scope="module")
def po_entries() -> list[Entry]:
    return parse_po(PO_FILE)


@pytest.fixture(scope="module")
def nplurals(po_entries) -> int:
    header = po_entries[0]
    assert header.msgid == "", "the .po file must start with its header"
    match = re.search(r"nplurals=(\d+)", header.msgstr[0])
    assert match, "the header has no Plural-Forms"
    return int(match.group(1))


def test_catalogue_is_complete_and_not_fuzzy(po_entries, nplurals) -> None:
    header, messages = po_entries[0], po_entries[1:]
    assert "fuzzy" not in header.flags
    assert len(messages) > 100, "the catalogue looks truncated"
    problems = []
    for entry in messages:
        where = f"django.po:{entry.line} {entry.msgid!r}"
        if "fuzzy" in entry.flags:
            problems.append(f"{where}: fuzzy")
        expected = set(range(nplurals)) if entry.msgid_plural is not None else {0}
        if set(entry.msgstr) != expected:
            problems.append(f"{where}: has msgstr indexes {sorted(entry.msgstr)}, expected {sorted(expected)}")
        for index, text in entry.msgstr.items():
            if not text.strip():
                problems.append(f"{where}: msgstr[{index}] is empty")
                continue
            source = entry.msgid if index == 0 or entry.msgid_plural is None else entry.msgid_plural
            if sorted(PLACEHOLDER.findall(text)) != sorted(PLACEHOLDER.findall(source)):
                problems.append(f"{where}: placeholders differ in msgstr[{index}]")
    assert not problems, "\n".join(problems)


def test_compiled_catalogue_matches_the_po_file(po_entries, nplurals) -> None:
    """The committed .mo must be recompiled whenever the .po changes (users do not need gettext)."""
    assert MO_FILE.exists(), "run compilemessages (see cityid/locale/README.md)"
    with MO_FILE.open("rb") as fh:
        compiled = gettext.GNUTranslations(fh)
    stale = []
    for entry in po_entries[1:]:
        if entry.msgid_plural is None:
            got = compiled.pgettext(entry.msgctxt, entry.msgid) if entry.msgctxt else compiled.gettext(entry.msgid)
            if got != entry.msgstr[0]:
                stale.append(entry.msgid)
        else:
            for n in (1, 2, 1_000_000):
                if entry.msgctxt:
                    got = compiled.npgettext(entry.msgctxt, entry.msgid, entry.msgid_plural, n)
                else:
                    got = compiled.ngettext(entry.msgid, entry.msgid_plural, n)
                if got not in entry.msgstr.values() or (n == 1 and got != entry.msgstr[0]):
                    stale.append(entry.msgid)
    assert not stale, f"django.mo is out of date for {len(stale)} message(s), e.g. {stale[:3]}"


def test_language_switch_renders_login_page_in_spanish(client, db) -> None:
    english = client.get("/accounts/login/")
    assert english.status_code == 200
    assert 'lang="en"' in english.content.decode()

    response = client.post("/i18n/setlang/", {"language": "es", "next": "/accounts/login/"})
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/"

    page = client.get("/accounts/login/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'lang="es"' in html
    assert "Iniciar sesión" in html
    assert "Código del autenticador" in html
    assert "Authenticator code" not in html

    client.post("/i18n/setlang/", {"language": "en", "next": "/accounts/login/"})
    assert "Authenticator code" in client.get("/accounts/login/").content.decode()


def test_problem_message_in_spanish() -> None:
    rules = eligibility.load_rules(eligibility.DEFAULT_RULES_PATH)
    evaluation = eligibility.evaluate(rules, date_of_birth=date(2016, 3, 1), as_of=date(2025, 6, 1), documents=[])
    assert evaluation.age == 9
    too_young = next(p for p in evaluation.problems if p.code == "too_young")

    with translation.override("en"):
        assert problem_message(too_young) == (
            f"Applicants must be at least {rules.min_age} years old (the applicant is 9)."
        )
    with translation.override("es"):
        assert problem_message(too_young) == (
            f"Los solicitantes deben tener al menos {rules.min_age} años de edad (el solicitante tiene 9)."
        )


def test_every_problem_code_has_a_spanish_message() -> None:
    rules = eligibility.load_rules(eligibility.DEFAULT_RULES_PATH)
    evaluations = [
        eligibility.evaluate(rules, date_of_birth=date(2016, 1, 1), as_of=date(2025, 1, 1), documents=[]),
        eligibility.evaluate(
            rules,
            date_of_birth=date(2013, 1, 1),
            as_of=date(2025, 1, 1),
            documents=[
                PresentedDocument("nope"),
                PresentedDocument("lease"),
                PresentedDocument("lease"),
                PresentedDocument("visa"),
                PresentedDocument("consular_id", date(2000, 1, 1)),
            ],
        ),
        eligibility.evaluate(rules, date_of_birth=date(2030, 1, 1), as_of=date(2025, 1, 1), documents=[]),
    ]
    seen = set()
    for evaluation in evaluations:
        for problem in evaluation.problems:
            with translation.override("en"):
                english = problem_message(problem)
            with translation.override("es"):
                spanish = problem_message(problem)
            assert spanish and "%(" not in spanish, problem.code
            assert spanish != english, f"{problem.code} is not translated: {spanish!r}"
            seen.add(problem.code)
    assert seen == PROBLEM_CODES == set(MESSAGES)
