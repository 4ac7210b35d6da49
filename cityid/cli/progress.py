"""Shared bits of the commands: a rich progress bar on stderr, dates, tables as text."""

from __future__ import annotations

import argparse
import contextlib
import io
import sys
from collections.abc import Callable, Iterator
from datetime import date
from typing import Any

from django.core.management.base import CommandError, DjangoHelpFormatter
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table


@contextlib.contextmanager
def progress_bar(label: str, total: int | None) -> Iterator[Callable[[int], None]]:
    """Yield ``advance(n)`` for the services' ``progress=`` argument; the bar is drawn on stderr
    when it is a terminal (and is transient: the command's own output stays clean)."""
    console = Console(stderr=True)
    with Progress(
        TextColumn(label), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
        console=console, transient=True, disable=not sys.stderr.isatty(),
    ) as progress:
        task = progress.add_task(label, total=total or None)
        yield lambda n: progress.advance(task, n)


def parse_date(value: str, option: str) -> date:
    try:
        return date.fromisoformat(value)
    except (TypeError, ValueError):
        raise CommandError(f"{option} {value!r} is not a date: use YYYY-MM-DD") from None


def render(table: Table, width: int = 160) -> str:
    """A rich table as plain text (commands write it through their own stdout)."""
    buffer = io.StringIO()
    Console(file=buffer, width=width, color_system=None, highlight=False).print(table)
    return buffer.getvalue()


class _RawHelpFormatter(DjangoHelpFormatter, argparse.RawDescriptionHelpFormatter):
    pass


class RawHelp:
    """Command mixin: ``--help`` prints the command's multi-line help as written."""

    def create_parser(self, prog_name: str, subcommand: str, **kwargs: Any) -> Any:
        parser = super().create_parser(prog_name, subcommand, **kwargs)  # type: ignore[misc]
        parser.formatter_class = _RawHelpFormatter
        return parser
