"""Attack by reading what the new flows leave behind: the logs, the audit log, the addresses visited and the
database rows of a clerk's day with staged files, a refused form, a double submit and a confirmed denial. None
may hold a name, a document number, a file's name or its bytes."""

from __future__ import annotations

import logging

from django.core.files.uploadedfile import SimpleUploadedFile

from cityid.audit.models import AuditEntry
from cityid.enrollment.models import Application, FormSubmission, StagedUpload
from tests.audit.helpers import sign_in
from tests.conftest import jpeg_bytes
from tests.enrollment.test_form_staging import NEW_URL, STAGE_URL, _form, _hidden

NEEDLES = ["Canaryname", "Testperson", "CANARYDOC1", "CANARYBILL9", "Canarystreet", "canary-photo-name",
           "canary-scan-name", "1990-04-12"]


def _haystack_rows() -> str:
    text = []
    for entry in AuditEntry.objects.all():
        text.append(" ".join(str(getattr(entry, f.attname)) for f in AuditEntry._meta.concrete_fields))
    for model in (StagedUpload, FormSubmission):
        for row in model.objects.all():
            text.append(" ".join(str(bytes(v) if isinstance(v, memoryview) else v)
                                 for v in (getattr(row, f.attname) for f in model._meta.concrete_fields)))
    return "\n".join(text)


def test_attack_no_personal_data_in_logs_audit_addresses_or_staging_rows(staff, caplog):
    clerk = sign_in(staff["clerk"])
    supervisor = sign_in(staff["supervisor"])
    visited: list[str] = []
    with caplog.at_level(logging.DEBUG):
        photo = clerk.post(STAGE_URL, {"kind": "photo", "file": SimpleUploadedFile(
            "canary-photo-name.jpg", jpeg_bytes(), content_type="image/jpeg")}).json()["id"]
        refused = clerk.post(NEW_URL, _form(postcode="1000", photo_staged=photo, **{
            "doc-0-scan": SimpleUploadedFile("canary-scan-name.jpg", jpeg_bytes(), content_type="image/jpeg")}))
        assert refused.status_code == 400
        scan = _hidden(refused.content.decode(), "doc-0-scan_staged")
        clerk.post(STAGE_URL, {"kind": "scan", "file": SimpleUploadedFile(
            "canary-scan-name.pdf", b"%PDF-1.7 not really", content_type="application/pdf")})
        mid = _haystack_rows()  # while the files are staged
        first = clerk.post(NEW_URL, _form(photo_staged=photo, **{"doc-0-scan_staged": scan}))
        second = clerk.post(NEW_URL, _form(photo_staged=photo, **{"doc-0-scan_staged": scan}))
        visited += [first["Location"], second["Location"]]
        application = Application.objects.get()
        path = f"/enrollment/applications/{application.public_id}/"
        asked = supervisor.post(path, {"decision": "deny", "reasons": "age"})
        assert b"data-confirm" in asked.content
        done = supervisor.post(path, {"decision": "deny", "reasons": "age", "confirmed": "yes"})
        assert done.status_code == 302 and first.status_code == second.status_code == 302
        visited.append(done["Location"])
    logged = "\n".join(record.getMessage() + " " + str(record.args) for record in caplog.records)
    for needle in NEEDLES:
        assert needle.lower() not in logged.lower(), needle
        assert needle.lower() not in mid.lower(), needle
        assert needle.lower() not in _haystack_rows().lower(), needle
        assert not any(needle.lower() in url.lower() for url in visited), needle
