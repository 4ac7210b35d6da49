"""Each application gets a receipt reference for the applicant that is not an id in the audit log.

Existing applications get one in batches (resumable: only rows still without one are filled).
"""

import secrets

from django.db import migrations, models

import cityid.enrollment.models

BATCH = 2_000
ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def _receipt() -> str:
    chars = "".join(secrets.choice(ALPHABET) for _ in range(10))
    return f"{chars[:5]}-{chars[5:]}"


def fill_receipts(apps, schema_editor):
    Application = apps.get_model("enrollment", "Application")
    while True:
        rows = list(Application.objects.filter(receipt__isnull=True).order_by("pk")[:BATCH])
        if not rows:
            return
        taken = set()
        for row in rows:
            receipt = _receipt()
            while receipt in taken or Application.objects.filter(receipt=receipt).exists():
                receipt = _receipt()
            taken.add(receipt)
            row.receipt = receipt
        Application.objects.bulk_update(rows, ["receipt"])


class Migration(migrations.Migration):
    dependencies = [("enrollment", "0001_initial")]

    operations = [
        migrations.AddField(
            model_name="application",
            name="receipt",
            field=models.CharField(editable=False, max_length=11, null=True, unique=True,
                                   help_text="the reference on the applicant's receipt; not an id in the audit log"),
        ),
        migrations.RunPython(fill_receipts, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="application",
            name="receipt",
            field=models.CharField(default=cityid.enrollment.models.new_receipt, editable=False, max_length=11,
                                   unique=True,
                                   help_text="the reference on the applicant's receipt; not an id in the audit log"),
        ),
    ]
