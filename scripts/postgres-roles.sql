-- Hafan's PostgreSQL roles (docs/audit.md): one role owns the tables and runs the migrations, another, which
-- owns nothing, runs the application. The application's role may read and append to the audit trail but never
-- change, delete or empty it; everywhere else it has ordinary SELECT/INSERT/UPDATE/DELETE.
--
-- Run as a superuser, once before the first `hafan migrate` and again after any migration that adds tables
-- (it is idempotent):
--
--   psql -v db=hafan -v owner=hafan_owner -v app=hafan_app \
--        -v owner_password="$OWNER_PASSWORD" -v app_password="$APP_PASSWORD" -f scripts/postgres-roles.sql
--
-- Then run `hafan migrate` with DATABASE_URL=postgres://hafan_owner:...@host/hafan, and every other process
-- (web server, API, task worker, `hafan` commands) with DATABASE_URL=postgres://hafan_app:...@host/hafan.

\set ON_ERROR_STOP on
\if :{?db}
\else
  \set db hafan
\endif
\if :{?owner}
\else
  \set owner hafan_owner
\endif
\if :{?app}
\else
  \set app hafan_app
\endif

-- The roles. Neither is a superuser: superusers pass every privilege check (the triggers still refuse).
SELECT format('CREATE ROLE %I LOGIN PASSWORD %L NOSUPERUSER NOCREATEDB NOCREATEROLE', :'owner', :'owner_password')
WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = :'owner') \gexec
SELECT format('CREATE ROLE %I LOGIN PASSWORD %L NOSUPERUSER NOCREATEDB NOCREATEROLE', :'app', :'app_password')
WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = :'app') \gexec

SELECT format('CREATE DATABASE %I OWNER %I', :'db', :'owner')
WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = :'db') \gexec

\connect :"db"

-- Only the owner creates objects; the application only uses them.
ALTER SCHEMA public OWNER TO :"owner";
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
GRANT USAGE ON SCHEMA public TO :"app";

-- Tables and sequences the owner's migrations create from now on.
ALTER DEFAULT PRIVILEGES FOR ROLE :"owner" IN SCHEMA public
  GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO :"app";
ALTER DEFAULT PRIVILEGES FOR ROLE :"owner" IN SCHEMA public
  GRANT USAGE, SELECT ON SEQUENCES TO :"app";

-- Tables that already exist.
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO :"app";
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO :"app";

-- The audit trail: read and append only. (Migration sharing 0006 also strips these from every role but the
-- owner when it runs, so the order of this script and the first migrate does not matter.)
SELECT format('REVOKE UPDATE, DELETE, TRUNCATE ON public.sharing_auditevent FROM %I', :'app')
WHERE to_regclass('public.sharing_auditevent') IS NOT NULL \gexec
