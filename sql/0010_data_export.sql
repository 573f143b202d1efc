-- 0010_data_export.sql - the data export of GET /api/v1/data/export.
--
-- A user's data spreads over organizations that row-level security keeps
-- apart, and the runtime role may not read the audit log, so the export
-- is built by one SECURITY DEFINER function that reads only rows tied to
-- sscn.current_user_id().  Encrypted columns are left to sscnd, which has
-- the keys: the e-mail, name and phone it reads itself, and each stored
-- address comes as "address_sealed" (bytea text) with "address_key", the
-- row key that its additional data names, for sscnd to replace with the
-- plain address.

-- Exports per user, for the rate limit: the handler counts the rows of
-- the last hour.  sscnctl purge removes rows older than a day.
CREATE TABLE sscn.data_exports (
	user_id		uuid NOT NULL REFERENCES sscn.users ON DELETE CASCADE,
	requested_at	timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX data_exports_user_idx ON sscn.data_exports
    (user_id, requested_at);

ALTER TABLE sscn.data_exports ENABLE ROW LEVEL SECURITY;
CREATE POLICY data_exports_own ON sscn.data_exports TO sscn_app
    USING (user_id = sscn.current_user_id())
    WITH CHECK (user_id = sscn.current_user_id());
GRANT SELECT, INSERT ON sscn.data_exports TO sscn_app;

-- Everything tied to the current user except the encrypted columns, as
-- one JSON object.  Audit events are those the user caused or that name
-- the user as their target.  The address and browser of an event appear
-- only when the user caused it, because otherwise they belong to another
-- person.
CREATE FUNCTION sscn.data_export_document() RETURNS jsonb
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp AS $$
DECLARE
	me uuid := sscn.current_user_id();
BEGIN
	IF me IS NULL THEN
		RETURN NULL;
	END IF;
	RETURN jsonb_build_object(
	    'account', (SELECT jsonb_build_object(
		'id', u.id,
		'email_verified_at', u.email_verified_at,
		'is_admin', u.is_admin,
		'admin_locked_at', u.admin_locked_at,
		'mfa_enabled', u.totp_enabled_at IS NOT NULL,
		'mfa_enabled_at', u.totp_enabled_at,
		'password_changed_at', u.password_changed_at,
		'last_login_at', u.last_login_at,
		'created_at', u.created_at)
		FROM sscn.users u WHERE u.id = me),
	    'memberships', coalesce((SELECT jsonb_agg(jsonb_build_object(
		'organization_id', o.id,
		'organization_name', o.name,
		'organization_kind', o.kind,
		'role', m.role,
		'joined_at', m.created_at) ORDER BY m.created_at)
		FROM sscn.memberships m
		JOIN sscn.organizations o ON o.id = m.organization_id
		WHERE m.user_id = me), '[]'),
	    'legal_acceptances', coalesce((SELECT jsonb_agg(jsonb_build_object(
		'document', a.kind,
		'version', a.version,
		'accepted_at', a.accepted_at,
		'address_sealed', a.address::text,
		'address_key', a.user_id::text || ':' || a.kind || ':' ||
		    a.version) ORDER BY a.accepted_at)
		FROM sscn.legal_acceptances a WHERE a.user_id = me), '[]'),
	    'preferences', jsonb_build_object(
		'marketing_emails', coalesce((SELECT p.marketing_emails
		    FROM sscn.user_preferences p WHERE p.user_id = me), false),
		'updated_at', (SELECT p.updated_at
		    FROM sscn.user_preferences p WHERE p.user_id = me)),
	    'cookie_consents', coalesce((SELECT jsonb_agg(jsonb_build_object(
		'consent_id', c.consent_id,
		'analytics', c.analytics,
		'marketing', c.marketing,
		'policy_version', c.policy_version,
		'recorded_at', c.recorded_at,
		'address_sealed', c.address::text,
		'address_key', c.id::text) ORDER BY c.recorded_at)
		FROM sscn.consents c WHERE c.user_id = me), '[]'),
	    'sessions', coalesce((SELECT jsonb_agg(jsonb_build_object(
		'id', s.id,
		'created_at', s.created_at,
		'last_seen_at', s.last_seen_at,
		'authentication_time', s.auth_time,
		'assurance_level', s.aal,
		'revoked_at', s.revoked_at,
		'revoke_reason', s.revoke_reason,
		'user_agent', s.user_agent,
		'organization_id', s.organization_id,
		'address_sealed', s.address::text,
		'address_key', s.id::text) ORDER BY s.created_at)
		FROM sscn.sessions s WHERE s.user_id = me), '[]'),
	    'rfqs_created', coalesce((SELECT jsonb_agg(to_jsonb(r)
		ORDER BY r.created_at)
		FROM sscn.rfqs r WHERE r.created_by = me), '[]'),
	    'quote_revisions_created', coalesce((SELECT jsonb_agg(
		to_jsonb(q) || jsonb_build_object('rfq_id', qt.rfq_id)
		ORDER BY q.created_at)
		FROM sscn.quote_revisions q
		JOIN sscn.quotes qt ON qt.id = q.quote_id
		WHERE q.created_by = me), '[]'),
	    'messages_written', coalesce((SELECT jsonb_agg(to_jsonb(m)
		ORDER BY m.created_at)
		FROM sscn.messages m WHERE m.author_id = me), '[]'),
	    'documents_uploaded', coalesce((SELECT jsonb_agg(
		to_jsonb(d) - 'content' - 'sha256' ||
		jsonb_build_object('sha256', encode(d.sha256, 'hex'))
		ORDER BY d.created_at)
		FROM sscn.documents d WHERE d.created_by = me), '[]'),
	    'certifications_created', coalesce((SELECT jsonb_agg(to_jsonb(c)
		ORDER BY c.created_at)
		FROM sscn.certifications c WHERE c.created_by = me), '[]'),
	    'nda_acceptances', coalesce((SELECT jsonb_agg(jsonb_build_object(
		'rfq_id', n.rfq_id,
		'supplier_organization_id', n.supplier_org_id,
		'nda_version', n.nda_version,
		'nda_sha256', encode(n.nda_sha256, 'hex'),
		'accepted_at', n.accepted_at,
		'user_agent', n.user_agent,
		'address_sealed', n.address::text,
		'address_key', n.rfq_id::text || ':' || n.supplier_org_id::text ||
		    ':' || n.nda_version) ORDER BY n.accepted_at)
		FROM sscn.nda_acceptances n WHERE n.user_id = me), '[]'),
	    'audit_events', coalesce((SELECT jsonb_agg(jsonb_build_object(
		'occurred_at', a.occurred_at,
		'action', a.action,
		'result', a.result,
		'target', a.target,
		'organization_id', a.organization_id,
		'caused_by_you', a.actor_id IS NOT DISTINCT FROM me,
		'address', CASE WHEN a.actor_id = me THEN host(a.address) END,
		'user_agent', CASE WHEN a.actor_id = me THEN a.user_agent END,
		'request_id', a.request_id,
		'details', a.details) ORDER BY a.id)
		FROM sscn.audit_log a
		WHERE a.actor_id = me OR a.target = me::text), '[]'));
END
$$;
REVOKE ALL ON FUNCTION sscn.data_export_document() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION sscn.data_export_document() TO sscn_app;

-- The export finds the events that name a user as their target.
CREATE INDEX audit_log_target_idx ON sscn.audit_log (target);
