-- 0003_session_organization.sql - the organization a session acts for.
--
-- Each session acts for at most one organization, chosen at login.  Its id,
-- kind and name and the user's role in it are kept on the session row, so
-- the session check that every authenticated request runs reads one row
-- and can set the row-level-security settings (sscn.user_id, sscn.org_id,
-- sscn.org_role) without first reading the tables those settings protect.
-- Reading the name through row-level security instead cost a fifth of the
-- database time of GET /api/v1/me (bench/README.md).
--
-- Foreign keys keep the copy exact instead of trusting every writer:
-- a changed role, kind or name reaches the sessions in the same
-- transaction (ON UPDATE CASCADE), and a removed membership or organization
-- clears the session's organization at once (ON DELETE SET NULL), so the
-- removed member's next request acts for no organization.

ALTER TABLE sscn.memberships
    ADD CONSTRAINT memberships_role_key UNIQUE (organization_id, user_id, role);
ALTER TABLE sscn.organizations
    ADD CONSTRAINT organizations_session_key UNIQUE (id, kind, name);

ALTER TABLE sscn.sessions
    ADD COLUMN organization_id uuid,
    ADD COLUMN org_role text,
    ADD COLUMN org_kind text,
    ADD COLUMN org_name text,
    ADD CONSTRAINT sessions_org_complete CHECK (
	(organization_id IS NULL AND org_role IS NULL AND org_kind IS NULL AND
	 org_name IS NULL) OR
	(organization_id IS NOT NULL AND org_role IS NOT NULL AND
	 org_kind IS NOT NULL AND org_name IS NOT NULL)),
    ADD CONSTRAINT sessions_membership_fkey
	FOREIGN KEY (organization_id, user_id, org_role)
	REFERENCES sscn.memberships (organization_id, user_id, role)
	ON UPDATE CASCADE ON DELETE SET NULL (organization_id, org_role),
    ADD CONSTRAINT sessions_organization_fkey
	FOREIGN KEY (organization_id, org_kind, org_name)
	REFERENCES sscn.organizations (id, kind, name)
	ON UPDATE CASCADE
	ON DELETE SET NULL (organization_id, org_kind, org_name);

-- Each foreign key clears only its own columns; this trigger clears the
-- rest once organization_id is gone, so the CHECK holds.
CREATE FUNCTION sscn.sessions_clear_org_kind() RETURNS trigger
    LANGUAGE plpgsql AS $$
BEGIN
	IF NEW.organization_id IS NULL THEN
		NEW.org_role := NULL;
		NEW.org_kind := NULL;
		NEW.org_name := NULL;
	END IF;
	RETURN NEW;
END
$$;
REVOKE ALL ON FUNCTION sscn.sessions_clear_org_kind() FROM PUBLIC;

CREATE TRIGGER sessions_clear_org_kind BEFORE UPDATE ON sscn.sessions
    FOR EACH ROW WHEN (NEW.organization_id IS NULL AND
	(NEW.org_role IS NOT NULL OR NEW.org_kind IS NOT NULL OR
	 NEW.org_name IS NOT NULL))
    EXECUTE FUNCTION sscn.sessions_clear_org_kind();

-- Sessions open before this migration act for the user's first
-- organization, as a new login would choose.
UPDATE sscn.sessions s SET organization_id = f.organization_id,
    org_role = f.role, org_kind = f.kind, org_name = f.name
FROM (SELECT DISTINCT ON (m.user_id) m.user_id, m.organization_id, m.role,
	o.kind, o.name
      FROM sscn.memberships m JOIN sscn.organizations o
	ON o.id = m.organization_id
      ORDER BY m.user_id, m.created_at, m.organization_id) f
WHERE f.user_id = s.user_id AND s.revoked_at IS NULL;

GRANT UPDATE (organization_id, org_role, org_kind, org_name) ON sscn.sessions
    TO sscn_app;

CREATE FUNCTION sscn.current_org_role() RETURNS text
    LANGUAGE sql STABLE
    AS $$ SELECT nullif(current_setting('sscn.org_role', true), '') $$;
REVOKE ALL ON FUNCTION sscn.current_org_role() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION sscn.current_org_role() TO sscn_app, sscn_maint;

-- The session's organization is visible through sscn.org_id, which only
-- the session check sets, from a row the foreign keys above keep true.
CREATE POLICY organizations_session_select ON sscn.organizations FOR SELECT
    TO sscn_app USING (id = sscn.current_org_id());
