"""Nothing personal leaves: canary applicants, with a unique marker in every personal field, are enrolled,
given cards, and named in a law-enforcement request that is produced; then every public output is gathered —
the statistics dashboard, its CSV, JSON and charts, both release modes, the ``report`` command's output, the
transparency report (page, PDF text, JSON), and the public FOIL pages and API — and none may hold any of
their values."""

from __future__ import annotations

import io
import json
from datetime import date

import pytest
from django.core.management import call_command
from pypdf import PdfReader

from tests.conftest import jpeg_bytes, make_input, with_number

pytestmark = pytest.mark.django_db

DIMENSIONS = ("month", "borough", "language", "age_band", "application_type", "decision")


def _canary(index: int):
    from cityid.enrollment.inputs import DocumentInput

    tag = f"Qzx{index}"
    return make_input(
        given_name=f"{tag}givenmarker", family_name=f"{tag}familymarker", date_of_birth=date(1937, 3, 10 + index),
        address={"kind": "residential", "line1": f"1 {tag}streetmarker Pl", "line2": f"Apt {tag}aptmarker",
                 "city": "Queens", "postcode": "11373", "borough": "queens", "care_of": ""},
        documents=[
            DocumentInput(type="foreign_passport", number=f"{tag.upper()}PASS771", issuer=f"{tag}issuermarker",
                          expires=date(2031, 1, 1), scan=jpeg_bytes(color=(9, 9, index))),
            DocumentInput(type="utility_bill", number=f"{tag.upper()}BILL882", issuer="Con Edison"),
        ],
        emergency_contact={"name": f"{tag}contactmarker", "phone": "+1 718 555 0142"},
        email=f"{tag.lower()}mailmarker@example.invalid", phone="+1 347 555 0177",
        submitted_on=date(2026, 11, 2), languages=["yi"],
    )


def _markers(applications) -> list[str]:
    values = []
    for index, application in enumerate(applications):
        tag = f"Qzx{index}"
        values += [f"{tag}givenmarker", f"{tag}familymarker", f"{tag}streetmarker", f"{tag}aptmarker",
                   f"{tag.upper()}PASS771", f"{tag.upper()}BILL882", f"{tag}issuermarker", f"{tag}contactmarker",
                   f"{tag.lower()}mailmarker", f"1937-03-{10 + index}", "555 0177", "555 0142",
                   application.receipt, str(application.public_id), str(application.applicant.public_id)]
        card = with_number(application.card)
        values += [card.number, f"{card.number[:4]} {card.number[4:8]}"]
    return [value.lower() for value in values]


def _pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def test_canaries_never_leave(client, staff, tmp_path):
    from cityid.bench.population import bulk_population
    from cityid.disclosure import law_enforcement_services as le
    from cityid.disclosure.selectors import foil_counts, law_enforcement_counts
    from cityid.enrollment.services import decide, enroll
    from cityid.reports.services import publish_release

    applications = []
    for index in range(2):
        application = enroll(data=_canary(index), enrolled_by=staff["clerk"], today=date(2026, 11, 20))
        decide(application=application, approve=True, decided_by=staff["supervisor"])
        application.refresh_from_db()
        applications.append(application)
    bulk_population(150, start=date(2026, 9, 1), days=80, seed=3)  # others, so that some cells are published
    markers = _markers(applications)

    counsel = staff["counsel"]
    ordered = le.log_request(agency_type="federal_immigration", legal_process="judicial_warrant",
                             received_on=date(2026, 11, 24), agency="Agency", officer="Officer",
                             subjects=applications[0].applicant.ref, kinds=("record",), logged_by=staff["clerk"],
                             today=date(2026, 11, 25))
    le.change_request(request=ordered, change="review", by=counsel)
    le.change_request(request=ordered, change="produce", by=counsel, ordered_subjects=applications[0].applicant.ref,
                      ordered_kinds=["record"])
    le.produce_item(request=ordered, subject=applications[0].applicant.ref, kind="record", by=counsel)

    publish_release(start=date(2026, 1, 1), end=date(2026, 11, 30))
    outputs: dict[str, str] = {}
    for path in ["/stats/", "/stats/stats.json", "/transparency/?quarter=2026Q4", "/foil/", "/api/foil/openapi.json"]:
        response = client.get(path)
        assert response.status_code == 200, path
        outputs[path] = response.content.decode()
    for dimension in DIMENSIONS:
        for kind in ("csv", "json"):
            outputs[f"{dimension}.{kind}"] = client.get(f"/stats/{dimension}.{kind}").content.decode()
        outputs[f"{dimension}.png"] = client.get(f"/stats/{dimension}.png").content.decode("latin-1")
        printed, as_json = io.StringIO(), io.StringIO()
        call_command("report", "stats", "--by", dimension, stdout=printed)
        call_command("report", "stats", "--by", dimension, "--json", stdout=as_json)
        outputs[f"stats {dimension}"] = printed.getvalue() + as_json.getvalue()
    foil_response = client.post("/api/foil/requests", data=json.dumps(
        {"name": "Some requester", "email": "requester@example.invalid",
         "description": "All records of cards issued in Queens in November 2026."}), content_type="application/json")
    outputs["foil api"] = foil_response.content.decode()
    assert foil_response.status_code == 201, outputs["foil api"]
    outputs.update(_foil_responses(client, staff, foil_response.json()))
    pdf = client.get("/transparency/2026Q4.pdf").content
    outputs["transparency.pdf"] = _pdf_text(pdf) + pdf.decode("latin-1")
    for kind in ("pdf", "json"):
        out = tmp_path / f"report.{kind}"
        call_command("report", "transparency", "--quarter", "2026Q4", "--out", str(out))
        outputs[f"command {kind}"] = _pdf_text(out.read_bytes()) if kind == "pdf" else out.read_text()
    counts = {"le": law_enforcement_counts(start=date(2026, 10, 1), end=date(2026, 12, 31)),
              "foil": foil_counts(start=date(2026, 10, 1), end=date(2026, 12, 31))}
    outputs["selectors"] = json.dumps(counts)
    assert counts["le"]["items_produced"] == 1  # the canary's record was produced, and only counted

    publish_release(start=date(2026, 1, 1), end=date(2026, 11, 30), mode="private", epsilon=0.5)
    outputs["private"] = client.get("/stats/stats.json").content.decode() + client.get("/stats/").content.decode()

    leaks = [(name, marker) for name, text in outputs.items() for marker in markers if marker in text.lower()]
    assert leaks == []
    assert markers[0] == "qzx0givenmarker"  # the markers are real values the pages would show if leaked


def _foil_responses(client, staff, created: dict) -> dict[str, str]:
    """A FOIL request for applicants' records, as the public files it through the API, acknowledged and denied
    under §87(2)(b) and (f): the letters the requester gets, the emails sent, and the public status page."""
    from django.core import mail

    from cityid.disclosure.models import FoilRequest
    from cityid.disclosure.selectors import letters
    from cityid.disclosure.services import Step, change_status, send_notices

    foil = FoilRequest.objects.get(public_id=created["id"])
    officer = staff["foil_officer"]
    change_status(foil, "acknowledge", by=officer)
    change_status(foil, "determine", by=officer, step=Step(outcome="denied", exemptions=["87_2_b", "87_2_f"]))
    send_notices()
    found: dict[str, str] = {}
    for index, item in enumerate(letters(foil)):
        found[f"foil letter {index}"] = item["subject"] + item["body"]
    found["foil mail"] = "\n".join(message.subject + message.body for message in mail.outbox)
    status = client.post("/foil/status/", {"public_id": created["id"], "access_code": created["access_code"]})
    assert status.status_code == 200
    found["foil status page"] = status.content.decode()
    assert "87(2)(b)" in found["foil status page"] + found["foil mail"]
    return found


def test_the_canary_check_would_catch_a_leak(staff):
    """The markers are what the applicant's own record holds: read back through the purpose-bound selector,
    they are there (so their absence from the public outputs means something)."""
    from cityid.enrollment.selectors import read_applicant
    from cityid.enrollment.services import enroll

    application = enroll(data=_canary(0), enrolled_by=staff["clerk"], today=date(2026, 11, 20))
    view = read_applicant(applicant=application.applicant, actor=staff["clerk"], purpose=application.ref)
    text = json.dumps(view.profile, default=str).lower()
    assert "qzx0givenmarker" in text and "qzx0streetmarker" in text
