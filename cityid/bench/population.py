"""A synthetic population of coarse rows only, for the statistics: applicants with their statistics
attributes (borough, birth year, languages), one application each with its decision, and a card for each
approval, inserted directly with one multi-row statement per table and batch (ids assigned here). No personal
field is filled and nothing is sealed: seeding a million encrypted applicants through enrollment takes hours,
and the statistics read only these columns. Bench and tests only."""

from __future__ import annotations

import random
import uuid
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

BOROUGHS = (("brooklyn", 30), ("queens", 27), ("manhattan", 19), ("bronx", 18), ("staten_island", 5), ("", 1))
LANGUAGES = (("en", 40), ("es", 30), ("zh", 8), ("ru", 4), ("bn", 3), ("ht", 3), ("ko", 2), ("ar", 2),
             ("fr", 2), ("pl", 1), ("ur", 1), ("it", 1), ("yi", 1), ("other", 1), ("", 1))
TYPES = (("new", 80), ("renewal", 12), ("replacement", 6), ("update", 1), ("reapplication", 1))
BATCH = 10_000


def _chooser(rng: random.Random, table: tuple[tuple[str, int], ...]) -> Callable[[int], list[str]]:
    values, weights = [v for v, _w in table], [w for _v, w in table]
    return lambda k: rng.choices(values, weights=weights, k=k)


def _insert(cursor: Any, connection: Any, model: Any, columns: list[str], rows: list[tuple]) -> None:
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    names = ", ".join(quote(column) for column in columns)
    marks = ", ".join(["%s"] * len(columns))
    cursor.executemany(f"INSERT INTO {table} ({names}) VALUES ({marks})", rows)


def bulk_population(count: int, *, start: date, days: int, seed: int = 0, denial_rate: float = 0.08,
                    progress: Callable[[int], None] | None = None) -> int:
    """Insert ``count`` applicants decided between ``start`` and ``start + days``; returns the cards issued."""
    from django.db import connection, transaction
    from django.db.models import Max
    from django.utils import timezone

    from cityid.cards.models import Card
    from cityid.enrollment.models import Applicant, Application

    rng = random.Random(seed)
    boroughs, languages, kinds = _chooser(rng, BOROUGHS), _chooser(rng, LANGUAGES), _chooser(rng, TYPES)
    sqlite = connection.vendor == "sqlite"
    now = timezone.now().isoformat()
    ids = [(model.objects.aggregate(top=Max("id"))["top"] or 0) for model in (Applicant, Application, Card)]
    issued = done = 0
    while done < count:
        size = min(BATCH, count - done)
        applicants, applications, cards = [], [], []
        for borough, language in zip(boroughs(size), languages(size), strict=True):
            ids[0] += 1
            ids[1] += 1
            public = uuid.UUID(int=rng.getrandbits(128), version=4)
            applicants.append((ids[0], public.hex if sqlite else str(public), borough, rng.randint(1940, 2012), "",
                               language, "residential", now))
            day = start + timedelta(days=rng.randrange(days))
            denied = rng.random() < denial_rate
            application = uuid.UUID(int=rng.getrandbits(128), version=4)
            applications.append((ids[1], application.hex if sqlite else str(application), f"B{ids[1]:010d}", ids[0],
                                 "", "denied" if denied else "approved",
                                 (day - timedelta(days=rng.randint(0, 20))).isoformat(), False, 0, 0, not denied,
                                 "bench", "none", day.isoformat(), "[]", now, "", False))
            if not denied:
                ids[2] += 1
                cards.append((ids[2], ids[0], ids[1], day.isoformat(), (day + timedelta(days=5 * 365)).isoformat(),
                              "issued", False))
        for index, kind in enumerate(kinds(size)):
            row = applications[index]
            applications[index] = (*row[:4], kind, *row[5:])
        with transaction.atomic(), connection.cursor() as cursor:
            _insert(cursor, connection, Applicant, ["id", "public_id", "borough", "birth_year", "gender", "languages",
                                                    "address_kind", "created_at"], applicants)
            _insert(cursor, connection, Application, [
                "id", "public_id", "receipt", "applicant_id", "type", "status", "submitted_on", "with_caretaker",
                "identity_points", "residency_points", "eligible", "rules_version", "document_copies", "decided_on",
                "denial_reasons", "created_at", "assigned_site", "in_decision_queue"], applications)
            _insert(cursor, connection, Card, ["id", "applicant_id", "application_id", "issued_on", "expires_on",
                                               "status", "needs_print"], cards)
        issued += len(cards)
        done += size
        if progress:
            progress(size)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            for model in (Applicant, Application, Card):
                table = model._meta.db_table
                cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                               f"(SELECT MAX(id) FROM {connection.ops.quote_name(table)}))")
    return issued
