-- 0014_api_keys.sql - API keys of organizations and the nonce store of
-- signed requests.
--
-- The secret is 256 random bits.  HMAC verification needs the secret
-- itself, so it is stored encrypted (AES-256-GCM under the field key, AAD
-- "api_keys.secret:" and the key id) next to its SHA-256, which lets an
-- operator find a leaked secret without decrypting every row.  A key acts
-- for its organization as the member who created it, with that member's
-- current role; the key stops working when that member leaves.
CREATE TABLE sscn.api_keys (
	id		uuid PRIMARY KEY,
	organization_id	uuid NOT NULL REFERENCES sscn.organizations
			    ON DELETE CASCADE,
	created_by	uuid NOT NULL REFERENCES sscn.users ON DELETE CASCADE,
	name		text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
	prefix		text NOT NULL CHECK (length(prefix) = 8),
	secret_sha256	bytea NOT NULL UNIQUE CHECK (length(secret_sha256) = 32),
	secret		bytea NOT NULL,
	scopes		text[] NOT NULL CHECK (scopes <@ ARRAY['read', 'write']
			    AND cardinality(scopes) >= 1),
	created_at	timestamptz NOT NULL DEFAULT now(),
	expires_at	timestamptz,
	last_used_at	timestamptz,
	revoked_at	timestamptz
);
CREATE INDEX api_keys_org_idx ON sscn.api_keys (organization_id, created_at);

-- Signatures seen inside the timestamp window, by SHA-256.  A signature
-- repeats when a request is replayed, and also when a client sends the
-- same method, URI and body twice within one second: both are rejected.  Rows
-- older than twice the window are deleted by sscn.api_key_accept().
CREATE UNLOGGED TABLE sscn.api_key_nonces (
	key_id		uuid NOT NULL REFERENCES sscn.api_keys ON DELETE CASCADE,
	signature_sha256 bytea NOT NULL CHECK (length(signature_sha256) = 32),
	seen_at		timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (key_id, signature_sha256)
);
CREATE INDEX api_key_nonces_seen_idx ON sscn.api_key_nonces (seen_at);

-- Owners and admins of the session's organization manage its keys.
ALTER TABLE sscn.api_keys ENABLE ROW LEVEL SECURITY;
CREATE POLICY api_keys_managers ON sscn.api_keys TO sscn_app
    USING (organization_id = sscn.current_org_id()
	   AND sscn.current_org_role() IN ('owner', 'admin'))
    WITH CHECK (organization_id = sscn.current_org_id()
	   AND sscn.current_org_role() IN ('owner', 'admin'));
ALTER TABLE sscn.api_key_nonces ENABLE ROW LEVEL SECURITY;

GRANT SELECT, INSERT, UPDATE (revoked_at) ON sscn.api_keys TO sscn_app;

-- The key of a signed request, before anyone is authenticated: its
-- ciphertext, scopes and the identity it acts as.  No row when the key is
-- unknown, revoked, expired, or its creator is no longer a member, locked
-- or past a scheduled deletion.
CREATE FUNCTION sscn.api_key_for_request(p_key_id uuid)
    RETURNS TABLE (secret bytea, scopes text[], organization_id uuid,
	user_id uuid, org_role text, org_kind text)
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp AS $$
	SELECT k.secret, k.scopes, k.organization_id, k.created_by, m.role,
	       o.kind
	FROM sscn.api_keys k
	JOIN sscn.memberships m ON m.organization_id = k.organization_id
	     AND m.user_id = k.created_by
	JOIN sscn.organizations o ON o.id = k.organization_id
	JOIN sscn.users u ON u.id = k.created_by
	WHERE k.id = p_key_id AND k.revoked_at IS NULL
	  AND (k.expires_at IS NULL OR k.expires_at > now())
	  AND u.admin_locked_at IS NULL
	  AND (u.deletion_scheduled_for IS NULL
	       OR u.deletion_scheduled_for > now())
$$;
REVOKE ALL ON FUNCTION sscn.api_key_for_request(uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION sscn.api_key_for_request(uuid) TO sscn_app;

-- Record a verified signature and the key's use.  Returns false when the
-- signature was seen before (a replay).  p_window is the timestamp window
-- in seconds; nonces older than twice that can no longer be replayed.
CREATE FUNCTION sscn.api_key_accept(p_key_id uuid, p_signature_sha256 bytea,
    p_window int)
    RETURNS boolean
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp AS $$
BEGIN
	DELETE FROM sscn.api_key_nonces
	WHERE seen_at < now() - make_interval(secs => 2 * p_window);
	INSERT INTO sscn.api_key_nonces (key_id, signature_sha256)
	VALUES (p_key_id, p_signature_sha256) ON CONFLICT DO NOTHING;
	IF NOT FOUND THEN
		RETURN false;
	END IF;
	UPDATE sscn.api_keys SET last_used_at = now() WHERE id = p_key_id;
	RETURN true;
END
$$;
REVOKE ALL ON FUNCTION sscn.api_key_accept(uuid, bytea, int) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION sscn.api_key_accept(uuid, bytea, int) TO sscn_app;
