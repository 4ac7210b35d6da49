"""Retention reads for the staff UI and the commands. Counts and identifiers only: no personal data."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db.models import Count, QuerySet

from cityid.accounts.policy import allowed
from cityid.accounts.services import role_of
from cityid.audit.services import record_events
from cityid.core.actors import Actor
from cityid.retention import services
from cityid.retention.models import (
    Certificate,
    DispositionRequest,
    HeldRecord,
    LegalHold,
    Schedule,
    Trigger,
)
from cityid.retention.scope import CLASSES
from cityid.retention.sealing import open_details
from cityid.vault.models import RecordClass, RecordKey


@dataclass(frozen=True)
class ClassSchedule:
    """The schedule in effect for one retention class; ``version`` 0 is the rules file's default,
    None: no schedule at all yet (the rules file has no period for the class)."""

    record_class: str
    label: str
    version: int | None
    trigger: str
    trigger_label: str
    years: int | None
    fixed_date: date | None
    approved_by: str
    records: int

    def describe(self) -> str:
        if self.version is None:
            return "no schedule"
        if self.fixed_date is not None:
            return f"on {self.fixed_date.isoformat()}"
        return f"{self.years} years after {self.trigger}"


def current_schedules() -> list[ClassSchedule]:
    """Each retention class with the schedule in effect and how many records it holds now."""
    latest: dict[str, Schedule] = {}
    for version in Schedule.objects.select_related("approved_by").order_by("record_class", "-version"):
        latest.setdefault(version.record_class, version)
    records = dict(
        RecordKey.objects.values_list("record_class").annotate(n=Count("id")).values_list("record_class", "n")
    )
    labels = dict(RecordClass.choices)
    triggers = dict(Trigger.choices)
    out = []
    for record_class in CLASSES:
        schedule = latest.get(record_class)
        if schedule is not None:
            trigger = schedule.trigger if schedule.fixed_date is None else ""
            out.append(ClassSchedule(
                record_class, str(labels.get(record_class, record_class)), schedule.version, trigger,
                str(triggers.get(trigger, "")), schedule.years if schedule.fixed_date is None else None,
                schedule.fixed_date, schedule.approved_by.username if schedule.approved_by else "",
                records.get(record_class, 0),
            ))
            continue
        try:
            rule = services.current_rule(record_class)
        except KeyError:  # the rules file gives this class no period and no version was set yet
            out.append(ClassSchedule(record_class, str(labels.get(record_class, record_class)), None, "", "",
                                     None, None, "", records.get(record_class, 0)))
            continue
        out.append(ClassSchedule(
            record_class, str(labels.get(record_class, record_class)), 0, rule.trigger,
            str(triggers.get(rule.trigger, "")), rule.years, rule.fixed_date, "", records.get(record_class, 0),
        ))
    return out


def schedule_history(record_class: str | None = None) -> QuerySet[Schedule]:
    schedules = Schedule.objects.select_related("approved_by").order_by("-created_at", "-id")
    if record_class:
        schedules = schedules.filter(record_class=record_class)
    return schedules


def holds(status: str = "all") -> QuerySet[LegalHold]:
    """Holds, newest first, each with ``records_held`` (records it covers now)."""
    query = LegalHold.objects.select_related("placed_by", "released_by").annotate(records_held=Count("held"))
    if status == "active":
        query = query.filter(released_at=None)
    elif status == "released":
        query = query.exclude(released_at=None)
    return query.order_by("-placed_at", "-id")


def hold_with_counts(hold_id: int) -> LegalHold | None:
    return holds().filter(pk=hold_id).first()


def reveal_details(holds: Iterable[LegalHold], *, actor: Actor | None) -> list[LegalHold]:
    """The holds, with their sealed case details opened if ``actor`` is counsel (``retention.hold``, or the host
    operator), else left ``None`` (records officers and auditors see court, dates and the scope's outline).
    Opening is logged: one ``hold.read`` event per hold whose details were shown (the hold's id only)."""
    holds = list(holds)
    if not allowed(role_of(actor), "retention.hold"):
        return holds
    open_details(holds)
    if holds:
        record_events([dict(actor=actor, action="hold.read", target=f"hold:{hold.pk}") for hold in holds])
    return holds


def held_by_class(hold: LegalHold) -> list[tuple[str, int]]:
    rows = (
        HeldRecord.objects.filter(hold=hold)
        .values_list("record_key__record_class")
        .annotate(n=Count("id"))
        .order_by("record_key__record_class")
    )
    labels = dict(RecordClass.choices)
    return [(str(labels.get(record_class, record_class)), n) for record_class, n in rows]


def preview_report(as_of: date) -> dict[str, Any]:
    """``services.preview`` plus rows for a bar chart: per class, destroyed and held, as percentages."""
    report = services.preview(as_of)
    labels = dict(RecordClass.choices)
    classes = sorted(set(report["destroy_by_class"]) | set(report["held_by_class"]))
    peak = max([*report["destroy_by_class"].values(), *report["held_by_class"].values(), 1])
    report["chart"] = [
        {
            "class": record_class,
            "label": str(labels.get(record_class, record_class)),
            "destroy": report["destroy_by_class"].get(record_class, 0),
            "held": report["held_by_class"].get(record_class, 0),
            "destroy_pct": round(100 * report["destroy_by_class"].get(record_class, 0) / peak),
            "held_pct": round(100 * report["held_by_class"].get(record_class, 0) / peak),
        }
        for record_class in classes
    ]
    return report


def certificates() -> QuerySet[Certificate]:
    return Certificate.objects.select_related("run", "run__first_approver", "run__second_approver").order_by(
        "-created_at", "-id"
    )


def certificate_for_run(run_id: int) -> Certificate | None:
    # run__pk, not run_id: the run's own integer lookup answers "no match" for an id out of the
    # column's range (a URL can carry any number of digits) instead of failing in the driver.
    return certificates().filter(run__pk=run_id).first()


def certificate_body(certificate: Certificate) -> dict[str, Any]:
    """The signed body of a stored certificate (classes, cohorts, counts, roots, keys, approvers)."""
    return json.loads(certificate.document)["certificate"]


def certificate_rows(page: Any) -> list[dict[str, Any]]:
    """One row per certificate of a page, with the figures of its body."""
    rows = []
    for certificate in page:
        body = certificate_body(certificate)
        rows.append({
            "certificate": certificate, "run": certificate.run_id, "as_of": body.get("as_of"),
            "records": body.get("records", 0), "classes": body.get("classes", []),
            "keys": len(body.get("keys_destroyed", [])), "approvers": body.get("approvers", []),
            "audit_index": certificate.audit_index,
        })
    return rows


def pending_requests() -> QuerySet[DispositionRequest]:
    return DispositionRequest.objects.filter(approved_at=None, withdrawn_at=None).select_related("requested_by")


def past_requests() -> QuerySet[DispositionRequest]:
    return (
        DispositionRequest.objects.exclude(approved_at=None, withdrawn_at=None)
        .select_related("requested_by", "approved_by", "run")
    )
