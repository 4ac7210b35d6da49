"""The clerk's enrollment pages: bad input gets a clear answer on the right field, never a 500 or a hang."""

from __future__ import annotations

import re
import time

from django.core.files.uploadedfile import SimpleUploadedFile

from cityid.enrollment.models import Applicant
from tests.audit.helpers import sign_in
from tests.conftest import jpeg_bytes

POINTS_URL = "/enrollment/new/points/"
NEW_URL = "/enrollment/new/"


def _form(**extra) -> dict:
    data = {
        "application_type": "new", "given_name": "Canaryname", "family_name": "Testperson",
        "date_of_birth": "1990-04-12", "gender": "X", "address_kind": "residential",
        "line1": "742 Canarystreet Ave", "city": "Queens", "postcode": "11373", "borough": "queens",
        "doc-TOTAL_FORMS": "4", "doc-INITIAL_FORMS": "0", "doc-MIN_NUM_FORMS": "0", "doc-MAX_NUM_FORMS": "8",
        "doc-0-type": "foreign_passport", "doc-0-number": "CANARYDOC1", "doc-0-issuer": "Mexico",
        "doc-0-expires": "2030-01-01",
    }
    data.update(extra)
    return data


def _errors_by_document(html: str) -> dict[int, list[str]]:
    """The error messages shown inside each document block of the form, by block number."""
    out = {}
    for match in re.finditer(r'data-document="(\d+)"(.*?)(?=data-document=|</fieldset>)', html, re.S):
        out[int(match.group(1))] = re.findall(r'usa-error-message[^>]*>\s*([^<]+?)\s*<', match.group(2))
    return out


def test_points_with_a_malformed_document_count_is_not_a_server_error(staff):
    client = sign_in(staff["clerk"])
    for total in ("abc", "-3", "1.5", ""):
        response = client.post(POINTS_URL, {"doc-TOTAL_FORMS": total, "date_of_birth": "1990-01-01"})
        assert response.status_code == 200, total


def test_points_with_a_huge_document_count_answers_at_once(staff):
    client = sign_in(staff["clerk"])
    started = time.monotonic()
    response = client.post(POINTS_URL, {"doc-TOTAL_FORMS": "20000000", "date_of_birth": "1990-01-01",
                                        "doc-0-type": "foreign_passport"})
    assert response.status_code == 200
    assert time.monotonic() - started < 5


def test_scan_error_is_shown_on_the_document_it_concerns(staff):
    """An empty document block before a filled one must not shift the service's errors onto the wrong block."""
    client = sign_in(staff["clerk"])
    not_an_image = SimpleUploadedFile("bill.jpg", b"GIF89a this is not a JPEG", content_type="image/jpeg")
    response = client.post(NEW_URL, _form(**{
        "doc-2-type": "utility_bill", "doc-2-number": "CANARYBILL9", "doc-2-issuer": "Con Edison",
        "doc-2-scan": not_an_image,
    }))
    assert response.status_code == 400
    errors = _errors_by_document(response.content.decode())
    assert errors[2] == ["The scan must be a JPEG, PNG or PDF file."]
    assert errors[1] == [] and errors[0] == []
    assert not Applicant.objects.exists()


def test_oversized_photo_is_refused_by_the_form_before_it_is_read(staff, settings, monkeypatch):
    settings.CITYID_MAX_SCAN_BYTES = 2 * 2**20
    client = sign_in(staff["clerk"])
    photo = SimpleUploadedFile("p.jpg", jpeg_bytes() + b"\0" * (2 * 2**20), content_type="image/jpeg")

    def must_not_build_the_input(*args, **kwargs):
        raise AssertionError("an oversized photo was read into memory")

    monkeypatch.setattr("cityid.enrollment.staging.clean_file", must_not_build_the_input)
    response = client.post(NEW_URL, _form(photo=photo))
    assert response.status_code == 400
    html = response.content.decode()
    assert "The photo is larger than 2 MB." in html
    assert 'value="Canaryname"' in html  # what was typed is kept
    assert not Applicant.objects.exists()
