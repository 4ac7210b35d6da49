"""Thin staff views over law-enforcement requests: the list, logging on receipt, the request page (counsel's
review, decision, production, notice), and the process's documents."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from cityid.disclosure import law_enforcement as rules
from cityid.disclosure import law_enforcement_selectors as selectors
from cityid.disclosure import law_enforcement_services as services
from cityid.disclosure.law_enforcement import LawEnforcementError
from cityid.disclosure.law_enforcement_forms import (
    ChangeForm,
    DocumentForm,
    GagForm,
    LogRequestForm,
    NoticeForm,
    SubjectsForm,
)
from cityid.disclosure.law_enforcement_models import LawEnforcementRequest
from cityid.enrollment.uploads import UploadRefused
from cityid.ui.confirm import confirm_page, confirmed
from cityid.ui.decorators import requires
from cityid.ui.labels import label, label_list
from cityid.ui.pagination import paginate

MAX_UPLOAD = services.MAX_DOCUMENT_BYTES


def _upload(form_file) -> bytes:  # type: ignore[no-untyped-def]
    if form_file.size > MAX_UPLOAD:
        raise LawEnforcementError("document_too_big", most_mb=MAX_UPLOAD // 2**20)
    return form_file.read()


@never_cache
@requires("law_enforcement.read")
def request_list(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status", "open")
    if status not in selectors.FILTERS:
        status = "open"
    page = paginate(selectors.requests_for(actor=request.user, status=status), request.GET.get("page"))
    return render(request, "disclosure/law_enforcement/list.html", {
        "page_obj": page, "status": status, "filters": list(selectors.FILTERS),
        "is_counsel": selectors.is_counsel(request.user),
    })


@never_cache
@requires("law_enforcement.log")
def request_new(request: HttpRequest) -> HttpResponse:
    form = LogRequestForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            document = _upload(data["document"]) if data.get("document") else None
            if document is not None:
                from cityid.enrollment.inputs import clean_file
                from cityid.enrollment.uploads import SCAN

                clean_file(document, SCAN)  # refused before anything is written
            logged = services.log_request(
                agency_type=data["agency_type"], legal_process=data["legal_process"], received_on=data["received_on"],
                agency=data["agency"], officer=data["officer"], reference=data["reference"],
                subjects=data["subjects"], search=data["search"], kinds=data["kinds"], notes=data["notes"],
                gag_order=data["gag_order"], gag_until=data["gag_until"], logged_by=request.user,
            )
            if document is not None:
                services.attach_document(request=logged, data=document, uploaded_by=request.user)
        except (LawEnforcementError, UploadRefused) as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Request %(number)s logged. Counsel will review it; nothing is produced "
                                        "without counsel's decision.") % {"number": logged.number})
            return redirect("law_enforcement:detail", public_id=logged.public_id)
    return render(request, "disclosure/law_enforcement/new.html", {"form": form})


def _found(request: HttpRequest, public_id: str) -> LawEnforcementRequest:
    found = selectors.request_for(actor=request.user, public_id=public_id)
    if found is None:
        raise Http404
    return found


def _detail_page(request: HttpRequest, found: LawEnforcementRequest, *, change_form: ChangeForm | None = None,
                 status: int = 200) -> HttpResponse:
    counsel = selectors.is_counsel(request.user)
    selectors.reveal(found, actor=request.user)
    own = found.logged_by_id == request.user.pk
    deciding = counsel and not own
    changes = rules.available_changes(found.status, process=found.legal_process) if deciding else []
    return render(request, "disclosure/law_enforcement/detail.html", {
        "found": found,
        "details": found.details,
        "ordered": found.ordered,
        "items": selectors.item_rows(found) if deciding else [],
        "documents": selectors.documents_of(found),
        "can_read_documents": counsel or own,
        "can_add_documents": (counsel or own) and found.status != rules.CLOSED,
        "deciding": deciding,
        "own": own and counsel,
        "changes": [change for change in changes if change not in (rules.PRODUCE, rules.FINISH)],
        "can_order": rules.PRODUCE in changes,
        "can_finish": rules.FINISH in changes,
        "compels": found.legal_process in rules.COMPELLING_PROCESSES,
        "change_form": change_form or ChangeForm(initial={"change": rules.PRODUCE}),
        "document_form": DocumentForm(),
        "gag_form": GagForm(initial={"gag_order": found.gag_order, "gag_until": found.gag_until}),
        "notice_form": NoticeForm(),
        "subjects_form": SubjectsForm(),
        "can_add_subjects": own and not counsel and found.status in (rules.LOGGED, rules.UNDER_REVIEW),
        "notice_allowed": services.notice_allowed(found, timezone.localdate()),
    }, status=status)


@never_cache
@requires("law_enforcement.read")
def request_detail(request: HttpRequest, public_id: str) -> HttpResponse:
    return _detail_page(request, _found(request, public_id))


@never_cache
@require_POST
@requires("law_enforcement.decide")
def request_change(request: HttpRequest, public_id: str) -> HttpResponse:
    found = _found(request, public_id)
    form = ChangeForm(request.POST)
    if not form.is_valid():
        return _detail_page(request, found, change_form=form, status=400)
    data = form.cleaned_data
    if data["change"] != rules.REVIEW and not confirmed(request):
        try:
            return _confirm_change(request, found, data)
        except LawEnforcementError as exc:  # an order that cannot be right is shown before anything is asked
            form.add_error(None, str(exc))
            return _detail_page(request, found, change_form=form, status=400)
    try:
        services.change_request(request=found, change=data["change"], by=request.user,
                                ordered_subjects=data["ordered_subjects"], ordered_kinds=data["ordered_kinds"],
                                note=data["note"])
    except LawEnforcementError as exc:
        if data["change"] == rules.PRODUCE:
            form.add_error(None, str(exc))
            return _detail_page(request, _found(request, public_id), change_form=form, status=400)
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Done: the request's status is recorded and written to the audit log."))
    return redirect("law_enforcement:detail", public_id=found.public_id)


def _confirm_change(request: HttpRequest, found: LawEnforcementRequest, data: dict) -> HttpResponse:
    """Every change but starting the review is final: the page says what it does before it is done."""
    change, number = data["change"], found.number
    titles = {
        rules.REFUSE: _("Refuse request %(number)s?"),
        rules.CHALLENGE: _("Challenge request %(number)s?"),
        rules.PRODUCE: _("Order production on request %(number)s?"),
        rules.FINISH: _("Finish production on request %(number)s?"),
        rules.WITHDRAW: _("Record request %(number)s as withdrawn?"),
        rules.CLOSE: _("Close request %(number)s?"),
    }
    consequences = {
        rules.REFUSE: [_("Nothing is produced: the request is refused, as counsel's decision."),
                       _("The refusal counts in the public transparency report; it cannot be changed to "
                         "production afterwards.")],
        rules.CHALLENGE: [_("Counsel moves to quash or modify the process: nothing is produced while it is "
                            "challenged."),
                          _("The challenge counts in the public transparency report.")],
        rules.FINISH: [_("Production ends: an ordered item not produced yet can no longer be produced.")],
        rules.WITHDRAW: [_("The request is recorded as withdrawn by the agency: nothing can be produced on it.")],
        rules.CLOSE: [_("The request is closed: nothing more can be recorded on it.")],
    }
    if change == rules.PRODUCE:
        ordered = rules.make_scope(subjects=data["ordered_subjects"],
                                   kinds=data["ordered_kinds"] or list(rules.ITEM_KINDS))
        if not ordered.subjects:
            raise LawEnforcementError("order_names_no_subject")
        kinds = label_list("le_item", data["ordered_kinds"]) if data["ordered_kinds"] else _(
            "the records the process asks for")
        lines = [_("Production is ordered for %(count)s subject(s): %(kinds)s.") % {
                     "count": len(ordered.subjects), "kinds": kinds},
                 _("Each ordered item can then be produced once, as a download; every read is recorded in the "
                   "audit log."),
                 _("The order cannot be widened afterwards.")]
    else:
        lines = consequences.get(change, [])
    lines.append(_("The decision is recorded under your name and written to the audit log."))
    return confirm_page(request, title=titles[change] % {"number": number}, consequences=lines,
                        button=label("le_change", change),
                        cancel_url=reverse("law_enforcement:detail", args=[found.public_id]))


@never_cache
@require_POST
@requires("law_enforcement.produce")
def produce(request: HttpRequest, public_id: str) -> HttpResponse:
    """Produce one ordered item: the file is handed over once, as a download; it is not kept."""
    found = _found(request, public_id)
    kind = request.POST.get("kind", "")
    if kind in rules.ITEM_KINDS and not confirmed(request):  # (anything else is refused below, unasked)
        return confirm_page(request, title=_("Produce this item of request %(number)s?") % {"number": found.number},
                            consequences=[
                                _("The item (%(kind)s) is read and handed over once, as a download: it cannot be "
                                  "downloaded again.") % {"kind": label("le_item", kind)},
                                _("The read is recorded in the audit log under your name."),
                            ], button=_("Produce and download"),
                            cancel_url=reverse("law_enforcement:detail", args=[found.public_id]))
    try:
        produced = services.produce_item(request=found, subject=request.POST.get("subject", ""),
                                         kind=kind, by=request.user)
    except LawEnforcementError as exc:
        messages.error(request, str(exc))
        return redirect("law_enforcement:detail", public_id=found.public_id)
    response = HttpResponse(produced.data, content_type=produced.content_type)
    response["Content-Disposition"] = f'attachment; filename="{produced.filename}"'
    return response


def _small_form(request: HttpRequest, found: LawEnforcementRequest, form: forms.Form,
                act: Callable[[dict[str, Any]], object], *, done: str, invalid: str,
                refusals: tuple[type[Exception], ...] = (LawEnforcementError,)) -> HttpResponse:
    """One of the request page's small forms: ``act`` on its cleaned data, say in a message how it went (a
    refusal in its own words), and go back to the request page."""
    if not form.is_valid():
        messages.error(request, invalid)
    else:
        try:
            act(form.cleaned_data)
        except refusals as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, done)
    return redirect("law_enforcement:detail", public_id=found.public_id)


@never_cache
@require_POST
@requires("law_enforcement.log")
def document_add(request: HttpRequest, public_id: str) -> HttpResponse:
    found = _found(request, public_id)
    return _small_form(
        request, found, DocumentForm(request.POST, request.FILES),
        lambda data: services.attach_document(request=found, data=_upload(data["document"]), uploaded_by=request.user),
        done=_("The document was cleaned and sealed."), invalid=_("Choose a file to add."),
        refusals=(LawEnforcementError, UploadRefused),
    )


@never_cache
@require_POST
@requires("law_enforcement.log")
def subjects_add(request: HttpRequest, public_id: str) -> HttpResponse:
    found = _found(request, public_id)
    return _small_form(
        request, found, SubjectsForm(request.POST),
        lambda data: services.add_subjects(request=found, subjects=data["subjects"], by=request.user),
        done=_("The subjects are added to the request's scope for counsel."), invalid=_("Name at least one subject."),
    )


@never_cache
@requires("law_enforcement.read")
def document(request: HttpRequest, public_id: str, document_id: int) -> HttpResponse:
    found = _found(request, public_id)
    opened = selectors.read_document(request=found, document_id=document_id, actor=request.user)
    if opened is None:
        raise Http404
    data, content_type = opened
    response = HttpResponse(data, content_type=content_type)
    extension = {"application/pdf": "pdf", "image/png": "png"}.get(content_type, "jpg")
    response["Content-Disposition"] = f'attachment; filename="{found.number}-document-{document_id}.{extension}"'
    return response


@never_cache
@require_POST
@requires("law_enforcement.decide")
def gag(request: HttpRequest, public_id: str) -> HttpResponse:
    found = _found(request, public_id)
    return _small_form(
        request, found, GagForm(request.POST),
        lambda data: services.set_gag_order(request=found, gag_order=data["gag_order"], gag_until=data["gag_until"],
                                            by=request.user),
        done=_("The gag order is recorded."), invalid=_("Enter a valid date."),
    )


@never_cache
@require_POST
@requires("law_enforcement.decide")
def notice(request: HttpRequest, public_id: str) -> HttpResponse:
    found = _found(request, public_id)
    return _small_form(
        request, found, NoticeForm(request.POST),
        lambda data: services.record_notice(request=found, notice_on=data["notice_on"], by=request.user),
        done=_("The notice to the applicant is recorded."), invalid=_("Enter a valid date."),
    )
