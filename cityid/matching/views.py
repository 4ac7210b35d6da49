"""Thin staff views of the fraud analysts' review queue: alerts, an alert, one pair side by side, decisions.

Alert ids travel in paths (random UUIDs, not personal data); personal data appears only on the side-by-side
page, read through the alert (an open one) and logged. Anything that is not an alert (a forged id) is a 404.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from cityid.enrollment.selectors import PurposeInvalid
from cityid.matching import selectors, services
from cityid.matching.models import Alert, AlertStatus, Decision
from cityid.matching.selectors import SORTS, STATUSES
from cityid.ui.confirm import confirm_page, confirmed
from cityid.ui.decorators import requires


def _alert(request: HttpRequest, public_id: str) -> Alert:
    try:
        return selectors.get_alert(actor=request.user, public_id=public_id)
    except services.MatchingRefused:
        raise Http404 from None


@never_cache
@requires("matching.review")
def alert_list(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status", "open")
    status = status if status in STATUSES else "open"
    sort = request.GET.get("sort", "newest")
    sort = sort if sort in SORTS else "newest"
    page = selectors.alert_page(actor=request.user, status=status, sort=sort, page=request.GET.get("page"))
    template = "matching/_alerts.html" if request.headers.get("HX-Request") else "matching/alerts.html"
    return render(request, template, {"page_obj": page, "status": status, "sort": sort,
                                      "querystring": f"status={status}&sort={sort}"})


@never_cache
@requires("matching.review")
def alert_detail(request: HttpRequest, public_id: str) -> HttpResponse:
    alert = _alert(request, public_id)
    decisions = services.ALONE_DECISIONS
    return render(request, "matching/alert.html", {
        "alert": alert, "pairs": selectors.pairs_of(alert), "is_open": alert.status == AlertStatus.OPEN,
        "decisions": [(code, Decision(code).label) for code in decisions],
        "evidence": sorted((alert.evidence or {}).items()),
    })


@never_cache
@requires("matching.review")
@require_http_methods(["GET", "POST"])
def compare(request: HttpRequest, public_id: str, position: int) -> HttpResponse:
    alert = _alert(request, public_id)
    if request.method == "POST":
        decision = request.POST.get("decision", "")
        if (decision in services.PAIR_DECISIONS and alert.status == AlertStatus.OPEN and not confirmed(request)
                and any(pair.position == position and not pair.decision for pair in selectors.pairs_of(alert))):
            return _confirm_decision(request, alert, decision, position)
        try:
            services.decide(alert=alert, actor=request.user, decision=decision, position=position)
        except services.MatchingRefused as refused:
            messages.error(request, str(refused))
            return redirect("matching:alert", public_id=alert.public_id)
        messages.success(request, _("Your decision is recorded."))
        return redirect("matching:alert", public_id=alert.public_id)
    try:
        side = selectors.compare(alert=alert, actor=request.user, position=position)
    except services.MatchingRefused as refused:
        return render(request, "matching/refused.html", {"alert": alert, "message": str(refused)}, status=403)
    except PurposeInvalid:
        return render(request, "matching/refused.html", {"alert": alert, "message": _(
            "This record cannot be opened through this alert.")}, status=403)
    return render(request, "matching/compare.html", {
        "alert": alert, "side": side, "pair": side.pair,
        "decisions": [(code, Decision(code).label) for code in services.PAIR_DECISIONS],
    })


@never_cache
@requires("matching.review")
@require_http_methods(["POST"])
def decide_alert(request: HttpRequest, public_id: str) -> HttpResponse:
    """A decision on an alert without pairs (approvals that stand out)."""
    alert = _alert(request, public_id)
    decision = request.POST.get("decision", "")
    if decision in services.ALONE_DECISIONS and alert.status == AlertStatus.OPEN and not confirmed(request):
        return _confirm_decision(request, alert, decision, None)
    try:
        services.decide(alert=alert, actor=request.user, decision=decision)
    except services.MatchingRefused as refused:
        messages.error(request, str(refused))
    else:
        messages.success(request, _("Your decision is recorded."))
    return redirect("matching:alert", public_id=alert.public_id)


def _confirm_decision(request: HttpRequest, alert: Alert, decision: str, position: int | None) -> HttpResponse:
    """A decision is final (it is never changed, and a decided alert opens no record): say what it does first."""
    if position is None:
        title = _("Decision on this alert: %(decision)s?") % {"decision": Decision(decision).label}
    else:
        title = _("Decision on record %(n)s: %(decision)s?") % {"decision": Decision(decision).label, "n": position}
    lines = {
        Decision.SAME: [_("The two records are recorded as the same person: the application cannot be "
                          "approved.")],
        Decision.DIFFERENT: [_("The two records are recorded as different people: once every record of the alert "
                               "is decided so, the application can be approved.")],
        Decision.FRAUD: [_("The application is recorded as fraud: it cannot be approved.")],
        Decision.NO_CONCERN: [_("The alert is closed with no concern found.")],
    }[Decision(decision)]
    if decision == Decision.FRAUD and alert.application_id is None:  # approvals that stand out: no application
        lines = [_("The alert is closed as fraud.")]
    if position is not None:
        lines.append(_("The alert closes once every record in it is decided; its records can then no longer be "
                       "opened through it."))
    lines.append(_("The decision cannot be changed. It is recorded under your name in the audit log."))
    return confirm_page(request, title=title, consequences=lines, button=_("Record the decision"),
                        cancel_url=reverse("matching:compare", args=[alert.public_id, position]) if position
                        else reverse("matching:alert", args=[alert.public_id]))
