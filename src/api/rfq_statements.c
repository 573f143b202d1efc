/*
 * rfq_statements.c - statements of RFQs, their supplier invitations and
 * NDA acceptances.
 */
#include "config.h"

#include "sscn.h"

const struct db_statement rfq_statements[] = {
	{ "rfq_exists",
	  "SELECT 1 FROM sscn.rfqs WHERE id = $1::uuid",
	  1, true },
};

const size_t rfq_nstatements =
    sizeof(rfq_statements) / sizeof(rfq_statements[0]);
