# An episode's circumstances, harm and safe-and-well notes, encrypted at rest (docs/encryption.md): existing
# rows are encrypted while the fields are still plain text, then they become EncryptedTextFields.

from django.db import migrations

import hafan.core.fields
from hafan.core.fields import migration_converter

COLUMNS = ["circumstances", "harm_details", "safe_and_well_notes"]


class Migration(migrations.Migration):
    dependencies = [
        ("episodes", "0002_episode_police_occurrence"),
    ]

    operations = [
        migrations.RunPython(
            migration_converter("episodes", "Episode", COLUMNS, "encrypt"),
            migration_converter("episodes", "Episode", COLUMNS, "decrypt"),
        ),
        migrations.AlterField(
            model_name="episode",
            name="circumstances",
            field=hafan.core.fields.EncryptedTextField(blank=True),
        ),
        migrations.AlterField(
            model_name="episode",
            name="harm_details",
            field=hafan.core.fields.EncryptedTextField(blank=True),
        ),
        migrations.AlterField(
            model_name="episode",
            name="safe_and_well_notes",
            field=hafan.core.fields.EncryptedTextField(blank=True),
        ),
    ]
