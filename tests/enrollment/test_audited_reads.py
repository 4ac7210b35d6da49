"""Every path that decrypts personal data for someone writes an audit entry; no public decrypt goes around it."""

from __future__ import annotations

import ast
from datetime import date
from pathlib import Path

import pytest

import cityid
from cityid.audit.models import AuditEntry
from cityid.cards import selectors as card_selectors
from cityid.cards.models import Card
from cityid.cards.services import change_status
from cityid.enrollment import selectors
from cityid.enrollment.exports import export_subject
from cityid.enrollment.services import clean_stored_batch, decide, enroll, open_closed_case
from tests.conftest import make_input

ROOT = Path(cityid.__file__).parent
TODAY = date(2026, 11, 20)


@pytest.fixture
def case(staff):
    """An approved applicant with a photo, a scan and a card whose history holds a note; the supervisor has
    recorded a reason to open the closed case."""
    application = enroll(data=make_input(), enrolled_by=staff["clerk"], today=TODAY)
    decide(application=application, approve=True, decided_by=staff["supervisor"])
    card = Card.objects.get(application=application)
    change_status(card, "suspend", reason="lost", changed_by=staff["supervisor"], note="called the center")
    reason = open_closed_case(application=application, actor=staff["supervisor"], reason="correction")
    return application, card, reason.ref


def _read_paths(staff, application, card, purpose, out_dir) -> dict:
    """Each path that decrypts personal data: a callable that takes it and returns the (action, target) it logs."""
    applicant, supervisor = application.applicant, staff["supervisor"]

    def approve_another():
        other = enroll(data=make_input(external_id="AUD-2"), enrolled_by=staff["clerk"], today=TODAY)
        decide(application=other, approve=True, decided_by=supervisor)
        return "personal.decrypt", other.applicant.ref

    def run(call, action, target):
        return lambda: (call(), (action, target))[1]

    return {
        "read_applicant": run(lambda: selectors.read_applicant(applicant=applicant, actor=supervisor, purpose=purpose),
                              "personal.read", applicant.ref),
        "read_photo": run(lambda: selectors.read_photo(applicant=applicant, actor=supervisor, purpose=purpose),
                          "personal.read_photo", applicant.ref),
        "read_scan": run(lambda: selectors.read_scan(application=application, position=0, actor=supervisor,
                                                     purpose=purpose), "personal.read_scan", application.ref),
        "search_applicants": run(lambda: selectors.search_applicants(
            actor=staff["clerk"], given_name="Canaryname", family_name="Testperson", date_of_birth=date(1990, 4, 12)),
            "personal.search", applicant.ref),
        "export_subject": run(lambda: export_subject(identifier=str(applicant.public_id), out_dir=out_dir,
                                                     actor=staff["records_officer"]), "subject.export", applicant.ref),
        "card read_history": run(lambda: card_selectors.read_history(card, actor=supervisor),
                                 "personal.read", applicant.ref),
        "card reveal_numbers": run(lambda: card_selectors.reveal_numbers([card], actor=supervisor),
                                   "card.read_number", card.ref),
        "clean_stored_batch": run(lambda: clean_stored_batch(task="names", actor=None),
                                  "personal.decrypt", applicant.ref),
        "decide (approval)": approve_another,
    }


PATHS = ["read_applicant", "read_photo", "read_scan", "search_applicants", "export_subject", "card read_history",
         "card reveal_numbers", "clean_stored_batch", "decide (approval)"]


@pytest.mark.parametrize("path", PATHS)
def test_every_personal_read_is_logged(staff, case, tmp_path, path):
    application, card, purpose = case
    read = _read_paths(staff, application, card, purpose, tmp_path)[path]
    before = AuditEntry.objects.order_by("-index").values_list("index", flat=True).first()
    action, target = read()
    assert AuditEntry.objects.filter(index__gt=before, action=action, target=target).exists(), path


def test_no_public_unaudited_decrypt():
    assert not hasattr(selectors, "decrypt_applicant")


#: The helpers that decrypt without logging ("the caller authorises and logs the read"), and the only
#: functions allowed to call them: each of those is (or runs only inside) a read logged above.
UNLOGGED_HELPERS = {
    "_decrypt_applicant": {"enrollment/selectors.py:read_applicant", "enrollment/exports.py:export_subject",
                           "enrollment/selectors.py:read_applicant_for_reason"},
    "open_numbers": {"cards/selectors.py:reveal_numbers", "cards/selectors.py:open_application_cards",
                     "cards/selectors.py:export_section",
                     # printing: authorised (cards.produce), the card face read logged (personal.read_card_face)
                     "cards/printing.py:card_pdf", "cards/printing.py:batch_pdf",
                     "cards/issuing.py:credential_payloads"},  # called by printing, which logs the read
    "open_notes": {"cards/selectors.py:read_history", "cards/selectors.py:export_section"},
}


def test_the_unlogged_decrypt_helpers_are_called_only_by_logged_reads():
    callers: dict[str, set[str]] = {name: set() for name in UNLOGGED_HELPERS}
    for path in sorted(ROOT.rglob("*.py")):
        for function in ast.walk(ast.parse(path.read_text())):
            if not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            for node in ast.walk(function):
                if isinstance(node, ast.Call):
                    name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
                    if name in callers:
                        callers[name].add(f"{path.relative_to(ROOT)}:{function.name}")
    assert callers == UNLOGGED_HELPERS
