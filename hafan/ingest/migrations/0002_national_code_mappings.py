from django.db import migrations


def seed(apps, schema_editor):
    from hafan.ingest.vocabularies import NATIONAL_CODES, normalise_code

    CodeMapping = apps.get_model("ingest", "CodeMapping")
    for vocabulary, code, value in NATIONAL_CODES:
        CodeMapping.objects.update_or_create(
            agency=None,
            vocabulary=vocabulary,
            normalised_code=normalise_code(code),
            defaults={"source_code": code, "hafan_value": value, "notes": "National standard code"},
        )


class Migration(migrations.Migration):
    dependencies = [("ingest", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
