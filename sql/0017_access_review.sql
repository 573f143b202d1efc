-- 0017_access_review.sql - what GET /api/v1/admin/access-review and
-- "sscnctl evidence" need for the periodic review of who has access.
--
-- An account is dormant when it has not logged in for the review's
-- period; one that never logged in counts from its creation.  The one
-- definition here serves sscnd's review and the evidence control, so the
-- two cannot count differently.
CREATE FUNCTION sscn.account_dormant(last_login_at timestamptz,
    created_at timestamptz, dormant_days integer) RETURNS boolean
    LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
	SELECT coalesce(last_login_at, created_at) <
	    now() - make_interval(days => dormant_days)
$$;
REVOKE ALL ON FUNCTION sscn.account_dormant(timestamptz, timestamptz,
    integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION sscn.account_dormant(timestamptz, timestamptz,
    integer) TO sscn_app;

-- The organization memberships of account "target" as a JSON array of
-- {organization_id, organization_name, organization_kind, role, since},
-- oldest first.  Row-level security shows a user only the members of
-- the session's own organization, so this runs as the owner, and it
-- returns NULL unless the request's user is a platform admin.
CREATE FUNCTION sscn.admin_user_memberships(target uuid) RETURNS jsonb
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp AS $$
	SELECT coalesce(jsonb_agg(jsonb_build_object(
		    'organization_id', o.id,
		    'organization_name', o.name,
		    'organization_kind', o.kind,
		    'role', m.role,
		    'since', to_char(m.created_at AT TIME ZONE 'UTC',
			'YYYY-MM-DD"T"HH24:MI:SS"Z"'))
		ORDER BY m.created_at, o.id), '[]'::jsonb)
	  FROM sscn.memberships m
	  JOIN sscn.organizations o ON o.id = m.organization_id
	 WHERE m.user_id = target
	HAVING sscn.current_user_is_admin()
$$;
REVOKE ALL ON FUNCTION sscn.admin_user_memberships(uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION sscn.admin_user_memberships(uuid) TO sscn_app;
