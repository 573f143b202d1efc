/*
 * document_statements.c - statements of document metadata, content
 * upload and download.
 */
#include "config.h"

#include "sscn.h"

const struct db_statement document_statements[] = {
	{ "document_select",
	  "SELECT id::text, organization_id::text, purpose, owner_id::text, "
	  "filename, content_type, status, size "
	  "FROM sscn.documents WHERE id = $1::uuid",
	  1, true },
};

const size_t document_nstatements =
    sizeof(document_statements) / sizeof(document_statements[0]);
