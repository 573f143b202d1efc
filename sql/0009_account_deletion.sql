-- 0009_account_deletion.sql - scheduled account deletion, the purge of a
-- deleted account's personal data, and closed organizations.
--
-- A user asks for deletion with POST /api/v1/data/delete-account; the
-- account is then scheduled for deletion_scheduled_for (deletion_grace
-- seconds ahead) and can be cancelled until that time.  "sscnctl purge",
-- running as the owner, calls sscn.purge_user() for each account past its
-- date.  The user row stays, without any personal data, so that the
-- actor ids of the audit log and the created_by columns of business
-- records keep pointing at one pseudonymous account.

-- A purged account has no e-mail and no name, so the columns that hold
-- them become nullable; the CHECK keeps them required for live accounts.
-- Several NULL email_index values do not collide in the UNIQUE index.
ALTER TABLE sscn.users
    ALTER COLUMN email_index DROP NOT NULL,
    ALTER COLUMN email DROP NOT NULL,
    ALTER COLUMN full_name DROP NOT NULL,
    ADD COLUMN deletion_requested_at timestamptz,
    ADD COLUMN deletion_scheduled_for timestamptz,
    ADD COLUMN purged_at timestamptz,
    ADD CONSTRAINT users_identity_until_purged CHECK (purged_at IS NOT NULL OR
	(email IS NOT NULL AND email_index IS NOT NULL AND
	 full_name IS NOT NULL)),
    ADD CONSTRAINT users_deletion_complete CHECK (
	(deletion_requested_at IS NULL) = (deletion_scheduled_for IS NULL));

-- The recipient of a queued mail is ciphertext, so the purge finds a
-- person's mail by the blind index of the address, which sscnd writes
-- beside it (outbox.c).
ALTER TABLE sscn.mail_outbox ADD COLUMN recipient_index bytea
    CHECK (length(recipient_index) = 32);
CREATE INDEX mail_outbox_recipient_index_idx ON sscn.mail_outbox
    (recipient_index) WHERE recipient_index IS NOT NULL;
GRANT INSERT (recipient_index) ON sscn.mail_outbox TO sscn_app;

CREATE INDEX users_deletion_due_idx ON sscn.users (deletion_scheduled_for)
    WHERE deletion_scheduled_for IS NOT NULL AND purged_at IS NULL;
CREATE INDEX users_unverified_idx ON sscn.users (created_at)
    WHERE email_verified_at IS NULL AND purged_at IS NULL;

GRANT SELECT (deletion_scheduled_for),
    UPDATE (deletion_requested_at, deletion_scheduled_for)
    ON sscn.users TO sscn_app;

-- An organization whose last member was purged is closed: it keeps its
-- RFQs, quotes, messages and documents for the other parties, but nobody
-- can act for it any more.  NOTE: the supplier directory and search do
-- not filter on closed_at yet, so a closed supplier is still listed.
ALTER TABLE sscn.organizations ADD COLUMN closed_at timestamptz;
GRANT SELECT (closed_at) ON sscn.organizations TO sscn_app;

-- Organizations that block the caller's deletion request: those where the
-- caller is the only owner and other members remain.  Runs as the owner
-- because row-level security shows a user only the members of the
-- session's own organization.
CREATE FUNCTION sscn.deletion_blocking_orgs() RETURNS SETOF uuid
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp AS $$
	SELECT m.organization_id FROM sscn.memberships m
	WHERE m.user_id = sscn.current_user_id() AND m.role = 'owner'
	  AND NOT EXISTS (SELECT 1 FROM sscn.memberships o
		WHERE o.organization_id = m.organization_id
		  AND o.user_id <> m.user_id AND o.role = 'owner')
	  AND EXISTS (SELECT 1 FROM sscn.memberships o
		WHERE o.organization_id = m.organization_id
		  AND o.user_id <> m.user_id)
	ORDER BY m.organization_id
$$;
REVOKE ALL ON FUNCTION sscn.deletion_blocking_orgs() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION sscn.deletion_blocking_orgs() TO sscn_app;

-- Erase the personal data of one account whose deletion date has passed,
-- in the caller's transaction.  Returns false, changing nothing, when the
-- account is not due: already purged, never scheduled, cancelled, or its
-- date still ahead.  The row lock orders it with a concurrent cancel.
--
-- Every personal column that it clears is listed here, table by table, so
-- that a change of the personal columns (encryption, new tables) changes
-- this one function.  Audit rows are never changed: they keep the actor's
-- id, which names nobody once this function has run.
CREATE FUNCTION sscn.purge_user(target uuid) RETURNS boolean
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
	acct	record;
	org	record;
	heir	uuid;
BEGIN
	SELECT id, email_index INTO acct FROM sscn.users
	WHERE id = target AND purged_at IS NULL
	  AND deletion_scheduled_for <= now()
	FOR UPDATE;
	IF NOT FOUND THEN
		RETURN false;
	END IF;

	-- Credentials and sessions (addresses and user agents).
	DELETE FROM sscn.sessions WHERE user_id = target;
	DELETE FROM sscn.user_tokens WHERE user_id = target;
	DELETE FROM sscn.recovery_codes WHERE user_id = target;
	DELETE FROM sscn.login_lockouts WHERE email_index = acct.email_index;

	-- Organizations.  A sole owner's organization that gained members
	-- during the grace period passes to the longest-standing admin, else
	-- member.  One that loses its last member is closed.
	FOR org IN SELECT m.organization_id, m.role FROM sscn.memberships m
	    WHERE m.user_id = target FOR UPDATE LOOP
		IF NOT EXISTS (SELECT 1 FROM sscn.memberships o
		    WHERE o.organization_id = org.organization_id
		      AND o.user_id <> target) THEN
			UPDATE sscn.organizations SET closed_at = now()
			WHERE id = org.organization_id AND closed_at IS NULL;
		ELSIF org.role = 'owner' AND NOT EXISTS (SELECT 1
		    FROM sscn.memberships o
		    WHERE o.organization_id = org.organization_id
		      AND o.user_id <> target AND o.role = 'owner') THEN
			SELECT o.user_id INTO heir FROM sscn.memberships o
			WHERE o.organization_id = org.organization_id
			  AND o.user_id <> target
			ORDER BY o.role = 'admin' DESC, o.created_at, o.user_id
			LIMIT 1;
			UPDATE sscn.memberships SET role = 'owner'
			WHERE organization_id = org.organization_id
			  AND user_id = heir;
		END IF;
	END LOOP;
	DELETE FROM sscn.memberships WHERE user_id = target;

	-- Rows that name the person by address: invitations sent to them and
	-- mail to them.
	DELETE FROM sscn.org_invitations
	WHERE email_index = acct.email_index OR accepted_by = target;
	DELETE FROM sscn.mail_outbox
	WHERE recipient_index = acct.email_index OR user_id = target;

	-- Records that stay, without the address they were made from.
	UPDATE sscn.legal_acceptances SET address = NULL
	WHERE user_id = target AND address IS NOT NULL;
	UPDATE sscn.nda_acceptances SET address = NULL
	WHERE user_id = target AND address IS NOT NULL;

	-- Cookie consents stay as anonymous evidence of the choices made,
	-- without the user and the address; preferences, unsubscribe tokens
	-- and the export log go.
	UPDATE sscn.consents SET user_id = NULL, address = NULL
	WHERE user_id = target;
	DELETE FROM sscn.user_preferences WHERE user_id = target;
	DELETE FROM sscn.unsubscribe_tokens WHERE user_id = target;
	DELETE FROM sscn.data_exports WHERE user_id = target;

	UPDATE sscn.users SET
	    email = NULL,
	    email_index = NULL,
	    full_name = NULL,
	    phone = NULL,
	    password_hash = NULL,
	    totp_secret = NULL,
	    totp_pending_secret = NULL,
	    totp_enabled_at = NULL,
	    totp_last_step = NULL,
	    last_login_at = NULL,
	    is_admin = false,
	    admin_locked_at = coalesce(admin_locked_at, now()),
	    purged_at = now()
	WHERE id = target;
	RETURN true;
END
$$;
REVOKE ALL ON FUNCTION sscn.purge_user(uuid) FROM PUBLIC;

-- Delete up to "batch" accounts whose address was never verified and that
-- were created before "cutoff", with their login counters and mail, and
-- the organizations they registered that have no member left.  Nobody
-- can sign in to an unverified account, so those organizations hold no
-- business records.  Returns the number of accounts deleted.
CREATE FUNCTION sscn.purge_unverified(cutoff timestamptz, batch int)
    RETURNS int
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
	ids	uuid[];
	orgs	uuid[];
	deleted	int;
BEGIN
	SELECT array_agg(id) INTO ids FROM (
		SELECT id FROM sscn.users
		WHERE email_verified_at IS NULL AND purged_at IS NULL
		  AND created_at < cutoff
		ORDER BY created_at LIMIT batch
		FOR UPDATE SKIP LOCKED) due;
	IF ids IS NULL THEN
		RETURN 0;
	END IF;

	SELECT array_agg(DISTINCT organization_id) INTO orgs
	FROM sscn.memberships WHERE user_id = ANY (ids);
	DELETE FROM sscn.login_lockouts WHERE email_index IN (
		SELECT email_index FROM sscn.users WHERE id = ANY (ids));
	DELETE FROM sscn.mail_outbox WHERE recipient_index IN (
		SELECT email_index FROM sscn.users WHERE id = ANY (ids))
	    OR user_id = ANY (ids);
	DELETE FROM sscn.users WHERE id = ANY (ids);
	GET DIAGNOSTICS deleted = ROW_COUNT;
	DELETE FROM sscn.organizations o
	WHERE o.id = ANY (coalesce(orgs, '{}'))
	  AND NOT EXISTS (SELECT 1 FROM sscn.memberships m
		WHERE m.organization_id = o.id);
	RETURN deleted;
END
$$;
REVOKE ALL ON FUNCTION sscn.purge_unverified(timestamptz, int) FROM PUBLIC;
