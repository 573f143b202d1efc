/*
 * data_export_statements.c - statements of GET /api/v1/data/export.
 */
#include "config.h"

#include "sscn.h"

const struct db_statement data_export_statements[] = {
	/* Held to the end of the transaction, so one export counts at a time. */
	{ "data_export_lock",
	  "SELECT pg_advisory_xact_lock(hashtextextended("
	  "  'sscn.data_export:' || $1::uuid::text, 0))",
	  1, false },
	/* Exports of the last hour, and seconds until the oldest leaves it. */
	{ "data_export_recent",
	  "SELECT count(*), coalesce(ceil(extract(epoch FROM "
	  "  min(requested_at) + interval '1 hour' - now()))::bigint, 0) "
	  "FROM sscn.data_exports "
	  "WHERE user_id = $1::uuid AND requested_at > now() - interval '1 hour'",
	  1, false },
	{ "data_export_insert",
	  "INSERT INTO sscn.data_exports (user_id) VALUES ($1::uuid)",
	  1, false },
	{ "data_export_document",
	  "SELECT sscn.data_export_document()::text",
	  0, false },
	/* Sign-in identities linked to the account, with sealed subjects. */
	{ "data_export_identities",
	  "SELECT id::text, provider, sub, "
	  "  to_char(created_at AT TIME ZONE 'UTC', "
	  "    'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), "
	  "  to_char(last_login_at AT TIME ZONE 'UTC', "
	  "    'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') "
	  "FROM sscn.oidc_identities WHERE user_id = $1::uuid ORDER BY created_at",
	  1, false },
	{ "data_export_account",
	  "SELECT email, full_name, phone FROM sscn.users WHERE id = $1::uuid",
	  1, false },
};

const size_t data_export_nstatements =
    sizeof(data_export_statements) / sizeof(data_export_statements[0]);
