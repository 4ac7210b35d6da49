"""The entry point: :func:`generate_people`, one person at a time or in a pool of processes.

Person ``i`` of seed ``s`` is a pure function of ``(s, i, as_of)``: its own ``random.Random`` is
seeded from a BLAKE2 hash of ``(s, i)``; nothing depends on process state, hash randomisation or
the order of generation. ``generate_people(n, start=k)`` therefore yields exactly people
``k .. k+n-1`` of the single run, so a seeder can work in chunks or in several processes.

Roughly 400–500 people a second per core with all images (two scans and a photo on average,
~70 KB), ~5,000 a second for records alone. ``generate_people(..., workers=N)`` draws them in N
spawned processes, in order and with bounded memory.
"""

from __future__ import annotations

import multiprocessing
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property, lru_cache

from cityid.enrollment import eligibility
from cityid.synthetic.applicants import PROGRAM_START, ImageSpec, base_person
from cityid.synthetic.documents import scan_lines
from cityid.synthetic.duplicates import is_duplicate, near_duplicate
from cityid.synthetic.images import portrait, scan_image

DEFAULT_AS_OF = date(2026, 11, 1)


@lru_cache(maxsize=8)
def _rules(path: str) -> eligibility.Rules:
    return eligibility.load_rules(path)


def _person(seed: int, index: int, as_of: date, rules: eligibility.Rules) -> SyntheticPerson:
    if is_duplicate(seed, index):
        record, spec = near_duplicate(seed, index, as_of, rules)
    else:
        record, spec, _ = base_person(seed, index, as_of, rules)
    return SyntheticPerson(record=record, _spec=spec)


@dataclass(eq=False)
class SyntheticPerson:
    """One applicant: an import ``record`` plus the images its documents and photo stand for.

    ``scans`` (one JPEG per entry of ``record["documents"]``, same order) and ``photo`` are drawn
    on first access and cached.
    """

    record: dict
    _spec: ImageSpec = field(repr=False)

    @cached_property
    def scans(self) -> list[bytes]:
        return [
            scan_image(scan_lines(self.record, doc, self._spec.name), seed=seed)
            for doc, seed in zip(self.record["documents"], self._spec.scan_seeds, strict=True)
        ]

    @cached_property
    def photo(self) -> bytes:
        return portrait(self._spec.face_seed, self._spec.shot_seed)

    @property
    def duplicate_of(self) -> str | None:
        return self.record.get("_duplicate_of")


def generate_people(
    count: int,
    *,
    seed: int = 0,
    start: int = 0,
    as_of: date = DEFAULT_AS_OF,
    rules_path: str | None = None,
    workers: int = 0,
    chunk_size: int = 50,
) -> Iterator[SyntheticPerson]:
    """People ``start .. start+count-1`` of population ``seed``, applications submitted up to ``as_of``.

    The same arguments always give the same records and image bytes, and any split of an index range
    into chunks gives the same people as one run. ``rules_path`` picks another city's rules file for
    scoring eligibility (default: the shipped IDNYC rules).

    ``workers > 0`` draws people *and their images* in that many separate processes (spawned, so
    nothing of the caller — Django, database connections — is inherited) and yields them in order,
    with at most ``2 * workers`` chunks in flight; the output is identical to ``workers=0``.
    """
    if count < 0 or start < 0:
        raise ValueError("count and start must not be negative")
    if as_of <= PROGRAM_START:
        raise ValueError(f"as_of must be after the program start {PROGRAM_START.isoformat()}")
    if workers > 0:
        yield from _generate_parallel(count, seed, start, as_of, rules_path, workers, max(1, chunk_size))
        return
    rules = _rules(str(rules_path or eligibility.DEFAULT_RULES_PATH))
    for index in range(start, start + count):
        yield _person(seed, index, as_of, rules)


def _render_chunk(seed: int, start: int, count: int, as_of: date, rules_path: str | None) -> list[SyntheticPerson]:
    people = list(generate_people(count, seed=seed, start=start, as_of=as_of, rules_path=rules_path))
    for person in people:
        person.scans  # noqa: B018 - drawn here, in the worker, and cached on the object
        person.photo  # noqa: B018
    return people


def _generate_parallel(count: int, seed: int, start: int, as_of: date, rules_path: str | None, workers: int,
                       chunk_size: int) -> Iterator[SyntheticPerson]:  # fmt: skip
    chunks = ((s, min(chunk_size, start + count - s)) for s in range(start, start + count, chunk_size))
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        pending: deque[Future] = deque()
        try:
            for chunk_start, chunk_count in chunks:
                pending.append(pool.submit(_render_chunk, seed, chunk_start, chunk_count, as_of, rules_path))
                if len(pending) >= 2 * workers:
                    yield from pending.popleft().result()
            while pending:
                yield from pending.popleft().result()
        finally:
            for future in pending:
                future.cancel()
