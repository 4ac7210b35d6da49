from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import CommandError

from cityid.accounts import selectors
from cityid.accounts.models import ChangeRequest, User
from cityid.accounts.policy import ROLES
from cityid.accounts.services import (
    DEACTIVATION_REASONS,
    add_staff,
    approve_change,
    change_email,
    deactivate_staff,
    reactivate_staff,
    reissue_link,
    reset_mfa,
    set_role,
    set_site,
    withdraw_change,
)
from cityid.cli.base import CityidCommand
from cityid.core.actors import Actor


class Command(CityidCommand):
    help = (
        "Manage staff accounts: `staff add USERNAME --role ROLE [--email E]`, `staff role USERNAME --role ROLE`, "
        "`staff list`, `staff deactivate USERNAME --reason R`, `staff reactivate USERNAME`, "
        "`staff reset-mfa USERNAME`, `staff email USERNAME --email E`, `staff link USERNAME`, "
        "`staff pending`, `staff approve ID`, `staff withdraw ID`, `staff site USERNAME --site SITE`. "
        "Run by the host operator (no --actor) a change "
        "is made at once and an enrolment link printed once; with --actor an administrator, privileged roles, "
        "reactivation, authenticator resets and email changes wait for a second administrator's approval and "
        "links go by email."
    )
    action = "staff.manage"

    def add_arguments(self, parser: Any) -> None:
        super().add_arguments(parser)
        sub = parser.add_subparsers(dest="subcommand", required=True)
        add = sub.add_parser("add", help="create a staff account; its owner enrols through a one-time link")
        add.add_argument("username")
        add.add_argument("--role", required=True, choices=list(ROLES))
        add.add_argument("--email", default="", help="work email address (required with --actor)")
        role = sub.add_parser("role", help="change a staff member's role (audited)")
        role.add_argument("username")
        role.add_argument("--role", required=True, choices=list(ROLES))
        listing = sub.add_parser("list", help="list staff accounts: username, role, active, last sign-in")
        listing.add_argument("--role", choices=list(ROLES), help="only this role")
        deactivate = sub.add_parser("deactivate", help="deactivate a leaver's account and end their sessions")
        deactivate.add_argument("username")
        deactivate.add_argument("--reason", required=True, choices=list(DEACTIVATION_REASONS))
        reactivate = sub.add_parser("reactivate", help="reactivate an account (its owner enrols again)")
        reactivate.add_argument("username")
        mfa = sub.add_parser("reset-mfa", help="replace a staff member's authenticator (its owner enrols again)")
        mfa.add_argument("username")
        email = sub.add_parser("email", help="change a staff member's email address")
        email.add_argument("username")
        email.add_argument("--email", required=True)
        link = sub.add_parser("link", help="a new enrolment link for an account that has not enrolled yet (host "
                                           "operator only)")
        link.add_argument("username")
        sub.add_parser("pending", help="change requests waiting for a second administrator")
        approve = sub.add_parser("approve", help="approve another administrator's change request (with --actor)")
        approve.add_argument("request_id", type=int)
        withdraw = sub.add_parser("withdraw", help="withdraw a change request")
        withdraw.add_argument("request_id", type=int)
        site = sub.add_parser("site", help="set the enrollment center a staff member works at (empty: none)")
        site.add_argument("username")
        site.add_argument("--site", required=True)

    def handle(self, *args: Any, **options: Any) -> None:
        actor = self.actor(options)
        self._handle(actor, options)  # a StaffRefused: one line, from CityidCommand

    def _user(self, username: str) -> Any:
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"no staff account named {username!r}")
        return user

    def _done(self, result: Any, user: User | None = None) -> None:
        """Print what a change led to: a request waiting for approval, or a link for the operator."""
        if isinstance(result, ChangeRequest):
            self.stdout.write(f"change request {result.pk} ({result.kind}) waits for a second administrator: "
                              f"`cityid staff approve {result.pk} --actor OTHER_ADMIN`")
        elif isinstance(result, str):
            self.stdout.write(f"enrolment link:     {result}")
            self.stdout.write("                    (shown once; works once; give it only to the staff member)")

    def _handle(self, actor: Actor | None, options: dict) -> None:
        command = options["subcommand"]
        if command == "list":
            users = get_user_model().objects.order_by("username")
            if options["role"]:
                users = users.filter(role=options["role"])
            self.stdout.write(f"{'username':<24} {'role':<16} {'active':<7} last sign-in")
            for user in users:
                last = user.last_login.strftime("%Y-%m-%d %H:%M") if user.last_login else "never"
                self.stdout.write(f"{user.username:<24} {user.role:<16} {'yes' if user.is_active else 'no':<7} {last}")
        elif command == "pending":
            self.stdout.write(f"{'id':<6} {'change':<11} {'account':<24} {'role':<16} {'asked by':<24} expires")
            for change in selectors.pending_changes():
                account = change.subject.username if change.subject else change.username
                self.stdout.write(f"{change.pk:<6} {change.kind:<11} {account:<24} {change.role or '-':<16} "
                                  f"{change.requested_by.username:<24} {change.expires_at:%Y-%m-%d %H:%M}")
        elif command == "approve":
            change = approve_change(request_id=options["request_id"], by=actor)
            self.stdout.write(f"change request {change.pk} ({change.kind}) approved and done")
        elif command == "withdraw":
            change = withdraw_change(request_id=options["request_id"], by=actor)
            self.stdout.write(f"change request {change.pk} withdrawn")
        elif command == "add":
            try:
                result = add_staff(username=options["username"], role=options["role"], email=options["email"],
                                   by=actor)
            except ValueError as exc:
                raise CommandError(str(exc)) from None
            if isinstance(result, ChangeRequest):
                self._done(result)
                return
            self.stdout.write(f"username:           {result.user.username}")
            self.stdout.write(f"role:               {result.user.role}")
            if result.enrolment_url:
                self._done(result.enrolment_url)
            else:
                self.stdout.write("enrolment link:     sent by email to the staff member")
        elif command == "link":
            if actor is not None:
                raise CommandError("only the host operator (no --actor) prints enrolment links")
            user = self._user(options["username"])
            if selectors.has_authenticator(user) or not user.is_active:
                raise CommandError(f"{user.username} is not waiting to enrol (use reactivate or reset-mfa)")
            self._done(reissue_link(user))
        else:
            user = self._user(options["username"])
            if command == "role":
                result = set_role(user, role=options["role"], by=actor)
                if result is None:
                    user.refresh_from_db()
                    self.stdout.write(f"{user.username} is now {user.role}")
                self._done(result)
            elif command == "deactivate":
                ended = deactivate_staff(user, by=actor, reason=options["reason"])
                self.stdout.write(f"username:           {user.username}")
                self.stdout.write(f"active:             no ({options['reason']})")
                self.stdout.write(f"sessions ended:     {ended}")
            elif command == "site":
                set_site(user, site=options["site"], by=actor)
                self.stdout.write(f"username:           {user.username}")
                self.stdout.write(f"site:               {user.site or '(none)'}")
            elif command == "reactivate":
                self._done(reactivate_staff(user, by=actor), user)
            elif command == "reset-mfa":
                self._done(reset_mfa(user, by=actor), user)
            elif command == "email":
                result = change_email(user, email=options["email"], by=actor)
                if result is None:
                    self.stdout.write(f"{user.username}: email address changed")
                self._done(result)
