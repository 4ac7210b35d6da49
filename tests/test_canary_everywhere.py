"""Canaries through the whole merged system: applicants whose every personal value is a unique marker are
enrolled (with the real-time duplicate check on), given cards, found as duplicates by the matcher and compared by a
fraud analyst, asked about by a partner through the API, named in a law-enforcement request that counsel
produces; a FOIL requester with marked details files a request that a FOIL officer reads. Then:

* every public URL (every ``PUBLIC`` entry of ``tests/test_attack_urls.ACTIONS``, found by the URL resolver, for
  every statistics dimension), the partner API's answers, the status list's signed payload, the reports and the
  transparency report's PDF text hold none of the applicants' values;
* no audit leaf (the canonical bytes hashed into the log, and its columns) holds any applicant's or requester's
  value, however written (a card number with or without spaces, a date of birth as typed or as digits);
* a copy of the database (every column of every row of every model) and of the data directory, without the key
  provider, holds none of them in plaintext, nor the matcher's plaintext blocking keys, nor their unkeyed hashes.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
from datetime import date
from pathlib import Path

import pytest
from django.apps import apps
from django.core.cache import cache
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from pypdf import PdfReader

from tests.audit.helpers import sign_in
from tests.conftest import make_input, with_number
from tests.reports.test_canary import DIMENSIONS, _canary
from tests.test_attack_urls import ACTIONS, PUBLIC

pytestmark = [pytest.mark.django_db, pytest.mark.matching]

FOIL_MARKERS = ["qzxfoilgivenmarker", "qzxfoilfamilymarker", "qzxfoilmail", "qzxfoilstreetmarker",
                "qzxfoildescriptionmarker", "555 0199"]
LE_MARKERS = ["qzxagencymarker", "qzxofficermarker", "qzxnotesmarker", "qzxsearchmarker"]


def _values(index: int, card_number: str | None) -> list[str]:
    tag = f"Qzx{index}"
    values = [f"{tag}givenmarker", f"{tag}familymarker", f"{tag}streetmarker", f"{tag}aptmarker",
              f"{tag.upper()}PASS771", f"{tag.upper()}BILL882", f"{tag}issuermarker", f"{tag}contactmarker",
              f"{tag.lower()}mailmarker", f"1937-03-{10 + index}", f"193703{10 + index}", f"03/{10 + index}/1937",
              "555 0177", "555 0142"]
    if card_number:
        values += [card_number, " ".join(card_number[i:i + 4] for i in range(0, 16, 4))]
    return [value.lower() for value in values]


def _matching_keys(index: int) -> list[str]:
    """The matcher's plaintext blocking keys for canary ``index`` (no documents: their keys are HMACs under a
    key held only in memory), and the unkeyed SHA-256 of each: neither may be stored."""
    from cityid.matching.people import index_keys, person_record

    tag = f"Qzx{index}"
    record = person_record(person_id=0, given_name=f"{tag}givenmarker", family_name=f"{tag}familymarker",
                           date_of_birth=date(1937, 3, 10 + index),
                           address={"line1": f"1 {tag}streetmarker Pl", "city": "Queens", "postcode": "11373"},
                           documents=[], document_key=b"k" * 32)
    keys = [key for key in index_keys(record) if not key.startswith("doc")]
    assert keys, "the canary has blocking keys"
    return [k.lower() for k in keys] + [hashlib.sha256(k.encode()).hexdigest() for k in keys]


def _pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def _leaks(outputs: dict[str, str], markers: list[str]) -> list[tuple[str, str]]:
    return [(name, marker) for name, text in outputs.items() for marker in markers if marker in text.lower()]


@pytest.fixture
def world(staff):
    """The canaries through every feature; returns (applications, cards, partner key, FOIL request)."""
    from cityid.accounts.services import add_partner_key
    from cityid.bench.population import bulk_population
    from cityid.cards import issuing
    from cityid.disclosure import law_enforcement_services as le
    from cityid.disclosure.selectors import read_request
    from cityid.disclosure.services import FoilInput, Step, change_status, submit_request
    from cityid.enrollment.services import decide, enroll
    from cityid.matching.models import Alert
    from cityid.reports.services import publish_release

    cache.clear()
    clerk, supervisor = staff["clerk"], staff["supervisor"]
    applications = []
    for index in range(2):
        application = enroll(data=_canary(index), enrolled_by=clerk, today=date(2026, 11, 20))
        decide(application=application, approve=True, decided_by=supervisor)
        application.refresh_from_db()
        applications.append(application)
    # Canary 0 again, under a new address: the matcher holds it and names canary 0.
    again = _canary(0)
    duplicate = enroll(data=make_input(**{**again.__dict__, "address": {**again.address, "line1": "9 Other St"}}),
                       enrolled_by=clerk, today=date(2026, 11, 21))
    alert = Alert.objects.filter(application=duplicate).first()
    assert alert is not None and alert.pairs.filter(other=applications[0].applicant).exists()
    analyst = sign_in(staff["fraud_analyst"])
    page = analyst.get(f"/matching/{alert.public_id}/compare/1/")
    assert page.status_code == 200 and "qzx0givenmarker" in page.content.decode().lower()  # the analyst reads it
    decided = analyst.post(f"/matching/{alert.public_id}/compare/1/", {"decision": "fraud", "confirmed": "yes"})
    assert decided.status_code == 302

    cards = [with_number(application.card) for application in applications]
    partner = add_partner_key(name="Queens Savings Bank", by=None)

    counsel = staff["counsel"]
    ordered = le.log_request(agency_type="federal_immigration", legal_process="judicial_warrant",
                             received_on=date(2026, 11, 24), agency="QzxAgencymarker", officer="QzxOfficermarker",
                             subjects=applications[0].applicant.ref, kinds=("record",), notes="QzxNotesmarker",
                             search="QzxSearchmarker", logged_by=clerk, today=date(2026, 11, 25))
    le.change_request(request=ordered, change="review", by=counsel)
    le.change_request(request=ordered, change="produce", by=counsel, ordered_subjects=applications[0].applicant.ref,
                      ordered_kinds=["record"])
    le.produce_item(request=ordered, subject=applications[0].applicant.ref, kind="record", by=counsel)

    foil = submit_request(data=FoilInput(
        name="Qzxfoilgivenmarker Qzxfoilfamilymarker", email="qzxfoilmail@example.invalid", phone="+1 212 555 0199",
        address="2 Qzxfoilstreetmarker Rd", description="Every record of Qzxfoildescriptionmarker.")).request
    read_request(foil, actor=staff["foil_officer"], purpose=read_purpose())
    change_status(foil, "acknowledge", by=staff["foil_officer"])
    change_status(foil, "determine", by=staff["foil_officer"], step=Step(outcome="denied", exemptions=["87_2_b"]))

    bulk_population(150, start=date(2026, 9, 1), days=80, seed=3)
    issuing.card_signer()
    issuing.rebuild_status_list()
    publish_release(start=date(2026, 1, 1), end=date(2026, 11, 30))
    return applications, cards, partner, foil


def read_purpose() -> str:
    from cityid.disclosure.selectors import READ_PURPOSES

    return sorted(READ_PURPOSES)[0]


def _public_outputs(cards, partner) -> dict[str, str]:
    outputs: dict[str, str] = {}
    public = Client()
    for name, action in ACTIONS.items():
        if action != PUBLIC:
            continue
        variants = [{"dimension": d} for d in DIMENSIONS] if "dimension" in reverse_kwargs(name) else [
            {"quarter": "2026Q4"} if "quarter" in reverse_kwargs(name) else {}]
        for kwargs in variants:
            url = reverse(name, kwargs=kwargs)
            response = public.get(url)
            outputs[url] = response.content.decode("latin-1")
            if url.endswith(".pdf") and response.status_code == 200:
                outputs[url + " text"] = _pdf_text(response.content)
    jws = public.get("/.well-known/cityid/status").content.decode()
    payload = jws.split(".")[1]
    outputs["status list payload"] = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)).decode("latin-1")
    for card in cards:
        for number in (card.number, " ".join(card.number[i:i + 4] for i in range(0, 16, 4))):
            answer = public.post("/api/partner/v1/card-status", json.dumps({"number": number}),
                                 content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {partner.key}")
            assert answer.json() == {"status": "active"}
            outputs[f"partner {number}"] = answer.content.decode() + str(dict(answer.headers))
    for dimension in DIMENSIONS:
        printed = io.StringIO()
        call_command("report", "stats", "--by", dimension, "--json", stdout=printed)
        outputs[f"report stats {dimension}"] = printed.getvalue()
    return outputs


def reverse_kwargs(name: str) -> set[str]:
    from tests.test_attack_urls import all_urls

    pattern = dict(all_urls())[name]
    return set(getattr(pattern.pattern, "converters", {}))


def test_canaries_leave_through_no_public_output(world):
    applications, cards, partner, _foil = world
    markers = _values(0, cards[0].number) + _values(1, cards[1].number) + FOIL_MARKERS + LE_MARKERS
    outputs = _public_outputs(cards, partner)
    assert any("stats" in name for name in outputs) and len(outputs) > 30
    assert _leaks(outputs, markers) == []


def test_no_audit_leaf_holds_a_personal_value(world):
    from cityid.audit.models import AuditEntry

    applications, cards, partner, _foil = world
    _public_outputs(cards, partner)  # the partner's calls, and every public page, are logged too
    markers = _values(0, cards[0].number) + _values(1, cards[1].number) + FOIL_MARKERS + LE_MARKERS
    markers += [application.receipt.lower() for application in applications]
    entries = list(AuditEntry.objects.all())
    actions = {entry.action for entry in entries}
    # The new features wrote here: the matcher's and the analyst's reads, the partner's calls, FOIL and LE.
    assert {"partner.card_status", "foil.read", "law_enforcement.log", "personal.read"} <= actions
    outputs = {f"leaf {entry.index}": bytes(entry.entry).decode("latin-1") + entry.target + entry.purpose
               + entry.actor for entry in entries}
    assert _leaks(outputs, markers) == []


def test_a_copy_of_the_database_and_data_directory_opens_nothing(world, settings):
    """Every stored value of every model, and every file under DATA_DIR, as an attacker holding the database and
    the data directory but not the key provider reads them."""
    applications, cards, partner, _foil = world
    _public_outputs(cards, partner)
    markers = (_values(0, cards[0].number) + _values(1, cards[1].number) + FOIL_MARKERS + LE_MARKERS
               + _matching_keys(0) + _matching_keys(1))
    outputs: dict[str, str] = {}
    tables = set()
    for model in apps.get_models():
        for row in model.objects.all().values():
            tables.add(model._meta.db_table)
            text = []
            for value in row.values():
                if isinstance(value, (bytes, memoryview)):
                    text.append(bytes(value).decode("latin-1"))
                elif value is not None:
                    text.append(json.dumps(value, default=str) if isinstance(value, (dict, list)) else str(value))
            outputs[f"{model._meta.db_table} {row.get('id', '')}"] = "\n".join(text)
    from django.contrib.sessions.models import Session

    for session in Session.objects.all():  # signed, base64: decoded as the attacker would
        outputs[f"session {session.pk}"] = json.dumps(session.get_decoded(), default=str)
    assert {"cards_card", "matching_alert", "matching_alertpair", "disclosure_foilrequest",
            "disclosure_lawenforcementrequest", "accounts_partnerkey", "audit_auditentry"} <= tables
    files = [path for path in Path(settings.DATA_DIR).rglob("*") if path.is_file()]
    for path in files:
        outputs[str(path)] = path.read_bytes().decode("latin-1")
    assert _leaks(outputs, markers) == []
    assert not [path for path in files if Path(settings.KEYS_DIR) in path.parents]
    # The scan reads what is there: the receipts (a random reference, kept in plaintext to look a case up) and the
    # sealed document scans.
    assert _leaks(outputs, [applications[0].receipt.lower()]) != []
    assert any("blobs" in str(path) for path in files)
