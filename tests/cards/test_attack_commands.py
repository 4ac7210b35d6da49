"""Attacks on the per-subcommand command permissions: every subcommand that acts or reads something, run with
``--actor`` of a role the policy does not allow it, is refused before it does anything (and the refusal is
audited). Each case fails if the subcommand runs."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from cityid.accounts.policy import POLICY
from cityid.audit.models import AuditEntry

NUMBER = "4000 0000 0000 0002"

#: (argv, the policy action it needs); each is tried with every role outside that action's roles.
CASES = [
    (["card", "list"], "cards.read"),
    (["card", "revoke", NUMBER, "--reason", "fraud"], "cards.status"),
    (["card", "suspend", NUMBER, "--reason", "lost"], "cards.status"),
    (["card", "reinstate", NUMBER, "--reason", "found"], "cards.status"),
    (["hold", "place", "--case", "X v. Y", "--court", "Z", "--scope", "class:application"], "retention.hold"),
    (["hold", "release", "1"], "retention.hold"),
    (["hold", "list"], "retention.read"),
    (["retention", "schedule", "--class", "documents", "--on", "2016-12-31"], "retention.schedule"),
    (["retention", "schedule", "--list"], "retention.read"),
    (["retention", "schedules"], "retention.read"),
    (["retention", "preview", "--as-of", "2017-01-02"], "retention.read"),
    (["retention", "run", "--as-of", "2017-01-02"], "retention.dispose"),
    (["certificate", "list"], "retention.read"),
    (["certificate", "export", "1"], "retention.read"),
    (["certificate", "rotate-key"], "keys.rotate"),
    (["audit", "rotate-key"], "keys.rotate"),
    (["staff", "list"], "staff.manage"),
    (["enrollment", "clean"], "enrollment.clean"),
]


@pytest.mark.parametrize("argv, action", CASES, ids=[" ".join(argv[:2]) for argv, _a in CASES])
def test_attack_a_subcommand_run_without_the_right_role_is_refused(staff, argv, action):
    outsiders = [role for role in staff if role not in POLICY[action]]
    assert outsiders
    for role in outsiders:
        before = AuditEntry.objects.exclude(action="access.denied").count()
        out = io.StringIO()
        with pytest.raises(CommandError, match="permission denied"):
            call_command(*argv, "--actor", staff[role].username, stdout=out, stderr=io.StringIO())
        assert out.getvalue() == "", (argv, role)
        assert AuditEntry.objects.exclude(action="access.denied").count() == before, (argv, role)


@pytest.mark.parametrize("placement", ["before", "after"])
def test_attack_the_actor_given_before_and_after_the_subcommand_is_the_one_checked(staff, placement):
    """``--actor`` on the command and on the subcommand: the subcommand's wins and is the one checked, so a
    permitted name on one side does not cover a refused one on the other."""
    allowed_name, refused_name = staff["supervisor"].username, staff["clerk"].username
    if placement == "before":
        argv = ["card", "--actor", allowed_name, "revoke", NUMBER, "--reason", "fraud", "--actor", refused_name]
    else:
        argv = ["card", "--actor", refused_name, "list", "--actor", refused_name]
    with pytest.raises(CommandError, match="permission denied"):
        call_command(*argv, stdout=io.StringIO(), stderr=io.StringIO())


def test_attack_a_deactivated_or_unknown_actor_is_nobody(staff):
    from cityid.accounts.services import deactivate_staff

    deactivate_staff(staff["supervisor"], by=staff["admin"], reason="left")
    for name in (staff["supervisor"].username, "nobody-such", "SUPERVISOR1"):
        with pytest.raises(CommandError, match="permission denied"):
            call_command("card", "list", "--actor", name, stdout=io.StringIO(), stderr=io.StringIO())


#: What each subcommand needs: a new subcommand must be added here on purpose (one left out of a command's
#: ``subcommand_actions`` falls back to the command's ``action``, which is None for several commands).
EXPECTED = {
    "audit": {"verify": None, "checkpoint": None, "prove": None, "integrate": None, "export": None,
              "rotate-key": "keys.rotate"},
    "card": {"list": "cards.read", "revoke": "cards.status", "suspend": "cards.status", "reinstate": "cards.status",
             "replace": "cards.replace", "renew": "cards.renew", "pdf": "cards.produce", "batch": "cards.produce",
             "keys": None, "verify": None, "status-list": None},
    "certificate": {"verify": None, "list": "retention.read", "export": "retention.read", "rotate-key": "keys.rotate"},
    "enrollment": {"clean": "enrollment.clean", "reindex-names": "enrollment.clean"},
    "hold": {"place": "retention.hold", "release": "retention.hold", "list": "retention.read"},
    "retention": {"schedule": "retention.schedule", "schedules": "retention.read", "preview": "retention.read",
                  "run": "retention.dispose"},
    "staff": dict.fromkeys(["add", "role", "list", "deactivate", "reactivate", "reset-mfa", "email", "link",
                            "pending", "approve", "withdraw", "site"], "staff.manage"),
    "vault": {"sweep": None, "cohorts": None},
    "partner": dict.fromkeys(["add", "list", "approve", "withdraw", "revoke"], "partners.manage"),
    "export": {None: "subject.export"}, "import": {None: "enrollment.import"}, "seed": {None: "enrollment.seed"},
    "bench": {None: None}, "demo": {None: None},
    # Statistics and the transparency report are public; publishing needs the role; setting the budget is checked
    # in the service (the host operator only).
    "report": {"stats": None, "publish": "reports.publish", "budget": None, "transparency": None},
    # FOIL deadlines are public arithmetic; the queue and notices are the FOIL officer's.
    "foil": {"due": None, "send": "foil.manage", "list": "foil.queue"},
    # The public counts are public; the list of requests is for the roles that log and decide them.
    "law_enforcement": {"list": "law_enforcement.read", "counts": None},
    # `match` works on CSV files the operator supplies (no applicant is read); `matching` on the population.
    "match": {"pairs": None, "train": None, "evaluate": None, "model": None},
    "matching": {"recheck": "matching.index", "index": "matching.index", "labels": "matching.review"},
}


def test_attack_no_subcommand_slips_through_without_a_decided_permission():
    import argparse

    from django.core.management import get_commands, load_command_class

    from cityid.cli.base import CityidCommand

    found = {}
    for name, app in get_commands().items():
        command = load_command_class(app, name)
        if not isinstance(command, CityidCommand):
            continue
        parser = command.create_parser("cityid", name)
        subparsers = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
        choices = list(subparsers[0].choices) if subparsers else [None]
        found[name] = {choice: command.action_for({"subcommand": choice, "list": False}) for choice in choices}
    assert found == EXPECTED
