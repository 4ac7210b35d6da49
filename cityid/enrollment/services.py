"""Enrollment writes: enroll an applicant, decide an application."""

from __future__ import annotations

import dataclasses
import functools
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone

from cityid.accounts.policy import allowed
from cityid.accounts.selectors import account_of
from cityid.accounts.services import authorize, role_of
from cityid.audit.services import record_event, record_events
from cityid.core.actors import Actor
from cityid.core.bulk import update_rows
from cityid.core.errors import CityidError
from cityid.enrollment import eligibility
from cityid.enrollment.inputs import EnrollmentInput, EnrollmentInvalid, sniff_content_type, validate
from cityid.enrollment.messages import problem_message
from cityid.enrollment.models import (
    AddressKind,
    Applicant,
    Application,
    ApplicationStatus,
    ApplicationType,
    CleanupProgress,
    ClosedCaseAccess,
    ClosedCaseReason,
    DenialReason,
    PresentedDocument,
    ReadCounter,
    ReadRateAlert,
    ReadWindow,
)
from cityid.enrollment.records import document_number_index_value, name_indexes
from cityid.retention import services as retention
from cityid.vault import services as vault
from cityid.vault.models import BlindIndex, Blob, RecordKey

APPEAL_DAYS_DEFAULT = 30


class DecisionRefused(CityidError):
    """The decision is not allowed (wrong state, separation of duties, ineligible)."""


@functools.cache
def _load_rules(path: str) -> eligibility.Rules:
    return eligibility.load_rules(Path(path))


def current_rules() -> eligibility.Rules:
    return _load_rules(settings.CITYID_RULES_FILE)


def document_copy_policy(rules: eligibility.Rules | None = None) -> str:
    override = (settings.CITYID_DOCUMENT_COPIES or "").strip().lower()
    if override:
        if override not in {"keep", "none"}:
            raise ValueError("CITYID_DOCUMENT_COPIES must be 'keep' or 'none'")
        return override
    return (rules or current_rules()).document_copies


def evaluate(data: EnrollmentInput, rules: eligibility.Rules) -> eligibility.Evaluation:
    city_address = data.address.get("kind") == AddressKind.RESIDENTIAL
    return eligibility.evaluate(
        rules,
        date_of_birth=data.date_of_birth,
        as_of=data.submitted_on,
        documents=[
            eligibility.PresentedDocument(type=d.type, expires=d.expires, shows_city_address=city_address)
            for d in data.documents
        ],
        with_caretaker=data.with_caretaker,
        has_emergency_contact=bool(data.emergency_contact and any(data.emergency_contact.values())),
    )


def check_enrollment(
    data: EnrollmentInput, rules: eligibility.Rules, *, today: date, require_eligible: bool = True
) -> eligibility.Evaluation:
    """Validate and evaluate one enrollment; raise EnrollmentInvalid naming the fields."""
    validate(data, rules, today=today)
    result = evaluate(data, rules)
    if require_eligible and not result.eligible:
        errors: dict[str, list[str]] = {}
        for problem in result.problems:
            errors.setdefault(problem.field, []).append(str(problem_message(problem)))
        raise EnrollmentInvalid(errors)
    return result


def enroll(
    *,
    data: EnrollmentInput,
    enrolled_by: Actor | None,
    require_eligible: bool = True,
    today: date | None = None,
    imported: bool = False,
) -> Application:
    """Validate, evaluate and store one applicant with their application, sealed from the first write.

    Raises EnrollmentInvalid (nothing stored) when a field is malformed, or when the documents
    do not make the applicant eligible and ``require_eligible`` is set. ``imported`` records an
    application migrated from an earlier program: enrolled outside this system, by no one here.
    """
    authorize(enrolled_by, "enrollment.import" if imported else "enrollment.create")
    rules = current_rules()
    result = check_enrollment(data, rules, today=today or timezone.localdate(), require_eligible=require_eligible)
    return store_enrollments([(data, result)], enrolled_by=enrolled_by, imported=imported)[0]


@dataclass(frozen=True)
class Enrolled:
    """One stored enrollment, as the callbacks registered with :func:`register_on_enrolled` get it."""

    application: Application
    data: EnrollmentInput  # what was typed: the callback must keep none of it at rest unsealed
    key_id: str  # the provider key that wraps the applicant's ``application`` record (their cohort)


_on_enrolled: list[Callable[..., Any]] = []


def register_on_enrolled(callback: Callable[..., Any]) -> None:
    """Run ``callback(enrolled, *, enrolled_by)`` for every batch of stored enrollments (the owning app calls
    this in ``ready()``; matching checks them for duplicates and adds them to its candidate index).

    It runs inside the transaction that stores them, after their audit entries. It must not raise: a check that
    cannot run leaves its own mark (matching queues the application for checking) and lets the enrollment be."""
    if callback not in _on_enrolled:
        _on_enrolled.append(callback)


_approval_checks: list[Callable[[list[Application]], None]] = []


def register_approval_check(check: Callable[[list[Application]], None]) -> None:
    """``check(applications)`` answers "may these be approved?" before any approval is recorded: it raises a
    ``CityidError`` (its words registered by its app) to refuse them all, or returns. Matching refuses an
    application held for a fraud analyst's decision, or not yet checked for duplicates. Registered in ``ready()``.
    Not asked for the host operator's imported decisions (``decide_many(imported=True, decided_by=None)``): those
    were made by the program migrated from."""
    if check not in _approval_checks:
        _approval_checks.append(check)


def store_enrollments(
    checked: list[tuple[EnrollmentInput, eligibility.Evaluation]], *, enrolled_by: Actor | None, imported: bool = False
) -> list[Application]:
    """Store already-checked enrollments in one transaction, with a handful of bulk inserts.

    Callers check each input first (``check_enrollment``); ``enroll`` is the one-applicant form.
    """
    authorize(enrolled_by, "enrollment.import" if imported else "enrollment.create")
    rules = current_rules()
    copies = document_copy_policy(rules)
    staff = None if imported else account_of(enrolled_by)
    ids = [(uuid.uuid4(), uuid.uuid4()) for _ in checked]
    schedule = {name: retention.current_rule(name) for name in ("application", "documents", "photo")}
    specs = []
    for (data, _result), (applicant_id, application_id) in zip(checked, ids, strict=True):
        due = {name: retention.due_on(rule, submitted=data.submitted_on) for name, rule in schedule.items()}
        specs.append(("application", f"applicant:{applicant_id}", due["application"]))
        specs.append(("documents", f"application:{application_id}", due["documents"]))
        if data.photo is not None:
            specs.append(("photo", f"applicant:{applicant_id}", due["photo"]))
    with vault.atomic_with_blobs():
        records = iter(vault.create_records(specs))
        files: list[tuple[vault.OpenRecord, bytes, str]] = []
        applicants: list[Applicant] = []
        pending: list[tuple[Any, ...]] = []
        for (data, result), (applicant_id, application_id) in zip(checked, ids, strict=True):
            personal, documents = next(records), next(records)
            photo_record = next(records) if data.photo is not None else None
            photo_slot = None
            if photo_record is not None and data.photo is not None:
                photo_slot = len(files)
                files.append((photo_record, data.photo, sniff_content_type(data.photo) or ""))
            scan_slots: dict[int, int] = {}
            if copies == "keep":
                for index, doc in enumerate(data.documents):
                    if doc.scan is not None:
                        scan_slots[index] = len(files)
                        files.append((documents, doc.scan, sniff_content_type(doc.scan) or ""))
            applicants.append(
                Applicant(
                    public_id=applicant_id,
                    external_id=data.external_id,
                    personal_record=personal.key,
                    photo_record=photo_record.key if photo_record else None,
                    sealed_profile=personal.seal_json("profile", data.profile()),
                    borough=data.address.get("borough", ""),
                    birth_year=data.date_of_birth.year,
                    gender=data.gender,
                    languages=",".join(data.languages),
                    address_kind=data.address.get("kind", ""),
                )
            )
            pending.append((data, result, application_id, personal, documents, (photo_slot, scan_slots)))
        blobs = vault.store_blobs(files)
        for applicant, entry in zip(applicants, pending, strict=True):
            photo_slot, scan_slots = entry[5]
            if photo_slot is not None:
                applicant.photo = blobs[photo_slot]
        pending = [(*entry[:5], {i: blobs[slot] for i, slot in entry[5][1].items()}) for entry in pending]
        Blob.objects.bulk_create(blobs)
        Applicant.objects.bulk_create(applicants)
        applications = [
            Application(
                public_id=application_id,
                applicant=applicant,
                type=data.application_type,
                submitted_on=data.submitted_on,
                with_caretaker=data.with_caretaker,
                documents_record=documents.key,
                sealed_details=personal.seal_json(f"application:{application_id}", data.details()),
                identity_points=result.identity_points,
                residency_points=result.residency_points,
                eligible=result.eligible,
                rules_version=rules.version,
                document_copies=copies,
                enrolled_by=staff,
                # A new case: held by the clerk who enrolled it, waiting in the supervisors' decision queue.
                assigned_to=staff,
                in_decision_queue=True,
            )
            for applicant, (data, result, application_id, personal, documents, _scans) in zip(
                applicants, pending, strict=True
            )
        ]
        Application.objects.bulk_create(applications)
        indexes: list[BlindIndex] = []
        rows: list[PresentedDocument] = []
        for application, (data, result, _id, personal, documents, scans) in zip(applications, pending, strict=True):
            indexes.extend(
                vault.blind_index(record=personal, kind=kind, value=value)
                for kind, value in name_indexes(data.given_name, data.family_name, data.date_of_birth)
            )
            scores = {score.index: score for score in result.documents}
            for index, doc in enumerate(data.documents):
                score = scores.get(index)
                indexes.append(
                    vault.blind_index(
                        record=documents, kind="docnum", value=document_number_index_value(doc.type, doc.number)
                    )
                )
                rows.append(
                    PresentedDocument(
                        application=application,
                        position=index,
                        type=doc.type,
                        identity_points=score.identity_points if score else 0,
                        residency_points=score.residency_points if score else 0,
                        accepted=score.accepted if score else False,
                        sealed_details=documents.seal_json(
                            f"document:{index}",
                            {
                                "number": doc.number,
                                "issuer": doc.issuer,
                                "expires": doc.expires.isoformat() if doc.expires else None,
                            },
                        ),
                        checked_by=staff,
                        scan=scans.get(index),
                    )
                )
        BlindIndex.objects.bulk_create(indexes)
        PresentedDocument.objects.bulk_create(rows)
        record_events(
            [
                # The application only: which applicant it is for lives with the application, and an
                # entry naming both would link the two for anyone holding entries.
                dict(
                    actor=enrolled_by,
                    action="enrollment.import" if imported else "enrollment.submit",
                    target=application.ref,
                )
                for application in applications
            ]
        )
        if _on_enrolled:
            enrolled = [
                Enrolled(application, data, personal.key.key_id)
                for application, (data, _result, _id, personal, _documents, _scans) in zip(
                    applications, pending, strict=True
                )
            ]
            for callback in _on_enrolled:
                callback(enrolled, enrolled_by=enrolled_by)
    return applications


@dataclass(frozen=True)
class Decision:
    application: Application
    approve: bool
    reasons: tuple[str, ...] = ()
    decided_on: date | None = None


@dataclass(frozen=True)
class Approval:
    """One approved application, as the callbacks registered with :func:`register_on_approval` get it."""

    application: Application
    decided_on: date
    card_expires_on: date  # by the eligibility rules, from the applicant's date of birth
    record: vault.OpenRecord  # the applicant's ``application`` record, open: values about them are sealed under it


_on_approval: list[Callable[..., Any]] = []


def register_on_approval(callback: Callable[..., Any]) -> None:
    """Run ``callback(approvals, *, decided_by)`` for every batch of approvals (the owning app calls this in
    ``ready()``; cards issues the card records).

    It runs inside the transaction that records the decisions, after their audit entries and before records'
    due dates move (what it writes can be the trigger of a schedule); an exception it raises undoes the
    decisions with everything else."""
    if callback not in _on_approval:
        _on_approval.append(callback)


def decide(
    *,
    application: Application,
    approve: bool,
    decided_by: Actor | None,
    reasons: list[str] | None = None,
    decided_on: date | None = None,
    imported: bool = False,
) -> Application:
    """Approve (the callbacks registered with ``register_on_approval`` issue the card) or deny (with reasons and
    an appeal deadline)."""
    decision = Decision(application, approve, tuple(reasons or ()), decided_on)
    return decide_many([decision], decided_by=decided_by, imported=imported)[0]


def lock_if_decisions_move_dates() -> bool:
    """Whether decisions can move records' due dates (a re-wrap of their keys); if so, the retention lock
    is taken for the rest of the caller's transaction. Take it before locking rows or writing audit events."""
    if not retention.decisions_move_dates(("application", "documents", "photo")):
        return False
    retention.lock_for_rewrap()
    return True


def decide_many(decisions: list[Decision], *, decided_by: Actor | None, imported: bool = False) -> list[Application]:
    """Record decisions in one transaction; refuse them all if one is not allowed (DecisionRefused)."""
    action = "enrollment.import" if imported else "enrollment.decide"
    for decision in decisions:
        authorize(decided_by, action, target=decision.application.ref)
    rules = current_rules()
    appeal_days = int(rules.raw.get("appeal_days", APPEAL_DAYS_DEFAULT))
    today = timezone.localdate()
    with transaction.atomic():
        # A decision can move records' due dates (a re-wrap): first of all, take the lock under which
        # holds and disposition runs re-wrap and destroy keys, so neither happens between reading the
        # records and moving them.
        moves_dates = lock_if_decisions_move_dates()
        pks = [d.application.pk for d in decisions]
        locked = Application.objects.select_for_update().select_related("applicant").in_bulk(pks)
        approving = [locked[d.application.pk] for d in decisions
                     if d.approve and locked[d.application.pk].status == ApplicationStatus.SUBMITTED]
        if approving and not (imported and decided_by is None):
            # The host operator's migration imports approvals the old program decided: history, not new
            # approvals. The checks registered with ``register_on_enrolled`` have already run on them (matching
            # opened its alerts), so an analyst reviews them afterwards; refusing would lose the records. A staff
            # member's import is checked like their own approval: else a file would be a way round the hold.
            for check in _approval_checks:
                check(approving)
        decided, events, approvals = [], [], []
        for decision in decisions:
            application = locked[decision.application.pk]
            decided_on = decision.decided_on or today
            reasons = list(dict.fromkeys(decision.reasons))
            if application.status != ApplicationStatus.SUBMITTED:
                raise DecisionRefused("decided")
            if decided_by is not None and application.enrolled_by_id == decided_by.pk:
                raise DecisionRefused("own_enrollment")
            if decided_on < application.submitted_on:
                raise DecisionRefused("before_submission")
            if decision.approve:
                if not application.eligible:
                    raise DecisionRefused("ineligible")
                applicant = application.applicant
                # None only once the record is destroyed: then, as before, the approval fails here.
                assert applicant.personal_record is not None and applicant.sealed_profile is not None
                record = vault.open_record(applicant.personal_record)
                profile = record.open_json("profile", applicant.sealed_profile)
                events.append(
                    dict(
                        actor=decided_by,
                        action="personal.decrypt",
                        target=application.applicant.ref,
                        purpose=application.ref,
                    )
                )
                date_of_birth = date.fromisoformat(profile["date_of_birth"])
                application.status = ApplicationStatus.APPROVED
                approvals.append(
                    Approval(
                        application,
                        decided_on,
                        eligibility.card_expiry(rules, date_of_birth=date_of_birth, issued_on=decided_on),
                        record,
                    )
                )
            else:
                unknown = [r for r in reasons if r not in DenialReason.values]
                if not reasons or unknown:
                    raise DecisionRefused("no_reason")
                application.status = ApplicationStatus.DENIED
                application.denial_reasons = reasons
                application.appeal_deadline = decided_on + timedelta(days=appeal_days)
            application.decided_on = decided_on
            application.decided_by = account_of(decided_by)
            decided.append(application)
            events.append(
                dict(
                    actor=decided_by,
                    action="application.approve" if decision.approve else "application.deny",
                    target=application.ref,  # the denial reasons stay with the application, not in the log
                )
            )
        update_rows(Application, ["status", "denial_reasons", "appeal_deadline", "decided_on", "decided_by"], decided)
        record_events(events)
        if approvals:
            for callback in _on_approval:
                callback(approvals, decided_by=decided_by)
        # A decision or a card can be the trigger of a schedule: move the records if their date moved.
        if moves_dates:
            record_keys = RecordKey.objects.filter(
                Q(id__in=[a.documents_record_id for a in decided])
                | Q(id__in=[a.applicant.personal_record_id for a in decided])
                | Q(id__in=[a.applicant.photo_record_id for a in decided if a.applicant.photo_record_id])
            )
            retention.refresh_due_dates(list(record_keys))
    return decided



# --- cleaning what was stored before names and uploads were cleaned on entry ----------------------
# ``cityid enrollment clean``: re-seals stored names and addresses in their normal form (and re-indexes
# them), re-encodes stored photos and image scans without metadata, and checks stored PDF scans. Batch
# by batch, each in one transaction with its progress, so a run stopped anywhere goes on where it stopped.

CLEAN_TASKS = ("names", "photos", "scans")
CLEAN_VERSION = "v1"  # a new version of the cleaning runs every task again from the start


@dataclass
class CleanBatch:
    """What one batch did: rows looked at, values re-sealed or files re-encoded, and the pseudonymous
    references of stored files that could not be cleaned (each with the reason code)."""

    checked: int = 0
    changed: int = 0
    refused: list[str] = dataclasses.field(default_factory=list)
    finished: bool = False


def _task_rows(task: str) -> Any:
    if task == "names":
        return Applicant.objects.all()
    if task == "photos":
        return Applicant.objects.exclude(photo=None)
    if task == "scans":
        return PresentedDocument.objects.exclude(scan=None)
    raise ValueError(f"unknown cleaning task {task!r}: one of {', '.join(CLEAN_TASKS)}")


def cleanup_progress(task: str) -> CleanupProgress:
    """The task's progress row, created (with the rows to go through fixed) when the task first starts."""
    from django.db.models import Max

    rows = _task_rows(task)
    progress, _created = CleanupProgress.objects.get_or_create(
        task=f"{task}-{CLEAN_VERSION}", defaults={"until_id": rows.aggregate(top=Max("pk"))["top"] or 0}
    )
    return progress


def cleanup_remaining(task: str) -> int:
    progress = cleanup_progress(task)
    return _task_rows(task).filter(pk__gt=progress.last_id, pk__lte=progress.until_id).count()


def clean_stored_batch(*, task: str, actor: Actor | None, size: int = 50) -> CleanBatch:
    """Clean the next ``size`` rows of ``task`` (``names``, ``photos`` or ``scans``) and record the progress.

    Every decryption is written to the audit log (``personal.decrypt``, pseudonymous target, purpose
    ``maintenance:clean``), in bulk with the batch. Files are decoded and re-encoded outside the
    transaction; the rows are then re-read under the retention lock (so no hold or disposition run moves
    or destroys them meanwhile) and a row changed or destroyed in between is left for the next run."""
    authorize(actor, "enrollment.clean")
    progress = cleanup_progress(task)
    if progress.finished_at is not None:
        return CleanBatch(finished=True, refused=[])
    ids = list(
        _task_rows(task).filter(pk__gt=progress.last_id, pk__lte=progress.until_id)
        .order_by("pk").values_list("pk", flat=True)[:size]
    )
    if not ids:
        progress.finished_at = timezone.now()
        progress.save(update_fields=["finished_at"])
        return CleanBatch(finished=True, refused=[])
    cleaner = {"names": _clean_names, "photos": _clean_photos, "scans": _clean_scans}[task]
    batch = cleaner(ids, actor, progress)
    return batch


def _open_or_none(record_key: Any) -> vault.OpenRecord | None:
    if record_key is None:
        return None
    try:
        return vault.open_record(record_key)
    except vault.RecordDestroyed:
        return None


def _advance(progress: CleanupProgress, ids: list[int], batch: CleanBatch) -> None:
    progress.last_id = ids[-1]
    progress.checked += batch.checked
    progress.changed += batch.changed
    progress.refused += len(batch.refused or [])
    progress.save(update_fields=["last_id", "checked", "changed", "refused"])


def _decrypt_event(actor: Actor | None, target: str) -> dict[str, Any]:
    return dict(actor=actor, action="personal.decrypt", target=target, purpose="maintenance:clean")


def _clean_names(ids: list[int], actor: Actor | None, progress: CleanupProgress) -> CleanBatch:
    from cityid.enrollment.inputs import DETAILS_TEXT, PROFILE_TEXT, clean_sealed_text

    batch = CleanBatch(refused=[])
    with transaction.atomic():
        retention.lock_for_rewrap()
        applicants = list(
            Applicant.objects.select_for_update(of=("self",)).filter(pk__in=ids).select_related("personal_record")
            .order_by("pk")
        )
        applications: dict[int, list[Application]] = {}
        for application in Application.objects.filter(applicant_id__in=ids).order_by("pk"):
            applications.setdefault(application.applicant_id, []).append(application)
        profiles, details, changed_records, events = [], [], [], []
        for applicant in applicants:
            batch.checked += 1
            record = _open_or_none(applicant.personal_record)
            if record is None or applicant.sealed_profile is None:
                continue
            events.append(_decrypt_event(actor, applicant.ref))
            changed = False
            profile = record.open_json("profile", applicant.sealed_profile)
            clean = clean_sealed_text(profile, PROFILE_TEXT)
            if clean != profile:
                applicant.sealed_profile = record.seal_json("profile", clean)
                profiles.append(applicant)
                changed = True
            for application in applications.get(applicant.pk, []):
                if application.sealed_details is None:
                    continue
                field = f"application:{application.public_id}"
                values = record.open_json(field, application.sealed_details)
                clean = clean_sealed_text(values, DETAILS_TEXT)
                if clean != values:
                    application.sealed_details = record.seal_json(field, clean)
                    details.append(application)
                    changed = True
            if changed:
                batch.changed += 1
                changed_records.append(record)
        update_rows(Applicant, ["sealed_profile"], profiles)
        update_rows(Application, ["sealed_details"], details)
        vault.reindex(changed_records)  # the name and birth-date index of the new normal form
        record_events(events)
        _advance(progress, ids, batch)
    return batch


def _clean_photos(ids: list[int], actor: Actor | None, progress: CleanupProgress) -> CleanBatch:
    from cityid.enrollment.inputs import clean_file
    from cityid.enrollment.uploads import PHOTO, UploadRefused

    batch = CleanBatch(refused=[])
    found = []  # (applicant, old blob id, cleaned)
    events = []
    for applicant in Applicant.objects.filter(pk__in=ids).select_related("photo", "photo_record").order_by("pk"):
        batch.checked += 1
        record = _open_or_none(applicant.photo_record)
        if record is None or applicant.photo is None:
            continue
        try:
            data = vault.read_blob(record=record, blob=applicant.photo)
        except FileNotFoundError:  # removed meanwhile (a disposition run): nothing left to clean
            continue
        events.append(_decrypt_event(actor, applicant.ref))
        try:
            found.append((applicant, record, clean_file(data, PHOTO)))
        except UploadRefused as refused:
            batch.refused.append(f"{applicant.ref} photo: {refused.code}")
    _replace_blobs(found, ids, batch, events, progress, model=Applicant, field="photo")
    return batch


def _clean_scans(ids: list[int], actor: Actor | None, progress: CleanupProgress) -> CleanBatch:
    from cityid.enrollment.inputs import clean_file
    from cityid.enrollment.uploads import SCAN, UploadRefused

    batch = CleanBatch(refused=[])
    found = []
    events: dict[str, dict] = {}
    documents = (
        PresentedDocument.objects.filter(pk__in=ids)
        .select_related("scan", "application", "application__documents_record")
        .order_by("pk")
    )
    records: dict[int | None, vault.OpenRecord | None] = {}
    for document in documents:
        batch.checked += 1
        application = document.application
        if application.documents_record_id not in records:
            records[application.documents_record_id] = _open_or_none(application.documents_record)
        record = records[application.documents_record_id]
        if record is None or document.scan is None:
            continue
        try:
            data = vault.read_blob(record=record, blob=document.scan)
        except FileNotFoundError:
            continue
        events.setdefault(application.ref, _decrypt_event(actor, application.ref))
        try:
            cleaned = clean_file(data, SCAN)
        except UploadRefused as refused:
            batch.refused.append(f"{application.ref} document {document.position}: {refused.code}")
            continue
        found.append((document, record, cleaned))
    _replace_blobs(found, ids, batch, list(events.values()), progress, model=PresentedDocument, field="scan")
    return batch


def _replace_blobs(
    found: list[tuple[Any, vault.OpenRecord, Any]],
    ids: list[int],
    batch: CleanBatch,
    events: list[dict],
    progress: CleanupProgress,
    *,
    model: Any,
    field: str,
) -> None:
    """Store each cleaned file as a new blob of the same record, point the row at it and delete the old
    blob, in one transaction with the batch's audit events and progress; then unlink the old files.

    A row whose blob or record changed since it was read (cleaned by another run, or destroyed) is left.
    Killed after the commit and before the unlink, the old files are orphans that ``vault sweep`` (and
    the end of ``cityid enrollment clean``) removes: no row refers to them any more."""
    old_uuids = []
    with vault.atomic_with_blobs():
        retention.lock_for_rewrap()
        current = {
            row.pk: (getattr(row, f"{field}_id"), row)
            for row in model.objects.select_for_update().filter(pk__in=[row.pk for row, _r, _c in found])
        }
        live_keys = set(
            RecordKey.objects.filter(pk__in=[record.key.pk for _row, record, _c in found]).values_list("pk", flat=True)
        )
        still = [
            (row, record, cleaned) for row, record, cleaned in found
            if current.get(row.pk, (None,))[0] == getattr(row, f"{field}_id") and record.key.pk in live_keys
        ]
        blobs = vault.store_blobs([(record, cleaned.data, cleaned.content_type) for _row, record, cleaned in still])
        Blob.objects.bulk_create(blobs)
        old = []
        for (row, _record, _cleaned), blob in zip(still, blobs, strict=True):
            old.append(getattr(row, field))
            setattr(row, field, blob)
        update_rows(model, [field], [row for row, _r, _c in still])
        old_uuids = [blob.uuid for blob in old]
        Blob.objects.filter(pk__in=[blob.pk for blob in old]).delete()
        batch.changed += len(still)
        record_events(events)
        _advance(progress, ids, batch)
    vault.delete_blob_files(old_uuids)
# --- purpose binding: case assignment, recorded reasons, read counting ----------------------------------


class CaseAccessRefused(CityidError, ValueError):
    """An assignment or a recorded reason the rules refuse; ``str()`` is the message in the active language."""


#: Recorded-reason kinds: ``kind -> (checker, lister)``. A purpose ``<kind>:<uuid>`` is accepted for a read
#: only when the kind's checker says the reason object exists, is open, and lets this actor read this applicant.
_ACCESS_REASONS: dict[str, tuple[Any, Any]] = {}
#: The policy action each kind's readers need (``register_access_reason``'s ``action``).
_REASON_ACTIONS: dict[str, str] = {}
READ_PERSONAL = "enrollment.read_personal"


def register_access_reason(kind: str, checker: Any, *, lister: Any = None, action: str = READ_PERSONAL) -> None:
    """Register a role-specific reason to read applicants (the owning app calls this in ``ready()``).

    ``checker(reason_id, *, actor, applicant) -> bool``: the reason object ``reason_id`` (a UUID string) of
    this kind exists, is still open, and allows ``actor`` to read ``applicant``. ``lister(*, actor,
    applicant)``: the purposes (``selectors.Purpose``) of this kind that ``actor`` may use for ``applicant``,
    shown on the purpose page. ``action``: the policy action a reader naming a reason of this kind needs (default
    ``enrollment.read_personal``; law-enforcement production names ``law_enforcement.produce``, counsel's). Fraud
    alerts and legal requests register here when they come.
    """
    import re

    if kind == "application" or not re.fullmatch(r"[a-z][a-z_]{1,30}", kind):
        raise ValueError(f"{kind!r} cannot name an access reason")
    _ACCESS_REASONS[kind] = (checker, lister)
    _REASON_ACTIONS[kind] = action


def access_reasons() -> dict[str, tuple[Any, Any]]:
    return dict(_ACCESS_REASONS)


def read_action(purpose: Any) -> str:
    """The policy action a read naming ``purpose`` needs: its registered reason kind's, else
    ``enrollment.read_personal`` (an open case, a closed-case reason, or anything malformed)."""
    kind = purpose.partition(":")[0] if isinstance(purpose, str) else ""
    return _REASON_ACTIONS.get(kind, READ_PERSONAL)


def assign_case(
    *, application: Application, by: Actor | None, staff: Any = None, site: str = "", decision_queue: bool = False
) -> Application:
    """Move an open case to exactly one holder: a staff member who reads applicants, a site's queue, or the
    supervisors' decision queue. Audited with ids only (``case.assign``)."""
    authorize(by, "enrollment.assign", target=application.ref)
    site = (site or "").strip()
    if sum((staff is not None, bool(site), bool(decision_queue))) != 1:
        raise CaseAccessRefused("target")
    if staff is not None and not (staff.is_active and allowed(staff.role, "enrollment.read_personal")):
        raise CaseAccessRefused("staff")
    if len(site) > (Application._meta.get_field("assigned_site").max_length or 0):
        raise CaseAccessRefused("target")
    with transaction.atomic():
        locked = Application.objects.select_for_update().get(pk=application.pk)
        if locked.status != ApplicationStatus.SUBMITTED:
            raise CaseAccessRefused("closed")
        locked.assigned_to = staff
        locked.assigned_site = site
        locked.in_decision_queue = bool(decision_queue)
        locked.save(update_fields=["assigned_to", "assigned_site", "in_decision_queue"])
        holder = f"staff:{staff.pk}" if staff is not None else f"site:{site}" if site else "decision_queue"
        record_event(actor=by, action="case.assign", target=application.ref, purpose=holder[:80])
    application.assigned_to, application.assigned_site = locked.assigned_to, locked.assigned_site
    application.in_decision_queue = locked.in_decision_queue
    return application


def closed_case_minutes() -> int:
    return settings.CITYID_CLOSED_CASE_MINUTES


def open_closed_case(*, application: Application, actor: Actor, reason: str) -> ClosedCaseAccess:
    """Record why ``actor`` reads the applicant of a decided case: a reason code from the fixed list, valid for
    ``CITYID_CLOSED_CASE_MINUTES``. Only roles the policy allows ``enrollment.read_closed``; audited."""
    authorize(actor, "enrollment.read_closed", target=application.ref)
    if reason not in ClosedCaseReason.values:
        raise CaseAccessRefused("reason")
    with transaction.atomic():
        if Application.objects.get(pk=application.pk).status == ApplicationStatus.SUBMITTED:  # as stored now
            raise CaseAccessRefused("open")
        access = ClosedCaseAccess.objects.create(
            application=application, staff=account_of(actor), reason=reason,
            expires_at=timezone.now() + timedelta(minutes=closed_case_minutes()),
        )
        record_event(actor=actor, action="access.reason", target=application.ref,
                     purpose=f"{access.ref} {reason}")
    return access


#: Read-rate windows with the settings of their alert threshold and hard limit.
READ_WINDOWS = (
    (ReadWindow.HOUR, "CITYID_READ_ALERT_PER_HOUR", "CITYID_READ_LIMIT_PER_HOUR"),
    (ReadWindow.DAY, "CITYID_READ_ALERT_PER_DAY", "CITYID_READ_LIMIT_PER_DAY"),
)


class ReadLimitReached(CityidError):
    """The staff member has read more personal records in this window than the hard limit allows."""

    def __init__(self, window: str) -> None:
        super().__init__("read_limit", window=window)
        self.window = window


def _window_start(window: str, now: Any) -> Any:
    local = timezone.localtime(now)
    if window == ReadWindow.HOUR:
        return local.replace(minute=0, second=0, microsecond=0)
    return local.replace(hour=0, minute=0, second=0, microsecond=0)


def _bump(staff_id: int, window: str, starts_at: Any) -> int:
    """Add one to the staff member's counter of this window; the new count (a row lock orders concurrent
    readers, so each sees a different count)."""
    rows = ReadCounter.objects.filter(staff_id=staff_id, window=window, starts_at=starts_at)
    if not rows.update(count=F("count") + 1):
        try:
            with transaction.atomic():
                ReadCounter.objects.create(staff_id=staff_id, window=window, starts_at=starts_at, count=1)
        except IntegrityError:  # another request created it meanwhile
            rows.update(count=F("count") + 1)
        else:
            # A new window: forget this person's counters of windows long past.
            ReadCounter.objects.filter(staff_id=staff_id, starts_at__lt=starts_at - timedelta(days=2)).delete()
            return 1
    return rows.values_list("count", flat=True).get()


def count_personal_read(*, actor: Actor | None) -> None:
    """Count one read of personal data by ``actor`` in each window (an hour, a day).

    At the alert threshold a :class:`ReadRateAlert` is recorded (once per window) for supervisors and auditors;
    beyond the hard limit :class:`ReadLimitReached` is raised and the caller refuses the read. A few indexed
    row updates per read: nothing scans the audit log. The host operator is not counted. A threshold of 0
    turns that check off.
    """
    if role_of(actor) is None or actor is None:
        return
    now = timezone.now()
    blocked = None
    with transaction.atomic():
        for window, alert_setting, limit_setting in READ_WINDOWS:
            starts_at = _window_start(window, now)
            count = _bump(actor.pk, window, starts_at)
            threshold, limit = getattr(settings, alert_setting), getattr(settings, limit_setting)
            if threshold and count == threshold:
                _alert, created = ReadRateAlert.objects.get_or_create(
                    staff_id=actor.pk, window=window, starts_at=starts_at,
                    defaults={"count": count, "threshold": threshold},
                )
                if created:
                    record_event(actor=None, actor_id="system:read_rate", action="access.read_alert",
                                 target=f"staff:{actor.pk}", purpose=f"{window}:{count}")
            if limit and count > limit and blocked is None:
                blocked = window
    if blocked is not None:  # after the block: the count and any alert stay recorded
        raise ReadLimitReached(blocked)


# --- reissuing a card (the cards app: replacement, renewal) -----------------------------------------------

#: The renewal window when the rules file gives none (IDNYC: a card expiring within 60 days, or expired less
#: than 6 months ago, is renewed).
RENEWAL_DEFAULTS = {"days_before_expiry": 60, "months_after_expiry": 6}


def renewal_window() -> tuple[int, int]:
    """(days before expiry, months after expiry) in which a card may be renewed, from the rules file."""
    window = {**RENEWAL_DEFAULTS, **(current_rules().raw.get("renewal") or {})}
    return int(window["days_before_expiry"]), int(window["months_after_expiry"])


def card_expiry_for(*, applicant_id: int, issued_on: date, actor: Actor | None, purpose: str) -> date:
    """The expiry of a card issued to this applicant on ``issued_on``, by the rules file (validity by age at
    issue). The date of birth is decrypted here and never leaves: logged as ``personal.decrypt`` with the
    applicant's pseudonymous id and ``purpose`` (the card being renewed). The caller authorises."""
    applicant = Applicant.objects.select_related("personal_record").get(pk=applicant_id)
    if applicant.personal_record is None or applicant.sealed_profile is None:
        raise ReissueRefused("destroyed")
    try:
        record = vault.open_record(applicant.personal_record)
    except vault.RecordDestroyed:
        raise ReissueRefused("destroyed") from None
    born = date.fromisoformat(record.open_json("profile", applicant.sealed_profile)["date_of_birth"])
    record_event(actor=actor, action="personal.decrypt", target=applicant.ref, purpose=purpose)
    return eligibility.card_expiry(current_rules(), date_of_birth=born, issued_on=issued_on)


class ReissueRefused(CityidError, ValueError):
    """A card cannot be reissued: ``destroyed`` (the applicant's application data is gone), ``not_approved``."""


def open_reissue(*, application: Application, requested_by: Actor | None, today: date,
                 application_type: str = ApplicationType.REPLACEMENT) -> Application:
    """A new case for the holder of ``application``'s card, of ``application_type`` (replacement), with that
    application's eligibility, caretaker and card options and no documents: staff checked the holder's identity
    at the counter, and nothing of it is kept. Left submitted, for the caller to decide in the same transaction
    (``decide``: the supervisor's approval issues the card through the approval hooks, and moves the records'
    due dates). Authorised as ``cards.replace``."""
    authorize(requested_by, "cards.replace", target=application.ref)
    if application.status != ApplicationStatus.APPROVED:
        raise ReissueRefused("not_approved")
    applicant = application.applicant
    if applicant.personal_record is None:
        raise ReissueRefused("destroyed")
    try:
        record = vault.open_record(applicant.personal_record)
    except vault.RecordDestroyed:
        raise ReissueRefused("destroyed") from None
    reissue = Application(
        applicant=applicant, type=application_type, submitted_on=today, with_caretaker=application.with_caretaker,
        identity_points=application.identity_points, residency_points=application.residency_points,
        eligible=True, rules_version=current_rules().version, document_copies=application.document_copies,
    )
    if application.sealed_details:
        details = record.open_json(f"application:{application.public_id}", application.sealed_details)
        reissue.sealed_details = record.seal_json(f"application:{reissue.public_id}", details)
    reissue.save()
    record_event(actor=requested_by, action="application.reissue", target=reissue.ref)
    return reissue
