# Facts' summaries (health details, police intelligence) encrypted at rest (docs/encryption.md): existing
# rows are encrypted while the field is still plain text, then it becomes an EncryptedTextField (no change to
# the column's type). Reversed, the field goes back first and the rows are decrypted.

from django.db import migrations

import hafan.core.fields
from hafan.core.fields import migration_converter

COLUMNS = ["summary"]


class Migration(migrations.Migration):
    dependencies = [
        ("people", "0007_index_identifier_keys"),
    ]

    operations = [
        migrations.RunPython(
            migration_converter("people", "Fact", COLUMNS, "encrypt"),
            migration_converter("people", "Fact", COLUMNS, "decrypt"),
        ),
        migrations.AlterField(
            model_name="fact",
            name="summary",
            field=hafan.core.fields.EncryptedTextField(),
        ),
    ]
