from pathlib import Path
from typing import Any

from django.core.management.base import CommandError
from django.db import transaction
from rich.table import Table

from cityid.audit.services import record_event
from cityid.cli.base import CityidCommand
from cityid.cli.progress import RawHelp, render
from cityid.retention import selectors, services, signing
from cityid.retention.approvals import write_certificate_file
from cityid.retention.certificate import CertificateInvalid

HELP = """Destruction certificates (signed, no personal data, publishable).

  certificate verify FILE    check the signature and the audit-log entry that records it
  certificate list           every certificate: run, date, records, keys destroyed
  certificate export RUN     (re)write DATA_DIR/certificates/run-RUN.json and print its path
  certificate rotate-key     a new signing key from now on (host operator); old certificates still verify
"""


class Command(RawHelp, CityidCommand):
    help = HELP
    #: Verifying a certificate reads nothing personal: anybody may do it.
    subcommand_actions = {"verify": None, "list": "retention.read", "export": "retention.read",
                          "rotate-key": "keys.rotate"}

    def add_arguments(self, parser: Any) -> None:
        super().add_arguments(parser)
        sub = parser.add_subparsers(dest="subcommand", required=True)
        verify = sub.add_parser("verify", help="verify a certificate file")
        verify.add_argument("file", type=Path)
        sub.add_parser("list", help="list the certificates")
        export = sub.add_parser("export", help="write a run's certificate file and print its path")
        export.add_argument("run", type=int)
        sub.add_parser("rotate-key", help="a new certificate-signing key signs from now on (host operator)")

    def handle(self, *args: Any, **options: Any) -> None:
        self._acting = self.actor(options)
        getattr(self, "_" + options["subcommand"].replace("-", "_"))(options)

    def _rotate_key(self, options: dict) -> None:
        with transaction.atomic():
            new = signing.rotate()
            record_event(actor=self._acting, action="keys.rotate", target=f"signing-key:{new.key_id}")
        self.stdout.write(f"new certificate-signing key {new.key_id}")

    def _verify(self, options: dict) -> None:
        path: Path = options["file"]
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise CommandError(f"cannot read {path}: {exc}") from None
        try:
            body = services.verify_certificate(text)
        except CertificateInvalid as exc:
            raise CommandError(f"certificate INVALID: {exc}") from None
        self.stdout.write(
            f"certificate OK: run {body['run']}, {body['records']} records, "
            f"{len(body['keys_destroyed'])} keys destroyed, audit log index {body['audit_log_index']}"
        )

    def _list(self, options: dict) -> None:
        certificates = list(selectors.certificates())
        if not certificates:
            self.stdout.write("no certificates")
            return
        table = Table()
        for column in ("run", "as of", "records", "classes", "keys destroyed", "approvers", "audit index"):
            table.add_column(column, justify="right" if column in {"run", "records", "keys destroyed",
                                                                    "audit index"} else "left")
        for row in selectors.certificate_rows(certificates):
            table.add_row(str(row["run"]), row["as_of"], str(row["records"]), ", ".join(row["classes"]),
                          str(row["keys"]), ", ".join(row["approvers"]), str(row["audit_index"]))
        self.stdout.write(render(table), ending="")

    def _export(self, options: dict) -> None:
        certificate = selectors.certificate_for_run(options["run"])
        if certificate is None:
            raise CommandError(f"run {options['run']} has no certificate")
        self.stdout.write(str(write_certificate_file(certificate)))
