"""Card numbers are sealed at rest and found by a keyed hash (before this change they were a clear column)."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, connection, transaction

from cityid.audit.models import AuditEntry
from cityid.cards import selectors
from cityid.cards.models import Card
from cityid.cards.sealing import erase_numbers


def _table_bytes() -> bytes:
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM cards_card")
        return repr(cursor.fetchall()).encode()


def test_the_number_is_not_stored_in_clear_and_is_still_found(card):
    stored = _table_bytes()
    assert card.number.encode() not in stored
    found = selectors.find_card(" ".join(card.number[i:i + 4] for i in range(0, 16, 4)))
    assert found.pk == card.pk


def test_two_cards_cannot_share_a_number(staff, card):
    from cityid.enrollment.services import decide, enroll
    from tests.conftest import make_input

    other = enroll(data=make_input(given_name="Othername"), enrolled_by=staff["clerk"])
    decide(application=other, approve=True, decided_by=staff["supervisor"])
    with pytest.raises(IntegrityError), transaction.atomic():
        Card.objects.filter(pk=other.card.pk).update(number_digest=Card.objects.get(pk=card.pk).number_digest)


@pytest.mark.parametrize("role", ["clerk", "auditor", "admin", "counsel", "records_officer"])
def test_only_card_roles_see_numbers(staff, card, role):
    (shown,) = selectors.reveal_numbers([Card.objects.get(pk=card.pk)], actor=staff[role])
    assert shown.number is None
    assert not AuditEntry.objects.filter(action="card.read_number").exists()


def test_a_shown_number_is_a_logged_read(staff, card):
    (shown,) = selectors.reveal_numbers([Card.objects.get(pk=card.pk)], actor=staff["card_production"])
    assert shown.number == card.number
    entry = AuditEntry.objects.get(action="card.read_number")
    assert entry.target == card.ref and card.number not in repr(entry.__dict__)


def test_the_number_goes_with_the_applicants_application_record(staff, card):
    erase_numbers([card.applicant.personal_record_id])
    (shown,) = selectors.reveal_numbers([Card.objects.get(pk=card.pk)], actor=staff["supervisor"])
    assert shown.number is None
    with pytest.raises(selectors.CardLookupError):
        selectors.find_card(card.number)
