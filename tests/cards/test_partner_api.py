"""The partner JSON API: a card number's status, for a partner with its own API key, rate limited, audited
without the number; its OpenAPI document.

Attack tests: no key, a revoked key, another partner's key, enumeration of card numbers (rate limit; no
difference between unknown and malformed), the key and the number never in logs or in the audit log.
"""

from __future__ import annotations

import json
import logging

import pytest
from django.core.cache import cache
from django.test import Client

from cityid.accounts import services as accounts
from cityid.audit.models import AuditEntry
from cityid.cards.numbers import luhn_check_digit
from cityid.cards.services import change_status

pytestmark = pytest.mark.django_db

URL = "/api/partner/v1/card-status"
OPENAPI = "/api/partner/v1/openapi.json"


@pytest.fixture(autouse=True)
def fresh_limits():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def key(db):
    """A partner key made by the host operator (shown once: here)."""
    return accounts.add_partner_key(name="Queens Savings Bank", by=None)


def ask(number, key: str | None, client: Client | None = None, **extra):
    headers = {"HTTP_AUTHORIZATION": f"Bearer {key}"} if key is not None else {}
    body = json.dumps({"number": number})
    return (client or Client()).post(URL, body, content_type="application/json", **headers, **extra)


def _valid_unknown_number(card_number: str) -> str:
    body = str((int(card_number[:15]) + 7) % 10**15).rjust(15, "1")
    return body + luhn_check_digit(body)


def test_a_card_answers_its_status_and_nothing_else(card, key, staff):
    response = ask(card.number, key.key)
    assert response.status_code == 200 and response.json() == {"status": "active"}
    assert "no-store" in response["Cache-Control"]
    spaced = " ".join(card.number[i:i + 4] for i in range(0, 16, 4))
    assert ask(spaced, key.key).json() == {"status": "active"}
    change_status(card, "suspend", reason="lost", changed_by=staff["supervisor"])
    assert ask(card.number, key.key).json() == {"status": "suspended"}
    change_status(card, "reinstate", reason="recovered", changed_by=staff["supervisor"])
    change_status(card, "revoke", reason="stolen", changed_by=staff["supervisor"])
    assert ask(card.number, key.key).json() == {"status": "revoked"}


def test_every_call_is_audited_without_the_number(card, key):
    before = AuditEntry.objects.count()
    ask(card.number, key.key)
    ask(_valid_unknown_number(card.number), key.key)
    ask("not a number", key.key)
    entries = list(AuditEntry.objects.order_by("index")[before:])
    assert [(e.actor, e.action, e.target, e.outcome) for e in entries] == [
        (key.partner.ref, "partner.card_status", card.ref, "active"),
        (key.partner.ref, "partner.card_status", "", "unknown"),
        (key.partner.ref, "partner.card_status", "", "unknown"),
    ]
    for entry in entries:
        leaf = bytes(entry.entry).decode()
        assert card.number not in leaf and card.number[-4:] not in leaf and key.key not in leaf
        assert "Queens" not in leaf


def test_attack_no_key_or_a_wrong_scheme_is_refused_and_not_answered(card, key):
    for headers in ({}, {"HTTP_AUTHORIZATION": key.key}, {"HTTP_AUTHORIZATION": f"Basic {key.key}"},
                    {"HTTP_X_API_KEY": key.key}):
        response = Client().post(URL, json.dumps({"number": card.number}), content_type="application/json",
                                 **headers)
        assert response.status_code == 401 and response.json() == {"error": "unauthorized"}
        assert response["WWW-Authenticate"].startswith("Bearer")
    # The key in a query string is no key either (and never a way around the header).
    response = Client().post(f"{URL}?key={key.key}", json.dumps({"number": card.number}),
                             content_type="application/json")
    assert response.status_code == 401
    assert Client().get(URL, HTTP_AUTHORIZATION=f"Bearer {key.key}").status_code == 405


def test_attack_a_revoked_key_is_refused_like_an_unknown_one_and_its_use_audited(card, key, staff):
    accounts.revoke_partner_key(key_id=key.partner.pk, by=None)
    revoked = ask(card.number, key.key)
    unknown = ask(card.number, "cityid_000000000000_" + "A" * 43)
    assert revoked.status_code == unknown.status_code == 401
    assert revoked.content == unknown.content
    entry = AuditEntry.objects.order_by("-index").first()
    assert (entry.actor, entry.outcome, entry.purpose, entry.target) == (key.partner.ref, "denied", "key_revoked", "")


def test_attack_another_partners_prefix_with_a_borrowed_secret_is_refused(card, key):
    other = accounts.add_partner_key(name="Flushing Library", by=None)
    borrowed = f"cityid_{other.partner.prefix}_{key.key.rsplit('_', 1)[1]}"
    assert ask(card.number, borrowed).status_code == 401
    from cityid.accounts.models import PartnerKey

    stored_hash = bytes(PartnerKey.objects.get(pk=key.partner.pk).key_hash).hex()
    assert ask(card.number, stored_hash).status_code == 401  # a copy of the database holds no usable key
    assert ask(card.number, f"cityid_{key.partner.prefix}_{stored_hash}").status_code == 401
    # Each partner's calls are its own: audited under its own key.
    assert ask(card.number, other.key).json() == {"status": "active"}
    assert AuditEntry.objects.order_by("-index").first().actor == other.partner.ref


def test_attack_unknown_and_malformed_numbers_get_the_same_answer(card, key):
    answers = {
        label: ask(number, key.key)
        for label, number in {
            "unknown": _valid_unknown_number(card.number),
            "check_digit": card.number[:15] + str((int(card.number[15]) + 1) % 10),
            "short": card.number[:12],
            "letters": "ABCD EFGH IJKL MNOP",
            "superscript": "²" * 16,
            "empty": "",
        }.items()
    }
    for label, response in answers.items():
        assert response.status_code == 200, label
        assert response.content == answers["unknown"].content == b'{"status": "unknown"}', label
        assert set(response.headers) == set(answers["unknown"].headers), label


def test_attack_enumerating_card_numbers_hits_the_rate_limit(card, key, settings):
    settings.CITYID_PARTNER_CALLS_PER_MINUTE = 5
    body = 100000000000000
    answers = []
    for offset in range(8):
        digits = str(body + offset)
        answers.append(ask(digits + luhn_check_digit(digits), key.key))
    assert [r.status_code for r in answers] == [200] * 5 + [429] * 3
    assert answers[5].json() == {"error": "rate_limited"} and int(answers[5]["Retry-After"]) == 60
    # The real card is refused too while the window lasts: the limit is the key's, not the number's.
    assert ask(card.number, key.key).status_code == 429
    denied = AuditEntry.objects.filter(actor=key.partner.ref, outcome="denied")
    assert list(denied.values_list("purpose", flat=True)) == ["rate_limit:60"]  # once per window, not per call
    # Another partner's key has its own budget.
    other = accounts.add_partner_key(name="Other", by=None)
    assert ask(card.number, other.key).status_code == 200


def test_the_daily_limit(card, key, settings):
    settings.CITYID_PARTNER_CALLS_PER_DAY = 2
    assert [ask(card.number, key.key).status_code for _ in range(3)] == [200, 200, 429]
    assert ask(card.number, key.key)["Retry-After"] == "86400"


def test_attack_hostile_bodies_are_refused_plainly(card, key):
    for body in (b"", b"{", b"[]", b'{"number": 4000}', b'{"number": null}', json.dumps({"number": "1" * 65}).encode(),
                 b'{"number": "' + b"1" * 2000 + b'"}', b"\xff\xfe", json.dumps({"numbers": [card.number]}).encode()):
        response = Client().post(URL, body, content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {key.key}")
        assert response.status_code == 400 and response.json() == {"error": "bad_request"}, body


def test_attack_the_key_and_the_number_never_reach_the_logs(card, key, caplog):
    caplog.set_level(logging.DEBUG)
    other = accounts.add_partner_key(name="Soon revoked", by=None)
    accounts.revoke_partner_key(key_id=other.partner.pk, by=None)
    ask(card.number, key.key)
    ask(card.number, other.key)
    ask(card.number, key.key[:-2])
    ask(card.number, None)
    ask("bad", key.key)
    text = "\n".join(f"{record.getMessage()} {record.args} {getattr(record, 'request', '')}"
                     for record in caplog.records)
    for secret in (key.key, other.key, key.key[:-2], key.key.rsplit("_", 1)[1], card.number):
        assert secret not in text
    for entry in AuditEntry.objects.all():
        assert key.key.encode() not in bytes(entry.entry) and card.number.encode() not in bytes(entry.entry)


def test_openapi_document_at_a_stable_url_describes_the_api(card, key):
    from openapi_spec_validator import validate

    response = Client().get(OPENAPI)
    assert response.status_code == 200 and response["Content-Type"] == "application/json"
    document = response.json()
    validate(document)
    assert document["openapi"].startswith("3.")
    (path, operations), = document["paths"].items()
    assert document["servers"][0]["url"] + path == URL and list(operations) == ["post"]
    schema = document["components"]["schemas"]["CardStatus"]["properties"]["status"]
    assert sorted(schema["enum"]) == ["active", "revoked", "suspended", "unknown"]
    # What the API answers is what the document says it answers.
    assert ask(card.number, key.key).json()["status"] in schema["enum"]
    assert ask(card.number, None).json()["error"] in \
        document["components"]["schemas"]["Error"]["properties"]["error"]["enum"]


def test_attack_a_new_key_for_the_same_partner_brings_no_new_budget(card, key, settings):
    """Rotating keys (a new key for the partner, the old one not yet revoked, or revoked) does not restart the
    partner's limits: an enumerator cannot multiply its budget by asking for more keys."""
    settings.CITYID_PARTNER_CALLS_PER_MINUTE = 3
    assert [ask(card.number, key.key).status_code for _ in range(3)] == [200] * 3
    rotated = accounts.add_partner_key(name="  queens savings   BANK ", by=None)
    assert ask(card.number, rotated.key).status_code == 429
    accounts.revoke_partner_key(key_id=key.partner.pk, by=None)
    assert ask(card.number, rotated.key).status_code == 429
    assert ask(card.number, key.key).status_code == 401  # the revoked key: refused like an unknown one
    assert ask(card.number, accounts.add_partner_key(name="Flushing Library", by=None).key).status_code == 200


def test_attack_known_unknown_and_malformed_numbers_do_the_same_work(card, key):
    """Enumeration by timing: a card that exists, a valid number no card has and a malformed one run the same
    statements (the same keyed-hash look-up, one audit entry), so the database work cannot tell them apart."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    ask(card.number, key.key)  # the key's last-used day is written once a day: not part of the comparison

    def statements(number: str) -> list[str]:
        with CaptureQueriesContext(connection) as captured:
            assert ask(number, key.key).status_code == 200
        return [" ".join(query["sql"].split()[:4]) for query in captured.captured_queries]

    known = statements(card.number)
    assert statements(_valid_unknown_number(card.number)) == known
    assert statements("1234") == known
    assert statements("0" * 16) == known
