# Imported records' versions hold the whole record as the agency sent it (facts, episode circumstances,
# identifiers): encrypted at rest like the fields they feed (docs/encryption.md). The column becomes text
# first (a token is not JSON), then existing rows are encrypted; reversed, the rows are decrypted first.

from django.db import migrations

import hafan.core.fields
from hafan.core.fields import migration_converter

COLUMNS = ["payload"]


class Migration(migrations.Migration):
    dependencies = [
        ("people", "0008_encrypt_fact_summary"),
    ]

    operations = [
        migrations.AlterField(
            model_name="sourcerecordversion",
            name="payload",
            field=hafan.core.fields.EncryptedJSONField(
                help_text="The record as the agency supplied it, after validation."
            ),
        ),
        migrations.RunPython(
            migration_converter("people", "SourceRecordVersion", COLUMNS, "encrypt"),
            migration_converter("people", "SourceRecordVersion", COLUMNS, "decrypt"),
        ),
    ]
