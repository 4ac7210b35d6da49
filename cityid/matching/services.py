"""Matching writes: the process's candidate index, the real-time check, alerts, analysts' decisions.

The index (:mod:`cityid.matching.backend`) is built on first use from the encrypted store, through enrollment's
audited selector (``people_to_match``: every decryption logged), and kept current on every write: enrollment
calls :func:`on_enrolled` in the transaction that stores an application, the vault tells :func:`forget_key` the
moment a key is destroyed and :func:`records_moved` when records move to a legal hold or a new cohort. Before
each use, keys destroyed by another process are dropped (the provider is asked which keys are live) and
applicants stored by another process are read in.

Nothing here may crash the enrollment path: a check that cannot run leaves its application queued (it cannot
be approved until checked; ``cityid matching recheck`` or the next enrollment catches up).
"""

from __future__ import annotations

import contextlib
import functools
import gc
import logging
import os
import statistics
import threading
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cityid.accounts.services import authorize
from cityid.audit.services import record_event
from cityid.core.actors import Actor
from cityid.core.backends import backend_class
from cityid.core.errors import CityidError
from cityid.enrollment import selectors as enrollment
from cityid.enrollment.inputs import EnrollmentInput
from cityid.enrollment.services import Enrolled
from cityid.matching.backend import MatcherBackend, Person
from cityid.matching.models import (
    Alert,
    AlertKind,
    AlertLevel,
    AlertPair,
    AlertStatus,
    CheckStatus,
    Decision,
    MatchCheck,
)
from cityid.matching.normalise import normalise
from cityid.matching.people import address_key, index_keys, person_record
from cityid.matching.records import PersonRecord
from cityid.matching.scorer import Model
from cityid.vault.providers import get_provider

logger = logging.getLogger(__name__)

SUBKEY_LABEL = b"cityid matching index sub-key v1"  # no NUL byte: never the message of a blind index
CANDIDATES = 24  # scored per check, most shared keys first
PAIRS_KEPT = 20  # others named by one alert at most
LOAD_BATCH = 2_000
SYSTEM = "system:matching"  # the audit log's actor for what the matcher does by itself


class MatchingRefused(CityidError):
    """An approval or a decision the matcher refuses (codes and words: ``matching.messages``)."""


class MatcherUnavailable(CityidError):
    """The candidate index cannot answer now."""


# --- pausing the hooks (tests of other apps) ----------------------------------------------------------------

_paused = [0]


@contextlib.contextmanager
def paused() -> Iterator[None]:
    """Within this block (in every thread: a live test server's too) enrollment's hooks do nothing: no check, no
    alert, no approval refused. For the tests of other apps, which enroll one canary person many times over;
    never used by the program."""
    _paused[0] += 1
    try:
        yield
    finally:
        _paused[0] -= 1


def _active() -> bool:
    return not _paused[0]


# --- the process's index ------------------------------------------------------------------------------------

_lock = threading.RLock()
_index: MatcherBackend | None = None
_index_provider: object = None  # the key provider the index was built with: another one (a test, a new
# configuration) means another store, so the index is rebuilt
_high_water = 0  # the highest applicant id read from the store
_synced_at = 0.0  # when the store was last asked for applicants stored by other processes (monotonic)
_document_key = os.urandom(32)  # only in this process's memory: document numbers are compared as HMACs under it


def _subkey(key_id: str) -> bytes:
    return get_provider().keyed_hash(key_id, SUBKEY_LABEL)


def document_key() -> bytes:
    return _document_key


def _person(found: enrollment.MatchPerson) -> Person:
    record = person_record(
        person_id=found.applicant_id, given_name=found.given_name, family_name=found.family_name,
        date_of_birth=found.date_of_birth, address=found.address, documents=found.documents,
        document_key=_document_key,
    )
    return Person(found.applicant_id, found.key_id, record, found.submitted_on)


def _read(*, after_id: int = 0, applicant_ids: list[int] | None = None, purpose: str) -> Iterable[Person]:
    """People from the encrypted store, decrypted through enrollment's audited selector."""
    global _high_water
    if applicant_ids is not None:
        for start in range(0, len(applicant_ids), LOAD_BATCH):
            for found in enrollment.people_to_match(actor=None, purpose=purpose,
                                                    applicant_ids=applicant_ids[start:start + LOAD_BATCH]):
                yield _person(found)
        return
    while True:
        batch = enrollment.people_to_match(actor=None, purpose=purpose, after_id=after_id, limit=LOAD_BATCH)
        if not batch:
            return
        for found in batch:
            yield _person(found)
        after_id = batch[-1].applicant_id
        _high_water = max(_high_water, after_id)


def matcher() -> MatcherBackend:
    """The process's candidate index (``CITYID_MATCHER_BACKEND``): built from the encrypted store on first use;
    then, before each use, brought up to date with what other processes did."""
    global _index, _index_provider, _high_water
    with _lock:
        cls = backend_class("CITYID_MATCHER_BACKEND")
        provider = get_provider()
        if _index is None or type(_index) is not cls or provider is not _index_provider:
            index = cls.create(subkey=_subkey, keys_of=index_keys)
            _high_water = 0
            index.replace_all(_read(purpose="matching:index"))
            _freeze()
            _index, _index_provider = index, provider
            return index
        index = _index
        _catch_up(index)
        return index


def _catch_up(index: MatcherBackend) -> None:
    """Keys destroyed elsewhere leave at every use (the provider knows at once); applicants stored by other
    processes are read in at most every ``CITYID_MATCH_SYNC_SECONDS`` (one query)."""
    global _high_water, _synced_at
    live = set(get_provider().key_ids())
    dropped: list[int] = []
    for key_id in index.key_ids() - live:
        dropped.extend(index.forget_key(key_id))
    if dropped:  # moved to a hold (or a new cohort) by another process? then read them back under their key
        _normal.cache_clear()
        index.upsert(_read(applicant_ids=dropped, purpose="matching:index"))
    now = time.monotonic()
    if now - _synced_at < settings.CITYID_MATCH_SYNC_SECONDS:
        return
    _synced_at = now
    newer = enrollment.applicant_ids_after(_high_water)
    if newer:
        missing = [applicant_id for applicant_id in newer if index.get(applicant_id) is None]
        if missing:  # stored by another process
            index.upsert(_read(applicant_ids=missing, purpose="matching:index"))
        _high_water = max(newer)


def _freeze() -> None:
    """Move what is alive now (the index's millions of objects) out of the cyclic garbage collector's reach: a
    full collection would otherwise walk them all, stalling a check for most of a second at 1,000,000 people."""
    gc.collect()
    gc.freeze()


def install_index(index: MatcherBackend) -> None:
    """Use ``index`` as the process's index from now on (the benchmark builds one from synthetic records)."""
    global _index, _index_provider, _high_water
    _freeze()
    with _lock:
        _index, _index_provider = index, get_provider()
        _high_water = max(enrollment.applicant_ids_after(0) or [0])


def reset_index() -> None:
    """Forget the process's index: the next use rebuilds it from the store."""
    global _index
    with _lock:
        _index = None
        _normal.cache_clear()


def rebuild_index(*, actor: Actor | None) -> int:
    """Rebuild the process's index from the encrypted store now (host operator). Returns its size."""
    authorize(actor, "matching.index")
    reset_index()
    return matcher().size()


def forget_key(key_id: str) -> None:
    """The vault's key-destruction listener: the key's people leave this process's index at once."""
    index = _index
    if index is not None and _index_provider is get_provider():
        dropped = index.forget_key(key_id)
        _normal.cache_clear()
        if dropped:
            logger.info("matching: %d people left the candidate index with their key", len(dropped))


def records_moved(record_keys: list[Any]) -> None:
    """The vault's record-move listener: an applicant whose ``application`` record moved (a legal hold, a new
    cohort) is held under its new key, so it stays matchable after the old key is destroyed."""
    index = _index
    if index is None or _index_provider is not get_provider():
        return
    moved = {key.subject_ref.split(":", 1)[1]: key.key_id for key in record_keys
             if key.record_class == "application" and key.subject_ref.startswith("applicant:")}
    if not moved:
        return
    ids = enrollment.applicant_ids_for_public(list(moved))
    people = []
    for public_id, applicant_id in ids.items():
        person = index.get(applicant_id)
        if person is not None and person.key_id != moved[public_id]:
            people.append(Person(person.id, moved[public_id], person.record, person.since))
    if not people:
        return
    # A move is told after its commit: by then the new key may be gone already (a run that re-wraps and destroys
    # in one transaction, another process's run). Hashing under it would fail half-way and leave the people not
    # yet moved under their old key, which can outlive the destroyed data: they leave instead, as when their key
    # is destroyed; and if the backend fails anyway, everyone moved leaves before the error goes up.
    live = set(get_provider().key_ids())
    gone = [person.id for person in people if person.key_id not in live]
    if gone:
        index.remove(gone)
        _normal.cache_clear()
    try:
        index.upsert([person for person in people if person.key_id in live])
    except Exception:
        index.remove([person.id for person in people])
        _normal.cache_clear()
        raise


# --- the check ----------------------------------------------------------------------------------------------


_model: Model | None = None
#: The comparable form of the people scored most often (a candidate's record is normalised once, not per check).
#: Cleared whenever people leave the index with their key: it must not remember them either.
_normal = functools.lru_cache(maxsize=50_000)(normalise)


def model() -> Model:
    global _model
    if _model is None:
        _model = Model.default()
    return _model


def threshold(name: str) -> float:
    """``review`` or ``hold``: the setting (``CITYID_MATCH_REVIEW_PROBABILITY``, ...) or else the model's."""
    value = getattr(settings, f"CITYID_MATCH_{name.upper()}_PROBABILITY", None)
    return float(value) if value not in (None, "") else float(model().thresholds[name])


@dataclass
class Found:
    person: Person
    probability: float
    match_weight: float
    evidence: list[dict[str, Any]]


@dataclass
class CheckResult:
    duplicates: list[Found] = field(default_factory=list)  # at or above the review threshold, highest first
    documents: list[Person] = field(default_factory=list)  # others with one of its document numbers
    address: list[Person] = field(default_factory=list)  # others at its address in the window (when too many)

    @property
    def held(self) -> bool:
        return bool(self.documents) or any(
            found.probability >= threshold("hold") for found in self.duplicates)


def evidence_of(comparison: Any) -> list[dict[str, Any]]:
    """A comparison's per-field evidence as codes and numbers: field, level, weight (never a value)."""
    rows = []
    for item in getattr(comparison, "fields", ()) or ():
        if isinstance(item, (tuple, list)):
            name, level, weight = (list(item) + [None, None, None])[:3]
        else:
            name = getattr(item, "field", getattr(item, "name", ""))
            level = getattr(item, "level", getattr(item, "label", ""))
            weight = getattr(item, "weight", getattr(item, "match_weight", None))
        rows.append({"field": str(name), "level": str(level),
                     "weight": None if weight is None else round(float(weight), 2)})
    return rows


def check_record(record: PersonRecord, *, since: date, exclude: int | None = None) -> CheckResult:
    """Compare ``record`` with the index's people: candidates by keyed blocking keys, each scored by the model;
    the document numbers it shares with others; the others at its address in the window."""
    index = matcher()
    scorer = model()
    result = CheckResult()
    review = threshold("review")
    query = normalise(record)
    for candidate in index.candidates(query, limit=CANDIDATES + 1):
        if candidate.person.id == exclude:
            continue
        comparison = scorer.score(query, _normal(candidate.person.record))
        if comparison.probability >= review:
            result.duplicates.append(Found(candidate.person, float(comparison.probability),
                                           float(comparison.match_weight), evidence_of(comparison)))
    result.duplicates.sort(key=lambda found: -found.probability)
    same = {found.person.id for found in result.duplicates}
    others: dict[int, Person] = {}
    for digest in sorted(query.docs):
        for person in index.holders(f"doc:{digest}"):
            if person.id != exclude and person.id not in same:
                others[person.id] = person
    result.documents = list(others.values())
    key = address_key(query)
    if key:
        start = since - timedelta(days=settings.CITYID_MATCH_ADDRESS_DAYS)
        recent = [p for p in index.holders(key) if p.id != exclude and start <= p.since <= since]
        if len(recent) + 1 >= settings.CITYID_MATCH_ADDRESS_APPLICANTS:
            result.address = recent
    return result


def record_of_input(data: EnrollmentInput, *, person_id: int | str = "new") -> PersonRecord:
    return person_record(
        person_id=person_id, given_name=data.given_name, family_name=data.family_name,
        date_of_birth=data.date_of_birth, address=data.address or {},
        documents=[(doc.type, doc.number) for doc in data.documents], document_key=_document_key,
    )


def submission_check(data: EnrollmentInput, actor: Actor) -> list[str]:
    """Enrollment's submission check: what the clerk is told before submitting (no one else's data: not who
    matched, nor how many live at the address). Never raises.

    The answer says whether someone with these details (or this document number) is enrolled, before anything is
    stored: typed for a person who is not applying, it asks "is X an applicant?" without a case. So every check
    is a personal read of the clerk's: it counts toward their read-rate alert and limit (past the limit it is
    not answered), and is written to the audit log (the clerk, whether it warned; no value typed)."""
    from cityid.enrollment.services import ReadLimitReached, count_personal_read

    if not _active():
        return []
    try:
        count_personal_read(actor=actor)
    except ReadLimitReached as reached:
        record_event(actor=actor, action="match.submission_check", purpose=f"read_limit:{reached.window}",
                     outcome="denied")
        return [_("The duplicate check is not shown: you have reached your limit of reads for now. The application "
                  "will be checked before it can be approved.")]
    try:
        result = check_record(record_of_input(data), since=data.submitted_on)
    except Exception as exc:  # noqa: BLE001 - the enrollment path goes on; the application will be queued
        logger.warning("matching: the submission check could not run (%s)", type(exc).__name__)
        return [_("The duplicate check is not available now. The application will be checked before it can be "
                  "approved.")]
    found = sum(1 for part in (result.duplicates, result.documents, result.address) if part)
    record_event(actor=actor, action="match.submission_check", purpose=f"warnings:{found}")
    warnings = []
    if result.duplicates:
        top = result.duplicates[0].probability
        if top >= threshold("hold"):
            warnings.append(_("This person may already be enrolled (a %(percent)s%% match). A fraud analyst must "
                              "review the application before it can be approved.") % {"percent": int(top * 100)})
        else:
            warnings.append(_("This person may already be enrolled (a %(percent)s%% match). A fraud analyst will "
                              "review the application.") % {"percent": int(top * 100)})
    if result.documents:
        warnings.append(_("A document number on this application is on another applicant's record. A fraud "
                          "analyst must review the application before it can be approved."))
    if result.address:
        warnings.append(_("Many people have applied recently with this address. A fraud analyst will review the "
                          "application."))
    return warnings


# --- at enrollment: queue, check, alert, index --------------------------------------------------------------


def on_enrolled(enrolled: list[Enrolled], *, enrolled_by: Actor | None) -> None:
    """Enrollment's hook, in the transaction that stores the applications: each is queued for checking, then
    checked (alerts opened) and added to the index. A check that fails leaves its application queued; this never
    raises."""
    if not _active():
        return
    checks = MatchCheck.objects.bulk_create([MatchCheck(application=item.application) for item in enrolled])
    for item, check in zip(enrolled, checks, strict=True):
        applicant = item.application.applicant
        record = record_of_input(item.data, person_id=applicant.pk)
        try:
            with transaction.atomic():
                result = check_record(record, since=item.data.submitted_on, exclude=applicant.pk)
                open_alerts(application=item.application, result=result)
                _mark_checked(check)
        except Exception as exc:  # noqa: BLE001 - nothing crashes the enrollment path
            logger.warning("matching: %s is queued for checking (%s)", item.application.ref, type(exc).__name__)
        _index_person(Person(applicant.pk, item.key_id, record, item.data.submitted_on))
    try:
        with transaction.atomic():
            recheck_queued(actor=None, limit=5)
    except Exception as exc:  # noqa: BLE001
        logger.warning("matching: queued checks wait (%s)", type(exc).__name__)


def _index_person(person: Person) -> None:
    try:
        index = _index
        if index is not None and _index_provider is get_provider():
            index.upsert([person])
    except Exception as exc:  # noqa: BLE001 - rebuilt from the store on its next use
        logger.warning("matching: the candidate index is rebuilt (%s)", type(exc).__name__)
        reset_index()


def _mark_checked(check: MatchCheck) -> None:
    check.status = CheckStatus.CHECKED
    check.checked_at = timezone.now()
    check.attempts += 1
    check.save(update_fields=["status", "checked_at", "attempts"])


def recheck_queued(*, actor: Actor | None, limit: int = 100) -> int:
    """Check the queued applications (oldest first) now that the matcher answers; returns how many were checked.
    Each applicant is decrypted through enrollment's audited selector (purpose ``matching:check``)."""
    authorize(actor, "matching.index")
    queued = list(MatchCheck.objects.filter(status=CheckStatus.QUEUED).select_related("application")
                  .order_by("pk")[:limit])
    if not queued:
        return 0
    people = {person.id: person for person in _read(
        applicant_ids=sorted({check.application.applicant_id for check in queued}), purpose="matching:check")}
    done = 0
    for check in queued:
        person = people.get(check.application.applicant_id)
        if person is None:  # destroyed meanwhile: nothing left to compare
            _mark_checked(check)
            continue
        result = check_record(person.record, since=check.application.submitted_on, exclude=person.id)
        open_alerts(application=check.application, result=result)
        _mark_checked(check)
        _index_person(person)
        done += 1
    return done


def open_alerts(*, application: Any, result: CheckResult) -> list[Alert]:
    """Open the alerts ``result`` calls for on ``application`` (duplicates, document reuse, address velocity),
    each with its pairs and evidence; audited with pseudonymous ids only."""
    wanted = {found.person.id for found in result.duplicates} | {p.id for p in result.documents} | {
        p.id for p in result.address}
    existing = enrollment.applicants_by_id(sorted(wanted)) if wanted else {}
    alerts = []
    hold = threshold("hold")
    duplicates = [found for found in result.duplicates if found.person.id in existing][:PAIRS_KEPT]
    if duplicates:
        top = duplicates[0].probability
        alerts.append(_alert(
            application, AlertKind.DUPLICATE, AlertLevel.HOLD if top >= hold else AlertLevel.REVIEW, top,
            {"candidates": len(duplicates)},
            [(found.person.id, found.probability, found.evidence) for found in duplicates],
        ))
    documents = [p for p in result.documents if p.id in existing][:PAIRS_KEPT]
    if documents:
        alerts.append(_alert(
            application, AlertKind.DOCUMENT, AlertLevel.HOLD, None, {"others": len(documents)},
            [(p.id, None, [{"field": "document_number", "level": "same", "weight": None}]) for p in documents],
        ))
    address = [p for p in result.address if p.id in existing][:PAIRS_KEPT]
    if address:
        alerts.append(_alert(
            application, AlertKind.ADDRESS, AlertLevel.REVIEW, None,
            {"applicants": len(result.address) + 1, "days": settings.CITYID_MATCH_ADDRESS_DAYS},
            [(p.id, None, [{"field": "address", "level": "same", "weight": None}]) for p in address],
        ))
    return alerts


def _alert(application: Any, kind: str, level: str, score: float | None, evidence: dict[str, Any],
           pairs: list[tuple[int, float | None, list[dict[str, Any]]]]) -> Alert:
    alert = Alert.objects.create(kind=kind, level=level, application=application,
                                 applicant_id=application.applicant_id, score=score, evidence=evidence,
                                 model_version=str(getattr(model(), "version", "")))
    AlertPair.objects.bulk_create([
        AlertPair(alert=alert, other_id=other, position=position, score=probability, evidence=rows)
        for position, (other, probability, rows) in enumerate(pairs, start=1)
    ])
    record_event(actor=None, actor_id=SYSTEM, action="match.alert", target=alert.ref, purpose=f"{kind}:{level}")
    return alert


# --- approvals ----------------------------------------------------------------------------------------------


def approval_check(applications: list[Any]) -> None:
    """Enrollment's "may these be approved?": not while queued for checking, not while an alert holds one for
    a fraud analyst, and not once an analyst found it the same person as another applicant or fraud."""
    if not _active():
        return
    ids = [application.pk for application in applications]
    if MatchCheck.objects.filter(application_id__in=ids, status=CheckStatus.QUEUED).exists():
        raise MatchingRefused("queued")
    if Alert.objects.filter(application_id__in=ids, level=AlertLevel.HOLD, status=AlertStatus.OPEN).exists():
        raise MatchingRefused("held")
    found = AlertPair.objects.filter(alert__application_id__in=ids, decision__in=[Decision.SAME, Decision.FRAUD])
    if found.exists() or Alert.objects.filter(application_id__in=ids, decision=Decision.FRAUD).exists():
        raise MatchingRefused("found")


def on_approval(approvals: list[Any], *, decided_by: Actor | None) -> None:
    """Enrollment's approval hook: a staff member whose approvals in the window stand out from their peers'
    (``CITYID_MATCH_APPROVAL_RATIO`` times the median, at least ``CITYID_MATCH_APPROVAL_MINIMUM``) gets one open
    alert, with counts only. Never undoes the approvals."""
    if decided_by is None or not approvals or not _active():
        return
    try:
        with transaction.atomic():
            days = settings.CITYID_MATCH_APPROVAL_DAYS
            counts = enrollment.approvals_by_staff(since=timezone.localdate() - timedelta(days=days))
            mine = counts.get(decided_by.pk, 0)
            peers = [n for staff, n in counts.items() if staff != decided_by.pk]
            median = statistics.median(peers) if peers else 0
            if mine < settings.CITYID_MATCH_APPROVAL_MINIMUM or mine < settings.CITYID_MATCH_APPROVAL_RATIO * max(
                    median, 1):
                return
            if Alert.objects.filter(kind=AlertKind.APPROVALS, staff_id=decided_by.pk, status=AlertStatus.OPEN).exists():
                return
            alert = Alert.objects.create(
                kind=AlertKind.APPROVALS, level=AlertLevel.REVIEW, staff_id=decided_by.pk,
                score=round(mine / max(median, 1), 2),
                evidence={"approvals": mine, "peer_median": median, "peers": len(peers), "days": days},
            )
            record_event(actor=None, actor_id=SYSTEM, action="match.alert", target=alert.ref,
                         purpose=f"{AlertKind.APPROVALS}:{AlertLevel.REVIEW}")
    except Exception as exc:  # noqa: BLE001
        logger.warning("matching: the approval signal could not run (%s)", type(exc).__name__)


# --- analysts' decisions ------------------------------------------------------------------------------------

PAIR_DECISIONS = (Decision.SAME, Decision.DIFFERENT, Decision.FRAUD)
ALONE_DECISIONS = (Decision.NO_CONCERN, Decision.FRAUD)


def decide(*, alert: Alert, actor: Actor | None, decision: str, position: int | None = None) -> Alert:
    """Record a fraud analyst's decision on one pair of an alert (``position``), or on an alert without pairs;
    the alert closes once every pair is decided. Audited (``match.decide``: the alert's id, the pair, the code)."""
    authorize(actor, "matching.review", target=alert.ref)
    with transaction.atomic():
        locked = Alert.objects.select_for_update().get(pk=alert.pk)
        if locked.status != AlertStatus.OPEN:
            raise MatchingRefused("closed")
        now = timezone.now()
        pairs = list(locked.pairs.order_by("position"))
        if pairs:
            pair = next((p for p in pairs if p.position == position), None)
            if pair is None:
                raise MatchingRefused("no_pair")
            if decision not in PAIR_DECISIONS:
                raise MatchingRefused("decision")
            pair.decision, pair.decided_at, pair.decided_by_id = decision, now, getattr(actor, "pk", None)
            pair.save(update_fields=["decision", "decided_at", "decided_by"])
            record_event(actor=actor, action="match.decide", target=locked.ref, purpose=f"pair:{position}:{decision}")
            if all(p.decision for p in pairs):
                codes = {p.decision for p in pairs}
                overall = next(code for code in (Decision.FRAUD, Decision.SAME, Decision.DIFFERENT) if code in codes)
                _close(locked, overall, actor, now)
        else:
            if decision not in ALONE_DECISIONS:
                raise MatchingRefused("decision")
            record_event(actor=actor, action="match.decide", target=locked.ref, purpose=f"alert:{decision}")
            _close(locked, decision, actor, now)
    return locked


def _close(alert: Alert, decision: str, actor: Actor | None, now: Any) -> None:
    alert.status, alert.decision, alert.decided_at = AlertStatus.CLOSED, decision, now
    alert.decided_by_id = getattr(actor, "pk", None)
    alert.save(update_fields=["status", "decision", "decided_at", "decided_by"])
