"""Every URL of the merged features (cards, partner keys and API, /verify/, /.well-known/cityid/*, matching,
disclosure, law enforcement, the public FOIL portal and API, statistics and transparency), enumerated with Django's
URL resolver so that a new one cannot be forgotten, requested by every role and anonymously.

* Only the roles the policy table (``accounts.policy.POLICY``) names for the view's action ever get a 200; the
  others get a 403 (signed in) or the sign-in page (anonymous); a public URL answers everyone alike.
* No request answers 500, whatever the role, the method or the (empty) body.
* Every POST that a signed-in browser could be tricked into sending needs a CSRF token: only the two JSON APIs,
  which take no cookie (the partner API authenticates with a bearer key, the FOIL API is anonymous), are exempt.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from cityid.accounts.policy import ROLES, roles_for
from tests.audit.helpers import sign_in
from tests.ui.site import seed_site

pytestmark = pytest.mark.django_db

PUBLIC = "public"

#: URL name -> the policy action its view requires (``PUBLIC``: no sign-in). Every URL of the namespaces below
#: must be listed: a new one fails ``test_every_url_of_the_new_features_is_listed`` until someone says who may
#: open it.
ACTIONS: dict[str, str] = {
    "cards:list": "cards.read", "cards:card": "cards.read", "cards:change": "cards.status",
    "cards:card_pdf": "cards.produce", "cards:replace": "cards.replace", "cards:renew": "cards.renew",
    "cards:batches": "cards.produce", "cards:batch": "cards.produce", "cards:batch_mark": "cards.produce",
    "cards:batch_pdf": "cards.produce",
    "credential_keys": PUBLIC, "status_list": PUBLIC,
    "accounts:partner_keys": "partners.manage", "accounts:partner_approve": "partners.manage",
    "accounts:partner_withdraw": "partners.manage", "accounts:partner_revoke": "partners.manage",
    "partner_api:card_status": PUBLIC, "partner_api:openapi": PUBLIC,
    "verify:page": PUBLIC, "verify:service_worker": PUBLIC,
    "matching:alerts": "matching.review", "matching:alert": "matching.review", "matching:decide": "matching.review",
    "matching:compare": "matching.review",
    "disclosure:foil_queue": "foil.queue", "disclosure:foil_detail": "foil.queue", "disclosure:foil_read": "foil.read",
    "disclosure:foil_step": "foil.manage",
    "law_enforcement:list": "law_enforcement.read", "law_enforcement:new": "law_enforcement.log",
    "law_enforcement:detail": "law_enforcement.read", "law_enforcement:change": "law_enforcement.decide",
    "law_enforcement:produce": "law_enforcement.produce", "law_enforcement:subjects_add": "law_enforcement.log",
    "law_enforcement:document_add": "law_enforcement.log", "law_enforcement:document": "law_enforcement.read",
    "law_enforcement:gag": "law_enforcement.decide", "law_enforcement:notice": "law_enforcement.decide",
    "foil:new": PUBLIC, "foil:status": PUBLIC, "foil_api:requests": PUBLIC, "foil_api:openapi": PUBLIC,
    "reports:dashboard": PUBLIC, "reports:json_all": PUBLIC, "reports:csv": PUBLIC, "reports:json": PUBLIC,
    "reports:chart": PUBLIC, "reports:transparency": PUBLIC, "reports:transparency_pdf": PUBLIC,
}
NEW_NAMESPACES = {"cards", "partner_api", "verify", "matching", "disclosure", "law_enforcement", "foil", "foil_api",
                  "reports"}
NEW_NAMES = {"credential_keys", "status_list", "accounts:partner_keys", "accounts:partner_approve",
             "accounts:partner_withdraw", "accounts:partner_revoke"}
#: The namespaces of the features merged before these (attacked by their own suites).
OLD_NAMESPACES = {"accounts", "enrollment", "audit", "retention"}
OLD_NAMES = {"home", "set_language"}
#: Query parameters the list and report views read, with values no form sends.
HOSTILE = {"page": "-1", "status": "\x00", "sort": "'; drop table", "q": "%ff" * 50,
           "queue": "../../", "quarter": "9999Q9", "as_of": "0000-00-00", "dimension": "id", "start": "x",
           "end": "2026-13-45", "format": "../../etc/passwd", "lang": "zz" * 100}
#: POSTs exempt from CSRF: JSON APIs that read no cookie (so a forged cross-site request carries nothing).
CSRF_EXEMPT = {"partner_api:card_status", "foil_api:requests"}


def _patterns(patterns: list[Any], namespace: str | None = None) -> list[tuple[str, URLPattern]]:
    found = []
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            found += _patterns(pattern.url_patterns, pattern.namespace or namespace)
        else:
            found.append((f"{namespace}:{pattern.name}" if namespace else str(pattern.name), pattern))
    return found


def all_urls() -> list[tuple[str, URLPattern]]:
    return _patterns(get_resolver().url_patterns)


def test_every_url_of_the_new_features_is_listed():
    names = [name for name, _pattern in all_urls()]
    assert len(names) == len(set(names)), "two URLs share a name"
    unlisted = [name for name in names if name not in ACTIONS and name not in OLD_NAMES
                and name.split(":")[0] not in OLD_NAMESPACES]
    assert unlisted == [], "say in ACTIONS who may open these"
    new = {name for name in names if name.split(":")[0] in NEW_NAMESPACES or name in NEW_NAMES}
    assert new == set(ACTIONS), "ACTIONS names a URL that is gone"
    for action in set(ACTIONS.values()) - {PUBLIC}:
        roles_for(action)  # a KeyError if the policy has no such action


def _kwargs(staff) -> dict[str, dict[str, Any]]:
    """Real ids from the seeded site for each URL's parameters."""
    from cityid.accounts.models import PartnerKey
    from cityid.cards.models import Card, PrintBatch
    from cityid.disclosure.law_enforcement_models import LawEnforcementDocument, LawEnforcementRequest
    from cityid.disclosure.models import FoilRequest
    from cityid.matching.models import Alert

    card = Card.objects.order_by("pk").first()
    batch = PrintBatch.objects.order_by("pk").first()
    alert = Alert.objects.filter(kind="duplicate").first()
    foil = FoilRequest.objects.order_by("pk").first()
    document = LawEnforcementDocument.objects.select_related("request").first()
    partner = PartnerKey.objects.order_by("pk").last()
    assert card and batch and alert and foil and partner
    document_pk = document.pk if document else 999_999
    le_request = document.request if document else LawEnforcementRequest.objects.order_by("pk").first()
    by_name = {
        "cards:batch": {"pk": batch.pk}, "cards:batch_mark": {"pk": batch.pk}, "cards:batch_pdf": {"pk": batch.pk},
        "matching:compare": {"public_id": alert.public_id, "position": 1},
        "law_enforcement:document": {"public_id": le_request.public_id, "document_id": document_pk},
        "reports:csv": {"dimension": "month"}, "reports:json": {"dimension": "month"},
        "reports:chart": {"dimension": "month"}, "reports:transparency_pdf": {"quarter": "2026Q4"},
    }
    by_namespace = {
        "cards": {"pk": card.pk}, "matching": {"public_id": alert.public_id},
        "disclosure": {"public_id": foil.public_id},
        "law_enforcement": {"public_id": le_request.public_id},
        "accounts": {"key_id": partner.pk},
    }
    out = {}
    for name, pattern in all_urls():
        if name not in ACTIONS:
            continue
        wanted = set(pattern.pattern.converters) if hasattr(pattern.pattern, "converters") else set()
        given = by_name.get(name) or by_namespace.get(name.split(":")[0], {})
        out[name] = {key: value for key, value in given.items() if key in wanted}
    return out


def _clients(staff) -> dict[str, Client]:
    clients = {role: sign_in(staff[role]) for role in ROLES}
    clients["anonymous"] = Client()
    for client in clients.values():
        client.raise_request_exception = False  # a server error answers 500, which the test then reports
    return clients


def _seed(staff) -> None:
    """The staff site, plus what the public endpoints serve: a signing key, a status list, a statistics release."""
    from datetime import date

    from cityid.cards import issuing
    from cityid.reports.services import publish_release

    seed_site(staff)
    issuing.card_signer()
    issuing.rebuild_status_list()
    publish_release(start=date(2026, 1, 1), end=date(2026, 12, 31))


def test_attack_every_new_url_by_every_role(staff):
    _seed(staff)
    kwargs = _kwargs(staff)
    clients = _clients(staff)
    wrong: list[tuple[str, str, str, int]] = []
    opened: dict[str, set[str]] = {}
    for name, action in ACTIONS.items():
        url = reverse(name, kwargs=kwargs[name])
        allowed = set(ROLES) | {"anonymous"} if action == PUBLIC else set(roles_for(action))
        for who, client in clients.items():
            for method in ("get", "post", "hostile"):
                if method == "hostile":  # every filter, page and period parameter the views read, made absurd
                    response = client.get(url, HOSTILE)
                    if response.status_code >= 500:
                        wrong.append((method, url, who, response.status_code))
                    continue
                response = getattr(client, method)(url)
                status = response.status_code
                if status >= 500:
                    wrong.append((method, url, who, status))
                elif who not in allowed:
                    # 405: the method is refused before anything else (a POST-only action asked with GET)
                    refused = status in (403, 405) or (
                        who == "anonymous" and status == 302 and response["Location"].startswith("/accounts/login/"))
                    if not refused:
                        wrong.append((method, url, who, status))
                elif status == 200 and method == "get":
                    opened.setdefault(name, set()).add(who)
                if status == 200 and action != PUBLIC and "no-store" not in response.get("Cache-Control", ""):
                    wrong.append((method, url, who, "cacheable"))  # a staff page may hold personal data
    assert wrong == []
    # Each page that answers GET at all is opened by at least one of its roles (so the above tested something).
    get_only_post = {"cards:change", "cards:card_pdf", "cards:replace", "cards:renew", "cards:batch_mark",
                     "cards:batch_pdf", "accounts:partner_approve", "accounts:partner_withdraw",
                     "accounts:partner_revoke", "matching:decide", "disclosure:foil_read", "disclosure:foil_step",
                     "law_enforcement:change", "law_enforcement:produce", "law_enforcement:subjects_add",
                     "law_enforcement:document_add", "law_enforcement:gag", "law_enforcement:notice",
                     "partner_api:card_status", "foil_api:requests"}
    assert set(ACTIONS) - get_only_post - set(opened) == set()


def test_attack_posts_without_a_csrf_token_are_refused(staff):
    """A signed-in member of the right role (or anyone, for a public form) whose browser is made to POST without
    the token: refused with 403 before the view runs, on every URL but the two cookie-less JSON APIs."""
    _seed(staff)
    kwargs = _kwargs(staff)
    signed_in = {role: sign_in(staff[role]).cookies for role in ROLES}  # once each: a TOTP code is used once
    missing = []
    for name, action in ACTIONS.items():
        url = reverse(name, kwargs=kwargs[name])
        who = "clerk" if action == PUBLIC else roles_for(action)[0]
        client = Client(enforce_csrf_checks=True)
        client.cookies = signed_in[who]
        client.raise_request_exception = False
        response = client.post(url, {"reason": "x", "decision": "same_person", "change": "review"})
        if name in CSRF_EXEMPT:
            assert response.status_code != 403 or b"CSRF" not in response.content, name
            continue
        if not (response.status_code == 403 and b"CSRF" in response.content):
            missing.append((name, response.status_code))
    assert missing == []


def _destroy_everything(staff) -> None:
    """Release every hold, schedule every class to have ended on 2016-12-31 and run the disposition (two records
    officers): every record of every class, cards' numbers, FOIL and law-enforcement records included, destroyed."""
    from datetime import date

    from cityid.accounts.services import create_staff
    from cityid.retention import services as retention
    from cityid.retention.models import LegalHold
    from cityid.vault.classes import RECORD_CLASSES
    from tests.conftest import complete_enrolment

    officer = staff["records_officer"]
    second = complete_enrolment(create_staff(username="records_officer3", role="records_officer"))
    for hold in LegalHold.objects.filter(released_at=None):
        retention.release_hold(hold_id=hold.pk, released_by=staff["counsel"])
    for record_class in RECORD_CLASSES:
        retention.set_schedule(record_class=record_class, approved_by=officer, fixed_date=date(2016, 12, 31))
        retention.apply_schedule(record_class=record_class)
    retention.run_disposition(as_of=date(2017, 1, 2), approvers=[officer, second])


def test_attack_every_new_url_after_everything_is_destroyed(staff):
    """Cards whose numbers are erased, alerts whose people are destroyed, FOIL and law-enforcement requests whose
    sealed records are gone: every page and action of the new features, asked by every role with the data its
    forms send, answers without a server error and shows nothing destroyed."""
    from cityid.enrollment.models import Applicant

    _seed(staff)
    subject = Applicant.objects.order_by("pk").first().ref
    _destroy_everything(staff)
    kwargs = _kwargs(staff)
    clients = _clients(staff)
    posts = {"cards:replace": {"reason": "lost"}, "cards:renew": {}, "cards:change": {"change": "revoke",
             "revoke-reason": "fraud"}, "matching:compare": {"decision": "same_person"},
             "matching:decide": {"decision": "no_concern"}, "disclosure:foil_read": {"purpose": "respond"},
             "disclosure:foil_step": {"step": "acknowledge"}, "law_enforcement:produce": {"subject": subject,
             "kind": "record"}, "law_enforcement:change": {"change": "produce", "ordered_subjects": subject,
             "ordered_kinds": "record"}, "cards:batch_mark": {"mark": "mailed"}}
    wrong = []
    for name in ACTIONS:
        url = reverse(name, kwargs=kwargs[name])
        for who, client in clients.items():
            for response in (client.get(url), client.post(url, posts.get(name, {}))):
                if response.status_code >= 500:
                    wrong.append((url, who, response.status_code))
                assert b"Canaryname" not in response.content, (url, who)
    assert wrong == []
