"""Shared fixtures: a fresh data and key directory per test, staff of every role, synthetic people."""

from __future__ import annotations

import io
import os
from datetime import date

import pytest

os.environ.setdefault("CITYID_TESTING", "1")


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix, tmp_path_factory):
    """SQLite tests use a file, not Django's shared-cache in-memory database: a browser test's live server answers
    each request on its own thread, and overlapping writes on one shared cache fail at once ("database table is
    locked") where a file's writers wait their turn (busy_timeout), as in production. The file sits in this run's
    private temporary directory (mode 0700), one per process (xdist workers and parallel runs apart)."""
    from django.conf import settings

    database = settings.DATABASES["default"]
    if database["ENGINE"] == "django.db.backends.sqlite3":
        database["TEST"]["NAME"] = str(tmp_path_factory.getbasetemp() / f"cityid-test-{os.getpid()}.sqlite3")
        database["OPTIONS"]["init_command"] += " PRAGMA synchronous=OFF;"  # a test database need not survive a crash


@pytest.fixture(autouse=True)
def isolated_dirs(settings, tmp_path):
    settings.DATA_DIR = tmp_path / "data"
    settings.BLOB_DIR = tmp_path / "data" / "blobs"
    settings.KEYS_DIR = tmp_path / "keys"
    settings.CITYID_DOCUMENT_COPIES = "keep"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.DATA_DIR.mkdir(parents=True)
    yield tmp_path


@pytest.fixture(autouse=True)
def matching_hooks(request):
    """Matching's enrollment hooks (a duplicate check at every submission, approvals refused while an alert holds
    them) run in the tests that are about them: ``tests/matching`` and tests marked ``matching``. Elsewhere
    they are paused, since those tests enroll the same canary person many times over and approve each."""
    if "matching" in request.keywords or f"{os.sep}tests{os.sep}matching{os.sep}" in str(request.path):
        yield
        return
    from cityid.matching.services import paused

    with paused():
        yield


@pytest.fixture(autouse=True)
def default_language():
    """Each test starts in the default language: a Spanish page requested earlier leaves its thread in Spanish,
    and errors are worded in the active language."""
    from django.conf import settings
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.deactivate()


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


def with_number(card):
    """The card with its sealed number opened (``card.number``), as a reader allowed to see it gets it."""
    from cityid.cards.sealing import open_numbers

    open_numbers([card])
    return card
def complete_enrolment(new, password: str = "an enrolled staff passphrase 1") -> object:
    """Finish a new account's enrolment through its one-time link, as its owner would (the real
    services): the user, with ``totp_secret`` set. The code typed is the previous time step's, so a
    sign-in right after (with the current code) is not refused as a replay."""
    import time

    from django_otp.oath import totp

    from cityid.accounts import services

    token = new.enrolment_url.rstrip("/").rsplit("/", 1)[1]
    link = services.usable_link(token)
    device = services.enrolment_device(link)
    for attempt in range(3):
        code = f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits, drift=-1):06d}"
        try:
            user = services.complete_enrolment(link_id=link.pk, password=password, code=code)
            break
        except services.EnrolmentFailed:
            # A time step ended between computing and checking the code (the previous step's code
            # was then two steps old): the device throttles for a second after a miss; try again.
            if attempt == 2:
                raise
            time.sleep(1.1)
    user.refresh_from_db()
    user.totp_secret = device.secret
    return user


@pytest.fixture
def staff(db):
    """One enrolled staff account per role (password and authenticator set), keyed by role."""
    from cityid.accounts.policy import ROLES
    from cityid.accounts.services import create_staff

    return {role: complete_enrolment(create_staff(username=f"{role}1", role=role,
                                                  email=f"{role}1@staff.example.invalid"))
            for role in ROLES}


@pytest.fixture
def enrolled(staff):
    from cityid.enrollment.services import enroll

    return enroll(data=make_input(), enrolled_by=staff["clerk"], today=date(2026, 11, 20))


@pytest.fixture(scope="session")
def softhsm_token(tmp_path_factory):
    """A SoftHSM2 token initialised for this test process: (library, label, pin)."""
    from cityid.bench.softhsm import init_token, softhsm_available

    if not softhsm_available():
        if os.environ.get("CI") == "true":
            pytest.fail("SoftHSM2 is required in CI (apt-get install softhsm2)")
        pytest.skip("SoftHSM2 is not installed (apt-get install softhsm2)")
    token = init_token(tmp_path_factory.mktemp("softhsm"), label=f"cityid-test-{os.getpid()}", pin="1234")
    return token.library, token.label, token.pin


@pytest.fixture(params=["local", "pkcs11"])
def key_provider(request, settings):
    """Each key provider in turn, configured as the active one."""
    from cityid.vault import providers

    if request.param == "pkcs11":
        library, label, pin = request.getfixturevalue("softhsm_token")
        settings.CITYID_PKCS11_LIBRARY, settings.CITYID_PKCS11_TOKEN, settings.CITYID_PKCS11_PIN = library, label, pin
    settings.CITYID_KEY_PROVIDER = request.param
    return providers.get_provider()
