"""Legal holds' case name, index number, notes and scope sealed (cityid.retention.sealing).

Adds the sealed columns and the scope's outline, seals every hold still in clear (in batches, each committed:
an interrupted run goes on where it stopped), then drops the clear columns."""

from django.db import migrations, models, transaction

BATCH = 200


def seal_holds(apps, schema_editor):
    from cityid.retention.sealing import seal_details

    LegalHold = apps.get_model("retention", "LegalHold")
    while True:
        with transaction.atomic():
            batch = list(LegalHold.objects.filter(sealed_details=None).order_by("pk")[:BATCH])
            if not batch:
                return
            for hold in batch:
                seal_details(hold, case_name=hold.case_name, index_number=hold.index_number, notes=hold.notes,
                             scope=hold.scope)
            LegalHold.objects.bulk_update(batch, ["wrapped_key", "sealed_details", "scope_outline"])


class Migration(migrations.Migration):
    atomic = False

    dependencies = [("retention", "0002_dispositionrequest")]

    operations = [
        migrations.AddField(
            model_name="legalhold", name="scope_outline",
            field=models.CharField(default="", help_text="the scope without subjects' ids", max_length=400),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="legalhold", name="wrapped_key",
            field=models.BinaryField(help_text="the hold's data key, wrapped by the 'legal-holds' key", null=True),
        ),
        migrations.AddField(
            model_name="legalhold", name="sealed_details",
            field=models.BinaryField(help_text="case name, index number, notes, scope", null=True),
        ),
        migrations.RunPython(seal_holds, migrations.RunPython.noop),
        migrations.RemoveField(model_name="legalhold", name="case_name"),
        migrations.RemoveField(model_name="legalhold", name="index_number"),
        migrations.RemoveField(model_name="legalhold", name="scope"),
        migrations.RemoveField(model_name="legalhold", name="notes"),
    ]
