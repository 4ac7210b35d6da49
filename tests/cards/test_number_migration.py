"""The data migration that seals card numbers already stored in clear (cards 0003)."""

from __future__ import annotations

from datetime import date

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from cityid.cards import selectors
from cityid.cards.models import Card
from tests.conftest import make_input, with_number

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("cards", "0002_cardstatuschange")]
AFTER = [("cards", "0003_seal_card_numbers")]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def test_clear_numbers_are_sealed_and_found_and_a_destroyed_records_number_dropped(staff):
    from cityid.enrollment.services import decide, enroll
    from cityid.vault.providers import get_provider

    kept = enroll(data=make_input(), enrolled_by=staff["clerk"])
    gone = enroll(data=make_input(given_name="Othername", submitted_on=date(2026, 9, 1)), enrolled_by=staff["clerk"])
    for application in (kept, gone):
        decide(application=application, approve=True, decided_by=staff["supervisor"])
    numbers = {app.pk: with_number(app.card).number for app in (kept, gone)}
    assert gone.applicant.personal_record.key_id != kept.applicant.personal_record.key_id  # another cohort
    get_provider().destroy_key(gone.applicant.personal_record.key_id)  # this applicant's data is destroyed

    apps = _migrate(BEFORE)  # as the code before: numbers in a clear column
    OldCard = apps.get_model("cards", "Card")
    for application_id, number in numbers.items():
        OldCard.objects.filter(application_id=application_id).update(number=number)
    _migrate(AFTER)
    _migrate(MigrationExecutor(connection).loader.graph.leaf_nodes("cards"))  # and on to today's models
    indexes = list(Card.objects.values_list("status_index", flat=True))  # cards 0005 draws status-list indexes
    assert None not in indexes and len(set(indexes)) == len(indexes) == 2

    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM cards_card")
        stored = repr(cursor.fetchall())
    assert not any(number in stored for number in numbers.values())
    assert selectors.find_card(numbers[kept.pk]).application_id == kept.pk
    assert with_number(Card.objects.get(application=kept)).number == numbers[kept.pk]
    dropped = Card.objects.get(application=gone)
    assert dropped.sealed_number is None and dropped.number_digest is None
