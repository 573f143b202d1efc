-- roles.sql - create or update the three database roles of SSCN.
--
-- Run once per PostgreSQL cluster as a superuser, before the first
-- "sscnctl migrate", with the passwords as psql variables:
--
--   psql -v ON_ERROR_STOP=1 -v owner_password=... -v app_password=... \
--        -v maint_password=... -f roles.sql
--
-- sscn_owner  owns the schema and runs migrations; it can create objects
--             in the SSCN database only, and is not a superuser.
-- sscn_app    is the runtime role of the sscnd workers: it owns nothing,
--             cannot run DDL and cannot bypass row-level security.  Each
--             migration grants it exactly the privileges it needs.
-- sscn_maint  runs retention purges and backups, with privileges granted
--             per table by the migrations.
--
-- Running the file again only resets the passwords and attributes.

\set ON_ERROR_STOP on

SELECT format('CREATE ROLE %I', r)
  FROM unnest(ARRAY['sscn_owner', 'sscn_app', 'sscn_maint']) AS r
 WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = r)
\gexec

SELECT format('ALTER ROLE sscn_owner LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS PASSWORD %L', :'owner_password')
\gexec
SELECT format('ALTER ROLE sscn_app LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS NOINHERIT PASSWORD %L', :'app_password')
\gexec
SELECT format('ALTER ROLE sscn_maint LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS NOINHERIT PASSWORD %L', :'maint_password')
\gexec
