"""Authenticator seeds are sealed through the key provider (``staff-mfa``): a copy of the database
yields no seed, so no code can be computed from it (issue #8, attack 4, the TOTP part)."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
import uuid
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.db import connection
from django_otp.oath import totp

from cityid.accounts.models import TOTPDevice
from cityid.vault.envelope import SealError

pytestmark = pytest.mark.django_db

SCRIPT = r"""
import json, django
django.setup()
from django.core.management import call_command
call_command("migrate", verbosity=0)
from django_otp.oath import totp
from cityid.accounts import services
from cityid.accounts.models import TOTPDevice
new = services.create_staff(username="sealclerk", role="clerk")
link = services.usable_link(new.enrolment_url.rstrip("/").rsplit("/", 1)[1])
device = services.enrolment_device(link)
seed = device.bin_key
services.complete_enrolment(link_id=link.pk, password="a sealed passphrase 1", code=f"{totp(seed, drift=-1):06d}")
fresh = TOTPDevice.objects.get(user=new.user)
ok = fresh.verify_token(f"{totp(seed):06d}")
print(json.dumps({"seed": seed.hex(), "verified": ok}))
"""


def test_the_seed_is_not_in_the_database_file(tmp_path):
    env = {**os.environ, "CITYID_DATA_DIR": str(tmp_path / "data"), "CITYID_KEYS_DIR": str(tmp_path / "keys"),
           "DJANGO_SETTINGS_MODULE": "cityid.settings", "CITYID_TESTING": "1", "CITYID_KEY_PROVIDER": "local"}
    env.pop("DATABASE_URL", None)
    done = subprocess.run([sys.executable, "-c", SCRIPT], env=env, capture_output=True, text=True, timeout=300,
                          cwd=Path(__file__).resolve().parents[2])
    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["verified"]  # the sealed seed signs in
    seed = bytes.fromhex(result["seed"])
    forms = [seed, seed.hex().encode(), seed.hex().upper().encode(), base64.b32encode(seed),
             base64.b32encode(seed).rstrip(b"="), base64.b64encode(seed).rstrip(b"=")]
    files = [p for p in (tmp_path / "data").rglob("*") if p.is_file()]
    assert any(p.name == "cityid.sqlite3" for p in files)
    for path in files:  # the database, its WAL and shared memory, anything else in the data directory
        data = path.read_bytes()
        for form in forms:
            assert form not in data, f"seed found in {path.name}"


def _device(user, seed: bytes = b"0123456789abcdefghij") -> TOTPDevice:
    device = TOTPDevice(user=user, name="authenticator", confirmed=True)
    device.set_seed(seed)
    device.save()
    return TOTPDevice.objects.get(pk=device.pk)  # from the database: the seed is opened again


def test_sealed_seed_verifies_with_replay_protection_and_throttling(staff):
    user = staff["clerk"]
    TOTPDevice.objects.filter(user=user).delete()
    device = _device(user)
    seed = b"0123456789abcdefghij"
    assert device.bin_key == seed and seed not in bytes(device.sealed_key)
    code = f"{totp(seed):06d}"
    assert device.verify_token(code)
    assert not TOTPDevice.objects.get(pk=device.pk).verify_token(code)  # replayed: refused
    throttled = TOTPDevice.objects.get(pk=device.pk)
    assert throttled.throttling_failure_count == 1
    assert throttled.verify_is_allowed()[0] is False  # throttled after a failure, as django-otp does


def test_a_sealed_seed_moved_to_another_device_does_not_open(staff):
    mine = TOTPDevice.objects.get(user=staff["clerk"])
    theirs = TOTPDevice.objects.get(user=staff["admin"])
    TOTPDevice.objects.filter(pk=theirs.pk).update(sealed_key=bytes(mine.sealed_key))
    with pytest.raises(SealError):
        TOTPDevice.objects.get(pk=theirs.pk).bin_key  # noqa: B018


def test_each_provider_seals_the_seed(staff, key_provider):
    device = _device(staff["clerk"], seed=b"provider-sealed-seed")
    assert device.bin_key == b"provider-sealed-seed"
    assert key_provider.has_key("staff-mfa")


def test_the_migration_seals_clear_seeds_and_blanks_them(staff):
    from importlib import import_module

    from django.apps import apps

    migration = import_module("cityid.accounts.migrations.0003_seal_existing_totp_seeds")
    user = staff["supervisor"]
    TOTPDevice.objects.filter(user=user).delete()
    seed = uuid.uuid4().bytes + b"abcd"
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TABLE otp_totp_totpdevice (id integer PRIMARY KEY, user_id bigint, name varchar(64), "
            "confirmed boolean, key varchar(80), step smallint, t0 bigint, digits smallint, tolerance smallint, "
            "drift smallint, last_t bigint, throttling_failure_timestamp timestamp NULL, "
            "throttling_failure_count integer)")
        cursor.execute("INSERT INTO otp_totp_totpdevice VALUES (7, %s, 'phone', %s, %s, 30, 0, 6, 1, 0, 41, NULL, 0)",
                       [user.pk, True, seed.hex()])
    editor = SimpleNamespace(connection=connection)  # all the migration uses of its schema editor
    migration.seal_existing(apps, editor)
    migration.seal_existing(apps, editor)  # run again (after a crash): nothing is sealed twice
    device = TOTPDevice.objects.get(user=user)
    assert device.bin_key == seed and device.last_t == 41 and device.confirmed
    with connection.cursor() as cursor:
        cursor.execute("SELECT key FROM otp_totp_totpdevice")
        assert cursor.fetchall() == [("",)]
        cursor.execute("DROP TABLE otp_totp_totpdevice")
