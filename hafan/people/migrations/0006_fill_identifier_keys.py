# Fills the keyed hashes of existing records' NHS numbers and UPNs, and replaces identity resolution's
# plaintext identifier blocking keys ("nhs:<number>") with keyed ones ("nhsk:<hash>", as
# hafan.linkage.services.stored_blocking_keys writes them). The keys come from hafan.core.crypto, which
# the running application uses too: the two must agree, so this migration does not keep its own copy.

from django.db import migrations

from hafan.core.crypto import lookup_hash

_BATCH = 1000
_KINDS = {"nhs:": ("nhsk:", "nhs"), "upn:": ("upnk:", "upn")}


def fill_keys(apps, schema_editor):
    SourceRecord = apps.get_model("people", "SourceRecord")
    rows = (
        SourceRecord.objects.exclude(nhs_number="", upn="")
        .order_by("pk")
        .values_list("pk", "nhs_number", "upn")
    )
    batch = []
    for pk, nhs_number, upn in rows.iterator(chunk_size=_BATCH):
        batch.append(
            SourceRecord(
                pk=pk, nhs_number_key=lookup_hash("nhs", nhs_number), upn_key=lookup_hash("upn", upn)
            )
        )
        if len(batch) == _BATCH:
            SourceRecord.objects.bulk_update(batch, ["nhs_number_key", "upn_key"])
            batch = []
    SourceRecord.objects.bulk_update(batch, ["nhs_number_key", "upn_key"])

    BlockingKey = apps.get_model("linkage", "BlockingKey")
    for old_prefix, (new_prefix, kind) in _KINDS.items():
        keys = BlockingKey.objects.filter(key__startswith=old_prefix).order_by("pk").values_list("pk", "key")
        batch = [
            BlockingKey(pk=pk, key=new_prefix + lookup_hash(kind, key[len(old_prefix) :]))
            for pk, key in keys.iterator(chunk_size=_BATCH)
        ]
        BlockingKey.objects.bulk_update(batch, ["key"], batch_size=_BATCH)


def clear_keys(apps, schema_editor):
    # The hashes cannot be reversed: identity resolution's identifier keys are dropped (`hafan link` after
    # an import rebuilds a record's keys); the key columns go with the previous migration.
    BlockingKey = apps.get_model("linkage", "BlockingKey")
    BlockingKey.objects.filter(key__startswith="nhsk:").delete()
    BlockingKey.objects.filter(key__startswith="upnk:").delete()


class Migration(migrations.Migration):
    dependencies = [
        ("people", "0005_source_record_identifier_keys"),
        ("linkage", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(fill_keys, clear_keys),
    ]
