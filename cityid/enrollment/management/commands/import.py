from pathlib import Path
from typing import Any

from django.core.management.base import CommandError
from rich.progress import Progress

from cityid.cli.base import CityidCommand
from cityid.enrollment.imports import import_lines


class Command(CityidCommand):
    help = "Import an existing program's records: `import applicants FILE.jsonl` (one JSON object a line)."
    action = "enrollment.import"

    def add_arguments(self, parser: Any) -> None:
        super().add_arguments(parser)
        parser.add_argument("kind", choices=["applicants"])
        parser.add_argument("file", type=Path)

    def handle(self, *args: Any, **options: Any) -> None:
        actor = self.actor(options)
        path: Path = options["file"]
        if not path.is_file():
            raise CommandError(f"{path}: no such file")
        with path.open(encoding="utf-8") as fh:
            lines = fh.readlines()
        with Progress(transient=True, disable=not self.stdout.isatty()) as progress:
            task = progress.add_task("importing", total=len(lines))
            summary = import_lines(
                lines, actor=actor, base_dir=path.parent, on_line=lambda n, outcome: progress.advance(task)
            )
        for number, reason in summary.rejected:
            self.stderr.write(f"line {number}: {reason}")
        self.stdout.write(
            f"imported {summary.imported}, skipped {summary.skipped}, rejected {len(summary.rejected)}"
        )
        if summary.rejected:
            raise CommandError(f"{len(summary.rejected)} line(s) rejected; nothing of them was stored")
