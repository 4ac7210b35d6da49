"""Salted commitments: each entry gets a ``salt``; the tree's leaf becomes SHA-256(0x00 || SHA-256(salt || entry)).

Entries already logged keep an empty salt and their old leaf (``SHA-256(0x00 || entry)``), so
the tree, its roots and every checkpoint signed before this migration stay valid and the log
stays consistent with them. Nothing is rewritten: the migration only adds the column.
"""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("audit", "0004_target_hash")]

    operations = [
        migrations.AddField(
            model_name="auditentry",
            name="salt",
            field=models.BinaryField(
                default=b"",
                help_text="32 random bytes; the tree's leaf is over SHA-256(salt || entry) (merkle.entry_leaf_hash). "
                "Never published. Empty for entries logged before salted commitments (their leaf is over the entry)",
            ),
        ),
    ]
