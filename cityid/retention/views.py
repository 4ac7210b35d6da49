"""Thin staff views over the retention services and selectors.

Records officers: schedules, previews, two-person disposition approval, certificates.
Counsel: legal holds. Auditors (and counsel, records officers): read-only views (``retention.read``).
"""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from cityid.accounts.policy import allowed
from cityid.retention import approvals, selectors, services
from cityid.retention.certificate import CertificateInvalid
from cityid.retention.forms import AsOfForm, HoldForm, ScheduleForm, scope_error
from cityid.retention.models import HeldRecord
from cityid.retention.scope import ScopeInvalid
from cityid.ui.confirm import confirm_page, confirmed
from cityid.ui.decorators import requires
from cityid.ui.labels import when
from cityid.ui.pagination import paginate

HOLD_STATUSES = ("active", "released", "all")


def _can(request: HttpRequest, action: str) -> bool:
    return allowed(getattr(request.user, "role", None), action)


# --- schedules ---------------------------------------------------------------------------

def _schedules_page(request: HttpRequest, form: ScheduleForm | None) -> HttpResponse:
    page = paginate(selectors.schedule_history(), request.GET.get("page"))
    return render(request, "retention/schedules.html",
                  {"current": selectors.current_schedules(), "page_obj": page, "form": form})


@never_cache
@requires("retention.read")
def schedules(request: HttpRequest) -> HttpResponse:
    return _schedules_page(request, ScheduleForm() if _can(request, "retention.schedule") else None)


@never_cache
@require_POST
@requires("retention.schedule")
def schedule_new(request: HttpRequest) -> HttpResponse:
    form = ScheduleForm(request.POST)
    if form.is_valid():
        record_class = form.cleaned_data["record_class"]
        try:
            schedule = services.set_schedule(record_class=record_class, approved_by=request.user,
                                             **form.schedule_kwargs())
            moved = services.apply_schedule(record_class=record_class)
        except services.RetentionError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, ngettext(
                "Version %(version)s of the %(class)s schedule is in effect; %(moved)s record was moved.",
                "Version %(version)s of the %(class)s schedule is in effect; %(moved)s records were moved.",
                moved,
            ) % {"version": schedule.version, "class": schedule.get_record_class_display(), "moved": moved})
            return redirect("retention:schedules")
    return _schedules_page(request, form)


# --- preview -----------------------------------------------------------------------------

@never_cache
@requires("retention.read")
def preview(request: HttpRequest) -> HttpResponse:
    form = AsOfForm(request.GET if "as_of" in request.GET else None,
                    initial={"as_of": timezone.localdate()})
    report, cohorts = None, None
    if form.is_bound and form.is_valid():
        report = selectors.preview_report(form.cleaned_data["as_of"])
        cohorts = paginate(report["cohorts"], request.GET.get("page"))
    can_request = (
        report is not None and report["destroy_total"] > 0 and _can(request, "retention.dispose")
        and form.cleaned_data["as_of"] <= timezone.localdate()
    )
    return render(request, "retention/preview.html",
                  {"form": form, "report": report, "page_obj": cohorts, "can_request": can_request})


# --- disposition approval ----------------------------------------------------------------

def _requests_page(request: HttpRequest, form: AsOfForm) -> HttpResponse:
    pending = list(selectors.pending_requests())
    for item in pending:
        item.preview = services.preview(item.as_of)
    past = paginate(selectors.past_requests(), request.GET.get("page"))
    return render(request, "retention/requests.html", {"form": form, "pending": pending, "page_obj": past})


@never_cache
@requires("retention.dispose")
def requests(request: HttpRequest) -> HttpResponse:
    return _requests_page(request, AsOfForm(future=False, initial={"as_of": timezone.localdate()}))


@never_cache
@require_POST
@requires("retention.dispose")
def request_new(request: HttpRequest) -> HttpResponse:
    form = AsOfForm(request.POST, future=False)
    if form.is_valid():
        try:
            created = approvals.request_disposition(as_of=form.cleaned_data["as_of"], requested_by=request.user)
        except services.RetentionError as exc:
            form.add_error("as_of", str(exc))
        else:
            messages.success(request, _("Disposition run as of %(date)s requested. A different records officer "
                                        "must approve it before anything is destroyed.")
                             % {"date": when(created.as_of)})
            return redirect("retention:requests")
    return _requests_page(request, form)


@never_cache
@require_POST
@requires("retention.dispose")
def request_approve(request: HttpRequest, pk: int) -> HttpResponse:
    if not confirmed(request):
        return confirm_page(request, title=_("Approve disposition request %(request)s?") % {"request": pk},
                            consequences=[
            _("The disposition run starts at once: the keys of every record due and not under a legal hold are "
              "destroyed."),
            _("Destruction is final: those records can never be read again, by anyone."),
            _("A signed destruction certificate is issued and recorded in the audit log."),
        ], button=_("Approve and destroy"), cancel_url=reverse("retention:requests"))
    try:
        approved = approvals.approve_request(request_id=pk, approved_by=request.user)
    except services.RetentionError as exc:
        messages.error(request, _("The run was not executed: %(reason)s") % {"reason": exc})
        return redirect("retention:requests")
    if approved.run_id is None:
        messages.info(request, _("Approved. Nothing was due and unheld as of %(date)s: nothing was destroyed "
                                 "and no certificate was issued.") % {"date": when(approved.as_of)})
        return redirect("retention:requests")
    if approved.executed_now:
        messages.success(request, _("Approved and executed. The destruction certificate is below."))
    else:
        messages.info(request, _("Approved. Nothing more was due as of %(date)s: an earlier run had already "
                                 "destroyed it. Its certificate is below.") % {"date": when(approved.as_of)})
    return redirect("retention:certificate", run_id=approved.run_id)


@never_cache
@require_POST
@requires("retention.dispose")
def request_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        approvals.withdraw_request(request_id=pk, withdrawn_by=request.user)
    except services.RetentionError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("The request has been withdrawn."))
    return redirect("retention:requests")


# --- certificates ------------------------------------------------------------------------

@never_cache
@requires("retention.read")
def certificates(request: HttpRequest) -> HttpResponse:
    page = paginate(selectors.certificates(), request.GET.get("page"))
    return render(request, "retention/certificates.html",
                  {"page_obj": page, "rows": selectors.certificate_rows(page.object_list)})


def _certificate_or_404(run_id: int):
    certificate = selectors.certificate_for_run(run_id)
    if certificate is None:
        raise Http404
    return certificate


@never_cache
@requires("retention.read")
def certificate(request: HttpRequest, run_id: int) -> HttpResponse:
    found = _certificate_or_404(run_id)
    try:
        services.verify_certificate(found.document)
        problem = ""
    except CertificateInvalid as exc:
        problem = str(exc)
    return render(request, "retention/certificate.html",
                  {"certificate": found, "body": selectors.certificate_body(found), "problem": problem})


@never_cache
@requires("retention.read")
def certificate_download(request: HttpRequest, run_id: int) -> HttpResponse:
    found = _certificate_or_404(run_id)
    response = HttpResponse(found.document, content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="run-{found.run_id}.json"'
    return response


# --- legal holds -------------------------------------------------------------------------

@never_cache
@requires("retention.read")
def holds(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status", "active")
    if status not in HOLD_STATUSES:
        status = "active"
    page = paginate(selectors.holds(status), request.GET.get("page"))
    page.object_list = selectors.reveal_details(page.object_list, actor=request.user)
    return render(request, "retention/holds.html",
                  {"page_obj": page, "status": status, "can_hold": _can(request, "retention.hold")})


@never_cache
@requires("retention.hold")
def hold_new(request: HttpRequest) -> HttpResponse:
    form = HoldForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            hold = services.place_hold(
                case_name=data["case_name"], court=data["court"], scope=data["scope"], placed_by=request.user,
                index_number=data["index_number"], order_date=data["order_date"], notes=data["notes"],
            )
        except ScopeInvalid as exc:
            form.add_error("scope", scope_error(exc))
        except services.RetentionError as exc:
            form.add_error(None, str(exc))
        else:
            held = HeldRecord.objects.filter(hold=hold).count()
            messages.success(request, ngettext(
                "Hold %(id)s placed: %(count)s record is held.", "Hold %(id)s placed: %(count)s records are held.",
                held,
            ) % {"id": hold.pk, "count": held})
            return redirect("retention:hold", pk=hold.pk)
    return render(request, "retention/hold_form.html", {"form": form})


def _hold_or_404(request: HttpRequest, pk: int):
    hold = selectors.hold_with_counts(pk)
    if hold is None:
        raise Http404
    selectors.reveal_details([hold], actor=request.user)  # the case details for counsel only
    return hold


@never_cache
@requires("retention.read")
def hold(request: HttpRequest, pk: int) -> HttpResponse:
    found = _hold_or_404(request, pk)
    return render(request, "retention/hold.html", {
        "hold": found, "by_class": selectors.held_by_class(found), "can_hold": _can(request, "retention.hold"),
    })


@never_cache
@requires("retention.hold")
def hold_release(request: HttpRequest, pk: int) -> HttpResponse:
    found = _hold_or_404(request, pk)
    if not found.active:
        messages.info(request, _("This hold has already been released."))
        return redirect("retention:hold", pk=found.pk)
    if request.method == "POST":
        try:
            services.release_hold(hold_id=found.pk, released_by=request.user)
        except services.RetentionError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, ngettext(
                "Hold %(id)s released: %(count)s record returned to its retention schedule.",
                "Hold %(id)s released: %(count)s records returned to their retention schedules.",
                found.records_held,
            ) % {"id": found.pk, "count": found.records_held})
        return redirect("retention:hold", pk=found.pk)
    return render(request, "retention/hold_release.html", {"hold": found})
