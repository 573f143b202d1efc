/*
 * apikeys_statements.c - statements of API keys and signed requests.
 */
#include "config.h"

#include "sscn.h"

#define APIKEY_TIME(column) \
	"to_char(" column " AT TIME ZONE 'UTC', " \
	"'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"

/* Columns of one key in a response; never the secret or its hash. */
#define APIKEY_COLUMNS \
	"id::text, name, prefix, array_to_string(scopes, ','), " \
	APIKEY_TIME("created_at") ", " APIKEY_TIME("expires_at") ", " \
	APIKEY_TIME("last_used_at") ", " APIKEY_TIME("revoked_at") ", " \
	"created_by::text"

const struct db_statement apikey_statements[] = {
	{ "apikey_insert",
	  "INSERT INTO sscn.api_keys (id, organization_id, created_by, name, "
	  "prefix, secret_sha256, secret, scopes, expires_at) "
	  "VALUES ($1::uuid, $2::uuid, $3::uuid, $4, $5, $6::bytea, $7::bytea, "
	  "string_to_array($8, ','), $9::timestamptz) "
	  "RETURNING " APIKEY_COLUMNS,
	  9, false },
	/* Newest first; the cursor's key is created_at in microseconds. */
	{ "apikey_list",
	  "SELECT " APIKEY_COLUMNS ", "
	  "  (extract(epoch FROM created_at) * 1000000)::bigint::text "
	  "FROM sscn.api_keys WHERE organization_id = $1::uuid "
	  "  AND ($2::bigint IS NULL OR "
	  "    ((extract(epoch FROM created_at) * 1000000)::bigint, id) < "
	  "    ($2::bigint, $3::uuid)) "
	  "ORDER BY created_at DESC, id DESC LIMIT $4::int",
	  4, true },
	{ "apikey_revoke",
	  "UPDATE sscn.api_keys SET revoked_at = coalesce(revoked_at, now()) "
	  "WHERE id = $1::uuid AND organization_id = $2::uuid "
	  "RETURNING " APIKEY_COLUMNS,
	  2, false },

	/* Signed requests: see sql/0014_api_keys.sql for both functions. */
	{ "apikey_for_request",
	  "SELECT secret, array_to_string(scopes, ','), "
	  "  organization_id::text, user_id::text, org_role, org_kind "
	  "FROM sscn.api_key_for_request($1::uuid)",
	  1, true },
	/*
	 * Record the signature in a statement of its own, so that the
	 * nonce stays stored whatever the request's transaction does.
	 */
	{ "apikey_accept",
	  "SELECT sscn.api_key_accept($1::uuid, $2::bytea, $3::int)",
	  3, false },
	/*
	 * The row-level-security settings of the key's organization for the
	 * request's transaction, as session_check sets them for a session.
	 */
	{ "apikey_settings",
	  "SELECT set_config('sscn.user_id', $1::uuid::text, true), "
	  "  set_config('sscn.org_id', $2::uuid::text, true), "
	  "  set_config('sscn.org_role', $3, true), "
	  "  set_config('sscn.org_kind', $4, true)",
	  4, false },
};

const size_t apikey_nstatements =
    sizeof(apikey_statements) / sizeof(apikey_statements[0]);
