"""Subject-access export: everything still held about one applicant, decrypted, to a folder."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.db.models import Q

from cityid.accounts.services import authorize
from cityid.audit.selectors import subject_entries
from cityid.audit.services import record_event
from cityid.core.actors import Actor
from cityid.core.errors import CityidError
from cityid.core.files import write_file
from cityid.enrollment.models import Applicant, Application
from cityid.enrollment.selectors import _decrypt_applicant
from cityid.vault import services as vault

EXTENSIONS = {"image/jpeg": ".jpg", "image/png": ".png", "application/pdf": ".pdf"}


class SubjectNotFound(CityidError):
    pass


def find_subject(identifier: str) -> Applicant:
    """The applicant with this public id, ``external_id``, or application receipt reference (``7KQ2M-XW4TD``)."""
    query = Q(external_id=identifier) | Q(applications__receipt=identifier.strip().upper())
    try:
        import uuid

        query |= Q(public_id=uuid.UUID(identifier))
    except ValueError:
        pass
    applicant = Applicant.objects.filter(query).first()
    if applicant is None:
        raise SubjectNotFound("not_found", subject=identifier)
    return applicant


def _write(path: Path, data: bytes) -> None:
    write_file(path, data)


def _destroyed(applicant: Applicant, view: Any) -> list[dict]:
    """Each destroyed class of the subject with its date and certificate (not silently missing)."""
    from cityid.retention.services import destroyed_for_subject

    refs = [applicant.ref] + [application.ref for application, _details, _docs in view.applications]
    found = destroyed_for_subject(refs)
    named = {entry["class"] for entry in found}
    return found + [{"class": name} for name in view.destroyed if name not in named]


@dataclass(frozen=True)
class ExportSection:
    """What a registered section adds to a subject's export."""

    #: Application pk -> the value written under the section's name in that application's entry (``None`` if absent).
    by_application: dict[int, Any] = field(default_factory=dict)
    #: Further pseudonymous ids of the subject's records, whose audit entries the export includes too.
    refs: list[str] = field(default_factory=list)


_sections: dict[str, Callable[[Applicant, list[Application]], ExportSection]] = {}


def register_export_section(name: str, builder: Callable[[Applicant, list[Application]], ExportSection]) -> None:
    """``builder(applicant, applications) -> ExportSection``: what the app that registers it (in ``ready()``) holds
    about the subject, decrypted, for each of their applications, under ``name`` (cards: ``card``). The export is
    authorised and logged as a whole; the builder authorises and logs nothing itself."""
    _sections[name] = builder


def export_subject(*, identifier: str, out_dir: Path, actor: Actor | None) -> Path:
    """Write ``subject.json`` plus scans and photo under ``out_dir/<applicant id>/``; logged."""
    authorize(actor, "subject.export")
    applicant = find_subject(identifier)
    view = _decrypt_applicant(applicant)
    sections = {name: build(applicant, [a for a, _d, _docs in view.applications]) for name, build in _sections.items()}
    target = Path(out_dir) / str(applicant.public_id)
    target.mkdir(parents=True, exist_ok=True, mode=0o700)
    files: list[str] = []
    if applicant.photo is not None and "photo" not in view.destroyed:
        try:
            photo = vault.read_blob(record=vault.open_record(applicant.photo_record), blob=applicant.photo)
        except vault.RecordDestroyed:
            view.destroyed.append("photo")
        else:
            name = "photo" + EXTENSIONS.get(applicant.photo.content_type, ".bin")
            _write(target / name, photo)
            files.append(name)
    applications = []
    for application, details, docs in view.applications:
        documents = []
        record = None
        for doc in docs:
            entry = {
                "type": doc.type,
                "identity_points": doc.identity_points,
                "residency_points": doc.residency_points,
                "accepted": doc.accepted,
                **(doc.details or {}),
            }
            if doc.has_scan and doc.details is not None:
                record = record or vault.open_record(application.documents_record)
                blob = application.documents.get(position=doc.position).scan
                name = f"application-{application.public_id}-document-{doc.position}" + EXTENSIONS.get(
                    blob.content_type, ".bin"
                )
                _write(target / name, vault.read_blob(record=record, blob=blob))
                entry["scan_file"] = name
                files.append(name)
            documents.append(entry)
        applications.append(
            {
                "id": str(application.public_id),
                "type": application.type,
                "status": application.status,
                "submitted": application.submitted_on.isoformat(),
                "decided": application.decided_on.isoformat() if application.decided_on else None,
                "denial_reasons": application.denial_reasons,
                "appeal_deadline": application.appeal_deadline.isoformat() if application.appeal_deadline else None,
                "details": details,
                "documents": documents,
                **{name: section.by_application.get(application.pk) for name, section in sections.items()},
            }
        )
    refs = [applicant.ref, *(application.ref for application, _details, _docs in view.applications)]
    refs += [ref for section in sections.values() for ref in section.refs]
    document = {
        "applicant": {
            "id": str(applicant.public_id),
            "external_id": applicant.external_id,
            "profile": view.profile,
            "gender": applicant.gender,
            "languages": [code for code in applicant.languages.split(",") if code],
        },
        "applications": applications,
        "destroyed": _destroyed(applicant, view),
        "files": files,
        # The subject's own audit entries, each with its salt and an inclusion proof in the latest
        # signed checkpoint: checkable against the public log without trusting this export.
        "audit_log": subject_entries(refs),
    }
    _write(target / "subject.json", json.dumps(document, indent=2, ensure_ascii=False).encode())
    record_event(actor=actor, action="subject.export", target=applicant.ref, purpose="subject_access")
    return target
