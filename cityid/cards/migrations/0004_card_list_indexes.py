"""The card list walks an index in its order (newest first, optionally of one status) instead of sorting every card."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('cards', '0003_seal_card_numbers'),
    ]

    operations = [
        migrations.AddIndex(
            model_name='card',
            index=models.Index(fields=['-issued_on', '-id'], name='card_list_order'),
        ),
        migrations.AddIndex(
            model_name='card',
            index=models.Index(fields=['status', '-issued_on', '-id'], name='card_list_status_order'),
        ),
    ]
