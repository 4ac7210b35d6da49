"""FOIL officers' pages: thin, over ``services`` and ``selectors``.

The queue and a request's page show metadata only (id, dates, status, flags, codes). What the requester wrote
is opened on the request's page with a stated purpose (a logged read, ``selectors.read_request``); it is never
put in a URL. Requests are addressed by their public id, which says nothing about the requester."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from cityid.accounts.policy import allowed
from cityid.disclosure import selectors, services
from cityid.disclosure.deadlines import DeadlineError
from cityid.disclosure.forms import ReadForm, StepForm
from cityid.disclosure.models import ClosingReason, FoilRequest
from cityid.disclosure.services import FoilError, Step
from cityid.ui.decorators import requires
from cityid.ui.pagination import paginate

QUEUE_LABELS = {
    "open": gettext_lazy("Open"),
    "overdue": gettext_lazy("Overdue"),
    "appealed": gettext_lazy("Appealed"),
    "finished": gettext_lazy("Finished"),
    "all": gettext_lazy("All"),
}
STEP_TITLES = {
    "acknowledge": gettext_lazy("Acknowledge"),
    "start": gettext_lazy("Mark in progress"),
    "extend": gettext_lazy("Extend with a date certain"),
    "determine": gettext_lazy("Determine"),
    "close": gettext_lazy("Close"),
    "appeal": gettext_lazy("Record an appeal received by mail"),
    "decide_appeal": gettext_lazy("Determine the appeal"),
}
STEP_DONE = {
    "acknowledge": gettext_lazy("The request is acknowledged; the requester is notified."),
    "start": gettext_lazy("The request is in progress."),
    "extend": gettext_lazy("The request is extended; the requester is notified."),
    "determine": gettext_lazy("The determination is made; the requester is notified."),
    "close": gettext_lazy("The request is closed; the requester is notified."),
    "appeal": gettext_lazy("The appeal is recorded; the requester is notified."),
    "decide_appeal": gettext_lazy("The appeal is determined; the requester is notified."),
}


def _today() -> Any:
    return selectors.current_calendar().local_date(timezone.now())


@never_cache
@requires("foil.queue")
def foil_queue(request: HttpRequest) -> HttpResponse:
    queue = request.GET.get("queue", "open")
    if queue not in selectors.QUEUES:
        queue = "open"
    today = _today()
    cal = selectors.current_calendar()
    page = paginate(selectors.foil_queue(queue, today=today), request.GET.get("page"))
    rows = [{"foil": foil, "flags": selectors.flags(foil, today=today, cal=cal)} for foil in page.object_list]
    context = {"page_obj": page, "rows": rows, "queue": queue, "queues": QUEUE_LABELS, "today": today}
    partial = request.headers.get("HX-Request") and not request.headers.get("HX-History-Restore-Request")
    return render(request, "disclosure/_foil_queue_table.html" if partial else "disclosure/foil_queue.html", context)


def _get(public_id: str) -> FoilRequest:
    found = selectors.request_by_id(public_id)
    if found is None:
        raise Http404
    return found


def _closing_choices(foil: FoilRequest) -> list[tuple[str, Any]]:
    if foil.status in services.DETERMINED:
        return [(ClosingReason.RESOLVED.value, ClosingReason.RESOLVED.label)]
    return [(value, label) for value, label in ClosingReason.choices if value != ClosingReason.RESOLVED]


def _detail(request: HttpRequest, foil: FoilRequest, *, bound: StepForm | None = None,
            details: dict[str, Any] | None = None, read_form: ReadForm | None = None,
            status: int = 200) -> HttpResponse:
    steps = []
    role = getattr(request.user, "role", None)
    for kind in services.available_steps(foil):
        action = "foil.appeal" if kind == "decide_appeal" else "foil.manage"
        if not allowed(role, action):
            continue
        form = bound if bound is not None and bound.kind == kind else StepForm(
            kind=kind, closing_reasons=_closing_choices(foil))
        steps.append({"kind": kind, "title": STEP_TITLES[kind], "form": form})
    today = _today()
    return render(request, "disclosure/foil_detail.html", {
        "foil": foil,
        "flags": selectors.flags(foil, today=today),
        "next_due": selectors.next_due(foil),
        "history": selectors.history(foil),
        "letters": selectors.letters(foil),
        "steps": steps,
        "details": details,
        "read_form": read_form or ReadForm(),
        "can_read": allowed(role, "foil.read"),
        "exemptions": [code for code in foil.exemptions.split(",") if code],
    }, status=status)


@never_cache
@requires("foil.queue")
def foil_detail(request: HttpRequest, public_id: str) -> HttpResponse:
    return _detail(request, _get(public_id))


@never_cache
@require_POST
@requires("foil.read")
def foil_read(request: HttpRequest, public_id: str) -> HttpResponse:
    foil = _get(public_id)
    form = ReadForm(request.POST)
    if not form.is_valid():
        return _detail(request, foil, read_form=form, status=400)
    details = selectors.read_request(foil, actor=request.user, purpose=form.cleaned_data["purpose"])
    return _detail(request, foil, details=details or {"destroyed": True}, read_form=form)


@never_cache
@require_POST
@requires("foil.manage")
def foil_step(request: HttpRequest, public_id: str) -> HttpResponse:
    foil = _get(public_id)
    kind = request.POST.get("step", "")
    if kind not in services.STEPS:
        messages.error(request, _("Choose a step."))
        return redirect("disclosure:foil_detail", public_id=foil.public_id)
    form = StepForm(request.POST, kind=kind, closing_reasons=_closing_choices(foil))
    if not form.is_valid():
        return _detail(request, foil, bound=form, status=400)
    data = form.cleaned_data
    step = Step(date_certain=data.get("date_certain"), reason=data.get("reason") or "",
                outcome=data.get("outcome") or "", exemptions=list(data.get("exemptions") or []))
    try:
        services.change_status(foil, kind, by=request.user, step=step)
    except FoilError as error:
        form.add_error(error.field if error.field in form.fields else None, str(error))
        return _detail(request, foil, bound=form, status=400)
    except DeadlineError as error:
        form.add_error("date_certain" if "date_certain" in form.fields else None, str(error))
        return _detail(request, foil, bound=form, status=400)
    messages.success(request, str(STEP_DONE[kind]))
    return redirect("disclosure:foil_detail", public_id=foil.public_id)


