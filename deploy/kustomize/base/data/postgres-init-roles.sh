#!/usr/bin/env bash
# Runs once, from the official image's /docker-entrypoint-initdb.d, when a PostgreSQL data directory is
# first created. It creates the least-privileged roles each client uses; the schema itself (tables, views,
# the `bookstore_cdc` publication) belongs to `bookstore migrate`, which runs as APP_USER.
#
# Environment (from the StatefulSet and its Secrets):
#   POSTGRES_USER, POSTGRES_DB          superuser and database created by the image
#   APP_USER, APP_PASSWORD              owner of POSTGRES_DB; migrations and the service connect as it
#   REPLICATION_USER, REPLICATION_PASSWORD   optional: Debezium's login (REPLICATION + read on app tables)
#   READONLY_USER, READONLY_PASSWORD    optional: Superset's read-only login on the analytics views
#   EXTRA_DB, EXTRA_DB_USER, EXTRA_DB_PASSWORD  optional: a second database with its own owner
#                                       (Superset's metadata database lives beside analytics)
set -euo pipefail

run_psql() {
  psql -v ON_ERROR_STOP=1 --no-psqlrc --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" "$@"
}

# psql variables (:"ident", :'literal') quote identifiers and literals, so a generated password with odd
# characters cannot break out of the statement.
run_psql -v app_user="$APP_USER" -v app_password="$APP_PASSWORD" -v db="$POSTGRES_DB" <<'SQL'
CREATE ROLE :"app_user" LOGIN PASSWORD :'app_password';
-- Owning the database makes APP_USER the owner of schema public (pg_database_owner, PostgreSQL 15+),
-- so migrations can create tables and publications without superuser rights.
ALTER DATABASE :"db" OWNER TO :"app_user";
REVOKE ALL ON DATABASE :"db" FROM PUBLIC;
GRANT CONNECT, TEMPORARY ON DATABASE :"db" TO :"app_user";
SQL

if [[ -n "${REPLICATION_USER:-}" ]]; then
  run_psql -v repl_user="$REPLICATION_USER" -v repl_password="$REPLICATION_PASSWORD" \
           -v app_user="$APP_USER" -v db="$POSTGRES_DB" <<'SQL'
-- Debezium streams through the migration-owned publication `bookstore_cdc`
-- (publication.autocreate.mode=disabled), so it needs REPLICATION and SELECT for the initial snapshot,
-- never ownership of the tables.
CREATE ROLE :"repl_user" LOGIN REPLICATION PASSWORD :'repl_password';
GRANT CONNECT ON DATABASE :"db" TO :"repl_user";
GRANT USAGE ON SCHEMA public TO :"repl_user";
ALTER DEFAULT PRIVILEGES FOR ROLE :"app_user" IN SCHEMA public GRANT SELECT ON TABLES TO :"repl_user";
SQL
fi

if [[ -n "${READONLY_USER:-}" ]]; then
  run_psql -v ro_user="$READONLY_USER" -v ro_password="$READONLY_PASSWORD" \
           -v app_user="$APP_USER" -v db="$POSTGRES_DB" <<'SQL'
-- Superset reads the vw_* materialized views; it can never write analytics data.
CREATE ROLE :"ro_user" LOGIN PASSWORD :'ro_password';
GRANT CONNECT ON DATABASE :"db" TO :"ro_user";
GRANT USAGE ON SCHEMA public TO :"ro_user";
ALTER DEFAULT PRIVILEGES FOR ROLE :"app_user" IN SCHEMA public GRANT SELECT ON TABLES TO :"ro_user";
ALTER ROLE :"ro_user" SET default_transaction_read_only = on;
SQL
fi

if [[ -n "${EXTRA_DB:-}" ]]; then
  run_psql -v extra_db="$EXTRA_DB" -v extra_user="$EXTRA_DB_USER" -v extra_password="$EXTRA_DB_PASSWORD" <<'SQL'
CREATE ROLE :"extra_user" LOGIN PASSWORD :'extra_password';
CREATE DATABASE :"extra_db" OWNER :"extra_user";
REVOKE ALL ON DATABASE :"extra_db" FROM PUBLIC;
GRANT CONNECT, TEMPORARY ON DATABASE :"extra_db" TO :"extra_user";
SQL
fi
