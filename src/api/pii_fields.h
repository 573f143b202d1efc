/*
 * pii_fields.h - encrypted personal data fields in request handlers: the
 * request-level wrappers of crypto/pii.h that log failures with the
 * request id and turn them into 500 internal_error.
 *
 * Column prefixes, which the AAD binds (pii_columns.c lists them).
 */
#ifndef SSCN_API_PII_FIELDS_H
#define SSCN_API_PII_FIELDS_H

#include <libpq-fe.h>

#include "sscn.h"
#include "crypto/pii.h"

#define PII_USERS_EMAIL		"users.email:"
#define PII_USERS_FULL_NAME	"users.full_name:"
#define PII_USERS_PHONE		"users.phone:"
#define PII_OUTBOX_RECIPIENT	"mail_outbox.recipient:"
#define PII_OUTBOX_BODY		"mail_outbox.body:"
#define PII_SESSIONS_ADDRESS	"sessions.address:"
#define PII_INVITATION_EMAIL	"org_invitations.email:"
#define PII_LEGAL_ADDRESS	"legal_acceptances.address:"
#define PII_NDA_ADDRESS		"nda_acceptances.address:"
#define PII_CONSENTS_ADDRESS	"consents.address:"
#define PII_OIDC_SUB		"oidc_identities.sub:"
#define PII_OIDC_LINK_SUB	"oidc_pending_links.sub:"

/*
 * Length of "aad_prefix" without its trailing colon, so that a log line
 * prints the column as "users.full_name" with "%.*s".
 */
int api_pii_column_len(const char *aad_prefix);

/*
 * Decrypt field "col" of row "row" in "res", of the column "aad_prefix"
 * and the database row "row_key".  "*out" is the plaintext (free it with
 * pii_free()) or NULL when the field is SQL NULL.  A failure is logged
 * with the column, the row key and the reason, never the value, and
 * returns SSCN_ERR_INTERNAL.
 */
enum sscn_err api_pii_open(struct http_request *req, const char *aad_prefix,
	    const char *row_key, const PGresult *res, int row, int col,
	    char **out) SSCN_WARN_UNUSED;

/*
 * As api_pii_open(), but add the plaintext to "obj" under "name" (JSON
 * null for SQL NULL).
 */
enum sscn_err api_pii_add(struct http_request *req, struct json_object *obj,
	    const char *name, const char *aad_prefix, const char *row_key,
	    const PGresult *res, int row, int col) SSCN_WARN_UNUSED;

/*
 * Encrypt "plain" for the column "aad_prefix" of row "row_key" into
 * "*hex", bytea input text that the caller frees with free().  "plain"
 * NULL gives "*hex" NULL (SQL NULL).
 */
enum sscn_err api_pii_seal(struct http_request *req, const char *aad_prefix,
	    const char *row_key, const char *plain, char **hex)
	    SSCN_WARN_UNUSED;

/*
 * Normalize "email" and write its blind index as bytea text into "index"
 * (PII_INDEX_HEX_SIZE bytes).  Returns SSCN_ERR_VALIDATION for an address
 * that email_normalize() rejects.
 */
enum sscn_err api_email_index(struct http_request *req, const char *email,
	    char *index) SSCN_WARN_UNUSED;

/*
 * Record that "user_id" accepted legal document "kind" in "version", with
 * the client address sealed, in the caller's transaction.
 */
enum sscn_err api_legal_accept(struct http_request *req, const char *user_id,
	    const char *kind, const char *version) SSCN_WARN_UNUSED;

#endif /* SSCN_API_PII_FIELDS_H */
