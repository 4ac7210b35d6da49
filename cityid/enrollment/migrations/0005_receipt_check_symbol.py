"""Receipt references carry a check symbol (cityid.enrollment.references): the tenth symbol of each
existing reference becomes the check symbol of the first nine.

Resumable and idempotent: a reference whose tenth symbol is already its check symbol is left alone, and
the rows are walked in id order in batches, each batch in its own transaction when the database allows.
"""

from django.db import migrations

BATCH = 2_000


def add_check_symbols(apps, schema_editor):
    from cityid.enrollment.references import check_symbol, formatted, new_reference

    Application = apps.get_model("enrollment", "Application")
    last = 0
    while True:
        rows = list(Application.objects.filter(pk__gt=last).order_by("pk")[:BATCH])
        if not rows:
            return
        last = rows[-1].pk
        changed, taken = [], set()
        for row in rows:
            symbols = (row.receipt or "").replace("-", "")
            if len(symbols) == 10 and check_symbol(symbols[:9]) == symbols[9]:
                continue
            receipt = formatted(symbols[:9] + check_symbol(symbols[:9])) if len(symbols) == 10 else new_reference()
            while receipt in taken or Application.objects.filter(receipt=receipt).exclude(pk=row.pk).exists():
                receipt = new_reference()
            taken.add(receipt)
            row.receipt = receipt
            changed.append(row)
        Application.objects.bulk_update(changed, ["receipt"])


class Migration(migrations.Migration):
    atomic = False
    dependencies = [("enrollment", "0004_staged_upload_form_submission")]

    operations = [migrations.RunPython(add_check_symbols, migrations.RunPython.noop)]
