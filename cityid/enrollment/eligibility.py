"""Eligibility calculator for a municipal ID program (DESIGN.md §3).

Pure Python on purpose: no Django import, so the rules can be checked from the command line, from
tests without a database, and from any future non-Django front end.

A program's rules are *data*: a versioned JSON file (the shipped default is ``rules/idnyc.json``)
loaded and validated by :func:`load_rules`. :func:`evaluate` scores the documents an applicant
presents and returns every reason the application cannot go ahead, as :class:`Problem` objects
with stable codes (translated on the Django side by ``cityid.enrollment.messages``).

Semantics, in brief:

* ``eligible`` is true exactly when ``problems`` is empty. A rejected document (unknown type,
  expired, missing a required expiry date, entered twice) is itself a problem: the officer must
  correct or remove it before the application can be submitted. Rejected documents score 0.
* Points are summed over accepted documents. A document flagged ``all_points_with_city_address``
  (NYS licence, DMV ID, learner permit) that shows a city address is worth at least the required
  identity *and* residency points (IDNYC: 3 + 1 = all 4), not its identity points plus 4.
* A document is valid through its expiry date (expired when ``expires < as_of``). A
  machine-readable passport expired less than ``passport_expired_grace_years`` before ``as_of``
  is accepted for its ``expired_points``; at or beyond the grace it is rejected.
* Ages use whole years; a 29 February birthday is reached on 1 March in common years.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from dataclasses import field as dataclass_field
from datetime import date
from pathlib import Path
from typing import Any

from cityid.core.dates import add_years, age_on
from cityid.core.errors import CityidError

__all__ = [
    "DEFAULT_RULES_PATH",
    "PROBLEM_CODES",
    "DocumentScore",
    "DocumentType",
    "Evaluation",
    "PresentedDocument",
    "Problem",
    "Rules",
    "RulesError",
    "card_expiry",
    "evaluate",
    "load_rules",
    "rules_from_dict",
]

DEFAULT_RULES_PATH = Path(__file__).resolve().parent / "rules" / "idnyc.json"

DOCUMENT_COPY_POLICIES = ("keep", "none")

#: Every ``Problem.code`` that :func:`evaluate` can produce.
PROBLEM_CODES = frozenset(
    {
        "birth_date_in_future",
        "too_young",
        "caretaker_required",
        "emergency_contact_required",
        "unknown_document_type",
        "duplicate_document",
        "expiry_date_required",
        "document_expired",
        "not_enough_identity_points",
        "not_enough_residency_points",
        "not_enough_points",
        "no_photo_document",
        "no_date_of_birth_document",
    }
)


class RulesError(CityidError, ValueError):
    """The rules file is missing, unreadable or invalid."""


# --------------------------------------------------------------------------- data types


@dataclass(frozen=True)
class DocumentType:
    code: str
    label: str
    identity_points: int
    residency_points: int
    shows_photo: bool
    shows_date_of_birth: bool
    machine_readable_passport: bool
    expired_points: int | None
    all_points_with_city_address: bool
    requires_expiry: bool = False
    #: Spanish label (``label_es`` in the rules file), or ``None`` if the rules give none.
    label_es: str | None = None

    def label_for(self, language_code: str) -> str:
        """The label to show in ``language_code`` ("es", "es-us", "en"…).

        The Spanish label for Spanish when the rules give one; the (English) ``label`` otherwise.
        """
        primary = (language_code or "").replace("_", "-").split("-", 1)[0].lower()
        if primary == "es" and self.label_es:
            return self.label_es
        return self.label


@dataclass(frozen=True)
class Rules:
    program: str
    version: str
    document_copies: str
    catalogue: dict[str, DocumentType]
    raw: dict
    min_age: int = 10
    caretaker_required_below: int = 14
    emergency_contact_required_below: int = 14
    photo_waiver_max_age_with_caretaker: int = 21
    required_total_points: int = 4
    required_identity_points: int = 3
    required_residency_points: int = 1
    #: ``(min_age, years)`` bands, highest ``min_age`` first.
    card_validity: tuple[tuple[int, int], ...] = ((14, 5), (10, 2))
    passport_expired_grace_years: int = 3
    #: record class -> years after submission
    retention: dict[str, int] = field(default_factory=dict)

    def retention_years(self, record_class: str) -> int:
        """Years a record class (``documents``, ``application``, ``photo``…) is kept after submission."""
        try:
            return self.retention[record_class]
        except KeyError:
            known = ", ".join(sorted(self.retention)) or "none"
            raise KeyError(
                f"rules {self.version!r} have no retention period for {record_class!r} (known: {known})"
            ) from None

    def card_validity_years(self, age: int) -> int | None:
        """Validity of a card issued at ``age``, or ``None`` if no band covers that age."""
        for min_age, years in self.card_validity:
            if age >= min_age:
                return years
        return None

    def choices(self, language_code: str | None = None) -> list[tuple[str, str]]:
        """``(code, label)`` pairs in catalogue order, for form select widgets.

        Labels are in ``language_code`` when given (see :meth:`DocumentType.label_for`), else English.
        """
        return [
            (code, doc.label_for(language_code) if language_code else doc.label)
            for code, doc in self.catalogue.items()
        ]


@dataclass(frozen=True)
class PresentedDocument:
    type: str
    expires: date | None = None
    shows_city_address: bool = False


@dataclass(frozen=True)
class Problem:
    code: str
    field: str
    message: str
    params: dict = dataclass_field(default_factory=dict)  # the field above is named ``field``


@dataclass(frozen=True)
class DocumentScore:
    index: int
    type: str
    identity_points: int
    residency_points: int
    accepted: bool
    problem: Problem | None


@dataclass(frozen=True)
class Evaluation:
    eligible: bool
    age: int
    identity_points: int
    residency_points: int
    total_points: int
    documents: tuple[DocumentScore, ...]
    problems: tuple[Problem, ...]
    card_validity_years: int | None
    rules_version: str


# --------------------------------------------------------------------------- loading

_CODE_RE = re.compile(r"^[a-z][a-z0-9_]*$")

_DOCUMENT_BOOL_KEYS = (
    "shows_photo",
    "shows_date_of_birth",
    "machine_readable_passport",
    "all_points_with_city_address",
    "requires_expiry",
)
_DOCUMENT_KEYS = frozenset(
    {"label", "label_es", "identity_points", "residency_points", "expired_points", *_DOCUMENT_BOOL_KEYS}
)


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _get(mapping: Mapping[str, Any], key: str, where: str) -> Any:
    if not isinstance(mapping, Mapping):
        raise RulesError("not_object", where=where)
    if key not in mapping:
        raise RulesError("missing_key", where=where, key=key)
    return mapping[key]


def _int(mapping: Mapping[str, Any], key: str, where: str, *, minimum: int = 0) -> int:
    value = _get(mapping, key, where)
    if not _is_int(value):
        raise RulesError("not_int", where=f"{where}.{key}", value=repr(value))
    if value < minimum:
        raise RulesError("too_small", where=f"{where}.{key}", minimum=minimum, value=value)
    return value


def _str(mapping: Mapping[str, Any], key: str, where: str) -> str:
    value = _get(mapping, key, where)
    if not isinstance(value, str) or not value.strip():
        raise RulesError("not_text", where=f"{where}.{key}", value=repr(value))
    return value


def _optional_str(mapping: Mapping[str, Any], key: str, where: str) -> str | None:
    """An optional non-empty string: ``None`` when the key is absent or null."""
    if mapping.get(key) is None:
        return None
    return _str(mapping, key, where)


def _bool(mapping: Mapping[str, Any], key: str, where: str) -> bool:
    value = _get(mapping, key, where)
    if not isinstance(value, bool):
        raise RulesError("not_bool", where=f"{where}.{key}", value=repr(value))
    return value


def _document(code: str, entry: Any) -> DocumentType:
    where = f"documents.{code}"
    if not _CODE_RE.match(code):
        raise RulesError("bad_document_code", where=where)
    if not isinstance(entry, Mapping):
        raise RulesError("not_object", where=where)
    unknown = sorted(k for k in entry if k not in _DOCUMENT_KEYS and not k.startswith("_"))
    if unknown:
        raise RulesError("unknown_keys", where=where, keys=", ".join(map(repr, unknown)))
    flags = {key: _bool(entry, key, where) for key in _DOCUMENT_BOOL_KEYS}
    identity = _int(entry, "identity_points", where)
    residency = _int(entry, "residency_points", where)
    if identity == 0 and residency == 0 and not flags["all_points_with_city_address"]:
        raise RulesError("worthless_document", where=where)
    expired_points = _get(entry, "expired_points", where)
    if expired_points is not None:
        if not _is_int(expired_points) or expired_points < 0:
            raise RulesError("bad_expired_points", where=where)
        if not flags["machine_readable_passport"]:
            raise RulesError("expired_points_not_passport", where=where)
        if expired_points > identity:
            raise RulesError("expired_points_too_many", where=where, expired=expired_points, identity=identity)
    return DocumentType(
        code=code,
        label=_str(entry, "label", where),
        label_es=_optional_str(entry, "label_es", where),
        identity_points=identity,
        residency_points=residency,
        expired_points=expired_points,
        **flags,
    )


def rules_from_dict(data: Any, *, source: str = "rules") -> Rules:
    """Validate an already-parsed rules document and build :class:`Rules`."""
    if not isinstance(data, Mapping):
        raise RulesError("top_not_object", source=source)
    where = "rules"
    program = _str(data, "program", where)
    version = _str(data, "version", where)
    copies = _str(data, "document_copies", where)
    if copies not in DOCUMENT_COPY_POLICIES:
        raise RulesError("bad_copies", policies=", ".join(DOCUMENT_COPY_POLICIES), value=repr(copies))
    min_age = _int(data, "min_age", where)
    caretaker_below = _int(data, "caretaker_required_below", where)
    emergency_below = _int(data, "emergency_contact_required_below", where)
    waiver_age = _int(data, "photo_waiver_max_age_with_caretaker", where)
    grace = _int(data, "passport_expired_grace_years", where)

    points = _get(data, "required_points", where)
    total = _int(points, "total", "rules.required_points", minimum=1)
    identity = _int(points, "identity", "rules.required_points")
    residency = _int(points, "residency", "rules.required_points")
    if identity + residency > total:
        raise RulesError("points_exceed_total", identity=identity, residency=residency, total=total)

    bands_raw = _get(data, "card_validity_years", where)
    if not isinstance(bands_raw, list) or not bands_raw:
        raise RulesError("bad_bands")
    bands: list[tuple[int, int]] = []
    for i, band in enumerate(bands_raw):
        bwhere = f"rules.card_validity_years[{i}]"
        bands.append((_int(band, "min_age", bwhere), _int(band, "years", bwhere, minimum=1)))
    ages = [age for age, _ in bands]
    if len(set(ages)) != len(ages):
        raise RulesError("same_band")
    bands.sort(reverse=True)
    if bands[-1][0] > min_age:
        raise RulesError("no_band", min_age=min_age, lowest=bands[-1][0])

    retention_raw = _get(data, "retention", where)
    if not isinstance(retention_raw, Mapping):
        raise RulesError("bad_retention")
    retention = {
        name: _int(entry, "years_after_submitted", f"rules.retention.{name}")
        for name, entry in retention_raw.items()
        if not name.startswith("_")
    }

    documents_raw = _get(data, "documents", where)
    if not isinstance(documents_raw, Mapping) or not documents_raw:
        raise RulesError("bad_documents")
    catalogue = {
        code: _document(code, entry) for code, entry in documents_raw.items() if not code.startswith("_")
    }
    if not any(doc.residency_points or doc.all_points_with_city_address for doc in catalogue.values()):
        raise RulesError("no_residency_document")

    return Rules(
        program=program,
        version=version,
        document_copies=copies,
        catalogue=catalogue,
        raw=dict(data),
        min_age=min_age,
        caretaker_required_below=caretaker_below,
        emergency_contact_required_below=emergency_below,
        photo_waiver_max_age_with_caretaker=waiver_age,
        required_total_points=total,
        required_identity_points=identity,
        required_residency_points=residency,
        card_validity=tuple(bands),
        passport_expired_grace_years=grace,
        retention=retention,
    )


def load_rules(path: str | os.PathLike[str]) -> Rules:
    """Read and validate a rules file; raises :class:`RulesError` with the file name and the reason."""
    try:
        with open(path, encoding="utf-8") as fh:
            data = json.load(fh)
    except FileNotFoundError:
        raise RulesError("file_not_found", file=os.fspath(path)) from None
    except json.JSONDecodeError as exc:
        raise RulesError("file_not_json", file=os.fspath(path), reason=str(exc)) from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise RulesError("file_unreadable", file=os.fspath(path), reason=str(exc)) from exc
    try:
        return rules_from_dict(data, source=os.fspath(path))
    except RulesError as exc:
        raise RulesError("in_file", file=os.fspath(path), reason=exc) from None


# --------------------------------------------------------------------------- dates


def card_expiry(rules: Rules, *, date_of_birth: date, issued_on: date) -> date:
    """Expiry of a card issued on ``issued_on``: validity by age at issue (29 Feb -> 28 Feb)."""
    age = age_on(date_of_birth, issued_on)
    years = rules.card_validity_years(age)
    if years is None:
        raise ValueError(f"no card validity for age {age} under rules {rules.version!r}")
    return add_years(issued_on, years)


# --------------------------------------------------------------------------- evaluation


def _plural(n: int, one: str, many: str) -> str:
    return one if n == 1 else many


def _score_document(
    rules: Rules, index: int, doc: PresentedDocument, as_of: date, seen: dict[str, int]
) -> tuple[DocumentScore, DocumentType | None]:
    """Score one document; returns the score and, if accepted, its catalogue entry."""

    def rejected(problem: Problem) -> tuple[DocumentScore, None]:
        return DocumentScore(index, doc.type, 0, 0, False, problem), None

    number = index + 1
    doc_type = rules.catalogue.get(doc.type)
    if doc_type is None:
        return rejected(
            Problem(
                "unknown_document_type",
                f"documents[{index}].type",
                f"Document {number}: {doc.type!r} is not an accepted document type.",
                {"index": index, "number": number, "type": doc.type},
            )
        )
    params: dict[str, Any] = {"index": index, "number": number, "type": doc.type, "label": doc_type.label}
    if doc.type in seen:
        first = seen[doc.type]
        return rejected(
            Problem(
                "duplicate_document",
                f"documents[{index}].type",
                f"Document {number}: {doc_type.label} was already entered as document {first + 1}; "
                "each document type counts once.",
                {**params, "first_index": first, "first_number": first + 1},
            )
        )
    seen[doc.type] = index

    if doc.expires is None and doc_type.requires_expiry:
        return rejected(
            Problem(
                "expiry_date_required",
                f"documents[{index}].expires",
                f"Document {number}: enter the expiry date of the {doc_type.label}.",
                params,
            )
        )

    identity = doc_type.identity_points
    residency = doc_type.residency_points
    if doc.expires is not None and doc.expires < as_of:
        grace = rules.passport_expired_grace_years
        within_grace = as_of < add_years(doc.expires, grace)
        expired_params = {**params, "expires": doc.expires.isoformat(), "grace_years": grace}
        if doc_type.machine_readable_passport and doc_type.expired_points is not None and within_grace:
            # Accepted at reduced value; the expired passport never carries an address.
            return DocumentScore(index, doc.type, doc_type.expired_points, 0, True, None), doc_type
        if doc_type.machine_readable_passport and doc_type.expired_points is not None:
            message = (
                f"Document {number}: the {doc_type.label} expired on {doc.expires.isoformat()}; "
                f"passports are accepted only up to {grace} years after expiry."
            )
        else:
            message = (
                f"Document {number}: the {doc_type.label} expired on {doc.expires.isoformat()}; "
                "expired documents are not accepted."
            )
        return rejected(Problem("document_expired", f"documents[{index}].expires", message, expired_params))

    if doc_type.all_points_with_city_address and doc.shows_city_address:
        identity = max(identity, rules.required_identity_points)
        residency = max(residency, rules.required_residency_points)
    return DocumentScore(index, doc.type, identity, residency, True, None), doc_type


def evaluate(
    rules: Rules,
    *,
    date_of_birth: date,
    as_of: date,
    documents: Sequence[PresentedDocument],
    with_caretaker: bool = False,
    has_emergency_contact: bool = False,
) -> Evaluation:
    """Score ``documents`` and check every rule; ``eligible`` iff no problems."""
    problems: list[Problem] = []

    # -- age
    age: int
    age_known = date_of_birth <= as_of
    if not age_known:
        age = 0
        problems.append(
            Problem(
                "birth_date_in_future",
                "date_of_birth",
                "The date of birth is in the future.",
                {"date_of_birth": date_of_birth.isoformat(), "as_of": as_of.isoformat()},
            )
        )
    else:
        age = age_on(date_of_birth, as_of)
        if age < rules.min_age:
            problems.append(
                Problem(
                    "too_young",
                    "date_of_birth",
                    f"Applicants must be at least {rules.min_age} years old (the applicant is {age}).",
                    {"age": age, "min_age": rules.min_age},
                )
            )
        else:
            if age < rules.caretaker_required_below and not with_caretaker:
                problems.append(
                    Problem(
                        "caretaker_required",
                        "caretaker",
                        f"Applicants under {rules.caretaker_required_below} must apply with a caretaker "
                        "who signs the application.",
                        {"age": age, "below": rules.caretaker_required_below},
                    )
                )
            if age < rules.emergency_contact_required_below and not has_emergency_contact:
                problems.append(
                    Problem(
                        "emergency_contact_required",
                        "emergency_contact",
                        f"An emergency contact is required for applicants under "
                        f"{rules.emergency_contact_required_below}.",
                        {"age": age, "below": rules.emergency_contact_required_below},
                    )
                )

    # -- documents
    scores: list[DocumentScore] = []
    accepted_types: list[DocumentType] = []
    seen: dict[str, int] = {}
    for index, doc in enumerate(documents):
        score, doc_type = _score_document(rules, index, doc, as_of, seen)
        scores.append(score)
        if score.problem is not None:
            problems.append(score.problem)
        if doc_type is not None:
            accepted_types.append(doc_type)

    identity = sum(s.identity_points for s in scores)
    residency = sum(s.residency_points for s in scores)
    total = identity + residency

    need_id, need_res, need_total = (
        rules.required_identity_points,
        rules.required_residency_points,
        rules.required_total_points,
    )
    if identity < need_id:
        problems.append(
            Problem(
                "not_enough_identity_points",
                "documents",
                f"At least {need_id} identity {_plural(need_id, 'point is', 'points are')} needed "
                f"(the documents give {identity}).",
                {"required": need_id, "have": identity, "missing": need_id - identity},
            )
        )
    if residency < need_res:
        problems.append(
            Problem(
                "not_enough_residency_points",
                "documents",
                f"At least {need_res} residency {_plural(need_res, 'point is', 'points are')} needed "
                f"(the documents give {residency}).",
                {"required": need_res, "have": residency, "missing": need_res - residency},
            )
        )
    if total < need_total:
        problems.append(
            Problem(
                "not_enough_points",
                "documents",
                f"At least {need_total} points are needed in total (the documents give {total}).",
                {"required": need_total, "have": total, "missing": need_total - total},
            )
        )

    photo_waived = age_known and age <= rules.photo_waiver_max_age_with_caretaker and with_caretaker
    if not photo_waived and not any(d.shows_photo for d in accepted_types):
        problems.append(
            Problem(
                "no_photo_document",
                "documents",
                "At least one accepted document must show the applicant's photo "
                f"(not needed for applicants aged {rules.photo_waiver_max_age_with_caretaker} or under "
                "who apply with a caretaker).",
                {"waiver_max_age": rules.photo_waiver_max_age_with_caretaker},
            )
        )
    if not any(d.shows_date_of_birth for d in accepted_types):
        problems.append(
            Problem(
                "no_date_of_birth_document",
                "documents",
                "At least one accepted document must show the applicant's date of birth.",
                {},
            )
        )

    validity = rules.card_validity_years(age) if age_known and age >= rules.min_age else None
    return Evaluation(
        eligible=not problems,
        age=age,
        identity_points=identity,
        residency_points=residency,
        total_points=total,
        documents=tuple(scores),
        problems=tuple(problems),
        card_validity_years=validity,
        rules_version=rules.version,
    )
