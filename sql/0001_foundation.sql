-- 0001_foundation.sql - lock down the database and prepare schema sscn.
--
-- Runs as sscn_owner, which owns the database, inside the transaction that
-- "sscnctl migrate" opens.  sscnctl has already created schema sscn and
-- the bookkeeping table sscn.schema_migrations.

-- Nobody but the owner creates objects: not in public, not in sscn, and
-- no temporary tables for the runtime role.
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
REVOKE ALL ON SCHEMA sscn FROM PUBLIC;

DO $$
BEGIN
	EXECUTE format('REVOKE ALL ON DATABASE %I FROM PUBLIC',
	    current_database());
	EXECUTE format('GRANT CONNECT ON DATABASE %I TO sscn_app, sscn_maint',
	    current_database());
END
$$;

GRANT USAGE ON SCHEMA sscn TO sscn_app, sscn_maint;

-- /api/health/ready compares the applied version with the one sscnd
-- was built for.
GRANT SELECT ON sscn.schema_migrations TO sscn_app, sscn_maint;

-- Row-level security policies read the caller's organization from this
-- transaction-local setting, which sscnd sets with set_config(..., true)
-- after it has authenticated the request.  Unset means no organization,
-- so policies that compare with it match no row.
CREATE FUNCTION sscn.current_org_id() RETURNS uuid
    LANGUAGE sql STABLE
    AS $$ SELECT nullif(current_setting('sscn.org_id', true), '')::uuid $$;

CREATE FUNCTION sscn.current_user_id() RETURNS uuid
    LANGUAGE sql STABLE
    AS $$ SELECT nullif(current_setting('sscn.user_id', true), '')::uuid $$;

REVOKE ALL ON FUNCTION sscn.current_org_id() FROM PUBLIC;
REVOKE ALL ON FUNCTION sscn.current_user_id() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION sscn.current_org_id() TO sscn_app, sscn_maint;
GRANT EXECUTE ON FUNCTION sscn.current_user_id() TO sscn_app, sscn_maint;
