from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import CommandError

from cityid.accounts.policy import ROLES
from cityid.accounts.services import change_role, create_staff
from cityid.ops.base import CityidCommand


class Command(CityidCommand):
    help = "Manage staff accounts: `staff add USERNAME --role ROLE`, `staff role USERNAME --role ROLE`."
    action = "staff.manage"

    def add_arguments(self, parser: Any) -> None:
        super().add_arguments(parser)
        sub = parser.add_subparsers(dest="subcommand", required=True)
        add = sub.add_parser("add", help="create a staff account with a one-time password and a TOTP secret")
        add.add_argument("username")
        add.add_argument("--role", required=True, choices=list(ROLES))
        role = sub.add_parser("role", help="change a staff member's role (audited)")
        role.add_argument("username")
        role.add_argument("--role", required=True, choices=list(ROLES))

    def handle(self, *args: Any, **options: Any) -> None:
        actor = self.actor(options)
        if options["subcommand"] == "role":
            user = get_user_model().objects.filter(username=options["username"]).first()
            if user is None:
                raise CommandError(f"no staff account named {options['username']!r}")
            change_role(user=user, role=options["role"], changed_by=actor)
            self.stdout.write(f"{user.username} is now {user.role}")
            return
        try:
            new = create_staff(username=options["username"], role=options["role"], created_by=actor)
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(f"username:           {new.user.username}")
        self.stdout.write(f"role:               {new.user.role}")
        self.stdout.write(f"one-time password:  {new.one_time_password}  (must be changed at first sign-in)")
        self.stdout.write(f"TOTP secret:        {new.totp_secret}")
        self.stdout.write(f"TOTP URI:           {new.totp_uri}")
