"""The base of cityid's operator commands: an acting staff member and one-line failures."""

from __future__ import annotations

import argparse
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from cityid.accounts.policy import PermissionDenied
from cityid.accounts.services import authorize, resolve_command_actor

ACTOR_HELP = (
    "the staff username acting (default: CITYID_ACTOR, else the host operator); "
    "checked against the role policy and written to the audit log"
)


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
    #: The policy action this command needs (None: no personal data, no check).
    action: str | None = None

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--actor", help=ACTOR_HELP)

    def create_parser(self, prog_name: str, subcommand: str, **kwargs: Any) -> Any:
        parser = super().create_parser(prog_name, subcommand, **kwargs)
        _accept_actor_in_subcommands(parser)
        return parser

    def execute(self, *args: Any, **options: Any) -> Any:
        try:
            return super().execute(*args, **options)
        except PermissionDenied as exc:
            raise CommandError(f"permission denied: {exc}") from None

    def actor(self, options: dict) -> Any:
        actor = resolve_command_actor(options.get("actor"))
        if self.action:
            authorize(actor, self.action)
        return actor
