"""Create the two single-row heads (the code also creates them on first use, e.g. after a flush)."""

from django.db import migrations


def create_heads(apps, schema_editor):
    LogHead = apps.get_model("audit", "LogHead")
    TreeHead = apps.get_model("audit", "TreeHead")
    AuditEntry = apps.get_model("audit", "AuditEntry")
    LogHead.objects.get_or_create(pk=1, defaults={"size": AuditEntry.objects.count()})
    TreeHead.objects.get_or_create(pk=1, defaults={"size": 0})


class Migration(migrations.Migration):

    dependencies = [
        ("audit", "0002_log_tree"),
    ]

    operations = [
        migrations.RunPython(create_heads, migrations.RunPython.noop),
    ]
