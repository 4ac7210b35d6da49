"""Card numbers sealed under the applicant's application record, found by a keyed hash (cityid.cards.sealing).

Adds the sealed number and its digest, seals every number still in clear (in batches, each committed: an
interrupted run goes on where it stopped), then drops the clear column. A card whose applicant's application
record is already destroyed loses its number: it was personal data that should have gone with that record.
"""

from django.db import migrations, models, transaction

BATCH = 500


def seal_numbers(apps, schema_editor):
    from cityid.cards.sealing import number_digest, number_field
    from cityid.vault import envelope
    from cityid.vault.providers import KeyUnavailable, get_provider

    Card = apps.get_model("cards", "Card")
    provider = get_provider()
    while True:
        with transaction.atomic():
            batch = list(
                Card.objects.select_related("application", "applicant__personal_record")
                .filter(sealed_number=None).exclude(number="").order_by("pk")[:BATCH]
            )
            if not batch:
                return
            for card in batch:
                record_key = card.applicant.personal_record
                try:
                    if record_key is None:
                        raise KeyUnavailable("destroyed")
                    data_key = provider.unwrap(record_key.key_id, record_key.wrapped_key)
                except KeyUnavailable:
                    card.number = ""  # the record is destroyed: so is the number
                    continue
                field = number_field(card.application.public_id)
                card.sealed_number = envelope.seal(data_key, card.number.encode(), f"{record_key.uuid}:{field}".encode())
                card.number_digest = number_digest(card.number)
                card.number = ""
            Card.objects.bulk_update(batch, ["sealed_number", "number_digest", "number"])


def unseal_numbers(apps, schema_editor):
    """Back to the clear column (to run the code before this migration): each number still readable, and a
    placeholder (``gone-<id>``: no card number, still unique) for one destroyed with its record."""
    from cityid.cards.sealing import number_field
    from cityid.vault import envelope
    from cityid.vault.providers import KeyUnavailable, get_provider

    Card = apps.get_model("cards", "Card")
    provider = get_provider()
    for card in Card.objects.select_related("application", "applicant__personal_record").iterator():
        record_key = card.applicant.personal_record
        card.number = f"gone-{card.pk}"
        if card.sealed_number is not None and record_key is not None:
            try:
                data_key = provider.unwrap(record_key.key_id, record_key.wrapped_key)
            except KeyUnavailable:
                pass
            else:
                field = number_field(card.application.public_id)
                card.number = envelope.open_sealed(data_key, bytes(card.sealed_number),
                                                   f"{record_key.uuid}:{field}".encode()).decode()
        card.save(update_fields=["number"])


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("cards", "0002_cardstatuschange"),
        ("enrollment", "0001_initial"),
        ("vault", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="card",
            name="sealed_number",
            field=models.BinaryField(
                help_text="the number, sealed under the applicant's 'application' record", null=True
            ),
        ),
        migrations.AddField(
            model_name="card",
            name="number_digest",
            field=models.BinaryField(
                help_text="HMAC of the number under the provider's 'cards' key", max_length=32, null=True, unique=True
            ),
        ),
        migrations.AlterField(model_name="card", name="number", field=models.CharField(max_length=16, blank=True)),
        migrations.RunPython(seal_numbers, unseal_numbers),
        migrations.RemoveField(model_name="card", name="number"),
    ]
