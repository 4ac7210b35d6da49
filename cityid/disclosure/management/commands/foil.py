import json
from datetime import datetime
from typing import Any

from django.core.management.base import CommandError
from django.utils import timezone

from cityid.cli.base import CityidCommand
from cityid.cli.progress import RawHelp
from cityid.disclosure import deadlines, selectors, services

HELP = """FOIL requests: due dates, the notice outbox, the queue.

  foil due --received ISO_DATETIME [--json]
                    the business day a request received then counts from, and its acknowledgment and
                    determination due dates on the configured calendar (CITYID_FOIL_CALENDAR; New York by
                    default). A time without an offset is read in the city's time zone.
  foil send         send the notices still in the outbox (after a crash or a mail server's failure)
  foil list [--queue open|overdue|appealed|finished|all] [--limit N]
                    requests by next due date, with their flags (metadata only)
"""


class Command(RawHelp, CityidCommand):
    help = HELP
    subcommand_actions = {"due": None, "send": "foil.manage", "list": "foil.queue"}

    def add_arguments(self, parser: Any) -> None:
        super().add_arguments(parser)
        sub = parser.add_subparsers(dest="subcommand", required=True)
        due = sub.add_parser("due", help="the due dates of a request received at a moment")
        due.add_argument("--received", required=True, metavar="ISO_DATETIME",
                         help="when the request arrived, e.g. 2026-11-25T16:30:00-05:00")
        due.add_argument("--json", action="store_true", help="print JSON")
        sub.add_parser("send", help="send unsent notices")
        listing = sub.add_parser("list", help="requests by next due date")
        listing.add_argument("--queue", default="open", help=", ".join(selectors.QUEUES))
        listing.add_argument("--limit", type=int, default=50)

    def handle(self, *args: Any, **options: Any) -> None:
        subcommand = options["subcommand"]
        actor = self.actor(options)
        if subcommand == "due":
            self._due(options)
        elif subcommand == "send":
            result = services.send_notices()
            self.stdout.write(f"sent {result.sent}, by post {result.by_post}, failed {result.failed}")
            if result.failed:
                raise CommandError(f"{result.failed} notices could not be sent; they stay in the outbox")
        else:
            self._list(options, actor)

    def _due(self, options: dict) -> None:
        text = options["received"].strip()
        try:
            moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            raise CommandError(f"--received {text!r} is not an ISO 8601 date and time "
                               "(for example 2026-11-25T16:30:00-05:00)") from None
        if timezone.is_naive(moment):
            moment = timezone.make_aware(moment, timezone.get_current_timezone())
        found = deadlines.deadlines(selectors.current_calendar(), moment)
        values = {"received": moment.isoformat(), "received_on": found.received_on.isoformat(),
                  "acknowledgment_due": found.acknowledgment_due.isoformat(),
                  "determination_due": found.determination_due.isoformat()}
        if options["json"]:
            self.stdout.write(json.dumps(values))
            return
        self.stdout.write(f"counts as received on  {values['received_on']}\n"
                          f"acknowledgment due     {values['acknowledgment_due']}\n"
                          f"determination due      {values['determination_due']}")

    def _list(self, options: dict, actor: Any) -> None:
        queue = options["queue"]
        if queue not in selectors.QUEUES:
            raise CommandError(f"unknown queue {queue!r}; one of: {', '.join(selectors.QUEUES)}")
        if options["limit"] < 1:
            raise CommandError("--limit must be a positive whole number")
        cal = selectors.current_calendar()
        today = cal.local_date(timezone.now())
        rows = list(selectors.foil_queue(queue, today=today)[: options["limit"]])
        if not rows:
            self.stdout.write("no requests")
            return
        self.stdout.write(f"{'request':<22}  {'status':<19}  {'received':<10}  {'next due':<10}  flags")
        for foil in rows:
            due = foil.next_due.isoformat() if foil.next_due else "-"
            flags = ",".join(selectors.flags(foil, today=today, cal=cal)) or "-"
            self.stdout.write(f"{foil.public_id:<22}  {foil.status:<19}  {foil.received_on}  {due:<10}  {flags}")
