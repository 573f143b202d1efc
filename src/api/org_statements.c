/*
 * org_statements.c - statements of organizations, members and
 * organization invitations.  Row-level security (sql/0004_sourcing.sql)
 * limits every one of them to what the session's organization may see.
 */
#include "config.h"

#include "sscn.h"

const struct db_statement org_statements[] = {
	{ "org_select",
	  "SELECT id::text, kind, name, country, require_mfa, "
	  "to_char(created_at AT TIME ZONE 'UTC', "
	  "'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') "
	  "FROM sscn.organizations WHERE id = $1::uuid",
	  1, true },
};

const size_t org_nstatements =
    sizeof(org_statements) / sizeof(org_statements[0]);
