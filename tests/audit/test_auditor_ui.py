"""The auditor's pages (issue 4 item 7): search events, show one with its verified inclusion proof, verify the log.

Access is ``audit.read`` (auditors only), through the real login view with a TOTP code, and the
pages never decrypt anything: no personal data of enrolled applicants appears on them.
"""

from __future__ import annotations

import base64
import html
from datetime import date, datetime, timedelta

import pytest
from django.test import Client
from django.utils import timezone

from cityid.accounts.policy import ROLES
from cityid.audit import keys, merkle, note, services
from cityid.audit.models import AuditEntry, Checkpoint
from tests.audit.helpers import LOGIN_URL, fill, sign_in
from tests.conftest import make_input

EVENTS = "/audit/events/"
VERIFY = "/audit/events/verify/"


def local(*args: int) -> datetime:
    return timezone.make_aware(datetime(*args))


def found(response) -> list[int]:
    """The indexes listed on a search page (all its pages are fetched by the caller if needed)."""
    assert response.status_code == 200, response.content[:500]
    page = response.context["page_obj"]
    return [entry.index for entry in page] if page is not None else []


def expected(queryset) -> list[int]:
    return list(queryset.order_by("-index").values_list("index", flat=True))


@pytest.fixture
def auditor(staff) -> Client:
    return sign_in(staff["auditor"])


@pytest.fixture
def events(staff):
    """Known events on known days (America/New_York): three actors, four actions, several targets."""
    clerk, supervisor = staff["clerk"], staff["supervisor"]
    services.append_entries([
        {"actor": f"staff:{clerk.pk}", "role": "clerk", "action": "personal.read", "target": "applicant:aaa-111",
         "purpose": "application:ccc-1", "at": local(2020, 3, 1, 9, 0)},
        {"actor": f"staff:{clerk.pk}", "role": "clerk", "action": "personal.read", "target": "applicant:bbb-222",
         "purpose": "application:ccc-2", "at": local(2020, 3, 1, 23, 30)},  # 04:30 UTC on 2 March
        {"actor": f"staff:{supervisor.pk}", "role": "supervisor", "action": "application.approve",
         "target": "application:ccc-1", "at": local(2020, 3, 2, 0, 15)},
        {"actor": f"staff:{supervisor.pk}", "role": "supervisor", "action": "personal.decrypt",
         "target": "applicant:aaa-111", "purpose": "application:ccc-1", "at": local(2020, 3, 5, 12, 0)},
        {"actor": "system:operator", "role": "operator", "action": "card.issue", "target": "card:7",
         "purpose": "application:ccc-1", "at": local(2020, 3, 9, 8, 0)},
    ])


# --- access ------------------------------------------------------------------------------

@pytest.mark.parametrize("role", sorted(ROLES))
def test_pages_by_role(staff, role):
    client = sign_in(staff[role])
    allowed = role == "auditor"
    assert client.get(EVENTS).status_code == (200 if allowed else 403)
    assert client.get(EVENTS + "0/").status_code == (200 if allowed else 403)
    response = client.post(VERIFY)
    assert response.status_code == (200 if allowed else 403)
    if not allowed:
        assert AuditEntry.objects.filter(action="access.denied", actor=f"staff:{staff[role].pk}",
                                         purpose="audit.read").count() == 3


@pytest.mark.parametrize("method, path", [("get", EVENTS), ("get", EVENTS + "0/"), ("get", EVENTS + "?action=x"),
                                          ("post", VERIFY)])
def test_anonymous_redirected_to_login(db, method, path):
    response = getattr(Client(), method)(path)
    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN_URL)
    assert f"next={path.split('?')[0]}" in response["Location"]


def test_password_only_session_redirected(staff):
    client = Client()
    client.force_login(staff["auditor"])  # no second factor in this session
    response = client.get(EVENTS)
    assert response.status_code == 302 and response["Location"].startswith(LOGIN_URL)


def test_verify_needs_post(auditor):
    assert auditor.get(VERIFY).status_code == 405


@pytest.mark.parametrize("role, shown", [("auditor", True), ("admin", False), ("records_officer", False),
                                         ("clerk", False)])
def test_nav_entry(staff, role, shown):
    client = sign_in(staff[role])
    response = client.get("/")
    items = {str(item["label"]): item["url"] for item in response.context["nav_items"]}
    assert ("Audit log" in items) is shown
    if shown:
        assert items["Audit log"] == EVENTS
        page = client.get(EVENTS)
        assert any(item["active"] for item in page.context["nav_items"] if str(item["label"]) == "Audit log")


# --- search ------------------------------------------------------------------------------

def test_unfiltered_list_is_newest_first_and_paginated(staff, auditor):
    fill(120)
    total = AuditEntry.objects.count()
    assert total > 120
    first = auditor.get(EVENTS)
    page = first.context["page_obj"]
    assert page.paginator.count == total and page.paginator.per_page == 50
    assert found(first) == expected(AuditEntry.objects.all())[:50]
    last_number = page.paginator.num_pages
    last = auditor.get(EVENTS, {"page": last_number})
    assert found(last) == expected(AuditEntry.objects.all())[50 * (last_number - 1):]
    assert b'class="usa-pagination"' in first.content


def test_search_pagination_keeps_the_criteria(staff, auditor):
    fill(130)  # actors staff:0 .. staff:6 in turn
    wanted = AuditEntry.objects.filter(actor="staff:3")
    response = auditor.get(EVENTS, {"actor": "staff:3"})
    assert response.context["page_obj"].paginator.count == wanted.count() == 19
    assert found(response) == expected(wanted)
    fill(200, prefix="more")
    wanted = AuditEntry.objects.filter(action="personal.read")
    pages = []
    response = auditor.get(EVENTS, {"action": "personal.read"})
    assert "action=personal.read" in response.content.decode()  # the page links keep the search
    for number in range(1, response.context["page_obj"].paginator.num_pages + 1):
        pages += found(auditor.get(EVENTS, {"action": "personal.read", "page": number}))
    assert pages == expected(wanted) and len(pages) == 330


def test_search_by_actor_id(staff, events, auditor):
    clerk = staff["clerk"]
    response = auditor.get(EVENTS, {"actor": f"staff:{clerk.pk}"})
    assert found(response) == expected(AuditEntry.objects.filter(actor=f"staff:{clerk.pk}"))
    assert len(found(response)) == 2
    operator = found(auditor.get(EVENTS, {"actor": "system:operator"}))
    assert operator == expected(AuditEntry.objects.filter(actor="system:operator"))
    assert AuditEntry.objects.get(action="card.issue").index in operator


def test_search_by_username_resolves_to_staff_id(staff, events, auditor):
    supervisor = staff["supervisor"]
    response = auditor.get(EVENTS, {"actor": supervisor.username})
    assert response.context["form"].cleaned_data["actor"] == f"staff:{supervisor.pk}"
    assert found(response) == expected(AuditEntry.objects.filter(actor=f"staff:{supervisor.pk}"))
    assert {e.action for e in response.context["page_obj"]} == {"application.approve", "personal.decrypt"}


def test_unknown_username_is_a_form_error(staff, events, auditor):
    response = auditor.get(EVENTS, {"actor": "nobody-here"})
    assert response.status_code == 200
    assert response.context["page_obj"] is None
    assert "No staff account is named nobody-here" in html.unescape(response.content.decode())


def test_search_by_action(staff, events, auditor):
    form = auditor.get(EVENTS).context["form"]
    choices = [value for value, _label in form.fields["action"].choices]
    assert choices[0] == ""
    assert choices[1:] == sorted(set(AuditEntry.objects.values_list("action", flat=True)))
    response = auditor.get(EVENTS, {"action": "personal.read"})
    assert found(response) == expected(AuditEntry.objects.filter(action="personal.read"))
    assert len(found(response)) == 2
    bad = auditor.get(EVENTS, {"action": "no.such.action"})
    assert bad.context["page_obj"] is None and bad.context["form"].errors["action"]


def test_search_by_date_range_in_local_time(staff, events, auditor):
    day1 = found(auditor.get(EVENTS, {"since": "2020-03-01", "until": "2020-03-01"}))
    assert [AuditEntry.objects.get(index=i).target for i in day1] == ["applicant:bbb-222", "applicant:aaa-111"]
    day2 = found(auditor.get(EVENTS, {"since": "2020-03-02", "until": "2020-03-02"}))
    assert [AuditEntry.objects.get(index=i).action for i in day2] == ["application.approve"]
    since = found(auditor.get(EVENTS, {"since": "2020-03-05"}))
    assert since == expected(AuditEntry.objects.filter(at__gte=local(2020, 3, 5)))
    assert len(since) == AuditEntry.objects.count() - 3  # the staff were created today
    between = found(auditor.get(EVENTS, {"since": "2020-03-02", "until": "2020-03-09"}))
    assert [AuditEntry.objects.get(index=i).action for i in between] == [
        "card.issue", "personal.decrypt", "application.approve"]
    until = found(auditor.get(EVENTS, {"until": "2020-03-02"}))
    assert until == expected(AuditEntry.objects.filter(at__lt=local(2020, 3, 3)))
    assert len(until) == 3
    wrong = auditor.get(EVENTS, {"since": "2020-03-05", "until": "2020-03-01"})
    assert wrong.context["page_obj"] is None and wrong.context["form"].errors["until"]


def test_search_by_record_id(staff, events, auditor):
    exact = found(auditor.get(EVENTS, {"target": "applicant:aaa-111", "match": "exact"}))
    assert exact == expected(AuditEntry.objects.filter(target="applicant:aaa-111"))
    assert len(exact) == 2
    assert found(auditor.get(EVENTS, {"target": "applicant:aaa"})) == []  # exact is the default
    contains = found(auditor.get(EVENTS, {"target": "applicant:", "match": "contains"}))
    assert contains == expected(AuditEntry.objects.filter(target__startswith="applicant:"))
    assert len(contains) == 3
    anywhere = found(auditor.get(EVENTS, {"target": "ccc-1", "match": "any"}))
    assert [AuditEntry.objects.get(index=i).action for i in anywhere] == [
        "card.issue", "personal.decrypt", "application.approve", "personal.read"]


def test_criteria_combine(staff, events, auditor):
    clerk = staff["clerk"]
    response = auditor.get(EVENTS, {"actor": clerk.username, "action": "personal.read", "since": "2020-03-01",
                                    "until": "2020-03-01", "target": "bbb", "match": "contains"})
    assert [AuditEntry.objects.get(index=i).target for i in found(response)] == ["applicant:bbb-222"]


def test_empty_state(staff, events, auditor):
    response = auditor.get(EVENTS, {"target": "applicant:none"})
    assert found(response) == []
    assert b"No event matches this search." in response.content


# --- one event and its proof -------------------------------------------------------------

def _signed_root(text: str) -> tuple[int, bytes]:
    signed = note.open_checkpoint(text, keys.verifier_key(create=False), origin=keys.origin())
    return signed.size, signed.root


def test_detail_shows_a_proof_that_verifies(staff, events, auditor):
    fill(300)
    services.make_checkpoint()
    target = AuditEntry.objects.get(action="personal.decrypt")
    response = auditor.get(f"{EVENTS}{target.index}/")
    assert response.status_code == 200
    proof = response.context["proof"]
    assert proof.ok
    page = response.content.decode()
    assert 'data-verification="ok"' in page and "Verification: OK" in page
    raw = bytes(target.entry)
    assert html.escape(raw.decode()) in page  # the canonical bytes, as stored
    salt = bytes(target.salt)
    assert len(salt) == merkle.SALT_SIZE and salt.hex() in page  # the auditor sees the salt
    commitment = merkle.commitment(salt, raw)
    leaf = merkle.leaf_hash(commitment)
    assert commitment.hex() in page and leaf.hex() in page and base64.b64encode(leaf).decode() in page
    # The checkpoint on the page is signed by the log's key and the proof leads to its root.
    checkpoint = Checkpoint.objects.order_by("-size").first()
    assert checkpoint.note in page or html.escape(checkpoint.note) in page
    size, root = _signed_root(checkpoint.note)
    assert proof.size == size > target.index
    hashes = [base64.b64decode(h) for h in proof.hashes_b64]
    assert all(base64.b64encode(h).decode() in page for h in hashes)
    assert merkle.verify_inclusion(leaf, target.index, size, hashes, root)
    assert not merkle.verify_inclusion(leaf, target.index + 1, size, hashes, root)


def test_detail_of_an_entry_after_the_latest_checkpoint_is_pending_and_signs_nothing(staff, events, auditor):
    services.make_checkpoint()
    old = Checkpoint.objects.get()
    fill(10)
    newest = AuditEntry.objects.order_by("-index").first()
    response = auditor.get(f"{EVENTS}{newest.index}/")
    proof = response.context["proof"]
    assert proof.pending and not proof.ok and proof.size is None
    assert 'data-verification="pending"' in response.content.decode()
    assert Checkpoint.objects.count() == 1  # checkpoints follow their schedule, not page views
    # An entry the latest checkpoint covers is proved against it.
    proof = auditor.get(f"{EVENTS}0/").context["proof"]
    assert proof.ok and proof.size == old.size
    # The next scheduled checkpoint covers the newest entry.
    services.make_checkpoint()
    assert auditor.get(f"{EVENTS}{newest.index}/").context["proof"].ok


def test_detail_of_a_tampered_entry_fails(staff, events, auditor):
    services.make_checkpoint()
    target = AuditEntry.objects.get(action="application.approve")
    raw = bytes(target.entry)
    AuditEntry.objects.filter(index=target.index).update(entry=raw.replace(b"approve", b"apprave"))
    response = auditor.get(f"{EVENTS}{target.index}/")
    proof = response.context["proof"]
    assert not proof.ok
    assert not proof.columns_match and not proof.stored_leaf_matches and not proof.proof_ok
    assert proof.signature_ok  # the checkpoint itself is fine
    assert 'data-verification="failed"' in response.content.decode()
    # A changed column (what the search reads) is caught too, though the bytes are intact.
    other = AuditEntry.objects.get(action="card.issue")
    AuditEntry.objects.filter(index=other.index).update(target="card:8")
    proof = auditor.get(f"{EVENTS}{other.index}/").context["proof"]
    assert not proof.ok and not proof.columns_match and proof.proof_ok


def test_detail_of_a_missing_event(staff, auditor):
    assert auditor.get(f"{EVENTS}999999/").status_code == 404


# --- status panel and full verification --------------------------------------------------

def test_status_panel(staff, events, auditor):
    services.make_checkpoint()
    fill(5)
    status = auditor.get(EVENTS).context["status"]
    size = services.log_size()
    checkpoint = Checkpoint.objects.order_by("-size").first()
    assert status["size"] == size
    assert status["integrated"] == services.tree_size() == checkpoint.size
    assert status["pending"] == size - checkpoint.size > 0
    assert status["checkpoint_size"] == checkpoint.size
    assert status["checkpoint_created"] == checkpoint.created


def test_verify_button_reports_ok(staff, events, auditor):
    services.make_checkpoint()
    fill(50)
    response = auditor.post(VERIFY)
    assert response.status_code == 200
    report = response.context["report"]
    assert report is not None and report.entries == services.log_size() - 1  # then the run was logged
    assert 'data-verification="ok"' in response.content.decode()
    logged = AuditEntry.objects.filter(action="audit.verify").get()
    assert (logged.actor, logged.outcome) == (f"staff:{staff['auditor'].pk}", "ok")


def test_verify_button_reports_the_first_bad_index(staff, events, auditor):
    services.make_checkpoint()
    target = AuditEntry.objects.get(action="personal.decrypt")
    raw = bytearray(target.entry)
    raw[-3] ^= 1
    AuditEntry.objects.filter(index=target.index).update(entry=bytes(raw))
    response = auditor.post(VERIFY)
    assert response.status_code == 200
    assert response.context["report"] is None
    assert response.context["bad_index"] == target.index
    assert f"audit log broken at index {target.index}" in html.unescape(response.content.decode())
    assert 'data-verification="failed"' in response.content.decode()
    logged = AuditEntry.objects.filter(action="audit.verify").get()
    assert (logged.outcome, logged.target) == ("failed", f"index:{target.index}")


# --- no personal data --------------------------------------------------------------------

CANARIES = ("Canaryname", "Testperson", "Canarystreet", "1990-04-12", "04/12/1990", "CANARYDOC1", "CANARYBILL9")


def test_auditor_pages_show_no_personal_data_and_decrypt_nothing(staff, monkeypatch):
    from cityid.enrollment.selectors import read_applicant, search_applicants
    from cityid.enrollment.services import decide, enroll, open_closed_case

    clerk, supervisor = staff["clerk"], staff["supervisor"]
    today = date(2026, 11, 20)
    applications = [
        enroll(data=make_input(given_name=f"Canaryname{i}", date_of_birth=date(1990, 4, 12) + timedelta(days=i)),
               enrolled_by=clerk, today=today)
        for i in range(3)
    ]
    decide(application=applications[0], approve=True, decided_by=supervisor)
    for application in applications[1:]:  # open cases held by the clerk who enrolled them
        read_applicant(applicant=application.applicant, actor=clerk, purpose=application.ref)
    reason = open_closed_case(application=applications[0], actor=supervisor, reason="appeal")  # a decided case
    read_applicant(applicant=applications[0].applicant, actor=supervisor, purpose=reason.ref)
    search_applicants(actor=clerk, given_name="Canaryname1", family_name="Testperson",
                      date_of_birth=date(1990, 4, 13))
    services.make_checkpoint()
    auditor = sign_in(staff["auditor"])

    from cityid.vault import services as vault

    def refuse(*args, **kwargs):
        raise AssertionError("an auditor page tried to decrypt a record")

    monkeypatch.setattr(vault, "open_record", refuse)
    before = set(AuditEntry.objects.values_list("index", flat=True))
    pages = [auditor.get(EVENTS), auditor.get(EVENTS, {"action": "personal.read"}),
             auditor.get(EVENTS, {"actor": clerk.username}), auditor.get(EVENTS, {"target": "applicant:",
                                                                                 "match": "any"})]
    ref = applications[1].applicant.ref
    pages.append(auditor.get(EVENTS, {"target": ref}))
    assert len(found(pages[-1])) >= 1
    for entry in AuditEntry.objects.filter(action__startswith="personal.").order_by("index"):
        pages.append(auditor.get(f"{EVENTS}{entry.index}/"))
    pages.append(auditor.post(VERIFY))
    for response in pages:
        assert response.status_code == 200
        text = response.content.decode()
        for canary in CANARIES:
            assert canary.lower() not in text.lower(), canary
    assert all(response.context.get("proof") is None or response.context["proof"].ok for response in pages)
    # Reading the log wrote no personal-data event: only the verification run.
    new = AuditEntry.objects.exclude(index__in=before)
    assert list(new.values_list("action", flat=True)) == ["audit.verify"]
