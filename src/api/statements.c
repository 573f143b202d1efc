/*
 * statements.c - every SQL statement sscnd runs, prepared per connection.
 *
 * Keeping them in one table means each one is parsed once per connection,
 * a typo fails at connect time rather than on some rare request, and a
 * reviewer sees every query the runtime role can send.  Statements marked
 * retry_safe only read, so db_exec() may run them again after a
 * reconnect.
 */
#include "config.h"

#include "sscn.h"
#include "idempotency.h"
#include "ratelimit.h"
#include "api/consent.h"
#include "api/incidents.h"
#include "api/account_deletion.h"
#include "api/oidc.h"

/*
 * The session check of every authenticated request: a row only for a
 * session that is open, not idle or past its absolute limit, of a user
 * who is not locked.  Parameters: session id, user id, idle limit,
 * absolute limit and touch interval in seconds.  Its columns, which
 * authn_accept_session() reads by position and statements that extend
 * the check must keep first: aal, auth_time (Unix time), is_admin,
 * whether last_seen_at is due for an update (session_touch), restriction,
 * and the organization the session acts for (id, role, kind).  It sets
 * the row-level-security settings with SET LOCAL semantics: they last
 * until the end of the transaction it runs in, the explicit one of
 * authn_require() or the statement's own.  Read-only, so a request that
 * only reads costs no write.
 */
#define SESSION_CHECK_COLUMNS \
	"SELECT s.aal, extract(epoch FROM s.auth_time)::bigint, u.is_admin, " \
	"  s.last_seen_at <= now() - make_interval(secs => $5::int), " \
	"  coalesce(s.restriction, ''), coalesce(s.organization_id::text, ''), " \
	"  coalesce(s.org_role, ''), coalesce(s.org_kind, ''), " \
	"  set_config('sscn.user_id', $2::uuid::text, true), " \
	"  set_config('sscn.org_id', coalesce(s.organization_id::text, ''), " \
	"    true), " \
	"  set_config('sscn.org_role', coalesce(s.org_role, ''), true), " \
	"  set_config('sscn.org_kind', coalesce(s.org_kind, ''), true)"
#define SESSION_CHECK_FROM \
	" FROM sscn.sessions s JOIN sscn.users u ON u.id = s.user_id " \
	"WHERE s.id = $1::uuid AND s.user_id = $2::uuid " \
	"  AND s.revoked_at IS NULL AND u.admin_locked_at IS NULL " \
	"  AND (u.deletion_scheduled_for IS NULL " \
	"    OR u.deletion_scheduled_for > now()) " \
	"  AND s.last_seen_at > now() - make_interval(secs => $3::int) " \
	"  AND s.created_at > now() - make_interval(secs => $4::int)"

const struct db_statement identity_statements[] = {
	{ "health_schema_version",
	  "SELECT coalesce(max(version), 0) FROM sscn.schema_migrations",
	  0, true },

	/* ---- audit log and outbox ---- */
	{ "audit_insert",
	  "INSERT INTO sscn.audit_log (actor_id, organization_id, address, "
	  "user_agent, action, target, result, request_id, details) "
	  "VALUES ($1::uuid, $2::uuid, $3::inet, $4, $5, $6, $7, $8, $9::jsonb)",
	  9, false },
	{ "outbox_insert",
	  "INSERT INTO sscn.mail_outbox (recipient, subject, body, template, "
	  "request_id, seal_id, recipient_index) VALUES ($1::bytea, $2, "
	  "$3::bytea, $4, $5, $6::uuid, $7::bytea)",
	  7, false },
	{ "set_user_context",
	  "SELECT set_config('sscn.user_id', $1, true)",
	  1, false },

	/* validate.c: kinds 0, 1 and 2 are enum code_kind. */
	{ "code_lists",
	  "SELECT 0, code FROM sscn.countries UNION ALL "
	  "SELECT 1, code FROM sscn.currencies UNION ALL "
	  "SELECT 2, code FROM sscn.categories",
	  0, true },

	/* ---- sessions ---- */
	{ "session_check",
	  SESSION_CHECK_COLUMNS SESSION_CHECK_FROM,
	  5, false },
	/*
	 * The session acts for the user's first organization; the caller has
	 * set sscn.user_id, so row-level security shows the memberships.
	 */
	{ "session_insert",
	  "INSERT INTO sscn.sessions (id, user_id, aal, auth_time, address, "
	  "user_agent, restriction, organization_id, org_role, org_kind, "
	  "org_name) "
	  "SELECT $1::uuid, $2::uuid, $3::smallint, to_timestamp($4::bigint), "
	  "$5::bytea, $6, nullif($7, ''), m.organization_id, m.role, o.kind, "
	  "o.name "
	  "FROM (SELECT) AS one LEFT JOIN LATERAL ("
	  "  SELECT m.organization_id, m.role FROM sscn.memberships m"
	  "  WHERE m.user_id = $2::uuid"
	  "  ORDER BY m.created_at, m.organization_id LIMIT 1) m ON true "
	  "LEFT JOIN sscn.organizations o ON o.id = m.organization_id",
	  7, false },
	{ "session_lift_restriction",
	  "UPDATE sscn.sessions SET restriction = NULL, "
	  "aal = greatest(aal, $3::smallint) "
	  "WHERE id = $1::uuid AND restriction = $2",
	  3, false },
	{ "session_trim",
	  "UPDATE sscn.sessions SET revoked_at = now(), "
	  "revoke_reason = 'session_limit' WHERE id IN ("
	  "  SELECT id FROM sscn.sessions WHERE user_id = $1::uuid"
	  "    AND revoked_at IS NULL ORDER BY created_at DESC, id"
	  "  OFFSET $2::int) RETURNING id::text",
	  2, false },
	{ "session_revoke",
	  "UPDATE sscn.sessions SET revoked_at = now(), revoke_reason = $3 "
	  "WHERE id = $1::uuid AND user_id = $2::uuid AND revoked_at IS NULL "
	  "RETURNING id",
	  3, false },
	{ "session_revoke_others",
	  "UPDATE sscn.sessions SET revoked_at = now(), revoke_reason = $3 "
	  "WHERE user_id = $1::uuid AND revoked_at IS NULL "
	  "AND id IS DISTINCT FROM $2::uuid RETURNING id::text",
	  3, false },
	{ "session_list",
	  "SELECT id::text, to_char(created_at AT TIME ZONE 'UTC', "
	  "'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), to_char(last_seen_at AT TIME "
	  "ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), address, "
	  "user_agent FROM sscn.sessions WHERE user_id = $1::uuid "
	  "AND revoked_at IS NULL "
	  "AND last_seen_at > now() - make_interval(secs => $2::int) "
	  "AND created_at > now() - make_interval(secs => $3::int) "
	  "ORDER BY created_at",
	  3, true },
	{ "session_for_refresh",
	  "SELECT s.aal, extract(epoch FROM s.auth_time)::bigint, u.is_admin "
	  "FROM sscn.sessions s JOIN sscn.users u ON u.id = s.user_id "
	  "WHERE s.id = $1::uuid AND s.user_id = $2::uuid "
	  "AND s.revoked_at IS NULL AND u.admin_locked_at IS NULL "
	  "AND s.last_seen_at > now() - make_interval(secs => $3::int) "
	  "AND s.created_at > now() - make_interval(secs => $4::int)",
	  4, false },
	{ "session_touch",
	  "UPDATE sscn.sessions SET last_seen_at = now() WHERE id = $1::uuid",
	  1, false },

	/* ---- accounts ---- */
	{ "legal_current",
	  "SELECT DISTINCT ON (kind) kind, version FROM sscn.legal_documents "
	  "WHERE kind IN ('terms', 'privacy') ORDER BY kind, published_at DESC",
	  0, true },
	{ "legal_document",
	  "SELECT version, to_char(published_at AT TIME ZONE 'UTC', "
	  "'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), body FROM sscn.legal_documents "
	  "WHERE kind = $1 ORDER BY published_at DESC LIMIT 1",
	  1, true },
	{ "legal_pending",
	  "SELECT DISTINCT ON (d.kind) d.kind, d.version "
	  "FROM sscn.legal_documents d WHERE d.kind IN ('terms', 'privacy') "
	  "AND NOT EXISTS (SELECT 1 FROM sscn.legal_acceptances a "
	  "  WHERE a.user_id = $1::uuid AND a.kind = d.kind "
	  "  AND a.version = d.version) "
	  "AND d.published_at = (SELECT max(published_at) FROM "
	  "  sscn.legal_documents x WHERE x.kind = d.kind)",
	  1, false },
	{ "legal_accept",
	  "INSERT INTO sscn.legal_acceptances (user_id, kind, version, address) "
	  "VALUES ($1::uuid, $2, $3, $4::bytea) ON CONFLICT DO NOTHING",
	  4, false },
	{ "user_insert",
	  "INSERT INTO sscn.users (id, email_index, email, full_name, "
	  "password_hash) VALUES ($1::uuid, $2::bytea, $3::bytea, $4::bytea, "
	  "$5) ON CONFLICT (email_index) DO NOTHING RETURNING id",
	  5, false },
	{ "user_by_email",
	  "SELECT id::text, email, full_name FROM sscn.users "
	  "WHERE email_index = $1::bytea",
	  1, false },
	{ "organization_insert",
	  "INSERT INTO sscn.organizations (id, kind, name) "
	  "VALUES ($1::uuid, $2, $3)",
	  3, false },
	{ "membership_insert",
	  "INSERT INTO sscn.memberships (organization_id, user_id, role) "
	  "VALUES ($1::uuid, $2::uuid, $3)",
	  3, false },
	{ "token_insert",
	  "INSERT INTO sscn.user_tokens (token_hash, user_id, purpose, "
	  "expires_at) VALUES ($1::bytea, $2::uuid, $3, "
	  "now() + make_interval(secs => $4::int))",
	  4, false },
	{ "token_consume",
	  "UPDATE sscn.user_tokens SET used_at = now() "
	  "WHERE token_hash = $1::bytea AND purpose = $2 AND used_at IS NULL "
	  "AND expires_at > now() RETURNING user_id::text",
	  2, false },
	{ "token_expire_purpose",
	  "UPDATE sscn.user_tokens SET used_at = now() "
	  "WHERE user_id = $1::uuid AND purpose = $2 AND used_at IS NULL",
	  2, false },
	{ "user_verify_email",
	  "UPDATE sscn.users SET email_verified_at = "
	  "coalesce(email_verified_at, now()) WHERE id = $1::uuid",
	  1, false },

	/* ---- login ---- */
	{ "login_address_failures",
	  "SELECT coalesce(sum(failures), 0) FROM sscn.login_address_failures "
	  "WHERE address = $1::inet "
	  "AND window_start > now() - make_interval(secs => $2::int)",
	  2, true },
	{ "login_address_fail",
	  "INSERT INTO sscn.login_address_failures (address, window_start, "
	  "failures) VALUES ($1::inet, date_trunc('minute', now()), 1) "
	  "ON CONFLICT (address, window_start) DO UPDATE "
	  "SET failures = sscn.login_address_failures.failures + 1",
	  1, false },
	/*
	 * Claim one login attempt before the password is checked, so that
	 * concurrent attempts on every worker count against one limit.  An
	 * expired lock starts a new count.  Returns the attempt number and
	 * whether the account is locked now.
	 */
	{ "login_claim_attempt",
	  "INSERT INTO sscn.login_lockouts AS l (email_index, failures) "
	  "VALUES ($1::bytea, 1) ON CONFLICT (email_index) DO UPDATE SET "
	  "failures = CASE WHEN l.locked_until IS NOT NULL "
	  "  AND l.locked_until <= now() THEN 1 ELSE l.failures + 1 END, "
	  "locked_until = CASE WHEN l.locked_until <= now() THEN NULL "
	  "  ELSE l.locked_until END, "
	  "updated_at = now() "
	  "RETURNING failures, coalesce(locked_until > now(), false)",
	  1, false },
	/* Lock once the count reaches the threshold; true only the first time. */
	{ "login_lock_if_due",
	  "UPDATE sscn.login_lockouts SET locked_until = now() + "
	  "make_interval(secs => $2::int), lock_notified_at = now() "
	  "WHERE email_index = $1::bytea AND failures >= $3::int "
	  "AND (locked_until IS NULL OR locked_until <= now()) RETURNING 1",
	  3, false },
	{ "login_release_claim",
	  "UPDATE sscn.login_lockouts SET failures = greatest(failures - 1, 0) "
	  "WHERE email_index = $1::bytea",
	  1, false },
	{ "login_clear",
	  "DELETE FROM sscn.login_lockouts WHERE email_index = $1::bytea",
	  1, false },
	{ "login_user",
	  "SELECT id::text, password_hash, email_verified_at IS NOT NULL, "
	  "admin_locked_at IS NOT NULL, totp_enabled_at IS NOT NULL, is_admin, "
	  "email, full_name FROM sscn.users WHERE email_index = $1::bytea "
	  "AND (deletion_scheduled_for IS NULL "
	  "  OR deletion_scheduled_for > now())",
	  1, false },
	{ "user_rehash",
	  "UPDATE sscn.users SET password_hash = $2 WHERE id = $1::uuid",
	  2, false },
	{ "user_logged_in",
	  "UPDATE sscn.users SET last_login_at = now() WHERE id = $1::uuid",
	  1, false },
	{ "user_role",
	  "SELECT o.kind, o.require_mfa FROM sscn.memberships m "
	  "JOIN sscn.organizations o ON o.id = m.organization_id "
	  "WHERE m.user_id = $1::uuid ORDER BY m.created_at LIMIT 1",
	  1, false },

	/* ---- passwords ---- */
	{ "user_password",
	  "SELECT password_hash, email, full_name, email_index "
	  "FROM sscn.users WHERE id = $1::uuid",
	  1, false },
	{ "user_set_password",
	  "UPDATE sscn.users SET password_hash = $2, "
	  "password_changed_at = now() WHERE id = $1::uuid",
	  2, false },

	/* ---- MFA ---- */
	{ "token_peek",
	  "SELECT t.user_id::text, u.email_index FROM sscn.user_tokens t "
	  "JOIN sscn.users u ON u.id = t.user_id WHERE t.token_hash = $1::bytea "
	  "AND t.purpose = $2 AND t.used_at IS NULL AND t.expires_at > now()",
	  2, false },
	{ "mfa_user",
	  "SELECT id::text, email, full_name, is_admin, totp_secret, "
	  "totp_last_step, email_index, password_hash, "
	  "totp_enabled_at IS NOT NULL, totp_pending_secret "
	  "FROM sscn.users WHERE id = $1::uuid",
	  1, false },
	/* Succeeds only for a newer step: one code, one use, on any worker. */
	{ "totp_set_step",
	  "UPDATE sscn.users SET totp_last_step = $2::bigint "
	  "WHERE id = $1::uuid AND (totp_last_step IS NULL "
	  "OR totp_last_step < $2::bigint) RETURNING 1",
	  2, false },
	{ "totp_set_pending",
	  "UPDATE sscn.users SET totp_pending_secret = $2::bytea "
	  "WHERE id = $1::uuid",
	  2, false },
	{ "totp_enable",
	  "UPDATE sscn.users SET totp_secret = $2::bytea, "
	  "totp_pending_secret = NULL, totp_enabled_at = now(), "
	  "totp_last_step = $3::bigint WHERE id = $1::uuid RETURNING 1",
	  3, false },
	{ "totp_disable",
	  "UPDATE sscn.users SET totp_secret = NULL, totp_pending_secret = NULL, "
	  "totp_enabled_at = NULL, totp_last_step = NULL WHERE id = $1::uuid",
	  1, false },
	{ "session_after_acceptance",
	  "UPDATE sscn.sessions s SET restriction = CASE "
	  "WHEN u.totp_enabled_at IS NULL AND (u.is_admin OR EXISTS ("
	  "  SELECT 1 FROM sscn.memberships m JOIN sscn.organizations o "
	  "  ON o.id = m.organization_id WHERE m.user_id = u.id "
	  "  AND o.require_mfa)) THEN 'mfa_enrollment' END "
	  "FROM sscn.users u WHERE s.id = $1::uuid AND u.id = s.user_id "
	  "AND s.restriction = 'acceptance'",
	  1, false },
	{ "session_set_aal2",
	  "UPDATE sscn.sessions SET aal = 2 WHERE id = $1::uuid",
	  1, false },
	{ "recovery_delete",
	  "DELETE FROM sscn.recovery_codes WHERE user_id = $1::uuid",
	  1, false },
	{ "recovery_insert",
	  "INSERT INTO sscn.recovery_codes (user_id, salt, code_hash) "
	  "VALUES ($1::uuid, $2::bytea, $3::bytea)",
	  3, false },
	{ "recovery_unused",
	  "SELECT salt, code_hash FROM sscn.recovery_codes "
	  "WHERE user_id = $1::uuid AND used_at IS NULL",
	  1, false },
	{ "recovery_use",
	  "UPDATE sscn.recovery_codes SET used_at = now() "
	  "WHERE user_id = $1::uuid AND code_hash = $2::bytea "
	  "AND used_at IS NULL RETURNING 1",
	  2, false },

	/* ---- administration ---- */
	{ "admin_users",
	  "SELECT u.id::text, u.email, u.full_name, u.is_admin, "
	  "u.totp_enabled_at IS NOT NULL, (u.admin_locked_at IS NOT NULL OR "
	  "coalesce(l.locked_until > now(), false)), to_char(u.last_login_at "
	  "AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') "
	  "FROM sscn.users u LEFT JOIN sscn.login_lockouts l "
	  "ON l.email_index = u.email_index "
	  "WHERE $1::uuid IS NULL OR u.id > $1::uuid ORDER BY u.id LIMIT $2::int",
	  2, true },
	{ "admin_lock_user",
	  "UPDATE sscn.users SET admin_locked_at = coalesce(admin_locked_at, "
	  "now()) WHERE id = $1::uuid RETURNING id",
	  1, false },
	/*
	 * One page of the access review, by id, of every account not
	 * purged.  Parameters: the id of the previous page's last row (NULL
	 * for the first page), the rows to fetch and the dormant period in
	 * days.  The memberships come as JSON text.
	 */
	{ "admin_access_review",
	  "SELECT u.id::text, u.email, u.full_name, u.is_admin, "
	  "u.totp_enabled_at IS NOT NULL, to_char(u.last_login_at "
	  "AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), "
	  "to_char(u.created_at AT TIME ZONE 'UTC', "
	  "'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), (u.admin_locked_at IS NOT NULL "
	  "OR coalesce(l.locked_until > now(), false)), "
	  "to_char(u.deletion_scheduled_for AT TIME ZONE 'UTC', "
	  "'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), "
	  "sscn.account_dormant(u.last_login_at, u.created_at, $3::int), "
	  "sscn.admin_user_memberships(u.id)::text "
	  "FROM sscn.users u LEFT JOIN sscn.login_lockouts l "
	  "ON l.email_index = u.email_index WHERE u.purged_at IS NULL "
	  "AND ($1::uuid IS NULL OR u.id > $1::uuid) ORDER BY u.id "
	  "LIMIT $2::int",
	  3, true },
	/*
	 * The figures of an access review sign-off: accounts not purged,
	 * the dormant ones among them (parameter: the period in days), and
	 * the time of the transaction.
	 */
	{ "admin_access_review_counts",
	  "SELECT count(*), count(*) FILTER (WHERE sscn.account_dormant("
	  "last_login_at, created_at, $1::int)), to_char(now() AT TIME ZONE "
	  "'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') "
	  "FROM sscn.users WHERE purged_at IS NULL",
	  1, true },
	/* Unlock ends both the admin lock and the failed-login lock. */
	{ "admin_unlock_user",
	  "WITH u AS (UPDATE sscn.users SET admin_locked_at = NULL "
	  "  WHERE id = $1::uuid RETURNING id, email_index), "
	  "l AS (DELETE FROM sscn.login_lockouts WHERE email_index = "
	  "  (SELECT email_index FROM u)) SELECT id FROM u",
	  1, false },

	/* ---- profile ---- */
	/* The session check and the profile in one statement. */
	{ "me_session_check",
	  SESSION_CHECK_COLUMNS ", u.email, u.full_name, u.phone, "
	  "u.totp_enabled_at IS NOT NULL, to_char(u.created_at AT TIME ZONE "
	  "'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), s.org_name, "
	  "to_char(u.deletion_scheduled_for AT TIME ZONE 'UTC', "
	  "'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') "
	  SESSION_CHECK_FROM,
	  5, false },
	{ "me_select",
	  "SELECT u.email, u.full_name, u.phone, "
	  "u.totp_enabled_at IS NOT NULL, to_char(u.created_at AT TIME ZONE "
	  "'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), "
	  "(SELECT o.name FROM sscn.organizations o "
	  "  WHERE o.id = sscn.current_org_id()), "
	  "to_char(u.deletion_scheduled_for AT TIME ZONE 'UTC', "
	  "'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') "
	  "FROM sscn.users u WHERE u.id = $1::uuid",
	  1, false },
	/* me_orgs.c: the caller's memberships, first joined first. */
	{ "me_organizations",
	  "SELECT o.id::text, o.name, o.kind, m.role "
	  "FROM sscn.memberships m "
	  "JOIN sscn.organizations o ON o.id = m.organization_id "
	  "WHERE m.user_id = sscn.current_user_id() "
	  "ORDER BY m.created_at, o.id",
	  0, true },
	/*
	 * Move the session to one of the user's organizations; the foreign
	 * keys of sql/0003 check that the copy is true.
	 */
	{ "session_switch_org",
	  "UPDATE sscn.sessions s SET organization_id = o.id, "
	  "org_role = m.role, org_kind = o.kind, org_name = o.name "
	  "FROM sscn.memberships m "
	  "JOIN sscn.organizations o ON o.id = m.organization_id "
	  "WHERE s.id = $1::uuid AND s.user_id = sscn.current_user_id() "
	  "AND m.user_id = s.user_id AND m.organization_id = $2::uuid "
	  "RETURNING o.id::text, o.name, o.kind, m.role",
	  2, false },
	{ "me_update",
	  "UPDATE sscn.users SET full_name = coalesce($2::bytea, full_name), "
	  "phone = CASE WHEN $3::boolean THEN $4::bytea ELSE phone END "
	  "WHERE id = $1::uuid",
	  4, false },
};

const size_t identity_nstatements =
    sizeof(identity_statements) / sizeof(identity_statements[0]);

const struct db_statement_set db_statement_sets[] = {
	{ identity_statements, &identity_nstatements },
	{ org_statements, &org_nstatements },
	{ supplier_statements, &supplier_nstatements },
	{ document_statements, &document_nstatements },
	{ rfq_statements, &rfq_nstatements },
	{ quote_statements, &quote_nstatements },
	{ data_export_statements, &data_export_nstatements },
	{ consent_statements, &consent_nstatements },
	{ incident_statements, &incident_nstatements },
	{ account_deletion_statements, &account_deletion_nstatements },
	{ oidc_statements, &oidc_nstatements },
	{ apikey_statements, &apikey_nstatements },
	{ ratelimit_statements, &ratelimit_nstatements },
	{ metrics_statements, &metrics_nstatements },
	{ idem_statements, &idem_nstatements },
};

const size_t db_nstatement_sets =
    sizeof(db_statement_sets) / sizeof(db_statement_sets[0]);
