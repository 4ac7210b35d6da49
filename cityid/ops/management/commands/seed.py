import collections
import multiprocessing
from collections.abc import Iterator
from typing import Any

from django.core.management.base import CommandError
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from cityid.cli.base import CityidCommand
from cityid.enrollment.imports import LineInvalid, import_records, record_to_input
from cityid.enrollment.inputs import EnrollmentInvalid, clean_file
from cityid.enrollment.models import Applicant
from cityid.enrollment.uploads import PHOTO, SCAN, CleanBytes
from cityid.synthetic import generate_people

BATCH = 100


def _generate(job: tuple[int, int, int]) -> list[tuple[dict, list[bytes], bytes]]:
    """A batch of synthetic people, their images already cleaned as every upload is: here, in the
    generator process, rather than in the one that stores them (a third of the seeding time)."""
    seed, start, count = job

    def clean(data: bytes | None, kind: str) -> bytes | None:
        return None if data is None else CleanBytes(clean_file(data, kind).data)

    return [(p.record, [clean(scan, SCAN) for scan in p.scans], clean(p.photo, PHOTO))
            for p in generate_people(count, seed=seed, start=start)]


def _people_in_batches(count: int, seed: int, start: int) -> Iterator[list[tuple[dict, list[bytes], bytes]]]:
    """Batches of synthetic people, drawn in a second process while this one writes (two cores)."""
    jobs = [(seed, first, min(BATCH, start + count - first)) for first in range(start, start + count, BATCH)]
    context = multiprocessing.get_context("fork")
    with context.Pool(1) as pool:
        window: collections.deque = collections.deque()
        for job in jobs:
            window.append(pool.apply_async(_generate, (job,)))
            if len(window) > 2:  # bounded read-ahead: images are held in memory
                yield window.popleft().get()
        while window:
            yield window.popleft().get()


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
            for batch in _people_in_batches(count, seed, start):
                items = [record_to_input(record, scans=scans, photo=photo) for record, scans, photo in batch]
                known = set(
                    Applicant.objects.filter(external_id__in=[d.external_id for d, _ in items]).values_list(
                        "external_id", flat=True
                    )
                )
                fresh = [(data, block) for data, block in items if data.external_id not in known]
                try:
                    import_records(fresh, actor=actor)
                except (EnrollmentInvalid, LineInvalid):
                    # A synthetic person the rules refuse: store the batch one by one, skipping them.
                    for data, block in fresh:
                        try:
                            import_records([(data, block)], actor=actor)
                        except (EnrollmentInvalid, LineInvalid):
                            known.add(data.external_id)
                skipped += len(known)
                added += len(items) - len(known)
                progress.advance(task, len(batch))
        self.stdout.write(f"seeded {added} synthetic applicants ({skipped} skipped)")
