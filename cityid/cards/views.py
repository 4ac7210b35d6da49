"""Thin staff views over the card selectors and services.

Supervisors and card production see cards (number, status, dates, history: no name, no
document); only supervisors change a card's status. A status change's note is personal data: the
history shows it only to roles that may read personal data (a logged read), and to others only
that there is one. Card numbers travel in POST bodies and
pages, never in URLs, so they stay out of access logs: a card's page is addressed by its id.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from cityid.accounts.policy import allowed
from cityid.cards import selectors, services
from cityid.cards.forms import FindCardForm, ReplaceForm, StatusChangeForm
from cityid.cards.models import Card, CardStatus, StatusChangeKind
from cityid.ui.confirm import confirm_page, confirmed
from cityid.ui.decorators import requires
from cityid.ui.labels import label

STATUS_FILTERS = ("all", *CardStatus.values)

CHANGE_TITLES = {
    StatusChangeKind.SUSPEND: gettext_lazy("Suspend the card"),
    StatusChangeKind.REINSTATE: gettext_lazy("Reinstate the card"),
    StatusChangeKind.REVOKE: gettext_lazy("Revoke the card"),
}
CHANGE_HINTS = {
    StatusChangeKind.SUSPEND: gettext_lazy("The card stops verifying until it is reinstated or revoked."),
    StatusChangeKind.REINSTATE: gettext_lazy("The card verifies again until it expires."),
    StatusChangeKind.REVOKE: gettext_lazy("Revoking is final: the card never verifies again. "
                                          "The cardholder needs a replacement card."),
}
CHANGE_DONE = {
    StatusChangeKind.SUSPEND: gettext_lazy("The card is suspended."),
    StatusChangeKind.REINSTATE: gettext_lazy("The card is reinstated."),
    StatusChangeKind.REVOKE: gettext_lazy("The card is revoked."),
}


@dataclass
class ChangeOption:
    kind: str
    title: str
    hint: str
    form: StatusChangeForm


def _can(request: HttpRequest, action: str) -> bool:
    return allowed(getattr(request.user, "role", None), action)


@never_cache
@requires("cards.read")
def card_list(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status", "all")
    if status not in STATUS_FILTERS:
        status = "all"
    form = FindCardForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            card = selectors.find_card(form.cleaned_data["number"])
        except selectors.CardLookupError as error:
            form.add_error("number", str(error))
        else:
            return redirect("cards:card", pk=card.pk)
    page = selectors.card_page(status=None if status == "all" else status, page=request.GET.get("page"))
    page.object_list = selectors.reveal_numbers(page.object_list, actor=request.user)
    return render(request, "cards/list.html",
                  {"page_obj": page, "status": status, "form": form, "today": timezone.localdate()})


def _card_page(request: HttpRequest, card: Card, bound: StatusChangeForm | None = None) -> HttpResponse:
    changes = []
    if _can(request, "cards.status"):
        for kind in services.available_changes(card):
            form = bound if bound is not None and bound.kind == kind else StatusChangeForm(kind=kind)
            changes.append(ChangeOption(kind, CHANGE_TITLES[kind], CHANGE_HINTS[kind], form))
    today = timezone.localdate()
    opens, closes = services.renewal_opens(card)
    replaceable = card.status != CardStatus.REVOKED and not hasattr(card, "replaced_by")
    return render(request, "cards/card.html", {
        "card": card,
        "history": selectors.read_history(card, actor=request.user),
        "changes": changes,
        "expired": card.expires_on < today,
        "can_read_applicant": _can(request, "enrollment.read_personal"),
        # The card's life and printing (cityid.cards.print_views).
        "replace_form": ReplaceForm() if replaceable and _can(request, "cards.replace") else None,
        "renewal": {"opens": opens, "closes": closes,
                    "open": card.status == CardStatus.ISSUED and opens <= today <= closes}
        if _can(request, "cards.renew") and card.status == CardStatus.ISSUED else None,
        "can_print": _can(request, "cards.produce") and card.status == CardStatus.ISSUED,
    })


@never_cache
@requires("cards.read")
def card_detail(request: HttpRequest, pk: int) -> HttpResponse:
    card = get_object_or_404(Card.objects.select_related("application", "applicant__personal_record"), pk=pk)
    selectors.reveal_numbers([card], actor=request.user)
    return _card_page(request, card)


@never_cache
@require_POST
@requires("cards.status")
def card_change(request: HttpRequest, pk: int) -> HttpResponse:
    card = get_object_or_404(Card.objects.select_related("application", "applicant__personal_record"), pk=pk)
    kind = request.POST.get("change", "")
    if kind not in StatusChangeKind.values:
        messages.error(request, _("Choose whether to revoke, suspend or reinstate the card."))
        return redirect("cards:card", pk=card.pk)
    form = StatusChangeForm(request.POST, kind=kind)
    if not form.is_valid():
        selectors.reveal_numbers([card], actor=request.user)
        return _card_page(request, card, bound=form)
    if kind == StatusChangeKind.REVOKE and not confirmed(request):
        selectors.reveal_numbers([card], actor=request.user)  # the confirmation names the card as its page does
        return confirm_page(request, title=_("Revoke card %(card)s?") % {"card": card.number}, consequences=[
            _("The card is revoked for this reason: %(reason)s.")
            % {"reason": label("card_reason", form.cleaned_data["reason"])},
            _("Revoking is final: the card can never be reinstated. The cardholder needs a new card."),
            _("The change is recorded in the card's history and in the audit log."),
        ], button=_("Revoke the card"), cancel_url=reverse("cards:card", args=[card.pk]))
    try:
        services.change_status(card, kind, reason=form.cleaned_data["reason"], note=form.cleaned_data["note"],
                               changed_by=request.user)
    except services.CardStatusError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, CHANGE_DONE[kind])
    return redirect("cards:card", pk=card.pk)
