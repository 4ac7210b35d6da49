"""Thin staff views for the card's life and printing: print batches for card production (make one, download its
sheets, mark it printed, mailed or picked up), a card's PDF, and a supervisor's replacement and renewal.

PDFs are downloads answered to a POST (never a link a browser might prefetch: each one reads the cardholders'
card faces, and every read is logged) and are never cached.
"""

from __future__ import annotations

from django.contrib import messages
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from cityid.cards import printing, selectors, services
from cityid.cards.forms import BatchForm, ReplaceForm
from cityid.cards.models import BATCH_STEPS, Card, CardStatus, PrintBatch
from cityid.core.errors import CityidError
from cityid.ui.confirm import confirm_page, confirmed
from cityid.ui.decorators import requires
from cityid.ui.labels import label
from cityid.ui.pagination import paginate


def _pdf(data: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response


@never_cache
@requires("cards.produce")
def batches(request: HttpRequest) -> HttpResponse:
    form = BatchForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            batch = services.create_batch(created_by=request.user, limit=form.cleaned_data["limit"])
        except services.BatchError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, _("Print batch %(batch)s made.") % {"batch": batch.pk})
            return redirect("cards:batch", pk=batch.pk)
    page = paginate(PrintBatch.objects.annotate(size=Count("items")).select_related("created_by")
                    .order_by("-created_at", "-id"), request.GET.get("page"))
    waiting = Card.objects.filter(needs_print=True, status=CardStatus.ISSUED,
                                  expires_on__gte=timezone.localdate()).count()
    return render(request, "cards/batches.html", {"page_obj": page, "form": form, "waiting": waiting})


def _batch_context(request: HttpRequest, batch: PrintBatch) -> dict:
    return {"batch": batch, "steps": BATCH_STEPS.get(batch.status, ())}


@never_cache
@requires("cards.produce")
def batch_detail(request: HttpRequest, pk: int) -> HttpResponse:
    batch = get_object_or_404(PrintBatch, pk=pk)
    cards = [item.card for item in batch.items.select_related("card__application",
                                                              "card__applicant__personal_record")]
    selectors.reveal_numbers(cards, actor=request.user)
    return render(request, "cards/batch.html", {**_batch_context(request, batch), "cards": cards})


@never_cache
@require_POST
@requires("cards.produce")
def batch_mark(request: HttpRequest, pk: int) -> HttpResponse:
    batch = get_object_or_404(PrintBatch, pk=pk)
    step = request.POST.get("step", "")
    if step in BATCH_STEPS.get(batch.status, ()) and not confirmed(request):
        return _confirm_mark(request, batch, step)
    try:
        services.mark_batch(batch, step, marked_by=request.user)
    except services.BatchError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("Print batch %(batch)s: %(step)s.") % {
            "batch": batch.pk, "step": label("batch_status", step)})
    if request.headers.get("HX-Request"):
        return render(request, "cards/_batch_status.html", _batch_context(request, batch))
    return redirect("cards:batch", pk=batch.pk)


def _confirm_mark(request: HttpRequest, batch: PrintBatch, step: str) -> HttpResponse:
    """Marking a batch cannot be undone: say what it does first (inside the page through htmx, else a page)."""
    size = batch.items.count()
    title = _("Mark print batch %(batch)s: %(step)s?") % {"batch": batch.pk, "step": label("batch_status", step)}
    consequences = {
        "printed": [ngettext("The card in the batch is recorded as printed and no longer waits to be printed.",
                             "The %(count)s cards in the batch are recorded as printed and no longer wait to be "
                             "printed.", size) % {"count": size},
                    _("This cannot be undone: a card printed wrong is replaced from its own page.")],
        "mailed": [ngettext("The card in the batch is recorded as mailed to its cardholder.",
                            "The %(count)s cards in the batch are recorded as mailed to their cardholders.",
                            size) % {"count": size},
                   _("The batch is finished: this cannot be undone.")],
        "picked_up": [ngettext("The card in the batch is recorded as picked up by its cardholder.",
                               "The %(count)s cards in the batch are recorded as picked up by their cardholders.",
                               size) % {"count": size},
                      _("The batch is finished: this cannot be undone.")],
    }[step] + [_("Each card's history and the audit log record it under your name.")]
    button = _("Mark the batch: %(step)s") % {"step": label("batch_status", step)}
    if request.headers.get("HX-Request"):
        return render(request, "cards/_batch_confirm.html", {"batch": batch, "step": step, "title": title,
                                                             "consequences": consequences, "button": button})
    return confirm_page(request, title=title, consequences=consequences, button=button,
                        cancel_url=reverse("cards:batch", args=[batch.pk]))


@never_cache
@require_POST
@requires("cards.produce")
def batch_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    batch = get_object_or_404(PrintBatch, pk=pk)
    return _pdf(printing.batch_pdf(batch, actor=request.user), f"print-batch-{batch.pk}.pdf")


@never_cache
@require_POST
@requires("cards.produce")
def card_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    card = get_object_or_404(Card.objects.select_related("application", "applicant__personal_record"), pk=pk)
    try:
        data = printing.card_pdf(card, actor=request.user)
    except CityidError as error:
        messages.error(request, str(error))
        return redirect("cards:card", pk=card.pk)
    return _pdf(data, f"card-{card.pk}.pdf")


@never_cache
@require_POST
@requires("cards.replace")
def card_replace(request: HttpRequest, pk: int) -> HttpResponse:
    card = get_object_or_404(Card.objects.select_related("application", "applicant__personal_record"), pk=pk)
    form = ReplaceForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose why the card is replaced."))
        return redirect("cards:card", pk=card.pk)
    reason = form.cleaned_data["reason"]
    if not confirmed(request):
        selectors.reveal_numbers([card], actor=request.user)
        return confirm_page(request, title=_("Replace card %(card)s?") % {"card": card.number}, consequences=[
            _("A new card with a new number is issued; it keeps this card's expiry and waits to be printed."),
            _("This card is revoked for this reason: %(reason)s. It never verifies again.")
            % {"reason": label("card_reason", reason)},
            _("Both are recorded in the cards' histories and in the audit log."),
        ], button=_("Replace the card"), cancel_url=reverse("cards:card", args=[card.pk]))
    try:
        new = services.replace_card(card, reason=reason, note=form.cleaned_data["note"], replaced_by=request.user)
    except CityidError as error:
        messages.error(request, str(error))
        return redirect("cards:card", pk=card.pk)
    messages.success(request, _("The card is replaced; this is the new card."))
    return redirect("cards:card", pk=new.pk)


@never_cache
@require_POST
@requires("cards.renew")
def card_renew(request: HttpRequest, pk: int) -> HttpResponse:
    card = get_object_or_404(Card, pk=pk)
    try:
        services.renew_card(card, renewed_by=request.user)
    except CityidError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("The card is renewed until %(date)s; it waits to be printed.") % {
            "date": card.expires_on.isoformat()})
    return redirect("cards:card", pk=card.pk)
