/*
 * quote_statements.c - statements of quotes, their revisions and the
 * message threads of an RFQ.
 */
#include "config.h"

#include "sscn.h"

const struct db_statement quote_statements[] = {
	{ "quote_exists",
	  "SELECT 1 FROM sscn.quotes WHERE id = $1::uuid",
	  1, true },
};

const size_t quote_nstatements =
    sizeof(quote_statements) / sizeof(quote_statements[0]);
