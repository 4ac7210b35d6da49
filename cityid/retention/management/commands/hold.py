from typing import Any

from django.core.management.base import CommandError
from rich.table import Table

from cityid.cli.base import CityidCommand
from cityid.cli.progress import RawHelp, parse_date, progress_bar, render
from cityid.core.actors import Actor
from cityid.retention import selectors, services
from cityid.retention.models import HeldRecord, LegalHold
from cityid.retention.scope import ScopeInvalid

HELP = """Legal holds: a hold beats every retention schedule until counsel releases it.

  hold place --case NAME --court COURT --scope SCOPE [--index-number N] [--order-date YYYY-MM-DD] [--notes T]
                    SCOPE is a comma-separated conjunction of: all, class:NAME, submitted:FROM..TO, subject:ID
                    prints the new hold's id alone on the last line
  hold release ID   return the hold's records to their cohorts (or to another hold covering them)
  hold list [--active | --released]
"""

ACTIONS = {"place": "retention.hold", "release": "retention.hold", "list": "retention.read"}


class Command(RawHelp, CityidCommand):
    help = HELP
    subcommand_actions = ACTIONS

    def add_arguments(self, parser: Any) -> None:
        super().add_arguments(parser)
        sub = parser.add_subparsers(dest="subcommand", required=True)
        place = sub.add_parser("place", help="place a legal hold; prints its id on the last line")
        place.add_argument("--case", dest="case_name", required=True, help="the case name")
        place.add_argument("--court", required=True)
        place.add_argument("--scope", required=True,
                           help="comma-separated conjunction of all, class:NAME, submitted:FROM..TO, subject:ID")
        place.add_argument("--index-number", dest="index_number", default="")
        place.add_argument("--order-date", dest="order_date", help="YYYY-MM-DD")
        place.add_argument("--notes", default="")
        release = sub.add_parser("release", help="release a hold")
        release.add_argument("hold_id", metavar="ID")
        listing = sub.add_parser("list", help="every hold with the records it holds")
        which = listing.add_mutually_exclusive_group()
        which.add_argument("--active", action="store_true", help="only holds not released")
        which.add_argument("--released", action="store_true", help="only released holds")

    def handle(self, *args: Any, **options: Any) -> None:
        actor = self.actor(options)
        try:
            getattr(self, "_" + options["subcommand"])(options, actor)
        except ScopeInvalid as exc:
            raise CommandError(f"invalid scope: {exc}") from None
        except services.RetentionError as exc:
            raise CommandError(str(exc)) from None

    def _place(self, options: dict, actor: Actor | None) -> None:
        order_date = parse_date(options["order_date"], "--order-date") if options["order_date"] else None
        records = services.scope_query(options["scope"]).count()  # validates the scope first
        with progress_bar("re-wrapping under the hold", records) as advance:
            hold = services.place_hold(
                case_name=options["case_name"], court=options["court"], scope=options["scope"], placed_by=actor,
                index_number=options["index_number"], order_date=order_date, notes=options["notes"],
                progress=advance,
            )
        held = HeldRecord.objects.filter(hold=hold).count()
        self.stdout.write(f"hold {hold.pk} placed: {hold.case_name} ({hold.court}), scope {hold.scope_outline}; "
                          f"{held} record(s) held")
        self.stdout.write(str(hold.pk))

    def _release(self, options: dict, actor: Actor | None) -> None:
        try:
            hold_id = int(options["hold_id"])
        except ValueError:
            raise CommandError(f"{options['hold_id']!r} is not a hold id (a number; see `hold list`)") from None
        hold = LegalHold.objects.filter(pk=hold_id).first()
        if hold is None:
            raise CommandError(f"no hold {hold_id}")
        was_active = hold.active
        records = HeldRecord.objects.filter(hold=hold).count()
        with progress_bar("returning records", records) as advance:
            hold = services.release_hold(hold_id=hold_id, released_by=actor, progress=advance)
        if was_active:
            self.stdout.write(f"hold {hold.pk} released: {records} record(s) returned to their cohorts "
                              "or to another hold covering them")
        else:
            self.stdout.write(f"hold {hold.pk} was already released on {hold.released_at.date().isoformat()}"
                              + (f"; {records} remaining record(s) returned" if records else ""))

    def _list(self, options: dict, actor: Actor | None) -> None:
        status = "active" if options["active"] else "released" if options["released"] else "all"
        rows = selectors.holds(status)
        if not rows.exists():
            self.stdout.write("no holds" if status == "all" else f"no {status} holds")
            return
        table = Table()
        for column in ("id", "case", "court", "index", "scope", "placed", "released", "records held"):
            table.add_column(column, justify="right" if column in {"id", "records held"} else "left")
        for hold in selectors.reveal_details(rows, actor=actor):  # case details for counsel only
            table.add_row(
                str(hold.pk), hold.case_name or "(sealed)", hold.court, hold.index_number or "",
                hold.scope or hold.scope_outline,
                hold.placed_at.date().isoformat(),
                hold.released_at.date().isoformat() if hold.released_at else "-",
                str(hold.records_held),
            )
        self.stdout.write(render(table, width=200), ending="")
