"""Shared data for the retention tests: applicants imported from an earlier program, each carrying
distinctive canary strings (in names, addresses, document numbers and scan bytes) that must never
show up where they should not, plus a second records officer so that runs can be approved."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from cityid.enrollment.imports import import_lines
from cityid.enrollment.inputs import clean_file
from cityid.enrollment.models import Applicant
from cityid.enrollment.selectors import ApplicantView, read_applicant
from cityid.enrollment.uploads import PHOTO, SCAN
from tests.conftest import jpeg_bytes

AS_OF = date(2017, 1, 2)
DEADLINE = date(2016, 12, 31)


@dataclass
class Person:
    external_id: str
    given_name: str
    family_name: str
    date_of_birth: date
    submitted: date
    passport_number: str
    bill_number: str
    passport_scan: bytes  # as stored: the clean re-encoding of the upload (the canary after it is gone)
    bill_scan: bytes
    photo: bytes
    uploads: tuple[bytes, bytes, bytes]  # passport scan, bill scan, photo as the import file gives them
    decision: str = "approved"  # or "pending": no decision, no card

    @property
    def canaries(self) -> list[str]:
        """Strings that are personal data of this person (none may reach a certificate or a backup)."""
        return [self.given_name, self.family_name, self.passport_number, self.bill_number,
                f"{self.external_id} Canary Street", f"SCANCANARY-{self.external_id}"]

    @property
    def decided(self) -> date | None:
        return self.submitted + timedelta(days=10) if self.decision != "pending" else None

    def applicant(self) -> Applicant:
        return Applicant.objects.get(external_id=self.external_id)

    def application(self):
        return self.applicant().applications.get()

    def read(self) -> ApplicantView:
        """Everything still readable about them, read as the host operator reads it (naming their case; logged)."""
        return read_applicant(applicant=self.applicant(), actor=None, purpose=self.application().ref)


#: Submission dates of the founding case: 2015-2016, in eight months only (each month is a cohort key
#: per class, a token object with the HSM provider), with both edges of 2016-01-01..2016-06-30 present.
FOUNDING_DATES = [
    date(2015, 1, 5), date(2015, 1, 20), date(2015, 6, 3), date(2015, 6, 30), date(2015, 7, 14),
    date(2015, 12, 1), date(2015, 12, 31),                                   # just before the range
    date(2016, 1, 1), date(2016, 1, 18), date(2016, 6, 2), date(2016, 6, 30),  # the range, edges included
    date(2016, 7, 1), date(2016, 7, 22), date(2016, 7, 30),                  # just after it
    date(2016, 12, 1), date(2016, 12, 5), date(2016, 12, 9), date(2016, 12, 14), date(2016, 12, 19),
    date(2016, 12, 20),
]


def spread_dates(count: int) -> list[date]:
    """``count`` submission dates over 2015-2016 (the founding dates, repeated if need be)."""
    return [FOUNDING_DATES[i % len(FOUNDING_DATES)] for i in range(count)]


def people(count: int, dates: list[date] | None = None, prefix: str = "FC") -> list[Person]:
    dates = dates or spread_dates(count)
    out = []
    for i, submitted in enumerate(dates):
        external_id = f"{prefix}-{i:03d}"
        uploads = (jpeg_bytes(color=(i % 250, 10, 20)) + f"SCANCANARY-{external_id}".encode(),
                   jpeg_bytes(size=(40, 30), color=(30, i % 250, 40)) + f"SCANCANARY-{external_id}".encode(),
                   jpeg_bytes(color=(200, 150, i % 250)))
        out.append(
            Person(
                external_id=external_id,
                given_name=f"Canarygiven{prefix}{i:03d}",
                family_name=f"Canaryfamily{prefix}{i:03d}",
                date_of_birth=date(1970 + i % 30, 1 + i % 12, 1 + i % 28),
                submitted=submitted,
                passport_number=f"CANARYPASS{prefix}{i:03d}",
                bill_number=f"CANARYBILL{prefix}{i:03d}",
                passport_scan=clean_file(uploads[0], SCAN).data,
                bill_scan=clean_file(uploads[1], SCAN).data,
                photo=clean_file(uploads[2], PHOTO).data,
                uploads=uploads,
            )
        )
    return out


def import_people(persons: list[Person], directory: Path, actor) -> None:
    """Write an import file with scan and photo files beside it and import it line by line."""
    directory.mkdir(parents=True, exist_ok=True)
    lines = []
    for person in persons:
        for name, data in zip((f"{person.external_id}-passport.jpg", f"{person.external_id}-bill.jpg",
                                f"{person.external_id}-photo.jpg"), person.uploads, strict=True):
            (directory / name).write_bytes(data)
        lines.append(json.dumps({
            "external_id": person.external_id,
            "given_name": person.given_name,
            "family_name": person.family_name,
            "date_of_birth": person.date_of_birth.isoformat(),
            "gender": "X",
            "languages": ["es"],
            "address": {"kind": "residential", "line1": f"{person.external_id} Canary Street", "city": "Queens",
                        "postcode": "11373", "borough": "queens"},
            "documents": [
                {"type": "foreign_passport", "number": person.passport_number, "issuer": "Mexico",
                 "expires": "2030-01-01", "scan_path": f"{person.external_id}-passport.jpg"},
                {"type": "utility_bill", "number": person.bill_number, "issuer": "Con Edison",
                 "scan_path": f"{person.external_id}-bill.jpg"},
            ],
            "photo_path": f"{person.external_id}-photo.jpg",
            "application": {"type": "new", "submitted": person.submitted.isoformat(), "decision": person.decision,
                            "decided": person.decided.isoformat() if person.decided else None},
        }) + "\n")
    summary = import_lines(lines, actor=actor, base_dir=directory)
    assert summary.rejected == [] and summary.imported == len(persons), summary


def second_officer():
    from cityid.accounts.services import create_staff

    return create_staff(username="records_officer2", role="records_officer").user
