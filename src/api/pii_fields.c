/*
 * pii_fields.c - request-level sealing and opening of personal data
 * fields (contract in pii_fields.h).
 *
 * Every failure here is a server fault (a missing key, a modified
 * ciphertext, a row copied between columns), so it is logged as an error
 * and the client gets 500 internal_error, never a value that might be
 * wrong.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "auth/email.h"
#include "api/pii_fields.h"

int
api_pii_column_len(const char *aad_prefix)
{
	size_t len;

	len = strlen(aad_prefix);
	if (len > 0 && aad_prefix[len - 1] == ':')
		len--;
	return (int)len;
}

enum sscn_err
api_pii_open(struct http_request *req, const char *aad_prefix,
    const char *row_key, const PGresult *res, int row, int col, char **out)
{
	enum fieldcrypt_status status;

	*out = NULL;
	if (PQgetisnull(res, row, col))
		return SSCN_OK;
	if (req->worker->keys == NULL) {
		log_error(req->request_id, "pii_decrypt_failed", "column=%.*s "
		    "row=%s reason=\"no keys loaded\"",
		    api_pii_column_len(aad_prefix), aad_prefix, row_key);
		return SSCN_ERR_INTERNAL;
	}
	status = pii_open(req->worker->keys, aad_prefix, row_key,
	    PQgetvalue(res, row, col), out);
	if (status != FIELDCRYPT_OK) {
		log_error(req->request_id, "pii_decrypt_failed", "column=%.*s "
		    "row=%s reason=\"%s\"", api_pii_column_len(aad_prefix),
		    aad_prefix, row_key,
		    fieldcrypt_status_str(status));
		return SSCN_ERR_INTERNAL;
	}
	return SSCN_OK;
}

enum sscn_err
api_pii_add(struct http_request *req, struct json_object *obj,
    const char *name, const char *aad_prefix, const char *row_key,
    const PGresult *res, int row, int col)
{
	enum sscn_err	 err;
	char		*plain;

	err = api_pii_open(req, aad_prefix, row_key, res, row, col, &plain);
	if (err != SSCN_OK)
		return err;
	json_object_object_add(obj, name, plain != NULL ?
	    json_object_new_string(plain) : NULL);
	pii_free(plain);
	return SSCN_OK;
}

enum sscn_err
api_pii_seal(struct http_request *req, const char *aad_prefix,
    const char *row_key, const char *plain, char **hex)
{
	*hex = NULL;
	if (plain == NULL)
		return SSCN_OK;
	if (req->worker->keys == NULL ||
	    (*hex = pii_seal(req->worker->keys, aad_prefix, row_key,
	    plain)) == NULL) {
		log_error(req->request_id, "pii_encrypt_failed", "column=%s "
		    "row=%s", aad_prefix, row_key);
		return SSCN_ERR_INTERNAL;
	}
	return SSCN_OK;
}

enum sscn_err
api_legal_accept(struct http_request *req, const char *user_id,
    const char *kind, const char *version)
{
	const char	*params[4];
	char		 row_key[160];
	char		*address = NULL;
	enum sscn_err	 err;

	/* The row key as PII_LEGAL_ACCEPTANCE_KEY computes it in SQL. */
	snprintf(row_key, sizeof(row_key), "%s:%s:%s", user_id, kind, version);
	if ((err = api_pii_seal(req, PII_LEGAL_ADDRESS, row_key,
	    req->remote_addr, &address)) != SSCN_OK)
		return err;
	params[0] = user_id;
	params[1] = kind;
	params[2] = version;
	params[3] = address;
	err = api_db(req, "legal_accept", 4, params, NULL);
	free(address);
	return err;
}

enum sscn_err
api_email_index(struct http_request *req, const char *email, char *index)
{
	char normalized[EMAIL_MAX * 3 + 1];

	if (email_normalize(email, normalized, sizeof(normalized)) == -1)
		return SSCN_ERR_VALIDATION;
	if (req->worker->keys == NULL) {
		log_error(req->request_id, "email_index_failed",
		    "reason=\"no keys loaded\"");
		return SSCN_ERR_INTERNAL;
	}
	if (pii_email_index(req->worker->keys, normalized, index,
	    PII_INDEX_HEX_SIZE) == -1)
		return SSCN_ERR_INTERNAL;
	return SSCN_OK;
}
