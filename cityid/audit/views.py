"""The audit log over HTTP.

* The public, cacheable endpoints: checkpoint, C2SP hash tiles, proofs, verifier key. No login,
  and proofs, not content: the tree is over salted commitments, entry bundles are not served,
  and everything is answered against the latest checkpoint signed on the log's schedule. A
  public request never signs, integrates or writes anything.
* The auditor's pages under ``/audit/events/`` (``audit.read``): search the events, show one
  with its verified inclusion proof, and run a full verification. They read the log's tables
  only, so they never decrypt anything.
"""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST, require_safe

from cityid.audit import selectors
from cityid.audit.forms import EventSearchForm
from cityid.audit.merkle import parse_tile_path
from cityid.audit.services import record_event
from cityid.audit.verify import VerifyError, verify_log
from cityid.ui.decorators import requires

TEXT = "text/plain; charset=utf-8"
BINARY = "application/octet-stream"
IMMUTABLE = "public, max-age=31536000, immutable"
PARTIAL = "public, max-age=60"
CHECKPOINT = "public, max-age=10"
PROOF = "public, max-age=3600"
KEY = "public, max-age=86400"


def _cached(response: HttpResponse, policy: str) -> HttpResponse:
    response["Cache-Control"] = policy
    response["Access-Control-Allow-Origin"] = "*"  # public data: let auditors' browser tools fetch it
    return response


def _not_found(text: str) -> HttpResponse:
    response = HttpResponse(text + "\n", content_type=TEXT, status=404)
    response["Cache-Control"] = "no-store"
    response["Access-Control-Allow-Origin"] = "*"
    return response


@require_safe
def checkpoint(request: HttpRequest) -> HttpResponse:
    text = selectors.checkpoint_note()
    if text is None:
        return _not_found("no checkpoint has been signed yet; checkpoints are signed on a schedule")
    return _cached(HttpResponse(text, content_type=TEXT), CHECKPOINT)


@require_safe
def verifier_key(request: HttpRequest) -> HttpResponse:
    text = selectors.verifier_key_text()
    if text is None:
        return _not_found("the log has no signing key yet")
    return _cached(HttpResponse(text, content_type=TEXT), KEY)


@require_safe
def verifier_keys(request: HttpRequest) -> HttpResponse:
    text = selectors.verifier_keys_text()
    if text is None:
        return _not_found("the log has no signing key yet")
    return _cached(HttpResponse(text, content_type=TEXT), KEY)


@require_safe
def tile(request: HttpRequest, path: str) -> HttpResponse:
    try:
        ref = parse_tile_path("tile/" + path)
    except ValueError:
        raise Http404("not a tile path") from None
    if ref.is_entries:
        return _not_found(selectors.ENTRY_BUNDLES_REFUSED)
    data = selectors.tile(ref.level, ref.index, ref.width)
    if data is None:
        return _not_found("no such tile in the latest signed checkpoint")
    return _cached(HttpResponse(data, content_type=BINARY), PARTIAL if ref.is_partial else IMMUTABLE)


def _proof(request: HttpRequest, build) -> HttpResponse:
    try:
        answer = build(request.GET)
    except selectors.BadRequest as exc:
        status = 404 if isinstance(exc, selectors.NotSigned) else 400
        response = JsonResponse({"error": str(exc)}, status=status)
        response["Cache-Control"] = "no-store"
        return response
    return _cached(JsonResponse(answer), PROOF)


@require_safe
def inclusion_proof(request: HttpRequest) -> HttpResponse:
    return _proof(request, lambda q: selectors.inclusion_proof(
        selectors.parse_count(q.get("index"), "index"),
        selectors.parse_count(q.get("size"), "size", required=False),
    ))


@require_safe
def consistency_proof(request: HttpRequest) -> HttpResponse:
    return _proof(request, lambda q: selectors.consistency_proof(
        selectors.parse_count(q.get("old"), "old"),
        selectors.parse_count(q.get("new"), "new", required=False),
    ))


# --------------------------------------------------------------------------- the auditor's pages

EVENTS_PAGE_SIZE = 50


@never_cache
@require_safe
@requires("audit.read")
def events(request: HttpRequest) -> HttpResponse:
    """Search the events by actor, action, date range and record id; newest first, 50 a page."""
    searched = any(request.GET.get(name) for name in ("actor", "action", "since", "until", "target"))
    form = EventSearchForm(request.GET if searched else None)
    page = None
    if not searched:
        page = selectors.events_page(request.GET.get("page"), EVENTS_PAGE_SIZE)
    elif form.is_valid():
        page = selectors.events_page(request.GET.get("page"), EVENTS_PAGE_SIZE, **form.criteria())
    return render(request, "audit/events.html", {
        "form": form, "page_obj": page, "searched": searched, "status": selectors.log_status(),
        "unknown_sign_ins": selectors.unknown_sign_ins(),
    })


@never_cache
@require_safe
@requires("audit.read")
def event(request: HttpRequest, index: int) -> HttpResponse:
    """One event: its canonical bytes, leaf hash, inclusion proof and whether the proof verifies."""
    proof = selectors.event_proof(index)
    if proof is None:
        raise Http404("no such event")
    return render(request, "audit/event.html", {"proof": proof, "entry": proof.entry})


@never_cache
@require_POST
@requires("audit.read")
def verify(request: HttpRequest) -> HttpResponse:
    """Recompute the whole tree from the stored entries and check every checkpoint (``cityid audit verify``)."""
    report, problem, bad_index, code = None, "", None, ""
    try:
        report = verify_log()
    except VerifyError as exc:
        problem, code = str(exc), exc.code  # the sentence for the page, the code for the log
        bad_index = getattr(exc, "index", None)
    record_event(
        actor=request.user, action="audit.verify", outcome="ok" if report else "failed",
        target="" if bad_index is None else f"index:{bad_index}", purpose=code,
    )
    return render(request, "audit/verify.html", {
        "report": report, "problem": problem, "bad_index": bad_index, "status": selectors.log_status(),
    })
