-- 0007_consent.sql - cookie consent, the marketing mail preference,
-- one-click unsubscribe tokens and marketing mail in the outbox.
--
-- Consent rows and preferences belong to one user (or one anonymous
-- browser) and carry row-level security.  Unsubscribe tokens are looked
-- up by their SHA-256 only, as sscn.user_tokens are, so they need none.

-- ---- cookie consent ---------------------------------------------------------

-- Every choice a visitor makes is a new row; the latest row of a consent
-- id or a user is the choice in force.  consent_id is the random value of
-- the __Host-sscn_consent cookie, so an anonymous visitor can read their
-- own choice back; user_id is set when the request was authenticated.
-- address is the client address as AES-256-GCM ciphertext (fieldcrypt,
-- authenticated data "consents.address:" || id), kept as evidence of the
-- choice.
CREATE TABLE sscn.consents (
	id		uuid PRIMARY KEY,
	consent_id	uuid NOT NULL,
	user_id		uuid REFERENCES sscn.users ON DELETE CASCADE,
	analytics	boolean NOT NULL,
	marketing	boolean NOT NULL,
	policy_kind	text NOT NULL DEFAULT 'cookies'
	    CHECK (policy_kind = 'cookies'),
	policy_version	text NOT NULL,
	recorded_at	timestamptz NOT NULL DEFAULT now(),
	address		bytea,
	FOREIGN KEY (policy_kind, policy_version)
	    REFERENCES sscn.legal_documents (kind, version)
);
CREATE INDEX consents_consent_idx ON sscn.consents (consent_id, recorded_at);
CREATE INDEX consents_user_idx ON sscn.consents (user_id, recorded_at)
    WHERE user_id IS NOT NULL;

-- The anonymous consent id of the current request, set per transaction
-- by sscnd from the cookie; NULL when unset.
CREATE FUNCTION sscn.current_consent_id() RETURNS uuid
    LANGUAGE sql STABLE
    AS $$ SELECT nullif(current_setting('sscn.consent_id', true), '')::uuid $$;
REVOKE ALL ON FUNCTION sscn.current_consent_id() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION sscn.current_consent_id() TO sscn_app, sscn_maint;

ALTER TABLE sscn.consents ENABLE ROW LEVEL SECURITY;

-- A user reads their own rows; an anonymous browser reads the rows of its
-- consent cookie that no user owns.
CREATE POLICY consents_select ON sscn.consents FOR SELECT TO sscn_app
    USING (user_id = sscn.current_user_id()
	OR (user_id IS NULL AND consent_id = sscn.current_consent_id()));
CREATE POLICY consents_insert ON sscn.consents FOR INSERT TO sscn_app
    WITH CHECK (CASE WHEN user_id IS NULL
	THEN consent_id = sscn.current_consent_id()
	ELSE user_id = sscn.current_user_id() END);

GRANT SELECT, INSERT ON sscn.consents TO sscn_app;
GRANT SELECT, DELETE ON sscn.consents TO sscn_maint;
CREATE POLICY consents_maint ON sscn.consents TO sscn_maint
    USING (true);

-- ---- preferences ------------------------------------------------------------

-- A user without a row has the defaults: no marketing mail.
CREATE TABLE sscn.user_preferences (
	user_id			uuid PRIMARY KEY
	    REFERENCES sscn.users ON DELETE CASCADE,
	marketing_emails	boolean NOT NULL DEFAULT false,
	updated_at		timestamptz NOT NULL DEFAULT now()
);

ALTER TABLE sscn.user_preferences ENABLE ROW LEVEL SECURITY;
CREATE POLICY user_preferences_own ON sscn.user_preferences TO sscn_app
    USING (user_id = sscn.current_user_id())
    WITH CHECK (user_id = sscn.current_user_id());
-- The mail sender (sscn.mail_outbox_claim) and purges read every row.
CREATE POLICY user_preferences_maint ON sscn.user_preferences TO sscn_maint
    USING (true);

GRANT SELECT, INSERT, UPDATE ON sscn.user_preferences TO sscn_app;
GRANT SELECT, DELETE ON sscn.user_preferences TO sscn_maint;

-- ---- one-click unsubscribe (RFC 8058) ---------------------------------------

-- One token per marketing mail, valid for the marketing mail of its user
-- only and for as long as the user exists: a mail read months later must
-- still unsubscribe.  Only the SHA-256 of the 256-bit token is stored.
CREATE TABLE sscn.unsubscribe_tokens (
	token_hash	bytea PRIMARY KEY CHECK (length(token_hash) = 32),
	user_id		uuid NOT NULL REFERENCES sscn.users ON DELETE CASCADE,
	scope		text NOT NULL DEFAULT 'marketing_emails'
	    CHECK (scope = 'marketing_emails'),
	created_at	timestamptz NOT NULL DEFAULT now(),
	last_used_at	timestamptz
);
CREATE INDEX unsubscribe_tokens_user_idx ON sscn.unsubscribe_tokens (user_id);

GRANT SELECT, UPDATE (last_used_at) ON sscn.unsubscribe_tokens TO sscn_app;
GRANT SELECT, DELETE ON sscn.unsubscribe_tokens TO sscn_maint;

-- ---- marketing mail in the outbox -------------------------------------------

-- True when "headers" is a JSON object of header names to string values
-- that a sender can copy into a message as they are: RFC 5322 field
-- names, and no CR or LF that could start another header.
CREATE FUNCTION sscn.mail_headers_valid(headers jsonb) RETURNS boolean
    LANGUAGE sql IMMUTABLE
    AS $$
	SELECT jsonb_typeof(headers) = 'object' AND NOT EXISTS (
	    SELECT 1 FROM jsonb_each(headers) h
	    WHERE h.key !~ '^[A-Za-z][A-Za-z0-9-]{0,63}$'
	       OR jsonb_typeof(h.value) <> 'string'
	       OR h.value #>> '{}' ~ '[\r\n]')
$$;

-- category 'marketing' needs the user, so that the sender can check the
-- preference again just before sending; 'skipped' is the state of a
-- marketing mail whose user unsubscribed after it was queued.
ALTER TABLE sscn.mail_outbox
	ADD COLUMN user_id uuid REFERENCES sscn.users ON DELETE CASCADE,
	ADD COLUMN category text NOT NULL DEFAULT 'transactional'
	    CHECK (category IN ('transactional', 'marketing')),
	ADD COLUMN headers jsonb NOT NULL DEFAULT '{}'
	    CHECK (sscn.mail_headers_valid(headers)),
	ADD CONSTRAINT mail_outbox_marketing_user
	    CHECK (category <> 'marketing' OR user_id IS NOT NULL),
	DROP CONSTRAINT mail_outbox_state_check,
	ADD CONSTRAINT mail_outbox_state_check
	    CHECK (state IN ('queued', 'sent', 'failed', 'skipped'));

-- Claim up to "batch" queued messages for delivery, oldest first, locked
-- so that two senders never take the same row.  A queued marketing mail
-- whose user no longer wants marketing mail becomes 'skipped' first and
-- is never returned.  The sender marks what it delivered as 'sent' in the
-- same transaction.
CREATE FUNCTION sscn.mail_outbox_claim(batch integer)
    RETURNS SETOF sscn.mail_outbox
    LANGUAGE plpgsql
    AS $$
BEGIN
	UPDATE sscn.mail_outbox o SET state = 'skipped'
	 WHERE o.state = 'queued' AND o.category = 'marketing'
	   AND NOT EXISTS (SELECT 1 FROM sscn.user_preferences p
	       WHERE p.user_id = o.user_id AND p.marketing_emails);
	RETURN QUERY SELECT * FROM sscn.mail_outbox o
	 WHERE o.state = 'queued'
	   AND (o.category = 'transactional' OR EXISTS (
	       SELECT 1 FROM sscn.user_preferences p
	        WHERE p.user_id = o.user_id AND p.marketing_emails))
	 ORDER BY o.id LIMIT batch FOR UPDATE SKIP LOCKED;
END
$$;
REVOKE ALL ON FUNCTION sscn.mail_outbox_claim(integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION sscn.mail_outbox_claim(integer) TO sscn_maint;

-- The guard at queue time, whatever queues the mail (sscnd, sscnctl or a
-- later sender): a marketing mail to a user who has not opted in, or
-- whose address is not verified, is dropped with a NOTICE, and the
-- INSERT reports one row fewer.  Runs as the owner, because the inserting
-- role may not see that user's preferences under row-level security.
CREATE FUNCTION sscn.mail_outbox_marketing_guard() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = sscn, pg_catalog
    AS $$
BEGIN
	IF NEW.category = 'marketing' AND NOT EXISTS (
	    SELECT 1 FROM sscn.user_preferences p
	      JOIN sscn.users u ON u.id = p.user_id
	     WHERE p.user_id = NEW.user_id AND p.marketing_emails
	       AND u.email_verified_at IS NOT NULL) THEN
		RAISE NOTICE 'marketing mail to user % skipped: not opted in',
		    NEW.user_id;
		RETURN NULL;
	END IF;
	RETURN NEW;
END
$$;
REVOKE ALL ON FUNCTION sscn.mail_outbox_marketing_guard() FROM PUBLIC;

CREATE TRIGGER mail_outbox_marketing_guard BEFORE INSERT ON sscn.mail_outbox
    FOR EACH ROW EXECUTE FUNCTION sscn.mail_outbox_marketing_guard();
