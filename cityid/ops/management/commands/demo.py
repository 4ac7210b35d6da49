from typing import Any

from django.core.management import call_command

from cityid.accounts.models import User
from cityid.accounts.policy import ROLES
from cityid.accounts.services import create_staff
from cityid.audit.services import make_checkpoint
from cityid.enrollment.models import Applicant
from cityid.ops.base import CityidCommand


class Command(CityidCommand):
    help = "Migrate, create demo staff, seed a synthetic population and serve on 127.0.0.1:8000."

    def add_arguments(self, parser: Any) -> None:
        super().add_arguments(parser)
        parser.add_argument("--people", type=int, default=500)
        parser.add_argument("--addrport", default="127.0.0.1:8000")
        parser.add_argument("--no-serve", action="store_true", help="prepare everything but do not serve")

    def handle(self, *args: Any, **options: Any) -> None:
        call_command("migrate", verbosity=0)
        created = []
        for role in ROLES:
            username = f"demo_{role}"
            if not User.objects.filter(username=username).exists():
                created.append(create_staff(username=username, role=role))
        if created:
            self.stdout.write("Demo staff (shown once; sign in with the password and a code from an")
            self.stdout.write("authenticator app holding the TOTP secret, e.g. `oathtool --totp -b SECRET`):")
            for new in created:
                self.stdout.write(
                    f"  {new.user.username:<24} password {new.one_time_password}  TOTP secret {new.totp_secret}"
                )
        else:
            self.stdout.write("Demo staff exist already (their credentials were printed on the first run).")
        missing = options["people"] - Applicant.objects.filter(external_id__startswith="SYN-0-").count()
        if missing > 0:
            call_command("seed", people=missing, seed=0)
        make_checkpoint()  # what the scheduled `cityid audit checkpoint` does in production (the demo has no cron)
        if not options["no_serve"]:
            self.stdout.write(f"Serving http://{options['addrport']}/  (Ctrl-C stops)")
            call_command("runserver", options["addrport"], use_reloader=False)
