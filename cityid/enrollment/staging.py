"""Uploads staged the moment they are chosen on the enrollment form, and the form's one-time token.

A staged photo or scan is cleaned as a stored one is (``inputs.clean_file``: decoded within the pixel limits,
re-encoded without metadata, a PDF checked) and sealed at once under a fresh data key wrapped by the provider
key ``STAGING_KEY_ID``, bound to its row, its owner and its kind: a copy of the database opens nothing, and a
row moved to another clerk opens nothing either. It lives ``CITYID_STAGED_UPLOAD_HOURS``; expired rows are
purged whenever something is staged (and by :func:`purge_expired`).
"""

from __future__ import annotations

import re
import secrets
import uuid
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cityid.core.actors import Actor
from cityid.core.errors import CityidError
from cityid.core.text import clean_text
from cityid.enrollment import services, uploads
from cityid.enrollment.inputs import EnrollmentInput, clean_file
from cityid.enrollment.models import Application, FormSubmission, StagedUpload
from cityid.vault import envelope
from cityid.vault import services as vault

STAGING_KEY_ID = "staging"
KINDS = (uploads.PHOTO, uploads.SCAN)
#: The most files one clerk may have kept at once (a form holds a photo and eight scans).
MAX_PER_OWNER = 60
TOKEN_PATTERN = re.compile(r"^[A-Za-z0-9_-]{20,64}$")


class StagingRefused(CityidError):
    """A file could not be staged, or a staged id cannot be used; ``str()`` is the message for the clerk."""


def _associated_data(staged: StagedUpload, part: str) -> bytes:
    return f"staged:{staged.public_id}:{staged.owner_id}:{staged.kind}:{part}".encode()


def _shown_name(name: str) -> str:
    """The file's own name without any folder or invisible and bidi control characters (``clean_text``), at most
    80 characters; never empty."""
    name = clean_text(str(name or ""), keep_joiners=False).replace("\\", "/").rsplit("/", 1)[-1].strip()
    return name[-80:] or _("file")


def stage(*, owner: Actor, kind: str, upload: Any) -> StagedUpload:
    """Clean, seal and keep one uploaded file (a Django ``UploadedFile``) for ``owner``; StagingRefused
    (with the reason in the clerk's words) when it is too big or not an acceptable file."""
    if kind not in KINDS:
        raise StagingRefused("unknown_kind")
    if upload.size > settings.CITYID_MAX_SCAN_BYTES:
        if kind == uploads.PHOTO:
            raise StagingRefused("photo_too_big", mb=settings.CITYID_MAX_SCAN_BYTES // 2**20)
        raise StagingRefused("scan_too_big", mb=settings.CITYID_MAX_SCAN_BYTES // 2**20)
    try:
        cleaned = clean_file(upload.read(), kind)
    except uploads.UploadRefused as refused:
        raise StagingRefused("file_refused", refusal=refused) from None
    purge_expired()
    if StagedUpload.objects.filter(owner_id=owner.pk).count() >= MAX_PER_OWNER:
        raise StagingRefused("too_many")
    staged = StagedUpload(
        owner_id=owner.pk, kind=kind, content_type=cleaned.content_type, size=len(cleaned.data),
        expires_at=timezone.now() + timedelta(hours=settings.CITYID_STAGED_UPLOAD_HOURS),
    )
    staged.sealed_data = vault.seal_with_key(STAGING_KEY_ID, cleaned.data, _associated_data(staged, "data"))
    staged.sealed_name = vault.seal_with_key(STAGING_KEY_ID, _shown_name(upload.name).encode(),
                                       _associated_data(staged, "name"))
    staged.save()
    return staged


def find(*, owner: Actor, public_id: str, kind: str) -> StagedUpload:
    """The owner's live staged file of this kind; StagingRefused for a malformed, unknown, expired or
    someone else's id (one message for all: an id reveals nothing about other clerks' files)."""
    try:
        key = uuid.UUID(str(public_id))
    except ValueError:
        key = None
    staged = None
    if key is not None:
        staged = StagedUpload.objects.filter(public_id=key, owner_id=owner.pk, kind=kind,
                                             expires_at__gt=timezone.now()).first()
    if staged is None:
        if kind == uploads.PHOTO:
            raise StagingRefused("photo_gone", hours=settings.CITYID_STAGED_UPLOAD_HOURS)
        raise StagingRefused("scan_gone", hours=settings.CITYID_STAGED_UPLOAD_HOURS)
    return staged


def name_of(staged: StagedUpload) -> str:
    try:
        return vault.open_with_key(STAGING_KEY_ID, bytes(staged.sealed_name), _associated_data(staged, "name")).decode()
    except (envelope.SealError, UnicodeDecodeError):
        return _("file")


def data_of(staged: StagedUpload) -> uploads.CleanBytes:
    """The cleaned file (cleaned when staged: not cleaned again); StagingRefused if it cannot be opened."""
    try:
        data = vault.open_with_key(STAGING_KEY_ID, bytes(staged.sealed_data), _associated_data(staged, "data"))
    except envelope.SealError:
        raise StagingRefused("unreadable") from None
    return uploads.CleanBytes(data)


def discard(public_ids: list[uuid.UUID], *, owner: Actor) -> int:
    return StagedUpload.objects.filter(public_id__in=public_ids, owner_id=owner.pk).delete()[0]


def purge_expired() -> int:
    """Delete every expired staged file; the count."""
    return StagedUpload.objects.filter(expires_at__lte=timezone.now()).delete()[0]


# --- the form's one-time token ---------------------------------------------------------------------


def new_token() -> str:
    return secrets.token_urlsafe(24)


def valid_token(token: str) -> bool:
    return bool(token) and bool(TOKEN_PATTERN.match(token))


def submitted_with(*, owner: Actor, token: str) -> Application | None:
    """The application already made with this token by this owner, if any."""
    if not valid_token(token):
        return None
    found = (FormSubmission.objects.select_related("application")
             .filter(token=token, owner_id=owner.pk, application__isnull=False).first())
    return found.application if found else None


class TokenUsed(CityidError):
    """The token was claimed by another request (a double click) or another person."""


def claim(*, owner: Actor, token: str) -> FormSubmission:
    """Record the token inside the caller's transaction: a concurrent request with the same token waits here
    until this one ends, then gets TokenUsed (and finds the application it made)."""
    try:
        with transaction.atomic():
            return FormSubmission.objects.create(token=token, owner_id=owner.pk)
    except IntegrityError:
        raise TokenUsed("token_used") from None


def record(submission: FormSubmission, application: Application) -> None:
    submission.application = application
    submission.save(update_fields=["application"])


def enroll_once(*, data: EnrollmentInput, enrolled_by: Actor, token: str, staged: list[uuid.UUID]) -> Application:
    """Enroll, recording the form's token (when it carries a well-formed one) with the application in the same
    transaction, and drop the staged files it used: a second request with the token waits for this one, then
    gets TokenUsed. EnrollmentInvalid as ``services.enroll``."""
    with vault.atomic_with_blobs():
        submission = claim(owner=enrolled_by, token=token) if valid_token(token) else None
        application = services.enroll(data=data, enrolled_by=enrolled_by)
        if submission is not None:
            record(submission, application)
        discard(staged, owner=enrolled_by)
    purge_expired()
    return application
