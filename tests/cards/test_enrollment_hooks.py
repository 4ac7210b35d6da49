"""Cards hang on enrollment through hooks it registers in ``ready()``: enrollment imports nothing of cards.

An approval issues the card (``register_on_approval``), an applicant's read opens their card numbers
(``register_application_reader``) and the subject-access export holds each card (``register_export_section``).
"""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest

import cityid
from cityid.audit.models import AuditEntry
from cityid.cards import selectors as card_selectors
from cityid.cards import services as card_services
from cityid.cards.models import Card
from cityid.enrollment import exports
from cityid.enrollment import selectors as enrollment_selectors
from cityid.enrollment import services as enrollment_services
from cityid.enrollment.models import Application, ApplicationStatus
from cityid.enrollment.services import Decision, DecisionRefused, decide, decide_many, enroll
from tests.conftest import make_input, with_number

ROOT = Path(cityid.__file__).parent


def test_cards_registers_its_hooks():
    assert card_services.issue_cards in enrollment_services._on_approval
    assert card_selectors.open_application_cards in enrollment_selectors._application_readers
    assert exports._sections["card"] is card_selectors.export_section


def test_enrollment_imports_nothing_of_cards_and_cards_no_enrollment_models():
    def imports(path: Path) -> set[str]:
        names = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                names.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module:
                names.add(node.module)
        return names

    upward = {f"{p.relative_to(ROOT)}: {n}" for p in (ROOT / "enrollment").rglob("*.py") for n in imports(p)
              if n.startswith("cityid.cards")}
    assert not upward
    into_tables = {f"{p.relative_to(ROOT)}: {n}" for p in (ROOT / "cards").rglob("*.py") for n in imports(p)
                   if n.startswith("cityid.enrollment.models") and "migrations" not in p.parts}
    assert not into_tables


def test_without_the_hook_an_approval_succeeds_and_issues_nothing(staff, enrolled, monkeypatch):
    monkeypatch.setattr(enrollment_services, "_on_approval", [])
    decided = decide(application=enrolled, approve=True, decided_by=staff["supervisor"])
    assert decided.status == ApplicationStatus.APPROVED
    assert Application.objects.get(pk=enrolled.pk).status == ApplicationStatus.APPROVED
    assert not Card.objects.exists()
    assert not AuditEntry.objects.filter(action="card.issue").exists()
    assert AuditEntry.objects.filter(action="application.approve", target=enrolled.ref).exists()


def test_the_card_is_issued_inside_the_approval_transaction(staff, enrolled, monkeypatch):
    seen = []

    def after_cards(approvals, *, decided_by):
        # Registered after cards, in the same transaction: the card is there (the test below undoes it all).
        (approval,) = approvals
        seen.append((Card.objects.filter(application_id=approval.application.pk).count(),
                     approval.application.status, decided_by))

    monkeypatch.setattr(enrollment_services, "_on_approval", [*enrollment_services._on_approval, after_cards])
    decide(application=enrolled, approve=True, decided_by=staff["supervisor"])
    assert seen == [(1, ApplicationStatus.APPROVED, staff["supervisor"])]
    card = with_number(Card.objects.get(application=enrolled))
    assert card.number and card.applicant_id == enrolled.applicant_id
    assert AuditEntry.objects.filter(action="card.issue", target=card.ref).exists()


def test_an_approval_rolled_back_after_issuing_leaves_no_card(staff, enrolled, monkeypatch):
    def refuse(approvals, *, decided_by):
        assert Card.objects.filter(application_id=approvals[0].application.pk).exists()  # issued, then undone
        raise DecisionRefused("a later hook refuses")

    monkeypatch.setattr(enrollment_services, "_on_approval", [*enrollment_services._on_approval, refuse])
    entries = AuditEntry.objects.count()
    with pytest.raises(DecisionRefused):
        decide(application=enrolled, approve=True, decided_by=staff["supervisor"])
    assert not Card.objects.exists()
    assert Application.objects.get(pk=enrolled.pk).status == ApplicationStatus.SUBMITTED
    assert AuditEntry.objects.count() == entries


def test_a_refused_batch_issues_no_card(staff, enrolled):
    second = enroll(data=make_input(external_id="HOOK-2"), enrolled_by=staff["clerk"])
    with pytest.raises(DecisionRefused):
        decide_many([Decision(enrolled, True), Decision(second, False)], decided_by=staff["supervisor"])  # no reason
    assert not Card.objects.exists()
    assert not Application.objects.exclude(status=ApplicationStatus.SUBMITTED).exists()


def test_a_read_opens_the_card_number_only_through_the_reader(staff, enrolled, monkeypatch):
    decide(application=enrolled, approve=True, decided_by=staff["supervisor"])
    number = with_number(Card.objects.get(application=enrolled)).number

    def card_number() -> str | None:
        applicant = enrolled.applicant
        view = enrollment_selectors.read_applicant(applicant=applicant, actor=None, purpose=enrolled.ref)
        ((application, _details, _docs),) = view.applications
        return application.card.number

    assert card_number() == number
    monkeypatch.setattr(enrollment_selectors, "_application_readers", [])
    assert card_number() is None


def logged_targets(subject: dict) -> set[str]:
    return {json.loads(item["entry"])["target"] for item in subject["audit_log"]["entries"]}


def test_the_export_holds_the_card_only_through_its_section(staff, enrolled, tmp_path, monkeypatch):
    decide(application=enrolled, approve=True, decided_by=staff["supervisor"])
    card = with_number(Card.objects.get(application=enrolled))
    card_services.change_status(card, "suspend", reason="lost", changed_by=staff["supervisor"])

    def export(out: Path) -> dict:
        target = exports.export_subject(identifier=str(enrolled.applicant.public_id), out_dir=out,
                                        actor=staff["records_officer"])
        return json.loads((target / "subject.json").read_text())

    with_card = export(tmp_path / "with")
    (entry,) = with_card["applications"]
    assert entry["card"]["number"] == card.number and entry["card"]["status"] == "suspended"
    assert [h["to"] for h in entry["card"]["status_history"]] == ["suspended"]
    assert card.ref in logged_targets(with_card)  # the card's own audit entries come with it

    monkeypatch.setattr(exports, "_sections", {})
    without = export(tmp_path / "without")
    (entry,) = without["applications"]
    assert "card" not in entry
    assert card.ref not in logged_targets(without)
    assert enrolled.applicant.ref in logged_targets(without)
    assert card.number not in json.dumps(without)
