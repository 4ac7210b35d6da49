"""Legal-hold scopes: a comma-separated conjunction of ``all``, ``class:NAME``,
``submitted:FROM..TO`` and ``subject:ID``. Parsing is pure; ``to_query`` builds the ORM filter."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from cityid.core.errors import CityidError
from cityid.vault.classes import RECORD_CLASSES

CLASSES: tuple[str, ...] = RECORD_CLASSES


class ScopeInvalid(CityidError, ValueError):
    """The scope cannot be read; the code names the problem, ``term`` the bad term (words: retention.messages)."""


@dataclass(frozen=True)
class Scope:
    everything: bool = False
    classes: tuple[str, ...] = ()
    submitted: tuple[date, date] | None = None
    subjects: tuple[str, ...] = ()


def parse_scope(text: str) -> Scope:
    terms = [term.strip() for term in (text or "").split(",")]
    if not any(terms):
        raise ScopeInvalid("empty")
    everything, classes, submitted, subjects = False, [], None, []
    for term in terms:
        if not term:
            raise ScopeInvalid("empty_term")
        if term == "all":
            everything = True
            continue
        kind, sep, value = term.partition(":")
        if not sep or not value:
            raise ScopeInvalid("unknown_term", term=term)
        if kind == "class":
            if value not in CLASSES:
                raise ScopeInvalid("unknown_class", value=value, term=term, classes=", ".join(CLASSES))
            classes.append(value)
        elif kind == "submitted":
            start, dots, end = value.partition("..")
            try:
                first, last = date.fromisoformat(start), date.fromisoformat(end)
            except ValueError:
                raise ScopeInvalid("bad_dates", term=term) from None
            if not dots or first > last:
                raise ScopeInvalid("dates_reversed", term=term)
            if submitted is not None:
                raise ScopeInvalid("two_ranges", term=term)
            submitted = (first, last)
        elif kind == "subject":
            subjects.append(value)
        else:
            raise ScopeInvalid("unknown_term", term=term)
    if len(set(classes)) > 1:
        raise ScopeInvalid("two_classes")
    return Scope(everything, tuple(dict.fromkeys(classes)), submitted, tuple(subjects))
