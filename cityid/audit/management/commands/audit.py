import json
from pathlib import Path
from typing import Any

from django.core.management.base import CommandError
from django.db import transaction
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from cityid.audit import keys, merkle, note, selectors, services
from cityid.audit.export import export_log, tile_refs
from cityid.audit.models import AuditEntry
from cityid.audit.services import record_event
from cityid.audit.verify import VerifyError, verify_log
from cityid.cli.base import CityidCommand

#: Logs at least this long get a progress bar.
PROGRESS_FROM = 50_000

HELP = (
    "The audit transparency log: verify, checkpoint, prove, integrate, export.\n"
    "Sign checkpoints on a schedule from cron, e.g. `*/5 * * * * cityid audit checkpoint >/dev/null` "
    "(see cityid/audit/README.md)."
)


class Command(CityidCommand):
    help = HELP
    #: Only rotating the signing key acts as someone (the host operator); the rest reads no personal data.
    subcommand_actions = {"rotate-key": "keys.rotate"}

    def add_arguments(self, parser: Any) -> None:
        super().add_arguments(parser)
        sub = parser.add_subparsers(dest="subcommand", required=True)
        verify = sub.add_parser("verify", help="recompute the whole tree; exit non-zero at the first bad index")
        verify.add_argument("--checkpoint", type=Path, action="append", default=[],
                            help="also check a signed checkpoint kept elsewhere (repeatable)")
        sub.add_parser("checkpoint", help="integrate, sign a checkpoint of the whole log (if it grew) and print it; "
                                          "run from cron")
        prove = sub.add_parser("prove", help="print an inclusion proof as JSON")
        prove.add_argument("--index", type=int, required=True)
        prove.add_argument("--size", type=int, help="tree size (default: the latest signed checkpoint)")
        sub.add_parser("integrate", help="hash entries not yet in the tree")
        export = sub.add_parser("export", help="write the latest signed checkpoint, verifier key and hash tiles "
                                               "as static files (signs nothing)")
        export.add_argument("directory", type=Path)
        sub.add_parser("rotate-key", help="a new checkpoint-signing key signs from now on; the old one is destroyed "
                                          "and its public key kept, so old checkpoints still verify (host operator)")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            getattr(self, "_" + options["subcommand"].replace("-", "_"))(options)
        except services.LogInconsistent as exc:
            raise CommandError(f"audit log inconsistent: {exc}") from None
        except VerifyError as exc:
            raise CommandError(str(exc)) from None

    def _progress(self, label: str, total: int) -> Progress | None:
        if total < PROGRESS_FROM:
            return None
        console = Console(stderr=True)
        return Progress(TextColumn(label), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                        console=console, transient=True)

    def _verify(self, options: dict) -> None:
        extra = []
        for path in options["checkpoint"]:
            try:
                extra.append((str(path), path.read_text()))
            except (OSError, UnicodeDecodeError) as exc:
                raise CommandError(f"cannot read {path}: {exc}") from None
        progress = self._progress("verify", services.log_size())
        if progress is None:
            report = verify_log(checkpoints=extra)
        else:
            with progress:
                task = progress.add_task("verify", total=services.log_size())
                report = verify_log(checkpoints=extra, progress=lambda n: progress.advance(task, n))
        self.stdout.write(
            f"audit log OK: {report.entries} entries, {report.tree_size} in the stored tree, "
            f"{report.checkpoints} checkpoint(s) consistent; root {report.root.hex()}"
        )

    def _rotate_key(self, options: dict) -> None:
        actor = self.actor(options)
        with transaction.atomic():
            new = keys.rotate()
            record_event(actor=actor, action="keys.rotate", target=f"signing-key:{new.key_id}")
        vkey = note.verifier_key(keys.origin(), new.public_key())
        self.stdout.write(f"new checkpoint-signing key {new.key_id}: {vkey}")

    def _checkpoint(self, options: dict) -> None:
        self.stdout.write(services.make_checkpoint().note, ending="")

    def _prove(self, options: dict) -> None:
        if options["index"] < 0 or (options["size"] is not None and options["size"] < 0):
            raise CommandError("--index and --size must not be negative")
        try:
            proof = selectors.inclusion_proof(options["index"], options["size"])
        except selectors.NotSigned as exc:
            raise CommandError(f"{exc} (`cityid audit checkpoint` signs one)") from None
        except selectors.BadRequest as exc:
            raise CommandError(str(exc)) from None
        # Check the proof as an auditor would: the leaf from the stored entry and its salt, the root
        # from the signed checkpoint when there is one.
        entry, salt = AuditEntry.objects.values_list("entry", "salt").get(index=proof["index"])
        root = selectors.decode_hashes([proof["root"]])[0]
        against = "the tree root"
        if proof["checkpoint"]:
            root = note.open_checkpoint(proof["checkpoint"], keys.verifier_keys(), origin=keys.origin()).root
            against = "the signed checkpoint"
        ok = merkle.verify_inclusion(
            merkle.entry_leaf_hash(bytes(entry), bytes(salt)), proof["index"], proof["size"],
            selectors.decode_hashes(proof["hashes"]), root,
        )
        self.stdout.write(json.dumps(proof, indent=2))
        if not ok:
            raise CommandError(f"the inclusion proof of entry {proof['index']} does not verify against {against}")
        self.stderr.write(f"inclusion proof of entry {proof['index']} in tree size {proof['size']} verifies "
                          f"against {against}")

    def _integrate(self, options: dict) -> None:
        before = services.tree_size()
        pending = services.log_size() - before
        progress = self._progress("integrate", pending)
        if progress is None:
            size = services.integrate()
        else:
            with progress:
                task = progress.add_task("integrate", total=pending)
                size = services.integrate(progress=lambda n: progress.advance(task, n))
        self.stdout.write(f"integrated {size - before} entries; the tree holds {size}")

    def _export(self, options: dict) -> None:
        size_hint = services.log_size()
        progress = self._progress("export", size_hint // 128)
        if progress is None:
            checkpoint = export_log(options["directory"])
        else:
            with progress:
                task = progress.add_task("export", total=len(tile_refs(size_hint)))
                checkpoint = export_log(options["directory"], progress=lambda n: progress.advance(task, n))
        self.stdout.write(f"exported checkpoint of {checkpoint.size} entries to {options['directory']}")
