"""The fraud analysts' review queue: who sees it, the side-by-side read through an open alert, decisions; and the
attacks (another role, an applicant the alert does not name, a decided alert, forged ids)."""

from __future__ import annotations

import uuid

import pytest

from cityid.accounts.policy import ROLES
from cityid.audit.models import AuditEntry
from cityid.enrollment import selectors as enrollment
from cityid.matching.models import Alert
from tests.audit.helpers import sign_in
from tests.matching.helpers import enroll, person


@pytest.fixture
def alert(staff):
    first = enroll(staff, person(0))
    twin = person(0, given_name="Oluwasegun")
    for doc in twin.documents:
        doc.number += "9"
    enroll(staff, twin)
    enroll(staff, person(1))  # someone the alert does not name
    found = Alert.objects.get()
    found.first = first
    return found


def test_an_analyst_lists_compares_and_decides(staff, alert):
    analyst = staff["fraud_analyst"]
    client = sign_in(analyst)
    html = client.get("/matching/").content.decode()
    assert str(alert.public_id) in html and "Oluwase" not in html  # the list holds no personal data
    assert client.get("/matching/?sort=score&status=open", headers={"HX-Request": "true"}).status_code == 200
    html = client.get(f"/matching/{alert.public_id}/").content.decode()
    assert "Compare with record 1" in html and "Adeyemi" not in html

    html = client.get(f"/matching/{alert.public_id}/compare/1/").content.decode()
    assert "Oluwasegun" in html and "Oluwaseun" in html and "Adeyemi" in html
    assert "date_of_birth" in html or "Date of birth" in html
    reads = AuditEntry.objects.filter(action="personal.read", actor=f"staff:{analyst.pk}", purpose=alert.ref)
    assert reads.count() == 2

    asked = client.post(f"/matching/{alert.public_id}/compare/1/", {"decision": "same_person"})  # final: asked
    assert asked.status_code == 200 and "data-confirm" in asked.content.decode()
    assert "Oluwase" not in asked.content.decode() and not AuditEntry.objects.filter(action="match.decide").exists()
    response = client.post(f"/matching/{alert.public_id}/compare/1/", {"decision": "same_person", "confirmed": "yes"})
    assert response.status_code == 302
    alert.refresh_from_db()
    assert (alert.status, alert.decision) == ("closed", "same_person")
    entry = AuditEntry.objects.get(action="match.decide")
    assert (entry.actor, entry.target, entry.purpose) == (f"staff:{analyst.pk}", alert.ref, "pair:1:same_person")


def test_in_spanish(staff, alert):
    client = sign_in(staff["fraud_analyst"])
    html = client.get("/matching/", headers={"Accept-Language": "es"}).content.decode()
    assert "Alertas de duplicados y fraude" in html


@pytest.mark.parametrize("role", sorted(set(ROLES) - {"fraud_analyst"}))
def test_attack_another_role_sees_no_alert_and_no_record(staff, alert, role):
    client = sign_in(staff[role])
    for url in ("/matching/", f"/matching/{alert.public_id}/", f"/matching/{alert.public_id}/compare/1/"):
        assert client.get(url).status_code == 403
    response = client.post(f"/matching/{alert.public_id}/compare/1/", {"decision": "different_people"})
    assert response.status_code == 403
    alert.refresh_from_db()
    assert alert.status == "open"
    assert not AuditEntry.objects.filter(action="personal.read", actor=f"staff:{staff[role].pk}").exists()


def test_attack_an_analyst_cannot_read_an_applicant_the_alert_does_not_name(staff, alert):
    analyst = staff["fraud_analyst"]
    stranger = enrollment.applicants_by_id([a for a in enrollment.applicant_ids_after(0)
                                            if a not in (alert.applicant_id, alert.first.applicant_id)])
    (outsider,) = stranger.values()
    with pytest.raises(enrollment.PurposeInvalid):
        enrollment.read_applicant_for_reason(applicant=outsider, actor=analyst, purpose=alert.ref)
    assert AuditEntry.objects.filter(action="access.denied", target=outsider.ref, actor=f"staff:{analyst.pk}").exists()
    # Nor through a case, nor through the clerks' read, nor with no alert at all.
    application = outsider.applications.get()
    with pytest.raises(enrollment.PurposeInvalid):
        enrollment.read_applicant_for_reason(applicant=outsider, actor=analyst, purpose=application.ref)
    with pytest.raises(enrollment.PermissionDenied):
        enrollment.read_applicant(applicant=outsider, actor=analyst, purpose=application.ref)
    with pytest.raises(enrollment.PurposeInvalid):
        enrollment.read_applicant_for_reason(applicant=outsider, actor=analyst, purpose=f"match_alert:{uuid.uuid4()}")


def test_attack_a_decided_alert_opens_no_record(staff, alert):
    analyst = staff["fraud_analyst"]
    client = sign_in(analyst)
    client.post(f"/matching/{alert.public_id}/compare/1/", {"decision": "different_people", "confirmed": "yes"})
    response = client.get(f"/matching/{alert.public_id}/compare/1/")
    assert response.status_code == 403
    assert "Oluwase" not in response.content.decode()
    assert AuditEntry.objects.filter(action="access.denied", target=alert.ref, outcome="denied").exists()
    with pytest.raises(enrollment.PurposeInvalid):
        enrollment.read_applicant_for_reason(applicant=alert.applicant, actor=analyst, purpose=alert.ref)
    # A second decision on a decided alert is refused, and the first stands.
    client.post(f"/matching/{alert.public_id}/compare/1/", {"decision": "fraud"})
    alert.refresh_from_db()
    assert alert.decision == "different_people"


@pytest.mark.parametrize("path", [
    "/matching/{forged}/", "/matching/{forged}/compare/1/", "/matching/not-a-uuid/", "/matching/../admin/",
    "/matching/{real}/compare/2/", "/matching/{real}/compare/0/",
])
def test_attack_forged_ids(staff, alert, path):
    client = sign_in(staff["fraud_analyst"])
    url = path.format(forged=uuid.uuid4(), real=alert.public_id)
    response = client.get(url)
    assert response.status_code in (403, 404)
    assert "Oluwase" not in response.content.decode()
    response = client.post(url, {"decision": "same_person"})
    assert response.status_code in (302, 403, 404, 405)
    alert.refresh_from_db()
    assert alert.status == "open"


def test_attack_an_unknown_decision_is_refused(staff, alert):
    client = sign_in(staff["fraud_analyst"])
    client.post(f"/matching/{alert.public_id}/compare/1/", {"decision": "no_concern"})
    client.post(f"/matching/{alert.public_id}/compare/1/", {"decision": "<script>"})
    alert.refresh_from_db()
    assert alert.status == "open" and not AuditEntry.objects.filter(action="match.decide").exists()


def test_a_decision_on_approvals_that_stand_out_is_confirmed_without_naming_an_application(staff):
    outlier = Alert.objects.create(kind="approval_outlier", level="review", staff=staff["supervisor"], score=3.0,
                                   evidence={"approvals": 30, "peer_median": 10, "peers": 2, "days": 7})
    client = sign_in(staff["fraud_analyst"])
    asked = client.post(f"/matching/{outlier.public_id}/decide/", {"decision": "fraud"})
    html = asked.content.decode()
    assert asked.status_code == 200 and "data-confirm" in html
    assert "The alert is closed as fraud." in html and "The application" not in html
    outlier.refresh_from_db()
    assert outlier.status == "open" and not AuditEntry.objects.filter(action="match.decide").exists()
    client.post(f"/matching/{outlier.public_id}/decide/", {"decision": "fraud", "confirmed": "yes"})
    outlier.refresh_from_db()
    assert (outlier.status, outlier.decision) == ("closed", "fraud")
    assert AuditEntry.objects.filter(action="match.decide", purpose="alert:fraud").count() == 1
