"""The base of cityid's operator commands: an acting staff member and one-line failures."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from cityid.accounts.policy import PermissionDenied
from cityid.accounts.services import authorize, resolve_command_actor


class CityidCommand(BaseCommand):
    #: The policy action this command needs (None: no personal data, no check).
    action: str | None = None

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--actor",
            help="the staff username acting (default: CITYID_ACTOR, else the host operator); "
            "checked against the role policy and written to the audit log",
        )

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
