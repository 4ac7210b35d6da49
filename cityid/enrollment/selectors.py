"""Enrollment reads. Every read of personal data names a purpose and is logged."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import get_language

from cityid.accounts.policy import ROLES, PermissionDenied, allowed
from cityid.accounts.services import authorize, role_of
from cityid.audit.services import record_event, record_events
from cityid.core.actors import Actor
from cityid.core.errors import CityidError
from cityid.enrollment import name_index, services
from cityid.enrollment.models import (
    AddressKind,
    Applicant,
    Application,
    ApplicationStatus,
    ClosedCaseAccess,
    ReadRateAlert,
)
from cityid.enrollment.services import current_rules
from cityid.ui.pagination import paginate
from cityid.vault import services as vault
from cityid.vault.models import RecordKey
from cityid.vault.providers import get_provider
from cityid.vault.selectors import record_keys_matching_any


@dataclass
class DocumentView:
    position: int
    type: str
    label: str
    identity_points: int
    residency_points: int
    accepted: bool
    details: dict | None
    has_scan: bool
    scan_id: int | None


@dataclass
class ApplicantView:
    applicant: Applicant
    profile: dict | None
    applications: list[tuple[Application, dict | None, list[DocumentView]]]
    destroyed: list[str]


def pending_applications() -> QuerySet[Application]:
    """Every open case, oldest first, with its holder (the decision queue page: no personal data)."""
    return (
        Application.objects.filter(status=ApplicationStatus.SUBMITTED)
        .select_related("applicant__personal_record", "enrolled_by", "assigned_to")
        .order_by("submitted_on", "id")
    )


def open_cases_for(actor: Actor) -> QuerySet[Application]:
    """The open cases assigned to ``actor`` or to their site, oldest first (their work list)."""
    query = Q(assigned_to_id=actor.pk)
    if site := getattr(actor, "site", ""):
        query |= Q(assigned_site=site)
    return (
        Application.objects.filter(query, status=ApplicationStatus.SUBMITTED)
        .select_related("applicant__personal_record", "assigned_to")
        .order_by("submitted_on", "id")
    )


def assignable_staff() -> QuerySet[Any]:
    """Active staff whose role reads applicants: who a case can be assigned to."""
    from django.contrib.auth import get_user_model

    roles = [role for role in ROLES if allowed(role, "enrollment.read_personal")]
    return get_user_model().objects.filter(is_active=True, role__in=roles).order_by("username")


def known_sites() -> list[str]:
    """The sites staff work at (a case can wait in any of their queues)."""
    from django.contrib.auth import get_user_model

    people = get_user_model().objects.filter(is_active=True).exclude(site="")
    return sorted(set(people.values_list("site", flat=True)))


def read_alerts_page(*, actor: Actor | None, page: Any) -> Any:
    """One page of read-rate alerts, newest first (supervisors and auditors; the view is audited)."""
    authorize(actor, "enrollment.read_alerts", target="read_alerts")
    result = paginate(ReadRateAlert.objects.select_related("staff"), page)
    record_event(actor=actor, action="access.read_alerts", target="read_alerts", purpose=f"page:{result.number}")
    return result


# --- purpose binding ------------------------------------------------------------------------------------

_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


@dataclass(frozen=True)
class Purpose:
    """A purpose a staff member may name to read an applicant: ``ref`` is what the read names."""

    ref: str
    kind: str  # "application" (an open case) or a registered reason kind ("closed_case", ...)
    label: str  # shown on the purpose page: no personal data
    application: Application | None = None
    expires_at: Any = None


class PurposeInvalid(PermissionDenied, ValueError):
    """The purpose named for a read does not allow this person to read this applicant (the refusal is logged).

    ``code``: ``missing``, ``malformed``, ``not_a_case`` (not one of the applicant's cases), ``closed`` (the
    case is decided), ``not_assigned`` (open, but not assigned to the reader, their site or their queue),
    ``reason`` (no open recorded reason of that kind for this reader and applicant), ``rate_limit``.
    """



def parse_purpose(purpose: str) -> tuple[str, str] | None:
    """``(kind, uuid)`` of a well-formed purpose (``application:<uuid>`` or ``<reason kind>:<uuid>``), else None.

    Only the canonical lower-case UUID spelling is accepted, and only known kinds.
    """
    if not isinstance(purpose, str) or len(purpose) > 80:
        return None
    kind, sep, value = purpose.partition(":")
    if not sep or not _UUID.fullmatch(value):
        return None
    if kind != "application" and kind not in services.access_reasons():
        return None
    return kind, value


def case_open_to(application: Application, actor: Actor | None) -> bool:
    """Whether ``application`` is an open case that ``actor`` may read its applicant through: assigned to them,
    to their site, or to the supervisors' decision queue when their role works that queue."""
    if application.status != ApplicationStatus.SUBMITTED or actor is None:
        return False
    if application.assigned_to_id is not None and application.assigned_to_id == actor.pk:
        return True
    site = getattr(actor, "site", "") or ""
    if site and application.assigned_site == site:
        return True
    return application.in_decision_queue and allowed(role_of(actor), "enrollment.queue")


def _refuse(applicant: Applicant, actor: Actor | None, code: str, named: str) -> PurposeInvalid:
    # The purpose as named is hostile input: only its well-formed shape goes into the log, never the raw text.
    record_event(actor=actor, action="access.denied", target=applicant.ref,
                 purpose=named or f"purpose:{code}", outcome="denied")
    return PurposeInvalid(code)


def check_purpose(*, applicant: Applicant, actor: Actor | None, purpose: str) -> str:
    """The purpose, if it lets ``actor`` read ``applicant`` now; else PurposeInvalid (the refusal logged).

    Accepted: (a) an open case of this applicant assigned to the actor, their site, or their role's queue;
    (b) a recorded reason of a registered kind whose checker allows it (e.g. ``closed_case:<uuid>``). The host
    operator (no actor) may name any case of the applicant, as before: they hold the keyring anyway.
    """
    parsed = parse_purpose(purpose)
    if parsed is None:
        code = "missing" if not purpose else "malformed"
        raise _refuse(applicant, actor, code, "")
    kind, value = parsed
    named = f"{kind}:{value}"
    if kind == "application":
        application = applicant.applications.filter(public_id=value).first()
        if application is None:
            raise _refuse(applicant, actor, "not_a_case", named)
        if actor is None:
            return named
        if application.status != ApplicationStatus.SUBMITTED:
            raise _refuse(applicant, actor, "closed", named)
        if not case_open_to(application, actor):
            raise _refuse(applicant, actor, "not_assigned", named)
        return named
    checker, _lister = services.access_reasons()[kind]
    if actor is None or not checker(value, actor=actor, applicant=applicant):
        raise _refuse(applicant, actor, "reason", named)
    return named


def _count(applicant: Applicant, actor: Actor | None, named: str) -> None:
    try:
        services.count_personal_read(actor=actor)
    except services.ReadLimitReached as reached:
        raise _refuse(applicant, actor, "rate_limit", f"read_limit:{reached.window}") from None


def _bind(applicant: Applicant, actor: Actor | None, purpose: str) -> str:
    named = check_purpose(applicant=applicant, actor=actor, purpose=purpose)
    _count(applicant, actor, named)
    return named


def purposes_for(*, actor: Actor | None, applicant: Applicant) -> list[Purpose]:
    """The purposes ``actor`` may name to read ``applicant`` now: open cases assigned to them, their site or
    their queue, then the recorded reasons of every registered kind."""
    found = [
        Purpose(ref=application.ref, kind="application", application=application,
                label=f"{application.get_type_display()} — {application.get_status_display()} "
                      f"({application.submitted_on:%Y-%m-%d})")
        for application in applicant.applications.filter(status=ApplicationStatus.SUBMITTED).order_by("-submitted_on")
        if case_open_to(application, actor)
    ]
    for _kind, (_checker, lister) in sorted(services.access_reasons().items()):
        if lister is not None and actor is not None:
            found.extend(lister(actor=actor, applicant=applicant))
    return found


def closed_cases_for_reason(*, actor: Actor | None, applicant: Applicant) -> list[Application]:
    """The applicant's decided cases, when ``actor`` may record a reason to open one (else none)."""
    if actor is None or not allowed(role_of(actor), "enrollment.read_closed"):
        return []
    return list(applicant.applications.exclude(status=ApplicationStatus.SUBMITTED).order_by("-submitted_on"))


def purpose_page(*, actor: Actor | None, applicant: Applicant) -> tuple[list[Purpose], list[Application]]:
    """What the purpose page offers ``actor`` for ``applicant``: usable purposes, and closed cases a reason
    could be recorded for. One audited event (pseudonymous ids, how many purposes were offered)."""
    authorize(actor, "enrollment.read_personal", target=applicant.ref)
    purposes = purposes_for(actor=actor, applicant=applicant)
    closed = closed_cases_for_reason(actor=actor, applicant=applicant)
    record_event(actor=actor, action="purpose.list", target=applicant.ref,
                 purpose=f"offered:{len(purposes)} closed:{len(closed)}")
    return purposes, closed


def closed_case_allows(reason_id: str, *, actor: Actor | None, applicant: Applicant) -> bool:
    """The ``closed_case`` reason checker: recorded by this actor, for a case of this applicant, not expired,
    and the actor's role may still read closed cases. The host operator records none."""
    if actor is None or not allowed(role_of(actor), "enrollment.read_closed"):
        return False
    return ClosedCaseAccess.objects.filter(
        public_id=reason_id, staff_id=actor.pk, application__applicant=applicant, expires_at__gt=timezone.now()
    ).exists()


def closed_case_purposes(*, actor: Actor | None, applicant: Applicant) -> list[Purpose]:
    """The actor's unexpired recorded reasons for this applicant's closed cases (the host operator has none)."""
    if actor is None or not allowed(role_of(actor), "enrollment.read_closed"):
        return []
    accesses = ClosedCaseAccess.objects.filter(
        staff_id=actor.pk, application__applicant=applicant, expires_at__gt=timezone.now()
    ).select_related("application")
    return [
        Purpose(ref=access.ref, kind="closed_case", application=access.application, expires_at=access.expires_at,
                label=f"{access.get_reason_display()} — {access.application.get_type_display()} "
                      f"({access.application.submitted_on:%Y-%m-%d})")
        for access in accesses
    ]


def _open(record_key: Any) -> vault.OpenRecord | None:
    if record_key is None:
        return None
    try:
        return vault.open_record(record_key)
    except vault.RecordDestroyed:
        return None


def applicant_by_ref(ref: str) -> Applicant | None:
    """The applicant named by a pseudonymous id (``applicant:<uuid>``), or None. Reads no personal data: a read
    of it goes through ``read_applicant`` with a purpose."""
    kind, _sep, value = (ref or "").partition(":")
    if kind != "applicant" or not _UUID.fullmatch(value):
        return None
    return Applicant.objects.filter(public_id=value).first()


def application_record_key(applicant_id: int) -> RecordKey | None:
    """The key of the applicant's ``application`` record (``None`` once destroyed): other apps seal values about
    the applicant under it (card numbers, card status notes). Opening it is the caller's read to authorise and log."""
    return Applicant.objects.select_related("personal_record").get(pk=applicant_id).personal_record


#: Readers of values other apps sealed under an applicant's ``application`` record (``register_application_reader``).
_application_readers: list[Callable[..., None]] = []


def register_application_reader(reader: Callable[..., None]) -> None:
    """``reader(applications, *, record_key_id, record)`` runs whenever an applicant's records are decrypted for an
    authorised, logged read (``read_applicant``, the subject-access export): ``applications`` are the applicant's,
    ``record`` their open ``application`` record (``None`` once destroyed). The owning app opens what it sealed
    there and sets it on its rows (cards: each application's card number). Registered in the owner's ``ready()``."""
    if reader not in _application_readers:
        _application_readers.append(reader)


def read_applicant(*, applicant: Applicant, actor: Actor | None, purpose: str) -> ApplicantView:
    """Decrypt an applicant's records for a person to see, for the named purpose (logged)."""
    authorize(actor, services.read_action(purpose), target=applicant.ref)
    purpose = _bind(applicant, actor, purpose)
    view = _decrypt_applicant(applicant)
    record_event(actor=actor, action="personal.read", target=applicant.ref, purpose=purpose)
    return view


def _decrypt_applicant(applicant: Applicant) -> ApplicantView:
    """Everything still readable about an applicant. Only for code that authorises and logs the read itself:
    ``read_applicant`` and the subject-access export (``exports.export_subject``)."""
    destroyed: list[str] = []
    personal = _open(applicant.personal_record)
    profile = (
        personal.open_json("profile", applicant.sealed_profile)
        if personal and applicant.sealed_profile is not None
        else None
    )
    if personal is None:
        destroyed.append("application")
    applications = []
    catalogue = current_rules().catalogue
    language = get_language()
    for application in applicant.applications.prefetch_related("documents").order_by("-submitted_on"):
        details = (
            personal.open_json(f"application:{application.public_id}", application.sealed_details)
            if personal and application.sealed_details
            else None
        )
        documents_record = _open(application.documents_record)
        presented = list(application.documents.all())
        # A reissued card's case (replacement) presents no documents: nothing of its was destroyed.
        if documents_record is None and presented and "documents" not in destroyed:
            destroyed.append("documents")
        docs = [
            DocumentView(
                position=doc.position,
                type=doc.type,
                label=catalogue[doc.type].label_for(language) if doc.type in catalogue else doc.type,
                identity_points=doc.identity_points,
                residency_points=doc.residency_points,
                accepted=doc.accepted,
                details=documents_record.open_json(f"document:{doc.position}", doc.sealed_details)
                if documents_record and doc.sealed_details
                else None,
                has_scan=doc.scan_id is not None,
                scan_id=doc.scan_id,
            )
            for doc in presented
        ]
        applications.append((application, details, docs))
    for reader in _application_readers:
        reader([application for application, _details, _docs in applications],
               record_key_id=applicant.personal_record_id, record=personal)
    return ApplicantView(applicant, profile, applications, destroyed)


def read_photo(*, applicant: Applicant, actor: Actor | None, purpose: str) -> tuple[bytes, str] | None:
    authorize(actor, services.read_action(purpose), target=applicant.ref)
    purpose = _bind(applicant, actor, purpose)
    if applicant.photo is None:
        return None
    record = _open(applicant.photo_record)
    if record is None:
        return None
    record_event(actor=actor, action="personal.read_photo", target=applicant.ref, purpose=purpose)
    return vault.read_blob(record=record, blob=applicant.photo), applicant.photo.content_type


def read_scan(
    *, application: Application, position: int, actor: Actor | None, purpose: str
) -> tuple[bytes, str] | None:
    authorize(actor, services.read_action(purpose), target=application.ref)
    purpose = _bind(application.applicant, actor, purpose)
    doc = application.documents.filter(position=position).select_related("scan").first()
    if doc is None or doc.scan is None:
        return None
    record = _open(application.documents_record)
    if record is None:
        return None
    record_event(actor=actor, action="personal.read_scan", target=application.ref, purpose=purpose)
    return vault.read_blob(record=record, blob=doc.scan), doc.scan.content_type


# --- search ---------------------------------------------------------------------------------------------

#: How card numbers are read and found (``register_card_numbers``): cards, above enrollment, owns them.
_card_numbers: dict[str, Callable[[str], Any]] = {}


def register_card_numbers(*, normalise: Callable[[str], str], applicant_of: Callable[[str], int | None]) -> None:
    """``normalise(text)`` gives a typed card number's digits or raises an error whose ``code`` is
    ``check_digit`` (a mistyped digit) or another code (not a card number); ``applicant_of(digits)`` gives the
    id of the applicant holding the card with that number, or None. Registered in the owner's ``ready()``;
    without it, nothing is searched by card number."""
    _card_numbers.update(normalise=normalise, applicant_of=applicant_of)


SEARCH_CANDIDATES = 50  # applicants whose names a name search decrypts to rank, at most
SEARCH_RESULTS = 20


class SearchInvalid(CityidError, ValueError):
    """What was typed is not something to search by. ``code``: ``reference_check`` (a receipt reference whose
    check symbol is wrong), ``card_malformed``, ``card_check`` (a card number's check digit), ``need_dob`` (a
    name without a date of birth), ``empty``."""


@dataclass(frozen=True)
class SearchQuery:
    """A search as understood: ``by`` is ``receipt``, ``card`` or ``name_dob``; ``value`` the normalised
    reference or card number, or the name as typed."""

    by: str
    value: str
    date_of_birth: date | None = None


def parse_search(text: str, date_of_birth: date | None) -> SearchQuery:
    """What a search box's text asks for: a card number (16 digits, spaces and dashes allowed), a receipt
    reference (with or without its dash, any case), or a name (any order) with a date of birth."""
    from cityid.enrollment.references import ReferenceInvalid, looks_like_reference, normalize_reference

    text = (text or "").strip()
    if not text:
        raise SearchInvalid("empty")
    compact = "".join(text.split()).replace("-", "")
    if compact.isascii() and compact.isdigit() and len(compact) >= 12:
        if "normalise" not in _card_numbers:
            raise SearchInvalid("card_malformed")
        try:
            return SearchQuery("card", _card_numbers["normalise"](compact))
        except ValueError as error:
            if getattr(error, "code", "") == "check_digit":
                raise SearchInvalid("card_check") from None
            raise SearchInvalid("card_malformed") from None
    if looks_like_reference(text):
        try:
            return SearchQuery("receipt", normalize_reference(text))
        except ReferenceInvalid:
            if date_of_birth is None:  # with a birth date, ten letters may well be a name ("Alexandria")
                raise SearchInvalid("reference_check") from None
    if date_of_birth is None:
        raise SearchInvalid("need_dob")
    if not name_index.name_tokens(text):
        raise SearchInvalid("empty")
    return SearchQuery("name_dob", text, date_of_birth)


@dataclass
class SearchResult:
    """One applicant a search found, as a reader allowed to read names sees them."""

    applicant: Applicant
    name: str | None  # None: the application data is destroyed
    date_of_birth: date | None
    application: Application | None  # the latest
    exact: bool = True


def _count_search(actor: Any) -> None:
    try:  # a search tells whether someone is in the program: it counts toward the read-rate limits
        services.count_personal_read(actor=actor)
    except services.ReadLimitReached as reached:
        record_event(actor=actor, action="access.denied", target="search", purpose=f"read_limit:{reached.window}",
                     outcome="denied")
        raise PurposeInvalid("rate_limit") from None


def _profile(applicant: Applicant) -> dict | None:
    personal = _open(applicant.personal_record)
    if personal is None or applicant.sealed_profile is None:
        return None
    return personal.open_json("profile", applicant.sealed_profile)


def _found_by_name(query: SearchQuery) -> list[tuple[Applicant, dict | None, name_index.Match]]:
    """Spellings and sounds first (a few keyed hashes per live key); only when they find no one, the first and
    last letters of each token too (one typo)."""
    found = _candidates_by_name(query, near=False)
    return found or _candidates_by_name(query, near=True)


def _candidates_by_name(query: SearchQuery, *, near: bool) -> list[tuple[Applicant, dict | None, name_index.Match]]:
    assert query.date_of_birth is not None
    keys = list(record_keys_matching_any(
        record_class="application", kind=name_index.KIND,
        values=name_index.query_values(query.value, query.date_of_birth, near=near),
    ).values_list("id", flat=True)[: SEARCH_CANDIDATES * 2])
    candidates = (Applicant.objects.filter(personal_record_id__in=keys).select_related("personal_record")
                  .order_by("created_at", "id")[:SEARCH_CANDIDATES])
    found: list[tuple[Applicant, dict | None, name_index.Match]] = []
    for applicant in candidates:
        profile = _profile(applicant)
        if profile is None or profile.get("date_of_birth") != query.date_of_birth.isoformat():
            continue
        matched = name_index.match(query.value, profile["given_name"], profile["family_name"])
        if matched is not None:
            found.append((applicant, profile, matched))
    found.sort(key=lambda item: -item[2].score)  # stable: the earliest enrolled first among equals
    return found[:SEARCH_RESULTS]


def find_applicants(*, actor: Any, query: SearchQuery) -> list[SearchResult]:
    """The applicants ``query`` finds, with their names for the reader (``enrollment.search`` roles read names).

    Nothing typed is stored or logged in the clear: a name is looked up through the ``name_fz`` and a card
    number through the cards' keyed digests, a receipt reference is no id the log uses. Logged so that an
    auditor can tell whose records a search revealed: one ``personal.search`` event per applicant found
    (their pseudonymous id; purpose ``search:<receipt|card|name_dob>``), or one with target ``results:0``.
    Each search counts once toward the searcher's read-rate limits (PurposeInvalid ``rate_limit`` beyond).
    """
    authorize(actor, "enrollment.search")
    _count_search(actor)
    rows: list[tuple[Applicant, dict | None, bool]] = []
    if query.by == "receipt":
        application = (Application.objects.select_related("applicant__personal_record")
                       .filter(receipt=query.value).first())
        if application is not None:
            rows.append((application.applicant, _profile(application.applicant), True))
    elif query.by == "card":
        holder = _card_numbers["applicant_of"](query.value) if "applicant_of" in _card_numbers else None
        applicant = Applicant.objects.select_related("personal_record").filter(pk=holder).first() if holder else None
        if applicant is not None:
            rows.append((applicant, _profile(applicant), True))
    else:
        rows = [(applicant, profile, matched.exact) for applicant, profile, matched in _found_by_name(query)]
    latest: dict[int, Application] = {}
    for application in Application.objects.filter(applicant__in=[row[0] for row in rows]).order_by("submitted_on",
                                                                                                   "id"):
        latest[application.applicant_id] = application
    results = [
        SearchResult(applicant=applicant, application=latest.get(applicant.pk), exact=exact,
                     name=f"{profile['given_name']} {profile['family_name']}".strip() if profile else None,
                     date_of_birth=date.fromisoformat(profile["date_of_birth"]) if profile else None)
        for applicant, profile, exact in rows
    ]
    targets = [result.applicant.ref for result in results] or ["results:0"]
    record_events([dict(actor=actor, action="personal.search", target=target, purpose=f"search:{query.by}")
                   for target in targets])
    return results


def search_applicants(*, actor: Any, given_name: str, family_name: str, date_of_birth: date) -> list[Applicant]:
    """A name and date-of-birth search (:func:`find_applicants`), the applicants only."""
    query = SearchQuery("name_dob", f"{given_name} {family_name}", date_of_birth)
    return [result.applicant for result in find_applicants(actor=actor, query=query)]


# --- queues -------------------------------------------------------------------------------------------

QUEUE_SORTS = ("oldest", "newest")


@dataclass
class QueueRow:
    application: Application
    name: str | None  # only for readers who may read it through this case
    waiting_days: int


def filter_cases(cases: QuerySet[Application], *, site: str = "", holder: str = "", sort: str = "oldest"
                 ) -> QuerySet[Application]:
    """Open cases narrowed to a site and a holder (``decision``: the decision queue; ``staff``: a person;
    ``site``: a site's queue), oldest first unless ``sort`` is ``newest``."""
    if site:
        cases = cases.filter(assigned_site=site)
    if holder == "decision":
        cases = cases.filter(in_decision_queue=True)
    elif holder == "staff":
        cases = cases.filter(assigned_to__isnull=False)
    elif holder == "site":
        cases = cases.exclude(assigned_site="")
    if sort == "newest":
        return cases.order_by("-submitted_on", "-id")
    return cases.order_by("submitted_on", "id")


def queue_rows(*, actor: Any, applications: list[Application], today: date | None = None) -> list[QueueRow]:
    """A page of open cases, each with its applicant's name where ``actor`` may read it through that case
    (:func:`case_open_to`) and with how many days it has waited.

    Reading the names is a personal read: it counts once per page toward the reader's read-rate limits
    (beyond them the page shows no names), only the names are decrypted (nothing else of the record), and one
    ``personal.read_names`` event per applicant named is logged, with the case as its purpose, so that an
    auditor asking who saw one applicant finds the queue page too (an entry per page listing ids would not
    answer that question by target). Nothing but pseudonymous ids goes into the log.
    """
    today = today or timezone.localdate()
    named = []
    if actor is not None and allowed(role_of(actor), "enrollment.read_personal"):
        named = [application for application in applications if case_open_to(application, actor)]
    names: dict[int, str | None] = {}
    if named:
        try:
            services.count_personal_read(actor=actor)
        except services.ReadLimitReached as reached:
            record_event(actor=actor, action="access.denied", target="queue", purpose=f"read_limit:{reached.window}",
                         outcome="denied")
            named = []
        for application in named:
            profile = _profile(application.applicant)
            names[application.pk] = (f"{profile['given_name']} {profile['family_name']}".strip()
                                     if profile else None)
        if named:
            record_events([dict(actor=actor, action="personal.read_names", target=application.applicant.ref,
                                purpose=application.ref) for application in named])
    return [QueueRow(application, names.get(application.pk), max(0, (today - application.submitted_on).days))
            for application in applications]


def files_left_unclean() -> int:
    """Stored files that ``cityid enrollment clean`` found it could not clean (not images, active PDFs)."""
    from django.db.models import Sum

    from cityid.enrollment.models import CleanupProgress
    from cityid.enrollment.services import CLEAN_VERSION

    found = CleanupProgress.objects.filter(task__endswith=f"-{CLEAN_VERSION}").aggregate(total=Sum("refused"))
    return found["total"] or 0


@dataclass(frozen=True)
class RecordOwner:
    """Whose a record is: an applicant's own record (personal, photo: ``application_id`` is None, the
    dates are those of the applicant's latest application) or one application's (documents)."""

    applicant_id: int
    application_id: int | None
    submitted: date
    decided: date | None


def record_owners(record_ids: list[int]) -> dict[int, RecordOwner]:
    """The owner of each of these records that is an applicant's or an application's, in one query."""
    if not record_ids:
        return {}
    rows = (
        Application.objects.filter(
            Q(documents_record_id__in=record_ids)
            | Q(applicant__personal_record_id__in=record_ids)
            | Q(applicant__photo_record_id__in=record_ids)
        )
        .order_by("submitted_on", "id")
        .values_list("id", "applicant_id", "documents_record_id", "applicant__personal_record_id",
                     "applicant__photo_record_id", "submitted_on", "decided_on")
    )
    wanted = set(record_ids)
    out: dict[int, RecordOwner] = {}
    for application_id, applicant_id, documents, personal, photo, submitted, decided in rows:
        if documents in wanted:
            out[documents] = RecordOwner(applicant_id, application_id, submitted, decided)
        for own in (personal, photo):
            if own in wanted:  # ordered by submission: the latest application is written last
                out[own] = RecordOwner(applicant_id, None, submitted, decided)
    return out


# --- the card face (card production) -------------------------------------------------------------------


@dataclass(frozen=True)
class CardFace:
    """What a card shows of its holder (DESIGN.md §3), and nothing more: never a document, an email, a phone, a
    caretaker or an emergency contact. ``address`` is the residential address, or ``None`` for a care-of or
    no-address cardholder (their address is never printed: homeless applicants and survivors of violence pick
    the card up). ``given_name`` and the rest are empty once the applicant's application data is destroyed;
    ``photo`` is ``None`` once the photo is destroyed (or none was taken)."""

    given_name: str
    family_name: str
    date_of_birth: date | None
    address: dict[str, str] | None
    gender: str
    languages: tuple[str, ...]
    veteran: bool
    organ_donor: bool
    photo: bytes | None
    destroyed: tuple[str, ...] = ()


def read_card_face(*, application_id: int, actor: Actor | None, purpose: str) -> CardFace:
    """What the card of this application shows of its holder, for card production (``cards.produce``): the name,
    date of birth, residential address, card options and the stored (clean) photo. ``purpose`` names the card
    or batch being produced (the cards app checks it). Logged as ``personal.read_card_face`` with the applicant's
    pseudonymous id; no document or document record is opened."""
    application = Application.objects.select_related(
        "applicant__personal_record", "applicant__photo_record", "applicant__photo"
    ).get(pk=application_id)
    applicant = application.applicant
    authorize(actor, "cards.produce", target=applicant.ref)
    destroyed = []
    personal = _open(applicant.personal_record)
    profile: dict[str, Any] = {}
    details: dict[str, Any] = {}
    if personal is None:
        destroyed.append("application")
    else:
        if applicant.sealed_profile is not None:
            profile = personal.open_json("profile", applicant.sealed_profile)
        if application.sealed_details:
            details = personal.open_json(f"application:{application.public_id}", application.sealed_details) or {}
    photo = None
    if applicant.photo is not None:
        photo_record = _open(applicant.photo_record)
        if photo_record is None:
            destroyed.append("photo")
        else:
            photo = vault.read_blob(record=photo_record, blob=applicant.photo)
    address = profile.get("address") or {}
    born = profile.get("date_of_birth")
    record_event(actor=actor, action="personal.read_card_face", target=applicant.ref, purpose=purpose)
    return CardFace(
        given_name=profile.get("given_name", ""),
        family_name=profile.get("family_name", ""),
        date_of_birth=date.fromisoformat(born) if born else None,
        address={k: v for k, v in address.items() if k != "kind"}
        if address.get("kind") == AddressKind.RESIDENTIAL else None,
        gender=applicant.gender,
        languages=tuple(code for code in applicant.languages.split(",") if code),
        veteran=bool(details.get("veteran")),
        organ_donor=bool(details.get("organ_donor")),
        photo=photo,
        destroyed=tuple(destroyed),
    )


def applicant_record_keys(applicant_id: int) -> list[RecordKey]:
    """The keys of every record of this applicant (their own and their applications'): what a change of a
    retention trigger date (a renewed card's expiry) moves."""
    applicant = Applicant.objects.get(pk=applicant_id)
    ids = {applicant.personal_record_id, applicant.photo_record_id,
           *applicant.applications.values_list("documents_record_id", flat=True)}
    return list(RecordKey.objects.filter(id__in={pk for pk in ids if pk is not None}))
# --- for matching (above enrollment): the people to match, a read bound to a registered reason, approvals --------


@dataclass(frozen=True)
class MatchPerson:
    """What the duplicate matcher compares of one applicant (decrypted for it; it keeps none of it at rest)."""

    applicant_id: int
    key_id: str  # the provider key that wraps their ``application`` record (their cohort, or a legal hold's key)
    given_name: str
    family_name: str
    date_of_birth: date | None
    address: dict[str, str]
    documents: list[tuple[str, str]]  # (type, number) of every document presented on any of their applications
    submitted_on: date  # of their latest application


def people_to_match(
    *, actor: Actor | None, purpose: str, after_id: int = 0, limit: int = 1000, applicant_ids: list[int] | None = None
) -> list[MatchPerson]:
    """Decrypt, for the duplicate matcher, the names, birth dates, addresses and document numbers of the
    applicants numbered above ``after_id`` (``limit`` of them, in order), or of ``applicant_ids``. Applicants
    whose ``application`` record is destroyed are left out. Every decryption is logged (``personal.decrypt``,
    pseudonymous target, ``purpose`` such as ``matching:index``). The system and host operator only."""
    authorize(actor, "enrollment.match_read")
    rows = Applicant.objects.exclude(personal_record=None).exclude(sealed_profile=None).select_related(
        "personal_record").order_by("pk")
    rows = rows.filter(pk__in=applicant_ids) if applicant_ids is not None else rows.filter(pk__gt=after_id)
    applicants = list(rows[:limit])
    if not applicants:
        return []
    applications: dict[int, list[Application]] = {}
    for application in (
        Application.objects.filter(applicant__in=applicants).select_related("documents_record")
        .prefetch_related("documents").order_by("submitted_on", "id")
    ):
        applications.setdefault(application.applicant_id, []).append(application)
    out: list[MatchPerson] = []
    events: list[dict[str, Any]] = []
    for applicant in applicants:
        personal = _open(applicant.personal_record)
        if personal is None or applicant.sealed_profile is None or applicant.personal_record is None:
            continue
        profile = personal.open_json("profile", applicant.sealed_profile)
        documents: list[tuple[str, str]] = []
        submitted = applicant.created_at.date()
        for application in applications.get(applicant.pk, []):
            submitted = application.submitted_on
            record = _open(application.documents_record)
            if record is None:
                continue
            for doc in application.documents.all():
                if doc.sealed_details:
                    number = record.open_json(f"document:{doc.position}", doc.sealed_details).get("number") or ""
                    if number:
                        documents.append((doc.type, number))
        born = profile.get("date_of_birth")
        out.append(MatchPerson(
            applicant_id=applicant.pk, key_id=applicant.personal_record.key_id,
            given_name=profile.get("given_name") or "", family_name=profile.get("family_name") or "",
            date_of_birth=date.fromisoformat(born) if born else None, address=dict(profile.get("address") or {}),
            documents=documents, submitted_on=submitted,
        ))
        events.append(dict(actor=actor, action="personal.decrypt", target=applicant.ref, purpose=purpose))
    record_events(events)
    return out


def read_applicant_for_reason(*, applicant: Applicant, actor: Actor | None, purpose: str) -> ApplicantView:
    """Decrypt an applicant's records for a role that reads applicants only through a recorded reason of a
    registered kind (a fraud analyst: ``match_alert:<uuid>``, an alert that is open and names this applicant),
    never through a case. The reason's checker decides; the read (or its refusal) is logged."""
    authorize(actor, "enrollment.read_by_reason", target=applicant.ref)
    parsed = parse_purpose(purpose)
    if parsed is not None and parsed[0] == "application":
        raise _refuse(applicant, actor, "reason", f"application:{parsed[1]}")
    named = _bind(applicant, actor, purpose)
    view = _decrypt_applicant(applicant)
    record_event(actor=actor, action="personal.read", target=applicant.ref, purpose=named)
    return view


def applicants_by_id(ids: list[int]) -> dict[int, Applicant]:
    """The applicants with these ids (no personal data: their sealed columns stay sealed)."""
    return Applicant.objects.in_bulk(list(ids))


def applicants_with_data(ids: list[int]) -> set[int]:
    """Those of the applicants ``ids`` whose ``application`` record is not destroyed: it is still stored and its
    key is live (a disposition run destroys the key first, then deletes the record). Reads no personal data."""
    live = set(get_provider().key_ids())
    rows = (Applicant.objects.filter(pk__in=list(ids), personal_record__isnull=False)
            .values_list("pk", "personal_record__key_id"))  # fmt: skip
    return {pk for pk, key_id in rows if key_id in live}


def application_of(public_id: str) -> Application | None:
    try:
        return Application.objects.select_related("applicant").filter(public_id=public_id).first()
    except (ValueError, TypeError):  # not a UUID
        return None


def approvals_by_staff(*, since: date) -> dict[int, int]:
    """How many applications each staff member approved on or after ``since`` (ids and counts only)."""
    from django.db.models import Count

    rows = (
        Application.objects.filter(status=ApplicationStatus.APPROVED, decided_on__gte=since)
        .exclude(decided_by=None).values("decided_by").annotate(n=Count("id"))
    )
    return {row["decided_by"]: row["n"] for row in rows}


def applicant_ids_after(after_id: int) -> list[int]:
    """The ids of the applicants stored after ``after_id`` (ids only)."""
    return list(Applicant.objects.filter(pk__gt=after_id).order_by("pk").values_list("pk", flat=True))


def applicant_ids_for_public(public_ids: list[str]) -> dict[str, int]:
    """``public_id -> id`` of these applicants (ids only)."""
    return {str(public): pk for public, pk in Applicant.objects.filter(public_id__in=public_ids)
            .values_list("public_id", "pk")}
# --- Statistics: counts of the coarse, non-identifying attributes only (DESIGN.md §5, §10) ---------------

#: The dimensions the public statistics are cut by, and the cells of each: a fixed vocabulary, never drawn
#: from the data (a cell that appears only when someone is in it would say so).
STATISTICS_DIMENSIONS = ("month", "borough", "language", "age_band", "application_type")
NOT_RECORDED = "not_recorded"
#: Age bands (age at the card's issue, from the birth year only): (cell, lowest age, highest age).
AGE_BANDS: tuple[tuple[str, int, int], ...] = (
    ("under_18", 0, 17), ("18_24", 18, 24), ("25_34", 25, 34), ("35_44", 35, 44), ("45_54", 45, 54),
    ("55_64", 55, 64), ("65_plus", 65, 200),
)


def age_band(age: int) -> str:
    """The age band of an age in whole years (ages from birth years alone: the band is approximate by a year)."""
    for cell, low, high in AGE_BANDS:
        if low <= age <= high:
            return cell
    return AGE_BANDS[0][0] if age < 0 else AGE_BANDS[-1][0]


def _months(start: date, end: date) -> list[str]:
    months, year, month = [], start.year, start.month
    while (year, month) <= (end.year, end.month):
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


def statistics_cells(dimension: str, *, start: date, end: date) -> list[str]:
    """Every cell of ``dimension`` for the period ``[start, end]`` (zeros included), in display order."""
    from cityid.enrollment.inputs import LANGUAGE_CODES
    from cityid.enrollment.models import ApplicationType, Borough

    if dimension == "month":
        return _months(start, end)
    if dimension == "borough":
        return [value for value in Borough.values if value] + [NOT_RECORDED]
    if dimension == "language":
        return sorted(LANGUAGE_CODES - {"other"}) + ["other", NOT_RECORDED]
    if dimension == "age_band":
        return [cell for cell, _low, _high in AGE_BANDS]
    if dimension == "application_type":
        return list(ApplicationType.values)
    raise ValueError(f"unknown dimension {dimension!r}; one of: {', '.join(STATISTICS_DIMENSIONS)}")


def decision_counts(*, start: date, end: date) -> dict[str, int]:
    """How many applications were approved and denied, by the date of the decision in ``[start, end]``
    (counts only: the denial rate's numerator and denominator)."""
    from django.db.models import Count

    rows = (Application.objects.filter(decided_on__gte=start, decided_on__lte=end,
                                       status__in=[ApplicationStatus.APPROVED, ApplicationStatus.DENIED])
            .values_list("status").annotate(n=Count("id")).order_by())
    counts = {ApplicationStatus.APPROVED.value: 0, ApplicationStatus.DENIED.value: 0}
    for status, n in rows:
        counts[status] = n
    return counts
