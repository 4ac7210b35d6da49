from typing import Any

from django.core.management.base import CommandError
from django.utils import timezone

from cityid.cards import credential_commands, selectors, services
from cityid.cards.models import REASONS_FOR, CardStatus, StatusChangeKind
from cityid.cli.base import CityidCommand
from cityid.cli.progress import RawHelp
from cityid.core.actors import Actor

DEFAULT_LIMIT = 50

HELP = f"""Cards: list them, and revoke, suspend or reinstate one (a supervisor's decision).

  card list [--status {'|'.join(CardStatus.values)}] [--limit N]
                    number, status, issue and expiry dates; most recently issued first, {DEFAULT_LIMIT} by default
  card revoke NUMBER --reason R [--note TEXT]      for good: a revoked card is never valid again
  card suspend NUMBER --reason R [--note TEXT]     an issued card, until it is reinstated or revoked
  card reinstate NUMBER --reason R [--note TEXT]   a suspended card, back to issued

  Reasons:  revoke     {', '.join(REASONS_FOR[StatusChangeKind.REVOKE])}
            suspend    {', '.join(REASONS_FOR[StatusChangeKind.SUSPEND])}
            reinstate  {', '.join(REASONS_FOR[StatusChangeKind.REINSTATE])}
  An expired card can be revoked but not suspended or reinstated. The note (at most 200 characters,
  no personal details) stays in the card's history, sealed with the applicant's application data and
  destroyed with it; the audit log records only the card id and reason. No listing prints notes.
""" + credential_commands.HELP

ACTIONS = {"list": "cards.read", **{kind: "cards.status" for kind in StatusChangeKind.values},
           **credential_commands.ACTIONS}


class Command(RawHelp, CityidCommand):
    help = HELP
    subcommand_actions = ACTIONS

    def add_arguments(self, parser: Any) -> None:
        super().add_arguments(parser)
        sub = parser.add_subparsers(dest="subcommand", required=True)
        listing = sub.add_parser("list", help="cards with their status, issue and expiry dates")
        listing.add_argument("--status", help=f"only cards of this status: {', '.join(CardStatus.values)}")
        listing.add_argument("--limit", default=str(DEFAULT_LIMIT), help=f"at most N cards (default {DEFAULT_LIMIT})")
        for kind in StatusChangeKind.values:
            change = sub.add_parser(kind, help=f"{kind} a card")
            change.add_argument("number", metavar="NUMBER", help="the 16-digit card number (spaces allowed)")
            change.add_argument("--reason", required=True, help=f"one of: {', '.join(REASONS_FOR[kind])}")
            change.add_argument("--note", default="", help="a short note kept with the card's history")
        credential_commands.add_parsers(sub)

    def action_for(self, options: dict) -> str | None:
        return credential_commands.action_for(options) or super().action_for(options)

    def handle(self, *args: Any, **options: Any) -> None:
        subcommand = options["subcommand"]
        actor = self.actor(options)
        if subcommand == "list":
            self._list(options, actor)
            return
        if subcommand in credential_commands.ACTIONS:
            credential_commands.handle(self, options, actor)
            return
        try:
            card = selectors.find_card(options["number"])
            was = card.status
            services.change_status(card, subcommand, reason=options["reason"], note=options["note"],
                                   changed_by=actor)
        except (selectors.CardLookupError, services.CardStatusError) as exc:
            raise CommandError(f"cannot {subcommand} the card: {exc}") from None
        self.stdout.write(f"card {card.number} {card.status} (was {was}); reason: {options['reason']}")

    def _list(self, options: dict, actor: Actor | None) -> None:
        status = options["status"] or None
        if status is not None and status not in CardStatus.values:
            raise CommandError(f"unknown status {status!r}; one of: {', '.join(CardStatus.values)}")
        try:
            limit = int(options["limit"])
        except ValueError:
            limit = 0
        if limit < 1:
            raise CommandError(f"--limit {options['limit']!r} is not a positive whole number")
        query = selectors.cards(status)
        rows = selectors.reveal_numbers(query[:limit], actor=actor)
        if not rows:
            self.stdout.write(f"no {status} cards" if status else "no cards")
            return
        today = timezone.localdate()
        self.stdout.write(f"{'number':<16}  {'status':<9}  {'issued':<10}  expires")
        for card in rows:
            expired = "  expired" if card.expires_on < today else ""
            self.stdout.write(f"{card.number or '(destroyed)':<16}  {card.status:<9}  {card.issued_on.isoformat()}  "
                              f"{card.expires_on.isoformat()}{expired}")
        total = query.count() if len(rows) == limit else len(rows)
        if total > len(rows):
            self.stdout.write(f"{len(rows)} of {total} cards shown (--limit)")
