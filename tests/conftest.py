"""Shared fixtures: a fresh data and key directory per test, staff of every role, synthetic people."""

from __future__ import annotations

import io
import os
from datetime import date

import pytest

os.environ.setdefault("CITYID_TESTING", "1")


@pytest.fixture(autouse=True)
def isolated_dirs(settings, tmp_path):
    settings.DATA_DIR = tmp_path / "data"
    settings.BLOB_DIR = tmp_path / "data" / "blobs"
    settings.KEYS_DIR = tmp_path / "keys"
    settings.CITYID_DOCUMENT_COPIES = "keep"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.DATA_DIR.mkdir(parents=True)
    yield tmp_path


def jpeg_bytes(size: tuple[int, int] = (64, 48), color: tuple[int, int, int] = (120, 90, 60)) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, "JPEG")
    return buffer.getvalue()


def make_input(**overrides):
    from cityid.enrollment.inputs import DocumentInput, EnrollmentInput

    data = dict(
        given_name="Canaryname",
        family_name="Testperson",
        date_of_birth=date(1990, 4, 12),
        gender="X",
        languages=["es"],
        address={"kind": "residential", "line1": "742 Canarystreet Ave", "line2": "", "city": "Queens",
                 "postcode": "11373", "borough": "queens", "care_of": ""},
        documents=[
            DocumentInput(type="foreign_passport", number="CANARYDOC1", issuer="Mexico",
                          expires=date(2030, 1, 1), scan=jpeg_bytes(color=(1, 2, 3))),
            DocumentInput(type="utility_bill", number="CANARYBILL9", issuer="Con Edison", scan=None),
        ],
        submitted_on=date(2026, 11, 2),
        photo=jpeg_bytes(color=(200, 180, 160)),
    )
    data.update(overrides)
    return EnrollmentInput(**data)


@pytest.fixture
def staff(db):
    """One verified staff account per role, keyed by role."""
    from cityid.accounts.policy import ROLES
    from cityid.accounts.services import create_staff

    people = {}
    for role in ROLES:
        new = create_staff(username=f"{role}1", role=role)
        new.user.must_change_password = False
        new.user.save()
        new.user.totp_secret = new.totp_secret
        people[role] = new.user
    return people


@pytest.fixture
def enrolled(staff):
    from cityid.enrollment.services import enroll

    return enroll(data=make_input(), enrolled_by=staff["clerk"], today=date(2026, 11, 20))
