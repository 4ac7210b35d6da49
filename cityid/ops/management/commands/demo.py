import os
from typing import Any

from django.conf import settings
from django.core.management import call_command

from cityid.accounts.models import User
from cityid.accounts.policy import ROLES
from cityid.accounts.selectors import has_authenticator
from cityid.accounts.services import create_staff, reissue_link, set_site
from cityid.audit.services import make_checkpoint
from cityid.cards.issuing import ensure_status_list
from cityid.cli.base import CityidCommand
from cityid.enrollment.models import Applicant, Application, ApplicationStatus
from cityid.enrollment.services import assign_case
from cityid.reports.selectors import latest_release

#: The demo's enrollment center: the demo clerk and supervisor work there.
DEMO_SITE = "demo-center"
#: Open seeded cases handed to the demo clerk (personally, then to their site's queue) on the first run.
DEMO_CLERK_CASES = 5


class Command(CityidCommand):
    help = "Migrate, create demo staff, seed a synthetic population and serve on 127.0.0.1:8000."

    def add_arguments(self, parser: Any) -> None:
        super().add_arguments(parser)
        parser.add_argument("--people", type=int, default=500)
        parser.add_argument("--addrport", default="127.0.0.1:8000")
        parser.add_argument("--no-serve", action="store_true", help="prepare everything but do not serve")

    def handle(self, *args: Any, **options: Any) -> None:
        call_command("migrate", verbosity=0)
        if "CITYID_BASE_URL" not in os.environ:  # the printed links open where this demo serves
            addrport = options["addrport"] if ":" in options["addrport"] else f"127.0.0.1:{options['addrport']}"
            settings.CITYID_BASE_URL = f"http://{addrport}"
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
        self._assign_demo_cases()
        # What production does on its own schedule: the signed status list (and with it the card key) that the
        # partner page /verify/ checks cards against, and a first statistics release for /stats/.
        ensure_status_list()
        if latest_release() is None:
            call_command("report", "publish", stdout=self.stdout)
        make_checkpoint()  # what the scheduled `cityid audit checkpoint` does in production (the demo has no cron)
        if not options["no_serve"]:
            self.stdout.write(f"Serving http://{options['addrport']}/  (Ctrl-C stops)")
            call_command("runserver", options["addrport"], use_reloader=False)

    def _assign_demo_cases(self) -> None:
        """Seeded open cases wait in the supervisors' decision queue; give the demo clerk a few to open."""
        clerk = User.objects.filter(username="demo_clerk").first()
        for username in ("demo_clerk", "demo_supervisor"):
            user = User.objects.filter(username=username).first()
            if user is not None and user.site != DEMO_SITE:
                set_site(user, site=DEMO_SITE, by=None)
        if clerk is None:
            return
        open_cases = Application.objects.filter(status=ApplicationStatus.SUBMITTED)
        if open_cases.filter(assigned_to=clerk).exists() or open_cases.filter(assigned_site=DEMO_SITE).exists():
            return
        seeded = list(open_cases.filter(in_decision_queue=True, applicant__external_id__startswith="SYN-0-")
                      .order_by("submitted_on", "id"))
        # A third to the clerk, a third to their site, the rest stay in the supervisors' decision queue.
        mine = min(DEMO_CLERK_CASES, max(1, len(seeded) // 3)) if seeded else 0
        site = min(DEMO_CLERK_CASES, len(seeded) // 3)
        for application in seeded[:mine]:
            assign_case(application=application, by=None, staff=clerk)
        for application in seeded[mine : mine + site]:
            assign_case(application=application, by=None, site=DEMO_SITE)
        self.stdout.write(f"Open cases: {mine} assigned to demo_clerk, {site} to the site {DEMO_SITE!r} (My cases); "
                          f"{len(seeded) - mine - site} in the decision queue.")
