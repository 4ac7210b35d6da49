"""Matching reads: the alert queue, an alert, the side-by-side records of one pair, the decisions as labels.

A fraud analyst reads applicants only here, and only through an alert that is open and names them: the read
goes through enrollment's ``read_applicant_for_reason`` with the alert as its purpose (``match_alert:<uuid>``),
whose checker (:func:`alert_allows`) asks this app. Every read and refusal is in the audit log.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from django.db.models import F, QuerySet
from django.utils.translation import gettext_lazy as _

from cityid.accounts.policy import allowed
from cityid.accounts.services import authorize, role_of
from cityid.audit.services import record_event
from cityid.core.actors import Actor
from cityid.enrollment import selectors as enrollment
from cityid.matching.models import Alert, AlertPair, AlertStatus
from cityid.matching.services import MatchingRefused
from cityid.ui.labels import when
from cityid.ui.pagination import paginate

SORTS = {
    "newest": (F("created_at").desc(), F("pk").desc()),
    "oldest": (F("created_at").asc(), F("pk").asc()),
    "score": (F("score").desc(nulls_last=True), F("created_at").desc(), F("pk").desc()),
}
STATUSES = ("open", "closed")


def alert_page(*, actor: Actor | None, status: str = "open", sort: str = "newest", page: Any = None) -> Any:
    """One page of alerts (no personal data: kinds, levels, scores, dates), ``status`` and ``sort`` as named."""
    authorize(actor, "matching.review")
    alerts: QuerySet[Alert] = Alert.objects.filter(
        status=status if status in STATUSES else "open").order_by(*SORTS.get(sort, SORTS["newest"]))
    return paginate(alerts, page)


def _uuid(value: Any) -> str | None:
    try:
        return str(uuid.UUID(str(value)))
    except (ValueError, TypeError, AttributeError):
        return None


def get_alert(*, actor: Actor | None, public_id: Any) -> Alert:
    """The alert with this id (open or decided), for its page; ``not_found`` for anything else."""
    authorize(actor, "matching.review")
    found = _uuid(public_id)
    alert = Alert.objects.select_related("application", "applicant").filter(public_id=found).first() if found else None
    if alert is None:
        raise MatchingRefused("not_found")
    return alert


def pairs_of(alert: Alert) -> list[AlertPair]:
    return list(alert.pairs.select_related("other").order_by("position"))


def alert_allows(reason_id: str, *, actor: Actor | None, applicant: Any) -> bool:
    """The ``match_alert`` access-reason checker: the alert exists, is open, names this applicant, and the reader's
    role reviews alerts."""
    if actor is None or not allowed(role_of(actor), "matching.review"):
        return False
    alert = Alert.objects.filter(public_id=reason_id, status=AlertStatus.OPEN).first()
    if alert is None:
        return False
    return alert.applicant_id == applicant.pk or alert.pairs.filter(other_id=applicant.pk).exists()


@dataclass(frozen=True)
class Row:
    label: str
    left: str
    right: str
    same: bool


@dataclass(frozen=True)
class SideBySide:
    alert: Alert
    pair: AlertPair
    rows: list[Row]
    evidence: list[dict[str, Any]]
    destroyed: bool  # one side's application data is destroyed: nothing left to compare


def _documents(view: Any) -> str:
    out = []
    for _application, _details, docs in view.applications:
        for doc in docs:
            number = (doc.details or {}).get("number") if doc.details else None
            if number:
                out.append(f"{doc.label}: {number}")
    return "; ".join(dict.fromkeys(out))


def _fields(view: Any) -> dict[str, str]:
    profile = view.profile or {}
    address = profile.get("address") or {}
    return {
        "given_name": profile.get("given_name", ""),
        "family_name": profile.get("family_name", ""),
        "date_of_birth": when(profile.get("date_of_birth", ""), "SHORT_DATE_FORMAT"),  # in the reader's locale
        "line1": address.get("line1", ""),
        "city": address.get("city", ""),
        "postcode": address.get("postcode", ""),
        "documents": _documents(view),
    }


LABELS = {
    "given_name": _("Given name"),
    "family_name": _("Family name"),
    "date_of_birth": _("Date of birth"),
    "line1": _("Street address"),
    "city": _("City"),
    "postcode": _("ZIP code"),
    "documents": _("Documents"),
}


def compare(*, alert: Alert, actor: Actor | None, position: Any) -> SideBySide:
    """The two applicants of one pair of an open alert, side by side, with the field-level evidence. Both reads
    are bound to the alert (``match_alert:<uuid>``) and logged; a decided alert refuses (logged)."""
    authorize(actor, "matching.review", target=alert.ref)
    if alert.status != AlertStatus.OPEN or alert.applicant is None:
        record_event(actor=actor, action="access.denied", target=alert.ref, purpose="match_alert:closed",
                     outcome="denied")
        raise MatchingRefused("closed")
    try:
        number = int(str(position))
    except ValueError:
        number = -1
    pair = alert.pairs.select_related("other").filter(position=number).first()
    if pair is None:
        raise MatchingRefused("no_pair")
    left = enrollment.read_applicant_for_reason(applicant=alert.applicant, actor=actor, purpose=alert.ref)
    right = enrollment.read_applicant_for_reason(applicant=pair.other, actor=actor, purpose=alert.ref)
    a, b = _fields(left), _fields(right)
    rows = [Row(str(label), a[name], b[name], bool(a[name]) and a[name].casefold() == b[name].casefold())
            for name, label in LABELS.items()]
    return SideBySide(alert, pair, rows, list(pair.evidence or []), left.profile is None or right.profile is None)


def labelled_pairs(*, actor: Actor | None) -> list[dict[str, Any]]:
    """The analysts' decisions as labels, pseudonymous ids only, and only of applicants whose data is not destroyed:
    ``left``/``right`` (applicants' public ids), ``decision``, ``same`` (whether the analyst found them one
    person), the alert's kind, its score and the model version it was scored with. For ``cityid match evaluate``
    and retraining."""
    authorize(actor, "matching.review")
    pairs = list(AlertPair.objects.exclude(decision="").filter(alert__applicant__isnull=False)
                 .select_related("alert__applicant", "other").order_by("decided_at", "pk"))  # fmt: skip
    # a destroyed applicant leaves the labels too: their id beside a decision (fraud, say) outliving their data
    kept = enrollment.applicants_with_data([i for p in pairs for i in (p.alert.applicant_id, p.other_id) if i])
    rows = []
    for pair in pairs:
        applicant = pair.alert.applicant
        if applicant is None or applicant.pk not in kept or pair.other_id not in kept:
            continue
        rows.append({
            "left": str(applicant.public_id), "right": str(pair.other.public_id),
            "decision": pair.decision,
            # fraud on a duplicate alert is one person enrolling twice; on a document or address alert, others
            "same": pair.decision == "same_person" or (pair.decision == "fraud" and pair.alert.kind == "duplicate"),
            "kind": pair.alert.kind, "score": pair.score, "model_version": pair.alert.model_version,
        })
    return rows
