"""The public FOIL portal: the request form, its receipt, and the requester's own status page.

Nothing personal travels in a URL: the receipt is shown in the response to the form's POST (the access code
appears there once), and the status page takes the id and the access code in a POST body. Submissions and
lookups are counted per client (``throttle``)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import translation
from django.views.decorators.cache import never_cache

from cityid.disclosure import selectors, services, throttle
from cityid.disclosure.forms import FoilRequestForm, StatusLookupForm
from cityid.disclosure.services import FoilError, FoilInput


def _attachment(form: FoilRequestForm) -> bytes | None:
    upload = form.cleaned_data.get("attachment")
    if not upload:
        return None
    if upload.size > services.attachment_max_bytes():
        raise FoilError("attachment_too_big", field="attachment", max_mb=services.attachment_max_bytes() // 2**20)
    return bytes(upload.read())


@never_cache
def request_form(request: HttpRequest) -> HttpResponse:
    form = FoilRequestForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        if form.cleaned_data["website"]:  # the hidden field: a robot. Answered like a refusal, nothing stored.
            form.add_error(None, str(FoilError("rate_limited", minutes=throttle.submissions().seconds // 60)))
            return render(request, "disclosure/foil_new.html", {"form": form}, status=429)
        wait = throttle.hit(request, throttle.submissions())
        if wait is not None:
            form.add_error(None, str(FoilError("rate_limited", minutes=wait)))
            return render(request, "disclosure/foil_new.html", {"form": form}, status=429)
        try:
            data = FoilInput(
                name=form.cleaned_data["name"], description=form.cleaned_data["description"],
                email=form.cleaned_data["email"], phone=form.cleaned_data["phone"],
                address=form.cleaned_data["address"], language=translation.get_language() or "en",
                attachment=_attachment(form),
            )
            submitted = services.submit_request(data=data, channel="web")
        except FoilError as error:
            form.add_error(error.field if error.field in form.fields else None, str(error))
        else:
            return render(request, "disclosure/foil_receipt.html",
                          {"foil": submitted.request, "access_code": submitted.access_code}, status=201)
    return render(request, "disclosure/foil_new.html", {"form": form}, status=400 if form.errors else 200)


@never_cache
def request_status(request: HttpRequest) -> HttpResponse:
    form = StatusLookupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        wait = throttle.hit(request, throttle.lookups())
        if wait is not None:
            form.add_error(None, str(FoilError("rate_limited", minutes=wait)))
            return render(request, "disclosure/foil_status.html", {"form": form}, status=429)
        found = selectors.requester_view(form.cleaned_data["public_id"], form.cleaned_data["access_code"])
        if found is None:
            form.add_error(None, str(FoilError("not_found")))
            return render(request, "disclosure/foil_status.html", {"form": form}, status=404)
        if request.POST.get("appeal") == "1":
            try:
                services.file_appeal(public_id=found.public_id, access_code=form.cleaned_data["access_code"])
            except FoilError as error:
                form.add_error(None, str(error))
            found = selectors.requester_view(found.public_id, form.cleaned_data["access_code"])
        return render(request, "disclosure/foil_status.html", {
            "form": form, "foil": found, "letters": selectors.letters(found), "can_appeal": selectors.appealable(found),
        })
    return render(request, "disclosure/foil_status.html", {"form": form}, status=400 if form.errors else 200)
