"""``cityid serve``: the production web server (gunicorn), behind a TLS proxy."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

#: Requests each worker process serves at once. The work is mostly waiting on the database and the
#: key provider, so a few threads per process use 2 cores well without a process per request.
DEFAULT_THREADS = 4


def unsafe_reason() -> str | None:
    """Why the current settings must not serve real people, or None."""
    if settings.DEBUG:
        return "CITYID_DEBUG is on (debug pages show settings and tracebacks to anyone); unset it"
    secret = settings.SECRET_KEY or ""
    if not secret or secret.startswith("insecure-"):
        return ("no secret key: set CITYID_SECRET_KEY, or leave it and CITYID_TESTING unset so one is "
                "generated in the keys directory")
    if len(secret) < 50 or len(set(secret)) < 5:
        return "CITYID_SECRET_KEY is too weak: use at least 50 random characters"
    if "*" in settings.ALLOWED_HOSTS:
        return "CITYID_ALLOWED_HOSTS contains '*': name the host names served"
    if settings.EMAIL_BACKEND.endswith(".filebased.EmailBackend"):
        outbox = Path(settings.EMAIL_FILE_PATH).resolve()
        if outbox == settings.DATA_DIR or settings.DATA_DIR in outbox.parents:
            # Each message holds a live enrolment link: a copy of the data directory would sign someone in.
            return ("enrolment emails would be written into the data directory (CITYID_EMAIL_DIR): set "
                    "CITYID_EMAIL_HOST to send them by SMTP")
    return None


class Command(BaseCommand):
    help = "Serve the web application in production (gunicorn), behind a TLS proxy; see README, \"Production\"."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--bind", default="127.0.0.1:8000",
                            help="address:port to listen on (default 127.0.0.1:8000: only the proxy on this "
                                 "host reaches it)")
        parser.add_argument("--workers", type=int, default=os.cpu_count() or 2,
                            help="worker processes (default: one per core)")
        parser.add_argument("--threads", type=int, default=DEFAULT_THREADS,
                            help=f"threads per worker (default {DEFAULT_THREADS})")
        parser.add_argument("--timeout", type=int, default=120,
                            help="seconds a silent worker may take before it is restarted (default 120: "
                                 "enrollments upload scans)")

    def handle(self, *args: Any, **options: Any) -> None:
        problem = unsafe_reason()
        if problem:
            raise CommandError(f"refusing to serve: {problem}")
        for name in ("workers", "threads", "timeout"):
            if options[name] < 1:
                raise CommandError(f"--{name} must be at least 1")

        from django.core.wsgi import get_wsgi_application
        from django.db import connections
        from gunicorn.app.base import BaseApplication

        application = get_wsgi_application()
        connections.close_all()  # each worker opens its own after the fork

        config = {
            "bind": [options["bind"]],
            "workers": options["workers"],
            "threads": options["threads"],
            "worker_class": "gthread",
            "timeout": options["timeout"],
            "graceful_timeout": 30,
            "keepalive": 5,
            # A worker is replaced after about a thousand requests, so a slow leak cannot grow for ever.
            "max_requests": 1000,
            "max_requests_jitter": 100,
            "errorlog": "-",
            "loglevel": "warning",
            "proc_name": "cityid",
        }

        class Server(BaseApplication):
            def load_config(self) -> None:
                for key, value in config.items():
                    self.cfg.set(key, value)

            def load(self) -> Any:
                return application

        if not settings.HTTPS:
            self.stderr.write("warning: CITYID_HTTPS is off: cookies are not Secure and there is no HSTS; "
                              "put a TLS proxy in front and set CITYID_HTTPS=1 (README, \"Production\")")
        self.stdout.write(f"Serving http://{options['bind']}/ with {options['workers']} workers × "
                          f"{options['threads']} threads (SIGTERM stops)")
        self.stdout.flush()
        Server().run()
