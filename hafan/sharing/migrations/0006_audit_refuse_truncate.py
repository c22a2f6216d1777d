"""PostgreSQL: the audit table cannot be emptied with TRUNCATE either (0002 refuses UPDATE and DELETE), and no
role but its owner keeps UPDATE, DELETE or TRUNCATE on it (through PUBLIC or default privileges). The
application should connect as a role that does not own the table and holds only SELECT and INSERT on it:
scripts/postgres-roles.sql, docs/audit.md.

The test suite's database switches this trigger off, because Django empties every table with one TRUNCATE
after each transactional test (tests/conftest.py); the tests that check it switch it back on."""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION hafan_audit_refuse_truncate() RETURNS trigger AS $$
BEGIN
  RAISE EXCEPTION 'Audit events are append-only: TRUNCATE refused';
END;
$$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS sharing_auditevent_no_truncate ON sharing_auditevent;
CREATE TRIGGER sharing_auditevent_no_truncate BEFORE TRUNCATE ON sharing_auditevent
  FOR EACH STATEMENT EXECUTE FUNCTION hafan_audit_refuse_truncate();
REVOKE UPDATE, DELETE, TRUNCATE ON sharing_auditevent FROM PUBLIC;
DO $revoke$
DECLARE
  grantee text;
BEGIN
  -- Roles given every privilege on new tables (ALTER DEFAULT PRIVILEGES) got them on this one too.
  FOR grantee IN
    SELECT DISTINCT a.grantee::regrole::text
    FROM pg_class c, aclexplode(c.relacl) a
    WHERE c.oid = 'sharing_auditevent'::regclass
      AND a.privilege_type IN ('UPDATE', 'DELETE', 'TRUNCATE')
      AND a.grantee <> c.relowner
      AND a.grantee <> 0
  LOOP
    EXECUTE format('REVOKE UPDATE, DELETE, TRUNCATE ON sharing_auditevent FROM %s', grantee);
  END LOOP;
END
$revoke$;
"""
DROP = """
DROP TRIGGER IF EXISTS sharing_auditevent_no_truncate ON sharing_auditevent;
DROP FUNCTION IF EXISTS hafan_audit_refuse_truncate();
"""


def create_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        # No parameters: the SQL contains format() placeholders that must reach PostgreSQL as they are.
        schema_editor.execute(CREATE, params=None)


def drop_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("sharing", "0005_audit_chain_required")]
    operations = [migrations.RunPython(create_trigger, drop_trigger)]
