from typing import Any

from django.core.management.base import CommandError

from cityid.accounts.policy import ROLES
from cityid.accounts.services import create_staff
from cityid.ops.base import CityidCommand


class Command(CityidCommand):
    help = "Manage staff accounts: `staff add USERNAME --role ROLE`."
    action = "staff.manage"

    def add_arguments(self, parser: Any) -> None:
        super().add_arguments(parser)
        sub = parser.add_subparsers(dest="subcommand", required=True)
        add = sub.add_parser("add", help="create a staff account with a one-time password and a TOTP secret")
        add.add_argument("username")
        add.add_argument("--role", required=True, choices=list(ROLES))

    def handle(self, *args: Any, **options: Any) -> None:
        actor = self.actor(options)
        try:
            new = create_staff(username=options["username"], role=options["role"], created_by=actor)
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(f"username:           {new.user.username}")
        self.stdout.write(f"role:               {new.user.role}")
        self.stdout.write(f"one-time password:  {new.one_time_password}  (must be changed at first sign-in)")
        self.stdout.write(f"TOTP secret:        {new.totp_secret}")
        self.stdout.write(f"TOTP URI:           {new.totp_uri}")
