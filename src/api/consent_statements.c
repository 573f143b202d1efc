/*
 * consent_statements.c - the SQL of consents.c, preferences.c and
 * unsubscribe.c.
 *
 * Consent rows and preferences are read and written under row-level
 * security: sscn.user_id for a logged-in user, sscn.consent_id for an
 * anonymous browser.  Unsubscribe tokens are found by their SHA-256
 * alone, before any user is known.
 */
#include "config.h"

#include "sscn.h"
#include "api/consent.h"

#define CONSENT_TIME(col) \
	"to_char(" col " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"

const struct db_statement consent_statements[] = {
	/* ---- cookie consent ---- */
	{ "consent_set_context",
	  "SELECT set_config('sscn.consent_id', $1::uuid::text, true)",
	  1, false },
	{ "consent_policy_current",
	  "SELECT version FROM sscn.legal_documents WHERE kind = 'cookies' "
	  "ORDER BY published_at DESC LIMIT 1",
	  0, true },
	/* Parameters: id, consent id, user id or "", analytics, marketing,
	 * policy version, address ciphertext as bytea text or NULL. */
	{ "consent_insert",
	  "INSERT INTO sscn.consents (id, consent_id, user_id, analytics, "
	  "marketing, policy_version, address) VALUES ($1::uuid, $2::uuid, "
	  "nullif($3, '')::uuid, $4::boolean, $5::boolean, $6, $7::bytea) "
	  "RETURNING " CONSENT_TIME("recorded_at"),
	  7, false },
	/* The choice in force: the user's latest row, or the latest
	 * anonymous row of the consent cookie when the user has none. */
	{ "consent_latest",
	  "SELECT consent_id::text, analytics, marketing, policy_version, "
	  CONSENT_TIME("recorded_at") ", user_id IS NOT NULL "
	  "FROM sscn.consents "
	  "WHERE user_id = sscn.current_user_id() "
	  "   OR (user_id IS NULL AND consent_id = sscn.current_consent_id()) "
	  "ORDER BY user_id IS NOT NULL DESC, recorded_at DESC, id LIMIT 1",
	  0, false },

	/* ---- preferences ---- */
	{ "preferences_select",
	  "SELECT coalesce(p.marketing_emails, false), "
	  CONSENT_TIME("p.updated_at") " "
	  "FROM (SELECT 1) AS one LEFT JOIN sscn.user_preferences p "
	  "ON p.user_id = sscn.current_user_id()",
	  0, false },
	/* Returns the new value, its time and the value before. */
	{ "preferences_upsert",
	  "WITH old AS (SELECT marketing_emails FROM sscn.user_preferences "
	  "  WHERE user_id = sscn.current_user_id()) "
	  "INSERT INTO sscn.user_preferences AS p (user_id, marketing_emails) "
	  "VALUES (sscn.current_user_id(), $1::boolean) "
	  "ON CONFLICT (user_id) DO UPDATE SET "
	  "  marketing_emails = EXCLUDED.marketing_emails, updated_at = now() "
	  "RETURNING p.marketing_emails, " CONSENT_TIME("p.updated_at") ", "
	  "  coalesce((SELECT marketing_emails FROM old), false)",
	  1, false },

	/* ---- one-click unsubscribe ---- */
	{ "unsubscribe_token_user",
	  "SELECT user_id::text FROM sscn.unsubscribe_tokens "
	  "WHERE token_hash = $1::bytea AND scope = 'marketing_emails'",
	  1, false },
	{ "unsubscribe_token_used",
	  "UPDATE sscn.unsubscribe_tokens SET last_used_at = now() "
	  "WHERE token_hash = $1::bytea",
	  1, false },
};

const size_t consent_nstatements =
    sizeof(consent_statements) / sizeof(consent_statements[0]);
