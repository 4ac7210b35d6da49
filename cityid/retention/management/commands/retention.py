import json
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import CommandError
from django.utils import timezone
from rich.table import Table

from cityid.cli.base import CityidCommand
from cityid.cli.progress import RawHelp, parse_date, progress_bar, render
from cityid.core.actors import Actor
from cityid.retention import selectors, services
from cityid.retention.approvals import write_certificate_file
from cityid.retention.models import Schedule, Trigger
from cityid.retention.scope import CLASSES
from cityid.vault.models import RecordKey

HELP = """Retention schedules and disposition runs.

  retention schedule --class CLASS (--on YYYY-MM-DD | --trigger EVENT --years N)
                                      add a schedule version and move the class's records to their cohorts
  retention schedule --list [--class CLASS]    (or: retention schedules)   every class's schedule versions
  retention preview --as-of YYYY-MM-DD [--json]
                                      what a run would destroy (per class and cohort) and what holds keep
  retention run --as-of YYYY-MM-DD --approved-by USER --approved-by USER
                                      destroy what is due; print the certificate's path on the last line
"""

#: The policy action each subcommand needs (``schedule --list`` only reads).
ACTIONS = {
    "schedule": "retention.schedule",
    "schedules": "retention.read",
    "preview": "retention.read",
    "run": "retention.dispose",
}


class Command(RawHelp, CityidCommand):
    help = HELP
    subcommand_actions = ACTIONS

    def add_arguments(self, parser: Any) -> None:
        super().add_arguments(parser)
        sub = parser.add_subparsers(dest="subcommand", required=True)
        schedule = sub.add_parser("schedule", help="add a schedule version (or --list the versions)")
        schedule.add_argument("--class", dest="record_class", help=f"one of {', '.join(CLASSES)}")
        schedule.add_argument("--on", dest="on", help="a fixed disposition date, YYYY-MM-DD")
        schedule.add_argument("--trigger", help=f"the trigger event: {', '.join(Trigger.values)}")
        schedule.add_argument("--years", type=int, help="years after the trigger event")
        schedule.add_argument("--list", action="store_true", help="list the schedule versions instead")
        schedules = sub.add_parser("schedules", help="list the schedule versions")
        schedules.add_argument("--class", dest="record_class", help=f"only this class: {', '.join(CLASSES)}")
        preview = sub.add_parser("preview", help="what a run as of a date would destroy, and what is held")
        preview.add_argument("--as-of", dest="as_of", required=True, help="YYYY-MM-DD")
        preview.add_argument("--json", action="store_true", help="print the preview as JSON")
        run = sub.add_parser("run", help="destroy every due, unheld cohort and write the signed certificate")
        run.add_argument("--as-of", dest="as_of", required=True, help="YYYY-MM-DD, not in the future")
        run.add_argument("--approved-by", dest="approved_by", action="append", default=[], metavar="USER",
                         help="a records officer approving the run (give two different ones)")

    @staticmethod
    def _subcommand(options: dict) -> str:
        return "schedules" if options["subcommand"] == "schedule" and options["list"] else options["subcommand"]

    def action_for(self, options: dict) -> str | None:
        return ACTIONS[self._subcommand(options)]

    def handle(self, *args: Any, **options: Any) -> None:
        subcommand = self._subcommand(options)
        actor = self.actor(options)
        getattr(self, "_" + subcommand)(options, actor)  # a RetentionError: one line, from CityidCommand

    # --- schedules ---------------------------------------------------------------------------

    def _schedule(self, options: dict, actor: Actor | None) -> None:
        record_class, on, trigger, years = options["record_class"], options["on"], options["trigger"], options["years"]
        if not record_class:
            raise CommandError(f"--class is required: one of {', '.join(CLASSES)}")
        if record_class not in CLASSES:
            raise CommandError(f"unknown class {record_class!r}; one of {', '.join(CLASSES)}")
        if (on is None) == (trigger is None):
            raise CommandError("give either --on YYYY-MM-DD or --trigger EVENT --years N")
        if on is not None and years is not None:
            raise CommandError("--years goes with --trigger, not with --on")
        if trigger is not None and years is None:
            raise CommandError("--trigger needs --years N")
        fixed_date = parse_date(on, "--on") if on is not None else None
        schedule = services.set_schedule(
            record_class=record_class, approved_by=actor, trigger=trigger, years=years, fixed_date=fixed_date
        )
        total = RecordKey.objects.filter(record_class=record_class).count()
        with progress_bar(f"re-wrapping {record_class}", total) as advance:
            moved = services.apply_schedule(record_class=record_class, progress=advance)
        approver = schedule.approved_by.username if schedule.approved_by else "the host operator"
        self.stdout.write(f"{record_class} schedule version {schedule.version}: {schedule.describe()} "
                          f"(approved by {approver})")
        self.stdout.write(f"moved {moved} of {total} {record_class} record(s) to their new cohorts")

    def _schedules(self, options: dict, actor: Actor | None) -> None:
        record_class = options.get("record_class")
        if record_class and record_class not in CLASSES:
            raise CommandError(f"unknown class {record_class!r}; one of {', '.join(CLASSES)}")
        table = Table(title="Retention schedules")
        for column in ("class", "version", "rule", "approved by", "created", "records now"):
            table.add_column(column, justify="right" if column in {"version", "records now"} else "left")
        current = {row.record_class: row for row in selectors.current_schedules()}
        versions: dict[str, list[Schedule]] = {}
        for schedule in selectors.schedule_history(record_class).order_by("record_class", "-version"):
            versions.setdefault(schedule.record_class, []).append(schedule)
        for name in CLASSES:
            if record_class and name != record_class:
                continue
            row = current[name]
            for schedule in versions.get(name, []):
                marker = " (current)" if schedule.version == row.version else ""
                table.add_row(name, str(schedule.version), schedule.describe() + marker,
                              schedule.approved_by.username if schedule.approved_by else "operator",
                              schedule.created_at.date().isoformat(),
                              str(row.records) if marker else "")
            if row.version == 0:
                table.add_row(name, "0", f"{row.describe()} (rules file, current)", "", "", str(row.records))
            elif row.version is None:
                table.add_row(name, "-", "no schedule yet", "", "", str(row.records))
        self.stdout.write(render(table), ending="")

    # --- preview -----------------------------------------------------------------------------

    def _preview(self, options: dict, actor: Actor | None) -> None:
        report = services.preview(parse_date(options["as_of"], "--as-of"))
        if options["json"]:
            self.stdout.write(json.dumps(report, indent=2, sort_keys=True))
            return
        self.stdout.write(f"Disposition preview as of {report['as_of']}: "
                          f"{report['destroy_total']} record(s) to destroy, {report['held_total']} held")
        by_class = Table(title="Per class")
        for column in ("class", "to destroy", "held"):
            by_class.add_column(column, justify="left" if column == "class" else "right")
        for name in sorted(set(report["destroy_by_class"]) | set(report["held_by_class"])):
            by_class.add_row(name, str(report["destroy_by_class"].get(name, 0)),
                             str(report["held_by_class"].get(name, 0)))
        out = render(by_class)
        if report["cohorts"]:
            cohorts = Table(title="Cohorts to destroy")
            for column in ("cohort", "class", "key", "records"):
                cohorts.add_column(column, justify="right" if column == "records" else "left")
            for row in report["cohorts"]:
                cohorts.add_row(row["cohort"], row["class"], row["key_id"], str(row["records"]))
            out += render(cohorts)
        if report["holds"]:
            holds = Table(title="Held by legal holds")
            for column in ("hold", "court", "records", "classes"):
                holds.add_column(column, justify="right" if column in {"hold", "records"} else "left")
            for row in report["holds"]:
                classes = ", ".join(f"{name} {n}" for name, n in sorted(row["classes"].items()))
                holds.add_row(str(row["hold"]), row["court"], str(row["records"]), classes)
            out += render(holds)
        if not report["destroy_total"] and not report["held_total"]:
            out += "Nothing is due as of this date.\n"
        self.stdout.write(out, ending="")

    # --- run ---------------------------------------------------------------------------------

    def _run(self, options: dict, actor: Actor | None) -> None:
        as_of = parse_date(options["as_of"], "--as-of")
        User = get_user_model()
        approvers = []
        for username in options["approved_by"]:
            user = User.objects.filter(username=username).first()
            if user is None:
                raise CommandError(f"--approved-by {username!r}: no such staff account")
            approvers.append(user)
        report = services.preview(as_of)
        started = timezone.now()
        with progress_bar("destroying", report["destroy_total"]) as advance:
            certificate = services.run_disposition(as_of=as_of, approvers=approvers, progress=advance)
        if certificate is None:
            self.stdout.write(f"nothing destroyed as of {as_of.isoformat()}: no unheld cohort is due "
                              f"({report['held_total']} record(s) held); no certificate written")
            return
        path = write_certificate_file(certificate)
        body = selectors.certificate_body(certificate)
        if certificate.created_at < started:
            # An earlier run as of this date finished (perhaps killed before it could say so).
            self.stdout.write(
                f"nothing more destroyed as of {as_of.isoformat()}: run {body['run']} already destroyed "
                f"{body['records']} record(s) and was certified at audit log index {body['audit_log_index']}"
            )
            self.stdout.write(str(path))
            return
        self.stdout.write(
            f"destroyed {body['records']} record(s) in {len(body['cohorts'])} cohort(s) "
            f"({', '.join(body['classes'])}) as of {body['as_of']}: run {body['run']}, "
            f"{len(body['keys_destroyed'])} key(s) destroyed, audit log index {body['audit_log_index']}"
        )
        self.stdout.write(str(path))
