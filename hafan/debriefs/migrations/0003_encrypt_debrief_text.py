# What the child said in a debrief, encrypted at rest (docs/encryption.md): existing rows are encrypted while
# the fields are still plain text, then they become EncryptedTextFields (no change to the columns' type).

from django.db import migrations

import hafan.core.fields
from hafan.core.fields import migration_converter

COLUMNS = ["not_offered_reason", "where_went", "who_with", "travel", "harm_details", "child_wishes"]


class Migration(migrations.Migration):
    dependencies = [
        ("debriefs", "0002_initial"),
    ]

    operations = [
        migrations.RunPython(
            migration_converter("debriefs", "Debrief", COLUMNS, "encrypt"),
            migration_converter("debriefs", "Debrief", COLUMNS, "decrypt"),
        ),
        migrations.AlterField(
            model_name="debrief",
            name="child_wishes",
            field=hafan.core.fields.EncryptedTextField(
                blank=True, help_text="What the child wants to happen."
            ),
        ),
        migrations.AlterField(
            model_name="debrief",
            name="harm_details",
            field=hafan.core.fields.EncryptedTextField(blank=True),
        ),
        migrations.AlterField(
            model_name="debrief",
            name="not_offered_reason",
            field=hafan.core.fields.EncryptedTextField(blank=True),
        ),
        migrations.AlterField(
            model_name="debrief",
            name="travel",
            field=hafan.core.fields.EncryptedTextField(blank=True, help_text="How the child travelled."),
        ),
        migrations.AlterField(
            model_name="debrief",
            name="where_went",
            field=hafan.core.fields.EncryptedTextField(
                blank=True, help_text="Where the child went, in their words."
            ),
        ),
        migrations.AlterField(
            model_name="debrief",
            name="who_with",
            field=hafan.core.fields.EncryptedTextField(blank=True),
        ),
    ]
