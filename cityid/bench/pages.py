"""The pages suite: every staff page type, timed through Django's test client as a person of the role that
uses it (server time: no network, no browser), at a small population and again at a large one.

The population is seeded once, in two steps on the same scratch database: ``baseline`` synthetic people
(500 by default), the pages timed; then more people up to ``people``, the same pages timed again, so each
page's figures at the large size sit beside the same page's at the small one. People are seeded as
``cityid seed`` draws them (same generator, same import path, cards issued with the recorded decisions),
without their document scans and photos: images cost most of the seeding time and no staff page listed
here reads them.

Each page is requested once to warm it, then ``repeats`` times (median and p95 in milliseconds). The read-rate
limits are off in the bench process: the bench's clerk and supervisor read far more than a person would.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from cityid.accounts.policy import roles_for
from cityid.bench.common import load_average, percentile

#: Who requests each page: the role the policy gives an action only that kind of staff has (first if several).
CLERK = roles_for("enrollment.create")[0]
SUPERVISOR = roles_for("enrollment.decide")[0]
RECORDS_OFFICER = roles_for("retention.dispose")[0]
COUNSEL = roles_for("retention.hold")[0]
AUDITOR = roles_for("audit.read")[0]
ADMIN = roles_for("staff.manage")[0]
FRAUD_ANALYST = roles_for("matching.review")[0]
CARD_PRODUCTION = roles_for("cards.produce")[0]
FOIL_OFFICER = roles_for("foil.queue")[0]
SITE = "bench-site"
BASELINE = 500
REPEATS = 9
BATCH = 200
FIGURES = ("status", "median_ms", "p95_ms", "cpu_median_ms", "cpu_p95_ms")


@dataclass(frozen=True)
class PageSpec:
    name: str
    role: str
    path: str
    data: dict[str, str] | None = None  # a POST's body, else a GET


def seed_people(count: int, *, seed: int = 0, progress: Callable[[int], None] | None = None) -> int:
    """Add ``count`` synthetic people after those of ``seed`` already stored (records only, no images);
    returns how many were stored (the rules refuse a few)."""
    from cityid.enrollment.imports import LineInvalid, import_records, record_to_input
    from cityid.enrollment.inputs import EnrollmentInvalid
    from cityid.enrollment.models import Applicant
    from cityid.synthetic import generate_people

    start = Applicant.objects.filter(external_id__startswith=f"SYN-{seed}-").count()
    stored = 0

    def store(records: list[dict]) -> int:
        items = [record_to_input(record, scans=[], photo=None) for record in records]
        try:
            import_records(items, actor=None)
            return len(items)
        except (EnrollmentInvalid, LineInvalid):
            kept = 0
            for item in items:
                try:
                    import_records([item], actor=None)
                    kept += 1
                except (EnrollmentInvalid, LineInvalid):
                    continue
            return kept

    batch: list[dict] = []
    for person in generate_people(count, seed=seed, start=start):
        batch.append(person.record)
        if len(batch) == BATCH:
            stored += store(batch)
            if progress:
                progress(len(batch))
            batch = []
    if batch:
        stored += store(batch)
        if progress:
            progress(len(batch))
    return stored


def _signed_in(user: Any) -> Any:
    """A test client signed in as ``user`` with a confirmed authenticator (as after the real sign-in)."""
    from django.test import Client
    from django_otp import DEVICE_ID_SESSION_KEY

    devices = user.totpdevice_set
    device = devices.filter(confirmed=True).first() or devices.create(name="bench", confirmed=True, sealed_key=b"")
    client = Client()
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client


def _staff(role: str, site: str = "") -> Any:
    from django.contrib.auth import get_user_model

    from cityid.accounts.services import create_staff

    username = f"bench_{role}"
    user = get_user_model().objects.filter(username=username).first()
    if user is None:
        user = create_staff(username=username, role=role).user
        user.site = site
        user.save(update_fields=["site"])
    return user


def _bench_input(index: int) -> Any:
    from cityid.enrollment.inputs import DocumentInput, EnrollmentInput

    return EnrollmentInput(
        given_name="Benchmark", family_name=f"Pagesperson{index}", date_of_birth=date(1985, 6, 15),
        address={"kind": "residential", "line1": "1 Bench St", "line2": "", "city": "Brooklyn",
                 "postcode": "11201", "borough": "brooklyn", "care_of": ""},
        documents=[DocumentInput(type="foreign_passport", number=f"PG{index:08d}", expires=date(2031, 1, 1)),
                   DocumentInput(type="utility_bill", number=f"PU{index:08d}")],
        submitted_on=date(2026, 11, 2), languages=["en"],
    )


def page_specs() -> list[PageSpec]:
    """The staff page types and who requests them, with ids from the current database (created if needed:
    the bench's own staff, one case its clerk enrolled, a card)."""
    from django.urls import reverse

    from cityid.cards.selectors import cards, reveal_numbers
    from cityid.enrollment.models import Application, ApplicationStatus
    from cityid.enrollment.services import enroll

    clerk, supervisor = _staff(CLERK, site=SITE), _staff(SUPERVISOR)
    mine = Application.objects.filter(enrolled_by=clerk, status=ApplicationStatus.SUBMITTED).first()
    if mine is None:
        mine = enroll(data=_bench_input(0), enrolled_by=clerk, require_eligible=False)
    card = cards().order_by("id").first()
    card_number = ""
    if card is not None:  # as a supervisor reads it on the cards page (a logged read)
        [card] = reveal_numbers([card], actor=supervisor)
        card_number = card.number or ""
    waiting = Application.objects.filter(status=ApplicationStatus.SUBMITTED, in_decision_queue=True).order_by(
        "submitted_on", "id").first() or mine
    pages = [
        PageSpec("home", CLERK, reverse("home")),
        PageSpec("enrollment form", CLERK, reverse("enrollment:new")),
        PageSpec("receipt", CLERK, reverse("enrollment:submitted", args=[mine.public_id])),
        PageSpec("my cases", CLERK, reverse("enrollment:my_cases")),
        PageSpec("search page", CLERK, reverse("enrollment:search")),
        PageSpec("search by name (swapped)", CLERK, reverse("enrollment:search"),
                 {"query": "Pagesperson0 benchmark", "date_of_birth": "1985-06-15"}),
        PageSpec("search by name (one typo)", CLERK, reverse("enrollment:search"),
                 {"query": "Benchmark Pagesperzon0", "date_of_birth": "1985-06-15"}),
        PageSpec("search by receipt", CLERK, reverse("enrollment:search"),
                 {"query": mine.receipt.replace("-", "").lower()}),
        PageSpec("purpose page", CLERK, reverse("enrollment:applicant", args=[mine.applicant.public_id])),
        PageSpec("applicant record", CLERK,
                 f"{reverse('enrollment:applicant', args=[mine.applicant.public_id])}?purpose={mine.ref}"),
        PageSpec("decision queue", SUPERVISOR, reverse("enrollment:queue")),
        PageSpec("review", SUPERVISOR, reverse("enrollment:review", args=[waiting.public_id])),
        PageSpec("read alerts", SUPERVISOR, reverse("enrollment:read_alerts")),
        PageSpec("cards", SUPERVISOR, reverse("cards:list")),
        PageSpec("schedules", RECORDS_OFFICER, reverse("retention:schedules")),
        PageSpec("disposition preview", RECORDS_OFFICER, reverse("retention:preview")),
        PageSpec("disposition requests", RECORDS_OFFICER, reverse("retention:requests")),
        PageSpec("certificates", RECORDS_OFFICER, reverse("retention:certificates")),
        PageSpec("holds", COUNSEL, reverse("retention:holds")),
        PageSpec("audit events", AUDITOR, reverse("audit:events")),
        PageSpec("staff", ADMIN, reverse("accounts:staff_list")),
        PageSpec("partner keys", ADMIN, reverse("accounts:partner_keys")),
        PageSpec("duplicate alerts", FRAUD_ANALYST, reverse("matching:alerts")),
        PageSpec("print batches", CARD_PRODUCTION, reverse("cards:batches")),
        PageSpec("FOIL queue", FOIL_OFFICER, reverse("disclosure:foil_queue")),
        PageSpec("law-enforcement requests", COUNSEL, reverse("law_enforcement:list")),
        PageSpec("statistics dashboard", CLERK, reverse("reports:dashboard")),
    ]
    if card is not None:
        pages.insert(pages.index(next(p for p in pages if p.name == "cards")) + 1,
                     PageSpec("card", SUPERVISOR, reverse("cards:card", args=[card.pk])))
    if card_number:
        spaced = " ".join(card_number[i : i + 4] for i in range(0, 16, 4))
        pages.insert(8, PageSpec("search by card number", CLERK, reverse("enrollment:search"), {"query": spaced}))
    return pages


def time_pages(pages: list[PageSpec], *, repeats: int = REPEATS,
               progress: Callable[[int], None] | None = None) -> dict[str, dict[str, Any]]:
    """Each page requested once to warm, then ``repeats`` times: status, median and p95 in milliseconds, of the
    wall clock and of this thread's CPU time. The test client runs the view in this thread, so the CPU time is the
    server's own work without the waits a loaded machine adds (and, on PostgreSQL, without the database server's
    work, which runs in its own process): on a shared machine it tells a slow page from a busy host."""
    from django.test.utils import override_settings

    clients: dict[str, Any] = {}
    out: dict[str, dict[str, Any]] = {}
    with override_settings(CITYID_READ_LIMIT_PER_HOUR=0, CITYID_READ_LIMIT_PER_DAY=0,
                           CITYID_READ_ALERT_PER_HOUR=0, CITYID_READ_ALERT_PER_DAY=0):
        for page in pages:
            if page.role not in clients:
                clients[page.role] = _signed_in(_staff(page.role, site=SITE if page.role == CLERK else ""))
            client = clients[page.role]

            def request(client: Any = client, page: PageSpec = page) -> Any:
                if page.data is None:
                    return client.get(page.path)
                return client.post(page.path, page.data)

            status = request().status_code
            timings, cpu = [], []
            for _ in range(repeats):
                started, started_cpu = time.perf_counter(), time.thread_time()
                response = request()
                timings.append((time.perf_counter() - started) * 1000)
                cpu.append((time.thread_time() - started_cpu) * 1000)
                status = response.status_code
            out[page.name] = {"role": page.role, "status": status,
                              "median_ms": round(statistics.median(timings), 1),
                              "p95_ms": round(percentile(timings, 0.95), 1),
                              "cpu_median_ms": round(statistics.median(cpu), 1),
                              "cpu_p95_ms": round(percentile(cpu, 0.95), 1)}
            if progress:
                progress(1)
    return out


def bench_pages(people: int, *, baseline: int = BASELINE, repeats: int = REPEATS,
                progress: Callable[[str, int, int], None] | None = None) -> dict[str, Any]:
    """Seed ``baseline`` people, time every page; seed up to ``people``, time every page again."""
    from cityid.enrollment.models import Applicant

    baseline = min(baseline, people)

    def step(label: str, total: int) -> Callable[[int], None] | None:
        if progress is None:
            return None
        progress(label, 0, total)
        return lambda n: progress(label, n, total)

    started = time.perf_counter()
    seed_people(baseline, progress=step(f"seeding {baseline}", baseline))
    seeded_small = time.perf_counter() - started
    pages = page_specs()
    small = time_pages(pages, repeats=repeats, progress=step(f"pages at {baseline}", len(pages)))
    small_count = Applicant.objects.count()
    started = time.perf_counter()
    if people > baseline:
        seed_people(people - baseline, progress=step(f"seeding {people}", people - baseline))
    seeded_large = time.perf_counter() - started
    large = time_pages(pages, repeats=repeats, progress=step(f"pages at {people}", len(pages)))
    return {
        "people": people,
        "baseline_people": baseline,
        "applicants": {"baseline": small_count, "large": Applicant.objects.count()},
        "repeats": repeats,
        "load_average": load_average(),
        "seeding_seconds": {"baseline": round(seeded_small, 1), "large": round(seeded_large, 1)},
        "pages": {
            name: {"role": figures["role"], "baseline": {k: small[name][k] for k in FIGURES},
                   "large": {k: figures[k] for k in FIGURES}}
            for name, figures in large.items()
        },
    }


def pages_table(result: dict[str, Any]) -> Any:
    """The suite's figures as a rich table: each page at the baseline and at the large population."""
    from rich.table import Table

    table = Table(title=f"staff pages: server time (ms), median / p95 of {result['repeats']} "
                        f"(load average {result['load_average']})")
    table.add_column("page")
    table.add_column("role")
    table.add_column(f"{result['baseline_people']} people", justify="right")
    table.add_column(f"{result['people']} people", justify="right")
    table.add_column(f"{result['people']} people, CPU", justify="right")
    for name, figures in result["pages"].items():
        small, large = figures["baseline"], figures["large"]
        slow = large["median_ms"] >= 100 or large["p95_ms"] >= 200
        cpu_slow = large["cpu_median_ms"] >= 100 or large["cpu_p95_ms"] >= 200
        wall = f"{large['median_ms']} / {large['p95_ms']}"
        cpu = f"{large['cpu_median_ms']} / {large['cpu_p95_ms']}"
        table.add_row(name, figures["role"], f"{small['median_ms']} / {small['p95_ms']}",
                      f"[red]{wall}[/red]" if slow else wall, f"[red]{cpu}[/red]" if cpu_slow else cpu)
    return table
