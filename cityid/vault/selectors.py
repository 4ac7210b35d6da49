"""Vault reads: blind-index look-ups across the live keys."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db.models import QuerySet

from cityid.vault.classes import RECORD_CLASSES
from cityid.vault.models import BlindIndex, RecordKey
from cityid.vault.providers import KeyUnavailable, get_provider


def live_key_ids(record_class: str) -> list[str]:
    """The provider keys a record of ``record_class`` can be wrapped under now: every live key except the
    cohort keys of the *other* retention classes (a record moves only to its own class's cohorts or to a
    legal hold's key). Asked of the key provider, which holds exactly the live keys, rather than found by
    scanning the record table (a keyed hash under a key that wraps no such record finds nothing)."""
    others = tuple(f"cohort:{other}/" for other in RECORD_CLASSES if other != record_class)
    return [key_id for key_id in get_provider().key_ids() if not key_id.startswith(others)]


def record_keys_matching(*, record_class: str, kind: str, value: bytes) -> QuerySet[RecordKey]:
    """Records of a class whose blind index of ``kind`` equals ``value``: one keyed hash per live key."""
    return record_keys_matching_any(record_class=record_class, kind=kind, values=[value])


def record_keys_matching_any(*, record_class: str, kind: str, values: list[bytes]) -> QuerySet[RecordKey]:
    """Records of a class with a blind index of ``kind`` equal to any of ``values``: one keyed hash per live
    key and value."""
    provider = get_provider()
    digests: list[bytes] = []
    prefix = kind.encode() + b"\x00"
    for key_id in live_key_ids(record_class):
        try:
            digests.extend(provider.keyed_hash(key_id, prefix + value) for value in values)
        except KeyUnavailable:
            continue
    ids = BlindIndex.objects.filter(kind=kind, digest__in=digests).values("record_key_id")
    return RecordKey.objects.filter(id__in=ids, record_class=record_class)


def cohort_sizes() -> list[Mapping[str, Any]]:
    from django.db.models import Count

    return list(RecordKey.objects.values("record_class", "cohort").annotate(records=Count("id")).order_by("cohort"))


def signing_public_keys(purpose: str) -> list[bytes]:
    """Every public key that has signed for ``purpose``, the current one first."""
    from cityid.vault.models import SigningKey

    keys = list(SigningKey.objects.filter(purpose=purpose).order_by("-pk"))
    current = [bytes(k.public_key) for k in keys if k.retired_at is None]
    return current + [bytes(k.public_key) for k in keys if k.retired_at is not None]
