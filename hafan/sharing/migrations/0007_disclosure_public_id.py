import uuid

from django.db import migrations, models


def fill_public_ids(apps, schema_editor):
    Disclosure = apps.get_model("sharing", "Disclosure")
    for pk in Disclosure.objects.filter(public_id__isnull=True).values_list("pk", flat=True).iterator():
        Disclosure.objects.filter(pk=pk).update(public_id=uuid.uuid4())


class Migration(migrations.Migration):
    dependencies = [("sharing", "0006_audit_refuse_truncate")]

    operations = [
        migrations.AddField(
            model_name="disclosure", name="public_id", field=models.UUIDField(null=True, editable=False)
        ),
        migrations.RunPython(fill_public_ids, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="disclosure",
            name="public_id",
            field=models.UUIDField(
                default=uuid.uuid4,
                unique=True,
                editable=False,
                help_text="The identifier shown in addresses; internal ids are never exposed.",
            ),
        ),
    ]
