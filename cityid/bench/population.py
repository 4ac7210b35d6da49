"""A synthetic population of coarse rows only, for the statistics: applicants with their statistics
attributes (borough, birth year, languages), one application each, a decision, and a card for each
approval, bulk-created directly. No personal field is filled and nothing is sealed: seeding a million
encrypted applicants through enrollment takes hours, and the statistics read only these columns."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import date, timedelta

BOROUGHS = (("brooklyn", 30), ("queens", 27), ("manhattan", 19), ("bronx", 18), ("staten_island", 5), ("", 1))
LANGUAGES = (("en", 40), ("es", 30), ("zh", 8), ("ru", 4), ("bn", 3), ("ht", 3), ("ko", 2), ("ar", 2),
             ("fr", 2), ("pl", 1), ("ur", 1), ("it", 1), ("yi", 1), ("other", 1), ("", 1))
TYPES = (("new", 80), ("renewal", 12), ("replacement", 6), ("update", 1), ("reapplication", 1))
BATCH = 5000


def _pick(rng: random.Random, table: tuple[tuple[str, int], ...]) -> str:
    return rng.choices([value for value, _w in table], weights=[w for _v, w in table])[0]


def bulk_population(count: int, *, start: date, days: int, seed: int = 0, denial_rate: float = 0.08,
                    progress: Callable[[int], None] | None = None) -> int:
    """Create ``count`` applicants decided between ``start`` and ``start + days``; returns the cards issued."""
    from cityid.cards.models import Card
    from cityid.enrollment.models import Applicant, Application, ApplicationStatus

    rng = random.Random(seed)
    issued = 0
    done = 0
    while done < count:
        size = min(BATCH, count - done)
        applicants = [Applicant(borough=_pick(rng, BOROUGHS), birth_year=rng.randint(1940, 2012),
                                languages=_pick(rng, LANGUAGES), address_kind="residential")
                      for _ in range(size)]
        Applicant.objects.bulk_create(applicants)
        applications = []
        for applicant in applicants:
            day = start + timedelta(days=rng.randrange(days))
            denied = rng.random() < denial_rate
            applications.append(Application(
                applicant=applicant, type=_pick(rng, TYPES), submitted_on=day - timedelta(days=rng.randint(0, 20)),
                status=ApplicationStatus.DENIED if denied else ApplicationStatus.APPROVED, decided_on=day,
                rules_version="bench", document_copies="none", eligible=not denied,
            ))
        Application.objects.bulk_create(applications)
        cards = [Card(applicant_id=application.applicant_id, application=application,
                      issued_on=application.decided_on, expires_on=application.decided_on + timedelta(days=5 * 365))
                 for application in applications if application.status == ApplicationStatus.APPROVED]
        Card.objects.bulk_create(cards)
        issued += len(cards)
        done += size
        if progress:
            progress(size)
    return issued
