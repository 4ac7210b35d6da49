"""No entry of the audit log carries personal data, and the public log carries no entry at all
(issue 4 item 5, issue 8 attack 2, DESIGN.md §7).

Canary applicants are imported with recorded decisions, then read, searched, exported, held,
released and partly destroyed; a canary's card is suspended, reinstated and revoked (with notes
naming the canary), and staff sign in (and fail to). Every one of those steps writes
events; none of them may carry a canary's name, address, birth date or document number in the
stored entries. What the public gets (``cityid audit export`` and every public endpoint) holds
proofs only: no action, target, purpose or pseudonymous id of any entry, so nobody can chain a
card to an application to an applicant from it; and the entries themselves do not link those.
"""

from __future__ import annotations

import io
import json
import unicodedata
from datetime import date, timedelta
from pathlib import Path

import pytest
from django.core.management import call_command
from django.test import Client

from cityid.audit.models import AuditEntry, Checkpoint
from cityid.cards.models import Card
from cityid.enrollment.models import Applicant
from tests.audit.helpers import LOGIN_URL, sign_in
from tests.conftest import jpeg_bytes, with_number

pytestmark = pytest.mark.django_db

CANARIES = [
    # external id, given, family, birth date, street, postcode, passport, bill, decision
    ("CAN-1", "Zephyrine", "Quillfeatherby", date(1990, 4, 12), "4471 Zanzibarine Boulevard", "11372",
     "ZQPASS4471", "ZQBILL8820", "approved"),
    ("CAN-2", "Anaïs", "Oyelaran-Núñez", date(1983, 11, 5), "58 Whistlewood Terrace", "10463",
     "AOPASS5813", "AOBILL0659", "denied"),
    ("CAN-3", "Bartholomeus", "Vandersloot", date(1975, 1, 30), "902 Marigoldcrest Lane", "11209",
     "BVPASS9020", "BVBILL3017", "approved"),
    ("CAN-4", "Perpetua", "Kittlewhistle", date(2001, 9, 9), "17 Obsidianview Court", "10301",
     "PKPASS1717", "PKBILL2929", "pending"),
]

#: Every kind of event the steps below must have written (the action names the code uses).
EXPECTED_ACTIONS = {
    "login.success", "login.failure", "logout", "access.denied", "mfa.enrol", "staff.create", "staff.role_change",
    "personal.read", "personal.read_photo", "personal.read_scan", "personal.decrypt", "personal.search",
    "subject.export", "enrollment.import", "application.approve", "application.deny", "card.issue",
    "retention.schedule", "hold.place", "hold.release", "disposition.approve", "disposition.destroy_key",
    "disposition.certificate", "card.suspend", "card.reinstate", "card.revoke",
}


def _line(external_id, given, family, born, street, postcode, passport, bill, decision) -> dict:
    application = {"type": "new", "submitted": "2015-03-10", "decision": decision}
    if decision != "pending":
        application["decided"] = "2015-03-20"
    return {
        "external_id": external_id,
        "given_name": given,
        "family_name": family,
        "date_of_birth": born.isoformat(),
        "gender": "X",
        "languages": ["en"],
        "address": {"kind": "residential", "line1": street, "city": "Queens", "postcode": postcode,
                    "borough": "queens"},
        "documents": [
            {"type": "foreign_passport", "number": passport, "issuer": "Mexico", "expires": "2031-05-01",
             "scan_path": "scans/passport.jpg"},
            {"type": "utility_bill", "number": bill, "issuer": "Con Edison"},
        ],
        "photo_path": "photos/face.jpg",
        "application": application,
    }


def _date_forms(born: date) -> list[str]:
    """A birth date as it might be written anywhere."""
    month = born.strftime("%B")
    return [
        born.isoformat(), born.strftime("%Y%m%d"), born.strftime("%m/%d/%Y"), born.strftime("%d/%m/%Y"),
        born.strftime("%d.%m.%Y"), born.strftime("%Y/%m/%d"), f"{born.month}/{born.day}/{born.year}",
        f"{month} {born.day}, {born.year}", f"{born.day} {month} {born.year}", f"{month} {born.day:02d}, {born.year}",
    ]


def _needles() -> dict[str, bytes]:
    """Each canary string (lower-cased), as UTF-8 and as the ASCII JSON escape the entries would use."""
    out: dict[str, bytes] = {}
    for _ext, given, family, born, street, postcode, passport, bill, _decision in CANARIES:
        street_name = street.split(" ", 1)[1]
        texts = [given, family, f"{given} {family}", street, street_name, f"{street}, {postcode}",
                 f"{street} {postcode}", f"{postcode} {street}", passport, bill, *_date_forms(born)]
        for text in texts:
            for variant in {text, text.upper()}:
                out[f"{variant!r} (utf-8)"] = variant.lower().encode()
                escaped = json.dumps(variant, ensure_ascii=True)[1:-1]
                out[f"{variant!r} (json)"] = escaped.lower().encode()
        for text in (given, family):  # accent-folded, as a blind index would normalise it
            folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
            out[f"{text!r} (folded)"] = folded.encode()
    return out


def _leaks(data: bytes, needles: dict[str, bytes]) -> list[str]:
    lowered = data.lower()
    return [label for label, needle in needles.items() if needle in lowered]


@pytest.fixture
def import_dir(tmp_path) -> Path:
    base = tmp_path / "import"
    (base / "scans").mkdir(parents=True)
    (base / "photos").mkdir()
    (base / "scans" / "passport.jpg").write_bytes(jpeg_bytes(color=(10, 20, 30)))
    (base / "photos" / "face.jpg").write_bytes(jpeg_bytes(color=(200, 150, 100)))
    path = base / "canaries.jsonl"
    path.write_text("".join(json.dumps(_line(*canary), ensure_ascii=False) + "\n" for canary in CANARIES),
                    encoding="utf-8")
    return path


def _everything_that_writes_events(staff, import_dir: Path, tmp_path: Path) -> None:
    from cityid.accounts.services import create_staff, set_role
    from cityid.enrollment.exports import export_subject
    from cityid.enrollment.selectors import read_applicant, read_photo, read_scan, search_applicants
    from cityid.retention import services as retention

    clerk, officer, counsel = staff["clerk"], staff["records_officer"], staff["counsel"]
    second_officer = create_staff(username="records_officer2", role="records_officer").user
    temporary = create_staff(username="temp1", role="clerk").user
    set_role(temporary, role="supervisor", by=None)  # the host operator: done at once

    # Import with recorded decisions (approved: a card and a decryption; denied; pending).
    out = io.StringIO()
    call_command("import", "applicants", str(import_dir), stdout=out, stderr=io.StringIO())
    assert "imported 4, skipped 0, rejected 0" in out.getvalue()
    people = {a.external_id: a for a in Applicant.objects.all()}
    assert len(people) == 4 and Card.objects.count() == 2

    # Staff reads, each for a purpose (these cases are decided: a supervisor's recorded reason), and a search
    # by name and birth date.
    from cityid.enrollment.services import open_closed_case

    for external_id in ("CAN-1", "CAN-2"):
        applicant = people[external_id]
        application = applicant.applications.get()
        reader = staff["supervisor"]
        purpose = open_closed_case(application=application, actor=reader, reason="correction").ref
        view = read_applicant(applicant=applicant, actor=reader, purpose=purpose)
        assert view.profile["given_name"] == next(c[1] for c in CANARIES if c[0] == external_id)
        assert read_photo(applicant=applicant, actor=reader, purpose=purpose) is not None
        assert read_scan(application=application, position=0, actor=reader, purpose=purpose) is not None
    _ext, given, family, born, *_ = CANARIES[0]
    assert search_applicants(actor=clerk, given_name=given, family_name=family, date_of_birth=born) == [
        people["CAN-1"]]

    # A subject-access export (the folder holds personal data; the log must not).
    exported = export_subject(identifier=str(people["CAN-3"].public_id), out_dir=tmp_path / "subject-export",
                              actor=officer)
    assert CANARIES[2][1] in (exported / "subject.json").read_text(encoding="utf-8")

    # Retention: a schedule, a hold kept, a hold released, then a two-person disposition run.
    retention.set_schedule(record_class="documents", approved_by=officer, fixed_date=date(2016, 12, 31))
    retention.apply_schedule(record_class="documents")
    kept = retention.place_hold(case_name="Canary v. City", court="Supreme Court, Queens County",
                                scope=f"subject:{people['CAN-1'].public_id}", placed_by=counsel)
    released = retention.place_hold(case_name="Other v. City", court="Supreme Court, Kings County",
                                    scope=f"class:documents,subject:{people['CAN-2'].external_id}", placed_by=counsel)
    retention.release_hold(hold_id=released.pk, released_by=counsel)
    certificate = retention.run_disposition(as_of=date(2017, 1, 2), approvers=[officer, second_officer])
    assert certificate is not None
    assert kept.released_at is None

    # Card status: a canary's card (its 2015 expiry moved past today, so that it can be suspended) is
    # suspended by the service, reinstated by the command and revoked through the staff page, each with
    # a note naming the canary. The notes stay in the card's history; the log gets the card id and the
    # reason code.
    from cityid.cards.services import change_status

    supervisor = staff["supervisor"]
    _ext, card_given, card_family, *_rest = CANARIES[2]
    card = with_number(people["CAN-3"].cards.get())
    Card.objects.filter(pk=card.pk).update(expires_on=date.today() + timedelta(days=365))
    card.refresh_from_db()
    change_status(card, "suspend", reason="lost", changed_by=supervisor, note=f"{card_given} {card_family} called")
    call_command("card", "reinstate", " ".join(card.number[i : i + 4] for i in range(0, 16, 4)),
                 "--reason", "recovered", "--note", f"found by {card_family}", "--actor", supervisor.username,
                 stdout=io.StringIO(), stderr=io.StringIO())

    # Sign-ins through the real login view: a success, failures (one with a canary as the username),
    # a refused page and a sign-out.
    client = sign_in(supervisor)
    response = client.post(f"/cards/{card.pk}/status/", {"change": "revoke", "revoke-reason": "fraud",
                                                         "confirmed": "yes",
                                                         "revoke-note": f"{card_given} reported fraud"})
    assert response.status_code == 302
    card.refresh_from_db()
    assert card.status == "revoked"
    # The notes are sealed; the supervisor reads them back (a personal.read event: pseudonymous ids only).
    from cityid.cards.selectors import read_history

    assert [card_given in entry.note for entry in read_history(card, actor=supervisor)] == [True, False, True]
    assert f"{card_given} reported fraud" in client.get(f"/cards/{card.pk}/").content.decode()
    assert client.get("/retention/holds/").status_code == 403  # access.denied
    assert client.post("/accounts/logout/").status_code == 302
    for username, password in ((staff["clerk"].username, "wrong password 1"), (given, family),
                               (f"{given} {family}", born.isoformat())):
        response = Client().post(LOGIN_URL, {"username": username, "password": password, "otp_token": "123456"})
        assert response.status_code == 200


def test_no_personal_data_in_any_leaf_or_exported_tile(staff, import_dir, tmp_path):
    _everything_that_writes_events(staff, import_dir, tmp_path)

    actions = set(AuditEntry.objects.values_list("action", flat=True))
    missing = EXPECTED_ACTIONS - actions
    assert not missing, f"no event written for: {sorted(missing)}"
    # The two failures with a canary as the username name no account: counted per day, not logged.
    assert AuditEntry.objects.filter(action="login.failure").count() == 1

    needles = _needles()
    card_numbers = [with_number(card).number for card in Card.objects.all()]
    for number in card_numbers:
        needles[f"card number {number}"] = number.encode()
    assert len(needles) > 100

    # Every stored entry, byte for byte, and every column an auditor searches.
    for index, entry, *columns in AuditEntry.objects.values_list(
        "index", "entry", "actor", "role", "action", "target", "purpose", "outcome"
    ):
        found = _leaks(bytes(entry), needles) + _leaks("\n".join(columns).encode(), needles)
        assert not found, f"entry {index} carries personal data: {found}: {bytes(entry)!r}"

    # The published log: checkpoint, verifier key and hash tiles (no entry bundles).
    call_command("audit", "checkpoint", stdout=io.StringIO())
    out_dir = tmp_path / "published"
    call_command("audit", "export", str(out_dir), stdout=io.StringIO())
    files = [p for p in out_dir.rglob("*") if p.is_file()]
    assert (out_dir / "checkpoint").is_file() and (out_dir / "verifier-key").is_file()
    assert not [p for p in files if "entries" in p.parts]
    for path in files:
        found = _leaks(path.read_bytes(), needles)
        assert not found, f"{path.relative_to(out_dir)} carries personal data: {found}"
    for checkpoint in Checkpoint.objects.all():
        assert not _leaks(checkpoint.note.encode(), needles)


def _public_answers(size: int) -> dict[str, bytes]:
    """Everything a reader without an account can fetch about a log of ``size`` entries."""
    from cityid.audit.export import tile_refs
    from cityid.audit.merkle import entries_path, tile_path

    client = Client()
    urls = ["/audit/checkpoint", "/audit/verifier-key"]
    for level, index, width in tile_refs(size):
        urls.append("/audit/" + tile_path(level, index, None if width == 256 else width))
        if level == 0:
            urls.append("/audit/" + entries_path(index, None if width == 256 else width))
    urls += [f"/audit/proof/inclusion?index={i}" for i in range(size + 2)]
    urls += [f"/audit/proof/consistency?old={old}" for old in range(0, size + 2, 7)]
    urls += ["/audit/proof/inclusion?index=999999999", "/audit/tile/entries/000"]
    answers = {}
    for url in urls:
        response = client.get(url)
        assert response.status_code in (200, 404), url
        answers[url] = response.content
    return answers


def test_a_public_reader_finds_no_action_target_purpose_or_id(staff, import_dir, tmp_path):
    """Attack (issue 8): anyone read actions and pseudonymous ids from the public entry bundles and chained
    `card.suspend card:2 purpose=reason:fraud` -> `card.issue` -> `enrollment.import` to an applicant."""
    _everything_that_writes_events(staff, import_dir, tmp_path)
    call_command("audit", "checkpoint", stdout=io.StringIO())
    size = Checkpoint.objects.order_by("-size").first().size
    assert size == AuditEntry.objects.count() > 50

    # What the scripted people are called in the log, and every value any entry holds.
    secrets: dict[str, bytes] = {}
    for applicant in Applicant.objects.all():
        secrets[f"applicant {applicant.external_id}"] = applicant.ref.encode()
        secrets[f"applicant uuid {applicant.external_id}"] = str(applicant.public_id).encode()
        for application in applicant.applications.all():
            secrets[f"application of {applicant.external_id}"] = str(application.public_id).encode()
            secrets[f"receipt of {applicant.external_id}"] = application.receipt.encode()
    for card in Card.objects.all():
        secrets[f"card {card.pk}"] = f'"{card.ref}"'.encode()
    for actor, action, target, purpose in AuditEntry.objects.values_list("actor", "action", "target", "purpose"):
        secrets[f"action {action}"] = action.encode()
        for value in (actor, target, purpose):
            if len(value) >= 6:  # short values ("ok", "public") are not telling on their own
                secrets[f"value {value}"] = value.encode()
    for reason in ("reason:", "fraud", "stolen", "denial", "lost", "recovered"):
        secrets[f"word {reason}"] = reason.encode()
    assert len(secrets) > 40

    answers = _public_answers(size)
    exported = tmp_path / "published"
    call_command("audit", "export", str(exported), stdout=io.StringIO())
    answers.update({str(p): p.read_bytes() for p in exported.rglob("*") if p.is_file()})
    from cityid.audit.selectors import ENTRY_BUNDLES_REFUSED

    fixed = ENTRY_BUNDLES_REFUSED.encode()  # the same words whatever the log holds
    for where, data in answers.items():
        data = data.replace(fixed, b"")
        found = [label for label, needle in secrets.items() if needle in data]
        assert not found, f"{where} tells {found}"
    # A bundle of entries is refused, by URL and in the export.
    assert b"entry contents are for auditors" in answers["/audit/tile/entries/000"]


def test_entries_do_not_link_card_application_and_applicant(staff, import_dir, tmp_path):
    """The entries themselves (auditors, subject exports) link no card to its application, no application to
    its applicant, and carry no denial or deactivation reason; only a read names the case it served."""
    from cityid.accounts.services import create_staff, deactivate_staff

    _everything_that_writes_events(staff, import_dir, tmp_path)
    leaver = create_staff(username="leaver1", role="clerk").user
    deactivate_staff(leaver, by=None, reason="security")
    reads = ("personal.read", "personal.read_photo", "personal.read_scan", "personal.decrypt", "personal.search")
    entries = list(AuditEntry.objects.values_list("action", "entry"))
    for card in Card.objects.select_related("application__applicant"):
        application, applicant = card.application, card.application.applicant
        for action, entry in entries:
            entry = bytes(entry)
            if f'"{card.ref}"'.encode() in entry and action not in reads:
                assert application.ref.encode() not in entry and applicant.ref.encode() not in entry, entry
    for applicant in Applicant.objects.prefetch_related("applications"):
        for application in applicant.applications.all():
            for action, entry in entries:
                entry = bytes(entry)
                if application.ref.encode() in entry and action not in reads:
                    assert applicant.ref.encode() not in entry, entry
    for action, entry in entries:
        if action == "application.deny":
            assert b'"purpose":""' in bytes(entry)
    denied = Applicant.objects.get(external_id="CAN-2").applications.get()
    assert denied.status == "denied" and denied.denial_reasons  # the reasons stay with the application
    deactivation = AuditEntry.objects.get(action="staff.deactivate", target=f"staff:{leaver.pk}")
    assert b"security" not in bytes(deactivation.entry) and deactivation.purpose == ""
    leaver.refresh_from_db()
    assert leaver.deactivation_reason == "security"
    assert not AuditEntry.objects.filter(action__startswith="card.", purpose__startswith="reason:").exists()
    # Times are logged to the second: no microsecond stamp to match against other records.
    assert not any(at.microsecond for at in AuditEntry.objects.values_list("at", flat=True))


def test_the_needles_would_catch_a_leak(staff):
    """The scan is not vacuous: an entry naming a canary is found, however it is written."""
    from cityid.audit.services import record_event

    needles = _needles()
    _ext, given, family, born, street, postcode, passport, _bill, _ = CANARIES[1]
    for leaked in (given, family.upper(), born.strftime("%m/%d/%Y"), f"{street}, {postcode}", passport):
        entry = record_event(actor=None, action="test.leak", purpose=leaked[:80])
        assert _leaks(bytes(entry.entry), needles), leaked
