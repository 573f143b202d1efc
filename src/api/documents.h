/*
 * documents.h - handlers of document upload and download, and what the
 * files of the documents part share.
 */
#ifndef SSCN_API_DOCUMENTS_H
#define SSCN_API_DOCUMENTS_H

#include <stdbool.h>
#include <stddef.h>

#include "sscn.h"

struct http_request;
struct json_object;
struct pg_result;

/* documents.c */
enum sscn_err documents_create(struct http_request *);
enum sscn_err documents_get(struct http_request *);

/* document_content.c */
enum sscn_err documents_put_content(struct http_request *);
enum sscn_err documents_get_content(struct http_request *);

/* Columns of DOCUMENT_COLUMNS and "document_select" that handlers read. */
#define DOCUMENT_COLUMN_PURPOSE		1
#define DOCUMENT_COLUMN_FILENAME	3
#define DOCUMENT_COLUMN_TYPE		4
#define DOCUMENT_COLUMN_STATUS		5
#define DOCUMENT_COLUMN_NDA_BLOCKED	11

/*
 * Authenticate, then run "statement" with the document id of the path and
 * return its one row in "*res" (caller PQclear()s).  SSCN_ERR_NOT_FOUND
 * for an id that is not a UUID and for a document that is missing or out
 * of the caller's reach.
 */
enum sscn_err document_find(struct http_request *, const char *statement,
	    struct pg_result **res) SSCN_WARN_UNUSED;

/*
 * Metadata of row "row" of "res" as a JSON object (caller puts it); the
 * columns are DOCUMENT_COLUMNS of document_statements.c, from column 0.
 */
struct json_object *document_json(struct pg_result *res, int row);

/* {"fields": [...]} naming the NULL-terminated "changed", for the audit. */
struct json_object *document_audit_details(const char *const *changed);

/*
 * Write the audit row "action" with result success for document "id" and
 * "details", commit, and send "root" with "status".  Consumes "details"
 * and "root"; rolls back when the audit row or the commit fails.
 */
enum sscn_err document_finish(struct http_request *, const char *action,
	    const char *id, struct json_object *details, int status,
	    struct json_object *root) SSCN_WARN_UNUSED;

/*
 * Check that the caller's organization owns the object "owner_id" of
 * "purpose" and that the object still takes documents.  Returns
 * SSCN_ERR_NOT_FOUND when it owns no such object, SSCN_ERR_FORBIDDEN
 * when a certificate comes from a member who may not edit the supplier
 * profile, SSCN_ERR_CONFLICT when the RFQ is cancelled or awarded or the
 * quote is locked.  Runs in the open transaction.
 */
enum sscn_err document_owner_check(struct http_request *, const char *purpose,
	    const char *owner_id) SSCN_WARN_UNUSED;

/* document_check.c */

/*
 * Check that "len" bytes at "data" are a file of "content_type"
 * (application/pdf, image/png or image/jpeg): libmagic must name that
 * type, and the file's structure must match it (see document_check.c).
 * Returns true when they are.  SSCN_ERR_INTERNAL in "*err" when libmagic
 * fails to load, logged.
 */
bool	document_check_content(struct http_request *, const char *content_type,
	    const unsigned char *data, size_t len, enum sscn_err *err);

#endif
