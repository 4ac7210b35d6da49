from typing import Any

from django.core.management.base import CommandError
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from cityid.cli.base import CityidCommand
from cityid.enrollment.selectors import files_left_unclean
from cityid.enrollment.services import CLEAN_TASKS, clean_stored_batch, cleanup_remaining
from cityid.vault.services import sweep_orphan_blobs


class Command(CityidCommand):
    help = (
        "Enrollment maintenance: `enrollment clean` puts what was stored before input was cleaned on entry "
        "into its clean form: names and addresses re-sealed in their normal form (and re-indexed), photos and "
        "image scans re-encoded without metadata, PDF scans checked and written anew. Resumable; audited; "
        "host operator only."
    )
    action = "enrollment.clean"

    def add_arguments(self, parser: Any) -> None:
        super().add_arguments(parser)
        sub = parser.add_subparsers(dest="subcommand", required=True)
        clean = sub.add_parser("clean", help="clean stored names, photos and scans (resumable: run it again)")
        clean.add_argument("--only", choices=CLEAN_TASKS, action="append",
                           help="one task (repeatable); default: names, photos, scans")
        clean.add_argument("--batch", type=int, default=50, help="rows per transaction (default 50)")
        clean.add_argument("--limit", type=int, default=None,
                           help="stop after this many rows in all (run again to go on)")
        names = sub.add_parser("reindex-names", help="index the names of applicants stored before the "
                               "typo-tolerant name index (resumable: run it again)")
        names.add_argument("--batch", type=int, default=500, help="applicants per transaction (default 500)")
        names.add_argument("--limit", type=int, default=None, help="stop after this many applicants")

    def handle(self, *args: Any, **options: Any) -> None:
        actor = self.actor(options)
        size, limit = options["batch"], options["limit"]
        if size < 1 or (limit is not None and limit < 1):
            raise CommandError("--batch and --limit must be at least 1")
        if options["subcommand"] == "reindex-names":
            self._reindex_names(actor, size, limit)
            return
        budget = limit
        stopped = False
        for task in options["only"] or CLEAN_TASKS:
            checked = changed = 0
            refused: list[str] = []
            finished = False
            columns = [TextColumn(f"cleaning {task:<6}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn()]
            with Progress(*columns, transient=True, disable=not self.stdout.isatty()) as progress:
                bar = progress.add_task(task, total=cleanup_remaining(task))
                while budget is None or budget > 0:
                    batch = clean_stored_batch(task=task, actor=actor, size=min(size, budget or size))
                    if batch.finished:
                        finished = True
                        break
                    checked, changed = checked + batch.checked, changed + batch.changed
                    refused += batch.refused or []
                    if budget is not None:
                        budget -= batch.checked
                    progress.advance(bar, batch.checked)
            for line in refused:
                self.stderr.write(f"{task}: not cleaned, {line}")
            state = "done" if finished else "stopped, run again to go on"
            self.stdout.write(f"{task}: checked {checked}, cleaned {changed}, not cleaned {len(refused)} ({state})")
            if not finished:
                stopped = True
                break
        removed = sweep_orphan_blobs()
        self.stdout.write(f"removed {removed} superseded blob file(s)")
        if stopped:
            return
        unclean = files_left_unclean()
        if unclean:
            self.stdout.write(f"done; {unclean} stored file(s) could not be cleaned (named when found): "
                              "they are served only as downloads")
        else:
            self.stdout.write("all stored names, photos and scans are clean")

    def _reindex_names(self, actor: Any, size: int, limit: int | None) -> None:
        from cityid.enrollment.reindex import reindex_names_batch, reindex_remaining

        checked = indexed = 0
        finished = False
        columns = [TextColumn("indexing names"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn()]
        with Progress(*columns, transient=True, disable=not self.stdout.isatty()) as progress:
            bar = progress.add_task("names", total=reindex_remaining())
            while limit is None or checked < limit:
                batch = reindex_names_batch(actor=actor, size=min(size, limit - checked) if limit else size)
                if batch.finished:
                    finished = True
                    break
                checked, indexed = checked + batch.checked, indexed + batch.indexed
                progress.advance(bar, batch.checked)
        state = "done" if finished else "stopped, run again to go on"
        self.stdout.write(f"names: checked {checked}, indexed {indexed} ({state})")
