"""Legal-hold scopes: a comma-separated conjunction of ``all``, ``class:NAME``,
``submitted:FROM..TO`` and ``subject:ID``. Parsing is pure; ``to_query`` builds the ORM filter."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from cityid.vault.classes import RECORD_CLASSES

CLASSES: tuple[str, ...] = RECORD_CLASSES


class ScopeInvalid(ValueError):
    """The scope cannot be read; the message names the bad term."""


@dataclass(frozen=True)
class Scope:
    everything: bool = False
    classes: tuple[str, ...] = ()
    submitted: tuple[date, date] | None = None
    subjects: tuple[str, ...] = ()


def parse_scope(text: str) -> Scope:
    terms = [term.strip() for term in (text or "").split(",")]
    if not any(terms):
        raise ScopeInvalid("the scope is empty: use all, class:NAME, submitted:FROM..TO or subject:ID")
    everything, classes, submitted, subjects = False, [], None, []
    for term in terms:
        if not term:
            raise ScopeInvalid("empty term in the scope (two commas in a row?)")
        if term == "all":
            everything = True
            continue
        kind, sep, value = term.partition(":")
        if not sep or not value:
            raise ScopeInvalid(f"unknown scope term {term!r}")
        if kind == "class":
            if value not in CLASSES:
                raise ScopeInvalid(f"unknown class {value!r} in {term!r}; one of {', '.join(CLASSES)}")
            classes.append(value)
        elif kind == "submitted":
            start, dots, end = value.partition("..")
            try:
                first, last = date.fromisoformat(start), date.fromisoformat(end)
            except ValueError:
                raise ScopeInvalid(f"bad date range in {term!r}: use submitted:YYYY-MM-DD..YYYY-MM-DD") from None
            if not dots or first > last:
                raise ScopeInvalid(f"bad date range in {term!r}: FROM must not be after TO")
            if submitted is not None:
                raise ScopeInvalid(f"more than one submitted range ({term!r})")
            submitted = (first, last)
        elif kind == "subject":
            subjects.append(value)
        else:
            raise ScopeInvalid(f"unknown scope term {term!r}")
    if len(set(classes)) > 1:
        raise ScopeInvalid("a conjunction of two different classes matches nothing; place two holds instead")
    return Scope(everything, tuple(dict.fromkeys(classes)), submitted, tuple(subjects))
