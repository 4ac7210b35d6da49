"""The real-time check at enrollment: alerts, holds on approval, the queue when the matcher is down, and the
candidate index following the encrypted store (a destroyed cohort leaves it at once, a held record stays)."""

from __future__ import annotations

from datetime import date

import pytest

from cityid.audit.models import AuditEntry
from cityid.enrollment.services import DecisionRefused, decide
from cityid.matching import services
from cityid.matching.models import Alert, AlertPair, MatchCheck
from cityid.matching.services import MatchingRefused
from cityid.vault import services as vault
from tests.matching.helpers import enroll, person


def _key_id(application) -> str:
    application.applicant.personal_record.refresh_from_db()
    return application.applicant.personal_record.key_id


def test_a_near_duplicate_opens_a_held_alert_with_field_evidence_and_approval_waits(staff):
    first = enroll(staff, person(0))
    twin = person(0, given_name="Oluwasegun")
    for doc in twin.documents:
        doc.number += "9"  # other documents: the names, birth date and address match
    second = enroll(staff, twin)
    assert list(MatchCheck.objects.values_list("status", flat=True)) == ["checked", "checked"]
    alert = Alert.objects.get()
    assert (alert.kind, alert.level, alert.application, alert.applicant) == (
        "duplicate", "hold", second, second.applicant)
    pair = alert.pairs.get()
    assert pair.other == first.applicant and pair.score >= services.threshold("hold")
    fields = {row["field"] for row in pair.evidence}
    assert {"given_name", "family_name", "date_of_birth"} <= fields
    assert all(set(row) == {"field", "level", "weight"} for row in pair.evidence)
    # No personal value anywhere in what the alert keeps or the log says.
    text = repr(list(Alert.objects.values())) + repr(list(AlertPair.objects.values()))
    text += repr(list(AuditEntry.objects.values_list("target", "purpose")))
    for value in ("Oluwase", "Adeyemi", "1984", "Harbor", "P1111111"):
        assert value not in text
    assert AuditEntry.objects.filter(action="match.alert", target=alert.ref).exists()

    with pytest.raises(MatchingRefused) as refused:
        decide(application=second, approve=True, decided_by=staff["supervisor"])
    assert refused.value.code == "held"
    decide(application=first, approve=True, decided_by=staff["supervisor"])  # the first is not held

    services.decide(alert=alert, actor=staff["fraud_analyst"], decision="different_people", position=1)
    alert.refresh_from_db()
    assert (alert.status, alert.decision) == ("closed", "different_people")
    decide(application=second, approve=True, decided_by=staff["supervisor"])


def test_same_person_or_fraud_keeps_the_approval_refused(staff):
    enroll(staff, person(1))
    second = enroll(staff, person(1, family_name="Tanaka-Ito"))
    alert = Alert.objects.get(kind="duplicate")
    services.decide(alert=alert, actor=staff["fraud_analyst"], decision="same_person", position=1)
    with pytest.raises(MatchingRefused) as refused:
        decide(application=second, approve=True, decided_by=staff["supervisor"])
    assert refused.value.code == "found"
    decide(application=second, approve=False, reasons=["duplicate"], decided_by=staff["supervisor"])


def test_different_people_are_not_alerted(staff):
    for index in range(4):
        enroll(staff, person(index))
    assert not Alert.objects.exists()
    assert MatchCheck.objects.filter(status="checked").count() == 4


def test_the_clerk_is_warned_before_submitting_without_anyone_elses_data(staff):
    enroll(staff, person(2))
    warnings = services.submission_check(person(2, given_name="Ruslann"), staff["clerk"])
    assert len(warnings) == 1 and "fraud analyst" in warnings[0]
    assert "Petrov" not in warnings[0] and "1999" not in warnings[0]
    assert services.submission_check(person(3), staff["clerk"]) == []


def test_one_document_number_used_by_different_people_is_held(staff):
    first = enroll(staff, person(0))
    other = person(3)
    other.documents[0].number = "p-111 1111"  # the same passport number, typed differently
    second = enroll(staff, other)
    alert = Alert.objects.get()
    assert (alert.kind, alert.level, alert.evidence) == ("document_reuse", "hold", {"others": 1})
    assert alert.pairs.get().other == first.applicant
    with pytest.raises(MatchingRefused):
        decide(application=second, approve=True, decided_by=staff["supervisor"])


def test_many_applicants_at_one_address_in_the_window(staff, settings):
    settings.CITYID_MATCH_ADDRESS_APPLICANTS = 3
    settings.CITYID_MATCH_ADDRESS_DAYS = 30
    shared = {"kind": "residential", "line1": "19 Harbor Rd", "line2": "", "city": "New York", "postcode": "11201",
              "borough": "", "care_of": ""}
    enroll(staff, person(1, address=shared, submitted_on=date(2026, 9, 1)))  # outside the window
    enroll(staff, person(2, address=shared))
    assert not Alert.objects.exists()
    enroll(staff, person(3, address=dict(shared, line1="19 HARBOR RD.")))
    assert not Alert.objects.exists()  # two in the window: not yet many
    third = enroll(staff, person(4, address=shared))
    alert = Alert.objects.get()
    assert (alert.kind, alert.level, alert.application) == ("address_velocity", "review", third)
    assert alert.evidence == {"applicants": 3, "days": 30}
    decide(application=third, approve=True, decided_by=staff["supervisor"])  # a review alert does not hold


def test_a_staff_member_whose_approvals_stand_out(staff, settings):
    from cityid.accounts.services import create_staff
    from tests.conftest import complete_enrolment

    settings.CITYID_MATCH_APPROVAL_MINIMUM = 3
    settings.CITYID_MATCH_APPROVAL_RATIO = 2
    peer = complete_enrolment(create_staff(username="supervisor2", role="supervisor", email="s2@x.invalid"))
    applications = [enroll(staff, person(index)) for index in range(5)]
    decide(application=applications[0], approve=True, decided_by=peer)
    for application in applications[1:3]:
        decide(application=application, approve=True, decided_by=staff["supervisor"])
    assert not Alert.objects.exists()  # 2 approvals: under the minimum
    decide(application=applications[3], approve=True, decided_by=staff["supervisor"])
    alert = Alert.objects.get()
    assert (alert.kind, alert.staff_id, alert.application) == ("approval_outlier", staff["supervisor"].pk, None)
    assert alert.evidence == {"approvals": 3, "peer_median": 1, "peers": 1, "days": 7}
    decide(application=applications[4], approve=True, decided_by=staff["supervisor"])
    assert Alert.objects.count() == 1  # one open alert per staff member
    with pytest.raises(MatchingRefused):
        services.decide(alert=alert, actor=staff["fraud_analyst"], decision="same_person")
    services.decide(alert=alert, actor=staff["fraud_analyst"], decision="no_concern")
    assert AuditEntry.objects.filter(action="match.decide", target=alert.ref, purpose="alert:no_concern").exists()


class BrokenIndex:
    """A matcher that is down: it can be built, but answers nothing."""

    @classmethod
    def create(cls, *, subkey, keys_of):
        return cls()

    def replace_all(self, people):
        list(people)

    def upsert(self, people):
        raise ConnectionError("down")

    def remove(self, ids):
        raise ConnectionError("down")

    def forget_key(self, key_id):
        return []

    def key_ids(self):
        return set()

    def candidates(self, record, *, limit):
        raise ConnectionError("down")

    def holders(self, key):
        raise ConnectionError("down")

    def get(self, person_id):
        return None

    def size(self):
        return 0


def test_when_the_matcher_is_down_the_application_is_queued_and_cannot_be_approved(staff, settings):
    enroll(staff, person(0))
    settings.CITYID_MATCHER_BACKEND = "tests.matching.test_realtime.BrokenIndex"
    services.reset_index()
    warnings = services.submission_check(person(0), staff["clerk"])
    assert warnings and "not available" in warnings[0]
    second = enroll(staff, person(0, given_name="Oluwasegun"))  # nothing crashes
    check = MatchCheck.objects.get(application=second)
    assert check.status == "queued"
    assert not Alert.objects.exists()
    with pytest.raises(MatchingRefused) as refused:
        decide(application=second, approve=True, decided_by=staff["supervisor"])
    assert refused.value.code == "queued"
    assert isinstance(refused.value, Exception) and not isinstance(refused.value, DecisionRefused)

    settings.CITYID_MATCHER_BACKEND = "memory"
    assert services.recheck_queued(actor=None) == 1
    check.refresh_from_db()
    assert check.status == "checked"
    assert Alert.objects.get().application == second
    assert AuditEntry.objects.filter(action="personal.decrypt", purpose="matching:check",
                                     target=second.applicant.ref).exists()


def test_the_index_is_rebuilt_from_the_encrypted_store_through_an_audited_read(staff):
    first = enroll(staff, person(0))
    services.reset_index()
    index = services.matcher()
    assert index.get(first.applicant.pk).record.family_name == "Adeyemi"
    assert AuditEntry.objects.filter(action="personal.decrypt", purpose="matching:index",
                                     target=first.applicant.ref).exists()


def test_a_destroyed_cohort_leaves_the_index_at_once(staff):
    gone = enroll(staff, person(0), today=date(2026, 11, 20))
    kept = enroll(staff, person(1, submitted_on=date(2026, 6, 2)))
    assert _key_id(gone) != _key_id(kept)
    index = services.matcher()
    assert index.get(gone.applicant.pk) is not None
    vault.destroy_key(_key_id(gone))  # what a disposition run calls
    assert index.get(gone.applicant.pk) is None
    assert _key_id(gone) not in index.key_ids()
    assert index.get(kept.applicant.pk) is not None
    assert services.check_record(services.record_of_input(person(0)), since=date(2026, 11, 20)).duplicates == []


def test_a_key_destroyed_by_another_process_leaves_before_the_next_check(staff):
    from cityid.vault.providers import get_provider

    gone = enroll(staff, person(0))
    services.matcher()
    get_provider().destroy_key(_key_id(gone))  # not through this process's listener
    assert services.check_record(services.record_of_input(person(0)), since=date(2026, 11, 20)).duplicates == []
    assert services.matcher().get(gone.applicant.pk) is None


def test_a_held_record_stays_matchable_when_its_cohort_is_destroyed(staff, django_capture_on_commit_callbacks):
    from cityid.retention import services as retention

    held = enroll(staff, person(0))
    cohort_key = _key_id(held)
    services.matcher()
    with django_capture_on_commit_callbacks(execute=True):
        retention.place_hold(case_name="Case", court="N.Y. Sup. Ct.", scope=f"subject:{held.applicant.public_id}",
                             placed_by=staff["counsel"])
    hold_key = _key_id(held)
    assert hold_key.startswith("hold:")
    assert services.matcher().get(held.applicant.pk).key_id == hold_key
    vault.destroy_key(cohort_key)
    result = services.check_record(services.record_of_input(person(0, given_name="Oluwasegun")),
                                   since=date(2026, 11, 20))
    assert [found.person.id for found in result.duplicates] == [held.applicant.pk]


def test_decisions_are_kept_as_labels(staff):
    from cityid.matching.selectors import labelled_pairs

    first = enroll(staff, person(0))
    second = enroll(staff, person(0, given_name="Oluwasegun"))
    alert = Alert.objects.get()
    services.decide(alert=alert, actor=staff["fraud_analyst"], decision="fraud", position=1)
    (label,) = labelled_pairs(actor=staff["fraud_analyst"])
    assert label["left"] == str(second.applicant.public_id) and label["right"] == str(first.applicant.public_id)
    assert (label["decision"], label["same"], label["kind"]) == ("fraud", True, "duplicate")


def test_attack_a_destroyed_applicants_decision_leaves_the_labels(staff):
    """The labels are pseudonymous ids beside a decision (fraud, say): once the city destroys one side's data, the
    pair leaves the labels, whether the run has only destroyed the key or has deleted the record too."""
    from cityid.matching.selectors import labelled_pairs
    from cityid.vault.services import delete_records_of_key

    first = enroll(staff, person(0))
    second = enroll(staff, person(0, given_name="Oluwasegun"))
    services.decide(alert=Alert.objects.get(), actor=staff["fraud_analyst"], decision="fraud", position=1)
    analyst = staff["fraud_analyst"]
    assert len(labelled_pairs(actor=analyst)) == 1
    key_id = _key_id(first)
    vault.destroy_key(key_id)  # a disposition run: the key first
    assert labelled_pairs(actor=analyst) == []
    delete_records_of_key(key_id)  # then the records
    assert labelled_pairs(actor=analyst) == []
    assert str(first.applicant.public_id) not in str(labelled_pairs(actor=analyst))
    assert second.applicant.public_id  # the other applicant is still there, only the pair has gone


def test_an_imported_approval_of_a_near_duplicate_is_kept_and_left_for_an_analyst(staff):
    """Migrating a program imports its decisions as history: a held duplicate is not refused (that would lose the
    record and stop `cityid seed` and the import), it is stored with its card and its alert waits for an analyst."""
    from cityid.cards.models import Card
    from cityid.enrollment.imports import import_records

    first = enroll(staff, person(0))
    decide(application=first, approve=True, decided_by=staff["supervisor"])
    twin = person(0, given_name="Oluwasegun")
    for doc in twin.documents:
        doc.number += "9"
    [imported] = import_records([(twin, {"decision": "approved", "decided": date(2026, 11, 21)})], actor=None)
    imported.refresh_from_db()
    assert imported.status == "approved" and Card.objects.filter(application=imported).exists()
    alert = Alert.objects.get(application=imported)
    assert (alert.kind, alert.level, alert.status) == ("duplicate", "hold", "open")


def test_attack_a_supervisor_cannot_import_their_way_round_a_held_duplicate(staff):
    """Only the host operator's migration imports approvals as history: a supervisor's import file marking a held
    duplicate "approved" is refused like the supervisor's own approval, and nothing of the line is stored."""
    from cityid.cards.models import Card
    from cityid.enrollment.imports import LineInvalid, import_records
    from cityid.enrollment.models import Application

    first = enroll(staff, person(0))
    decide(application=first, approve=True, decided_by=staff["supervisor"])
    twin = person(0, given_name="Oluwasegun")
    for doc in twin.documents:
        doc.number += "9"
    applications, cards = Application.objects.count(), Card.objects.count()
    with pytest.raises(LineInvalid) as refused:
        import_records([(twin, {"decision": "approved", "decided": date(2026, 11, 21)})], actor=staff["supervisor"])
    assert refused.value.code == "decision_refused"
    assert (Application.objects.count(), Card.objects.count()) == (applications, cards)
