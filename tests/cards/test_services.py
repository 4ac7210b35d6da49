"""Card status changes: the transition rules, the history, the audit events and the lookups."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.utils import timezone

from cityid.accounts.policy import ROLES, PermissionDenied
from cityid.audit.models import AuditEntry
from cityid.cards import selectors, services
from cityid.cards.models import Card, CardStatus, CardStatusChange
from cityid.cards.numbers import luhn_check_digit
from cityid.cards.services import CardStatusError, change_status

CARD_ACTIONS = ("card.suspend", "card.reinstate", "card.revoke")


def card_events():
    return AuditEntry.objects.filter(action__in=CARD_ACTIONS).order_by("index")


def wrong_check_digit(number: str) -> str:
    return number[:-1] + str((int(number[-1]) + 1) % 10)


def unused_number() -> str:
    body = "999999999999999"
    return body + luhn_check_digit(body)


# --- transitions -------------------------------------------------------------------------

def test_suspend_reinstate_revoke(staff, card):
    supervisor = staff["supervisor"]
    change_status(card, "suspend", reason="lost", changed_by=supervisor, note="reported at the Queens center")
    assert card.status == CardStatus.SUSPENDED
    change_status(card, "reinstate", reason="recovered", changed_by=supervisor)
    assert card.status == CardStatus.ISSUED
    change_status(card, "revoke", reason="stolen", changed_by=supervisor, note="police report filed")
    card.refresh_from_db()
    assert card.status == CardStatus.REVOKED

    history = list(selectors.card_history(card))
    assert [(c.from_status, c.to_status, c.reason) for c in history] == [
        ("issued", "revoked", "stolen"), ("suspended", "issued", "recovered"), ("issued", "suspended", "lost"),
    ]
    assert [(e.note_state, e.note) for e in selectors.read_history(card, actor=supervisor)] == [
        ("shown", "police report filed"), ("none", ""), ("shown", "reported at the Queens center")]
    assert {c.changed_by for c in history} == {supervisor}

    events = list(card_events())
    assert [(e.action, e.target, e.purpose, e.actor, e.role) for e in events] == [
        ("card.suspend", f"card:{card.pk}", "", f"staff:{supervisor.pk}", "supervisor"),
        ("card.reinstate", f"card:{card.pk}", "", f"staff:{supervisor.pk}", "supervisor"),
        ("card.revoke", f"card:{card.pk}", "", f"staff:{supervisor.pk}", "supervisor"),
    ]  # the reason codes stay in the card's history, not in the log
    assert [c.reason for c in reversed(history)] == ["lost", "recovered", "stolen"]


def test_revoke_a_suspended_card(staff, card):
    change_status(card, "suspend", reason="fraud", changed_by=staff["supervisor"])
    change = change_status(card, "revoke", reason="fraud", changed_by=staff["supervisor"])
    assert (change.from_status, change.to_status) == ("suspended", "revoked")
    assert Card.objects.get(pk=card.pk).status == CardStatus.REVOKED


def test_events_carry_neither_the_number_nor_the_note(staff, card):
    note = "Canaryname Testperson called from 742 Canarystreet Ave"
    change_status(card, "suspend", reason="cardholder_request", changed_by=staff["supervisor"], note=note)
    change_status(card, "reinstate", reason="cardholder_request", changed_by=staff["supervisor"], note=note)
    change_status(card, "revoke", reason="other", changed_by=staff["supervisor"], note=note)
    assert card_events().count() == 3
    for entry in AuditEntry.objects.all():
        text = bytes(entry.entry).decode() + " ".join(
            [entry.actor, entry.role, entry.action, entry.target, entry.purpose, entry.outcome])
        for secret in (card.number, "Canaryname", "Canarystreet", "called"):
            assert secret not in text, (secret, text)


def test_note_whitespace_is_collapsed(staff, card):
    change_status(card, "suspend", reason="lost", changed_by=staff["supervisor"], note="  left\n on   the bus ")
    assert selectors.read_history(card, actor=staff["supervisor"])[0].note == "left on the bus"


def test_host_operator_may_change_status(card):
    change_status(card, "revoke", reason="error", changed_by=None)
    change = CardStatusChange.objects.get()
    assert change.changed_by is None
    event = card_events().get()
    assert (event.actor, event.role) == ("system:operator", "operator")


def test_stale_instance_sees_the_locked_status(staff, card):
    """The row is re-read under the lock: an object loaded before another change cannot undo it."""
    stale = Card.objects.get(pk=card.pk)
    change_status(card, "revoke", reason="stolen", changed_by=staff["supervisor"])
    with pytest.raises(CardStatusError, match="revoked"):
        change_status(stale, "suspend", reason="lost", changed_by=staff["supervisor"])
    assert Card.objects.get(pk=card.pk).status == CardStatus.REVOKED


# --- refusals ----------------------------------------------------------------------------

def assert_unchanged(card: Card, status: str = CardStatus.ISSUED, changes: int = 0) -> None:
    assert Card.objects.get(pk=card.pk).status == status
    assert CardStatusChange.objects.filter(card=card).count() == changes
    assert card_events().count() == changes


@pytest.mark.parametrize("change", ["revoke", "suspend", "reinstate"])
def test_revoked_is_final(staff, card, change):
    change_status(card, "revoke", reason="fraud", changed_by=staff["supervisor"])
    reason = "error" if change != "suspend" else "lost"
    with pytest.raises(CardStatusError, match="revoked card cannot be changed") as refused:
        change_status(card, change, reason=reason, changed_by=staff["supervisor"])
    assert refused.value.code == "revoked"
    assert "\n" not in str(refused.value)
    assert_unchanged(card, CardStatus.REVOKED, changes=1)


def test_suspend_only_from_issued(staff, card):
    change_status(card, "suspend", reason="lost", changed_by=staff["supervisor"])
    with pytest.raises(CardStatusError, match="Only an issued card can be suspended.") as refused:
        change_status(card, "suspend", reason="lost", changed_by=staff["supervisor"])
    assert refused.value.code == "wrong_status"
    assert_unchanged(card, CardStatus.SUSPENDED, changes=1)


def test_reinstate_only_from_suspended(staff, card):
    with pytest.raises(CardStatusError, match="Only a suspended card can be reinstated."):
        change_status(card, "reinstate", reason="recovered", changed_by=staff["supervisor"])
    assert_unchanged(card)


def test_expired_card_can_be_revoked_but_not_suspended_or_reinstated(staff, card):
    supervisor = staff["supervisor"]
    change_status(card, "suspend", reason="fraud", changed_by=supervisor)
    after_expiry = card.expires_on + timedelta(days=1)
    with pytest.raises(CardStatusError, match=f"expired on {card.expires_on.isoformat()}") as refused:
        change_status(card, "reinstate", reason="cleared", changed_by=supervisor, today=after_expiry)
    assert refused.value.code == "expired"
    assert services.available_changes(card, after_expiry) == ["revoke"]
    change_status(card, "revoke", reason="fraud", changed_by=supervisor, today=after_expiry)
    assert Card.objects.get(pk=card.pk).status == CardStatus.REVOKED


def test_expired_issued_card_cannot_be_suspended(staff, card):
    Card.objects.filter(pk=card.pk).update(expires_on=timezone.localdate() - timedelta(days=1))
    card.refresh_from_db()
    with pytest.raises(CardStatusError, match="an expired card can only be revoked"):
        change_status(card, "suspend", reason="lost", changed_by=staff["supervisor"])
    assert_unchanged(card)
    # On its last day a card is still valid.
    change_status(card, "suspend", reason="lost", changed_by=staff["supervisor"], today=card.expires_on)


@pytest.mark.parametrize(("change", "reason"), [
    ("suspend", "bogus"), ("suspend", "recovered"), ("suspend", "deceased"), ("reinstate", "stolen"),
    ("revoke", "cleared"), ("revoke", ""), ("revoke", "LOST"),
])
def test_reason_must_fit_the_change(staff, card, change, reason):
    if change == "reinstate":
        change_status(card, "suspend", reason="lost", changed_by=staff["supervisor"])
    before = CardStatusChange.objects.count()
    with pytest.raises(CardStatusError, match="is not one of the reasons for this change") as refused:
        change_status(card, change, reason=reason, changed_by=staff["supervisor"])
    assert refused.value.code == "reason"
    assert CardStatusChange.objects.count() == before


def test_note_too_long(staff, card):
    with pytest.raises(CardStatusError, match="longer than 200"):
        change_status(card, "suspend", reason="lost", changed_by=staff["supervisor"], note="x" * 201)
    assert_unchanged(card)
    change_status(card, "suspend", reason="lost", changed_by=staff["supervisor"], note="x" * 200)


def test_unknown_change(staff, card):
    with pytest.raises(CardStatusError, match="unknown change 'destroy'"):
        services.change_status(card, "destroy", reason="lost", changed_by=staff["supervisor"])


@pytest.mark.parametrize("role", sorted(set(ROLES) - {"supervisor"}))
def test_only_supervisors_change_status(staff, card, role):
    user = staff[role]
    with pytest.raises(PermissionDenied):
        change_status(card, "revoke", reason="stolen", changed_by=user)
    assert_unchanged(card)
    denied = AuditEntry.objects.get(action="access.denied", actor=f"staff:{user.pk}")
    assert (denied.target, denied.purpose, denied.outcome) == (f"card:{card.pk}", "cards.status", "denied")


def test_a_failure_after_the_event_rolls_everything_back(staff, card, monkeypatch):
    from cityid.audit.services import record_event

    def record_then_fail(**fields):
        record_event(**fields)
        raise RuntimeError("disk full")

    monkeypatch.setattr(services, "record_event", record_then_fail)
    with pytest.raises(RuntimeError, match="disk full"):
        change_status(card, "revoke", reason="stolen", changed_by=staff["supervisor"])
    assert_unchanged(card)


def test_available_changes(staff, card):
    assert services.available_changes(card) == ["suspend", "revoke"]
    change_status(card, "suspend", reason="lost", changed_by=staff["supervisor"])
    assert services.available_changes(card) == ["reinstate", "revoke"]
    change_status(card, "revoke", reason="lost", changed_by=staff["supervisor"])
    assert services.available_changes(card) == []


# --- lookups -----------------------------------------------------------------------------

def test_find_card(card):
    spaced = " ".join(card.number[i : i + 4] for i in range(0, 16, 4))
    assert selectors.find_card(card.number) == card
    assert selectors.find_card(f" {spaced} ") == card
    assert selectors.find_card(card.number.replace(card.number[4:8], card.number[4:8] + "-")) == card


@pytest.mark.parametrize(("number", "code", "message"), [
    ("", "malformed", "has 16 digits"),
    ("1234", "malformed", "has 16 digits"),
    ("12345678901234567", "malformed", "has 16 digits"),
    ("abcdefghijklmnop", "malformed", "has 16 digits"),
    # Characters that str.isdigit() accepts but int() does not, or that are not ASCII digits.
    ("\u00b2234 5678 9012 3456", "malformed", "has 16 digits"),
    ("\u2460234567890123456", "malformed", "has 16 digits"),
    ("\uff11\uff12\uff13\uff14\uff15\uff16\uff17\uff18\uff19\uff10\uff11\uff12\uff13\uff14\uff15\uff16",
     "malformed", "has 16 digits"),
])
def test_find_card_malformed(db, number, code, message):
    with pytest.raises(selectors.CardLookupError, match=message) as refused:
        selectors.find_card(number)
    assert refused.value.code == code


def test_find_card_wrong_check_digit_and_unknown(card):
    with pytest.raises(selectors.CardLookupError, match="check digit does not match") as refused:
        selectors.find_card(wrong_check_digit(card.number))
    assert refused.value.code == "check_digit"
    with pytest.raises(selectors.CardLookupError, match="No card has that number.") as refused:
        selectors.find_card(unused_number())
    assert refused.value.code == "not_found"


def test_listing_and_pages(staff, card):
    from cityid.enrollment.services import decide, enroll
    from tests.conftest import make_input

    for day in range(3, 6):
        application = enroll(data=make_input(submitted_on=date(2026, 11, day)), enrolled_by=staff["clerk"],
                             today=date(2026, 11, 20))
        decide(application=application, approve=True, decided_by=staff["supervisor"])
    assert selectors.cards().count() == 4
    change_status(card, "suspend", reason="lost", changed_by=staff["supervisor"])
    assert list(selectors.cards("suspended")) == [card]
    assert selectors.cards("issued").count() == 3
    with pytest.raises(ValueError, match="unknown card status"):
        selectors.cards("lost")

    first = selectors.card_page(per_page=3)
    assert (first.number, len(first.object_list), first.paginator.num_pages) == (1, 3, 2)
    assert len(selectors.card_page(page=2, per_page=3).object_list) == 1
    assert selectors.card_page(page="x", per_page=3).number == 1
    assert selectors.card_page(status="suspended").paginator.count == 1
