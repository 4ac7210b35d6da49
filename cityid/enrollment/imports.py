"""Bulk import of an existing program's applicants (``cityid import applicants FILE.jsonl``).

Each line is validated and stored on its own: a bad line is reported with its number and
reason and nothing of it is kept; a line whose ``external_id`` is already known is skipped.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from django.conf import settings
from django.utils import timezone

from cityid.core.actors import Actor
from cityid.core.errors import CityidError
from cityid.enrollment import services
from cityid.enrollment.inputs import DocumentInput, EnrollmentInput, EnrollmentInvalid
from cityid.enrollment.models import Applicant

DECISIONS = {"approved", "denied", "pending"}


class LineInvalid(CityidError):
    """The line cannot be imported; the message names the field."""


@dataclass
class ImportSummary:
    imported: int = 0
    skipped: int = 0
    rejected: list[tuple[int, str]] = field(default_factory=list)


def _date(value: Any, name: str, *, required: bool = True) -> date | None:
    if value in (None, "") and not required:
        return None
    if not isinstance(value, str):
        raise LineInvalid("not_a_date", field=name)
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise LineInvalid("bad_date", field=name, value=repr(value)) from None


def _text(record: dict, key: str, name: str | None = None, *, required: bool = False) -> str:
    value = record.get(key, "")
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise LineInvalid("not_text", field=name or key)
    if required and not value.strip():
        raise LineInvalid("required", field=name or key)
    return value


def _read_file(base_dir: Path, value: Any, name: str) -> bytes | None:
    if value in (None, ""):
        return None
    if not isinstance(value, str):
        raise LineInvalid("not_a_path", field=name)
    path = (base_dir / value).resolve()
    if not path.is_file():
        raise LineInvalid("file_not_found", field=name, file=repr(value))
    limit = settings.CITYID_MAX_SCAN_BYTES
    if path.stat().st_size > limit:  # refused before it is read into memory
        raise LineInvalid("file_too_large", field=name, file=repr(value), mb=limit // 2**20)
    return path.read_bytes()


def record_to_input(
    record: Any,
    *,
    base_dir: Path = Path("."),
    scans: list[bytes] | None = None,
    photo: bytes | None = None,
) -> tuple[EnrollmentInput, dict]:
    """Turn one import record into an EnrollmentInput and its application block.

    ``scans``/``photo`` supply file contents directly (the seeder); otherwise ``scan_path`` and
    ``photo_path`` are read relative to ``base_dir``.
    """
    if not isinstance(record, dict):
        raise LineInvalid("not_object")
    address = record.get("address")
    if not isinstance(address, dict):
        raise LineInvalid("bad_address")
    address = {
        k: ("" if v is None else v)
        for k, v in address.items()
        if k in {"kind", "line1", "line2", "city", "postcode", "borough", "care_of"}
    }
    if not all(isinstance(v, str) for v in address.values()):
        raise LineInvalid("address_not_text")
    documents_raw = record.get("documents")
    if not isinstance(documents_raw, list) or not documents_raw:
        raise LineInvalid("no_documents")
    documents = []
    for index, doc in enumerate(documents_raw):
        if not isinstance(doc, dict):
            raise LineInvalid("not_an_object", field=f"documents[{index}]")
        scan = (
            scans[index]
            if scans is not None and index < len(scans)
            else _read_file(base_dir, doc.get("scan_path"), f"documents[{index}].scan_path")
        )
        documents.append(
            DocumentInput(
                type=_text(doc, "type", f"documents[{index}].type", required=True),
                number=_text(doc, "number", f"documents[{index}].number", required=True),
                issuer=_text(doc, "issuer", f"documents[{index}].issuer"),
                expires=_date(doc.get("expires"), f"documents[{index}].expires", required=False),
                scan=scan,
            )
        )
    application = record.get("application")
    if not isinstance(application, dict):
        raise LineInvalid("not_an_object", field="application")
    decision = application.get("decision", "pending")
    if decision not in DECISIONS:
        raise LineInvalid("bad_decision", decisions=", ".join(sorted(DECISIONS)))
    languages = record.get("languages") or []
    if not isinstance(languages, list) or not all(isinstance(x, str) for x in languages):
        raise LineInvalid("bad_languages")
    external_id = _text(record, "external_id", required=True)
    caretaker = record.get("caretaker")
    emergency = record.get("emergency_contact")
    for name, value in (("caretaker", caretaker), ("emergency_contact", emergency)):
        if value is not None and not isinstance(value, dict):
            raise LineInvalid("not_object_or_null", field=name)
    data = EnrollmentInput(
        external_id=external_id,
        given_name=_text(record, "given_name", required=True),
        family_name=_text(record, "family_name", required=True),
        date_of_birth=_date(record.get("date_of_birth"), "date_of_birth"),
        gender=_text(record, "gender"),
        address=address,
        languages=languages,
        documents=documents,
        photo=photo if photo is not None else _read_file(base_dir, record.get("photo_path"), "photo_path"),
        application_type=_text(application, "type", "application.type") or "new",
        submitted_on=_date(application.get("submitted"), "application.submitted"),
        with_caretaker=bool(caretaker),
        caretaker=caretaker,
        emergency_contact=emergency,
        veteran=bool(record.get("veteran", False)),
        organ_donor=bool(record.get("organ_donor", False)),
    )
    return data, {
        "decision": decision,
        "decided": _date(application.get("decided"), "application.decided", required=decision != "pending"),
    }


def import_records(items: list[tuple[EnrollmentInput, dict]], *, actor: Actor | None) -> list[Any]:
    """Store checked-as-they-go records and their recorded decisions in one transaction, all or nothing.

    Raises EnrollmentInvalid or LineInvalid (nothing stored) if any record is bad.
    """
    from cityid.vault.services import atomic_with_blobs

    rules = services.current_rules()
    today = timezone.localdate()
    checked = [
        (data, services.check_enrollment(data, rules, today=today, require_eligible=block["decision"] == "approved"))
        for data, block in items
    ]
    with atomic_with_blobs():
        if any(block["decision"] != "pending" for _data, block in items):
            # decide_many may take the retention lock; take it before storing writes audit events, in the
            # order holds and disposition runs take the two (else they could deadlock with this import).
            services.lock_if_decisions_move_dates()
        applications = services.store_enrollments(checked, enrolled_by=actor, imported=True)
        decisions = [
            services.Decision(
                application,
                block["decision"] == "approved",
                ("insufficient_documents",) if block["decision"] == "denied" else (),
                block["decided"],
            )
            for application, (_data, block) in zip(applications, items, strict=True)
            if block["decision"] != "pending"
        ]
        try:
            services.decide_many(decisions, decided_by=actor, imported=True)
        except CityidError as refused:  # the decision itself, or an approval check (a duplicate held for review)
            raise LineInvalid("decision_refused", reason=refused) from None
    return applications


def import_record(data: EnrollmentInput, application_block: dict, *, actor: Actor | None) -> None:
    """Store one record and its recorded decision, all or nothing."""
    import_records([(data, application_block)], actor=actor)


def _invalid_message(invalid: EnrollmentInvalid) -> str:
    return "; ".join(f"{name}: {' '.join(msgs)}" for name, msgs in invalid.errors.items())


def import_lines(
    lines: Iterable[str],
    *,
    actor: Actor | None,
    base_dir: Path = Path("."),
    on_line: Callable[[int, str], None] | None = None,
) -> ImportSummary:
    summary = ImportSummary()
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        outcome = "imported"
        try:
            try:
                record = json.loads(line.rstrip("\r\n"))
            except json.JSONDecodeError as exc:
                raise LineInvalid("not_json", reason=exc.msg, column=exc.colno) from None
            except RecursionError:
                raise LineInvalid("not_json", reason="nested too deep", column=1) from None
            external_id = record.get("external_id") if isinstance(record, dict) else None
            if external_id and Applicant.objects.filter(external_id=external_id).exists():
                summary.skipped += 1
                outcome = "skipped"
            else:
                data, block = record_to_input(record, base_dir=base_dir)
                import_record(data, block, actor=actor)
                summary.imported += 1
        except LineInvalid as exc:
            summary.rejected.append((number, str(exc)))
            outcome = "rejected"
        except EnrollmentInvalid as exc:
            summary.rejected.append((number, _invalid_message(exc)))
            outcome = "rejected"
        if on_line:
            on_line(number, outcome)
    return summary
