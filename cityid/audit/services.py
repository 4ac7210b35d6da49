"""Appending to the audit log, inside the caller's transaction.

An event that commits is logged; one that rolls back is not, because the entry is written
in the same transaction as the change it records.
"""

from __future__ import annotations

import json
from typing import Any

from django.db import transaction
from django.utils import timezone

from cityid.audit.models import AuditEntry, LogHead

SYSTEM_ACTOR = "system:operator"


def actor_ref(user: Any) -> tuple[str, str]:
    """The pseudonymous actor id and role of a user (or the host operator for ``None``)."""
    if user is None:
        return SYSTEM_ACTOR, "operator"
    if not getattr(user, "is_authenticated", False):
        return "public", "public"
    return f"staff:{user.pk}", getattr(user, "role", "") or "none"


def canonical_entry(fields: dict[str, Any]) -> bytes:
    return json.dumps(fields, separators=(",", ":"), sort_keys=True, ensure_ascii=True).encode()


def record_event(
    *,
    actor: Any,
    action: str,
    target: str = "",
    purpose: str = "",
    outcome: str = "ok",
    actor_id: str | None = None,
) -> AuditEntry:
    """Append one event. ``target`` and ``purpose`` must be pseudonymous (ids, never names)."""
    ref, role = actor_ref(actor)
    if actor_id is not None:
        ref = actor_id
    with transaction.atomic():
        head = LogHead.objects.select_for_update().filter(pk=1).first()
        if head is None:
            head, _ = LogHead.objects.get_or_create(pk=1)
            head = LogHead.objects.select_for_update().get(pk=1)
        at = timezone.now()
        fields = {
            "index": head.size,
            "at": at.isoformat(timespec="microseconds"),
            "actor": ref,
            "role": role,
            "action": action,
            "target": target,
            "purpose": purpose,
            "outcome": outcome,
        }
        entry = AuditEntry.objects.create(
            index=head.size,
            at=at,
            actor=ref,
            role=role,
            action=action,
            target=target,
            purpose=purpose,
            outcome=outcome,
            entry=canonical_entry(fields),
        )
        LogHead.objects.filter(pk=1).update(size=head.size + 1)
    return entry
