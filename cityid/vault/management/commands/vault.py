from typing import Any

from cityid.cli.base import CityidCommand
from cityid.vault.selectors import cohort_sizes
from cityid.vault.services import sweep_orphan_blobs


class Command(CityidCommand):
    help = "Vault maintenance: `vault sweep` (remove blob files a crash left behind), `vault cohorts`."

    def add_arguments(self, parser: Any) -> None:
        super().add_arguments(parser)
        sub = parser.add_subparsers(dest="subcommand", required=True)
        sweep = sub.add_parser("sweep", help="remove orphan blob files older than --minutes")
        sweep.add_argument("--minutes", type=float, default=60)
        sub.add_parser("cohorts", help="records per retention cohort")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["subcommand"] == "sweep":
            removed = sweep_orphan_blobs(older_than_seconds=options["minutes"] * 60)
            self.stdout.write(f"removed {removed} orphan blob file(s)")
        else:
            for row in cohort_sizes():
                self.stdout.write(f"{row['cohort']:<24} {row['records']:>8}")
