"""Seal the authenticator seeds django-otp's TOTP plugin kept in clear, then blank them.

For each ``otp_totp_totpdevice`` row whose key is not blank yet: a sealed ``accounts.TOTPDevice``
with the same settings and counters is created, and the clear key is overwritten with ''. A row is
sealed and blanked in one transaction, so running the migration again after a crash continues with
the rows left. On SQLite, ``secure_delete`` overwrites the freed bytes of the old key as well.
"""

import uuid
from binascii import unhexlify

from django.db import migrations, transaction

OLD_TABLE = "otp_totp_totpdevice"
COLUMNS = ("id", "user_id", "name", "confirmed", "key", "step", "t0", "digits", "tolerance", "drift", "last_t",
           "throttling_failure_timestamp", "throttling_failure_count")


def seal_existing(apps, schema_editor):
    connection = schema_editor.connection
    if OLD_TABLE not in connection.introspection.table_names():
        return
    from cityid.accounts.models import MFA_KEY_ID
    from cityid.vault.services import seal_with_key

    TOTPDevice = apps.get_model("accounts", "TOTPDevice")
    quoted = connection.ops.quote_name
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("PRAGMA secure_delete = ON")
        cursor.execute(f"SELECT {', '.join(quoted(c) for c in COLUMNS)} FROM {OLD_TABLE} "  # noqa: S608
                       f"WHERE {quoted('key')} <> '' ORDER BY {quoted('id')}")
        rows = [dict(zip(COLUMNS, row, strict=True)) for row in cursor.fetchall()]
    for row in rows:
        key_uuid = uuid.uuid4()
        sealed = seal_with_key(MFA_KEY_ID, unhexlify(row["key"]), f"{MFA_KEY_ID}:{key_uuid}".encode())
        with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
            TOTPDevice.objects.create(
                user_id=row["user_id"], name=row["name"], confirmed=bool(row["confirmed"]), key_uuid=key_uuid,
                sealed_key=sealed, step=row["step"], t0=row["t0"], digits=row["digits"],
                tolerance=row["tolerance"], drift=row["drift"], last_t=row["last_t"],
                throttling_failure_timestamp=row["throttling_failure_timestamp"],
                throttling_failure_count=row["throttling_failure_count"],
            )
            cursor.execute(f"UPDATE {OLD_TABLE} SET {quoted('key')} = '' WHERE {quoted('id')} = %s",  # noqa: S608
                           [row["id"]])


class Migration(migrations.Migration):
    atomic = False  # one transaction per device (below), so a crash keeps the devices already sealed

    dependencies = [
        ("accounts", "0002_sealed_totp_enrolment_two_admins"),
    ]

    operations = [
        migrations.RunPython(seal_existing, migrations.RunPython.noop, atomic=False),
    ]
