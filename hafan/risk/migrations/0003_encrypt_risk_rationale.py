# Risk rationales, encrypted at rest (docs/encryption.md): existing rows are encrypted while the field is
# still plain text, then it becomes an EncryptedTextField (no change to the column's type).

from django.db import migrations

import hafan.core.fields
from hafan.core.fields import migration_converter

COLUMNS = ["rationale"]


class Migration(migrations.Migration):
    dependencies = [
        ("risk", "0002_risk_assessment_departs_from_plan"),
    ]

    operations = [
        migrations.RunPython(
            migration_converter("risk", "RiskAssessment", COLUMNS, "encrypt"),
            migration_converter("risk", "RiskAssessment", COLUMNS, "decrypt"),
        ),
        migrations.AlterField(
            model_name="riskassessment",
            name="rationale",
            field=hafan.core.fields.EncryptedTextField(
                help_text="Why this grade: what was considered and what it means."
            ),
        ),
    ]
