/*
 * statements.c - every SQL statement sscnd runs, prepared per connection.
 *
 * Keeping them in one table means each one is parsed once per connection,
 * a typo fails at connect time rather than on some rare request, and a
 * reviewer sees every query the runtime role can send.
 */
#include "config.h"

#include "sscn.h"

const struct db_statement db_statements[] = {
	{ "health_schema_version",
	  "SELECT coalesce(max(version), 0) FROM sscn.schema_migrations",
	  0, true },
};

const size_t db_nstatements = sizeof(db_statements) / sizeof(db_statements[0]);
