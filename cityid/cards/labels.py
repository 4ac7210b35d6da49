"""The codes of the cards app in the label catalogue."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from cityid.ui.labels import register


def register_labels() -> None:
    from cityid.cards.models import BatchStatus, CardEvent, CardStatus, StatusChangeKind, StatusReason

    register("card_status", CardStatus.choices)
    register("card_change", StatusChangeKind.choices)
    register("card_reason", StatusReason.choices)
    register("card_event", CardEvent.choices)
    register("batch_status", BatchStatus.choices)
    register("audit_action", {
        "card.issue": _("Card issued"),
        "card.read_number": _("Card number viewed"),
        "card.revoke": _("Card revoked"),
        "card.suspend": _("Card suspended"),
        "card.reinstate": _("Card reinstated"),
        "personal.read_card_face": _("Card face read for printing"),
        "card.replace": _("Replacement card issued"),
        "card.renew": _("Card renewed"),
        "application.reissue": _("Card reissue opened"),
        "cards.batch_create": _("Print batch created"),
        "cards.batch_printed": _("Print batch printed"),
        "cards.batch_mailed": _("Print batch mailed"),
        "cards.batch_picked_up": _("Print batch picked up"),
        "partner.card_status": _("Card status asked by a partner"),
        "card.keys_rotate": _("Card signing key rotated"),
    })
