/*
 * apikeys.c - create, list and revoke an organization's API keys.
 *
 * Only an owner or admin of the organization, signed in with a session,
 * manages its keys; a signed request cannot make or revoke keys.  The
 * secret is 256 random bits in base64url (43 characters).  It appears in
 * the response of POST once and is stored as its SHA-256 and as
 * AES-256-GCM ciphertext, because verifying a request's HMAC needs it.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>
#include <libpq-fe.h>
#include <sodium.h>

#include "sscn.h"
#include "api/apikeys.h"
#include "api/auth_session.h"
#include "api/orgs.h"
#include "auth/token.h"
#include "crypto/fieldcrypt.h"

#define APIKEY_NAME_MAX		100
#define APIKEY_PREFIX_LEN	8

/* Columns of APIKEY_COLUMNS in apikeys_statements.c. */
enum apikey_column {
	AK_ID, AK_NAME, AK_PREFIX, AK_SCOPES, AK_CREATED, AK_EXPIRES,
	AK_LAST_USED, AK_REVOKED, AK_CREATED_BY, AK_SORT_KEY
};

/* One key of a result row, without secret. */
static struct json_object *
apikey_json(const PGresult *res, int row)
{
	static const char *const times[] = { "created_at", "expires_at",
	    "last_used_at", "revoked_at" };
	struct json_object	*key = json_object_new_object();
	struct json_object	*scopes = json_object_new_array();
	char			*list, *scope, *save = NULL;
	int			 i;

	json_object_object_add(key, "id",
	    json_object_new_string(PQgetvalue(res, row, AK_ID)));
	json_object_object_add(key, "name",
	    json_object_new_string(PQgetvalue(res, row, AK_NAME)));
	json_object_object_add(key, "prefix",
	    json_object_new_string(PQgetvalue(res, row, AK_PREFIX)));
	list = strdup(PQgetvalue(res, row, AK_SCOPES));
	for (scope = list != NULL ? strtok_r(list, ",", &save) : NULL;
	    scope != NULL; scope = strtok_r(NULL, ",", &save))
		json_object_array_add(scopes, json_object_new_string(scope));
	free(list);
	json_object_object_add(key, "scopes", scopes);
	for (i = 0; i < 4; i++) {
		int col = AK_CREATED + i;

		json_object_object_add(key, times[i],
		    PQgetisnull(res, row, col) ? NULL :
		    json_object_new_string(PQgetvalue(res, row, col)));
	}
	json_object_object_add(key, "created_by",
	    json_object_new_string(PQgetvalue(res, row, AK_CREATED_BY)));
	return key;
}

/* Session of an owner or admin of the path's organization, no API key. */
static enum sscn_err
apikeys_begin(struct http_request *req)
{
	enum sscn_err err;

	if (apikey_is_signed(req)) {
		log_info(req->request_id, "access_denied", "reason=\"API keys "
		    "are managed with a session, not a signed request\"");
		return SSCN_ERR_FORBIDDEN;
	}
	if ((err = org_begin(req, req->match.params[0])) != SSCN_OK)
		return err;
	if (!org_is_manager(req)) {
		log_info(req->request_id, "access_denied", "reason=\"not an "
		    "owner or admin\" user_id=%s", req->user_id);
		return SSCN_ERR_FORBIDDEN;
	}
	return SSCN_OK;
}

/* Scopes: a non-empty array of "read" and "write", as "read,write". */
static void
apikey_scopes(struct json_object *body, char out[16],
    struct json_object *fields)
{
	struct json_object	*array;
	bool			 read = false, write = false, bad = false;
	size_t			 i, n;

	out[0] = '\0';
	if (!json_object_object_get_ex(body, "scopes", &array) ||
	    !json_object_is_type(array, json_type_array) ||
	    (n = json_object_array_length(array)) == 0) {
		json_object_object_add(fields, "scopes", json_object_new_string(
		    "must be a non-empty array of \"read\" and \"write\""));
		return;
	}
	for (i = 0; i < n; i++) {
		struct json_object	*item = json_object_array_get_idx(array, i);
		const char		*s = json_object_get_string(item);

		if (!json_object_is_type(item, json_type_string))
			bad = true;
		else if (strcmp(s, "read") == 0)
			read = true;
		else if (strcmp(s, "write") == 0)
			write = true;
		else
			bad = true;
	}
	if (bad) {
		json_object_object_add(fields, "scopes", json_object_new_string(
		    "must contain only \"read\" and \"write\""));
		return;
	}
	snprintf(out, 16, "%s%s%s", read ? "read" : "",
	    read && write ? "," : "", write ? "write" : "");
}

/* Optional expiry: RFC 3339 UTC "YYYY-MM-DDTHH:MM:SSZ", in the future. */
static void
apikey_expiry(struct json_object *body, const char **out,
    struct json_object *fields)
{
	struct json_object	*value;
	struct tm		 tm;
	const char		*s, *end;

	*out = NULL;
	if (!json_object_object_get_ex(body, "expires_at", &value) ||
	    json_object_is_type(value, json_type_null))
		return;
	s = json_object_get_string(value);
	memset(&tm, 0, sizeof(tm));
	if (!json_object_is_type(value, json_type_string) || strlen(s) != 20 ||
	    (end = strptime(s, "%Y-%m-%dT%H:%M:%SZ", &tm)) == NULL ||
	    *end != '\0') {
		json_object_object_add(fields, "expires_at", json_object_new_string(
		    "must be an RFC 3339 UTC time such as 2030-01-31T00:00:00Z"));
		return;
	}
	if (timegm(&tm) <= time(NULL)) {
		json_object_object_add(fields, "expires_at",
		    json_object_new_string("must be in the future"));
		return;
	}
	*out = s;
}

/* The secret's ciphertext as bytea input ("\x" and hex), or NULL. */
static char *
apikey_seal(struct http_request *req, const char *key_id, const char *secret)
{
	unsigned char	*sealed = NULL;
	size_t		 sealedlen = 0;
	char		 aad[64], *hex;

	snprintf(aad, sizeof(aad), "api_keys.secret:%s", key_id);
	if (fieldcrypt_encrypt(req->worker->keys, secret, strlen(secret), aad,
	    strlen(aad), &sealed, &sealedlen) != FIELDCRYPT_OK)
		return NULL;
	hex = malloc(2 + sealedlen * 2 + 1);
	if (hex != NULL) {
		memcpy(hex, "\\x", 2);
		sodium_bin2hex(hex + 2, sealedlen * 2 + 1, sealed, sealedlen);
	}
	free(sealed);
	return hex;
}

/* Write the audit row of "action" (consumes "details") and commit. */
static enum sscn_err
apikey_audit_commit(struct http_request *req, const char *action,
    const char *key_id, struct json_object *details)
{
	enum sscn_err err;

	err = audit_write(req, req->user_id, req->org_id, action, key_id,
	    "success", details);
	json_object_put(details);
	if (err == SSCN_OK)
		err = db_commit(&req->worker->db, req->request_id);
	return err;
}

enum sscn_err
apikeys_create(struct http_request *req)
{
	static const char *const allowed[] = { "name", "scopes", "expires_at",
	    NULL };
	struct json_object	*fields, *key, *details;
	const char		*name = NULL, *expires_at, *params[9];
	char			 scopes[16], key_id[37], prefix[APIKEY_PREFIX_LEN + 1];
	char			 secret[TOKEN_TEXT_LEN + 1], hash_hex[TOKEN_HASH_HEX];
	char			*sealed;
	PGresult		*res = NULL;
	enum sscn_err		 err;

	fields = json_object_new_object();
	(void)json_reject_unknown(req->json, allowed, fields);
	err = json_get_text(req->json, "name", true, APIKEY_NAME_MAX, false,
	    &name, fields);
	apikey_scopes(req->json, scopes, fields);
	apikey_expiry(req->json, &expires_at, fields);
	if (json_object_object_length(fields) > 0) {
		if ((err = apikeys_begin(req)) != SSCN_OK) {
			json_object_put(fields);
			return err;
		}
		return api_validation_failed(req, fields);
	}
	json_object_put(fields);
	if ((err = apikeys_begin(req)) != SSCN_OK)
		return err;

	token_random_uuid(key_id);
	token_generate(secret, hash_hex);
	memcpy(prefix, secret, APIKEY_PREFIX_LEN);
	prefix[APIKEY_PREFIX_LEN] = '\0';
	if ((sealed = apikey_seal(req, key_id, secret)) == NULL) {
		sodium_memzero(secret, sizeof(secret));
		log_error(req->request_id, "apikey_encrypt_failed",
		    "key_id=%s", key_id);
		return api_rollback(req, SSCN_ERR_INTERNAL);
	}

	params[0] = key_id;
	params[1] = req->org_id;
	params[2] = req->user_id;
	params[3] = name;
	params[4] = prefix;
	params[5] = hash_hex;
	params[6] = sealed;
	params[7] = scopes;
	params[8] = expires_at;
	err = api_db(req, "apikey_insert", 9, params, &res);
	free(sealed);
	if (err != SSCN_OK || PQntuples(res) != 1) {
		PQclear(res);
		sodium_memzero(secret, sizeof(secret));
		return api_rollback(req, err != SSCN_OK ? err :
		    SSCN_ERR_INTERNAL);
	}
	key = apikey_json(res, 0);
	PQclear(res);

	details = json_object_new_object();
	json_object_object_add(details, "fields", json_tokener_parse(
	    "[\"name\",\"scopes\",\"expires_at\"]"));
	json_object_object_add(details, "scopes",
	    json_object_new_string(scopes));
	err = apikey_audit_commit(req, "apikey.create", key_id, details);
	if (err != SSCN_OK) {
		json_object_put(key);
		sodium_memzero(secret, sizeof(secret));
		return api_rollback(req, err);
	}

	/* The only response that ever carries the secret. */
	json_object_object_add(key, "secret", json_object_new_string(secret));
	sodium_memzero(secret, sizeof(secret));
	http_send_json(req, 201, key);
	json_object_put(key);
	return SSCN_OK;
}

enum sscn_err
apikeys_list(struct http_request *req)
{
	struct json_object	*fields, *items, *root;
	struct paging		 paging;
	const char		*params[4];
	PGresult		*res = NULL;
	enum sscn_err		 err;
	int			 i;

	if ((err = apikeys_begin(req)) != SSCN_OK)
		return err;
	fields = json_object_new_object();
	(void)paging_parse_keyed(req->query, &paging, fields);
	if ((err = api_validation_check(req, fields)) != SSCN_OK)
		return err;

	params[0] = req->org_id;
	params[1] = paging.after_key[0] != '\0' ? paging.after_key : NULL;
	params[2] = paging.after_id[0] != '\0' ? paging.after_id : NULL;
	params[3] = paging.fetch;
	if ((err = api_db(req, "apikey_list", 4, params, &res)) != SSCN_OK)
		return err;
	items = json_object_new_array();
	for (i = 0; i < PQntuples(res) && i < paging.limit; i++)
		json_object_array_add(items, apikey_json(res, i));
	root = paging_page_json(&paging, items, res, AK_SORT_KEY, AK_ID);
	PQclear(res);
	http_send_json(req, 200, root);
	json_object_put(root);
	return SSCN_OK;
}

enum sscn_err
apikeys_revoke(struct http_request *req)
{
	struct json_object	*details, *key;
	const char		*params[2];
	const char		*key_id = req->match.params[1];
	PGresult		*res = NULL;
	enum sscn_err		 err;

	if ((err = apikeys_begin(req)) != SSCN_OK)
		return err;
	if (!session_is_uuid(key_id))
		return SSCN_ERR_NOT_FOUND;

	params[0] = key_id;
	params[1] = req->org_id;
	if ((err = api_db(req, "apikey_revoke", 2, params, &res)) != SSCN_OK)
		return api_rollback(req, err);
	if (PQntuples(res) != 1) {
		PQclear(res);
		return api_rollback(req, SSCN_ERR_NOT_FOUND);
	}
	key = apikey_json(res, 0);
	PQclear(res);

	details = json_object_new_object();
	json_object_object_add(details, "fields",
	    json_tokener_parse("[\"revoked_at\"]"));
	err = apikey_audit_commit(req, "apikey.revoke", key_id, details);
	if (err != SSCN_OK) {
		json_object_put(key);
		return api_rollback(req, err);
	}
	http_send_json(req, 200, key);
	json_object_put(key);
	return SSCN_OK;
}
