"""A FOIL request's personal data in the vault: sealed under the request's own ``disclosure`` record.

The requester's name, contact details and the description of the records sought are sealed as one JSON value
with the associated data ``<record uuid>:foil_request:<request uuid>``: a value copied into another request
does not open. Nothing here authorises or logs a read: :func:`cityid.disclosure.selectors.read_request` and the
notice sender do.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.utils.crypto import constant_time_compare, salted_hmac

from cityid.disclosure.models import FoilRequest
from cityid.vault import services as vault


def field_name(request: FoilRequest) -> str:
    return f"foil_request:{request.uuid}"


def new_record(request: FoilRequest, *, due_on: date) -> vault.OpenRecord:
    """A fresh ``disclosure`` record for an (unsaved) request, dated for disposition on ``due_on``."""
    record = vault.create_records([("disclosure", f"foil:{request.uuid}", due_on)])[0]
    request.record = record.key
    return record


def seal_request(request: FoilRequest, record: vault.OpenRecord, values: dict[str, Any]) -> None:
    request.sealed_request = record.seal_json(field_name(request), values)


def open_request(request: FoilRequest) -> dict[str, Any] | None:
    """The sealed values, or ``None`` when the record is destroyed (the request's metadata stays)."""
    if request.record is None or request.sealed_request is None:
        return None
    try:
        record = vault.open_record(request.record)
    except vault.RecordDestroyed:
        return None
    value: dict[str, Any] = record.open_json(field_name(request), request.sealed_request)
    return value


def erase_requests(record_key_ids: list[int]) -> None:
    """Disposition's eraser for ``disclosure`` records: remove the requests' ciphertexts."""
    FoilRequest.objects.filter(record_id__in=record_key_ids, sealed_request__isnull=False).update(sealed_request=None)


def access_digest(code: str) -> bytes:
    """The keyed hash kept of a requester's access code (the code itself is shown once, never stored)."""
    return salted_hmac("cityid.disclosure.foil-access", code, algorithm="sha256").digest()


def access_matches(request: FoilRequest, code: str) -> bool:
    return constant_time_compare(bytes(request.access_digest), access_digest(code.strip()))
