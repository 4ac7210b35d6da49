from typing import Any

from django.core.management.base import CommandError
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from cityid.enrollment.imports import import_record, record_to_input
from cityid.enrollment.inputs import EnrollmentInvalid
from cityid.enrollment.models import Applicant
from cityid.enrollment.synthetic import generate_people
from cityid.ops.base import CityidCommand


class Command(CityidCommand):
    help = "Add N synthetic applicants with documents, photos and cards: `seed --people N [--seed S]`."
    action = "enrollment.seed"

    def add_arguments(self, parser: Any) -> None:
        super().add_arguments(parser)
        parser.add_argument("--people", type=int, required=True)
        parser.add_argument("--seed", type=int, default=0)
        parser.add_argument("--start", type=int, default=None, help="first person index (default: continue)")

    def handle(self, *args: Any, **options: Any) -> None:
        actor = self.actor(options)
        count, seed = options["people"], options["seed"]
        if count < 1:
            raise CommandError("--people must be at least 1")
        start = options["start"]
        if start is None:  # continue after the people of this seed already present
            start = Applicant.objects.filter(external_id__startswith=f"SYN-{seed}-").count()
        added = skipped = 0
        columns = [TextColumn("seeding"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn()]
        with Progress(*columns, disable=options["verbosity"] < 1) as progress:
            task = progress.add_task("seed", total=count)
            for person in generate_people(count, seed=seed, start=start):
                try:
                    data, block = record_to_input(person.record, scans=person.scans, photo=person.photo)
                    if not Applicant.objects.filter(external_id=data.external_id).exists():
                        import_record(data, block, actor=actor)
                        added += 1
                    else:
                        skipped += 1
                except EnrollmentInvalid:
                    skipped += 1
                progress.advance(task)
        self.stdout.write(f"seeded {added} synthetic applicants ({skipped} skipped)")
