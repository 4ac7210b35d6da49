"""The life-cycle and printing subcommands of ``cityid card``: ``replace``, ``renew``, ``pdf`` and ``batch`` (kept
apart from the status and credential subcommands; ``card.py`` hands them their options)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import CommandError

from cityid.cards import printing, selectors, services
from cityid.cards.models import BATCH_STEPS, REPLACEMENT_REASONS, BatchStatus, PrintBatch
from cityid.cli.progress import progress_bar
from cityid.core.actors import Actor
from cityid.core.files import write_file

HELP = f"""
  card replace NUMBER --reason R [--note TEXT]
                    a new card with a new number; the old one revoked with the reason (one of:
                    {', '.join(REPLACEMENT_REASONS)}); it keeps the old card's expiry (a supervisor's decision)
  card renew NUMBER                 extend an issued card's validity by the rules file (within its renewal window)
  card pdf NUMBER --out FILE        the card as a print-ready CR80 PDF, front and back (card production)
  card batch create [--limit N]     a print batch of the cards waiting to be printed (oldest first; 100 by default)
  card batch list                   print batches, newest first, with their status and size
  card batch pdf BATCH --out FILE   the batch on Letter sheets, ten cards a sheet, fronts then backs (duplex)
  card batch mark BATCH {'|'.join(s for s in BatchStatus.values if s != BatchStatus.CREATED)}
                    printed, then mailed or picked up: each card's history shows it
"""

ACTIONS: dict[str, str | None] = {"replace": "cards.replace", "renew": "cards.renew", "pdf": "cards.produce",
                                  "batch": "cards.produce"}


def add_parsers(sub: Any) -> None:
    replace = sub.add_parser("replace", help="replace a lost, stolen or damaged card, or after a name change")
    replace.add_argument("number", metavar="NUMBER", help="the 16-digit card number (spaces allowed)")
    replace.add_argument("--reason", required=True, help=f"one of: {', '.join(REPLACEMENT_REASONS)}")
    replace.add_argument("--note", default="", help="a short note kept with the old card's history")
    renew = sub.add_parser("renew", help="extend a card's validity by the rules file")
    renew.add_argument("number", metavar="NUMBER", help="the 16-digit card number (spaces allowed)")
    pdf = sub.add_parser("pdf", help="the card as a print-ready PDF")
    pdf.add_argument("number", metavar="NUMBER", help="the 16-digit card number (spaces allowed)")
    pdf.add_argument("--out", required=True, metavar="FILE", help="where to write the PDF")
    batch = sub.add_parser("batch", help="print batches: create, list, pdf, mark")
    steps = batch.add_subparsers(dest="batch_action", required=True)
    create = steps.add_parser("create", help="a batch of the cards waiting to be printed")
    create.add_argument("--limit", default="100", help=f"at most N cards (1 to {services.BATCH_MAX})")
    steps.add_parser("list", help="print batches, newest first")
    batch_pdf = steps.add_parser("pdf", help="the batch's sheets as a PDF")
    batch_pdf.add_argument("batch", metavar="BATCH", help="the batch's number")
    batch_pdf.add_argument("--out", required=True, metavar="FILE", help="where to write the PDF")
    mark = steps.add_parser("mark", help="mark a batch printed, mailed or picked up")
    mark.add_argument("batch", metavar="BATCH", help="the batch's number")
    mark.add_argument("step", choices=[s for s in BatchStatus.values if s != BatchStatus.CREATED])


def _batch(value: str) -> PrintBatch:
    try:
        return PrintBatch.objects.get(pk=int(value))
    except (ValueError, PrintBatch.DoesNotExist):
        raise CommandError(f"no print batch {value!r}") from None


def _write(path: str, data: bytes) -> Path:
    target = Path(path)
    if not target.parent.is_dir():
        raise CommandError(f"no directory {str(target.parent)!r} to write {target.name!r} in")
    write_file(target, data)
    return target


def handle(command: Any, options: dict, actor: Actor | None) -> None:
    out = command.stdout
    subcommand = options["subcommand"]
    if subcommand == "batch":
        _handle_batch(command, options, actor)
        return
    card = selectors.find_card(options["number"])
    if subcommand == "replace":
        new = services.replace_card(card, reason=options["reason"], note=options["note"], replaced_by=actor)
        selectors.reveal_numbers([new], actor=actor)
        out.write(f"card {card.number} revoked ({options['reason']}); replacement card {new.number} issued, "
                  f"expires {new.expires_on.isoformat()}")
    elif subcommand == "renew":
        services.renew_card(card, renewed_by=actor)
        out.write(f"card {card.number} renewed: expires {card.expires_on.isoformat()}; waiting to be printed")
    elif subcommand == "pdf":
        target = _write(options["out"], printing.card_pdf(card, actor=actor))
        out.write(f"card {card.number}: {target}")


def _handle_batch(command: Any, options: dict, actor: Actor | None) -> None:
    out = command.stdout
    action = options["batch_action"]
    if action == "create":
        try:
            limit = int(options["limit"])
        except ValueError:
            raise CommandError(f"--limit {options['limit']!r} is not a whole number") from None
        batch = services.create_batch(created_by=actor, limit=limit)
        out.write(f"print batch {batch.pk}: {batch.items.count()} cards")
    elif action == "list":
        batches = list(PrintBatch.objects.order_by("-created_at", "-id")[:50])
        if not batches:
            out.write("no print batches")
            return
        out.write(f"{'batch':>6}  {'status':<10}  {'cards':>5}  created")
        for batch in batches:
            out.write(f"{batch.pk:>6}  {batch.status:<10}  {batch.items.count():>5}  "
                      f"{batch.created_at.date().isoformat()}")
    elif action == "pdf":
        batch = _batch(options["batch"])
        with progress_bar(f"print batch {batch.pk}", total=batch.items.count()) as advance:
            data = printing.batch_pdf(batch, actor=actor, progress=lambda: advance(1))
        out.write(f"print batch {batch.pk}: {_write(options['out'], data)}")
    elif action == "mark":
        batch = _batch(options["batch"])
        step = options["step"]
        if step not in BATCH_STEPS.get(batch.status, ()):
            raise services.BatchError("step", step=step, status=batch.status)
        services.mark_batch(batch, step, marked_by=actor)
        out.write(f"print batch {batch.pk}: {step}")
