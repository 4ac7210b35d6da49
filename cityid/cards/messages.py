"""The words for the cards app's error codes (registered in ``CardsConfig.ready()``): the staff pages and
the ``card`` command say the same sentence."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from cityid.cards.credentials import Refused
from cityid.cards.issuing import CredentialError
from cityid.cards.notes import NoteNotKept
from cityid.cards.qr import ImageRefused
from cityid.cards.selectors import CardLookupError
from cityid.cards.services import CardStatusError
from cityid.cards.status_list import StatusListRefused
from cityid.core.errors import register_messages


def _wrong_status(kind: str = "", **params: Any) -> str:
    if kind == "reinstate":
        return str(_("Only a suspended card can be reinstated."))
    return str(_("Only an issued card can be suspended."))


def register() -> None:
    register_messages(CardStatusError, {
        "unknown_change": _("unknown change '%(kind)s'; one of: %(kinds)s"),
        "revoked": _("This card is revoked, and a revoked card cannot be changed. Issue a replacement card instead."),
        "wrong_status": _wrong_status,
        "expired": _("This card expired on %(expired_on)s; an expired card can only be revoked."),
        "reason": _("“%(reason)s” is not one of the reasons for this change: %(reasons)s."),
        "note": _("The note is longer than %(max_length)s characters."),
        "note_destroyed": _("The applicant's application data has been destroyed, so a note can no longer be kept "
                            "with this card. Make the change without a note."),
    })
    register_messages(CardLookupError, {
        "malformed": _("A card number has 16 digits."),
        "check_digit": _("That is not a valid card number: the check digit does not match. Look for a mistyped "
                         "digit."),
        "not_found": _("No card has that number."),
    })
    register_messages(NoteNotKept, {"destroyed": _("the applicant's application record is destroyed")})
    register_messages(CredentialError, {
        "not_es256": _("The card signing key %(key)s is not an ECDSA P-256 key; rotate the card keys."),
        "status_list_full": _("No free status-list index is left among %(entries)s entries; raise "
                              "CITYID_CARD_STATUS_ENTRIES."),
        "status_list_busy": _("The status list could not be signed; try again."),
        "number_destroyed": _("The card number was destroyed with the applicant's application data, so no "
                              "credential can be signed for this card."),
        "photo_hash": _("The photo hash is a SHA-256 digest of 32 bytes."),
    })
    register_messages(Refused, {
        "malformed": _("This is not a city ID card code, or the code is damaged."),
        "bad_signature": _("The code's signature does not match: the card was altered or forged."),
        "unknown_key": _("The code is signed by a key this verifier does not know."),
        "expired": _("This card has expired."),
        "revoked": _("This card has been revoked."),
        "suspended": _("This card is suspended."),
    })
    register_messages(ImageRefused, {
        "not_an_image": _("The file is not a picture this verifier can read."),
        "too_large": _("The picture is too large to check."),
        "no_code": _("No QR code was found in the picture."),
    })
    register_messages(StatusListRefused, {
        "not_jws": _("The status list is not a signed status list."),
        "unknown_key": _("The status list is signed by a key that is not published."),
        "bad_signature": _("The status list's signature does not verify."),
        "not_status_list": _("The document is not a card status list."),
        "encoding": _("The status list is damaged."),
        "too_big": _("The status list is larger than this verifier accepts."),
        "too_small": _("The status list is too small to protect cardholders' privacy."),
        "stale": _("The status list is out of date; download a new one."),
    })
