"""A hold's case name, index number, notes and subject scope are sealed at rest and read by counsel only.

Before this change they were clear columns, and the auditor's and records officer's hold pages showed
the case name and notes."""

from __future__ import annotations

import pytest
from django.db import connection

from cityid.audit.models import AuditEntry
from cityid.retention import services
from cityid.retention.models import HeldRecord, LegalHold
from tests.retention.test_views import scheduled, sign_in  # noqa: F401 (fixture)

CASE, INDEX, NOTES = "Canarycase v. City", "CANARYIDX-77", "Canarynote about the petitioner"


@pytest.fixture
def hold(staff, scheduled):  # noqa: F811
    from cityid.enrollment.models import Applicant

    subject = Applicant.objects.order_by("pk").first()
    placed = services.place_hold(case_name=CASE, court="Supreme Court", index_number=INDEX, notes=NOTES,
                                 scope=f"class:documents, subject:{subject.public_id}", placed_by=staff["counsel"])
    return placed, str(subject.public_id)


def test_nothing_of_the_case_or_its_subject_is_stored_in_clear(hold):
    placed, subject = hold
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM retention_legalhold")
        stored = repr(cursor.fetchall())
    for secret in (CASE, INDEX, NOTES, subject):
        assert secret not in stored
    assert HeldRecord.objects.filter(hold=placed).count() == 1  # the scope was applied all the same
    assert LegalHold.objects.get().scope_outline == "class:documents, subject:…"


@pytest.mark.parametrize("role", ["auditor", "records_officer"])
def test_readers_other_than_counsel_see_court_dates_and_outline_only(staff, hold, role):
    placed, subject = hold
    client = sign_in(staff[role])
    for url in ("/retention/holds/", f"/retention/holds/{placed.pk}/"):
        html = client.get(url).content.decode()
        assert "Supreme Court" in html and "class:documents" in html
        for secret in (CASE, INDEX, NOTES, subject):
            assert secret not in html
    assert not AuditEntry.objects.filter(action="hold.read").exists()


def test_counsel_reads_the_details_logged(staff, hold):
    placed, subject = hold
    html = sign_in(staff["counsel"]).get(f"/retention/holds/{placed.pk}/").content.decode()
    assert CASE in html and INDEX in html and NOTES in html and subject in html
    entry = AuditEntry.objects.get(action="hold.read")
    assert entry.target == f"hold:{placed.pk}"


def test_the_disposition_preview_names_a_hold_by_id_and_court(staff, hold):
    import io

    from django.core.management import call_command

    placed, subject = hold
    page = sign_in(staff["records_officer"]).get("/retention/preview/?as_of=2017-01-02").content.decode()
    assert f"/retention/holds/{placed.pk}/" in page and "Supreme Court" in page and CASE not in page
    out = io.StringIO()
    call_command("retention", "preview", "--as-of", "2017-01-02", "--actor", "records_officer1", stdout=out)
    assert "Supreme Court" in out.getvalue() and CASE not in out.getvalue()
