"""The credential subcommands of ``cityid card``: ``keys [rotate]``, ``verify`` and ``status-list``
(kept apart from the card life-cycle subcommands; ``card.py`` hands them their options)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import CommandError
from django.utils import timezone

from cityid.cards import credentials, issuing, qr, status_list
from cityid.core.actors import Actor

HELP = """
  card keys                           the JWK Set of card signing keys (current and retired), as published
  card keys rotate                    a new signing key from now on (host operator); old cards still verify
  card verify (--image PNG | --payload TEXT) [--status FILE] [--keys FILE]
                    check a card's QR code(s) offline; prints the claims and exits 0, or names the reason:
                    malformed, bad_signature, unknown_key, expired, revoked, suspended (or, for a picture,
                    not_an_image, too_large, no_code). Without --status/--keys: this server's published ones
  card status-list                    re-sign and publish the status list now (run it daily)
"""

ACTIONS: dict[str, str | None] = {"keys": None, "verify": None, "status-list": None}


def action_for(options: dict) -> str | None:
    if options.get("subcommand") == "keys" and options.get("keys_action") == "rotate":
        return "cards.rotate_keys"
    return ACTIONS.get(options.get("subcommand") or "")


def add_parsers(sub: Any) -> None:
    keys = sub.add_parser("keys", help="print the JWK Set of card signing keys; 'rotate' makes a new key")
    keys.add_argument("keys_action", nargs="?", choices=["rotate"], metavar="rotate",
                      help="make a new signing key (host operator only)")
    verify = sub.add_parser("verify", help="verify a card's QR code(s) offline")
    source = verify.add_mutually_exclusive_group(required=True)
    source.add_argument("--image", help="a picture (PNG, JPEG) of the card or of a code")
    source.add_argument("--payload", help="the text of a code (CID1:...)")
    verify.add_argument("--status", help="a status list file (the JWS served at /.well-known/cityid/status)")
    verify.add_argument("--keys", help="a JWK Set file (as served at /.well-known/cityid/keys)")
    sub.add_parser("status-list", help="re-sign and publish the status list now")


def handle(command: Any, options: dict, actor: Actor | None) -> None:
    subcommand = options["subcommand"]
    if subcommand == "keys":
        if options.get("keys_action") == "rotate":
            key = issuing.rotate_keys(actor=actor)
            command.stdout.write(f"new card signing key {key.kid}; the old one is retired and stays published")
            return
        issuing.card_signer()
        command.stdout.write(json.dumps(issuing.jwk_set(), indent=2))
        return
    if subcommand == "status-list":
        document = issuing.rebuild_status_list()
        command.stdout.write(f"status list signed at {document.built_at.isoformat(timespec='seconds')} "
                             f"({document.entries} entries), published at {issuing.status_list_url()}")
        return
    _verify(command, options)


def _read(path: str, what: str, limit: int) -> bytes:
    file = Path(path)
    try:
        if file.stat().st_size > limit:
            raise CommandError(f"refused: too_large: {qr.ImageRefused('too_large')}")
        return file.read_bytes()
    except OSError as exc:
        raise CommandError(f"cannot read the {what} file {path}: {exc.strerror or exc}") from None


def _verify(command: Any, options: dict) -> None:
    if options.get("keys"):
        try:
            keys = credentials.key_set(json.loads(_read(options["keys"], "keys", 1 << 20)))
        except (ValueError, KeyError, TypeError, AttributeError):
            raise CommandError("the keys file is not a JWK Set of P-256 keys") from None
    else:
        keys = issuing.key_set()
    now = timezone.now()
    try:
        if options.get("status"):
            statuses = status_list.parse(_read(options["status"], "status list", status_list.MAX_JWS).decode(
                "ascii", "replace"), keys, now=now)
        else:
            statuses = issuing.verified_status_list(now=now)
    except status_list.StatusListRefused as exc:
        raise CommandError(f"the status list is refused: {exc.code}: {exc}") from None
    if options.get("image"):
        try:
            texts = qr.read_codes(_read(options["image"], "image", qr.MAX_BYTES))
        except qr.ImageRefused as exc:
            raise CommandError(f"refused: {exc.reason}: {exc}") from None
    else:
        texts = [options["payload"]]
    for position, text in enumerate(texts, 1):
        try:
            verified = credentials.verify(text, keys, status=statuses, now=now)
        except credentials.Refused as exc:
            where = f"code {position} of {len(texts)} " if len(texts) > 1 else ""
            raise CommandError(f"refused: {exc.reason}: {where}{exc}") from None
        if len(texts) > 1:
            command.stdout.write(f"code {position} of {len(texts)}")
        for name, value in verified.as_dict().items():
            command.stdout.write(f"{name}: {value}")
