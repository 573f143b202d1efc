-- 0008_incidents.sql - the breach register of GDPR Article 33(5) and the
-- users each incident affects.
--
-- One row per personal data breach, notified or not: the facts, the
-- 72-hour clock that starts when SSCN became aware of it, the decisions
-- on notifying the supervisory authority and the data subjects, and the
-- status.  The deadline is computed when read (became_aware_at + 72
-- hours), so it cannot drift from the time it derives from.  Only
-- platform admins reach these tables: row-level security checks the
-- admin flag of the session's user, and sscnd checks on top that the
-- session passed MFA.  Affected users are kept by id only; their
-- addresses are read from sscn.users when the notice is queued.

-- True when the request's user is a platform admin.
CREATE FUNCTION sscn.current_user_is_admin() RETURNS boolean
    LANGUAGE sql STABLE
    AS $$ SELECT coalesce((SELECT is_admin FROM sscn.users
	WHERE id = sscn.current_user_id()), false) $$;
REVOKE ALL ON FUNCTION sscn.current_user_is_admin() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION sscn.current_user_is_admin() TO sscn_app;

CREATE TABLE sscn.incidents (
	id			uuid PRIMARY KEY,
	title			text NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
	severity		text NOT NULL
	    CHECK (severity IN ('sev1', 'sev2', 'sev3', 'sev4')),
	status			text NOT NULL DEFAULT 'open'
	    CHECK (status IN ('open', 'contained', 'notified', 'closed')),
	reporter		text CHECK (length(reporter) <= 200),
	detected_at		timestamptz,
	became_aware_at		timestamptz NOT NULL,
	description		text NOT NULL CHECK (length(description) <= 20000),
	data_categories		text[] NOT NULL DEFAULT '{}',
	subject_categories	text[] NOT NULL DEFAULT '{}',
	approx_subjects		bigint CHECK (approx_subjects >= 0),
	approx_records		bigint CHECK (approx_records >= 0),
	consequences		text CHECK (length(consequences) <= 20000),
	risk_level		text CHECK (risk_level IN ('none', 'risk', 'high')),
	risk_reasoning		text CHECK (length(risk_reasoning) <= 20000),
	measures		text CHECK (length(measures) <= 20000),
	contact_point		text CHECK (length(contact_point) <= 500),
	authority_notified_at	timestamptz,
	authority_reference	text CHECK (length(authority_reference) <= 200),
	authority_delay_reason	text CHECK (length(authority_delay_reason) <= 20000),
	authority_not_notified_reason text
	    CHECK (length(authority_not_notified_reason) <= 20000),
	subjects_notified_at	timestamptz,
	subjects_notification_method text
	    CHECK (length(subjects_notification_method) <= 200),
	subjects_not_notified_reason text
	    CHECK (length(subjects_not_notified_reason) <= 20000),
	processor_notifications	text
	    CHECK (length(processor_notifications) <= 20000),
	lessons_learned		text CHECK (length(lessons_learned) <= 20000),
	closed_at		timestamptz,
	created_by		uuid REFERENCES sscn.users ON DELETE SET NULL,
	created_at		timestamptz NOT NULL DEFAULT now(),
	updated_at		timestamptz NOT NULL DEFAULT now(),
	-- sscnd checks these too and names the field; the constraints keep
	-- other writers honest.
	CHECK (authority_reference IS NULL OR authority_notified_at IS NOT NULL),
	CHECK (authority_notified_at IS NULL
	    OR authority_not_notified_reason IS NULL),
	CHECK (subjects_notified_at IS NULL
	    OR subjects_not_notified_reason IS NULL),
	CHECK ((status = 'closed') = (closed_at IS NOT NULL))
);
CREATE INDEX incidents_open_idx ON sscn.incidents (became_aware_at, id)
    WHERE status <> 'closed';

-- Each creation and change of an incident with the values it set, oldest
-- first: the phases in which facts arrive (Article 33(4)) stay readable
-- after later changes overwrite the incident's columns.
CREATE TABLE sscn.incident_updates (
	id		bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	incident_id	uuid NOT NULL REFERENCES sscn.incidents ON DELETE CASCADE,
	changed_at	timestamptz NOT NULL DEFAULT now(),
	changed_by	uuid REFERENCES sscn.users ON DELETE SET NULL,
	changes		jsonb NOT NULL CHECK (jsonb_typeof(changes) = 'object')
);
CREATE INDEX incident_updates_incident_idx
    ON sscn.incident_updates (incident_id, id);

-- The users an incident affects.  A row is written when the notice to
-- that user is queued, so the primary key lets each user get one notice
-- per incident.
CREATE TABLE sscn.incident_subjects (
	incident_id	uuid NOT NULL REFERENCES sscn.incidents ON DELETE CASCADE,
	user_id		uuid NOT NULL REFERENCES sscn.users ON DELETE CASCADE,
	notified_at	timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (incident_id, user_id)
);
CREATE INDEX incident_subjects_user_idx ON sscn.incident_subjects (user_id);

ALTER TABLE sscn.incidents ENABLE ROW LEVEL SECURITY;
ALTER TABLE sscn.incident_subjects ENABLE ROW LEVEL SECURITY;
ALTER TABLE sscn.incident_updates ENABLE ROW LEVEL SECURITY;
CREATE POLICY incidents_admin ON sscn.incidents TO sscn_app
    USING (sscn.current_user_is_admin())
    WITH CHECK (sscn.current_user_is_admin());
CREATE POLICY incident_subjects_admin ON sscn.incident_subjects TO sscn_app
    USING (sscn.current_user_is_admin())
    WITH CHECK (sscn.current_user_is_admin());
CREATE POLICY incident_updates_admin ON sscn.incident_updates TO sscn_app
    USING (sscn.current_user_is_admin())
    WITH CHECK (sscn.current_user_is_admin());

-- The users that a notice goes to: the given users and every member of
-- the given organizations.  It runs as the owner because memberships are
-- visible to members of the same organization only, and returns nothing
-- unless the caller is an admin.
CREATE FUNCTION sscn.incident_affected_users(user_ids uuid[], org_ids uuid[])
    RETURNS TABLE (user_id uuid)
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = sscn, pg_catalog
    AS $$
	SELECT u.id FROM sscn.users u
	 WHERE sscn.current_user_is_admin() AND u.id = ANY (user_ids)
	UNION
	SELECT m.user_id FROM sscn.memberships m
	 WHERE sscn.current_user_is_admin() AND m.organization_id = ANY (org_ids)
$$;
REVOKE ALL ON FUNCTION sscn.incident_affected_users(uuid[], uuid[])
    FROM PUBLIC;
GRANT EXECUTE ON FUNCTION sscn.incident_affected_users(uuid[], uuid[])
    TO sscn_app;

-- The given ids that name no user ('user') or no organization
-- ('organization'), so a notice request with a wrong id is rejected
-- instead of silently reaching fewer people.  Owner rights for the same
-- reason as above; empty unless the caller is an admin.
CREATE FUNCTION sscn.incident_unknown_targets(user_ids uuid[], org_ids uuid[])
    RETURNS TABLE (kind text, id uuid)
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = sscn, pg_catalog
    AS $$
	SELECT 'user', t.id FROM unnest(user_ids) AS t(id)
	 WHERE sscn.current_user_is_admin()
	   AND NOT EXISTS (SELECT 1 FROM sscn.users u WHERE u.id = t.id)
	UNION ALL
	SELECT 'organization', t.id FROM unnest(org_ids) AS t(id)
	 WHERE sscn.current_user_is_admin()
	   AND NOT EXISTS (SELECT 1 FROM sscn.organizations o WHERE o.id = t.id)
$$;
REVOKE ALL ON FUNCTION sscn.incident_unknown_targets(uuid[], uuid[])
    FROM PUBLIC;
GRANT EXECUTE ON FUNCTION sscn.incident_unknown_targets(uuid[], uuid[])
    TO sscn_app;

-- The audit search of GET /api/v1/admin/audit: rows newest first, each
-- filter skipped when NULL, after the row "before_id" when given.  The
-- runtime role may only INSERT into the audit log, so reading goes
-- through this function, which runs as the owner and returns nothing
-- unless the caller is an admin.
CREATE FUNCTION sscn.admin_audit_search(actor uuid, act text, tgt text,
    from_time timestamptz, to_time timestamptz, before_id bigint,
    max_rows integer)
    RETURNS TABLE (id bigint, occurred_at timestamptz, actor_id uuid,
	organization_id uuid, address inet, user_agent text, action text,
	target text, result text, request_id text, details jsonb)
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = sscn, pg_catalog
    AS $$
	SELECT a.id, a.occurred_at, a.actor_id, a.organization_id, a.address,
	       a.user_agent, a.action, a.target, a.result, a.request_id,
	       a.details
	  FROM sscn.audit_log a
	 WHERE sscn.current_user_is_admin()
	   AND (actor IS NULL OR a.actor_id = actor)
	   AND (act IS NULL OR a.action = act)
	   AND (tgt IS NULL OR a.target = tgt)
	   AND (from_time IS NULL OR a.occurred_at >= from_time)
	   AND (to_time IS NULL OR a.occurred_at < to_time)
	   AND (before_id IS NULL OR a.id < before_id)
	 ORDER BY a.id DESC
	 LIMIT max_rows
$$;
REVOKE ALL ON FUNCTION sscn.admin_audit_search(uuid, text, text, timestamptz,
    timestamptz, bigint, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION sscn.admin_audit_search(uuid, text, text,
    timestamptz, timestamptz, bigint, integer) TO sscn_app;

GRANT SELECT, INSERT, UPDATE ON sscn.incidents TO sscn_app;
GRANT SELECT, INSERT ON sscn.incident_subjects TO sscn_app;
GRANT SELECT, INSERT ON sscn.incident_updates TO sscn_app;
