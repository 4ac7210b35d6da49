"""Attacks on matching once cards, disclosure and retention are merged beside it: a fraud analyst with an open
alert tries every other door to the people it names (and to others), and a cohort destroyed by a real two-person
disposition run leaves the index, the alert pages and later checks."""

from __future__ import annotations

from datetime import date

import pytest

from cityid.audit.models import AuditEntry
from cityid.matching import services
from cityid.matching.models import Alert
from tests.audit.helpers import sign_in
from tests.conftest import complete_enrolment
from tests.matching.helpers import enroll, person

pytestmark = pytest.mark.django_db

NAMES = ("Oluwase", "Adeyemi", "Tanaka", "P1111111", "Harbor")


@pytest.fixture
def alert(staff):
    from cityid.enrollment.services import decide

    first = enroll(staff, person(0))
    decide(application=first, approve=True, decided_by=staff["supervisor"])
    enroll(staff, person(0, given_name="Oluwasegun"))
    stranger = enroll(staff, person(1))
    decide(application=stranger, approve=True, decided_by=staff["supervisor"])
    found = Alert.objects.get(kind="duplicate")
    found.first, found.stranger = first, stranger
    return found


def test_attack_an_analyst_with_an_open_alert_finds_no_other_door(staff, alert):
    """With an open alert naming two people, the analyst tries the clerks' record page with the alert as purpose,
    the photo and scan downloads, the cards pages, the law-enforcement and FOIL pages, for the people named and for
    a stranger: every one refused, nothing personal on any answer, and no read logged but the comparisons'."""
    analyst = staff["fraud_analyst"]
    client = sign_in(analyst)
    client.raise_request_exception = False
    named, stranger = alert.first, alert.stranger
    urls = []
    for application in (named, alert.application, stranger):
        applicant = application.applicant
        urls += [f"/enrollment/applicants/{applicant.public_id}/?purpose={alert.ref}",
                 f"/enrollment/applicants/{applicant.public_id}/?purpose=match_alert:{alert.public_id}",
                 f"/enrollment/applicants/{applicant.public_id}/photo/",
                 f"/enrollment/applications/{application.public_id}/scans/1/",
                 f"/enrollment/applications/{application.public_id}/",
                 f"/enrollment/submitted/{application.public_id}/",
                 "/enrollment/search/", "/cards/"]
        card = getattr(application, "card", None)
        if card is not None:
            urls.append(f"/cards/{card.pk}/")
    urls += ["/law-enforcement/", "/disclosure/foil/", "/retention/holds/", "/audit/events/"]
    for url in urls:
        response = client.get(url)
        assert response.status_code in (403, 404), url
        assert not any(name in response.content.decode() for name in NAMES), url
    # The one door: the comparison, for the pair the alert names; any other position opens nothing.
    for position in (0, 2, 99):
        response = client.get(f"/matching/{alert.public_id}/compare/{position}/")
        assert response.status_code in (403, 404) and "Tanaka" not in response.content.decode()
    assert client.get(f"/matching/{alert.public_id}/compare/1/").status_code == 200
    reads = AuditEntry.objects.filter(action__in=["personal.read", "personal.decrypt"], actor=f"staff:{analyst.pk}")
    assert sorted(reads.values_list("target", flat=True)) == sorted([alert.applicant.ref, named.applicant.ref])
    assert set(reads.values_list("purpose", flat=True)) == {alert.ref}


def test_a_disposition_run_takes_the_named_people_out_of_the_index_and_the_alert_pages(
        staff, alert, django_capture_on_commit_callbacks):
    """The application and documents cohorts of everyone are destroyed by a real run (two records officers): the
    index holds nobody, the open alert's pages show nothing of them, and the same person enrolling again raises no
    alert naming the destroyed applicants."""
    from cityid.accounts.services import create_staff
    from cityid.retention import services as retention

    officer = staff["records_officer"]
    second = complete_enrolment(create_staff(username="records_officer2", role="records_officer"))
    index = services.matcher()
    named = [alert.applicant.pk, alert.first.applicant.pk]
    assert all(index.get(pk) is not None for pk in named)
    with django_capture_on_commit_callbacks(execute=True):  # each step commits, as from the pages
        for record_class in ("application", "documents"):
            retention.set_schedule(record_class=record_class, approved_by=officer, fixed_date=date(2016, 12, 31))
    with django_capture_on_commit_callbacks(execute=True):
        for record_class in ("application", "documents"):
            retention.apply_schedule(record_class=record_class)
    assert all(index.get(pk).key_id == "cohort:application/2016-12" for pk in named)
    with django_capture_on_commit_callbacks(execute=True):
        retention.run_disposition(as_of=date(2017, 1, 2), approvers=[officer, second])
    index = services.matcher()
    assert all(index.get(pk) is None for pk in named)
    assert index.size() == 0

    client = sign_in(staff["fraud_analyst"])
    pages = ["/matching/", "/matching/?status=closed"]
    if Alert.objects.filter(pk=alert.pk).exists():
        pages += [f"/matching/{alert.public_id}/", f"/matching/{alert.public_id}/compare/1/"]
    for url in pages:
        response = client.get(url)
        assert response.status_code in (200, 403, 404), url
        assert [name for name in NAMES if name in response.content.decode()] == [], url

    again = enroll(staff, person(0, given_name="Oluwaseun"), today=date(2026, 11, 22))
    assert not Alert.objects.filter(application=again).exists()


def test_attack_a_move_told_after_its_key_is_destroyed_takes_the_people_out(staff, alert,
                                                                           django_capture_on_commit_callbacks):
    """The schedule moves every application record to one cohort and the run destroys it before the move's
    listener runs (one transaction, or another process's run between the commit and the listener): hashing
    under the destroyed key failed half-way, and the people not yet moved stayed in the index under their old,
    live key, matchable after their data was destroyed. Now they leave."""
    from cityid.accounts.services import create_staff
    from cityid.retention import services as retention

    officer = staff["records_officer"]
    second = complete_enrolment(create_staff(username="records_officer2", role="records_officer"))
    index = services.matcher()
    named = [alert.applicant.pk, alert.first.applicant.pk, alert.stranger.applicant.pk]
    assert all(index.get(pk) is not None for pk in named)
    with django_capture_on_commit_callbacks(execute=True):  # the move's listener runs after the destruction
        retention.set_schedule(record_class="application", approved_by=officer, fixed_date=date(2016, 12, 31))
        retention.apply_schedule(record_class="application")
        retention.run_disposition(as_of=date(2017, 1, 2), approvers=[officer, second])
    assert [pk for pk in named if services.matcher().get(pk) is not None] == []
    assert services.check_record(services.record_of_input(person(0)), since=date(2026, 11, 22)).duplicates == []


def test_attack_the_duplicate_warning_is_no_silent_oracle(staff, settings):
    """A clerk types someone's name, date of birth and passport number into the enrollment form, not to enroll
    them but to learn whether they hold a card, and never submits: the warning answers "enrolled or not". Each
    such check is now a counted, logged read of the clerk's: in the audit log (who, whether it warned, no value
    typed), toward their read-rate alert, and past their limit not answered at all."""
    import uuid

    from cityid.enrollment.models import Application
    from tests.enrollment.test_form_staging import _form, _jpeg

    def form(**values):
        return _form(form_token=uuid.uuid4().hex, photo=_jpeg("photo.jpg"), **values)

    enroll(staff, person(0))
    clerk = staff["clerk"]
    client = sign_in(clerk)
    probe = dict(given_name="Oluwaseun", family_name="Adeyemi", date_of_birth="1984-02-17", line1="19 Harbor Rd",
                 postcode="11201", city="New York", **{"doc-0-number": "P1111111"})
    response = client.post("/enrollment/new/", form(**probe))
    assert response.status_code == 200 and "may already be enrolled" in response.content.decode()
    assert Application.objects.count() == 1  # the probe stored nothing
    checks = AuditEntry.objects.filter(action="match.submission_check", actor=f"staff:{clerk.pk}")
    assert [entry.purpose for entry in checks] == ["warnings:1"]
    for entry in checks:
        leaf = bytes(entry.entry).decode()
        assert not any(value in leaf for value in ("Oluwaseun", "Adeyemi", "1984", "P1111111", "Harbor"))

    settings.CITYID_READ_LIMIT_PER_HOUR = 3
    for _attempt in range(3):
        response = client.post("/enrollment/new/", form(**probe))
    html = response.content.decode()
    assert "may already be enrolled" not in html and "limit of reads" in html
    assert AuditEntry.objects.filter(action="match.submission_check", outcome="denied").exists()
