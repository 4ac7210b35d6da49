import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from cityid.ops.base import CityidCommand


class Command(CityidCommand):
    help = "Run the benchmark suite on a scratch database: `bench --people N --out FILE.json`."

    def add_arguments(self, parser: Any) -> None:
        super().add_arguments(parser)
        parser.add_argument("--people", type=int, default=1000)
        parser.add_argument("--out", type=Path, required=True)
        parser.add_argument("--in-scratch", action="store_true", help=argparse_suppress())

    def handle(self, *args: Any, **options: Any) -> None:
        if options["people"] < 10:
            raise CommandError("--people must be at least 10")
        if not options["in_scratch"]:
            self._respawn(options)
            return
        from cityid.ops.bench import bench_enrollment

        call_command("migrate", verbosity=0)
        with Progress(TextColumn("enrollment"), BarColumn(), MofNCompleteColumn()) as progress:
            task = progress.add_task("enroll", total=options["people"])
            enrollment = bench_enrollment(options["people"], lambda n: progress.advance(task, n))
        result = {
            "machine": {"cpus": os.cpu_count(), "python": sys.version.split()[0]},
            "database": settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1],
            "key_provider": settings.CITYID_KEY_PROVIDER,
            "enrollment": enrollment,
        }
        options["out"].write_text(json.dumps(result, indent=2))
        self.stdout.write(json.dumps(result, indent=2))

    def _respawn(self, options: dict) -> None:
        """Run in a fresh process against scratch data and key directories, never the live ones."""
        with tempfile.TemporaryDirectory(prefix="cityid-bench-") as scratch:
            env = dict(os.environ)
            env.update(
                CITYID_DATA_DIR=str(Path(scratch) / "data"),
                CITYID_KEYS_DIR=str(Path(scratch) / "keys"),
                CITYID_DOCUMENT_COPIES="keep",
                CITYID_SECRET_KEY="bench-only",
            )
            Path(env["CITYID_DATA_DIR"]).mkdir()
            if "DATABASE_URL" in env:
                raise CommandError("unset DATABASE_URL: the benchmark uses its own scratch database")
            command = [sys.executable, "-m", "cityid", "bench", "--in-scratch",
                       "--people", str(options["people"]), "--out", str(options["out"].resolve())]
            completed = subprocess.run(command, env=env)
            if completed.returncode != 0:
                raise CommandError("benchmark failed")


def argparse_suppress() -> str:
    import argparse

    return argparse.SUPPRESS
