"""Law-enforcement requests: the rules, as pure Python (no Django).

A request is logged on receipt by the person it was served on (a clerk, a supervisor or counsel); only counsel
reviews and decides it, and never the person who logged it. The decision is one of: refuse, challenge (move to
quash or modify), or produce as ordered. Production is allowed only on a process that compels it (a judicial
warrant or a court order: a subpoena alone is refused or challenged, as IDNYC's rules require) and only within the
scope the process names; each item produced is read once, through the purpose-bound selectors.

The scope names subjects by their pseudonymous id (``applicant:<uuid>``) and the kinds of records asked for
(``record``: the applicant's application data and documents presented; ``photo``), optionally with the search the
process describes (free text, sealed, for counsel to read). The ordered scope, fixed by counsel's decision, is a
subset of it: counsel cannot order more than the process named.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import NamedTuple

from cityid.core.errors import CityidError

# --- codes (the labels are registered on the Django side, law_enforcement_labels.py) -----------------------

AGENCY_TYPES: tuple[str, ...] = (
    "local_police", "state_police", "federal_law_enforcement", "federal_immigration", "prosecutor", "court",
    "other_government", "other",
)
PROCESSES: tuple[str, ...] = ("administrative_subpoena", "judicial_subpoena", "judicial_warrant", "court_order")
#: The processes that compel production; a subpoena alone is refused or challenged.
COMPELLING_PROCESSES: frozenset[str] = frozenset({"judicial_warrant", "court_order"})
ITEM_KINDS: tuple[str, ...] = ("record", "photo")

LOGGED = "logged"
UNDER_REVIEW = "under_review"
CHALLENGED = "challenged"
REFUSED = "refused"
PRODUCING = "producing"
PRODUCED = "produced"
WITHDRAWN = "withdrawn"
CLOSED = "closed"
STATUSES: tuple[str, ...] = (LOGGED, UNDER_REVIEW, CHALLENGED, REFUSED, PRODUCING, PRODUCED, WITHDRAWN, CLOSED)

#: The outcomes counted in the transparency report.
OUTCOMES: tuple[str, ...] = ("pending", "refused", "challenged", "produced", "withdrawn")

#: The changes counsel makes, by name (the staff page and the command name them).
REVIEW = "review"
REFUSE = "refuse"
CHALLENGE = "challenge"
PRODUCE = "produce"
FINISH = "finish"
WITHDRAW = "withdraw"
CLOSE = "close"
#: The changes that are counsel's decision on the request (recorded as its outcome).
DECISIONS: frozenset[str] = frozenset({REFUSE, CHALLENGE, PRODUCE})

MAX_SUBJECTS = 50
MAX_TEXT = 2000


class LawEnforcementError(CityidError, ValueError):
    """A law-enforcement request action the rules refuse: a ``code`` with ``params`` (words:
    ``disclosure.law_enforcement_messages``)."""


class Transition(NamedTuple):
    from_statuses: tuple[str, ...]
    to_status: str


#: The status transition table (as ``cards.services``): change -> (the statuses it applies to, the status after).
TRANSITIONS: dict[str, Transition] = {
    REVIEW: Transition((LOGGED,), UNDER_REVIEW),
    REFUSE: Transition((LOGGED, UNDER_REVIEW, CHALLENGED), REFUSED),
    CHALLENGE: Transition((LOGGED, UNDER_REVIEW), CHALLENGED),
    PRODUCE: Transition((UNDER_REVIEW, CHALLENGED), PRODUCING),
    FINISH: Transition((PRODUCING,), PRODUCED),
    WITHDRAW: Transition((LOGGED, UNDER_REVIEW, CHALLENGED), WITHDRAWN),
    CLOSE: Transition((REFUSED, PRODUCED, WITHDRAWN, CHALLENGED), CLOSED),
}


def next_status(status: str, change: str, *, process: str) -> str:
    """The status ``change`` leaves a request in, or LawEnforcementError saying why it is refused."""
    if change not in TRANSITIONS:
        raise LawEnforcementError("unknown_change", change=change, changes=", ".join(TRANSITIONS))
    transition = TRANSITIONS[change]
    if status not in transition.from_statuses:
        raise LawEnforcementError("wrong_status", change=change, status=status)
    if change == PRODUCE and process not in COMPELLING_PROCESSES:
        raise LawEnforcementError("process_does_not_compel", process=process)
    return transition.to_status


def available_changes(status: str, *, process: str) -> list[str]:
    """The changes the table allows from ``status`` (what a staff page offers counsel)."""
    found = []
    for change in TRANSITIONS:
        try:
            next_status(status, change, process=process)
        except LawEnforcementError:
            continue
        found.append(change)
    return found


def outcome_of(status: str, decision: str) -> str:
    """The transparency report's outcome for a request's status and counsel's last decision."""
    if status == WITHDRAWN or (status == CLOSED and decision == WITHDRAW):
        return "withdrawn"
    if decision == PRODUCE:
        return "produced"
    if decision == REFUSE:
        return "refused"
    if decision == CHALLENGE:
        return "challenged"
    return "pending"


# --- scope ---------------------------------------------------------------------------------------------------

_SUBJECT = re.compile(r"applicant:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


@dataclass(frozen=True)
class Scope:
    """Subjects by pseudonymous id, the kinds of records, and the search the process describes (free text)."""

    subjects: tuple[str, ...]
    kinds: tuple[str, ...]
    search: str = ""

    def items(self) -> list[tuple[str, str]]:
        """Every ``(subject, kind)`` the scope covers, in a stable order."""
        return [(subject, kind) for subject in self.subjects for kind in self.kinds]

    def as_dict(self) -> dict[str, object]:
        return {"subjects": list(self.subjects), "kinds": list(self.kinds), "search": self.search}


def parse_subjects(text: str | Iterable[str]) -> tuple[str, ...]:
    """Pseudonymous ids (``applicant:<uuid>``; a bare uuid is read as one), separated by commas, spaces or lines."""
    parts = text.replace(",", " ").split() if isinstance(text, str) else [str(part).strip() for part in text]
    subjects: list[str] = []
    for part in parts:
        if not part:
            continue
        candidate = part.lower() if part.lower().startswith("applicant:") else f"applicant:{part.lower()}"
        if not _SUBJECT.fullmatch(candidate):
            # The raw text may be a name typed by mistake: only its length goes into the message.
            raise LawEnforcementError("bad_subject", length=len(part))
        if candidate not in subjects:
            subjects.append(candidate)
    if len(subjects) > MAX_SUBJECTS:
        raise LawEnforcementError("too_many_subjects", most=MAX_SUBJECTS)
    return tuple(subjects)


def make_scope(*, subjects: str | Iterable[str], kinds: Iterable[str], search: str = "") -> Scope:
    """A checked scope: at least one subject or a described search, known kinds, bounded text."""
    parsed = parse_subjects(subjects)
    kind_list = [kind for kind in ITEM_KINDS if kind in set(kinds)]
    unknown = sorted(set(kinds) - set(ITEM_KINDS))
    if unknown:
        raise LawEnforcementError("unknown_kind", kind=unknown[0], kinds=", ".join(ITEM_KINDS))
    search = " ".join((search or "").split())
    if len(search) > MAX_TEXT:
        raise LawEnforcementError("too_long", most=MAX_TEXT)
    if not parsed and not search:
        raise LawEnforcementError("empty_scope")
    if not kind_list:
        raise LawEnforcementError("no_kinds", kinds=", ".join(ITEM_KINDS))
    return Scope(parsed, tuple(kind_list), search)


def scope_from_dict(value: dict) -> Scope:
    return Scope(tuple(value.get("subjects", ())), tuple(value.get("kinds", ())), str(value.get("search", "")))


def check_ordered(requested: Scope, ordered: Scope) -> None:
    """Refuse an ordered scope that reaches beyond the requested one: a subject or a kind it did not name."""
    if not ordered.subjects:
        raise LawEnforcementError("order_names_no_subject")
    extra_subjects = [subject for subject in ordered.subjects if subject not in requested.subjects]
    if extra_subjects:
        raise LawEnforcementError("beyond_scope_subject", count=len(extra_subjects))
    extra_kinds = [kind for kind in ordered.kinds if kind not in requested.kinds]
    if extra_kinds:
        raise LawEnforcementError("beyond_scope_kind", kind=extra_kinds[0])
