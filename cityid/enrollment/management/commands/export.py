from pathlib import Path
from typing import Any

from cityid.cli.base import CityidCommand
from cityid.enrollment.exports import export_subject


class Command(CityidCommand):
    help = "Subject-access export: `export subject ID --out DIR` (ID: applicant id or external_id). Audited."
    action = "subject.export"

    def add_arguments(self, parser: Any) -> None:
        super().add_arguments(parser)
        parser.add_argument("kind", choices=["subject"])
        parser.add_argument("identifier")
        parser.add_argument("--out", type=Path, required=True)

    def handle(self, *args: Any, **options: Any) -> None:
        actor = self.actor(options)
        target = export_subject(identifier=options["identifier"], out_dir=options["out"], actor=actor)
        self.stdout.write(str(target))
