"""A FOIL request's personal data lives and dies with its own ``disclosure`` record: destroying the record's
cohort key makes it unreadable; disposition's eraser removes the ciphertext; the request's metadata stays."""

from __future__ import annotations

from datetime import date

from django.test import Client

from cityid.disclosure import selectors
from cityid.disclosure.models import FoilRequest
from cityid.vault.providers import get_provider
from tests.audit.helpers import sign_in
from tests.disclosure.conftest import CANARY


def test_the_record_is_dated_by_the_disclosure_schedule(foil):
    record = FoilRequest.objects.select_related("record").get(pk=foil.pk).record
    assert record.record_class == "disclosure" and record.subject_ref == f"foil:{foil.uuid}"
    assert record.due_on == date(2032, 9, 30)  # six years after receipt, to the end of the month


def test_a_destroyed_key_leaves_the_metadata_and_nothing_readable(foil, staff):
    record = FoilRequest.objects.select_related("record").get(pk=foil.pk).record
    get_provider().destroy_key(record.key_id)
    assert selectors.read_request(foil, actor=staff["foil_officer"], purpose="respond") is None
    page = sign_in(staff["foil_officer"]).post(f"/disclosure/foil/{foil.public_id}/read/", {"purpose": "respond"})
    assert page.status_code == 200 and "Destroyed under the retention schedule." in page.content.decode()
    assert foil.public_id in page.content.decode() and CANARY["name"] not in page.content.decode()


def test_disposition_erases_the_ciphertext(foil):
    from cityid.vault import services as vault

    record_id = FoilRequest.objects.get(pk=foil.pk).record_id
    for eraser in vault._erasers["disclosure"]:
        eraser([record_id])
    kept = FoilRequest.objects.get(pk=foil.pk)
    assert kept.sealed_request is None and kept.public_id == foil.public_id


def test_attack_a_public_reader_learns_nothing_of_an_applicant(enrolled, foil, submitted):
    """FOIL answers are built from codes and dates: a planted applicant's values appear on no FOIL page or
    letter, whatever the request asked for."""
    from tests.conftest import make_input

    planted = make_input()
    values = [planted.given_name, planted.family_name, planted.date_of_birth.isoformat()]
    client = Client()
    pages = [client.get("/foil/").content.decode(),
             client.post("/foil/status/", {"public_id": foil.public_id,
                                           "access_code": submitted.access_code}).content.decode(),
             client.get("/api/foil/openapi.json").content.decode()]
    letters = [item["body"] for item in selectors.letters(foil)]
    counts = repr(selectors.foil_counts(start=date(2026, 1, 1), end=date(2026, 12, 31)))
    for text in [*pages, *letters, counts]:
        for value in values:
            assert value not in text
