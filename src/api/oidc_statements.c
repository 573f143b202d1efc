/*
 * oidc_statements.c - the prepared statements of sign-in with LinkedIn.
 *
 * Identities and pending links are under row-level security keyed on
 * sscn.user_id, so the handlers set it (set_user_context) to the account
 * they act for before they read or write those tables.
 */
#include "config.h"

#include "sscn.h"
#include "api/oidc.h"

const struct db_statement oidc_statements[] = {
	/* $1 state hash, $2 browser hash, $3 provider, $4 nonce, $5 verifier. */
	{ "oidc_state_insert",
	  "INSERT INTO sscn.oidc_states (state_hash, browser_hash, provider, "
	  "nonce, code_verifier, expires_at) VALUES ($1::bytea, $2::bytea, $3, "
	  "$4, $5, now() + make_interval(secs => $6::int))",
	  6, false },
	/*
	 * Marks the state used whatever the browser check finds, so a state
	 * works once at most.
	 */
	{ "oidc_state_consume",
	  "UPDATE sscn.oidc_states SET used_at = now() "
	  "WHERE state_hash = $1::bytea AND used_at IS NULL "
	  "RETURNING browser_hash::text, expires_at > now(), provider, nonce, "
	  "code_verifier",
	  1, false },
	{ "oidc_identity_user",
	  "SELECT identity_id::text, user_id::text "
	  "FROM sscn.oidc_identity_user($1, $2::bytea)",
	  2, false },
	{ "oidc_user_by_id",
	  "SELECT id::text, email_verified_at IS NOT NULL, "
	  "admin_locked_at IS NOT NULL, totp_enabled_at IS NOT NULL, is_admin, "
	  "email, full_name FROM sscn.users WHERE id = $1::uuid "
	  "AND (deletion_scheduled_for IS NULL "
	  "  OR deletion_scheduled_for > now())",
	  1, false },
	{ "oidc_identity_touch",
	  "UPDATE sscn.oidc_identities SET last_login_at = now() "
	  "WHERE id = $1::uuid",
	  1, false },
	{ "oidc_identity_insert",
	  "INSERT INTO sscn.oidc_identities (id, user_id, provider, sub_index, "
	  "sub, last_login_at) VALUES ($1::uuid, $2::uuid, $3, $4::bytea, "
	  "$5::bytea, CASE WHEN $6::bool THEN now() END)",
	  6, false },
	{ "oidc_user_verified",
	  "UPDATE sscn.users SET email_verified_at = now() WHERE id = $1::uuid",
	  1, false },
	{ "oidc_link_insert",
	  "INSERT INTO sscn.oidc_pending_links (link_hash, user_id, provider, "
	  "sub_index, sub, expires_at) VALUES ($1::bytea, $2::uuid, $3, "
	  "$4::bytea, $5::bytea, now() + make_interval(secs => $6::int))",
	  6, false },
	{ "oidc_link_consume",
	  "UPDATE sscn.oidc_pending_links SET used_at = now() "
	  "WHERE link_hash = $1::bytea AND used_at IS NULL "
	  "AND expires_at > now() "
	  "RETURNING provider, sub_index::text, sub::text",
	  1, false },
};

const size_t oidc_nstatements =
    sizeof(oidc_statements) / sizeof(oidc_statements[0]);
