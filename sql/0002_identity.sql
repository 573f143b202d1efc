-- 0002_identity.sql - accounts, organizations, sessions, MFA, mail outbox
-- and the hash-chained audit log.
--
-- Privileges are granted table by table: sscn_app gets only what the
-- handlers use, and on the audit log only INSERT.  Organizations and
-- memberships carry row-level security keyed on sscn.current_user_id(),
-- which sscnd sets per transaction once a request is authenticated.

-- ---- organizations and users ---------------------------------------------

CREATE TABLE sscn.organizations (
	id		uuid PRIMARY KEY,
	kind		text NOT NULL CHECK (kind IN ('buyer', 'supplier')),
	name		text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
	country		text CHECK (country ~ '^[A-Z]{2}$'),
	require_mfa	boolean NOT NULL DEFAULT false,
	created_at	timestamptz NOT NULL DEFAULT now()
);

-- email_normalized is the trimmed, NFC, case-folded address: the one key
-- for uniqueness and for the login lock, so "A@x.io" and "a@x.io" are one
-- account.  email keeps the address as the user typed it, for mail.
CREATE TABLE sscn.users (
	id			uuid PRIMARY KEY,
	email_normalized	text NOT NULL UNIQUE
	    CHECK (length(email_normalized) BETWEEN 3 AND 254),
	email			text NOT NULL CHECK (length(email) BETWEEN 3 AND 254),
	full_name		text NOT NULL CHECK (length(full_name) BETWEEN 1 AND 200),
	phone			text CHECK (length(phone) <= 40),
	password_hash		text,
	email_verified_at	timestamptz,
	is_admin		boolean NOT NULL DEFAULT false,
	admin_locked_at		timestamptz,
	totp_secret		bytea,
	totp_pending_secret	bytea,
	totp_enabled_at		timestamptz,
	totp_last_step		bigint,
	password_changed_at	timestamptz NOT NULL DEFAULT now(),
	last_login_at		timestamptz,
	created_at		timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE sscn.memberships (
	organization_id	uuid NOT NULL REFERENCES sscn.organizations ON DELETE CASCADE,
	user_id		uuid NOT NULL REFERENCES sscn.users ON DELETE CASCADE,
	role		text NOT NULL CHECK (role IN ('owner', 'admin', 'member')),
	created_at	timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (organization_id, user_id)
);
CREATE INDEX memberships_user_idx ON sscn.memberships (user_id);

-- ---- login protection -------------------------------------------------------

-- Failed logins per normalized e-mail, whether or not an account exists,
-- so every worker and every spelling of an address shares one counter and
-- the answer for an unknown address looks the same.
CREATE TABLE sscn.login_lockouts (
	email_normalized	text PRIMARY KEY,
	failures		integer NOT NULL DEFAULT 0 CHECK (failures >= 0),
	locked_until		timestamptz,
	lock_notified_at	timestamptz,
	updated_at		timestamptz NOT NULL DEFAULT now()
);

-- Failed logins per client address in fixed windows, to stop one client
-- from cycling through many accounts.
CREATE TABLE sscn.login_address_failures (
	address		inet NOT NULL,
	window_start	timestamptz NOT NULL,
	failures	integer NOT NULL DEFAULT 0,
	PRIMARY KEY (address, window_start)
);

-- ---- sessions and single-use tokens -------------------------------------

-- id is 128 bits from libsodium's CSPRNG, stored in a uuid column for its
-- compact form; it is not an RFC 4122 version 4 UUID.
CREATE TABLE sscn.sessions (
	id		uuid PRIMARY KEY,
	user_id		uuid NOT NULL REFERENCES sscn.users ON DELETE CASCADE,
	aal		smallint NOT NULL CHECK (aal IN (1, 2)),
	auth_time	timestamptz NOT NULL,
	created_at	timestamptz NOT NULL DEFAULT now(),
	last_seen_at	timestamptz NOT NULL DEFAULT now(),
	revoked_at	timestamptz,
	revoke_reason	text,
	-- Set while the user must first accept new legal versions or enrol in
	-- MFA: the session may then reach only the endpoints that do that.
	restriction	text CHECK (restriction IN ('acceptance', 'mfa_enrollment')),
	address		inet,
	user_agent	text CHECK (length(user_agent) <= 512)
);
CREATE INDEX sessions_user_idx ON sscn.sessions (user_id)
    WHERE revoked_at IS NULL;

-- E-mail verification, password reset, the MFA step of a login and the
-- first admin's set-up link.  Only a SHA-256 of each token is stored: the
-- token has 256 bits of entropy, so a fast hash is enough.
CREATE TABLE sscn.user_tokens (
	token_hash	bytea PRIMARY KEY CHECK (length(token_hash) = 32),
	user_id		uuid NOT NULL REFERENCES sscn.users ON DELETE CASCADE,
	purpose		text NOT NULL
	    CHECK (purpose IN ('verify_email', 'password_reset', 'mfa', 'admin_setup')),
	created_at	timestamptz NOT NULL DEFAULT now(),
	expires_at	timestamptz NOT NULL,
	used_at		timestamptz
);
CREATE INDEX user_tokens_user_idx ON sscn.user_tokens (user_id, purpose);

-- A code has 60 bits of entropy, so each is hashed with its own random
-- 16-byte salt (keyed BLAKE2b): a stolen table then needs one search per
-- code rather than one search for all.
CREATE TABLE sscn.recovery_codes (
	user_id		uuid NOT NULL REFERENCES sscn.users ON DELETE CASCADE,
	salt		bytea NOT NULL CHECK (length(salt) = 16),
	code_hash	bytea NOT NULL CHECK (length(code_hash) = 32),
	created_at	timestamptz NOT NULL DEFAULT now(),
	used_at		timestamptz,
	PRIMARY KEY (user_id, code_hash)
);

-- ---- legal documents and their acceptance ----------------------------------

CREATE TABLE sscn.legal_documents (
	kind		text NOT NULL
	    CHECK (kind IN ('terms', 'privacy', 'cookies', 'nda', 'dpa')),
	version		text NOT NULL CHECK (version ~ '^[0-9A-Za-z._-]{1,32}$'),
	published_at	timestamptz NOT NULL DEFAULT now(),
	body		text NOT NULL,
	PRIMARY KEY (kind, version)
);

CREATE TABLE sscn.legal_acceptances (
	user_id		uuid NOT NULL REFERENCES sscn.users ON DELETE CASCADE,
	kind		text NOT NULL,
	version		text NOT NULL,
	accepted_at	timestamptz NOT NULL DEFAULT now(),
	address		inet,
	PRIMARY KEY (user_id, kind, version),
	FOREIGN KEY (kind, version) REFERENCES sscn.legal_documents
);

INSERT INTO sscn.legal_documents (kind, version, body) VALUES
	('terms', '2026-01', 'SSCN Terms of Service, version 2026-01. See docs/terms.md.'),
	('privacy', '2026-01', 'SSCN Privacy Notice, version 2026-01. See docs/privacy.md.');

-- ---- mail outbox ------------------------------------------------------------

-- Mail is written here in the transaction of the change that causes it
-- and delivered later, so a rolled-back change sends nothing and a slow
-- mail server never holds up a request.
CREATE TABLE sscn.mail_outbox (
	id		bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	recipient	text NOT NULL CHECK (recipient !~ '[\r\n]'),
	subject		text NOT NULL CHECK (subject !~ '[\r\n]'),
	body		text NOT NULL,
	template	text NOT NULL,
	state		text NOT NULL DEFAULT 'queued'
	    CHECK (state IN ('queued', 'sent', 'failed')),
	attempts	integer NOT NULL DEFAULT 0,
	created_at	timestamptz NOT NULL DEFAULT now(),
	sent_at		timestamptz,
	request_id	text
);
CREATE INDEX mail_outbox_queued_idx ON sscn.mail_outbox (id)
    WHERE state = 'queued';

-- ---- audit log --------------------------------------------------------------

-- Append-only and hash-chained: each row's hash covers its own fields and
-- the previous row's hash, so editing or deleting a row breaks the chain
-- from there on; sscn-security(7) gives the query that finds the break.
-- The runtime role may only INSERT; UPDATE and DELETE are refused by a
-- trigger for every role, the owner included.
CREATE TABLE sscn.audit_log (
	id		bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	occurred_at	timestamptz NOT NULL DEFAULT clock_timestamp(),
	actor_id	uuid,
	organization_id	uuid,
	address		inet,
	user_agent	text,
	action		text NOT NULL CHECK (action ~ '^[a-z_.]{1,64}$'),
	target		text,
	result		text NOT NULL CHECK (result IN ('success', 'failure', 'denied')),
	request_id	text,
	details		jsonb,
	prev_hash	bytea NOT NULL,
	hash		bytea NOT NULL
);
CREATE INDEX audit_log_actor_idx ON sscn.audit_log (actor_id, occurred_at);
CREATE INDEX audit_log_action_idx ON sscn.audit_log (action, occurred_at);

-- The canonical text of a row that the hash covers: every field, in a
-- fixed order, separated by the ASCII unit separator, NULL as \N.
CREATE FUNCTION sscn.audit_row_hash(prev bytea, r sscn.audit_log) RETURNS bytea
    LANGUAGE sql IMMUTABLE
    AS $$
	SELECT sha256(prev || convert_to(concat_ws(E'\x1f',
	    r.id::text,
	    to_char(r.occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
	    coalesce(r.actor_id::text, '\N'),
	    coalesce(r.organization_id::text, '\N'),
	    coalesce(host(r.address), '\N'),
	    coalesce(r.user_agent, '\N'),
	    r.action,
	    coalesce(r.target, '\N'),
	    r.result,
	    coalesce(r.request_id, '\N'),
	    coalesce(r.details::text, '\N')), 'UTF8'))
$$;

-- Runs as the owner so the inserting role needs no SELECT on the log.  The
-- transaction-scoped advisory lock orders concurrent inserts, so each row
-- chains to the row committed before it; the id is drawn after the lock,
-- so ids follow the chain.
CREATE FUNCTION sscn.audit_chain() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = sscn, pg_catalog
    AS $$
DECLARE
	last bytea;
BEGIN
	PERFORM pg_advisory_xact_lock(1397965647);
	NEW.id := nextval(pg_get_serial_sequence('sscn.audit_log', 'id'));
	SELECT hash INTO last FROM sscn.audit_log ORDER BY id DESC LIMIT 1;
	NEW.prev_hash := coalesce(last, '\x00'::bytea);
	NEW.occurred_at := clock_timestamp();
	NEW.hash := sscn.audit_row_hash(NEW.prev_hash, NEW);
	RETURN NEW;
END
$$;

CREATE FUNCTION sscn.audit_refuse_change() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
	RAISE EXCEPTION 'the audit log is append-only'
	    USING ERRCODE = 'insufficient_privilege';
END
$$;

CREATE TRIGGER audit_log_chain BEFORE INSERT ON sscn.audit_log
    FOR EACH ROW EXECUTE FUNCTION sscn.audit_chain();
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON sscn.audit_log
    FOR EACH ROW EXECUTE FUNCTION sscn.audit_refuse_change();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON sscn.audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION sscn.audit_refuse_change();

REVOKE ALL ON FUNCTION sscn.audit_chain() FROM PUBLIC;

-- ---- row-level security -------------------------------------------------

ALTER TABLE sscn.organizations ENABLE ROW LEVEL SECURITY;
ALTER TABLE sscn.memberships ENABLE ROW LEVEL SECURITY;

-- A user sees the organizations they belong to.  Registration inserts the
-- organization before the membership exists, with an id chosen by sscnd,
-- so inserting needs no visibility.
CREATE POLICY organizations_member_select ON sscn.organizations FOR SELECT
    TO sscn_app USING (id IN (SELECT organization_id FROM sscn.memberships
	WHERE user_id = sscn.current_user_id()));
CREATE POLICY organizations_member_update ON sscn.organizations FOR UPDATE
    TO sscn_app USING (id IN (SELECT organization_id FROM sscn.memberships
	WHERE user_id = sscn.current_user_id() AND role IN ('owner', 'admin')));
CREATE POLICY organizations_insert ON sscn.organizations FOR INSERT
    TO sscn_app WITH CHECK (true);

CREATE POLICY memberships_own_select ON sscn.memberships FOR SELECT
    TO sscn_app USING (user_id = sscn.current_user_id());
CREATE POLICY memberships_insert ON sscn.memberships FOR INSERT
    TO sscn_app WITH CHECK (user_id = sscn.current_user_id());

-- ---- privileges of the runtime role ---------------------------------------

GRANT SELECT, INSERT, UPDATE ON sscn.organizations TO sscn_app;
GRANT SELECT, INSERT ON sscn.memberships TO sscn_app;
-- Column privileges: the runtime role can never make anyone an admin.
GRANT SELECT, INSERT (id, email_normalized, email, full_name, password_hash)
    ON sscn.users TO sscn_app;
GRANT UPDATE (full_name, phone, password_hash, email_verified_at,
    admin_locked_at, totp_secret, totp_pending_secret, totp_enabled_at,
    totp_last_step, password_changed_at, last_login_at)
    ON sscn.users TO sscn_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON sscn.login_lockouts TO sscn_app;
GRANT SELECT, INSERT, UPDATE ON sscn.login_address_failures TO sscn_app;
GRANT SELECT, INSERT, UPDATE ON sscn.sessions TO sscn_app;
GRANT SELECT, INSERT, UPDATE ON sscn.user_tokens TO sscn_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON sscn.recovery_codes TO sscn_app;
GRANT SELECT ON sscn.legal_documents TO sscn_app;
GRANT SELECT, INSERT ON sscn.legal_acceptances TO sscn_app;
GRANT INSERT ON sscn.mail_outbox TO sscn_app;
GRANT INSERT ON sscn.audit_log TO sscn_app;

-- Maintenance: purges of expired rows and the mail queue.
GRANT SELECT, DELETE ON sscn.sessions, sscn.user_tokens,
    sscn.login_address_failures TO sscn_maint;
GRANT SELECT, UPDATE ON sscn.mail_outbox TO sscn_maint;
GRANT SELECT ON sscn.audit_log TO sscn_maint;
