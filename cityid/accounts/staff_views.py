"""The administrator's pages: staff accounts, roles, leavers and authenticators (``staff.manage``).

Administrators read no personal data (DESIGN.md §2): these pages show staff accounts only.
One-time passwords and TOTP secrets appear once, in the body of the POST response that made
them (never in a URL, a message or a log), and no page here is cached.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from cityid.accounts import services
from cityid.accounts.forms import DeactivateForm, NewStaffForm, RoleForm
from cityid.accounts.policy import ROLES
from cityid.accounts.views import requires

PAGE_SIZE = 25


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
    page = Paginator(users.only("pk", "username", "role", "is_active", "last_login"), PAGE_SIZE) \
        .get_page(request.GET.get("page"))
    return render(request, "accounts/staff_list.html",
                  {"page_obj": page, "role": role, "roles": list(ROLES.items())})


@never_cache
@requires("staff.manage")
def staff_new(request: HttpRequest) -> HttpResponse:
    form = NewStaffForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            new = services.create_staff(username=form.cleaned_data["username"], role=form.cleaned_data["role"],
                                        created_by=request.user)
        except ValueError:
            form.add_error("username", _("A staff account with this username already exists."))
        else:
            return render(request, "accounts/staff_new.html", {"new": new, "staff_member": new.user})
    return render(request, "accounts/staff_new.html", {"form": form})


def _detail(request: HttpRequest, user, **extra) -> HttpResponse:
    context = {
        "staff_member": user,
        "role_form": extra.pop("role_form", None) or RoleForm(initial={"role": user.role}, auto_id="role_%s"),
        "deactivate_form": extra.pop("deactivate_form", None) or DeactivateForm(auto_id="deactivate_%s"),
        "is_self": user.pk == request.user.pk,
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
        services.set_role(user, role=form.cleaned_data["role"], by=request.user)
    except services.StaffRefused as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("%(username)s is now: %(role)s.")
                         % {"username": user.username, "role": ROLES[user.role]})
    return redirect("accounts:staff_detail", pk=user.pk)


@never_cache
@require_POST
@requires("staff.manage")
def staff_deactivate(request: HttpRequest, pk: int) -> HttpResponse:
    user = _staff(pk)
    form = DeactivateForm(request.POST, auto_id="deactivate_%s")
    if not form.is_valid():
        return _detail(request, user, deactivate_form=form)
    try:
        services.deactivate_staff(user, by=request.user, reason=form.cleaned_data["reason"])
    except services.StaffRefused as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("%(username)s is deactivated and has been signed out everywhere.")
                         % {"username": user.username})
    return redirect("accounts:staff_detail", pk=user.pk)


@never_cache
@require_POST
@requires("staff.manage")
def staff_reactivate(request: HttpRequest, pk: int) -> HttpResponse:
    user = _staff(pk)
    try:
        password = services.reactivate_staff(user, by=request.user)
    except services.StaffRefused as exc:
        messages.error(request, str(exc))
        return redirect("accounts:staff_detail", pk=user.pk)
    user.refresh_from_db()
    return _detail(request, user, one_time_password=password)


@never_cache
@require_POST
@requires("staff.manage")
def staff_reset_mfa(request: HttpRequest, pk: int) -> HttpResponse:
    user = _staff(pk)
    try:
        authenticator = services.reset_mfa(user, by=request.user)
    except services.StaffRefused as exc:
        messages.error(request, str(exc))
        return redirect("accounts:staff_detail", pk=user.pk)
    return _detail(request, user, authenticator=authenticator)
