from typing import Any

from cityid.accounts import selectors
from cityid.accounts.models import PartnerKeyStatus
from cityid.accounts.services import (
    PartnerKeyResult,
    add_partner_key,
    approve_partner_key,
    revoke_partner_key,
    withdraw_partner_key,
)
from cityid.cli.base import CityidCommand


class Command(CityidCommand):
    help = (
        "Partner API keys (a card's status for a bank, a library): `partner add NAME`, `partner list [--status S]`, "
        "`partner approve ID`, `partner withdraw ID`, `partner revoke ID`. Run by the host operator (no --actor) a "
        "key is made at once and printed once; with --actor an administrator, a second administrator approves "
        "(`partner approve ID --actor OTHER`) and the key is printed to them, once. Only a hash of the key is kept."
    )
    action = "partners.manage"

    def add_arguments(self, parser: Any) -> None:
        super().add_arguments(parser)
        sub = parser.add_subparsers(dest="subcommand", required=True)
        add = sub.add_parser("add", help="a key for a partner organisation (shown once)")
        add.add_argument("name", help="the partner organisation's name, e.g. 'Queens Library, Flushing'")
        listing = sub.add_parser("list", help="partner keys: id, partner, prefix, status, last used")
        listing.add_argument("--status", choices=PartnerKeyStatus.values, help="only this status")
        approve = sub.add_parser("approve", help="approve another administrator's key request (prints the key)")
        approve.add_argument("key_id", type=int)
        withdraw = sub.add_parser("withdraw", help="withdraw a key request waiting for approval")
        withdraw.add_argument("key_id", type=int)
        revoke = sub.add_parser("revoke", help="revoke a partner key at once")
        revoke.add_argument("key_id", type=int)

    def _shown_once(self, result: PartnerKeyResult) -> None:
        if result.key is None:
            self.stdout.write(f"partner key request {result.partner.pk} waits for a second administrator: "
                              f"`cityid partner approve {result.partner.pk} --actor OTHER_ADMIN`")
            return
        self.stdout.write(f"partner key {result.partner.pk} for {result.partner.name}")
        self.stdout.write(f"key:     {result.key}")
        self.stdout.write("         (shown once: give it only to the partner; only its hash is kept)")

    def handle(self, *args: Any, **options: Any) -> None:
        actor = self.actor(options)
        command = options["subcommand"]
        if command == "add":
            self._shown_once(add_partner_key(name=options["name"], by=actor))
        elif command == "approve":
            self._shown_once(approve_partner_key(key_id=options["key_id"], by=actor))
        elif command == "withdraw":
            partner = withdraw_partner_key(key_id=options["key_id"], by=actor)
            self.stdout.write(f"partner key request {partner.pk} withdrawn")
        elif command == "revoke":
            partner = revoke_partner_key(key_id=options["key_id"], by=actor)
            self.stdout.write(f"partner key {partner.pk} ({partner.name}) revoked: its next call is refused")
        else:
            self.stdout.write(f"{'id':<6} {'partner':<32} {'prefix':<14} {'status':<10} last used")
            for partner in selectors.partner_keys(status=options["status"]):
                used = partner.last_used_on.isoformat() if partner.last_used_on else "never"
                self.stdout.write(f"{partner.pk:<6} {partner.name[:32]:<32} {partner.prefix or '-':<14} "
                                  f"{partner.status:<10} {used}")
