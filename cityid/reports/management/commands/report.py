import json
from datetime import date
from pathlib import Path
from typing import Any

from django.core.management.base import CommandError
from django.utils import timezone

from cityid.cli.base import CityidCommand
from cityid.cli.progress import RawHelp
from cityid.core.files import PUBLIC, write_file
from cityid.reports import selectors, services
from cityid.reports.models import ReleaseMode
from cityid.reports.periods import PeriodInvalid, end_of_last_month
from cityid.reports.views import stats_json_data
from cityid.ui.labels import label

DIMENSIONS = selectors.TABLES

HELP = f"""Public statistics and the transparency report.

  report stats --by DIMENSION [--json]
        what the public dashboard shows (the latest release) for one table: {', '.join(DIMENSIONS)}
  report publish [--start YYYY-MM-DD] [--end YYYY-MM-DD] [--mode suppressed|private] [--epsilon E]
        a new release of every table (default: from 1 January to the end of last month; mode suppressed:
        exact counts, small cells suppressed against every earlier release; mode private: OpenDP noise,
        spending E of the privacy-loss budget)
  report budget [--set E]      the privacy-loss budget of the private releases (setting it: the host operator)
  report transparency --quarter 2026Q4 --out FILE [--format pdf|json]
        the quarter's transparency report (law-enforcement and FOIL requests, counts only)
"""


def _date(text: str | None, default: date) -> date:
    if not text:
        return default
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise PeriodInvalid("bad_date", value=text[:20]) from None


class Command(RawHelp, CityidCommand):
    help = HELP
    subcommand_actions = {"stats": None, "publish": "reports.publish", "budget": None, "transparency": None}

    def add_arguments(self, parser: Any) -> None:
        super().add_arguments(parser)
        sub = parser.add_subparsers(dest="subcommand", required=True)
        stats = sub.add_parser("stats", help="one table of the latest release, as the dashboard shows it")
        stats.add_argument("--by", required=True, metavar="DIMENSION", help=", ".join(DIMENSIONS))
        stats.add_argument("--json", action="store_true", help="print JSON (the dashboard's JSON file)")
        publish = sub.add_parser("publish", help="publish a new release of the statistics")
        publish.add_argument("--start", help="first day (default: 1 January of the end's year)")
        publish.add_argument("--end", help="last day (default: the end of last month)")
        publish.add_argument("--mode", default=ReleaseMode.SUPPRESSED, help="suppressed (default) or private")
        publish.add_argument("--epsilon", type=float, default=None, help="privacy loss of a private release")
        budget = sub.add_parser("budget", help="the privacy-loss budget")
        budget.add_argument("--set", type=float, default=None, dest="set_epsilon", metavar="E")
        report = sub.add_parser("transparency", help="the quarterly transparency report")
        report.add_argument("--quarter", required=True, help="e.g. 2026Q4")
        report.add_argument("--out", required=True, type=Path, help="the file to write")
        report.add_argument("--format", default=None, help="pdf (default) or json; default from the file name")

    def handle(self, *args: Any, **options: Any) -> None:
        getattr(self, f"_{options['subcommand']}")(options)

    def _stats(self, options: dict) -> None:
        dimension = options["by"]
        if dimension not in DIMENSIONS:
            raise PeriodInvalid("bad_dimension", value=dimension[:20], dimensions=", ".join(DIMENSIONS))
        published = selectors.published()
        if published is None:
            raise services.ReleaseRefused("nothing_published")
        if options["json"]:
            self.stdout.write(json.dumps(stats_json_data(published, dimension), indent=2, ensure_ascii=False))
            return
        release, table = published.release, published.tables[dimension]
        rows = selectors.table_rows(table, label)
        self.stdout.write(f"{label('stats_dimension', dimension)}, {release.start} to {release.end} "
                          f"({release.mode}, release {release.public_id})")
        width = max([len(str(row["label"])) for row in rows] + [5])
        for row in rows:
            value = "suppressed" if row["count"] is None else f"{row['count']:,}"
            self.stdout.write(f"  {row['label']:<{width}}  {value:>12}")
        total = "withheld" if table.total is None else f"{table.total:,}"
        self.stdout.write(f"  {'Total':<{width}}  {total:>12}")
        if dimension == "decision":
            rate = "suppressed" if published.denial_rate is None else f"{published.denial_rate:.1%}"
            self.stdout.write(f"  denial rate: {rate}")

    def _publish(self, options: dict) -> None:
        actor = self.actor(options)
        end = _date(options["end"], end_of_last_month(timezone.localdate()))
        start = _date(options["start"], date(end.year, 1, 1))
        release = services.publish_release(start=start, end=end, mode=options["mode"], epsilon=options["epsilon"],
                                           actor=actor)
        published = selectors.published(release)
        assert published is not None
        hidden = sum(table.suppressed for table in published.tables.values())
        extra = (f"epsilon {release.epsilon:g}" if release.mode == ReleaseMode.PRIVATE
                 else f"{hidden} cells suppressed (threshold {release.threshold})")
        self.stdout.write(f"release {release.public_id}: {start} to {end}, {release.mode}, {extra}")

    def _budget(self, options: dict) -> None:
        if options["set_epsilon"] is not None:
            self.subcommand_actions = {**self.subcommand_actions, "budget": "reports.budget"}
            held = services.set_budget(epsilon=options["set_epsilon"], actor=self.actor(options))
        else:
            held = services.budget()
        self.stdout.write(f"privacy-loss budget: epsilon {held.spent:g} spent of {held.epsilon:g} "
                          f"({held.remaining:g} left)")

    def _transparency(self, options: dict) -> None:
        from cityid.reports.transparency import pdf_bytes

        report = selectors.transparency_report(options["quarter"])
        out: Path = options["out"]
        kind = options["format"] or ("json" if out.suffix.lower() == ".json" else "pdf")
        if kind not in ("pdf", "json"):
            raise CommandError(f"--format {kind!r}: choose pdf or json")
        if kind == "json":
            data = {"quarter": report.quarter, "start": report.start.isoformat(), "end": report.end.isoformat(),
                    "law_enforcement": report.law_enforcement, "foil": report.foil}
            payload = json.dumps(data, indent=2).encode()
        else:
            payload = pdf_bytes(report)
        if not out.parent.is_dir():
            raise CommandError(f"--out: no such directory: {out.parent}")
        write_file(out, payload, mode=PUBLIC)
        self.stdout.write(f"transparency report {report.quarter} ({report.start} to {report.end}) written to {out}")
