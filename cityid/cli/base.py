"""The base of cityid's operator commands: an acting staff member and one-line failures.

Who may act belongs to ``accounts``, above this layer: it registers itself with
:func:`register_actor_policy` in its ``ready()``. Until one is registered, a command that needs an
actor refuses.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from django.core.management.base import BaseCommand, CommandError, SystemCheckError

from cityid.core.errors import CityidError

ACTOR_HELP = (
    "the staff username acting (default: CITYID_ACTOR, else the host operator); "
    "checked against the role policy and written to the audit log"
)


@dataclass(frozen=True)
class ActorPolicy:
    """What commands ask of the role policy."""

    #: The acting staff member for an ``--actor`` value (or CITYID_ACTOR; ``None``: the host operator).
    resolve: Callable[[str | None], Any]
    #: Raise ``refusal`` (and log it) unless the actor may perform the action.
    authorize: Callable[[Any, str], None]
    #: Raised by the two above and by the services when the policy refuses; printed as one line.
    refusal: type[Exception]


class _NoPolicy(Exception):
    """Never raised: the refusal type while no policy is registered."""


_actor_policy: ActorPolicy | None = None


def register_actor_policy(*, resolve: Callable[[str | None], Any], authorize: Callable[[Any, str], None],
                          refusal: type[Exception]) -> None:
    """Install the role policy that commands check (called by the app that owns the policy)."""
    global _actor_policy
    _actor_policy = ActorPolicy(resolve=resolve, authorize=authorize, refusal=refusal)


def _accept_actor_in_subcommands(parser: argparse.ArgumentParser) -> None:
    """Let ``--actor`` follow a subcommand too (``staff add X --role R --actor A``).

    A subcommand's parser takes every argument after the subcommand's name, so an option known
    only to the top-level parser would be rejected there. SUPPRESS keeps a value given before
    the subcommand when none is given after it.
    """
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in set(action.choices.values()):
                if "--actor" not in sub._option_string_actions:
                    sub.add_argument("--actor", default=argparse.SUPPRESS, help=ACTOR_HELP)
                _accept_actor_in_subcommands(sub)


class CityidCommand(BaseCommand):
    """A command whose ``handle`` asks :meth:`actor` for the acting staff member, checked against the
    policy action of the command (``action``) or of the subcommand given (``subcommand_actions``)."""

    #: The policy action this command needs (None: no personal data, no check).
    action: str | None = None
    #: Commands with subcommands (``dest="subcommand"``): the policy action of each one, by name (None:
    #: no check). A subcommand not named here needs ``action``.
    subcommand_actions: Mapping[str, str | None] = {}

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--actor", help=ACTOR_HELP)

    def create_parser(self, prog_name: str, subcommand: str, **kwargs: Any) -> Any:
        parser = super().create_parser(prog_name, subcommand, **kwargs)
        _accept_actor_in_subcommands(parser)
        return parser

    def execute(self, *args: Any, **options: Any) -> Any:
        """A failure is one line: ``cityid: <sentence>`` on stderr and exit status 1 from the command line (a
        ``CommandError`` from ``call_command``); a project error (``CityidError``) is put in the reader's words."""
        try:
            return self._execute_in_words(*args, **options)
        except CommandError as exc:
            if (not getattr(self, "_called_from_command_line", False) or options.get("traceback")
                    or isinstance(exc, SystemCheckError)):
                raise
            self.stderr.write(f"cityid: {exc}")
            sys.exit(exc.returncode)

    def _execute_in_words(self, *args: Any, **options: Any) -> Any:
        refusal = _actor_policy.refusal if _actor_policy else _NoPolicy
        try:
            return super().execute(*args, **options)
        except refusal as exc:
            raise CommandError(f"permission denied: {exc}") from None
        except CityidError as exc:
            raise CommandError(str(exc)) from None

    def action_for(self, options: dict) -> str | None:
        """The policy action these options need (override when an option, not the subcommand, decides)."""
        subcommand = options.get("subcommand")
        if subcommand in self.subcommand_actions:
            return self.subcommand_actions[subcommand]
        return self.action

    def actor(self, options: dict) -> Any:
        """The acting staff member (``--actor``), refused unless the policy allows :meth:`action_for`."""
        if _actor_policy is None:
            raise CommandError("permission denied: no role policy is installed")
        actor = _actor_policy.resolve(options.get("actor"))
        action = self.action_for(options)
        if action:
            _actor_policy.authorize(actor, action)
        return actor
