"""The words for the cards app's error codes (registered in ``CardsConfig.ready()``): the staff pages and
the ``card`` command say the same sentence."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from cityid.cards.credentials import Refused
from cityid.cards.issuing import CredentialError
from cityid.cards.notes import NoteNotKept
from cityid.cards.portrait import PortraitRefused
from cityid.cards.printing import PrintRefused
from cityid.cards.qr import ImageRefused
from cityid.cards.selectors import CardLookupError
from cityid.cards.services import BatchError, CardStatusError
from cityid.cards.status_list import StatusListRefused
from cityid.core.errors import register_messages
from cityid.enrollment.services import ReissueRefused
from cityid.ui.labels import label


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
        "replacement_reason": _("“%(reason)s” is not a reason to replace a card: %(reasons)s."),
        "replaced": _("This card has already been replaced."),
        "renew_status": _("Only an issued card can be renewed; this card is %(status)s."),
        "renew_early": _("This card cannot be renewed before %(opens_on)s."),
        "renew_late": _("The renewal period of this card ended on %(closed_on)s; the cardholder applies anew."),
    })
    register_messages(ReissueRefused, {
        "destroyed": _("The cardholder's application data has been destroyed; the card cannot be reissued."),
        "not_approved": _("Only the card of an approved application can be reissued."),
    })
    register_messages(PrintRefused, {
        "destroyed": _("The cardholder's application data has been destroyed; the card cannot be printed."),
        "number_destroyed": _("The card's number has been destroyed; the card cannot be printed."),
        "status": lambda status, **_params: _("Only an issued card is printed; this card is %(status)s.") % {
            "status": label("card_status", status)},
    })
    register_messages(BatchError, {
        "empty": _("No card is waiting to be printed."),
        "limit": _("A print batch holds 1 to %(max)s cards."),
        "step": lambda status, step, **_params: _("A batch that is %(status)s cannot be marked %(step)s.") % {
            "status": label("batch_status", status).lower(), "step": label("batch_status", step).lower()},
    })
    register_messages(CardLookupError, {
        "malformed": _("A card number has 16 digits."),
        "check_digit": _("That is not a valid card number: the check digit does not match. Look for a mistyped "
                         "digit."),
        "not_found": _("No card has that number."),
    })
    register_messages(NoteNotKept, {"destroyed": _("the applicant's application record is destroyed")})
    register_messages(PortraitRefused, {
        "type": _("The photo is not a JPEG or PNG image."),
        "pixels": _("The photo has more than %(max_pixels)s pixels."),
        "unreadable": _("The photo cannot be read."),
    })
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
