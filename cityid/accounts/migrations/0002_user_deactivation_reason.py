"""A deactivated account's reason code lives on the account row, no longer in the audit log."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("accounts", "0001_initial")]

    operations = [
        migrations.AddField(
            model_name="user",
            name="deactivation_reason",
            field=models.CharField(
                blank=True, max_length=16,
                help_text="why the account was last deactivated (a DEACTIVATION_REASONS code); not in the audit log",
            ),
        ),
    ]
