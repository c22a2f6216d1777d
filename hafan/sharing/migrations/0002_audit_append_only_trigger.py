"""On PostgreSQL, refuse UPDATE and DELETE on the audit table at the database level, so that even raw
SQL from the application cannot rewrite history. (SQLite has no equivalent we rely on; the model's
queryset refuses there.) TRUNCATE is left to the database owner: the test runner uses it to reset."""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION hafan_audit_append_only() RETURNS trigger AS $$
BEGIN
  RAISE EXCEPTION 'Audit events are append-only';
END;
$$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS sharing_auditevent_append_only ON sharing_auditevent;
CREATE TRIGGER sharing_auditevent_append_only BEFORE UPDATE OR DELETE ON sharing_auditevent
  FOR EACH ROW EXECUTE FUNCTION hafan_audit_append_only();
"""
DROP = """
DROP TRIGGER IF EXISTS sharing_auditevent_append_only ON sharing_auditevent;
DROP FUNCTION IF EXISTS hafan_audit_append_only();
"""


def create_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def drop_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("sharing", "0001_initial")]
    operations = [migrations.RunPython(create_trigger, drop_trigger)]
