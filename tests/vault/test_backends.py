"""The one loader for swappable parts: a wrong setting fails at start, never as 'record destroyed'."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from cityid.core import backends
from cityid.vault import providers, services
from cityid.vault.apps import swappable_parts_check


def test_aliases_resolve_to_the_shipped_classes(settings):
    settings.CITYID_KEY_PROVIDER = "local"
    assert backends.backend_class("CITYID_KEY_PROVIDER") is providers.LocalKeyring
    settings.CITYID_KEY_PROVIDER = "pkcs11"
    assert backends.backend_class("CITYID_KEY_PROVIDER") is providers.Pkcs11Provider


def test_a_dotted_path_to_a_conforming_class_is_accepted(settings):
    settings.CITYID_KEY_PROVIDER = "cityid.vault.providers.LocalKeyring"
    assert backends.backend_class("CITYID_KEY_PROVIDER") is providers.LocalKeyring


@pytest.mark.parametrize("value, reason", [
    ("pkcs1", "is not a known choice: one of local, pkcs11"),
    ("cityid.vault.nowhere.Provider", "cannot import"),
    ("cityid.vault.providers.get_provider", "is not a class"),
    ("cityid.vault.models.RecordKey", "does not implement KeyProvider (missing destroy_key"),
    ("", "is not set"),
])
def test_a_wrong_provider_setting_is_a_configuration_error(settings, value, reason):
    settings.CITYID_KEY_PROVIDER = value
    with pytest.raises(ImproperlyConfigured, match="^CITYID_KEY_PROVIDER.*" + reason.replace("(", r"\(")):
        backends.backend_class("CITYID_KEY_PROVIDER")
    assert [error.id for error in swappable_parts_check()] == ["cityid.E001"]


def test_a_typo_no_longer_reads_every_record_as_destroyed(db, settings):
    """Before, an unknown provider raised KeyUnavailable, which open_record turned into RecordDestroyed."""
    [record] = services.create_records([("application", "applicant:x", _due())])
    sealed = record.seal("field", b"value")
    settings.CITYID_KEY_PROVIDER = "locla"
    with pytest.raises(ImproperlyConfigured, match="locla"):
        services.open_record(record.key).open("field", sealed)


def test_the_class_is_looked_up_again_when_the_setting_changes(settings):
    settings.CITYID_KEY_PROVIDER = "local"
    assert backends.backend_class("CITYID_KEY_PROVIDER") is providers.LocalKeyring
    settings.CITYID_KEY_PROVIDER = "nonsense"
    with pytest.raises(ImproperlyConfigured):
        backends.backend_class("CITYID_KEY_PROVIDER")


def test_a_signer_setting_is_checked_too(settings):
    settings.CITYID_SIGNER = "cityid.vault.signers.StoredSigner"
    with pytest.raises(ImproperlyConfigured, match="does not implement SigningKeyStore"):
        backends.backend_class("CITYID_SIGNER")


@pytest.mark.parametrize("argv", [["check"], ["card", "list"], ["runserver", "--noreload", "127.0.0.1:0"]])
def test_every_command_and_the_server_stop_at_start_with_one_line(tmp_path, argv):
    env = dict(os.environ, CITYID_KEY_PROVIDER="pkcs1", CITYID_DATA_DIR=str(tmp_path / "data"),
               CITYID_KEYS_DIR=str(tmp_path / "keys"), CITYID_TESTING="1")
    env.pop("DATABASE_URL", None)
    done = subprocess.run([sys.executable, "-m", "cityid", *argv], env=env, capture_output=True, text=True,
                          timeout=60, cwd=Path(__file__).resolve().parents[2])
    assert done.returncode != 0
    assert done.stderr.strip().splitlines() == [
        "cityid: configuration error: CITYID_KEY_PROVIDER='pkcs1' is not a known choice: "
        "one of local, pkcs11 or a dotted class path"
    ]


def _due():
    from datetime import date

    return date(2031, 6, 1)


def test_record_classes_have_one_list():
    from cityid.vault.classes import RECORD_CLASSES
    from cityid.vault.models import RecordClass

    assert tuple(RecordClass.values) == RECORD_CLASSES
