"""Puts the audit entries written before the hash chain existed on the chain, in the order they were written
(id order), so `hafan audit_verify` covers them too. On PostgreSQL the append-only trigger (0002) is switched
off for the length of this migration's own transaction, and only for it."""

from django.db import migrations

from hafan.sharing import chain

BATCH = 2000


def backfill(apps, schema_editor):
    AuditEvent = apps.get_model("sharing", "AuditEvent")
    postgresql = schema_editor.connection.vendor == "postgresql"
    if postgresql:
        schema_editor.execute("ALTER TABLE sharing_auditevent DISABLE TRIGGER sharing_auditevent_append_only")
    # Rows a newer version of audit_record already numbered are renumbered with the rest, in id order.
    AuditEvent.objects.exclude(seq=None).update(seq=None)
    seq, prev, last_id = 0, chain.GENESIS, 0
    columns = [f for f in chain.HASHED_FIELDS if f not in {"seq", "prev_hash"}]
    while True:
        # Keyset pages, so no cursor is open on the table while its rows are updated.
        rows = list(AuditEvent.objects.filter(id__gt=last_id).order_by("id").values("id", *columns)[:BATCH])
        if not rows:
            break
        linked = []
        for row in rows:
            seq += 1
            entry = chain.link(row, seq=seq, prev_hash=prev)
            prev = entry["entry_hash"]
            linked.append(AuditEvent(id=row["id"], seq=seq, prev_hash=entry["prev_hash"], entry_hash=prev))
        AuditEvent.objects.bulk_update(linked, ["seq", "prev_hash", "entry_hash"])
        last_id = rows[-1]["id"]
    if postgresql:
        schema_editor.execute("ALTER TABLE sharing_auditevent ENABLE TRIGGER sharing_auditevent_append_only")


class Migration(migrations.Migration):
    dependencies = [("sharing", "0003_governance_and_audit_chain")]
    operations = [migrations.RunPython(backfill, migrations.RunPython.noop)]
