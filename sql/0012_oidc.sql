-- 0012_oidc.sql - sign-in with LinkedIn (OpenID Connect): the pending
-- authorization requests, the linked provider identities and the links
-- that wait for the account owner's confirmation.
--
-- Provider subject ids are personal data: each is stored encrypted
-- (AES-256-GCM under the field key, bound to the row) and found by a blind
-- index, HMAC-SHA256 under the key file's index key over "oidc_sub:",
-- the provider name, ":" and the subject.

-- One row per started sign-in.  Only SHA-256 hashes of the state and of
-- the browser cookie are stored: both are 256-bit random values, so a
-- fast hash is enough, and a copy of the table cannot complete a
-- sign-in.  The code verifier (PKCE) is kept in clear because it is
-- worthless without the authorization code, which never reaches the
-- database.
-- "sscnctl purge" removes rows of this table and of oidc_pending_links
-- retention_tokens after their expiry.
CREATE TABLE sscn.oidc_states (
	state_hash	bytea PRIMARY KEY CHECK (length(state_hash) = 32),
	browser_hash	bytea NOT NULL CHECK (length(browser_hash) = 32),
	provider	text NOT NULL CHECK (provider IN ('linkedin')),
	nonce		text CHECK (length(nonce) <= 64),
	code_verifier	text CHECK (length(code_verifier) BETWEEN 43 AND 128),
	created_at	timestamptz NOT NULL DEFAULT now(),
	expires_at	timestamptz NOT NULL,
	used_at		timestamptz
);
CREATE INDEX oidc_states_expires_idx ON sscn.oidc_states (expires_at);

-- A provider identity linked to an account.  sub is the ciphertext of the
-- provider's "sub" claim (AAD "oidc_identities.sub:" and the row id).
CREATE TABLE sscn.oidc_identities (
	id		uuid PRIMARY KEY,
	user_id		uuid NOT NULL REFERENCES sscn.users ON DELETE CASCADE,
	provider	text NOT NULL CHECK (provider IN ('linkedin')),
	sub_index	bytea NOT NULL UNIQUE CHECK (length(sub_index) = 32),
	sub		bytea NOT NULL,
	created_at	timestamptz NOT NULL DEFAULT now(),
	last_login_at	timestamptz,
	UNIQUE (user_id, provider)
);

-- A provider identity whose verified e-mail belongs to an existing
-- account.  It is linked only when the owner of that account signs in
-- (password, and MFA when on) and confirms, in the browser that holds the
-- link cookie, whose SHA-256 is link_hash.
CREATE TABLE sscn.oidc_pending_links (
	link_hash	bytea PRIMARY KEY CHECK (length(link_hash) = 32),
	user_id		uuid NOT NULL REFERENCES sscn.users ON DELETE CASCADE,
	provider	text NOT NULL CHECK (provider IN ('linkedin')),
	sub_index	bytea NOT NULL CHECK (length(sub_index) = 32),
	sub		bytea NOT NULL,
	created_at	timestamptz NOT NULL DEFAULT now(),
	expires_at	timestamptz NOT NULL,
	used_at		timestamptz
);
CREATE INDEX oidc_pending_links_user_idx ON sscn.oidc_pending_links
    (user_id);

-- Identities and pending links are one user's data.  The callback, which
-- runs before anyone is authenticated, sets sscn.user_id to the account it
-- has found or created before it writes, and finds the account of a
-- subject through oidc_identity_user() below.
ALTER TABLE sscn.oidc_identities ENABLE ROW LEVEL SECURITY;
CREATE POLICY oidc_identities_own ON sscn.oidc_identities TO sscn_app
    USING (user_id = sscn.current_user_id())
    WITH CHECK (user_id = sscn.current_user_id());
ALTER TABLE sscn.oidc_pending_links ENABLE ROW LEVEL SECURITY;
CREATE POLICY oidc_pending_links_own ON sscn.oidc_pending_links TO sscn_app
    USING (user_id = sscn.current_user_id())
    WITH CHECK (user_id = sscn.current_user_id());

-- The account linked to a subject's blind index, or no row.  An account
-- that is scheduled for deletion and past its date signs in no more,
-- exactly as the password login treats it.
CREATE FUNCTION sscn.oidc_identity_user(p_provider text, p_sub_index bytea)
    RETURNS TABLE (identity_id uuid, user_id uuid)
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp AS $$
	SELECT i.id, i.user_id FROM sscn.oidc_identities i
	JOIN sscn.users u ON u.id = i.user_id
	WHERE i.provider = p_provider AND i.sub_index = p_sub_index
	  AND (u.deletion_scheduled_for IS NULL
	       OR u.deletion_scheduled_for > now())
$$;
REVOKE ALL ON FUNCTION sscn.oidc_identity_user(text, bytea) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION sscn.oidc_identity_user(text, bytea) TO sscn_app;

GRANT SELECT, INSERT, UPDATE (used_at) ON sscn.oidc_states TO sscn_app;
GRANT SELECT, INSERT, UPDATE (last_login_at) ON sscn.oidc_identities
    TO sscn_app;
GRANT SELECT, INSERT, UPDATE (used_at) ON sscn.oidc_pending_links
    TO sscn_app;
GRANT SELECT, DELETE ON sscn.oidc_states, sscn.oidc_pending_links
    TO sscn_maint;

-- A purged account loses its provider identities and pending links: the
-- subject id is personal data.  sscn.purge_user() (0009) sets purged_at,
-- and this trigger erases the rows in the same transaction.
CREATE FUNCTION sscn.oidc_forget_purged() RETURNS trigger
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
	DELETE FROM sscn.oidc_identities WHERE user_id = NEW.id;
	DELETE FROM sscn.oidc_pending_links WHERE user_id = NEW.id;
	RETURN NULL;
END
$$;
CREATE TRIGGER users_oidc_forget_purged AFTER UPDATE OF purged_at
    ON sscn.users FOR EACH ROW
    WHEN (OLD.purged_at IS NULL AND NEW.purged_at IS NOT NULL)
    EXECUTE FUNCTION sscn.oidc_forget_purged();
