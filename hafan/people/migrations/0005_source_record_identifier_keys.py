# Exact-match lookups of NHS numbers and UPNs through keyed hashes (issue 5, item 8; docs/encryption.md):
# the key columns are added and filled, the plaintext indexes dropped.

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("people", "0004_fact_handling_and_allocations"),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name="sourcerecord",
            name="source_record_nhs_number",
        ),
        migrations.RemoveIndex(
            model_name="sourcerecord",
            name="source_record_upn",
        ),
        migrations.AddField(
            model_name="sourcerecord",
            name="nhs_number_key",
            field=models.CharField(
                blank=True, help_text="Keyed hash of the NHS number, for exact-match lookups.", max_length=64
            ),
        ),
        migrations.AddField(
            model_name="sourcerecord",
            name="upn_key",
            field=models.CharField(
                blank=True,
                help_text="Keyed hash of the unique pupil number, for exact-match lookups.",
                max_length=64,
            ),
        ),
    ]
