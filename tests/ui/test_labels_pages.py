"""Every staff page type, as each role, in Spanish: no raw code and no English string on screen.

A raw code is a code of the label catalogue (``cityid.ui.labels``) in the visible text: a whole text node that
equals one, or a dotted/underscored code (``insufficient_documents``, ``staff.create``) anywhere as a word.
An English string is a visible text (or aria-label, title, alt, placeholder) that equals a msgid of the
Spanish catalogue whose msgstr differs: the page forgot to translate it. ``<code>`` holds identifiers shown
as stored (ids, hashes) and is left out; so are elements with ``lang`` set to another language.
"""

from __future__ import annotations

import re
from gettext import GNUTranslations
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.conf import settings

from cityid.accounts.policy import ROLES
from cityid.ui import labels
from tests.audit.helpers import sign_in
from tests.ui.site import seed_site

SKIPPED = {"script", "style", "code", "template", "title", "kbd", "samp", "pre"}
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
ATTRIBUTES = ("aria-label", "title", "alt", "placeholder")


class VisibleText(HTMLParser):
    """The text nodes and labelling attributes a reader meets, outside code and other-language elements."""

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[tuple[str, bool]] = []
        self.texts: list[str] = []

    def _skipping(self) -> bool:
        return any(skip for _tag, skip in self.stack)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        lang = attributes.get("lang")
        skip = tag in SKIPPED or (lang is not None and not lang.startswith("es")) or "hidden" in attributes
        if not skip and not self._skipping():
            self.texts += [value for name, value in attrs if name in ATTRIBUTES and value]
            if tag == "input" and attributes.get("type") in ("submit", "button") and attributes.get("value"):
                self.texts.append(attributes["value"])
        if tag not in VOID:
            self.stack.append((tag, skip))

    def handle_endtag(self, tag: str) -> None:
        for position in range(len(self.stack) - 1, -1, -1):
            if self.stack[position][0] == tag:
                del self.stack[position:]
                break

    def handle_data(self, data: str) -> None:
        if not self._skipping():
            self.texts.append(data)


def visible_texts(html: str) -> list[str]:
    parser = VisibleText()
    parser.feed(html)
    return [text for text in (" ".join(t.split()) for t in parser.texts) if text]


def untranslated() -> set[str]:
    path = Path(settings.PACKAGE_DIR) / "locale" / "es" / "LC_MESSAGES" / "django.mo"
    with path.open("rb") as handle:
        catalog = GNUTranslations(handle)._catalog  # type: ignore[attr-defined]
    return {msgid for msgid, msgstr in catalog.items()
            if isinstance(msgid, str) and msgid and msgstr != msgid and len(msgid) > 2}


def raw_codes() -> tuple[set[str], re.Pattern[str] | None]:
    """The codes of the catalogue: every one (whole-node check), and the dotted/underscored ones (word check)."""
    codes = {str(code) for kind in labels.kinds().values() for code in kind if code}
    distinctive = sorted((c for c in codes if "_" in c or "." in c), key=len, reverse=True)
    pattern = re.compile(r"(?<![\w.:/-])(" + "|".join(map(re.escape, distinctive)) + r")(?![\w-]|\.\w)") \
        if distinctive else None
    return codes, pattern


def problems(html: str, english: set[str], codes: set[str], pattern: re.Pattern[str] | None) -> list[str]:
    found = []
    for text in visible_texts(html):
        if text in english:
            found.append(f"English: {text!r}")
        elif text in codes:
            found.append(f"raw code: {text!r}")
        elif pattern is not None and (match := pattern.search(text)):
            found.append(f"raw code {match.group(1)!r} in {text!r}")
        elif ":" in text and (listed := [part.strip(" .") for part in text.rsplit(":", 1)[1].split(",")]) \
                and all(part in codes for part in listed):
            found.append(f"raw codes {listed!r} in {text!r}")
    return found


def test_the_check_finds_what_it_must():
    english, (codes, pattern) = untranslated(), raw_codes()
    html = ('<p>Denied for: insufficient_documents</p><td>es</td><p>Search</p><code>staff.create</code>'
            '<button aria-label="Close">x</button><p lang="en">English</p><p>Buscar</p>'
            '<p>Destruidos: documents, photo</p><p>Hora: 10:30</p>')
    assert problems(html, english, codes, pattern) == [
        "raw code 'insufficient_documents' in 'Denied for: insufficient_documents'", "raw code: 'es'",
        "English: 'Search'", "English: 'Close'",
        "raw codes ['documents', 'photo'] in 'Destruidos: documents, photo'"]


@pytest.mark.django_db
def test_spanish_staff_pages_show_no_raw_code_and_no_english(staff, settings):
    site = seed_site(staff)
    english, (codes, pattern) = untranslated(), raw_codes()
    accounts = {**{role: staff[role] for role in ROLES}, "second_officer": site.second_officer}
    failures: list[str] = []
    shown = 0
    for role, user in accounts.items():
        client = sign_in(user)
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = "es"
        for path in site.pages:
            response = client.get(path)
            if response.status_code != 200 or "text/html" not in response.get("Content-Type", ""):
                continue
            shown += 1
            failures += [f"{role} {path}: {problem}" for problem in problems(response.content.decode(), english,
                                                                             codes, pattern)]
        for path, data, who in site.confirms:
            if who != role:
                continue
            response = client.post(path, data)
            assert response.status_code == 200 and b"data-confirm" in response.content, (role, path)
            shown += 1
            failures += [f"{role} POST {path}: {problem}"
                         for problem in problems(response.content.decode(), english, codes, pattern)]
    assert shown > 60
    assert not failures, "\n".join(sorted(set(failures)))
