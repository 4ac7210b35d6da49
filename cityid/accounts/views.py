from __future__ import annotations

from axes.handlers.proxy import AxesProxyHandler
from django.contrib import messages
from django.contrib.auth import login, logout, update_session_auth_hash
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST
from django_otp import login as otp_login

from cityid.accounts import services
from cityid.accounts.forms import ChangePasswordForm, EnrolForm, NewPasswordForm, StaffLoginForm
from cityid.accounts.selectors import is_staff_username
from cityid.accounts.services import count_unknown_sign_in_failure
from cityid.audit.services import record_event


def login_view(request: HttpRequest) -> HttpResponse:
    form = StaffLoginForm(request, data=request.POST or None)
    if request.method == "POST":
        # Refused unchecked while locked out (axes counts it): such a request is not one leaf each either.
        locked = not AxesProxyHandler.is_allowed(request, {"username": request.POST.get("username", "")})
        if form.is_valid():
            login(request, form.user)
            otp_login(request, form.device)
            record_event(actor=form.user, action="login.success")
            target = request.POST.get("next") or request.GET.get("next") or ""
            if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
                target = ""
            if form.user.must_change_password:
                return redirect("accounts:password")
            return redirect(target or "home")
        if is_staff_username(request.POST.get("username", "")):
            if not locked:
                record_event(actor=request.user, action="login.failure", outcome="failed")
        else:
            # Anyone can send these, as many as they like: a daily count, not an audit entry each.
            count_unknown_sign_in_failure()
    return render(request, "accounts/login.html", {"form": form, "next": request.GET.get("next", "")})


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        record_event(actor=request.user, action="logout")
    logout(request)
    messages.info(request, _("You have signed out."))
    return redirect("accounts:login")


def password_view(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated or not request.user.is_verified():
        return redirect("accounts:login")
    # A voluntary change proves the current password (a session left open is not enough); the
    # forced first change replaces a one-time password the staff member has just signed in with.
    if request.user.must_change_password:
        form = NewPasswordForm(request.user, request.POST or None)
    else:
        form = ChangePasswordForm(request.user, request.POST or None, request=request)
    for field in form.fields.values():
        field.widget.attrs.setdefault("class", "usa-input")
    if request.method == "POST" and form.is_valid():
        user = form.save()
        user.must_change_password = False
        user.save(update_fields=["must_change_password"])
        update_session_auth_hash(request, user)
        record_event(actor=user, action="password.change")
        messages.success(request, _("Your password has been changed."))
        return redirect("home")
    return render(request, "accounts/password.html", {"form": form})


# --- enrolment: a staff member sets their own password and authenticator --------------------

ENROL_SESSION_KEY = "enrol_link"
ENROL_DEVICE_KEY = "enrol_device"


def _invalid_link(request: HttpRequest) -> HttpResponse:
    """One page for a forged, used, expired or superseded link: nothing about any account."""
    request.session.pop(ENROL_SESSION_KEY, None)
    request.session.pop(ENROL_DEVICE_KEY, None)
    return render(request, "accounts/enrol_invalid.html", status=404)


@never_cache
def enrol_token_view(request: HttpRequest, token: str) -> HttpResponse:
    """The link from the email: checked, remembered in a fresh session, and taken out of the URL
    (so it is not left in the address bar, the history or a Referer)."""
    link = services.usable_link(token)
    if link is None:
        return _invalid_link(request)
    if request.user.is_authenticated:
        logout(request)  # whoever was signed in here, the enrolment is not theirs to finish
    request.session.cycle_key()
    request.session[ENROL_SESSION_KEY] = link.pk
    # An authenticator of this opening's own: whoever opened the link before no longer enrols with theirs.
    request.session[ENROL_DEVICE_KEY] = services.enrolment_device(link, fresh=True).pk
    return redirect("accounts:enrol")


@never_cache
def enrol_view(request: HttpRequest) -> HttpResponse:
    import segno

    link = services.link_by_id(request.session.get(ENROL_SESSION_KEY))
    if link is None or link.device_id is None or link.device_id != request.session.get(ENROL_DEVICE_KEY):
        return _invalid_link(request)  # the link was opened again elsewhere since: that opening enrols
    device = services.enrolment_device(link)
    form = EnrolForm(link.user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.complete_enrolment(link_id=link.pk, password=form.cleaned_data["new_password1"],
                                        code=form.cleaned_data["otp_token"], device_id=device.pk)
        except services.EnrolmentFailed as exc:
            if exc.code == "link":
                return _invalid_link(request)
            form.add_error("otp_token", str(exc))
        else:
            request.session.pop(ENROL_SESSION_KEY, None)
            request.session.pop(ENROL_DEVICE_KEY, None)
            messages.success(request, _("Your account is ready. Sign in with your new password and a code "
                                        "from your authenticator app."))
            return redirect("accounts:login")
    qr = segno.make(device.config_url, error="m").svg_inline(scale=4, dark="#1b1b1b", light="#ffffff",
                                                               omitsize=False)
    return render(request, "accounts/enrol.html", {
        "form": form, "enrolling": link.user, "qr_svg": qr, "secret": device.secret,
        "expires_at": link.expires_at,
    })
