"""Two-person approval of disposition runs in the staff UI, and publishing certificates as files.

A records officer requests a run as of a date (the first approval); a different records officer
approves the request (the second), which executes ``services.run_disposition`` with both of them
as the run's approvers. The command line gives both approvers at once (``retention run``).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from cityid.accounts.policy import allowed
from cityid.accounts.selectors import account_of
from cityid.accounts.services import authorize
from cityid.audit.services import record_event
from cityid.core.actors import Actor
from cityid.core.files import PUBLIC, write_file
from cityid.retention import services
from cityid.retention.models import Certificate, DispositionRequest
from cityid.retention.services import RetentionError


def request_disposition(*, as_of: date, requested_by: Actor | None) -> DispositionRequest:
    """The first approval: a records officer asks for a run as of ``as_of``."""
    authorize(requested_by, "retention.dispose")
    if requested_by is None or not allowed(getattr(requested_by, "role", None), "retention.dispose"):
        raise RetentionError("not_requesting_officer")
    if as_of > timezone.localdate():
        raise RetentionError("as_of_in_future")
    with transaction.atomic():
        if DispositionRequest.objects.filter(as_of=as_of, approved_at=None, withdrawn_at=None).exists():
            raise RetentionError("request_waiting", day=as_of.isoformat())
        request = DispositionRequest.objects.create(as_of=as_of, requested_by=account_of(requested_by))
        record_event(actor=requested_by, action="disposition.request", target=f"request:{request.pk}",
                     purpose=as_of.isoformat())
    return request


def _pending(request_id: int) -> DispositionRequest:
    try:
        request = DispositionRequest.objects.select_related("requested_by").get(pk=request_id)
    except DispositionRequest.DoesNotExist:
        raise RetentionError("no_request", request=request_id) from None
    if request.approved_at is not None:
        raise RetentionError("already_approved")
    if request.withdrawn_at is not None:
        raise RetentionError("withdrawn")
    return request


def approve_request(
    *, request_id: int, approved_by: Actor | None, progress: services.Progress = None
) -> DispositionRequest:
    """The second approval: a different records officer approves, and the run executes.

    The request is marked approved only once the run has finished, so a run interrupted by a crash
    is resumed by approving again (or by ``cityid retention run`` with the same two people). The
    returned request's ``executed_now`` says whether this approval destroyed anything."""
    authorize(approved_by, "retention.dispose")
    request = _pending(request_id)
    if approved_by is None or approved_by.pk == request.requested_by_id:
        raise RetentionError("own_request")
    started = timezone.now()
    certificate = services.run_disposition(
        as_of=request.as_of, approvers=[request.requested_by, approved_by], progress=progress,
        requested_at=request.created_at,
    )
    if certificate is not None:
        write_certificate_file(certificate)
    with transaction.atomic():
        request = DispositionRequest.objects.select_for_update().get(pk=request.pk)
        if request.approved_at is None:
            request.approved_by, request.approved_at = account_of(approved_by), timezone.now()
            request.run = certificate.run if certificate is not None else None
            request.save(update_fields=["approved_by", "approved_at", "run"])
    #: False when the certificate is an earlier run's (nothing more was due as of that date).
    request.executed_now = certificate is not None and certificate.created_at >= started
    return request


def withdraw_request(*, request_id: int, withdrawn_by: Actor | None) -> DispositionRequest:
    """The requester (or any records officer) withdraws a request still waiting for approval."""
    authorize(withdrawn_by, "retention.dispose")
    with transaction.atomic():
        request = _pending(request_id)
        request.withdrawn_at = timezone.now()
        request.save(update_fields=["withdrawn_at"])
        record_event(actor=withdrawn_by, action="disposition.withdraw", target=f"request:{request.pk}")
    return request


def certificate_path(certificate: Certificate) -> Path:
    return Path(settings.DATA_DIR) / "certificates" / f"run-{certificate.run_id}.json"


def write_certificate_file(certificate: Certificate) -> Path:
    """Publish the signed certificate as ``DATA_DIR/certificates/run-N.json`` (no personal data in it)."""
    path = certificate_path(certificate)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_file(path, certificate.document, mode=PUBLIC)
    return path
