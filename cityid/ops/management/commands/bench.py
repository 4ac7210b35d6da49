import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from cityid.bench.audit import bench_audit
from cityid.bench.cards import bench_cards
from cityid.bench.common import read_result, scratch_environment, scratch_postgres, write_result
from cityid.bench.disposition import bench_disposition
from cityid.bench.enrollment import bench_enrollment
from cityid.bench.foil import bench_foil
from cityid.bench.hold import bench_hold_rewrap
from cityid.bench.matching import bench_matching
from cityid.bench.matching_realtime import bench_matching_realtime
from cityid.bench.pages import bench_pages, pages_table
from cityid.bench.providers import use_key_provider
from cityid.bench.reports import bench_reports
from cityid.bench.softhsm import softhsm_available
from cityid.cli.base import CityidCommand

#: The suites the issues ask for, in the order they run. ``disposition`` and ``hold`` run once per
#: key provider, each provider in its own scratch process (a process loads one SoftHSM config).
SUITES = (
    "enrollment", "disposition", "hold", "audit", "pages", "cards", "matching", "matching-realtime", "foil", "reports",
)
PROVIDER_SUITES = ("disposition", "hold")
PROVIDERS = ("local", "pkcs11")


def _csv(text: str, allowed: tuple[str, ...], option: str) -> list[str]:
    items = [item.strip() for item in text.split(",") if item.strip()]
    unknown = [item for item in items if item not in allowed]
    if unknown or not items:
        raise CommandError(f"{option}: unknown {', '.join(unknown) or '(none)'}; choose from {','.join(allowed)}")
    return [item for item in allowed if item in items]


class Command(CityidCommand):
    help = (
        "Run the benchmark suite on a scratch database: `bench --people N --out FILE.json` "
        "[--suite enrollment,disposition,hold,audit,pages,cards,matching,matching-realtime,foil,reports] "
        "[--records N] [--entries N] [--cards N] [--verifications N] [--pdf-cards N] [--match-records N] "
        "[--batch-records N] [--applicants N] [--queries N] "
        "[--providers local,pkcs11] "
        "[--postgres URL]. Suite pages seeds --people applicants (after --baseline of them) and times every "
        "staff page at both sizes. Suite reports bulk-creates --people coarse applicants and times the "
        "statistics and "
        "the transparency report."
    )

    def add_arguments(self, parser: Any) -> None:
        super().add_arguments(parser)
        parser.add_argument("--people", type=int, default=1000,
                            help="enrollments (suite enrollment); applicants seeded (suite pages); FOIL requests "
                                 "(suite foil)")
        parser.add_argument("--baseline", type=int, default=500,
                            help="applicants at which suite pages first times the pages (default 500)")
        parser.add_argument("--repeats", type=int, default=9, help="timed requests per page (suite pages)")
        parser.add_argument("--out", type=Path, required=True)
        parser.add_argument("--suite", default=",".join(SUITES), help=f"comma-separated, of {','.join(SUITES)}")
        parser.add_argument("--records", type=int, default=100_000,
                            help="records per cohort (suites disposition and hold)")
        parser.add_argument("--entries", type=int, default=1_000_000, help="audit log entries (suite audit)")
        parser.add_argument("--cards", type=int, default=1_000_000,
                            help="cards in the status list built and signed (suite cards)")
        parser.add_argument("--verifications", type=int, default=20_000,
                            help="credential verifications timed, and as many raw ECDSA ones (suite cards)")
        parser.add_argument("--pdf-cards", type=int, default=200,
                            help="cards rendered for the card PDF rate (suite cards)")
        parser.add_argument("--applicants", type=int, default=1_000_000,
                            help="applicants in the candidate index (suite matching-realtime)")
        parser.add_argument("--queries", type=int, default=2_000, help="checks timed (suite matching-realtime)")
        parser.add_argument("--match-records", type=int, default=20_000,
                            help="labelled synthetic records for the accuracy figures (suite matching)")
        parser.add_argument("--batch-records", type=int, default=1_000_000,
                            help="records deduplicated in batch (suite matching; 0 skips the batch figures)")
        parser.add_argument("--providers", default=None,
                            help="key providers for disposition and hold: local,pkcs11 (default: both when "
                                 "softhsm2-util is installed, else local)")
        parser.add_argument("--postgres", metavar="URL", default=None,
                            help="run on a scratch database created on this PostgreSQL server (and dropped "
                                 "afterwards) instead of a scratch SQLite file, e.g. postgres://postgres@127.0.0.1/")
        parser.add_argument("--in-scratch", action="store_true", help=argparse_suppress())
        parser.add_argument("--provider", default=None, help=argparse_suppress())

    def handle(self, *args: Any, **options: Any) -> None:
        suites = _csv(options["suite"], SUITES, "--suite")
        if set(suites) & {"enrollment", "pages", "foil", "reports"} and options["people"] < 10:
            raise CommandError("--people must be at least 10")
        if "pages" in suites and (options["baseline"] < 1 or options["repeats"] < 1):
            raise CommandError("--baseline and --repeats must be at least 1")
        if set(suites) & set(PROVIDER_SUITES) and options["records"] < 10:
            raise CommandError("--records must be at least 10")
        if set(suites) & {"matching", "matching-realtime"} and (options["applicants"] < 10 or options["queries"] < 10):
            raise CommandError("--applicants and --queries must be at least 10")
        if "matching" in suites and (options["match_records"] < 100 or options["batch_records"] < 0):
            raise CommandError("--match-records must be at least 100 and --batch-records not negative")
        if not options["in_scratch"]:
            self._respawn(options, suites)
            return
        provider = options["provider"]
        result: dict[str, Any] = {}
        if provider is not None:  # before anything loads a PKCS#11 library
            result["key_provider_setup"] = use_key_provider(provider, Path(settings.DATA_DIR).parent)
        provider = settings.CITYID_KEY_PROVIDER
        call_command("migrate", verbosity=0)
        result.update({
            "machine": {"cpus": os.cpu_count(), "python": sys.version.split()[0]},
            "database": settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1],
            "key_provider": settings.CITYID_KEY_PROVIDER,
        })
        if "enrollment" in suites:
            with Progress(TextColumn("enrollment"), BarColumn(), MofNCompleteColumn()) as progress:
                task = progress.add_task("enroll", total=options["people"])
                result["enrollment"] = bench_enrollment(options["people"], lambda n: progress.advance(task, n))
        records = options["records"]
        if "disposition" in suites:
            label = f"disposition, {provider}"
            with Progress(TextColumn(label), BarColumn(), MofNCompleteColumn()) as progress:
                task = progress.add_task("disposition", total=4 * records)
                result["disposition"] = bench_disposition(
                    records, progress=lambda n: progress.advance(task, n)
                )
        if "hold" in suites:
            label = f"hold re-wrap, {provider}"
            with Progress(TextColumn(label), BarColumn(), MofNCompleteColumn()) as progress:
                task = progress.add_task("hold", total=2 * records)
                result["hold_rewrap"] = bench_hold_rewrap(records, progress=lambda n: progress.advance(task, n))
        if "audit" in suites:
            with Progress(TextColumn("audit log"), BarColumn(), MofNCompleteColumn()) as progress:
                task = progress.add_task("audit", total=options["entries"])
                result["audit"] = bench_audit(
                    entries=options["entries"], progress=lambda n: progress.advance(task, n)
                )
        if "pages" in suites:
            with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn()) as progress:
                tasks: dict[str, Any] = {}

                def advance(label: str, n: int, total: int) -> None:
                    if label not in tasks:
                        tasks[label] = progress.add_task(label, total=total)
                    progress.advance(tasks[label], n)

                result["pages"] = bench_pages(options["people"], baseline=options["baseline"],
                                              repeats=options["repeats"], progress=advance)
            Console(stderr=True).print(pages_table(result["pages"]))
        if "cards" in suites:
            with Progress(TextColumn("cards: verification"), BarColumn(), MofNCompleteColumn()) as progress:
                task = progress.add_task("cards", total=options["verifications"])
                result["cards"] = bench_cards(cards=options["cards"], verifications=options["verifications"],
                                              pdf_cards=options["pdf_cards"],
                                              progress=lambda n: progress.advance(task, n))
        if "matching" in suites:
            console = Console(stderr=True)
            result["matching"] = bench_matching(
                scratch=Path(settings.DATA_DIR), synthetic=options["match_records"], batch=options["batch_records"],
                progress=lambda text: console.print(f"matching: {text}"),
            )
        if set(suites) & {"matching", "matching-realtime"}:  # the suite matching includes it
            with Progress(TextColumn("matching, real time"), BarColumn(), MofNCompleteColumn()) as progress:
                task = progress.add_task("matching", total=options["applicants"])
                result["matching_realtime"] = bench_matching_realtime(
                    options["applicants"], queries=options["queries"], progress=lambda n: progress.advance(task, n))
        if "foil" in suites:
            with Progress(TextColumn("FOIL requests"), BarColumn(), MofNCompleteColumn()) as progress:
                task = progress.add_task("foil", total=options["people"])
                result["foil"] = bench_foil(options["people"], lambda n: progress.advance(task, n))
        if "reports" in suites:
            with Progress(TextColumn("statistics population"), BarColumn(), MofNCompleteColumn()) as progress:
                task = progress.add_task("reports", total=options["people"])
                result["reports"] = bench_reports(options["people"], repeats=min(options["repeats"], 3),
                                                  progress=lambda n: progress.advance(task, n))
        write_result(options["out"], result)

    def _respawn(self, options: dict, suites: list[str]) -> None:
        """Run each part in a fresh process against its own scratch data and key directories, never
        the live ones: enrollment once, disposition and hold once per key provider."""
        if "DATABASE_URL" in os.environ:
            raise CommandError("unset DATABASE_URL: the benchmark uses its own scratch database")
        notes = []
        if options["providers"] is None:
            providers = list(PROVIDERS) if softhsm_available() else ["local"]
            if "pkcs11" not in providers:
                notes.append("softhsm2-util or libsofthsm2.so not found: disposition and hold ran with the "
                             "local keyring only (apt-get install softhsm2 for the PKCS#11 figures)")
        else:
            providers = _csv(options["providers"], PROVIDERS, "--providers")
            if "pkcs11" in providers and not softhsm_available():
                raise CommandError("--providers pkcs11 needs SoftHSM2 (apt-get install softhsm2)")
        parts: list[tuple[list[str], str | None]] = []
        plain = [suite for suite in suites if suite not in PROVIDER_SUITES]
        if plain:
            parts.append((plain, None))
        provider_suites = [suite for suite in suites if suite in PROVIDER_SUITES]
        if provider_suites:
            parts += [(provider_suites, provider) for provider in providers]

        result: dict[str, Any] = {}
        for part_suites, provider in parts:
            partial = self._run_part(options, part_suites, provider)
            setup = partial.pop("key_provider_setup", None)
            if provider is None:
                result.update(partial)
                continue
            for key in ("machine", "database"):
                result.setdefault(key, partial.pop(key))
            partial.pop("key_provider", None)
            for key in ("disposition", "hold_rewrap"):
                if key in partial:
                    figures = partial[key]
                    if setup and provider == "pkcs11":
                        figures["token"] = {k: setup[k] for k in ("library", "token")}
                    result.setdefault(key, {})[provider] = figures
        if notes:
            result["notes"] = notes
        self.stdout.write(write_result(options["out"], result))

    def _run_part(self, options: dict, suites: list[str], provider: str | None) -> dict[str, Any]:
        with tempfile.TemporaryDirectory(prefix="cityid-bench-") as scratch:
            env = scratch_environment(Path(scratch))
            if options["postgres"]:
                with scratch_postgres(options["postgres"]) as url:
                    env["DATABASE_URL"] = url
                    return self._run_child(options, suites, provider, env, Path(scratch))
            return self._run_child(options, suites, provider, env, Path(scratch))

    def _run_child(
        self, options: dict, suites: list[str], provider: str | None, env: dict[str, str], scratch: Path
    ) -> dict[str, Any]:
        partial = scratch / "result.json"
        command = [sys.executable, "-m", "cityid", "bench", "--in-scratch", "--suite", ",".join(suites),
                   "--people", str(options["people"]), "--records", str(options["records"]),
                   "--entries", str(options["entries"]), "--baseline", str(options["baseline"]),
                   "--repeats", str(options["repeats"]), "--cards", str(options["cards"]),
                   "--verifications", str(options["verifications"]), "--pdf-cards", str(options["pdf_cards"]),
                   "--match-records", str(options["match_records"]),
                   "--batch-records", str(options["batch_records"]), "--applicants", str(options["applicants"]),
                   "--queries", str(options["queries"]), "--out", str(partial)]
        if provider is not None:
            command += ["--provider", provider]
        completed = subprocess.run(command, env=env)
        if completed.returncode != 0:
            raise CommandError(f"benchmark failed ({','.join(suites)}{f', {provider}' if provider else ''})")
        return read_result(partial)


def argparse_suppress() -> str:
    import argparse

    return argparse.SUPPRESS
