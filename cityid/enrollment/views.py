"""Thin views over the enrollment services and selectors."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from cityid.accounts.policy import allowed
from cityid.enrollment import checking, selectors, services, staging, uploads
from cityid.enrollment.forms import (
    AssignForm,
    ClosedCaseReasonForm,
    DecisionForm,
    DocumentFormSet,
    EnrollmentForm,
    QueueFilterForm,
    SearchForm,
    to_input,
)
from cityid.enrollment.inputs import EnrollmentInvalid
from cityid.enrollment.messages import problem_message
from cityid.enrollment.models import Applicant, Application, ApplicationStatus
from cityid.enrollment.submission_checks import submission_warnings
from cityid.ui.confirm import confirm_page, confirmed
from cityid.ui.decorators import requires
from cityid.ui.labels import label_list
from cityid.ui.pagination import paginate


def _forms(request: HttpRequest) -> tuple[EnrollmentForm, DocumentFormSet]:
    catalogue = services.current_rules().catalogue
    data = request.POST if request.method == "POST" else None
    files = request.FILES if request.method == "POST" else None
    form = EnrollmentForm(data, files, initial={"form_token": staging.new_token(), "address_kind": "residential"})
    formset = DocumentFormSet(data, files, prefix="doc", form_kwargs={"catalogue": catalogue})
    return form, formset


#: The form field that answers a service error named otherwise (eligibility problems name what is missing).
SERVICE_FIELDS = {"caretaker": "with_caretaker", "emergency_contact": "emergency_name"}


def _attach_service_errors(form: EnrollmentForm, filled: list, errors: dict[str, list[str]]) -> None:
    """Each service error on its field (``filled``: the document blocks with a type, which ``documents[i]``
    counts); a field the form already marks keeps the form's own message only."""
    for name, messages_ in errors.items():
        target_form, field = form, name
        if name.startswith("documents[") and "]." in name:
            index = int(name[len("documents[") : name.index("]")])
            field = name.split("].", 1)[1]
            target_form = filled[index] if index < len(filled) else form
        elif name.startswith("address."):
            field = name.split(".", 1)[1]
            field = "address_kind" if field == "kind" else field
        else:
            field = SERVICE_FIELDS.get(name, name)
        if field not in target_form.fields:
            field = None
        if field is not None and field in target_form.errors:
            continue
        for message in messages_:
            if field is None and message in target_form.non_field_errors():
                continue
            target_form.add_error(field, message)


@never_cache
@requires("enrollment.create")
def new_application(request: HttpRequest) -> HttpResponse:
    form, formset = _forms(request)
    if request.method != "POST":
        return render(request, "enrollment/new.html", {"form": form, "formset": formset})
    token = request.POST.get("form_token", "")
    earlier = staging.submitted_with(owner=request.user, token=token)
    if earlier is not None:
        return _already_submitted(request, earlier)
    form.is_valid()
    formset.is_valid()
    kept = FormFiles(request, form, formset)
    filled = [doc for doc in formset.forms if (getattr(doc, "cleaned_data", None) or {}).get("type")]
    data = to_input(form, filled, submitted_on=timezone.localdate(), photo=kept.photo,
                    scans={i: kept.scans[doc.prefix] for i, doc in enumerate(filled) if doc.prefix in kept.scans})
    errors = checking.all_problems(data, today=timezone.localdate(),
                                   date_of_birth_known=form.cleaned_data.get("date_of_birth") is not None)
    _attach_service_errors(form, filled, errors)
    warnings: list[str] = []
    if not form.errors and not formset.total_error_count():
        warnings = submission_warnings(data, request.user)
        if not warnings or form.cleaned_data.get("acknowledge_warnings"):
            try:
                application = staging.enroll_once(data=data, enrolled_by=request.user, token=token,
                                                  staged=kept.used)
            except staging.TokenUsed:
                earlier = staging.submitted_with(owner=request.user, token=token)
                if earlier is not None:
                    return _already_submitted(request, earlier)
                form.add_error(None, _("This form was already submitted. Start a new application."))
            except EnrollmentInvalid as invalid:
                _attach_service_errors(form, filled, invalid.errors)
            else:
                messages.success(request, _("Application submitted for a supervisor's decision."))
                for warning in warnings:
                    messages.warning(request, warning)
                return redirect("enrollment:submitted", public_id=application.public_id)
    # A refused POST is a 400 with the form shown again: what was typed and the files chosen kept, each error on
    # its field, the points as they stand. Warnings to acknowledge are a 200: nothing is wrong with the form.
    failed = bool(form.errors or formset.total_error_count())
    return render(request, "enrollment/new.html", {
        "form": form, "formset": formset, "warnings": warnings, "failed": failed, "kept_files": bool(kept.used),
        "error_summary": _error_summary(form, formset) if failed else [],
        "points": _points_context(request.POST),
    }, status=400 if failed else 200)


def _already_submitted(request: HttpRequest, application: Application) -> HttpResponse:
    messages.info(request, _("This form was already submitted: this is its receipt. To enroll someone else, "
                             "start a new application."))
    return redirect("enrollment:submitted", public_id=application.public_id)


class FormFiles:
    """The photo and scans of one submitted form: each upload staged (kept sealed) at once, each staged id
    checked; what could not be used is an error on its field and the rest is kept."""

    def __init__(self, request: HttpRequest, form: EnrollmentForm, formset: DocumentFormSet) -> None:
        self.photo: bytes | None = None
        self.scans: dict[str, bytes] = {}
        self.used: list[Any] = []
        self._data = request.POST.copy()
        self._user = request.user
        self.photo = self._take(form, "photo", uploads.PHOTO)
        for doc in formset.forms:
            scan = self._take(doc, "scan", uploads.SCAN)
            if scan is not None:
                self.scans[doc.prefix] = scan
        if not staging.valid_token(self._data.get("form_token", "")):
            self._data["form_token"] = staging.new_token()  # the form shown again is sent once too
        for bound in [form, *formset.forms]:
            bound.data = self._data  # the kept ids are sent again with the form

    def _take(self, form: Any, field: str, kind: str) -> bytes | None:
        hidden = form.add_prefix(f"{field}_staged")
        upload = (getattr(form, "cleaned_data", None) or {}).get(field) if field not in form.errors else None
        staged = None
        try:
            if upload is not None:
                staged = staging.stage(owner=self._user, kind=kind, upload=upload)
            elif self._data.get(hidden):
                staged = staging.find(owner=self._user, public_id=self._data.get(hidden), kind=kind)
        except staging.StagingRefused as refused:
            form.add_error(field, str(refused))
            if upload is None:
                self._data[hidden] = ""
        if staged is None:
            return None
        try:
            data = staging.data_of(staged)
        except staging.StagingRefused as refused:
            form.add_error(field, str(refused))
            self._data[hidden] = ""
            return None
        self._data[hidden] = str(staged.public_id)
        setattr(form, f"kept_{field}", staging.name_of(staged))  # shown as "photo.jpg kept — change"
        self.used.append(staged.public_id)
        return data


def _error_summary(form: EnrollmentForm, formset: DocumentFormSet) -> list[dict[str, str]]:
    """Every error of the form, in page order, with the id of the field it concerns (for a link)."""
    entries = [{"anchor": "enroll-form", "label": "", "message": str(e)} for e in form.non_field_errors()]
    entries += [{"anchor": "enroll-form", "label": "", "message": str(e)} for e in formset.non_form_errors()]
    for bound, block in [(form, None), *[(doc, n + 1) for n, doc in enumerate(formset.forms)]]:
        if block is not None:
            label = _("Document %(n)s") % {"n": block}
            entries += [{"anchor": f"document-{block}", "label": label, "message": str(e)}
                        for e in bound.non_field_errors()]
        for name, field in bound.fields.items():
            if name in bound.errors:
                shown = str(field.label or "")
                if block is not None:
                    shown = _("Document %(n)s, %(field)s") % {"n": block, "field": shown}
                entries += [{"anchor": bound[name].auto_id, "label": shown, "message": str(e)}
                            for e in bound.errors[name]]
    return entries


@never_cache
@require_POST
@requires("enrollment.create")
def stage_upload(request: HttpRequest) -> JsonResponse:
    """The form's script sends a photo or scan here the moment it is chosen: it is cleaned and kept sealed for
    this clerk, and its id goes back into the form. Only the id and the file's name come back."""
    kind = request.POST.get("kind", "")
    upload = request.FILES.get("file")
    if kind not in staging.KINDS or upload is None:
        return JsonResponse({"error": _("Choose a file to upload.")}, status=400)
    try:
        staged = staging.stage(owner=request.user, kind=kind, upload=upload)
    except staging.StagingRefused as refused:
        return JsonResponse({"error": str(refused)}, status=400)
    return JsonResponse({"id": str(staged.public_id), "name": staging.name_of(staged)}, status=201)


@never_cache
@requires("enrollment.create")
def submitted(request: HttpRequest, public_id: str) -> HttpResponse:
    """The receipt, for the staff member who took the application only: its reference works as the
    applicant's subject-access identifier, so nobody else is shown it (a 404, as for no application)."""
    application = get_object_or_404(Application, public_id=public_id, enrolled_by=request.user)
    return render(request, "enrollment/submitted.html", {"application": application})


def _points_context(post: Any) -> dict[str, Any]:
    """The live points for the form as it stands (no personal data stored)."""
    from datetime import date

    from cityid.enrollment import eligibility

    rules = services.current_rules()
    documents = []
    try:
        total = int(post.get("doc-TOTAL_FORMS", "0") or 0)
    except ValueError:
        total = 0
    for index in range(max(0, min(total, DocumentFormSet.max_num))):
        code = post.get(f"doc-{index}-type", "")
        if not code:
            continue
        try:
            expires = (
                date.fromisoformat(post.get(f"doc-{index}-expires", ""))
                if post.get(f"doc-{index}-expires")
                else None
            )
        except ValueError:
            expires = None
        documents.append(
            eligibility.PresentedDocument(
                type=code, expires=expires, shows_city_address=post.get("address_kind") == "residential"
            )
        )
    try:
        date_of_birth = date.fromisoformat(post.get("date_of_birth", ""))
    except ValueError:
        return {"need_dob": True, "count": len(documents)}
    result = eligibility.evaluate(
        rules,
        date_of_birth=date_of_birth,
        as_of=timezone.localdate(),
        documents=documents,
        with_caretaker=bool(post.get("with_caretaker")),
        has_emergency_contact=bool(post.get("emergency_name")),
    )
    problems = [problem_message(p) for p in result.problems]
    return {"result": result, "problems": problems, "rules": rules}


@require_POST
@requires("enrollment.create")
def points(request: HttpRequest) -> HttpResponse:
    """htmx: the live points count for the form as it stands (no personal data stored)."""
    return render(request, "enrollment/_points.html", _points_context(request.POST))


def _queue_page(request: HttpRequest, cases: Any, template: str, **extra: Any) -> HttpResponse:
    filters = QueueFilterForm(request.GET or None, sites=selectors.known_sites())
    chosen = filters.values()
    page = paginate(selectors.filter_cases(cases, **chosen), request.GET.get("page"))
    rows = selectors.queue_rows(actor=request.user, applications=list(page.object_list))
    querystring = urlencode({key: value for key, value in chosen.items() if value})
    return render(request, template, {"page_obj": page, "rows": rows, "filters": filters,
                                      "querystring": querystring, **extra})


@never_cache
@requires("enrollment.queue")
def queue(request: HttpRequest) -> HttpResponse:
    """The decision queue: who is waiting (names for the cases the reader may read them through; a logged
    read) and for how long, oldest first, filtered by site and holder. A case outside the supervisor's reach is
    assigned from its row: opening it would be a refused read."""
    holders = _assign_form(None).fields["holder"].choices if allowed(request.user.role, "enrollment.assign") else []
    return _queue_page(request, selectors.pending_applications(), "enrollment/queue.html", holders=holders)


@never_cache
@requires("enrollment.read_personal")
def my_cases(request: HttpRequest) -> HttpResponse:
    """The open cases assigned to the signed-in person or their site, with names (a logged read)."""
    return _queue_page(request, selectors.open_cases_for(request.user), "enrollment/my_cases.html")


def _refused(request: HttpRequest, refused: selectors.PurposeInvalid, *, applicant: Applicant | None = None,
             application: Application | None = None) -> HttpResponse:
    """The 403 page of a refused read: why, and what to do; no personal data."""
    user = request.user
    assign_form = None
    if application is not None and application.status == ApplicationStatus.SUBMITTED and allowed(
        user.role, "enrollment.assign"
    ):
        assign_form = _assign_form(None)
    return render(request, "enrollment/refused.html", {
        "message": str(refused), "code": refused.code, "applicant": applicant, "application": application,
        "assign_form": assign_form,
    }, status=403)


def _assign_form(data: Any) -> AssignForm:
    return AssignForm(data, staff=list(selectors.assignable_staff()), sites=selectors.known_sites())


@never_cache
@requires("enrollment.decide")
def review(request: HttpRequest, public_id: str) -> HttpResponse:
    """The supervisor's review of one application: the case, in the supervisors' decision queue (or assigned to
    them or their site), is the purpose of the read; any other case is refused."""
    application = get_object_or_404(Application.objects.select_related("applicant"), public_id=public_id)
    form = DecisionForm(request.POST or None)
    if request.method == "POST":
        try:
            selectors.check_purpose(applicant=application.applicant, actor=request.user, purpose=application.ref)
        except selectors.PurposeInvalid as refused:
            return _refused(request, refused, applicant=application.applicant, application=application)
        if form.is_valid() and form.cleaned_data["decision"] == "deny" and not confirmed(request):
            return confirm_page(request, title=_("Deny this application?"), consequences=[
                _("The application is denied for: %(reasons)s.")
                % {"reasons": label_list("denial_reason", form.cleaned_data["reasons"])},
                _("The decision is final: only an appeal by the applicant reopens the case."),
                _("The case leaves the decision queue."),
            ], button=_("Deny the application"),
                cancel_url=reverse("enrollment:review", args=[application.public_id]))
        if form.is_valid():
            try:
                services.decide(
                    application=application,
                    approve=form.cleaned_data["decision"] == "approve",
                    reasons=form.cleaned_data.get("reasons") or [],
                    decided_by=request.user,
                )
            except services.DecisionRefused as refused:
                form.add_error(None, str(refused))
            else:
                messages.success(request, _("Decision recorded."))
                return redirect("enrollment:queue")
    try:
        view = selectors.read_applicant(applicant=application.applicant, actor=request.user, purpose=application.ref)
    except selectors.PurposeInvalid as refused:
        return _refused(request, refused, applicant=application.applicant, application=application)
    return render(
        request,
        "enrollment/review.html",
        {"application": application, "view": view, "form": form, "purpose": application.ref,
         "assign_form": _assign_form(None) if allowed(request.user.role, "enrollment.assign") else None},
    )


@never_cache
@require_POST
@requires("enrollment.assign")
def assign(request: HttpRequest, public_id: str) -> HttpResponse:
    """A supervisor moves an open case to a clerk, a site's queue or the decision queue (audited, ids only)."""
    application = get_object_or_404(Application, public_id=public_id)
    form = _assign_form(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose who the case is assigned to from the list."))
        return redirect("enrollment:queue")
    try:
        services.assign_case(application=application, by=request.user, **form.target())
    except services.CaseAccessRefused as refused:
        messages.error(request, str(refused))
    else:
        messages.success(request, _("Case assigned."))
    return redirect("enrollment:queue")


@never_cache
@requires("enrollment.read_personal")
def applicant_detail(request: HttpRequest, public_id: str) -> HttpResponse:
    """Without a purpose: the purpose page (audited), listing only the purposes this person may use. With one:
    the record, if the purpose binds this person to this applicant now; else a 403 saying why."""
    applicant = get_object_or_404(Applicant, public_id=public_id)
    purpose = request.GET.get("purpose", "")
    if request.method == "POST" or not purpose:
        return _purpose_page(request, applicant)
    try:
        view = selectors.read_applicant(applicant=applicant, actor=request.user, purpose=purpose)
    except selectors.PurposeInvalid as refused:
        return _refused(request, refused, applicant=applicant)
    return render(request, "enrollment/applicant.html", {"view": view, "purpose": _shown_purpose(purpose),
                                                         "purpose_label": _purpose_label(purpose)})


def _purpose_label(purpose: str) -> str:
    """The purpose as a reader says it: "case 23a0fc9f" (the reference My cases shows), or a recorded reason."""
    kind, value = selectors.parse_purpose(purpose) or ("", "")
    if kind == "application":
        return _("case %(reference)s") % {"reference": value[:8]}
    return _("a recorded reason")


def _shown_purpose(purpose: str) -> str:
    kind, _id = selectors.parse_purpose(purpose) or ("", "")
    return f"{kind}:{_id}"


def _purpose_page(request: HttpRequest, applicant: Applicant) -> HttpResponse:
    closed = selectors.closed_cases_for_reason(actor=request.user, applicant=applicant)
    form = ClosedCaseReasonForm(request.POST or None, cases=closed) if closed else None
    if request.method == "POST" and form is not None and form.is_valid():
        try:
            access = services.open_closed_case(application=form.case(), actor=request.user,
                                               reason=form.cleaned_data["reason"])
        except services.CaseAccessRefused as refused:
            form.add_error(None, str(refused))
        else:
            return redirect(f"{reverse('enrollment:applicant', args=[applicant.public_id])}?"
                            f"{urlencode({'purpose': access.ref})}")
    purposes, closed = selectors.purpose_page(actor=request.user, applicant=applicant)
    return render(request, "enrollment/purpose.html", {
        "applicant": applicant, "purposes": purposes, "reason_form": form,
        "minutes": services.closed_case_minutes(),
    })


def _read_or_refuse(request: HttpRequest, read: Any, *, disposition: str, filename: str, **kwargs: Any) -> HttpResponse:
    try:
        found = read(actor=request.user, purpose=request.GET.get("purpose", ""), **kwargs)
    except selectors.PurposeInvalid as refused:
        return _refused(request, refused)
    if found is None:
        raise Http404
    return _file_response(found[0], found[1], disposition=disposition, filename=filename)


@never_cache
@requires("enrollment.read_personal")
def photo(request: HttpRequest, public_id: str) -> HttpResponse:
    applicant = get_object_or_404(Applicant, public_id=public_id)
    # Shown inline (an <img> on the record): only ever a JPEG or PNG, typed as such and never sniffed.
    return _read_or_refuse(request, selectors.read_photo, applicant=applicant, disposition="inline", filename="photo")


@never_cache
@requires("enrollment.read_personal")
def scan(request: HttpRequest, public_id: str, position: int) -> HttpResponse:
    application = get_object_or_404(Application.objects.select_related("applicant"), public_id=public_id)
    # A download, never a page: a PDF's viewer or a file stored before uploads were cleaned runs nothing here.
    return _read_or_refuse(request, selectors.read_scan, application=application, position=position,
                           disposition="attachment", filename=f"scan-{position}")



SERVED_TYPES = {"image/jpeg": ".jpg", "image/png": ".png", "application/pdf": ".pdf"}


def _file_response(data: bytes, content_type: str, *, disposition: str, filename: str) -> HttpResponse:
    """A stored file: its own type (else a download of bytes), a neutral name, no sniffing, and a sandbox
    CSP so that even a browser that renders it runs no script, submits no form and loads nothing."""
    if content_type not in SERVED_TYPES:
        content_type, disposition = "application/octet-stream", "attachment"
    response = HttpResponse(data, content_type=content_type)
    response["Content-Disposition"] = f'{disposition}; filename="{filename}{SERVED_TYPES.get(content_type, ".bin")}"'
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "sandbox; default-src 'none'; img-src 'self'; style-src 'unsafe-inline'"
    response["Cross-Origin-Resource-Policy"] = "same-origin"
    return response


@never_cache
@requires("enrollment.read_alerts")
def read_alerts(request: HttpRequest) -> HttpResponse:
    """Read-rate alerts for supervisors and auditors: staff, window, count (audited; no personal data)."""
    page = selectors.read_alerts_page(actor=request.user, page=request.GET.get("page"))
    return render(request, "enrollment/read_alerts.html", {"page_obj": page})


@never_cache
@requires("enrollment.search")
def search(request: HttpRequest) -> HttpResponse:
    form = SearchForm(request.POST or None)
    results = None
    if request.method == "POST" and form.is_valid():
        try:
            results = selectors.find_applicants(actor=request.user, query=form.cleaned_data["search"])
        except selectors.PurposeInvalid as refused:
            return _refused(request, refused)
    return render(request, "enrollment/search.html", {"form": form, "results": results})


@never_cache
def home(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated or not request.user.is_verified():
        return redirect("accounts:login")
    pending = None
    if allowed(request.user.role, "enrollment.queue"):
        pending = Application.objects.filter(status=ApplicationStatus.SUBMITTED).count()
    return render(request, "home.html", {"pending": pending})
