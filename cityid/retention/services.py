"""Retention writes: schedules and re-wrapping, legal holds, disposition runs, certificates.

A record's data key is wrapped by the key of where it belongs now: the cohort of the month it
is due for disposition, or a legal hold. Destroying a cohort key destroys every copy of that
cohort's data (DESIGN.md §5, §6); deleting the rows and files afterwards is housekeeping.
"""

from __future__ import annotations

import calendar
import hashlib
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import Max, Q, QuerySet
from django.utils import timezone

from cityid.accounts import selectors as accounts
from cityid.accounts.policy import allowed
from cityid.accounts.services import authorize
from cityid.audit.services import record_event
from cityid.core.actors import Actor
from cityid.core.dates import add_years
from cityid.core.errors import CityidError
from cityid.retention import certificate as certificates
from cityid.retention import facts, signing
from cityid.retention.models import (
    Certificate,
    CohortState,
    DestroyedCohort,
    DispositionRun,
    HeldRecord,
    LegalHold,
    RetentionLock,
    RunStatus,
    Schedule,
    Trigger,
)
from cityid.retention.scope import CLASSES, ScopeInvalid, parse_scope
from cityid.retention.sealing import seal_details
from cityid.vault import services as vault
from cityid.vault.models import RecordKey
from cityid.vault.providers import get_provider

BATCH = 1000
DELETE_BATCH = 10_000  # records deleted per transaction once their cohort key is destroyed
Progress = Callable[[int], None] | None


class RetentionError(CityidError):
    """A retention action was refused; the message says why."""


# --- schedules ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class Rule:
    """A schedule in effect: ``years`` after ``trigger``, or on ``fixed_date``."""

    trigger: str = Trigger.SUBMITTED
    years: int = 0
    fixed_date: date | None = None


def _end_of_month(day: date) -> date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def current_rule(record_class: str) -> Rule:
    schedule = Schedule.objects.filter(record_class=record_class).order_by("-version").first()
    if schedule is not None:
        return Rule(schedule.trigger or Trigger.SUBMITTED, schedule.years or 0, schedule.fixed_date)
    years = facts.default_years(record_class)  # the owners' rules are the version-0 schedule
    if years is None:
        raise KeyError(f"no schedule for {record_class!r}: no version was set and no registered app gives a default")
    return Rule(Trigger.SUBMITTED, years)


def decisions_move_dates(record_classes: Iterable[str]) -> bool:
    """Whether a decision or a new card can move the due date of records of these classes."""
    return any(
        rule.fixed_date is None and rule.trigger != Trigger.SUBMITTED
        for rule in map(current_rule, record_classes)
    )


def due_on(rule: Rule, *, submitted: date, decided: date | None = None, card_expires: date | None = None) -> date:
    """The disposition date under ``rule``. A trigger that has not happened yet (no decision, no card)
    falls back to the submission date, so nothing is ever kept without a date; the date moves (and
    the record is re-wrapped) when the event happens."""
    if rule.fixed_date is not None:
        return rule.fixed_date
    base = {Trigger.DECIDED.value: decided, Trigger.CARD_EXPIRED.value: card_expires}.get(rule.trigger) or submitted
    return _end_of_month(add_years(base, rule.years))


def set_schedule(
    *, record_class: str, approved_by: Actor | None, trigger: str | None = None, years: int | None = None,
    fixed_date: date | None = None,
) -> Schedule:
    """A new version of a class's schedule. Call ``apply_schedule`` to move the records (resumable)."""
    authorize(approved_by, "retention.schedule")
    if record_class not in CLASSES:
        raise RetentionError("unknown_class", value=record_class, classes=", ".join(CLASSES))
    if (fixed_date is None) == (trigger is None):
        raise RetentionError("date_or_trigger")
    if trigger is not None and (trigger not in Trigger.values or years is None or not 0 <= years <= 100):
        raise RetentionError("bad_trigger", triggers=", ".join(Trigger.values))
    with transaction.atomic():
        version = (Schedule.objects.filter(record_class=record_class).aggregate(v=Max("version"))["v"] or 0) + 1
        schedule = Schedule.objects.create(
            record_class=record_class, version=version, trigger=trigger or "", years=years,
            fixed_date=fixed_date, approved_by=accounts.account_of(approved_by),
        )
        record_event(actor=approved_by, action="retention.schedule", target=f"schedule:{schedule.pk}",
                     purpose=f"{record_class} v{version}")
    return schedule


def _held_ids(keys: Iterable[int]) -> set[int]:
    return set(
        HeldRecord.objects.filter(record_key_id__in=list(keys), hold__released_at=None).values_list(
            "record_key_id", flat=True
        )
    )


def refresh_due_dates(keys: list[RecordKey]) -> int:
    """Recompute the due date of each record under its class's schedule; re-wrap those whose cohort
    changes (held records keep their hold key and get the new date only). Returns records moved.

    The caller holds the retention lock (:func:`lock_for_rewrap`) and read ``keys`` under it, so that
    no hold re-wraps them, and no run destroys their keys, between that read and this re-wrap."""
    dates = facts.trigger_dates(keys)
    rules = {name: current_rule(name) for name in {key.record_class for key in keys if key.pk in dates}}
    held = _held_ids(k.pk for k in keys)
    redated: list[RecordKey] = []
    moves: list[vault.Move] = []
    for key in keys:
        known = dates.get(key.pk)
        if known is None or known.submitted is None:
            continue
        new_due = due_on(rules[key.record_class], submitted=known.submitted, decided=known.decided,
                         card_expires=known.card_expires)
        cohort = vault.cohort_for(key.record_class, new_due)
        if cohort == key.cohort and new_due == key.due_on:
            continue
        if key.pk in held or not key.key_id.startswith("cohort:"):
            key.cohort, key.due_on = cohort, new_due
            redated.append(key)
        else:
            moves.append(vault.Move(key, vault.cohort_key_id(cohort), cohort, new_due))
    if redated:
        RecordKey.objects.bulk_update(redated, ["cohort", "due_on"])
    destroyed = vault.rewrap_moves(moves)  # records whose key is gone stay where they are
    return len(moves) - len(destroyed)


def apply_schedule(*, record_class: str, progress: Progress = None) -> int:
    """Move every record of a class to the cohort its current schedule gives. Batched; safe to re-run
    after an interruption (records already in place are skipped). Returns the number moved."""
    moved = 0
    last = 0
    while True:
        with transaction.atomic():
            _lock()
            keys = list(RecordKey.objects.filter(record_class=record_class, pk__gt=last).order_by("pk")[:BATCH])
            if not keys:
                break
            moved += refresh_due_dates(keys)
        last = keys[-1].pk
        if progress:
            progress(len(keys))
    return moved


# --- legal holds -------------------------------------------------------------------------------

def _lock() -> None:
    RetentionLock.objects.get_or_create(pk=1)
    RetentionLock.objects.select_for_update().get(pk=1)


def lock_for_rewrap() -> None:
    """Take the retention lock that holds, releases, schedule changes and disposition runs take, until the
    caller's transaction ends. Take it before locking other rows or writing audit events (they take it
    first, then the audit log head), then read the records to re-wrap."""
    _lock()


def scope_query(text: str) -> QuerySet[RecordKey]:
    """The records a scope covers (raises ScopeInvalid naming the bad term)."""
    scope = parse_scope(text)
    query = Q()
    if scope.classes:
        query &= Q(record_class=scope.classes[0])
    if scope.submitted is not None:
        submitted = facts.submitted_between(*scope.submitted)
        if submitted is None:
            term = f"submitted:{scope.submitted[0].isoformat()}..{scope.submitted[1].isoformat()}"
            raise ScopeInvalid("submitted_unknown", term=term)
        query &= submitted
    found: dict[str, str] = {}
    for reference in scope.subjects:
        subject = facts.find_subject(reference)
        if subject is None:
            raise ScopeInvalid("unknown_subject", subject=reference)
        if found and subject.key not in found:
            # Terms are a conjunction: two different people match nothing, and a hold on nothing
            # would protect no one while looking placed. Refuse it, as two classes are refused.
            raise ScopeInvalid("two_subjects", subject=reference, other=next(iter(found.values())))
        found[subject.key] = reference
        query &= subject.records
    return RecordKey.objects.filter(query)


def place_hold(
    *, case_name: str, court: str, scope: str, placed_by: Actor | None, index_number: str = "",
    order_date: date | None = None, notes: str = "", progress: Progress = None,
) -> LegalHold:
    """Freeze the records in scope: each is re-wrapped under the hold's own key, which no disposition
    run destroys. Records whose keys are already destroyed are gone and cannot be held."""
    authorize(placed_by, "retention.hold")
    if not case_name.strip() or not court.strip():
        raise RetentionError("case_and_court")
    if order_date is not None and order_date > timezone.localdate():
        raise RetentionError("order_in_future")
    records = scope_query(scope)  # validates the scope before anything is written
    with transaction.atomic():
        _lock()
        hold = LegalHold.objects.create(
            court=court.strip(), order_date=order_date, placed_by=accounts.account_of(placed_by)
        )
        seal_details(hold, case_name=case_name.strip(), index_number=index_number.strip(), notes=notes,
                     scope=scope.strip())
        hold.save(update_fields=["wrapped_key", "sealed_details", "scope_outline"])
        get_provider().ensure_key(hold.key_id)
        # The scope may name a subject by a legacy external id: the leaf keeps only the kinds of terms.
        kinds = ",".join(sorted({term.strip().split(":", 1)[0] for term in scope.split(",") if term.strip()}))
        record_event(actor=placed_by, action="hold.place", target=f"hold:{hold.pk}", purpose=f"scope:{kinds}")
    last = 0
    while True:
        with transaction.atomic():
            _lock()
            keys = list(records.filter(pk__gt=last).order_by("pk")[:BATCH])
            if not keys:
                break
            HeldRecord.objects.bulk_create(
                [HeldRecord(hold=hold, record_key=key) for key in keys], ignore_conflicts=True
            )
            destroyed = vault.rewrap_many([key for key in keys if key.key_id.startswith("cohort:")], key_id=hold.key_id)
            if destroyed:
                HeldRecord.objects.filter(hold=hold, record_key__in=destroyed).delete()
        last = keys[-1].pk
        if progress:
            progress(len(keys))
    return hold


def release_hold(*, hold_id: int, released_by: Actor | None, progress: Progress = None) -> LegalHold:
    """Release a hold: each of its records moves to another active hold covering it, or back to its
    cohort (whose key is created again if a run destroyed it meanwhile; the record is then due at once)."""
    authorize(released_by, "retention.hold")
    try:
        hold = LegalHold.objects.get(pk=hold_id)
    except LegalHold.DoesNotExist:
        raise RetentionError("no_hold", hold=hold_id) from None
    with transaction.atomic():
        _lock()
        hold = LegalHold.objects.select_for_update().get(pk=hold_id)
        held_keys = RecordKey.objects.filter(holds__hold=hold, key_id=hold.key_id)
        _refuse_while_deleting(set(held_keys.values_list("cohort", flat=True).distinct()), hold)
        if hold.released_at is None:
            hold.released_at, hold.released_by = timezone.now(), accounts.account_of(released_by)
            hold.save(update_fields=["released_at", "released_by"])
            record_event(actor=released_by, action="hold.release", target=f"hold:{hold.pk}")
    while True:
        with transaction.atomic():
            _lock()
            memberships = list(HeldRecord.objects.filter(hold=hold).select_related("record_key")[:BATCH])
            if not memberships:
                break
            keys = [m.record_key for m in memberships]
            others: dict[int, int] = {}
            for key_pk, other_hold in HeldRecord.objects.filter(
                record_key__in=keys, hold__released_at=None
            ).exclude(hold=hold).values_list("record_key_id", "hold_id"):
                others.setdefault(key_pk, other_hold)
            moves = [
                vault.Move(key, f"hold:{others[key.pk]}" if key.pk in others else vault.cohort_key_id(key.cohort))
                for key in keys
                if key.key_id == hold.key_id
            ]
            returning = {move.record_key.cohort for move in moves if move.key_id.startswith("cohort:")}
            _refuse_while_deleting(returning, hold)
            destroyed = vault.rewrap_moves(moves)
            if destroyed:
                raise vault.RecordDestroyed("destroyed", record=str(destroyed[0]))
            HeldRecord.objects.filter(pk__in=[m.pk for m in memberships]).delete()
        if progress:
            progress(len(memberships))
    if not RecordKey.objects.filter(key_id=hold.key_id).exists():
        vault.destroy_key(hold.key_id)
    return hold


def _refuse_while_deleting(cohorts: set[str], hold: LegalHold) -> None:
    """Refuse to return records to a cohort whose key an unfinished run destroyed: its deletion, which
    goes by key, would take them too, though its certificate does not list them. Call under the lock."""
    busy = (
        DestroyedCohort.objects.filter(state=CohortState.KEY_DESTROYED, run__status=RunStatus.EXECUTING,
                                       cohort__in=cohorts)
        .order_by("run_id", "cohort").first()
    )
    if busy is not None:
        raise RetentionError("cohort_busy", run=busy.run_id, cohort=busy.cohort, hold=hold.pk)


# --- disposition -------------------------------------------------------------------------------

def _cohort_end(cohort: str) -> date:
    year, month = (int(part) for part in cohort.rsplit("/", 1)[1].split("-"))
    return date(year, month, calendar.monthrange(year, month)[1])


def due_cohorts(as_of: date) -> list[dict[str, Any]]:
    """Cohorts whose whole month is due by ``as_of``, with the records still under their keys."""
    from django.db.models import Count

    rows = (
        RecordKey.objects.filter(key_id__startswith="cohort:", due_on__lte=as_of)
        .values("record_class", "cohort", "key_id")
        .annotate(records=Count("id"))
        .order_by("cohort")
    )
    return [dict(row) for row in rows if _cohort_end(row["cohort"]) <= as_of]


def preview(as_of: date) -> dict[str, Any]:
    """What a run as of ``as_of`` would destroy (per class and cohort) and what holds keep (per hold)."""
    destroy = due_cohorts(as_of)
    held_keys = RecordKey.objects.filter(key_id__startswith="hold:", due_on__lte=as_of)
    per_hold: dict[int, dict[str, Any]] = {}
    for hold_id, court, record_class in HeldRecord.objects.filter(
        record_key__in=held_keys, hold__released_at=None
    ).values_list("hold_id", "hold__court", "record_key__record_class"):  # the case name is sealed (counsel's)
        entry = per_hold.setdefault(hold_id, {"hold": hold_id, "court": court, "records": 0, "classes": {}})
        entry["records"] += 1
        entry["classes"][record_class] = entry["classes"].get(record_class, 0) + 1
    by_class: dict[str, int] = {}
    for row in destroy:
        by_class[row["record_class"]] = by_class.get(row["record_class"], 0) + row["records"]
    held_by_class: dict[str, int] = {}
    for record_class in held_keys.values_list("record_class", flat=True):
        held_by_class[record_class] = held_by_class.get(record_class, 0) + 1
    return {
        "as_of": as_of.isoformat(),
        "destroy_total": sum(row["records"] for row in destroy),
        "held_total": sum(held_by_class.values()),
        "destroy_by_class": by_class,
        "held_by_class": held_by_class,
        "cohorts": [
            {"cohort": r["cohort"], "class": r["record_class"], "key_id": r["key_id"], "records": r["records"]}
            for r in destroy
        ],
        "holds": sorted(per_hold.values(), key=lambda h: h["hold"]),
    }


#: An approver whose account the other approver created, reactivated or reset this recently is refused.
APPROVER_CREDENTIAL_DAYS = 30


def _check_approvers(approvers: list[Any], *, requested_at: datetime | None = None) -> None:
    """Two different active records officers, each holding the role since before the request was
    made, neither of whose accounts the other one created, reactivated or reset in the last 30 days
    (else one person could make the second officer and approve alone)."""
    if len(approvers) != 2 or approvers[0] is None or approvers[1] is None:
        raise RetentionError("two_approvers")
    if approvers[0].pk == approvers[1].pk:
        raise RetentionError("same_approver")
    for approver in approvers:
        if not allowed(approver.role, "retention.dispose") or not approver.is_active:
            raise RetentionError("not_officer", username=approver.username)
    if requested_at is not None:
        for approver in approvers:
            since = accounts.role_since(approver.pk)
            if since is None or since >= requested_at:
                raise RetentionError("officer_too_recent", username=approver.username)
    window = timezone.now() - timedelta(days=APPROVER_CREDENTIAL_DAYS)
    for approver, other in ((approvers[0], approvers[1]), (approvers[1], approvers[0])):
        if other.pk in accounts.credential_issuers(approver.pk, since=window):
            raise RetentionError("issued_by_other", username=approver.username, other=other.username,
                                 days=APPROVER_CREDENTIAL_DAYS)


def run_disposition(
    *, as_of: date, approvers: list[Any], progress: Progress = None, after_step: Callable[[str], None] | None = None,
    requested_at: datetime | None = None,
) -> Certificate | None:
    """Destroy every due, unheld cohort as of ``as_of`` and certify it. Resumable: run again after a
    crash and it finishes the same run with the same certificate; run again after it finished (say,
    killed after the certificate was committed but before it was reported) and, nothing more being
    due, it answers with that certificate again. Returns None when nothing is due and no run as of
    ``as_of`` has destroyed anything.

    ``after_step`` is called after each durable step (tests use it to crash at every point).
    ``requested_at`` is when the run was requested in the staff UI: both approvers must have been
    records officers since before then.
    """
    _check_approvers(approvers, requested_at=requested_at)
    if as_of > timezone.localdate():
        raise RetentionError("as_of_in_future")
    created = False
    with transaction.atomic():
        _lock()  # one starter at a time: two approvals at once must not start two runs over the same cohorts
        run = DispositionRun.objects.filter(as_of=as_of, status=RunStatus.EXECUTING).first()
        if run is None:
            unfinished = DispositionRun.objects.filter(status=RunStatus.EXECUTING).order_by("started_at", "pk").first()
            if unfinished is not None:
                # Its destroyed keys are not certified until it finishes, and a run as of another date
                # would not finish it: refuse rather than leave a destruction without its certificate.
                day = unfinished.as_of.isoformat()
                raise RetentionError("unfinished_run", run=unfinished.pk, day=day)
            cohorts = due_cohorts(as_of)
            if not cohorts:
                return Certificate.objects.filter(run__as_of=as_of).order_by("-run__started_at", "-run_id").first()
            run = DispositionRun.objects.create(
                as_of=as_of, first_approver=approvers[0], second_approver=approvers[1],
                started_at=timezone.now().replace(microsecond=0),
                cohorts=[{"cohort": c["cohort"], "record_class": c["record_class"], "key_id": c["key_id"]}
                         for c in cohorts],
            )
            record_event(actor=approvers[0], action="disposition.approve", target=f"run:{run.pk}")
            record_event(actor=approvers[1], action="disposition.approve", target=f"run:{run.pk}")
            created = True
    if created and after_step:
        after_step("run created")
    provider = get_provider()
    for planned in run.cohorts:
        done = DestroyedCohort.objects.filter(run=run, cohort=planned["cohort"]).first()
        if done is None:
            # Snapshot, destroy the key and record it under the lock, so a hold placed meanwhile
            # either moved its records off this key before, or finds them destroyed after.
            with transaction.atomic():
                _lock()
                # Looked up again under the lock: another process finishing this run may have done it.
                done = DestroyedCohort.objects.filter(run=run, cohort=planned["cohort"]).first()
                recorded_now = done is None
                if done is None:
                    done = _destroy_cohort(run, planned, provider, after_step)
            if recorded_now and after_step:
                after_step(f"cohort recorded {planned['cohort']}")
        if done.state != CohortState.DELETED:
            while True:
                deleted = vault.delete_records_of_key(planned["key_id"], limit=DELETE_BATCH)
                if not deleted:
                    break
                if progress:
                    progress(deleted)
                if after_step:
                    after_step(f"deleted batch {planned['cohort']}")
            done.state = CohortState.DELETED
            done.save(update_fields=["state"])
    return _certify(run)


def _destroy_cohort(
    run: DispositionRun, planned: dict[str, str], provider: Any, after_step: Callable[[str], None] | None
) -> DestroyedCohort:
    records = RecordKey.objects.filter(key_id=planned["key_id"])
    record_ids = sorted(str(u) for u in records.values_list("uuid", flat=True))
    subjects = sorted(set(records.values_list("subject_ref", flat=True)))
    vault.destroy_key(planned["key_id"], provider=provider)
    if after_step:
        after_step(f"key destroyed {planned['cohort']}")
    done = DestroyedCohort.objects.create(
        run=run, cohort=planned["cohort"], record_class=planned["record_class"],
        key_id=planned["key_id"], records=len(record_ids), record_ids=record_ids, subjects=subjects,
        state=CohortState.KEY_DESTROYED, destroyed_at=timezone.now(),
    )
    record_event(actor=None, action="disposition.destroy_key", target=f"run:{run.pk}", purpose=planned["key_id"])
    return done


def _certify(run: DispositionRun) -> Certificate:
    with transaction.atomic():
        _lock()  # one certificate per run, even when two processes finish the same run
        existing = Certificate.objects.filter(run=run).first()
        if existing is not None:
            return existing
        destroyed = list(run.destroyed.order_by("cohort"))
        all_ids = [rid for cohort in destroyed for rid in cohort.record_ids]
        entry = record_event(actor=None, action="disposition.certificate", target=f"run:{run.pk}")
        body = {
            "type": "cityid destruction certificate",
            "standard": "NIST SP 800-88 Rev. 1, Appendix G (certificate of sanitization)",
            "run": run.pk,
            "as_of": run.as_of.isoformat(),
            "started_at": run.started_at.isoformat(),
            "method": certificates.METHOD,
            "approvers": [run.first_approver.username, run.second_approver.username],
            "classes": sorted({c.record_class for c in destroyed}),
            "cohorts": [
                {"cohort": c.cohort, "class": c.record_class, "key_id": c.key_id, "records": c.records,
                 "record_ids_root": certificates.record_ids_root(c.record_ids)}
                for c in destroyed
            ],
            "records": len(all_ids),
            "record_ids_root": certificates.record_ids_root(all_ids),
            "keys_destroyed": [c.key_id for c in destroyed],
            "key_provider": get_provider().name,
            "audit_log_index": entry.index,
        }
        signer = signing.signer()
        document = certificates.sign(body, signer.sign, signing.pem(signer.public_key()))
        certificate = Certificate.objects.create(run=run, document=document, audit_index=entry.index)
        run.status, run.finished_at = RunStatus.DONE, timezone.now()
        run.save(update_fields=["status", "finished_at"])
    return certificate


def verify_certificate(text: str) -> dict[str, Any]:
    """Check a certificate against this installation's signing key and audit log; return its body."""
    from cityid.audit.models import AuditEntry

    try:
        named = json.loads(text)["signature"]["public_key"]
    except (ValueError, KeyError, TypeError, RecursionError):
        named = None
    known = signing.known_public_key_pems()
    body, refusal = None, None
    for candidate in [named] if named in known else known:  # ours: the current key or a retired one
        try:
            body = certificates.verify(text, signing.load_public_key(candidate))
            break
        except certificates.CertificateInvalid as exc:
            refusal = refusal or exc
    if body is None:
        raise refusal or certificates.CertificateInvalid("no_key")
    # The signature covers the body only: the key and digest printed beside it must be ours too.
    signature = json.loads(text)["signature"]
    if named not in known:
        raise certificates.CertificateInvalid("foreign_key")
    if signature.get("signed_sha256") != hashlib.sha256(certificates.canonical(body)).hexdigest():
        raise certificates.CertificateInvalid("digest_differs")
    # Django takes None for an exact lookup (IS NULL: no entry); the stubs refuse it.
    entry = AuditEntry.objects.filter(index=body.get("audit_log_index")).first()  # type: ignore[misc]
    if entry is None or entry.action != "disposition.certificate" or entry.target != f"run:{body.get('run')}":
        raise certificates.CertificateInvalid("not_in_log", index=body.get("audit_log_index"))
    return body


def destroyed_for_subject(subject_refs: list[str]) -> list[dict[str, Any]]:
    """Which of a subject's records were destroyed, when, and by which certificate."""
    out = []
    for cohort in DestroyedCohort.objects.select_related("run").order_by("destroyed_at"):
        if any(ref in cohort.subjects for ref in subject_refs):
            out.append({"class": cohort.record_class, "cohort": cohort.cohort,
                        "destroyed": cohort.destroyed_at.date().isoformat(), "run": cohort.run_id,
                        "certificate": f"run-{cohort.run_id}"})
    return out

