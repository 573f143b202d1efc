/*
 * supplier_statements.c - statements of the category list, supplier
 * profiles, certifications and the supplier directory.
 */
#include "config.h"

#include "sscn.h"

const struct db_statement supplier_statements[] = {
	{ "category_list",
	  "SELECT code, name FROM sscn.categories ORDER BY position",
	  0, true },
};

const size_t supplier_nstatements =
    sizeof(supplier_statements) / sizeof(supplier_statements[0]);
