"""The pure rules of law-enforcement requests: the transition table, what compels production, scopes."""

from __future__ import annotations

import uuid

import pytest

from cityid.disclosure import law_enforcement as rules
from cityid.disclosure.law_enforcement import LawEnforcementError


def subject() -> str:
    return f"applicant:{uuid.uuid4()}"


def test_only_a_warrant_or_a_court_order_compels_production() -> None:
    for process in ("judicial_warrant", "court_order"):
        assert rules.next_status(rules.UNDER_REVIEW, rules.PRODUCE, process=process) == rules.PRODUCING
    for process in ("administrative_subpoena", "judicial_subpoena"):
        with pytest.raises(LawEnforcementError) as refused:
            rules.next_status(rules.UNDER_REVIEW, rules.PRODUCE, process=process)
        assert refused.value.code == "process_does_not_compel"
        assert rules.PRODUCE not in rules.available_changes(rules.UNDER_REVIEW, process=process)
        assert rules.REFUSE in rules.available_changes(rules.UNDER_REVIEW, process=process)


def test_the_table_refuses_changes_from_the_wrong_status() -> None:
    with pytest.raises(LawEnforcementError) as refused:
        rules.next_status(rules.LOGGED, rules.PRODUCE, process="court_order")  # not reviewed yet
    assert refused.value.code == "wrong_status"
    with pytest.raises(LawEnforcementError):
        rules.next_status(rules.REFUSED, rules.PRODUCE, process="court_order")
    with pytest.raises(LawEnforcementError):
        rules.next_status(rules.CLOSED, rules.REVIEW, process="court_order")
    with pytest.raises(LawEnforcementError) as unknown:
        rules.next_status(rules.LOGGED, "shred", process="court_order")
    assert unknown.value.code == "unknown_change"
    assert rules.available_changes(rules.CLOSED, process="court_order") == []
    # A challenge that fails (the order is upheld) may still end in production.
    assert rules.next_status(rules.CHALLENGED, rules.PRODUCE, process="court_order") == rules.PRODUCING


def test_outcomes_follow_the_last_decision() -> None:
    assert rules.outcome_of(rules.LOGGED, "") == "pending"
    assert rules.outcome_of(rules.PRODUCED, rules.PRODUCE) == "produced"
    assert rules.outcome_of(rules.CLOSED, rules.REFUSE) == "refused"
    assert rules.outcome_of(rules.CHALLENGED, rules.CHALLENGE) == "challenged"
    assert rules.outcome_of(rules.CLOSED, rules.WITHDRAW) == "withdrawn"
    assert rules.outcome_of(rules.WITHDRAWN, rules.WITHDRAW) == "withdrawn"


def test_scopes_take_pseudonymous_ids_only() -> None:
    one = subject()
    bare = one.split(":", 1)[1]
    scope = rules.make_scope(subjects=f"{one}\n{bare.upper()}, {one}", kinds=["photo", "record"])
    assert scope.subjects == (one,) and scope.kinds == ("record", "photo")
    with pytest.raises(LawEnforcementError) as named:
        rules.make_scope(subjects="Maria Canaryname", kinds=["record"])
    assert named.value.code == "bad_subject" and "Canaryname" not in repr(named.value)
    with pytest.raises(LawEnforcementError) as empty:
        rules.make_scope(subjects="", kinds=["record"])
    assert empty.value.code == "empty_scope"
    assert rules.make_scope(subjects="", kinds=["record"], search="born 1990, lives in Queens").subjects == ()
    with pytest.raises(LawEnforcementError):
        rules.make_scope(subjects=one, kinds=["fingerprints"])
    with pytest.raises(LawEnforcementError) as many:
        rules.make_scope(subjects=" ".join(subject() for _ in range(rules.MAX_SUBJECTS + 1)), kinds=["record"])
    assert many.value.code == "too_many_subjects"


def test_an_order_cannot_reach_beyond_the_request() -> None:
    asked, other = subject(), subject()
    requested = rules.make_scope(subjects=asked, kinds=["record"])
    rules.check_ordered(requested, rules.make_scope(subjects=asked, kinds=["record"]))
    with pytest.raises(LawEnforcementError) as person:
        rules.check_ordered(requested, rules.make_scope(subjects=f"{asked} {other}", kinds=["record"]))
    assert person.value.code == "beyond_scope_subject"
    with pytest.raises(LawEnforcementError) as kind:
        rules.check_ordered(requested, rules.make_scope(subjects=asked, kinds=["photo"]))
    assert kind.value.code == "beyond_scope_kind"
