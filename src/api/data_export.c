/*
 * data_export.c - GET /api/v1/data/export: everything SSCN stores about the
 * caller, decrypted, as a JSON attachment (GDPR articles 15 and 20).
 *
 * PostgreSQL builds the document (sql/0010_data_export.sql) from the rows
 * tied to the user across every organization.  This file adds the
 * encrypted fields, because only sscnd can open them.  An export is audited in the
 * transaction that records it, and each user may export EXPORT_LIMIT
 * times per hour.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>
#include <libpq-fe.h>

#include "sscn.h"
#include "api/data_export.h"
#include "api/pii_fields.h"

/* Exports per user per hour: each one reads every row the user wrote. */
#define EXPORT_LIMIT	3

/* The version of the document's layout, for programs that read it. */
#define EXPORT_FORMAT_VERSION	1

/*
 * Serialise concurrent exports of one user, then reject the request
 * when the last hour already contains EXPORT_LIMIT of them, with the
 * seconds until the oldest leaves the window in Retry-After.
 */
static enum sscn_err
export_check_rate(struct http_request *req)
{
	const char	*params[1] = { req->user_id };
	PGresult	*res = NULL;
	enum sscn_err	 err;
	long		 count, retry_after;

	err = db_exec(&req->worker->db, req->request_id, "data_export_lock",
	    1, params, &res);
	PQclear(res);
	if (err != SSCN_OK)
		return err;

	err = db_exec(&req->worker->db, req->request_id, "data_export_recent",
	    1, params, &res);
	if (err != SSCN_OK)
		return err;
	count = strtol(PQgetvalue(res, 0, 0), NULL, 10);
	retry_after = strtol(PQgetvalue(res, 0, 1), NULL, 10);
	PQclear(res);
	if (count < EXPORT_LIMIT)
		return SSCN_OK;

	if (retry_after < 1)
		retry_after = 1;
	log_info(req->request_id, "data_export_rate_limited",
	    "user_id=%s exports=%ld retry_after=%ld", req->user_id, count,
	    retry_after);
	http_add_headerf(req, "Retry-After: %ld", retry_after);
	return SSCN_ERR_RATE_LIMITED;
}

/* Add the decrypted e-mail, name and phone to the "account" section. */
static enum sscn_err
export_add_account(struct http_request *req, struct json_object *doc)
{
	const char		*params[1] = { req->user_id };
	struct json_object	*account;
	PGresult		*res = NULL;
	enum sscn_err		 err;

	if (!json_object_object_get_ex(doc, "account", &account) ||
	    !json_object_is_type(account, json_type_object)) {
		log_error(req->request_id, "data_export_failed",
		    "user_id=%s reason=\"document has no account\"",
		    req->user_id);
		return SSCN_ERR_INTERNAL;
	}

	err = db_exec(&req->worker->db, req->request_id,
	    "data_export_account", 1, params, &res);
	if (err != SSCN_OK)
		return err;
	if (PQntuples(res) != 1) {
		PQclear(res);
		log_error(req->request_id, "data_export_failed",
		    "user_id=%s reason=\"account row not found\"", req->user_id);
		return SSCN_ERR_INTERNAL;
	}
	if ((err = api_pii_add(req, account, "email", PII_USERS_EMAIL,
	    req->user_id, res, 0, 0)) == SSCN_OK &&
	    (err = api_pii_add(req, account, "full_name", PII_USERS_FULL_NAME,
	    req->user_id, res, 0, 1)) == SSCN_OK)
		err = api_pii_add(req, account, "phone", PII_USERS_PHONE,
		    req->user_id, res, 0, 2);
	PQclear(res);
	return err;
}

/*
 * Replace "address_sealed" and "address_key" in every item of "section"
 * with "address", the address decrypted under the column "aad_prefix".
 */
static enum sscn_err
export_open_addresses(struct http_request *req, struct json_object *doc,
    const char *section, const char *aad_prefix)
{
	struct json_object	*items, *item, *sealed, *row_key;
	enum fieldcrypt_status	 status;
	size_t			 i, n;
	char			*plain;

	if (!json_object_object_get_ex(doc, section, &items) ||
	    !json_object_is_type(items, json_type_array))
		return SSCN_OK;

	n = json_object_array_length(items);
	for (i = 0; i < n; i++) {
		item = json_object_array_get_idx(items, i);
		if (!json_object_object_get_ex(item, "address_sealed", &sealed) ||
		    !json_object_object_get_ex(item, "address_key", &row_key))
			continue;

		plain = NULL;
		if (json_object_is_type(sealed, json_type_string)) {
			status = pii_open(req->worker->keys, aad_prefix,
			    json_object_get_string(row_key),
			    json_object_get_string(sealed), &plain);
			if (status != FIELDCRYPT_OK) {
				log_error(req->request_id, "pii_decrypt_failed",
				    "column=%.*s row=%s reason=\"%s\"",
				    api_pii_column_len(aad_prefix), aad_prefix,
				    json_object_get_string(row_key),
				    fieldcrypt_status_str(status));
				return SSCN_ERR_INTERNAL;
			}
		}
		json_object_object_add(item, "address", plain != NULL ?
		    json_object_new_string(plain) : NULL);
		pii_free(plain);
		json_object_object_del(item, "address_sealed");
		json_object_object_del(item, "address_key");
	}
	return SSCN_OK;
}

/*
 * Add "linked_identities": the sign-in providers linked to the account,
 * with the decrypted subject id that each provider uses for the user.
 */
static enum sscn_err
export_add_identities(struct http_request *req, struct json_object *doc)
{
	const char		*params[1] = { req->user_id };
	struct json_object	*items, *item;
	PGresult		*res = NULL;
	enum sscn_err		 err;
	int			 i;

	err = db_exec(&req->worker->db, req->request_id,
	    "data_export_identities", 1, params, &res);
	if (err != SSCN_OK)
		return err;

	items = json_object_new_array();
	for (i = 0; i < PQntuples(res) && err == SSCN_OK; i++) {
		item = json_object_new_object();
		json_object_object_add(item, "provider", api_json_text(res, i, 1));
		err = api_pii_add(req, item, "subject", PII_OIDC_SUB,
		    PQgetvalue(res, i, 0), res, i, 2);
		json_object_object_add(item, "linked_at", api_json_text(res, i,
		    3));
		json_object_object_add(item, "last_login_at", api_json_text(res,
		    i, 4));
		json_object_array_add(items, item);
	}
	PQclear(res);
	json_object_object_add(doc, "linked_identities", items);
	return err;
}

/* Read the document that PostgreSQL builds and parse it. */
static enum sscn_err
export_read_document(struct http_request *req, struct json_object **doc)
{
	struct json_tokener	*tok;
	PGresult		*res = NULL;
	enum sscn_err		 err;
	const char		*text;

	*doc = NULL;
	err = db_exec(&req->worker->db, req->request_id,
	    "data_export_document", 0, NULL, &res);
	if (err != SSCN_OK)
		return err;
	if (PQntuples(res) != 1 || PQgetisnull(res, 0, 0)) {
		PQclear(res);
		log_error(req->request_id, "data_export_failed",
		    "user_id=%s reason=\"no document\"", req->user_id);
		return SSCN_ERR_INTERNAL;
	}

	text = PQgetvalue(res, 0, 0);
	tok = json_tokener_new_ex(JSON_TOKENER_DEFAULT_DEPTH);
	if (tok != NULL)
		*doc = json_tokener_parse_ex(tok, text, PQgetlength(res, 0, 0));
	if (*doc == NULL || !json_object_is_type(*doc, json_type_object)) {
		log_error(req->request_id, "data_export_failed",
		    "user_id=%s reason=\"document does not parse\"",
		    req->user_id);
		json_object_put(*doc);
		*doc = NULL;
		err = SSCN_ERR_INTERNAL;
	}
	if (tok != NULL)
		json_tokener_free(tok);
	PQclear(res);
	return err;
}

/* Record the export and its audit row, then commit. */
static enum sscn_err
export_commit(struct http_request *req, struct json_object *doc)
{
	const char		*params[1] = { req->user_id };
	struct json_object	*details, *value;
	PGresult		*res = NULL;
	enum sscn_err		 err;

	err = db_exec(&req->worker->db, req->request_id, "data_export_insert",
	    1, params, &res);
	PQclear(res);
	if (err != SSCN_OK)
		return err;

	/* The audit row counts what went out, never the values. */
	details = json_object_new_object();
	json_object_object_foreach(doc, key, section) {
		if (json_object_is_type(section, json_type_array)) {
			value = json_object_new_int64((int64_t)
			    json_object_array_length(section));
			json_object_object_add(details, key, value);
		}
	}
	err = audit_write(req, req->user_id, req->org_id, "data.export",
	    req->user_id, "success", details);
	json_object_put(details);
	if (err != SSCN_OK)
		return err;
	return db_commit(&req->worker->db, req->request_id);
}

/* Send "doc" as an attachment named after today's date. */
static void
export_send(struct http_request *req, struct json_object *doc)
{
	const char	*text;
	size_t		 len;
	char		 date[16];
	struct tm	 tm;
	time_t		 now = time(NULL);

	gmtime_r(&now, &tm);
	strftime(date, sizeof(date), "%Y-%m-%d", &tm);
	http_add_headerf(req, "Content-Disposition: attachment; "
	    "filename=\"sscn-data-export-%s.json\"", date);

	text = json_object_to_json_string_length(doc, JSON_C_TO_STRING_PRETTY |
	    JSON_C_TO_STRING_NOSLASHESCAPE, &len);
	if (text == NULL) {
		log_error(req->request_id, "response_encode_failed",
		    "status=200 route=data_export");
		http_send_err(req, SSCN_ERR_INTERNAL);
		return;
	}
	http_send_bytes(req, 200, "application/json; charset=utf-8", text,
	    len);
}

enum sscn_err
data_export(struct http_request *req)
{
	struct json_object	*doc = NULL, *out;
	enum sscn_err		 err;
	char			 generated_at[32];
	struct tm		 tm;
	time_t			 now = time(NULL);

	if ((err = authn_require(req)) != SSCN_OK)
		return err;
	if ((err = export_check_rate(req)) != SSCN_OK)
		return api_rollback(req, err);

	if ((err = export_read_document(req, &doc)) != SSCN_OK ||
	    (err = export_add_account(req, doc)) != SSCN_OK ||
	    (err = export_add_identities(req, doc)) != SSCN_OK ||
	    (err = export_open_addresses(req, doc, "sessions",
	    PII_SESSIONS_ADDRESS)) != SSCN_OK ||
	    (err = export_open_addresses(req, doc, "legal_acceptances",
	    PII_LEGAL_ADDRESS)) != SSCN_OK ||
	    (err = export_open_addresses(req, doc, "nda_acceptances",
	    PII_NDA_ADDRESS)) != SSCN_OK ||
	    (err = export_open_addresses(req, doc, "cookie_consents",
	    PII_CONSENTS_ADDRESS)) != SSCN_OK) {
		json_object_put(doc);
		return api_rollback(req, err);
	}

	/* What the document is comes first, then the sections. */
	gmtime_r(&now, &tm);
	strftime(generated_at, sizeof(generated_at), "%Y-%m-%dT%H:%M:%SZ",
	    &tm);
	out = json_object_new_object();
	json_object_object_add(out, "format",
	    json_object_new_string("sscn-data-export"));
	json_object_object_add(out, "format_version",
	    json_object_new_int(EXPORT_FORMAT_VERSION));
	json_object_object_add(out, "generated_at",
	    json_object_new_string(generated_at));
	json_object_object_foreach(doc, key, section)
		json_object_object_add(out, key, json_object_get(section));
	json_object_put(doc);

	if ((err = export_commit(req, out)) != SSCN_OK) {
		json_object_put(out);
		return api_rollback(req, err);
	}
	export_send(req, out);
	json_object_put(out);
	return SSCN_OK;
}
