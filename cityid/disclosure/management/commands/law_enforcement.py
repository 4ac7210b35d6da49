"""``cityid law_enforcement``: law-enforcement requests for operators (lists and the published counts)."""

from __future__ import annotations

import json
from typing import Any

from rich.table import Table

from cityid.cli.base import CityidCommand
from cityid.cli.progress import RawHelp, parse_date, render
from cityid.disclosure import law_enforcement_selectors as selectors
from cityid.disclosure.selectors import law_enforcement_counts

HELP = """Law-enforcement requests: logged on receipt, decided by counsel, produced only as ordered.

  law_enforcement list [--status open|decided|closed|all]
                    requests (number, received, kind of agency, process, status): no sealed detail
  law_enforcement counts --from YYYY-MM-DD --to YYYY-MM-DD [--json]
                    requests received in the period by kind of agency, legal process and outcome
                    (what the transparency report publishes: aggregates only)
"""


class Command(RawHelp, CityidCommand):
    help = HELP
    subcommand_actions = {"list": "law_enforcement.read", "counts": None}

    def add_arguments(self, parser: Any) -> None:
        super().add_arguments(parser)
        sub = parser.add_subparsers(dest="subcommand", required=True)
        listing = sub.add_parser("list", help="the requests, without their sealed details")
        listing.add_argument("--status", choices=list(selectors.FILTERS), default="open")
        counts = sub.add_parser("counts", help="counts by kind of agency, legal process and outcome")
        counts.add_argument("--from", dest="start", required=True, help="YYYY-MM-DD, included")
        counts.add_argument("--to", dest="end", required=True, help="YYYY-MM-DD, included")
        counts.add_argument("--json", action="store_true", help="the counts as JSON")

    def handle(self, *args: Any, **options: Any) -> None:
        actor = self.actor(options)
        if options["subcommand"] == "list":
            table = Table("request", "received", "agency type", "process", "status", "items produced")
            for found in selectors.requests_for(actor=actor, status=options["status"]):
                table.add_row(found.number, found.received_on.isoformat(), found.agency_type, found.legal_process,
                              found.status, str(found.produced_count))
            self.stdout.write(render(table))
            return
        start, end = parse_date(options["start"], "--from"), parse_date(options["end"], "--to")
        counts = law_enforcement_counts(start=start, end=end)
        if options["json"]:
            self.stdout.write(json.dumps(counts, indent=2, sort_keys=True))
            return
        table = Table("", "requests")
        table.add_row("total", str(counts["total"]))
        for group in ("by_agency_type", "by_legal_process", "by_outcome"):
            for code, n in counts[group].items():
                table.add_row(f"{group[3:]}: {code}", str(n))
        table.add_row("items produced", str(counts["items_produced"]))
        table.add_row("notices given", str(counts["notices_given"]))
        self.stdout.write(render(table))
