"""``cityid card list | revoke | suspend | reinstate``: output, exit codes and one-line refusals."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from cityid.audit.models import AuditEntry
from cityid.cards.management.commands.card import Command
from cityid.cards.models import Card, CardStatus, CardStatusChange
from cityid.cards.selectors import read_history
from tests.cards.test_services import unused_number, wrong_check_digit


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("card", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def refused(*args: str) -> str:
    with pytest.raises(CommandError) as error:
        run(*args)
    message = str(error.value)
    assert "\n" not in message
    return message


def test_revoke_prints_one_line_and_is_audited(staff, card):
    printed = run("revoke", card.number, "--reason", "stolen", "--note", "police report", "--actor", "supervisor1")
    assert printed == f"card {card.number} revoked (was issued); reason: stolen\n"
    card.refresh_from_db()
    assert card.status == CardStatus.REVOKED
    change = CardStatusChange.objects.get()
    assert (change.reason, change.has_note, change.changed_by) == ("stolen", True, staff["supervisor"])
    assert read_history(card, actor=staff["supervisor"])[0].note == "police report"
    assert b"police report" not in bytes(change.sealed_note)
    event = AuditEntry.objects.get(action="card.revoke")
    assert (event.actor, event.target, event.purpose) == (
        f"staff:{staff['supervisor'].pk}", f"card:{card.pk}", "")  # the reason stays in the card's history


def test_suspend_and_reinstate_with_a_spaced_number(staff, card):
    spaced = " ".join(card.number[i : i + 4] for i in range(0, 16, 4))
    assert run("suspend", spaced, "--reason", "lost", "--actor", "supervisor1").startswith(
        f"card {card.number} suspended (was issued)")
    assert run("--actor", "supervisor1", "reinstate", card.number, "--reason", "recovered").startswith(
        f"card {card.number} issued (was suspended)")
    assert list(AuditEntry.objects.filter(action__startswith="card.").order_by("index").values_list(
        "action", flat=True)) == ["card.issue", "card.suspend", "card.reinstate"]


def test_host_operator_without_actor(card):
    run("suspend", card.number, "--reason", "fraud")
    assert AuditEntry.objects.get(action="card.suspend").actor == "system:operator"


def test_refusals_are_one_line(staff, card):
    supervisor = ("--actor", "supervisor1")
    assert "has 16 digits" in refused("revoke", "1234", "--reason", "lost", *supervisor)
    assert "has 16 digits" in refused("revoke", "\u00b2234567890123456", "--reason", "lost", *supervisor)
    assert "check digit does not match" in refused("revoke", wrong_check_digit(card.number), "--reason", "lost",
                                             *supervisor)
    assert "No card has that number." in refused("revoke", unused_number(), "--reason", "lost",
                                                                   *supervisor)
    assert "“stolen” is not one of the reasons for this change: recovered, cleared" in refused(
        "reinstate", card.number, "--reason", "stolen", *supervisor)
    assert refused("reinstate", card.number, "--reason", "recovered", *supervisor) == (
        "cannot reinstate the card: Only a suspended card can be reinstated.")
    run("revoke", card.number, "--reason", "fraud", *supervisor)
    assert "a revoked card cannot be changed" in refused("suspend", card.number, "--reason", "lost", *supervisor)
    assert "longer than 200" in refused("revoke", card.number, "--reason", "lost", "--note", "x" * 201, *supervisor)
    assert CardStatusChange.objects.count() == 1


def test_expired_card(staff, card):
    Card.objects.filter(pk=card.pk).update(expires_on=timezone.localdate() - timedelta(days=1))
    assert "an expired card can only be revoked" in refused("suspend", card.number, "--reason", "lost",
                                                            "--actor", "supervisor1")
    run("revoke", card.number, "--reason", "lost", "--actor", "supervisor1")


@pytest.mark.parametrize("role", ["clerk", "card_production", "auditor", "admin", "records_officer"])
def test_status_change_needs_a_supervisor(staff, card, role):
    assert refused("revoke", card.number, "--reason", "lost", "--actor", f"{role}1").startswith(
        "permission denied: role")
    assert Card.objects.get(pk=card.pk).status == CardStatus.ISSUED


def test_list(staff, card):
    printed = run("list", "--actor", "card_production1").splitlines()
    assert printed[0].split() == ["number", "status", "issued", "expires", "print"]
    assert printed[1].split() == [card.number, "issued", card.issued_on.isoformat(), card.expires_on.isoformat(),
                                  "waiting"]
    assert len(printed) == 2
    assert run("list", "--status", "revoked") == "no revoked cards\n"
    run("suspend", card.number, "--reason", "lost")
    assert run("list", "--status", "suspended").splitlines()[1].split()[:2] == [card.number, "suspended"]
    Card.objects.filter(pk=card.pk).update(expires_on=timezone.localdate() - timedelta(days=1))
    assert run("list").splitlines()[1].split()[-1] == "expired"


def test_list_limit(staff, card):
    from datetime import date

    from cityid.enrollment.services import decide, enroll
    from tests.conftest import make_input

    application = enroll(data=make_input(submitted_on=date(2026, 11, 3)), enrolled_by=staff["clerk"],
                         today=date(2026, 11, 20))
    decide(application=application, approve=True, decided_by=staff["supervisor"])
    printed = run("list", "--limit", "1").splitlines()
    assert len(printed) == 3 and printed[-1] == "page 1 of 2 (2 cards); next: --page 2"
    second = run("list", "--limit", "1", "--page", "2").splitlines()
    assert second[-1] == "page 2 of 2 (2 cards)" and second[1] != printed[1]
    assert len(run("list", "--limit", "2").splitlines()) == 3
    assert refused("list", "--limit", "1", "--page", "3") == "--page 3: there are 2 pages of 1"


def test_list_refusals(staff, card):
    assert refused("list", "--status", "lost") == (
        "unknown status 'lost'; one of: issued, suspended, revoked")
    assert refused("list", "--limit", "0") == "--limit '0' and --page '1' must be positive whole numbers"
    assert refused("list", "--limit", "many") == "--limit 'many' and --page '1' must be positive whole numbers"
    assert refused("list", "--actor", "clerk1").startswith("permission denied")
    assert run("list", "--actor", "supervisor1").splitlines()[1].startswith(card.number)


def test_no_cards(db):
    assert run("list") == "no cards\n"


def test_exit_status_and_stderr_from_the_command_line(staff, card, capsys, monkeypatch):
    """As the ``cityid`` script runs it: exit status 1 and one line on stderr."""
    from django.core.management import base

    monkeypatch.setattr(base.connections, "close_all", lambda: None)  # keep the test's transaction open
    with pytest.raises(SystemExit) as exited:
        Command().run_from_argv(["cityid", "card", "reinstate", card.number, "--reason", "recovered",
                                 "--actor", "supervisor1"])
    assert exited.value.code == 1
    captured = capsys.readouterr()
    assert captured.err.strip().splitlines() == [
        "cityid: cannot reinstate the card: Only a suspended card can be reinstated."]
    assert captured.out == ""

    Command().run_from_argv(["cityid", "card", "suspend", card.number, "--reason", "lost", "--actor", "supervisor1"])
    assert capsys.readouterr().out == f"card {card.number} suspended (was issued); reason: lost\n"
