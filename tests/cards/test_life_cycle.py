"""A card's life: replacement (a new number, the old card revoked with its reason, in one transaction), renewal
by the rules file's window and validity, and print batches (printed, mailed or picked up, in each card's
history)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from cityid.accounts.policy import PermissionDenied
from cityid.audit.models import AuditEntry
from cityid.cards import services
from cityid.cards.models import Card, CardEvent, CardStatus, PrintBatch
from cityid.cards.services import BatchError, CardStatusError, create_batch, mark_batch, renew_card, replace_card
from tests.conftest import with_number

# --- replacement ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("reason", ["lost", "stolen", "damaged", "name_change"])
def test_replacement_issues_a_new_number_and_revokes_the_old(staff, card, reason):
    supervisor = staff["supervisor"]
    old_number = card.number
    new = with_number(replace_card(card, reason=reason, replaced_by=supervisor, note="at the Bronx center"))
    card.refresh_from_db()
    assert card.status == CardStatus.REVOKED
    assert new.status == CardStatus.ISSUED and new.number != old_number and len(new.number) == 16
    assert new.replaces == card and new.applicant_id == card.applicant_id
    assert new.expires_on == card.expires_on  # a replacement keeps the old card's expiry
    assert new.needs_print
    assert new.application.type == "replacement" and new.application.status == "approved"
    assert not new.application.documents.exists()
    old_history = list(card.status_changes.all())
    assert (old_history[0].to_status, old_history[0].reason) == ("revoked", reason)
    assert [(c.event, c.reason) for c in new.status_changes.all()] == [(CardEvent.REPLACEMENT, reason)]
    actions = list(AuditEntry.objects.order_by("index").values_list("action", flat=True))
    assert {"application.reissue", "application.approve", "card.issue", "card.revoke", "card.replace"} <= set(actions)
    leaves = " ".join(AuditEntry.objects.values_list("purpose", flat=True))
    assert old_number not in leaves and new.number not in leaves and "Bronx" not in leaves


def test_replacement_is_one_transaction(staff, card, monkeypatch):
    """When revoking the old card fails, no new card, case or history entry is left behind."""
    before = (Card.objects.count(), card.applicant.applications.count())

    def broken(*args, **kwargs):
        raise RuntimeError("the revocation failed")

    monkeypatch.setattr(services, "change_status", broken)
    with pytest.raises(RuntimeError):
        replace_card(card, reason="lost", replaced_by=staff["supervisor"])
    card.refresh_from_db()
    assert card.status == CardStatus.ISSUED
    assert (Card.objects.count(), card.applicant.applications.count()) == before
    assert not AuditEntry.objects.filter(action__in=("card.replace", "application.reissue")).exists()


def test_replacement_refusals(staff, card):
    supervisor = staff["supervisor"]
    with pytest.raises(CardStatusError) as refused:
        replace_card(card, reason="fraud", replaced_by=supervisor)
    assert refused.value.code == "replacement_reason"
    replace_card(card, reason="lost", replaced_by=supervisor)
    with pytest.raises(CardStatusError) as refused:
        replace_card(card, reason="lost", replaced_by=supervisor)
    assert refused.value.code == "revoked"


@pytest.mark.parametrize("role", ["clerk", "card_production", "auditor", "admin", "fraud_analyst"])
def test_attack_other_roles_cannot_replace_or_renew(staff, card, role):
    with pytest.raises(PermissionDenied):
        replace_card(card, reason="lost", replaced_by=staff[role])
    with pytest.raises(PermissionDenied):
        renew_card(card, renewed_by=staff[role], today=card.expires_on)
    card.refresh_from_db()
    assert card.status == CardStatus.ISSUED and Card.objects.count() == 1


# --- renewal --------------------------------------------------------------------------------------------------


def test_renewal_extends_validity_by_the_rules(staff, card):
    supervisor = staff["supervisor"]
    old_expiry = card.expires_on
    card.needs_print = False
    card.save(update_fields=["needs_print"])
    renew_on = old_expiry - timedelta(days=30)
    renew_card(card, renewed_by=supervisor, today=renew_on)
    card.refresh_from_db()
    # The canary was born 1990-04-12: 14 or older, so 5 years from the renewal day.
    assert card.expires_on == date(renew_on.year + 5, renew_on.month, renew_on.day)
    assert card.needs_print and card.status == CardStatus.ISSUED
    assert card.status_changes.first().event == CardEvent.RENEWED
    assert AuditEntry.objects.filter(action="card.renew", target=card.ref).exists()
    decrypts = AuditEntry.objects.filter(action="personal.decrypt", purpose=card.ref)
    assert decrypts.count() == 1  # the date of birth was read for the validity, and logged


def test_renewal_window(staff, card):
    supervisor = staff["supervisor"]
    with pytest.raises(CardStatusError) as refused:
        renew_card(card, renewed_by=supervisor, today=card.expires_on - timedelta(days=61))
    assert refused.value.code == "renew_early"
    with pytest.raises(CardStatusError) as refused:
        renew_card(card, renewed_by=supervisor, today=services.add_months(card.expires_on, 6) + timedelta(days=1))
    assert refused.value.code == "renew_late"
    renew_card(card, renewed_by=supervisor, today=services.add_months(card.expires_on, 6))  # expired < 6 months


def test_renewal_window_comes_from_the_rules_file(staff, card, settings, tmp_path):
    import json

    rules = json.loads(open(settings.CITYID_RULES_FILE).read())
    rules["renewal"] = {"days_before_expiry": 90, "months_after_expiry": 0}
    path = tmp_path / "rules.json"
    path.write_text(json.dumps(rules))
    settings.CITYID_RULES_FILE = str(path)
    renew_card(card, renewed_by=staff["supervisor"], today=card.expires_on - timedelta(days=80))
    with pytest.raises(CardStatusError) as refused:
        renew_card(card, renewed_by=staff["supervisor"], today=card.expires_on + timedelta(days=1))
    assert refused.value.code == "renew_late"  # no months after expiry in this city


def test_suspended_card_is_not_renewed(staff, card):
    services.change_status(card, "suspend", reason="lost", changed_by=staff["supervisor"])
    with pytest.raises(CardStatusError) as refused:
        renew_card(card, renewed_by=staff["supervisor"], today=card.expires_on)
    assert refused.value.code == "renew_status"


def test_add_months_clamps_to_the_month_end():
    assert services.add_months(date(2026, 8, 31), 6) == date(2027, 2, 28)
    assert services.add_months(date(2027, 8, 31), 6) == date(2028, 2, 29)
    assert services.add_months(date(2026, 1, 15), 12) == date(2027, 1, 15)


# --- print batches --------------------------------------------------------------------------------------------


def test_batch_printed_then_mailed_shows_in_each_card_history(staff, card):
    producer = staff["card_production"]
    batch = create_batch(created_by=producer)
    assert list(batch.cards.all()) == [card]
    card.refresh_from_db()
    assert not card.needs_print
    with pytest.raises(BatchError) as refused:
        create_batch(created_by=producer)  # nothing else waits
    assert refused.value.code == "empty"
    with pytest.raises(BatchError) as refused:
        mark_batch(batch, "mailed", marked_by=producer)  # printed first
    assert refused.value.code == "step"
    mark_batch(batch, "printed", marked_by=producer)
    mark_batch(batch, "mailed", marked_by=producer)
    with pytest.raises(BatchError):
        mark_batch(batch, "picked_up", marked_by=producer)
    assert PrintBatch.objects.get(pk=batch.pk).status == "mailed"
    events = [change.event for change in card.status_changes.all()]
    assert events == [CardEvent.MAILED, CardEvent.PRINTED, CardEvent.BATCHED]
    assert list(AuditEntry.objects.filter(action__startswith="cards.batch_").values_list("action", "target")) == [
        ("cards.batch_create", batch.ref), ("cards.batch_printed", batch.ref), ("cards.batch_mailed", batch.ref)]


def test_renewed_and_replacement_cards_wait_for_printing(staff, card):
    producer, supervisor = staff["card_production"], staff["supervisor"]
    create_batch(created_by=producer)
    new = replace_card(card, reason="damaged", replaced_by=supervisor)
    batch = create_batch(created_by=producer)
    assert list(batch.cards.all()) == [new]  # the revoked card is not printed again


@pytest.mark.parametrize("role", ["clerk", "supervisor", "auditor", "admin", "records_officer"])
def test_attack_only_card_production_makes_and_marks_batches(staff, card, role):
    with pytest.raises(PermissionDenied):
        create_batch(created_by=staff[role])
    batch = create_batch(created_by=staff["card_production"])
    with pytest.raises(PermissionDenied):
        mark_batch(batch, "printed", marked_by=staff[role])
    assert PrintBatch.objects.get(pk=batch.pk).status == "created"
