"""``cityid card list --subject | replace | renew | pdf | batch``: output, one-line refusals, permissions, and no
personal data beyond what the operator may see."""

from __future__ import annotations

from datetime import date, timedelta

import pypdfium2 as pdfium
import pytest
from django.utils import timezone

from cityid.audit.models import AuditEntry
from cityid.cards.models import Card, CardStatus, PrintBatch
from tests.cards.test_commands import refused, run
from tests.conftest import with_number


def second_person(staff):
    from cityid.enrollment.services import decide, enroll
    from tests.conftest import make_input

    application = enroll(data=make_input(given_name="Otherperson", submitted_on=date(2026, 11, 3)),
                         enrolled_by=staff["clerk"], today=date(2026, 11, 20))
    decide(application=application, approve=True, decided_by=staff["supervisor"])
    return with_number(application.card)


def test_list_by_subject(staff, card):
    other = second_person(staff)
    printed = run("list", "--subject", str(card.applicant.public_id), "--actor", "card_production1")
    assert card.number in printed and other.number not in printed
    by_receipt = run("list", "--subject", other.application.receipt, "--actor", "supervisor1")
    assert other.number in by_receipt and card.number not in by_receipt
    assert "Canaryname" not in printed and "1990" not in printed  # numbers and dates of the card only
    assert refused("list", "--subject", "nobody-at-all") == (
        "no applicant with id, external_id or receipt 'nobody-at-all'")


def test_list_by_subject_unknown_is_one_line(staff, card):
    message = refused("list", "--subject", "00000000-0000-0000-0000-000000000000")
    assert message and "Traceback" not in message


def test_replace_and_renew(staff, card):
    printed = run("replace", card.number, "--reason", "lost", "--actor", "supervisor1")
    new = Card.objects.exclude(pk=card.pk).get()
    new_number = with_number(new).number
    assert printed == (f"card {card.number} revoked (lost); replacement card {new_number} issued, "
                       f"expires {new.expires_on.isoformat()}\n")
    assert Card.objects.get(pk=card.pk).status == CardStatus.REVOKED
    assert refused("replace", card.number, "--reason", "lost", "--actor", "supervisor1").startswith(
        "This card is revoked")
    assert refused("replace", new_number, "--reason", "fraud", "--actor", "supervisor1").startswith("“fraud”")
    assert refused("renew", new_number, "--actor", "supervisor1").startswith("This card cannot be renewed before")
    Card.objects.filter(pk=new.pk).update(expires_on=timezone.localdate() + timedelta(days=5))
    assert "renewed: expires" in run("renew", new_number, "--actor", "supervisor1")


@pytest.mark.parametrize("argv,action", [
    (["replace", "NUMBER", "--reason", "lost"], "cards.replace"),
    (["renew", "NUMBER"], "cards.renew"),
    (["pdf", "NUMBER", "--out", "OUT"], "cards.produce"),
    (["batch", "create"], "cards.produce"),
    (["batch", "list"], "cards.produce"),
])
@pytest.mark.parametrize("role", ["clerk", "auditor", "admin", "foil_officer", "fraud_analyst", "records_officer"])
def test_attack_other_roles_are_refused(staff, card, tmp_path, argv, action, role):
    argv = [card.number if a == "NUMBER" else str(tmp_path / "card.pdf") if a == "OUT" else a for a in argv]
    assert refused(*argv, "--actor", f"{role}1").startswith("permission denied")
    assert not (tmp_path / "card.pdf").exists()
    assert Card.objects.count() == 1 and not PrintBatch.objects.exists()
    assert not AuditEntry.objects.filter(action="personal.read_card_face").exists()


def test_pdf_and_batch_commands(staff, card, tmp_path):
    out = tmp_path / "card.pdf"
    assert run("pdf", card.number, "--out", str(out), "--actor", "card_production1") == f"card {card.number}: {out}\n"
    assert len(pdfium.PdfDocument(out.read_bytes())) == 2
    assert refused("pdf", card.number, "--out", str(tmp_path / "missing" / "x.pdf")).startswith("no directory")

    created = run("batch", "create", "--actor", "card_production1")
    batch = PrintBatch.objects.get()
    assert created == f"print batch {batch.pk}: 1 cards\n"
    assert refused("batch", "create") == "No card is waiting to be printed."
    listing = run("batch", "list").splitlines()
    assert listing[1].split()[:3] == [str(batch.pk), "created", "1"]
    sheets = tmp_path / "batch.pdf"
    assert run("batch", "pdf", str(batch.pk), "--out", str(sheets)).startswith(f"print batch {batch.pk}: ")
    assert len(pdfium.PdfDocument(sheets.read_bytes())) == 2
    assert refused("batch", "mark", str(batch.pk), "mailed") == (
        "A batch that is created, to be printed cannot be marked mailed.")  # the statuses' words, not codes
    assert run("batch", "mark", str(batch.pk), "printed") == f"print batch {batch.pk}: printed\n"
    assert run("batch", "mark", str(batch.pk), "picked_up") == f"print batch {batch.pk}: picked_up\n"
    assert refused("batch", "pdf", "999", "--out", str(sheets)) == "no print batch '999'"
    reads = AuditEntry.objects.filter(action="personal.read_card_face")
    assert {entry.purpose for entry in reads} == {card.ref, batch.ref}
