"""``cityid matching``: the real-time matcher's upkeep and the analysts' labels.

  matching recheck [--limit N]        check the applications queued while the matcher was down (oldest first)
  matching index                      rebuild this process's candidate index from the encrypted store and say
                                      how many people and cohort keys it holds (a server process builds its own)
  matching labels --out LABELS.csv [--truth TRUTH.csv]
                                      the fraud analysts' decisions as labels (applicants' public ids only):
                                      id_l,id_r,same,decision,kind,score,model_version; --truth also writes the
                                      same-person pairs as id_l,id_r for ``cityid match evaluate --truth``
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

from django.core.management.base import CommandError

from cityid.cli.base import CityidCommand
from cityid.cli.progress import RawHelp
from cityid.matching import selectors, services


class Command(RawHelp, CityidCommand):
    help = __doc__ or ""
    subcommand_actions = {"recheck": "matching.index", "index": "matching.index", "labels": "matching.review"}

    def add_arguments(self, parser: Any) -> None:
        super().add_arguments(parser)
        sub = parser.add_subparsers(dest="subcommand", required=True)
        recheck = sub.add_parser("recheck", help="check the applications queued for checking")
        recheck.add_argument("--limit", type=int, default=1000)
        sub.add_parser("index", help="rebuild the candidate index and report its size")
        labels = sub.add_parser("labels", help="the analysts' decisions as labels")
        labels.add_argument("--out", required=True, type=Path, metavar="LABELS.csv")
        labels.add_argument("--truth", type=Path, default=None, metavar="TRUTH.csv")

    def handle(self, *args: Any, **options: Any) -> None:
        getattr(self, f"_{options['subcommand']}")(options)

    def _recheck(self, options: dict) -> None:
        if options["limit"] < 1:
            raise CommandError("--limit must be at least 1")
        actor = self.actor(options)
        done = services.recheck_queued(actor=actor, limit=options["limit"])
        self.stdout.write(f"{done} queued application(s) checked")

    def _index(self, options: dict) -> None:
        actor = self.actor(options)
        size = services.rebuild_index(actor=actor)
        self.stdout.write(f"{size} people under {len(services.matcher().key_ids())} key(s)")

    def _labels(self, options: dict) -> None:
        actor = self.actor(options)
        rows = selectors.labelled_pairs(actor=actor)
        columns = ["id_l", "id_r", "same", "decision", "kind", "score", "model_version"]
        try:
            with open(options["out"], "w", newline="") as out:
                writer = csv.writer(out)
                writer.writerow(columns)
                for row in rows:
                    writer.writerow([row["left"], row["right"], int(row["same"]), row["decision"], row["kind"],
                                     "" if row["score"] is None else f"{row['score']:.6f}", row["model_version"]])
            if options["truth"] is not None:
                with open(options["truth"], "w", newline="") as out:
                    writer = csv.writer(out)
                    writer.writerow(["id_l", "id_r"])
                    writer.writerows([row["left"], row["right"]] for row in rows if row["same"])
        except OSError as exc:
            raise CommandError(f"cannot write {exc.filename}: {exc.strerror}") from None
        self.stdout.write(f"{len(rows)} labelled pair(s) written")
