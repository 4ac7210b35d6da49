from typing import Any

from django.conf import settings
from django.core.management import call_command

from cityid.accounts.models import User
from cityid.accounts.policy import ROLES
from cityid.accounts.selectors import has_authenticator
from cityid.accounts.services import create_staff, reissue_link
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
        # The host operator runs the demo (and holds the keyring): each demo account's one-time
        # enrolment link is printed here, never a password or an authenticator secret.
        links = []
        for role in ROLES:
            username = f"demo_{role}"
            user = User.objects.filter(username=username).first()
            if user is None:
                links.append((username, create_staff(username=username, role=role,
                                                     email=f"{username}@example.invalid").enrolment_url))
            elif user.is_active and not has_authenticator(user):
                links.append((username, reissue_link(user)))
        if links:
            self.stdout.write("Demo staff: open an account's enrolment link (works once, for "
                              f"{settings.CITYID_ENROLMENT_HOURS} hours), choose a password and set up an")
            self.stdout.write("authenticator app from the QR code or the key shown (or `oathtool --totp -b KEY`):")
            for username, url in links:
                self.stdout.write(f"  {username:<24} {url}")
        else:
            self.stdout.write("Demo staff have all enrolled (an unused link is printed again at the next start).")
        missing = options["people"] - Applicant.objects.filter(external_id__startswith="SYN-0-").count()
        if missing > 0:
            call_command("seed", people=missing, seed=0)
        make_checkpoint()  # what the scheduled `cityid audit checkpoint` does in production (the demo has no cron)
        if not options["no_serve"]:
            self.stdout.write(f"Serving http://{options['addrport']}/  (Ctrl-C stops)")
            call_command("runserver", options["addrport"], use_reloader=False)
