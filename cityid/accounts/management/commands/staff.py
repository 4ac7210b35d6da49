from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import CommandError

from cityid.accounts.policy import ROLES
from cityid.accounts.services import (
    DEACTIVATION_REASONS,
    StaffRefused,
    create_staff,
    deactivate_staff,
    reactivate_staff,
    reset_mfa,
    set_role,
    set_site,
)
from cityid.ops.base import CityidCommand


class Command(CityidCommand):
    help = (
        "Manage staff accounts: `staff add USERNAME --role ROLE`, `staff role USERNAME --role ROLE`, "
        "`staff list`, `staff deactivate USERNAME --reason R`, `staff reactivate USERNAME`, "
        "`staff reset-mfa USERNAME`, `staff site USERNAME --site SITE`."
    )
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
        listing = sub.add_parser("list", help="list staff accounts: username, role, active, last sign-in")
        listing.add_argument("--role", choices=list(ROLES), help="only this role")
        deactivate = sub.add_parser("deactivate", help="deactivate a leaver's account and end their sessions")
        deactivate.add_argument("username")
        deactivate.add_argument("--reason", required=True, choices=list(DEACTIVATION_REASONS))
        reactivate = sub.add_parser("reactivate", help="reactivate an account with a new one-time password")
        reactivate.add_argument("username")
        mfa = sub.add_parser("reset-mfa", help="replace a staff member's authenticator (new TOTP secret)")
        mfa.add_argument("username")
        site = sub.add_parser("site", help="set the enrollment center a staff member works at (empty: none)")
        site.add_argument("username")
        site.add_argument("--site", required=True)

    def handle(self, *args: Any, **options: Any) -> None:
        actor = self.actor(options)
        if options["subcommand"] in {"list", "deactivate", "reactivate", "reset-mfa", "site"}:
            try:
                self._manage(actor, options)
            except StaffRefused as exc:
                raise CommandError(str(exc)) from None
            return
        if options["subcommand"] == "role":
            user = get_user_model().objects.filter(username=options["username"]).first()
            if user is None:
                raise CommandError(f"no staff account named {options['username']!r}")
            try:
                set_role(user, role=options["role"], by=actor)
            except StaffRefused as exc:
                raise CommandError(str(exc)) from None
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

    def _manage(self, actor: Any, options: dict) -> None:
        User = get_user_model()
        if options["subcommand"] == "list":
            users = User.objects.order_by("username")
            if options["role"]:
                users = users.filter(role=options["role"])
            self.stdout.write(f"{'username':<24} {'role':<16} {'active':<7} last sign-in")
            for user in users:
                last = user.last_login.strftime("%Y-%m-%d %H:%M") if user.last_login else "never"
                self.stdout.write(f"{user.username:<24} {user.role:<16} {'yes' if user.is_active else 'no':<7} {last}")
            return
        user = User.objects.filter(username=options["username"]).first()
        if user is None:
            raise CommandError(f"no staff account named {options['username']!r}")
        if options["subcommand"] == "deactivate":
            ended = deactivate_staff(user, by=actor, reason=options["reason"])
            self.stdout.write(f"username:           {user.username}")
            self.stdout.write(f"active:             no ({options['reason']})")
            self.stdout.write(f"sessions ended:     {ended}")
        elif options["subcommand"] == "site":
            set_site(user, site=options["site"], by=actor)
            self.stdout.write(f"username:           {user.username}")
            self.stdout.write(f"site:               {user.site or '(none)'}")
        elif options["subcommand"] == "reactivate":
            password = reactivate_staff(user, by=actor)
            self.stdout.write(f"username:           {user.username}")
            self.stdout.write(f"role:               {user.role}")
            self.stdout.write(f"one-time password:  {password}  (must be changed at first sign-in)")
        else:
            new = reset_mfa(user, by=actor)
            self.stdout.write(f"username:           {user.username}")
            self.stdout.write(f"TOTP secret:        {new.totp_secret}")
            self.stdout.write(f"TOTP URI:           {new.totp_uri}")
