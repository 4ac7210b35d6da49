"""Subject-fact providers: what retention learns from the apps that own the records it dates and holds.

Retention sits below the apps whose tables say when a record's trigger happened (an application decided,
a card expiring), which records a legal-hold scope covers, who a subject reference names, and what the
version-0 schedule of a class is. Those apps register a provider in their ``AppConfig.ready()``
(``register_subject_facts``); retention asks every registered provider and never reads their tables.

A provider subclasses :class:`SubjectFacts` and overrides what it knows; the defaults know nothing.
Each question is asked for a whole batch, so a provider answers it with a fixed number of queries.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Protocol

from django.db.models import Q

from cityid.vault.models import RecordKey


@dataclass(frozen=True)
class TriggerDates:
    """The dates a record's schedule can count from; ``None`` where the provider does not know (or the
    event has not happened). Answers of several providers for one record are merged field by field."""

    submitted: date | None = None
    decided: date | None = None
    card_expires: date | None = None


@dataclass(frozen=True)
class FoundSubject:
    """A subject named by a reference: ``key`` tells two subjects apart (two references to one person
    give one key; never shown), ``records`` is a filter on ``RecordKey`` selecting that subject's records."""

    key: str
    records: Q


class SubjectFacts(Protocol):
    def trigger_dates(self, keys: Sequence[RecordKey]) -> Mapping[int, TriggerDates]:
        """For the records of ``keys`` this provider knows, by ``RecordKey`` pk, their trigger dates."""
        return {}

    def submitted_between(self, first: date, last: date) -> Q | None:
        """A filter on ``RecordKey`` selecting the records submitted from ``first`` to ``last`` (both
        included), or ``None`` if this provider does not know submission dates."""
        return None

    def find_subject(self, reference: str) -> FoundSubject | None:
        """The subject ``reference`` names (an id, an external id, a receipt…), or ``None``."""
        return None

    def default_years(self, record_class: str) -> int | None:
        """Years after submission a class is kept when no schedule version was set, or ``None``."""
        return None


_providers: list[SubjectFacts] = []


def register_subject_facts(provider: SubjectFacts) -> None:
    """Ask ``provider`` from now on (registering the same provider twice keeps one)."""
    if provider not in _providers:
        _providers.append(provider)


def unregister_subject_facts(provider: SubjectFacts) -> None:
    if provider in _providers:
        _providers.remove(provider)


def providers() -> tuple[SubjectFacts, ...]:
    return tuple(_providers)


def trigger_dates(keys: Sequence[RecordKey]) -> dict[int, TriggerDates]:
    """Every provider's trigger dates for ``keys``, merged: the first known submission and decision
    date, the latest card expiry. A record no provider knows a submission date of is left out."""
    merged: dict[int, TriggerDates] = {}
    for provider in _providers:
        for pk, found in provider.trigger_dates(keys).items():
            known = merged.get(pk)
            if known is None:
                merged[pk] = found
                continue
            expiries = [d for d in (known.card_expires, found.card_expires) if d is not None]
            merged[pk] = TriggerDates(
                submitted=known.submitted or found.submitted,
                decided=known.decided or found.decided,
                card_expires=max(expiries) if expiries else None,
            )
    return {pk: dates for pk, dates in merged.items() if dates.submitted is not None}


def submitted_between(first: date, last: date) -> Q | None:
    """The records submitted in the range, by every provider that knows; ``None`` if none does."""
    filters = [q for q in (p.submitted_between(first, last) for p in _providers) if q is not None]
    if not filters:
        return None
    query = filters[0]
    for other in filters[1:]:
        query |= other
    return query


def find_subject(reference: str) -> FoundSubject | None:
    """The subject the first provider that knows ``reference`` finds, or ``None``."""
    for provider in _providers:
        found = provider.find_subject(reference)
        if found is not None:
            return found
    return None


def default_years(record_class: str) -> int | None:
    for provider in _providers:
        years = provider.default_years(record_class)
        if years is not None:
            return years
    return None
