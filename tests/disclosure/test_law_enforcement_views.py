"""The law-enforcement staff pages: logging on receipt, counsel's review and production, by role, in EN and ES."""

from __future__ import annotations

import uuid

import pytest

from cityid.audit.models import AuditEntry
from cityid.disclosure import law_enforcement_services as services
from cityid.disclosure.law_enforcement_models import LawEnforcementRequest, ProducedItem
from tests.conftest import jpeg_bytes
from tests.disclosure.conftest import CANARIES
from tests.retention.test_views import messages_of, sign_in

pytestmark = pytest.mark.django_db

LIST = "/law-enforcement/"


def form_data(enrolled, **overrides):
    data = {
        "agency_type": "federal_immigration", "agency": "Canary Precinct", "officer": "Det. Canaryofficer #123",
        "legal_process": "court_order", "reference": "CANARY-IDX-77", "received_on": "2026-11-24",
        "subjects": enrolled.applicant.ref, "search": "canary search text", "kinds": ["record", "photo"],
        "notes": "Canarynote",
    }
    data.update(overrides)
    return data


def test_a_clerk_logs_a_request_and_counsel_produces_it(staff, enrolled) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    clerk = sign_in(staff["clerk"])
    empty = clerk.get(LIST)
    assert empty.status_code == 200 and "No request is open." in empty.content.decode()
    upload = SimpleUploadedFile("warrant.jpg", jpeg_bytes(), content_type="image/jpeg")
    response = clerk.post(f"{LIST}new/", {**form_data(enrolled), "document": upload})
    assert response.status_code == 302, response.content.decode()[:2000]
    request = LawEnforcementRequest.objects.get()
    assert response["Location"] == f"{LIST}{request.public_id}/"
    page = clerk.get(response["Location"]).content.decode()
    # The clerk sees the clear facts, never the sealed details, and cannot decide.
    assert request.number in page and "Federal immigration enforcement" in page
    assert not any(canary in page for canary in CANARIES) and enrolled.applicant.ref not in page
    assert "Counsel&#x27;s decision" not in page and "Counsel's decision" not in page
    assert clerk.post(f"{LIST}{request.public_id}/change/", {"change": "review"}).status_code == 403
    listing = clerk.get(LIST).content.decode()
    assert request.number in listing and not any(canary in listing for canary in CANARIES)

    counsel = sign_in(staff["counsel"])
    detail = counsel.get(f"{LIST}{request.public_id}/").content.decode()
    assert "Det. Canaryofficer #123" in detail and enrolled.applicant.ref in detail and "Document 1" in detail
    assert counsel.post(f"{LIST}{request.public_id}/change/", {"change": "review"}).status_code == 302
    order = {"change": "produce", "ordered_subjects": enrolled.applicant.ref, "ordered_kinds": ["record"]}
    asked = counsel.post(f"{LIST}{request.public_id}/change/", order)  # a final decision: asked first
    assert asked.status_code == 200 and "data-confirm" in asked.content.decode()
    request.refresh_from_db()
    assert request.status == "under_review"
    ordered = counsel.post(f"{LIST}{request.public_id}/change/", {**order, "confirmed": "yes"})
    assert ordered.status_code == 302
    item = {"subject": enrolled.applicant.ref, "kind": "record"}
    asked = counsel.post(f"{LIST}{request.public_id}/produce/", item)  # handed over once: asked first
    assert asked.status_code == 200 and "data-confirm" in asked.content.decode() and b"Canaryname" not in asked.content
    assert not ProducedItem.objects.exists()
    download = counsel.post(f"{LIST}{request.public_id}/produce/", {**item, "confirmed": "yes"})
    assert download.status_code == 200 and download["Content-Disposition"].startswith("attachment;")
    assert b"Canaryname" in download.content
    again = counsel.post(f"{LIST}{request.public_id}/produce/", {**item, "confirmed": "yes"}, follow=True)
    assert b"Canaryname" not in again.content and messages_of(again)
    assert ProducedItem.objects.count() == 1
    request.refresh_from_db()
    assert request.status == "produced"
    document = counsel.get(f"{LIST}{request.public_id}/documents/{request.documents.get().pk}/")
    assert document.status_code == 200 and document.content[:3] == b"\xff\xd8\xff"
    # No URL carried personal data, and no audit leaf either.
    for entry in AuditEntry.objects.all():
        assert not any(canary in f"{entry.target} {entry.purpose}" for canary in CANARIES)


def test_the_logging_form_refuses_bad_input_with_clear_messages(staff, enrolled) -> None:
    clerk = sign_in(staff["clerk"])
    response = clerk.post(f"{LIST}new/", form_data(enrolled, received_on="2030-01-01"))
    assert response.status_code == 200 and "the date received is in the future" in response.content.decode()
    response = clerk.post(f"{LIST}new/", form_data(enrolled, subjects="Maria Canaryname", search=""))
    assert "pseudonymous id" in response.content.decode()
    response = clerk.post(f"{LIST}new/", form_data(enrolled, agency=""))
    assert response.status_code == 200 and "usa-form-group--error" in response.content.decode()
    from django.core.files.uploadedfile import SimpleUploadedFile

    hostile = SimpleUploadedFile("x.pdf", b"MZ\x90\x00 not a document", content_type="application/pdf")
    response = clerk.post(f"{LIST}new/", {**form_data(enrolled), "document": hostile})
    assert response.status_code == 200
    assert not LawEnforcementRequest.objects.exists()


@pytest.mark.parametrize("role", ["fraud_analyst", "card_production", "records_officer", "foil_officer", "auditor",
                                  "admin"])
def test_attack_another_role_reaches_no_page(staff, enrolled, role) -> None:
    request = services.log_request(agency_type="court", legal_process="court_order", received_on=enrolled.submitted_on,
                                   agency="A", officer="B", subjects=enrolled.applicant.ref, logged_by=staff["clerk"])
    client = sign_in(staff[role])
    for url in (LIST, f"{LIST}new/", f"{LIST}{request.public_id}/",
                f"{LIST}{request.public_id}/documents/1/"):
        assert client.get(url).status_code == 403, url
    assert client.post(f"{LIST}{request.public_id}/produce/",
                       {"subject": enrolled.applicant.ref, "kind": "record"}).status_code == 403


def test_attack_forged_and_foreign_ids_are_not_found(staff, enrolled) -> None:
    request = services.log_request(agency_type="court", legal_process="court_order", received_on=enrolled.submitted_on,
                                   agency="A", officer="B", subjects=enrolled.applicant.ref,
                                   logged_by=staff["supervisor"])
    counsel = sign_in(staff["counsel"])
    assert counsel.get(f"{LIST}{uuid.uuid4()}/").status_code == 404
    assert counsel.get(f"{LIST}{request.pk}/").status_code == 404
    assert counsel.get(f"{LIST}{request.public_id}/documents/999/").status_code == 404
    clerk = sign_in(staff["clerk"])  # a clerk sees only what they logged
    assert clerk.get(f"{LIST}{request.public_id}/").status_code == 404


def test_pages_in_spanish_paginated(staff, enrolled) -> None:
    for _ in range(27):
        services.log_request(agency_type="local_police", legal_process="judicial_warrant",
                             received_on=enrolled.submitted_on, agency="A", officer="B",
                             subjects=enrolled.applicant.ref, logged_by=staff["clerk"])
    counsel = sign_in(staff["counsel"])
    counsel.post("/i18n/setlang/", {"language": "es", "next": "/"})
    first = counsel.get(LIST).content.decode()
    assert "Solicitudes de las fuerzas del orden" in first and "Policía local" in first
    assert "usa-pagination" in first
    second = counsel.get(f"{LIST}?page=2").content.decode()
    assert second.count("LE-2026-") == 2
    assert "Registrar una solicitud" in counsel.get(f"{LIST}new/").content.decode()


def test_the_logging_clerk_names_the_subjects_a_search_found(staff, enrolled) -> None:
    clerk = sign_in(staff["clerk"])
    clerk.post(f"{LIST}new/", form_data(enrolled, subjects=""))
    request = LawEnforcementRequest.objects.get()
    page = clerk.get(f"{LIST}{request.public_id}/").content.decode()
    assert "Subjects found by the search" in page
    response = clerk.post(f"{LIST}{request.public_id}/subjects/", {"subjects": enrolled.applicant.ref}, follow=True)
    assert "added to the request" in " ".join(messages_of(response))
    request.refresh_from_db()
    assert request.subjects_requested == 1
    counsel = sign_in(staff["counsel"])
    assert "Subjects found by the search" not in counsel.get(f"{LIST}{request.public_id}/").content.decode()
    refused = counsel.post(f"{LIST}{request.public_id}/subjects/", {"subjects": enrolled.applicant.ref}, follow=True)
    assert "does not add to it" in " ".join(messages_of(refused))


def test_a_refused_change_is_worded_with_labels_not_codes(staff, enrolled) -> None:
    """A change sent twice (two tabs, a replayed form) is refused in the reader's words: no status code."""
    request = services.log_request(agency_type="court", legal_process="administrative_subpoena",
                                   received_on=enrolled.submitted_on, agency="A", officer="B",
                                   subjects=enrolled.applicant.ref, logged_by=staff["clerk"])
    counsel = sign_in(staff["counsel"])
    counsel.cookies["django_language"] = "es"
    counsel.post(f"{LIST}{request.public_id}/change/", {"change": "review"})
    again = counsel.post(f"{LIST}{request.public_id}/change/", {"change": "review"}, follow=True)
    words = " ".join(messages_of(again))
    assert "Empezar la revisión" in words, words
    assert "under_review" not in words and "'review'" not in words
    order = counsel.post(f"{LIST}{request.public_id}/change/", {
        "change": "produce", "ordered_subjects": enrolled.applicant.ref, "confirmed": "yes"}, follow=True)
    text = order.content.decode()
    assert "administrative_subpoena" not in text and "citación administrativa" in text.lower()
