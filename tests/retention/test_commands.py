"""The retention commands end to end: ``retention``, ``hold`` and ``certificate``, through call_command."""

from __future__ import annotations

import io
import json
from datetime import date, timedelta
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from cityid.retention import certificate as certificates
from cityid.retention import signing
from cityid.retention.models import Certificate, DispositionRun, HeldRecord, LegalHold, Schedule
from cityid.retention.sealing import open_details
from cityid.vault.models import RecordKey
from tests.conftest import make_input

TODAY = date(2026, 11, 20)
SUBMITTED = [date(2015, 3, 10), date(2015, 9, 1), date(2016, 5, 20)]
OFFICERS = ("--approved-by", "records_officer1", "--approved-by", "records_officer2")


def run(*args: str) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def last_line(output: str) -> str:
    return output.rstrip("\n").splitlines()[-1]


@pytest.fixture
def officers(staff):
    """Two records officers (a run needs two different approvers)."""
    from cityid.accounts.services import create_staff

    second = create_staff(username="records_officer2", role="records_officer").user
    return staff["records_officer"], second


@pytest.fixture
def applicants(staff):
    """Three applicants with document scans, submitted in 2015-2016."""
    from cityid.enrollment.services import enroll

    return [
        enroll(data=make_input(submitted_on=day, date_of_birth=date(1980 + i, 1, 2)), enrolled_by=staff["clerk"],
               today=TODAY)
        for i, day in enumerate(SUBMITTED)
    ]


def schedule_documents() -> str:
    return run("retention", "schedule", "--class", "documents", "--on", "2016-12-31", "--actor", "records_officer1")


# --- schedules ---------------------------------------------------------------------------

def test_schedule_fixed_date_moves_records(applicants):
    printed = schedule_documents()
    lines = printed.splitlines()
    assert lines[0] == "documents schedule version 1: on 2016-12-31 (approved by records_officer1)"
    assert lines[1] == "moved 3 of 3 documents record(s) to their new cohorts"
    documents = RecordKey.objects.filter(record_class="documents")
    assert set(documents.values_list("cohort", flat=True)) == {"documents/2016-12"}
    assert set(documents.values_list("key_id", flat=True)) == {"cohort:documents/2016-12"}
    assert set(documents.values_list("due_on", flat=True)) == {date(2016, 12, 31)}
    # Other classes are untouched.
    assert not RecordKey.objects.filter(record_class="application", cohort__startswith="documents").exists()

    again = schedule_documents()
    assert again.splitlines()[0].startswith("documents schedule version 2: on 2016-12-31")
    assert again.splitlines()[1] == "moved 0 of 3 documents record(s) to their new cohorts"
    schedule = Schedule.objects.get(record_class="documents", version=1)
    assert schedule.approved_by.username == "records_officer1"


def test_schedule_trigger_and_list(applicants):
    printed = run("retention", "schedule", "--class", "photo", "--trigger", "submitted", "--years", "2",
                  "--actor", "records_officer1")
    assert printed.splitlines()[0] == "photo schedule version 1: 2 years after submitted (approved by records_officer1)"
    assert printed.splitlines()[1] == "moved 3 of 3 photo record(s) to their new cohorts"
    assert set(RecordKey.objects.filter(record_class="photo").values_list("cohort", flat=True)) == {
        "photo/2017-03", "photo/2017-09", "photo/2018-05"}

    listed = run("retention", "schedule", "--list", "--actor", "auditor1")
    assert "2 years after submitted (current)" in listed
    assert "rules file, current" in listed  # classes without a version of their own
    for name in ("documents", "application", "photo", "card", "disclosure"):
        assert name in listed
    only = run("retention", "schedules", "--class", "photo")
    assert "photo" in only and "documents" not in only


@pytest.mark.parametrize("args, reason", [
    ((), "--class is required"),
    (("--class", "nope", "--on", "2016-12-31"), "unknown class 'nope'"),
    (("--class", "documents"), "give either --on"),
    (("--class", "documents", "--on", "2016-12-31", "--trigger", "decided", "--years", "1"), "give either --on"),
    (("--class", "documents", "--trigger", "decided"), "--trigger needs --years"),
    (("--class", "documents", "--on", "2016-12-31", "--years", "3"), "--years goes with --trigger"),
    (("--class", "documents", "--on", "31/12/2016"), "'31/12/2016' is not a date"),
    (("--class", "documents", "--trigger", "birthday", "--years", "1"), "a trigger is one of"),
    (("--class", "documents", "--trigger", "decided", "--years", "101"), "a trigger is one of"),
])
def test_schedule_refusals(staff, args, reason):
    with pytest.raises(CommandError, match=reason) as refused:
        run("retention", "schedule", *args, "--actor", "records_officer1")
    assert "\n" not in str(refused.value)
    assert not Schedule.objects.exists()


@pytest.mark.parametrize("role", ["clerk", "counsel", "auditor", "admin"])
def test_schedule_needs_records_officer(staff, role):
    with pytest.raises(CommandError, match="permission denied"):
        run("retention", "schedule", "--class", "documents", "--on", "2016-12-31", "--actor", f"{role}1")
    assert not Schedule.objects.exists()


# --- preview -----------------------------------------------------------------------------

def test_preview_json_and_table(applicants):
    schedule_documents()
    report = json.loads(run("retention", "preview", "--as-of", "2017-01-02", "--json", "--actor", "auditor1"))
    assert report["as_of"] == "2017-01-02"
    assert report["destroy_total"] == 3 and report["held_total"] == 0
    assert report["destroy_by_class"] == {"documents": 3}
    assert report["cohorts"] == [{"cohort": "documents/2016-12", "class": "documents",
                                  "key_id": "cohort:documents/2016-12", "records": 3}]
    assert report["holds"] == []

    before = json.loads(run("retention", "preview", "--as-of", "2016-12-30", "--json"))
    assert before["destroy_total"] == 0

    table = run("retention", "preview", "--as-of", "2017-01-02", "--actor", "counsel1")
    assert table.splitlines()[0] == "Disposition preview as of 2017-01-02: 3 record(s) to destroy, 0 held"
    assert "documents/2016-12" in table and "cohort:documents/2016-12" in table

    with pytest.raises(CommandError, match="permission denied"):
        run("retention", "preview", "--as-of", "2017-01-02", "--actor", "clerk1")
    with pytest.raises(CommandError, match="is not a date"):
        run("retention", "preview", "--as-of", "2017-02-30")


# --- holds -------------------------------------------------------------------------------

def place(*args: str) -> str:
    return run("hold", "place", "--case", "People v. Canary", "--court", "Supreme Court, New York County",
               *args, "--actor", "counsel1")


def test_hold_place_prints_id_last_and_preview_reports_it(applicants):
    schedule_documents()
    printed = place("--scope", "class:documents", "--index-number", "451234/2016", "--order-date", "2016-12-20",
                    "--notes", "restraining order")
    hold = LegalHold.objects.get()
    open_details([hold])
    assert last_line(printed) == str(hold.pk)
    assert printed.splitlines()[0].startswith(f"hold {hold.pk} placed: People v. Canary")
    assert "3 record(s) held" in printed
    assert (hold.index_number, hold.order_date, hold.notes) == ("451234/2016", date(2016, 12, 20), "restraining order")
    assert hold.placed_by.username == "counsel1"
    assert set(RecordKey.objects.filter(record_class="documents").values_list("key_id", flat=True)) == {hold.key_id}

    report = json.loads(run("retention", "preview", "--as-of", "2017-01-02", "--json"))
    assert report["destroy_total"] == 0 and report["held_total"] == 3
    assert report["holds"] == [{"hold": hold.pk, "court": hold.court, "records": 3,
                                "classes": {"documents": 3}}]

    listed = run("hold", "list", "--actor", "auditor1")  # the auditor: court, dates, scope; not the case
    assert "People v. Canary" not in listed and "451234/2016" not in listed and "class:documents" in listed
    listed = run("hold", "list", "--actor", "counsel1")
    assert "People v. Canary" in listed and "class:documents" in listed
    row = next(line for line in listed.splitlines() if "People v. Canary" in line)
    assert row.rstrip(" │|").split()[-1] == "3"
    assert "no released holds" in run("hold", "list", "--released")


def test_hold_release(applicants):
    schedule_documents()
    hold_id = last_line(place("--scope", "class:documents"))
    printed = run("hold", "release", hold_id, "--actor", "counsel1")
    assert printed.strip() == (f"hold {hold_id} released: 3 record(s) returned to their cohorts "
                               "or to another hold covering them")
    hold = LegalHold.objects.get(pk=hold_id)
    assert hold.released_by.username == "counsel1" and not HeldRecord.objects.exists()
    assert set(RecordKey.objects.filter(record_class="documents").values_list("key_id", flat=True)) == {
        "cohort:documents/2016-12"}
    again = run("hold", "release", hold_id, "--actor", "counsel1")
    assert again.startswith(f"hold {hold_id} was already released on ")
    assert "no active holds" in run("hold", "list", "--active")
    assert hold_id in run("hold", "list", "--released")

    with pytest.raises(CommandError, match="no hold 999"):
        run("hold", "release", "999", "--actor", "counsel1")
    with pytest.raises(CommandError, match="'x' is not a hold id"):
        run("hold", "release", "x", "--actor", "counsel1")


def test_hold_second_hold_on_a_date_range(applicants):
    schedule_documents()
    hold_id = last_line(place("--scope", "class:documents,submitted:2015-01-01..2015-12-31"))
    assert HeldRecord.objects.filter(hold_id=hold_id).count() == 2
    report = json.loads(run("retention", "preview", "--as-of", "2017-01-02", "--json"))
    assert (report["destroy_total"], report["held_total"]) == (1, 2)


@pytest.mark.parametrize("scope, term", [
    ("class:nope", "class:nope"),
    ("submitted:2016-13-01..2016-12-31", "submitted:2016-13-01..2016-12-31"),
    ("foo:bar", "foo:bar"),
    ("subject:no-such-person", "subject:no-such-person"),
    ("all,,class:photo", "empty term"),
])
def test_hold_malformed_scope_refused_naming_the_term(applicants, scope, term):
    with pytest.raises(CommandError) as refused:
        place("--scope", scope)
    message = str(refused.value)
    assert message.startswith("invalid scope: ") and term in message and "\n" not in message
    assert not LegalHold.objects.exists()


@pytest.mark.parametrize("args, reason", [
    (("--scope", "all", "--order-date", "2016-02-30"), "--order-date '2016-02-30' is not a date"),
    (("--scope", "all", "--order-date", (TODAY + timedelta(days=400)).isoformat()), "the order date is in the future"),
])
def test_hold_place_bad_input(applicants, args, reason):
    with pytest.raises(CommandError, match=reason):
        place(*args)
    assert not LegalHold.objects.exists()


@pytest.mark.parametrize("role", ["records_officer", "clerk", "auditor"])
def test_hold_place_needs_counsel(applicants, role):
    with pytest.raises(CommandError, match="permission denied"):
        run("hold", "place", "--case", "X", "--court", "Y", "--scope", "all", "--actor", f"{role}1")
    assert not LegalHold.objects.exists()


# --- runs and certificates ---------------------------------------------------------------

def test_run_held_then_released_destroys_documents_and_certificate_verifies(applicants, officers, settings):
    schedule_documents()
    hold_id = last_line(place("--scope", "class:documents"))

    held = run("retention", "run", "--as-of", "2017-01-02", *OFFICERS, "--actor", "records_officer1")
    assert held.strip() == ("nothing destroyed as of 2017-01-02: no unheld cohort is due (3 record(s) held); "
                            "no certificate written")
    assert not (Path(settings.DATA_DIR) / "certificates").exists()
    assert not DispositionRun.objects.exists()

    run("hold", "release", hold_id, "--actor", "counsel1")
    printed = run("retention", "run", "--as-of", "2017-01-02", *OFFICERS, "--actor", "records_officer1")
    path = Path(last_line(printed))
    certificate = Certificate.objects.get()
    assert path == Path(settings.DATA_DIR) / "certificates" / f"run-{certificate.run_id}.json"
    assert path.read_text() == certificate.document
    assert printed.splitlines()[0] == (
        f"destroyed 3 record(s) in 1 cohort(s) (documents) as of 2017-01-02: run {certificate.run_id}, "
        f"1 key(s) destroyed, audit log index {certificate.audit_index}"
    )
    assert not RecordKey.objects.filter(record_class="documents").exists()
    assert RecordKey.objects.filter(record_class="application").count() == 3
    assert RecordKey.objects.filter(record_class="photo").count() == 3

    body = json.loads(path.read_text())["certificate"]
    assert body["approvers"] == ["records_officer1", "records_officer2"]
    assert body["keys_destroyed"] == ["cohort:documents/2016-12"] and body["records"] == 3
    assert "Canary" not in path.read_text()  # no personal data in a publishable document

    verified = run("certificate", "verify", str(path))
    assert verified.strip() == (f"certificate OK: run {certificate.run_id}, 3 records, 1 keys destroyed, "
                                f"audit log index {certificate.audit_index}")

    # Running again destroys nothing more; it answers with the same certificate (a run killed after
    # certifying but before printing is reported this way).
    path.unlink()
    again = run("retention", "run", "--as-of", "2017-01-02", *OFFICERS)
    assert again.splitlines()[0] == (
        f"nothing more destroyed as of 2017-01-02: run {certificate.run_id} already destroyed 3 record(s) "
        f"and was certified at audit log index {certificate.audit_index}"
    )
    assert Path(last_line(again)) == path and path.read_text() == certificate.document
    assert Certificate.objects.count() == 1

    # The stored copy can be written out again and listed.
    path.unlink()
    assert last_line(run("certificate", "export", str(certificate.run_id), "--actor", "auditor1")) == str(path)
    assert path.read_text() == certificate.document
    listed = run("certificate", "list")
    assert "records_officer1, records_officer2" in listed and "2017-01-02" in listed


@pytest.fixture
def certificate_file(applicants, officers) -> Path:
    schedule_documents()
    return Path(last_line(run("retention", "run", "--as-of", "2017-01-02", *OFFICERS)))


def _tampered(path: Path, old: str, new: str) -> Path:
    text = path.read_text()
    assert old in text
    changed = text.replace(old, new, 1)
    assert len(changed) == len(text)
    target = path.with_name("tampered.json")
    target.write_text(changed)
    return target


def test_tampered_certificate_fails(certificate_file):
    data = bytearray(certificate_file.read_bytes())
    index = data.index(b'"records": 3')
    data[index + len(b'"records": ')] = ord("4")  # one byte: 3 records become 4
    certificate_file.write_bytes(bytes(data))
    with pytest.raises(CommandError, match="certificate INVALID: the signature does not match") as refused:
        run("certificate", "verify", str(certificate_file))
    assert "\n" not in str(refused.value)


@pytest.mark.parametrize("old, new, reason", [
    ('"as_of": "2017-01-02"', '"as_of": "2017-01-03"', "the signature does not match"),
    ('"cohort": "documents/2016-12"', '"cohort": "documents/2016-11"', "the signature does not match"),
    ('"algorithm": "Ed25519"', '"algorithm": "Ed25518"', None),
])
def test_tampered_fields(certificate_file, old, new, reason):
    target = _tampered(certificate_file, old, new)
    if reason is None:  # a label outside the signed body: not part of what is certified
        assert run("certificate", "verify", str(target)).startswith("certificate OK")
        return
    with pytest.raises(CommandError, match=reason):
        run("certificate", "verify", str(target))


def test_certificate_public_key_and_digest_are_checked(certificate_file):
    document = json.loads(certificate_file.read_text())
    document["signature"]["signed_sha256"] = "0" * 64
    digest = certificate_file.with_name("digest.json")
    digest.write_text(json.dumps(document))
    with pytest.raises(CommandError, match="signed_sha256 does not match"):
        run("certificate", "verify", str(digest))

    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    document = json.loads(certificate_file.read_text())
    document["signature"]["public_key"] = Ed25519PrivateKey.generate().public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    other = certificate_file.with_name("other-key.json")
    other.write_text(json.dumps(document))
    with pytest.raises(CommandError, match="not this installation's"):
        run("certificate", "verify", str(other))


def test_certificate_signed_by_another_key_fails(certificate_file):
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    body = json.loads(certificate_file.read_text())["certificate"]
    forger = Ed25519PrivateKey.generate()
    pem = forger.public_key().public_bytes(serialization.Encoding.PEM,
                                           serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    forged = certificate_file.with_name("forged.json")
    forged.write_text(certificates.sign(body, forger, pem))
    with pytest.raises(CommandError, match="the signature does not match"):
        run("certificate", "verify", str(forged))


def test_certificate_without_audit_entry_fails(certificate_file):
    body = json.loads(certificate_file.read_text())["certificate"]
    body["audit_log_index"] = 987654
    resigned = certificate_file.with_name("resigned.json")
    resigned.write_text(certificates.sign(body, signing.signer().sign, signing.public_key_pem()))
    with pytest.raises(CommandError, match="audit log index 987654 does not record this certificate"):
        run("certificate", "verify", str(resigned))


def test_certificate_verify_unreadable(db, tmp_path):
    with pytest.raises(CommandError, match="cannot read"):
        run("certificate", "verify", str(tmp_path / "missing.json"))
    junk = tmp_path / "junk.json"
    junk.write_text("not json at all")
    with pytest.raises(CommandError, match="certificate INVALID: not a destruction certificate"):
        run("certificate", "verify", str(junk))
    with pytest.raises(CommandError, match="run 5 has no certificate"):
        run("certificate", "export", "5")
    assert run("certificate", "list").strip() == "no certificates"


@pytest.mark.parametrize("approvers, reason", [
    (("--approved-by", "records_officer1"), "a disposition run needs two approvers"),
    ((), "a disposition run needs two approvers"),
    (("--approved-by", "records_officer1", "--approved-by", "records_officer1"), "must be different people"),
    (("--approved-by", "records_officer1", "--approved-by", "clerk1"), "clerk1 is not an active records officer"),
    (("--approved-by", "records_officer1", "--approved-by", "ghost"), "--approved-by 'ghost': no such staff"),
    (("--approved-by", "records_officer1", "--approved-by", "records_officer2", "--approved-by", "clerk1"),
     "a disposition run needs two approvers"),
])
def test_run_refusals(applicants, officers, approvers, reason):
    schedule_documents()
    with pytest.raises(CommandError, match=reason) as refused:
        run("retention", "run", "--as-of", "2017-01-02", *approvers)
    assert "\n" not in str(refused.value)
    assert not DispositionRun.objects.exists()
    assert RecordKey.objects.filter(record_class="documents").count() == 3


def test_run_refuses_inactive_approver_and_future_date(applicants, officers):
    schedule_documents()
    future = (timezone.localdate() + timedelta(days=1)).isoformat()
    with pytest.raises(CommandError, match="the as-of date is in the future"):
        run("retention", "run", "--as-of", future, *OFFICERS)
    officers[1].is_active = False
    officers[1].save()
    with pytest.raises(CommandError, match="records_officer2 is not an active records officer"):
        run("retention", "run", "--as-of", "2017-01-02", *OFFICERS)
    assert not DispositionRun.objects.exists()


@pytest.mark.parametrize("role", ["clerk", "counsel", "auditor"])
def test_run_needs_records_officer_actor(applicants, officers, role):
    schedule_documents()
    with pytest.raises(CommandError, match="permission denied"):
        run("retention", "run", "--as-of", "2017-01-02", *OFFICERS, "--actor", f"{role}1")
    assert not DispositionRun.objects.exists()
