"""The administrator's page of partner API keys (``partners.manage``).

A key is shown once: on the page that answers the second administrator's approval (never in a message, a
redirect, a URL or a log), then only its public prefix. One administrator asks, a different one approves;
revoking takes access away, so one administrator may.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from cityid.accounts import selectors, services
from cityid.accounts.forms import PartnerKeyForm
from cityid.ui.confirm import confirm_page, confirmed
from cityid.ui.decorators import requires


def _page(request: HttpRequest, form: PartnerKeyForm | None = None) -> HttpResponse:
    return render(request, "accounts/partner_keys.html", {
        "form": form or PartnerKeyForm(), "keys": selectors.partner_keys(),
        "pending": selectors.pending_partner_keys(),
    })


@never_cache
@requires("partners.manage")
def partner_keys(request: HttpRequest) -> HttpResponse:
    form = PartnerKeyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.add_partner_key(name=form.cleaned_data["name"], by=request.user)
        except services.PartnerKeyRefused as exc:
            form.add_error(None, str(exc))
        else:
            messages.info(request, _("Requested: a second administrator must approve this key on this page."))
            return redirect("accounts:partner_keys")
    return _page(request, form)


@never_cache
@require_POST
@requires("partners.manage")
def partner_approve(request: HttpRequest, key_id: int) -> HttpResponse:
    try:
        result = services.approve_partner_key(key_id=key_id, by=request.user)
    except services.PartnerKeyRefused as exc:
        messages.error(request, str(exc))
        return redirect("accounts:partner_keys")
    # The one time the key is shown: this response only (no-store), not a redirect or a message.
    response = render(request, "accounts/partner_key_made.html", {"partner": result.partner, "key": result.key})
    response["Cache-Control"] = "no-store"
    return response


@never_cache
@require_POST
@requires("partners.manage")
def partner_withdraw(request: HttpRequest, key_id: int) -> HttpResponse:
    try:
        services.withdraw_partner_key(key_id=key_id, by=request.user)
    except services.PartnerKeyRefused as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("The request has been withdrawn."))
    return redirect("accounts:partner_keys")


@never_cache
@require_POST
@requires("partners.manage")
def partner_revoke(request: HttpRequest, key_id: int) -> HttpResponse:
    if not confirmed(request):
        return confirm_page(request, title=_("Revoke this partner key?"), consequences=[
            _("The partner's next call with this key is refused."),
            _("A revoked key cannot be used again: the partner needs a new key, which two administrators make."),
        ], button=_("Revoke the key"), cancel_url=reverse("accounts:partner_keys"))
    try:
        partner = services.revoke_partner_key(key_id=key_id, by=request.user)
    except services.PartnerKeyRefused as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("The key of %(partner)s is revoked.") % {"partner": partner.name})
    return redirect("accounts:partner_keys")
