# The key columns' indexes, built after they are filled.

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("people", "0006_fill_identifier_keys"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="sourcerecord",
            index=models.Index(fields=["nhs_number_key"], name="source_record_nhs_number_key"),
        ),
        migrations.AddIndex(
            model_name="sourcerecord",
            index=models.Index(fields=["upn_key"], name="source_record_upn_key"),
        ),
    ]
