from __future__ import annotations

from datetime import date

import pytest

START, END = date(2026, 1, 1), date(2026, 6, 30)


@pytest.fixture
def population(db):
    """400 coarse applicants decided in the first half of 2026 (about 370 cards): the rows the statistics read,
    bulk-created as the bench does."""
    from cityid.bench.population import bulk_population

    return bulk_population(400, start=START, days=(END - START).days + 1, seed=7)
