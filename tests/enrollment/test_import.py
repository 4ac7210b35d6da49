"""``cityid import applicants FILE.jsonl``: validated line by line, idempotent, nothing kept of a bad line."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command

from cityid.cards.models import Card
from cityid.cards.numbers import is_valid_card_number
from cityid.enrollment.models import Applicant, Application, ApplicationStatus, PresentedDocument
from cityid.vault.models import BlindIndex, Blob, RecordKey
from tests.conftest import jpeg_bytes, with_number

pytestmark = pytest.mark.django_db


def record(external_id: str, **overrides) -> dict:
    """One import line: a passport with a scan, a utility bill, a photo; approved."""
    data = {
        "external_id": external_id,
        "given_name": "Imported",
        "family_name": f"Person {external_id}",
        "date_of_birth": "1985-07-01",
        "gender": "F",
        "languages": ["en", "es"],
        "address": {"kind": "residential", "line1": "1 Import Pl", "city": "Brooklyn", "postcode": "11201",
                    "borough": "brooklyn"},
        "documents": [
            {"type": "foreign_passport", "number": f"P-{external_id}", "issuer": "Peru",
             "expires": "2031-05-01", "scan_path": "scans/passport.jpg"},
            {"type": "utility_bill", "number": f"B-{external_id}", "issuer": "National Grid"},
        ],
        "photo_path": "photos/face.jpg",
        "application": {"type": "new", "submitted": "2026-10-01", "decision": "approved",
                        "decided": "2026-10-15"},
    }
    data.update(overrides)
    return data


@pytest.fixture
def files(tmp_path) -> Path:
    base = tmp_path / "import"
    (base / "scans").mkdir(parents=True)
    (base / "photos").mkdir()
    (base / "scans" / "passport.jpg").write_bytes(jpeg_bytes(color=(10, 20, 30)))
    (base / "photos" / "face.jpg").write_bytes(jpeg_bytes(color=(200, 150, 100)))
    (base / "photos" / "not-a-photo.jpg").write_text("this is a text file, not a JPEG\n")
    return base


def write_jsonl(path: Path, lines: list) -> Path:
    path.write_text("".join((line if isinstance(line, str) else json.dumps(line)) + "\n" for line in lines))
    return path


def run_import(path: Path, *extra: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("import", "applicants", str(path), *extra, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def blob_files() -> set[Path]:
    root = Path(settings.BLOB_DIR)
    return {p for p in root.rglob("*") if p.is_file()} if root.exists() else set()


def counts() -> dict[str, int]:
    return {
        "applicant": Applicant.objects.count(),
        "application": Application.objects.count(),
        "document": PresentedDocument.objects.count(),
        "record_key": RecordKey.objects.count(),
        "blob": Blob.objects.count(),
        "blind_index": BlindIndex.objects.count(),
        "card": Card.objects.count(),
        "blob_files": len(blob_files()),
    }


def test_import_good_lines(files):
    path = write_jsonl(files / "good.jsonl", [
        record("A-1"),
        record("A-2", application={"submitted": "2026-09-01", "decision": "pending"}),
        record("A-3", documents=[{"type": "utility_bill", "number": "B-3"}], photo_path=None,
               application={"submitted": "2026-09-01", "decision": "denied", "decided": "2026-09-20"}),
        "",  # blank lines are ignored
    ])
    out, err = run_import(path)
    assert "imported 3, skipped 0, rejected 0" in out
    assert err == ""

    assert Applicant.objects.count() == 3
    approved = Application.objects.get(applicant__external_id="A-1")
    assert approved.status == ApplicationStatus.APPROVED
    assert approved.enrolled_by is None and approved.decided_by is None
    assert str(approved.decided_on) == "2026-10-15"
    card = with_number(Card.objects.get())
    assert card.application == approved
    assert is_valid_card_number(card.number) and len(card.number) == 16
    assert Application.objects.get(applicant__external_id="A-2").status == ApplicationStatus.SUBMITTED
    denied = Application.objects.get(applicant__external_id="A-3")
    assert denied.status == ApplicationStatus.DENIED and denied.denial_reasons == ["insufficient_documents"]

    # Blobs: each a photo and a passport scan; A-3 none. Every row has its file.
    assert Blob.objects.count() == 4
    assert len(blob_files()) == 4
    from cityid.vault.services import blob_path

    assert {blob_path(b.uuid) for b in Blob.objects.all()} == blob_files()


def test_reimport_skips_known_external_ids(files):
    path = write_jsonl(files / "good.jsonl", [record("A-1"), record("A-2")])
    run_import(path)
    before = counts()
    out, err = run_import(path)  # no CommandError: skipping is not a failure
    assert "imported 0, skipped 2, rejected 0" in out
    assert counts() == before

    path2 = write_jsonl(files / "more.jsonl", [record("A-2"), record("A-3")])
    out, _ = run_import(path2)
    assert "imported 1, skipped 1, rejected 0" in out
    assert Applicant.objects.count() == 3


def test_missing_file_is_an_error(tmp_path):
    with pytest.raises(CommandError, match="no such file"):
        run_import(tmp_path / "absent.jsonl")


def test_import_needs_permission(staff, files):
    path = write_jsonl(files / "good.jsonl", [record("A-1")])
    with pytest.raises(CommandError, match="permission"):
        run_import(path, "--actor", "clerk1")
    assert Applicant.objects.count() == 0
    out, _ = run_import(path, "--actor", "supervisor1")
    assert "imported 1" in out
    # Imported applications are recorded as enrolled outside this system, so the supervisor is not
    # the enroller; the audit log still names who imported.
    application = Application.objects.get()
    assert application.enrolled_by is None


#: (line, the field its error must name). Line numbers are 1-based positions in the file.
BAD_LINES = [
    ('{"external_id": "BAD-1", "given_name": ', "not valid JSON"),
    (record("BAD-2", documents=[{"type": "moon_passport", "number": "M1"},
                                {"type": "utility_bill", "number": "B1"}]), "documents[0].type"),
    (record("BAD-3", date_of_birth="2031-01-01"), "date_of_birth"),
    (record("BAD-4", address={"line1": "1 Import Pl", "city": "Brooklyn", "postcode": "11201",
                              "borough": "brooklyn"}), "address.kind"),
    (record("BAD-5", documents=[{"type": "utility_bill", "number": "B-5"}]), "documents"),
    (record("BAD-6", documents=[{"type": "foreign_passport", "number": "P-6", "expires": "2031-05-01",
                                 "scan_path": "scans/missing.jpg"},
                                {"type": "utility_bill", "number": "B-6"}]), "documents[0].scan_path"),
    (record("BAD-7", photo_path="photos/not-a-photo.jpg"), "photo"),
    # Valid enough to be enrolled (photo and scan written) before the decision fails: the
    # transaction and its blob files must be rolled back.
    (record("BAD-8", application={"submitted": "2026-10-01", "decision": "approved",
                                  "decided": "2026-09-01"}), "application.decided"),
    (record("BAD-9", application={"submitted": "2026-10-01", "decision": "maybe"}), "application.decision"),
    ("[1, 2, 3]", "not a JSON object"),
]


def test_bad_lines_rejected_and_nothing_of_them_stored(files):
    good = [record("G-1"), record("G-2", application={"submitted": "2026-09-01", "decision": "pending"})]
    # Good lines among the bad ones: second and tenth.
    lines: list = [bad for bad, _field in BAD_LINES]
    lines.insert(1, good[0])
    lines.insert(9, good[1])
    expected_fields = {}
    for number, line in enumerate(lines, start=1):
        for bad, field in BAD_LINES:
            if line is bad:
                expected_fields[number] = field
    assert len(expected_fields) == len(BAD_LINES)
    path = write_jsonl(files / "mixed.jsonl", lines)

    out, err = io.StringIO(), io.StringIO()
    with pytest.raises(CommandError, match=f"{len(BAD_LINES)} line"):
        call_command("import", "applicants", str(path), stdout=out, stderr=err)
    assert f"imported 2, skipped 0, rejected {len(BAD_LINES)}" in out.getvalue()
    reported = {}
    for line in err.getvalue().splitlines():
        assert line.startswith("line "), line
        number, reason = line[len("line "):].split(": ", 1)
        reported[int(number)] = reason
    assert set(reported) == set(expected_fields), err.getvalue()
    for number, field in expected_fields.items():
        assert field in reported[number], (number, field, reported[number])

    mixed_counts = counts()
    assert Applicant.objects.filter(external_id__startswith="BAD-").count() == 0
    assert set(Applicant.objects.values_list("external_id", flat=True)) == {"G-1", "G-2"}

    # Compare with the same good lines imported alone into an empty database.
    Card.objects.all().delete()
    PresentedDocument.objects.all().delete()
    Application.objects.all().delete()
    Applicant.objects.all().delete()
    BlindIndex.objects.all().delete()
    Blob.objects.all().delete()
    RecordKey.objects.all().delete()
    for f in blob_files():
        f.unlink()
    run_import(write_jsonl(files / "good-only.jsonl", good))
    assert counts() == mixed_counts
    # And each committed Blob has exactly one file: nothing left behind by the rolled-back lines.
    assert mixed_counts["blob_files"] == mixed_counts["blob"] == 4


def test_one_bad_line_alone_leaves_no_trace(files):
    before = counts()
    for index, (bad, _field) in enumerate(BAD_LINES):
        path = write_jsonl(files / f"bad-{index}.jsonl", [bad])
        err = io.StringIO()
        with pytest.raises(CommandError):
            call_command("import", "applicants", str(path), stdout=io.StringIO(), stderr=err)
        assert err.getvalue().startswith("line 1: ")
        assert counts() == before, bad
