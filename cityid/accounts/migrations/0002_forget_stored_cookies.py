"""Sessions are now stored under a keyed hash of the cookie's key (cityid.accounts.sessions), and the lockout
tables keep no request data. Rows written before this hold working cookies (session keys in clear) and saved
sign-in forms (TOTP codes): delete them. Everyone signs in again once; a running lockout (30 minutes) ends.
Deleting what is already gone does nothing, so the migration can run again after an interruption."""

from django.db import migrations


def forget(apps, schema_editor):
    for app_label, model in (("sessions", "Session"), ("axes", "AccessAttempt"), ("axes", "AccessLog"),
                             ("axes", "AccessFailureLog")):
        apps.get_model(app_label, model).objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
        ("sessions", "0001_initial"),
        ("axes", "0010_accessattemptexpiration"),
    ]

    operations = [migrations.RunPython(forget, migrations.RunPython.noop)]
