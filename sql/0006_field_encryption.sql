-- 0006_field_encryption.sql - personal data stored as AES-256-GCM
-- ciphertext, and the e-mail address found through a blind index.
--
-- No key is stored in the database, because sscnd and sscnctl encrypt and
-- decrypt in C with the key file (src/crypto/pii.h).  Each ciphertext is bound to
-- its column and row, with the additional data "users.email:" and the user
-- id, for example.  users.email_index is HMAC-SHA256 under the key file's
-- "index" key over "email:" and the normalized address, so it finds an
-- account and keeps addresses unique without holding them in clear.
--
-- Existing rows are converted in this migration's transaction: the first
-- part keeps the clear values under *_clear names and adds the new
-- columns, "sscnctl migrate" then runs its C conversion step at the marker
-- line below, and the second part drops the clear columns.  The old values
-- stay in the table files until their space is reused; sscnctl(8) says how
-- to rewrite the tables.

-- ---- users --------------------------------------------------------------

ALTER TABLE sscn.users RENAME COLUMN email TO email_clear;
ALTER TABLE sscn.users RENAME COLUMN full_name TO full_name_clear;
ALTER TABLE sscn.users RENAME COLUMN phone TO phone_clear;
ALTER TABLE sscn.users
    ADD COLUMN email bytea,
    ADD COLUMN full_name bytea,
    ADD COLUMN phone bytea,
    ADD COLUMN email_index bytea;

-- Failed logins per blind index of the normalized address, for every
-- address tried, whether or not an account exists.
ALTER TABLE sscn.login_lockouts ADD COLUMN email_index bytea;

-- ---- mail outbox ------------------------------------------------------------

-- Recipient and body are ciphertexts too; the subject stays clear for the
-- queue listing.  The identity id is drawn only at INSERT, so sscnd binds
-- the ciphertexts to seal_id, a random UUID that it chooses first.
ALTER TABLE sscn.mail_outbox RENAME COLUMN recipient TO recipient_clear;
ALTER TABLE sscn.mail_outbox RENAME COLUMN body TO body_clear;
ALTER TABLE sscn.mail_outbox
    ADD COLUMN seal_id uuid DEFAULT gen_random_uuid(),
    ADD COLUMN recipient bytea,
    ADD COLUMN body bytea;

-- ---- client addresses -------------------------------------------------------

-- The address a session was opened from, and the address of each legal
-- and NDA acceptance, as text ciphertexts.  The additional data names the
-- row: the session id, "user:kind:version" and "rfq:supplier:version".
-- The audit log keeps its addresses clear as security evidence.
ALTER TABLE sscn.sessions RENAME COLUMN address TO address_clear;
ALTER TABLE sscn.sessions ADD COLUMN address bytea;
ALTER TABLE sscn.legal_acceptances RENAME COLUMN address TO address_clear;
ALTER TABLE sscn.legal_acceptances ADD COLUMN address bytea;
ALTER TABLE sscn.nda_acceptances RENAME COLUMN address TO address_clear;
ALTER TABLE sscn.nda_acceptances ADD COLUMN address bytea;

-- ---- organization invitations ----------------------------------------------

-- The invited address as a ciphertext (the normalized form, as before)
-- and its blind index, which keeps one open invitation per address.
ALTER TABLE sscn.org_invitations RENAME COLUMN email_normalized TO email_clear;
ALTER TABLE sscn.org_invitations
    ADD COLUMN email bytea,
    ADD COLUMN email_index bytea;

-- sscnctl: convert-pii

ALTER TABLE sscn.users
    DROP COLUMN email_clear,
    DROP COLUMN full_name_clear,
    DROP COLUMN phone_clear,
    DROP COLUMN email_normalized;
ALTER TABLE sscn.users
    ALTER COLUMN email SET NOT NULL,
    ALTER COLUMN full_name SET NOT NULL,
    ALTER COLUMN email_index SET NOT NULL,
    ADD CONSTRAINT users_email_index_key UNIQUE (email_index),
    ADD CONSTRAINT users_email_index_check CHECK (length(email_index) = 32);

ALTER TABLE sscn.login_lockouts DROP COLUMN email_normalized;
ALTER TABLE sscn.login_lockouts
    ALTER COLUMN email_index SET NOT NULL,
    ADD PRIMARY KEY (email_index);

ALTER TABLE sscn.mail_outbox
    DROP COLUMN recipient_clear,
    DROP COLUMN body_clear;
ALTER TABLE sscn.mail_outbox
    ALTER COLUMN seal_id DROP DEFAULT,
    ALTER COLUMN seal_id SET NOT NULL,
    ALTER COLUMN recipient SET NOT NULL,
    ALTER COLUMN body SET NOT NULL,
    ADD CONSTRAINT mail_outbox_seal_id_key UNIQUE (seal_id);

ALTER TABLE sscn.sessions DROP COLUMN address_clear;
ALTER TABLE sscn.legal_acceptances DROP COLUMN address_clear;
ALTER TABLE sscn.nda_acceptances DROP COLUMN address_clear;

-- Dropping email_clear drops org_invitations_open_key with it.
ALTER TABLE sscn.org_invitations DROP COLUMN email_clear;
ALTER TABLE sscn.org_invitations
    ALTER COLUMN email SET NOT NULL,
    ALTER COLUMN email_index SET NOT NULL,
    ADD CONSTRAINT org_invitations_email_index_check
	CHECK (length(email_index) = 32);
CREATE UNIQUE INDEX org_invitations_open_key ON sscn.org_invitations
    (organization_id, email_index)
    WHERE accepted_at IS NULL AND revoked_at IS NULL;

-- The dropped columns took their column privileges with them.
GRANT INSERT (id, email_index, email, full_name, password_hash)
    ON sscn.users TO sscn_app;
GRANT UPDATE (full_name, phone) ON sscn.users TO sscn_app;

-- ---- functions that returned addresses and names --------------------------

-- As in 0004, but the ciphertexts come back with the user id that their
-- additional data names, and sscnd decrypts them.
DROP FUNCTION sscn.rfq_supplier_contacts(uuid, uuid[]);
CREATE FUNCTION sscn.rfq_supplier_contacts(rfq uuid, orgs uuid[] DEFAULT NULL)
    RETURNS TABLE (user_id uuid, email bytea, full_name bytea,
	organization_id uuid)
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp AS $$
BEGIN
	IF sscn.current_org_kind() IS DISTINCT FROM 'buyer' OR NOT EXISTS (
	    SELECT 1 FROM sscn.rfqs r WHERE r.id = rfq AND
		r.buyer_org_id = sscn.current_org_id()) THEN
		RETURN;
	END IF;
	RETURN QUERY
	SELECT u.id, u.email, u.full_name, m.organization_id
	FROM sscn.memberships m JOIN sscn.users u ON u.id = m.user_id
	WHERE m.role IN ('owner', 'admin') AND u.admin_locked_at IS NULL AND
	    (orgs IS NULL OR m.organization_id = ANY (orgs)) AND
	    m.organization_id IN (
		SELECT i.supplier_org_id FROM sscn.rfq_invitations i
		WHERE i.rfq_id = rfq
		UNION
		SELECT q.supplier_org_id FROM sscn.quotes q
		WHERE q.rfq_id = rfq AND q.status <> 'withdrawn')
	ORDER BY m.organization_id, u.id;
END
$$;
REVOKE ALL ON FUNCTION sscn.rfq_supplier_contacts(uuid, uuid[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION sscn.rfq_supplier_contacts(uuid, uuid[])
    TO sscn_app;

DROP FUNCTION sscn.quote_award_recipients(uuid);
CREATE FUNCTION sscn.quote_award_recipients(rfq uuid)
    RETURNS TABLE (supplier_org_id uuid, user_id uuid, email bytea,
	awarded boolean)
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
	SELECT q.supplier_org_id, u.id, u.email, q.status = 'awarded'
	FROM sscn.quotes q
	JOIN sscn.rfqs r ON r.id = q.rfq_id
	JOIN sscn.memberships m ON m.organization_id = q.supplier_org_id
	    AND m.role IN ('owner', 'admin')
	JOIN sscn.users u ON u.id = m.user_id
	WHERE q.rfq_id = rfq AND q.status IN ('awarded', 'rejected')
	    AND r.buyer_org_id = sscn.current_org_id()
	    AND sscn.current_org_kind() = 'buyer'
	ORDER BY q.supplier_org_id, u.id
$$;
REVOKE ALL ON FUNCTION sscn.quote_award_recipients(uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION sscn.quote_award_recipients(uuid) TO sscn_app;
