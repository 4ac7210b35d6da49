from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("accounts", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="user",
            name="site",
            field=models.CharField(blank=True, default="", max_length=32, verbose_name="site"),
        ),
    ]
