"""A subject's own audit entries, through subject access; and a receipt that is no id in the log.

The subject-access export carries the entries about the subject's own records (applicant,
applications, cards) with their salts and inclusion proofs, so that the subject, or anyone they
show it to, can check them against the public log with nothing but public material: the
verifier key and a checkpoint. The check below uses the independent verifier of
``tests/audit/test_export.py`` (its own hashing, proofs and signed-note check).
"""

from __future__ import annotations

import base64
import io
import json
from datetime import date, timedelta

import pytest
from django.core.management import call_command
from django.test import Client

from cityid.audit import services as audit
from cityid.audit.models import AuditEntry
from cityid.cards.services import change_status
from cityid.enrollment.selectors import read_applicant
from cityid.enrollment.services import decide, enroll, open_closed_case
from tests.audit.test_export import _sha, open_checkpoint, verify_inclusion
from tests.conftest import make_input

TODAY = date(2026, 11, 20)


def _export(identifier: str, out_dir) -> dict:
    out = io.StringIO()
    call_command("export", "subject", identifier, "--out", str(out_dir), "--actor", "records_officer1", stdout=out)
    path = out.getvalue().strip()
    return json.loads((out_dir / path.rsplit("/", 1)[-1] / "subject.json").read_text(encoding="utf-8"))


@pytest.fixture
def history(staff):
    """A subject enrolled, read, approved (a card) and their card suspended; and someone else."""
    application = enroll(data=make_input(external_id="SUBJ-1"), enrolled_by=staff["clerk"], today=TODAY)
    applicant = application.applicant
    read_applicant(applicant=applicant, actor=staff["clerk"], purpose=application.ref)
    application = decide(application=application, approve=True, decided_by=staff["supervisor"])
    card = application.card
    card.expires_on = date.today() + timedelta(days=365)
    card.save(update_fields=["expires_on"])
    change_status(card, "suspend", reason="lost", changed_by=staff["supervisor"])
    other = enroll(data=make_input(external_id="OTHER-1", given_name="Otherperson"), enrolled_by=staff["clerk"],
                   today=TODAY)
    return applicant, application, card, other


def test_the_subject_export_carries_their_own_entries_with_proofs(staff, history, tmp_path):
    applicant, application, card, other = history
    audit.make_checkpoint()  # the schedule
    refs = {applicant.ref, application.ref, card.ref}
    expected = AuditEntry.objects.filter(target__in=refs).count()
    subject = _export("SUBJ-1", tmp_path)
    log = subject["audit_log"]
    targets = [json.loads(item["entry"])["target"] for item in log["entries"]]
    assert set(targets) == refs
    actions = {json.loads(item["entry"])["action"] for item in log["entries"]}
    assert {"enrollment.submit", "personal.read", "application.approve", "card.issue", "card.suspend"} <= actions
    assert len(log["entries"]) == expected
    # Nothing of the other applicant's.
    assert other.ref not in json.dumps(log) and other.applicant.ref not in json.dumps(log)


def test_an_outsider_checks_a_subjects_entries_with_public_material_only(staff, history, tmp_path):
    audit.make_checkpoint()
    subject = _export("SUBJ-1", tmp_path)
    log = subject["audit_log"]
    client = Client()  # no account: what anyone can fetch
    vkey = client.get("/audit/verifier-key").content.decode().strip()
    assert log["verifier_key"].strip() == vkey
    size, root = open_checkpoint(log["checkpoint"], vkey)
    assert (size, root) == open_checkpoint(client.get("/audit/checkpoint").content.decode(), vkey)
    assert log["entries"]
    for item in log["entries"]:
        entry, salt = item["entry"].encode("ascii"), bytes.fromhex(item["salt"])
        commitment = _sha(salt + entry)
        assert item["commitment"] == commitment.hex()
        leaf = _sha(b"\x00" + commitment)
        proof = [base64.b64decode(h) for h in item["inclusion_proof"]["hashes"]]
        assert item["inclusion_proof"]["size"] == size
        assert verify_inclusion(leaf, item["index"], size, proof, root), item["index"]
        # The public proof endpoint gives the same leaf for that index.
        public = client.get("/audit/proof/inclusion", {"index": item["index"]}).json()
        assert base64.b64decode(public["leaf_hash"]) == leaf
        # A forged entry (the same with another action) does not verify.
        forged = entry.replace(b"personal.read", b"personal.ready").replace(b"card.suspend", b"card.suspent")
        if forged != entry:
            assert not verify_inclusion(_sha(b"\x00" + _sha(salt + forged)), item["index"], size, proof, root)


def test_entries_after_the_latest_checkpoint_come_without_a_proof(staff, history, tmp_path):
    applicant, application, *_ = history
    audit.make_checkpoint()
    # After the checkpoint: a supervisor reopens the decided case with a recorded reason and reads it.
    access = open_closed_case(application=application, actor=staff["supervisor"], reason="appeal")
    read_applicant(applicant=applicant, actor=staff["supervisor"], purpose=access.ref)
    log = _export("SUBJ-1", tmp_path)["audit_log"]
    after = [item for item in log["entries"] if item["inclusion_proof"] is None]
    assert json.loads(after[-1]["entry"])["action"] == "personal.read"
    assert {json.loads(item["entry"])["action"] for item in after} <= {"access.reason", "personal.read"}
    assert all(item["inclusion_proof"] for item in log["entries"][: len(log["entries"]) - len(after)])


def test_the_receipt_reference_is_no_id_in_the_log(staff, history, tmp_path):
    """Attack (issue 8): the receipt reference an applicant was given was the application id in the log."""
    applicant, application, *_ = history
    application.refresh_from_db()
    receipt = application.receipt
    assert receipt and len(receipt) == 11 and receipt[5] == "-"
    assert str(application.public_id) not in receipt
    for column in ("entry", "target", "purpose"):
        values = AuditEntry.objects.values_list(column, flat=True)
        assert not any(receipt.encode() in (bytes(v) if column == "entry" else v.encode()) for v in values)
    # Staff look a subject up by it (the subject-access export accepts it, in any case).
    assert _export(receipt.lower(), tmp_path)["applicant"]["id"] == str(applicant.public_id)


def test_the_receipt_page_shows_the_receipt_not_the_application_id(staff, history):
    from tests.audit.helpers import sign_in

    _applicant, application, *_ = history
    application.refresh_from_db()
    client = sign_in(staff["clerk"])
    page = client.get(f"/enrollment/submitted/{application.public_id}/").content.decode()
    assert f'<strong id="application-ref">{application.receipt}</strong>' in page
    body = page.split("<main", 1)[-1]
    assert str(application.public_id) not in body.split("</main>", 1)[0]


def test_a_damaged_entry_still_exports_and_fails_the_outsiders_check(staff, history, tmp_path):
    applicant, *_ = history
    audit.make_checkpoint()
    damaged = AuditEntry.objects.filter(target=applicant.ref).order_by("index").first()
    AuditEntry.objects.filter(index=damaged.index).update(salt=bytes(damaged.salt)[:7])
    log = _export("SUBJ-1", tmp_path)["audit_log"]
    item = next(i for i in log["entries"] if i["index"] == damaged.index)
    size, root = open_checkpoint(log["checkpoint"], log["verifier_key"].strip())
    proof = [base64.b64decode(h) for h in item["inclusion_proof"]["hashes"]]
    leaf = _sha(b"\x00" + _sha(bytes.fromhex(item["salt"]) + item["entry"].encode()))
    assert not verify_inclusion(leaf, item["index"], size, proof, root)
