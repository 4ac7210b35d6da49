"""``cityid export subject ID --out DIR``: a subject-access export, decrypted, complete and audited."""

from __future__ import annotations

import io
import json
from datetime import date

import pytest
from django.core.management import CommandError, call_command

from cityid.audit.models import AuditEntry
from cityid.cards.models import Card
from cityid.cards.numbers import is_valid_card_number
from cityid.enrollment.inputs import DocumentInput
from cityid.enrollment.services import decide, enroll
from tests.conftest import jpeg_bytes, make_input, with_number

TODAY = date(2026, 11, 20)


def export(identifier: str, out_dir, actor: str = "records_officer1") -> str:
    out = io.StringIO()
    call_command("export", "subject", identifier, "--out", str(out_dir), "--actor", actor, stdout=out)
    return out.getvalue().strip()


@pytest.fixture
def approved(staff):
    passport_scan = jpeg_bytes(color=(5, 6, 7))
    bill_scan = jpeg_bytes(size=(80, 60), color=(9, 9, 9))
    photo = jpeg_bytes(color=(210, 170, 150))
    data = make_input(
        external_id="EXP-1",
        documents=[
            DocumentInput(type="foreign_passport", number="EXPPASS123", issuer="Mexico", expires=date(2030, 1, 1),
                          scan=passport_scan),
            DocumentInput(type="utility_bill", number="EXPBILL456", issuer="Con Edison", scan=bill_scan),
        ],
        photo=photo,
        emergency_contact={"name": "Ana Contact", "phone": "718-555-0101"},
    )
    application = enroll(data=data, enrolled_by=staff["clerk"], today=TODAY)
    application = decide(application=application, approve=True, decided_by=staff["supervisor"])
    return application, data, {"photo": photo, "scans": [passport_scan, bill_scan]}


def test_export_approved_applicant(staff, approved, tmp_path):
    application, data, originals = approved
    applicant = application.applicant
    printed = export("EXP-1", tmp_path / "out")
    target = tmp_path / "out" / str(applicant.public_id)
    assert printed == str(target)

    subject = json.loads((target / "subject.json").read_text(encoding="utf-8"))
    assert subject["applicant"]["id"] == str(applicant.public_id)
    assert subject["applicant"]["external_id"] == "EXP-1"
    assert subject["applicant"]["profile"] == data.profile()
    assert subject["applicant"]["languages"] == ["es"] and subject["applicant"]["gender"] == "X"
    assert subject["destroyed"] == []

    (entry,) = subject["applications"]
    assert entry["id"] == str(application.public_id)
    assert entry["status"] == "approved"
    assert entry["submitted"] == "2026-11-02"
    assert entry["details"]["emergency_contact"] == {"name": "Ana Contact", "phone": "718-555-0101"}
    assert [d["type"] for d in entry["documents"]] == ["foreign_passport", "utility_bill"]
    assert [d["number"] for d in entry["documents"]] == ["EXPPASS123", "EXPBILL456"]
    assert [d["issuer"] for d in entry["documents"]] == ["Mexico", "Con Edison"]
    assert entry["documents"][0]["expires"] == "2030-01-01"
    card = with_number(Card.objects.get(application=application))
    assert entry["card"]["number"] == card.number and is_valid_card_number(card.number)
    assert entry["card"]["expires"] == card.expires_on.isoformat()

    # The files: the photo and each scan as stored, byte for byte (the uploads' clean re-encodings).
    assert (target / "photo.jpg").read_bytes() == data.photo != originals["photo"]
    for document, stored in zip(entry["documents"], [doc.scan for doc in data.documents], strict=True):
        assert (target / document["scan_file"]).read_bytes() == stored
    assert sorted(subject["files"]) == sorted(p.name for p in target.iterdir() if p.name != "subject.json")
    assert len(subject["files"]) == 3
    for path in target.iterdir():
        assert path.stat().st_mode & 0o077 == 0, f"{path.name} is readable by others"

    audit = AuditEntry.objects.get(action="subject.export")
    assert audit.target == applicant.ref
    assert audit.actor == f"staff:{staff['records_officer'].pk}"
    # The log entry itself names no one.
    assert b"Canaryname" not in bytes(audit.entry) and b"EXPPASS123" not in bytes(audit.entry)


def test_export_by_public_id(approved, tmp_path):
    application, _data, _ = approved
    target = export(str(application.applicant.public_id), tmp_path / "out")
    assert json.loads((tmp_path / "out" / target.rsplit("/", 1)[1] / "subject.json").read_text())[
        "applicant"]["external_id"] == "EXP-1"


def test_export_without_copies(staff, settings, tmp_path):
    settings.CITYID_DOCUMENT_COPIES = "none"
    application = enroll(data=make_input(external_id="EXP-2"), enrolled_by=staff["clerk"], today=TODAY)
    target = tmp_path / "out" / str(application.applicant.public_id)
    export("EXP-2", tmp_path / "out")
    subject = json.loads((target / "subject.json").read_text())
    documents = subject["applications"][0]["documents"]
    assert [d["number"] for d in documents] == ["CANARYDOC1", "CANARYBILL9"]
    assert all("scan_file" not in d for d in documents)
    assert subject["files"] == ["photo.jpg"]
    assert subject["applications"][0]["card"] is None and subject["applications"][0]["status"] == "submitted"


def test_export_unknown_subject(staff, tmp_path):
    for identifier in ("NO-SUCH-ID", "00000000-0000-0000-0000-000000000000"):
        with pytest.raises(CommandError, match="no applicant"):
            export(identifier, tmp_path / "out")
    assert not (tmp_path / "out").exists()
    assert not AuditEntry.objects.filter(action="subject.export").exists()


def test_export_needs_records_officer(approved, tmp_path):
    with pytest.raises(CommandError, match="permission"):
        export("EXP-1", tmp_path / "out", actor="supervisor1")
    assert not (tmp_path / "out").exists()


def test_export_holds_the_card_history_with_its_notes(staff, approved, tmp_path):
    from cityid.cards.services import change_status

    application, _data, _originals = approved
    card = with_number(Card.objects.get(application=application))
    change_status(card, "suspend", reason="lost", changed_by=staff["supervisor"], note="Left it at the Bronx library")
    change_status(card, "reinstate", reason="recovered", changed_by=staff["supervisor"])

    export("EXP-1", tmp_path / "out")
    subject = json.loads((tmp_path / "out" / str(application.applicant.public_id) / "subject.json").read_text())

    history = subject["applications"][0]["card"]["status_history"]
    assert [(h["from"], h["to"], h["reason"]) for h in history] == [("issued", "suspended", "lost"),
                                                                     ("suspended", "issued", "recovered")]
    assert [h["note"] for h in history] == ["Left it at the Bronx library", None]
    assert [h["note_destroyed"] for h in history] == [False, False]
    assert subject["applications"][0]["card"]["status"] == "issued"
