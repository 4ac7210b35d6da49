"""Vault reads: blind-index look-ups across the live keys."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db.models import QuerySet

from cityid.vault.models import BlindIndex, RecordKey
from cityid.vault.providers import KeyUnavailable, get_provider


def live_key_ids(record_class: str) -> list[str]:
    return list(RecordKey.objects.filter(record_class=record_class).values_list("key_id", flat=True).distinct())


def record_keys_matching(*, record_class: str, kind: str, value: bytes) -> QuerySet[RecordKey]:
    """Records of a class whose blind index of ``kind`` equals ``value``: one keyed hash per live key."""
    provider = get_provider()
    digests = []
    for key_id in live_key_ids(record_class):
        try:
            digests.append(provider.keyed_hash(key_id, kind.encode() + b"\x00" + value))
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
