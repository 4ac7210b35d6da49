"""The administrator's pages: staff accounts, roles, leavers and authenticators (``staff.manage``).

Administrators read no personal data (DESIGN.md §2): these pages show staff accounts only. No
password, authenticator secret or enrolment link ever appears here: links go by email to the staff
member. Granting a privileged role, reactivating, replacing an authenticator and changing an email
address make a change request that a second, different administrator approves on these pages.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from cityid.accounts import selectors, services
from cityid.accounts.forms import DeactivateForm, EmailForm, NewStaffForm, RoleForm
from cityid.accounts.models import ChangeRequest
from cityid.accounts.policy import ROLES
from cityid.ui.confirm import confirm_page, confirmed
from cityid.ui.decorators import requires
from cityid.ui.pagination import paginate


def _staff(pk: int):
    return get_object_or_404(get_user_model(), pk=pk)


@never_cache
@requires("staff.manage")
def staff_list(request: HttpRequest) -> HttpResponse:
    role = request.GET.get("role", "")
    users = get_user_model().objects.order_by("username")
    if role in ROLES:
        users = users.filter(role=role)
    else:
        role = ""
    page = paginate(users.only("pk", "username", "role", "is_active", "last_login"), request.GET.get("page"))
    locked = selectors.locked_out([member.username for member in page.object_list])
    for member in page.object_list:
        member.locked_out = member.username in locked
    return render(request, "accounts/staff_list.html",
                  {"page_obj": page, "role": role, "roles": list(ROLES.items()),
                   "pending": selectors.pending_changes()})


def _requested(request: HttpRequest) -> None:
    messages.info(request, _("Requested: a second administrator must approve this change on the staff pages."))


@never_cache
@requires("staff.manage")
def staff_new(request: HttpRequest) -> HttpResponse:
    form = NewStaffForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            result = services.add_staff(username=form.cleaned_data["username"], role=form.cleaned_data["role"],
                                        email=form.cleaned_data["email"], by=request.user)
        except services.StaffRefused as exc:
            form.add_error(None, str(exc))
        else:
            if isinstance(result, ChangeRequest):
                _requested(request)
                return redirect("accounts:staff_list")
            messages.success(request, _("The account %(username)s has been created. The staff member has been sent "
                                        "an enrolment link by email to set their own password and authenticator.")
                             % {"username": result.user.username})
            return redirect("accounts:staff_detail", pk=result.user.pk)
    return render(request, "accounts/staff_new.html", {"form": form})


def _detail(request: HttpRequest, user, **extra) -> HttpResponse:
    context = {
        "staff_member": user,
        "role_form": extra.pop("role_form", None) or RoleForm(initial={"role": user.role}, auto_id="role_%s"),
        "deactivate_form": extra.pop("deactivate_form", None) or DeactivateForm(auto_id="deactivate_%s"),
        "email_form": extra.pop("email_form", None) or EmailForm(auto_id="email_%s"),
        "is_self": user.pk == request.user.pk,
        "pending": selectors.pending_changes(subject=user),
        "changes": selectors.recent_changes(subject=user),
        "enrolled": selectors.has_authenticator(user),
        "never_enrolled": selectors.never_enrolled(user),
        "locked_out": bool(selectors.locked_out([user.username])),
        **extra,
    }
    return render(request, "accounts/staff_detail.html", context)


@never_cache
@requires("staff.manage")
def staff_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _detail(request, _staff(pk))


@never_cache
@require_POST
@requires("staff.manage")
def staff_role(request: HttpRequest, pk: int) -> HttpResponse:
    user = _staff(pk)
    form = RoleForm(request.POST, auto_id="role_%s")
    if not form.is_valid():
        return _detail(request, user, role_form=form)
    try:
        change = services.set_role(user, role=form.cleaned_data["role"], by=request.user)
    except services.StaffRefused as exc:
        messages.error(request, str(exc))
    else:
        if change is not None:
            _requested(request)
        else:
            messages.success(request, _("%(username)s is now: %(role)s.")
                             % {"username": user.username, "role": ROLES[user.role]})
    return redirect("accounts:staff_detail", pk=user.pk)


@never_cache
@require_POST
@requires("staff.manage")
def staff_email(request: HttpRequest, pk: int) -> HttpResponse:
    user = _staff(pk)
    form = EmailForm(request.POST, auto_id="email_%s")
    if not form.is_valid():
        return _detail(request, user, email_form=form)
    try:
        services.change_email(user, email=form.cleaned_data["email"], by=request.user)
    except services.StaffRefused as exc:
        messages.error(request, str(exc))
    else:
        _requested(request)
    return redirect("accounts:staff_detail", pk=user.pk)


@never_cache
@require_POST
@requires("staff.manage")
def staff_deactivate(request: HttpRequest, pk: int) -> HttpResponse:
    user = _staff(pk)
    form = DeactivateForm(request.POST, auto_id="deactivate_%s")
    if not form.is_valid():
        return _detail(request, user, deactivate_form=form)
    if not confirmed(request):
        return confirm_page(request, title=_("Deactivate %(username)s?") % {"username": user.username}, consequences=[
            _("%(username)s is signed out everywhere at once and can no longer sign in.") % {"username": user.username},
            _("Getting back in needs a reactivation and a new set-up link."),
        ], button=_("Deactivate the account"), cancel_url=reverse("accounts:staff_detail", args=[user.pk]))
    try:
        services.deactivate_staff(user, by=request.user, reason=form.cleaned_data["reason"])
    except services.StaffRefused as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("%(username)s is deactivated and has been signed out everywhere.")
                         % {"username": user.username})
    return redirect("accounts:staff_detail", pk=user.pk)


def _staff_action(request: HttpRequest, pk: int, action: Callable[..., Any], done: Callable[[], None]) -> HttpResponse:
    """Run one staff service on the account ``pk`` as the signed-in administrator; a refusal is a message."""
    user = _staff(pk)
    try:
        action(user, by=request.user)
    except services.StaffRefused as exc:
        messages.error(request, str(exc))
    else:
        done()
    return redirect("accounts:staff_detail", pk=user.pk)


@never_cache
@require_POST
@requires("staff.manage")
def staff_reactivate(request: HttpRequest, pk: int) -> HttpResponse:
    return _staff_action(request, pk, services.reactivate_staff, lambda: _requested(request))


@never_cache
@require_POST
@requires("staff.manage")
def staff_reset_mfa(request: HttpRequest, pk: int) -> HttpResponse:
    return _staff_action(request, pk, services.reset_mfa, lambda: _requested(request))


@never_cache
@require_POST
@requires("staff.manage")
def staff_resend(request: HttpRequest, pk: int) -> HttpResponse:
    return _staff_action(request, pk, services.resend_link, lambda: messages.success(request, _(
        "A new enrolment link has been sent to the staff member by email; the old one no longer works.")))


@never_cache
@require_POST
@requires("staff.manage")
def staff_unlock(request: HttpRequest, pk: int) -> HttpResponse:
    user = _staff(pk)
    if services.unlock_staff(user, by=request.user):
        messages.success(request, _("%(username)s can sign in again.") % {"username": user.username})
    else:
        messages.info(request, _("%(username)s was not locked out.") % {"username": user.username})
    return redirect("accounts:staff_detail", pk=user.pk)


def _back(request: HttpRequest, change_id: int) -> HttpResponse:
    subject = selectors.change_subject_id(change_id)
    if subject:
        return redirect("accounts:staff_detail", pk=subject)
    return redirect("accounts:staff_list")


@never_cache
@require_POST
@requires("staff.manage")
def change_approve(request: HttpRequest, change_id: int) -> HttpResponse:
    try:
        services.approve_change(request_id=change_id, by=request.user)
    except services.StaffRefused as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Approved and done. Any enrolment link has been sent to the staff member "
                                    "by email."))
    return _back(request, change_id)


@never_cache
@require_POST
@requires("staff.manage")
def change_withdraw(request: HttpRequest, change_id: int) -> HttpResponse:
    try:
        services.withdraw_change(request_id=change_id, by=request.user)
    except services.StaffRefused as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("The request has been withdrawn."))
    return _back(request, change_id)
