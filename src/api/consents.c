/*
 * consents.c - POST and GET /api/v1/consents: cookie consent.
 *
 * Both work with and without a login.  The visitor's consent id lives in
 * the strictly necessary cookie CONSENT_COOKIE; a logged-in user's choice
 * is also recorded under the user.  Each choice is a new row naming the
 * cookie policy version it was made under, so the history is evidence.
 * The client address is stored encrypted (fieldcrypt).
 *
 * A request with an access token that fails the session check is served
 * as anonymous rather than refused, so a consent banner keeps working
 * after a session has expired.  A failed CSRF check is still refused.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>
#include <libpq-fe.h>
#include <sodium.h>

#include "sscn.h"
#include "api/auth_session.h"
#include "api/consent.h"
#include "auth/token.h"
#include "crypto/fieldcrypt.h"

#define CONSENT_AAD_PREFIX	"consents.address:"
#define CONSENT_VERSION_MAX	32

/*
 * Open the request's transaction: authenticated when the request carries
 * an access token that passes, otherwise anonymous.  Sets "*as_user".
 */
static enum sscn_err
consent_begin(struct http_request *req, bool *as_user)
{
	char		 cookie[2048];
	enum sscn_err	 err;

	*as_user = false;
	if (http_param(req, "HTTP_AUTHORIZATION") != NULL ||
	    http_cookie(req, AUTH_SESSION_COOKIE, cookie, sizeof(cookie))) {
		err = authn_require(req);
		if (err == SSCN_OK) {
			*as_user = true;
			return authn_begin(req);
		}
		if (err != SSCN_ERR_UNAUTHORIZED)
			return err;
		log_info(req->request_id, "consent_anonymous",
		    "reason=\"access token rejected\"");
	}
	return db_begin(&req->worker->db, req->request_id);
}

/* Set "id" as the consent id for row-level security in the transaction. */
static enum sscn_err
consent_set_context(struct http_request *req, const char *id)
{
	const char	*params[1] = { id };
	PGresult	*res = NULL;
	enum sscn_err	 err;

	err = api_db(req, "consent_set_context", 1, params, &res);
	PQclear(res);
	return err;
}

/*
 * The consent id of the request's cookie into "id", or "" when there is
 * no cookie or its value is not a UUID; a found id is set for row-level
 * security in the open transaction.
 */
static enum sscn_err
consent_cookie_context(struct http_request *req, char id[37])
{
	if (!http_cookie(req, CONSENT_COOKIE, id, 37) || !session_is_uuid(id)) {
		id[0] = '\0';
		return SSCN_OK;
	}
	return consent_set_context(req, id);
}

/* The current cookie policy version into "version"; "" when none. */
static enum sscn_err
consent_policy_version(struct http_request *req,
    char version[CONSENT_VERSION_MAX + 1])
{
	PGresult	*res = NULL;
	enum sscn_err	 err;

	version[0] = '\0';
	if ((err = api_db(req, "consent_policy_current", 0, NULL, &res)) !=
	    SSCN_OK)
		return err;
	if (PQntuples(res) == 1)
		snprintf(version, CONSENT_VERSION_MAX + 1, "%s",
		    PQgetvalue(res, 0, 0));
	PQclear(res);
	return SSCN_OK;
}

/*
 * Encrypt the client address for row "id" into "out" as bytea input
 * text ("\x" and hex), or set "*out" to NULL when nginx passed none.
 * The caller frees "*out".
 */
static enum sscn_err
consent_encrypt_address(struct http_request *req, const char *id,
    char **out)
{
	char			 aad[sizeof(CONSENT_AAD_PREFIX) + 36];
	const char		*addr = req->remote_addr;
	unsigned char		*cipher = NULL;
	size_t			 cipherlen;
	enum fieldcrypt_status	 status;

	*out = NULL;
	if (addr == NULL || *addr == '\0')
		return SSCN_OK;
	if (req->worker->keys == NULL)
		return SSCN_ERR_UNAVAILABLE;
	snprintf(aad, sizeof(aad), CONSENT_AAD_PREFIX "%s", id);
	status = fieldcrypt_encrypt(req->worker->keys, addr, strlen(addr), aad,
	    strlen(aad), &cipher, &cipherlen);
	if (status != FIELDCRYPT_OK) {
		log_error(req->request_id, "consent_encrypt_failed",
		    "reason=\"%s\"", fieldcrypt_status_str(status));
		return SSCN_ERR_INTERNAL;
	}
	*out = malloc(2 + cipherlen * 2 + 1);
	if (*out != NULL) {
		memcpy(*out, "\\x", 2);
		sodium_bin2hex(*out + 2, cipherlen * 2 + 1, cipher, cipherlen);
	}
	free(cipher);
	return *out != NULL ? SSCN_OK : SSCN_ERR_INTERNAL;
}

static struct json_object *
consent_categories(bool analytics, bool marketing)
{
	struct json_object *c = json_object_new_object();

	json_object_object_add(c, "necessary", json_object_new_boolean(true));
	json_object_object_add(c, "analytics",
	    json_object_new_boolean(analytics));
	json_object_object_add(c, "marketing",
	    json_object_new_boolean(marketing));
	return c;
}

/* {"consent_id", "categories", "policy_version"}; the caller puts it. */
static struct json_object *
consent_choice_json(const char *consent_id, bool analytics, bool marketing,
    const char *version)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "consent_id",
	    json_object_new_string(consent_id));
	json_object_object_add(o, "categories",
	    consent_categories(analytics, marketing));
	json_object_object_add(o, "policy_version",
	    json_object_new_string(version));
	return o;
}

/* Validate the body: {"categories":{"analytics","marketing"},..}. */
static struct json_object *
consent_validate(struct http_request *req, bool *analytics, bool *marketing,
    const char **version)
{
	static const char *const allowed[] = { "categories", "policy_version",
	    NULL };
	static const char *const category_names[] = { "analytics",
	    "marketing", NULL };
	struct json_object	*fields = json_object_new_object();
	struct json_object	*categories = NULL, *problems;

	json_reject_unknown(req->json, allowed, fields);
	json_get_string(req->json, "policy_version", true, CONSENT_VERSION_MAX,
	    version, fields);
	if (!json_object_object_get_ex(req->json, "categories", &categories) ||
	    !json_object_is_type(categories, json_type_object)) {
		json_object_object_add(fields, "categories", json_object_new_string(
		    "must be an object with the booleans analytics and "
		    "marketing"));
		return fields;
	}

	/* Problems inside the object are reported as "categories.NAME". */
	problems = json_object_new_object();
	json_reject_unknown(categories, category_names, problems);
	json_get_bool(categories, "analytics", true, analytics, problems);
	json_get_bool(categories, "marketing", true, marketing, problems);
	json_object_object_foreach(problems, key, value) {
		char name[64];

		snprintf(name, sizeof(name), "categories.%s", key);
		json_object_object_add(fields, name, json_object_get(value));
	}
	json_object_put(problems);
	return fields;
}

/*
 * Insert one consent row with a new id (written to "id") for "consent_id"
 * and "user_id" ("" for the browser alone), with its address encrypted.
 * "*res" returns the row's recording time.
 */
static enum sscn_err
consent_insert(struct http_request *req, char id[37], const char *consent_id,
    const char *user_id, bool analytics, bool marketing, const char *version,
    PGresult **res)
{
	const char	*params[7];
	char		*address = NULL;
	enum sscn_err	 err;

	token_random_uuid(id);
	if ((err = consent_encrypt_address(req, id, &address)) != SSCN_OK)
		return err;

	params[0] = id;
	params[1] = consent_id;
	params[2] = user_id;
	params[3] = analytics ? "true" : "false";
	params[4] = marketing ? "true" : "false";
	params[5] = version;
	params[6] = address;
	err = api_db(req, "consent_insert", 7, params, res);
	free(address);
	return err;
}

enum sscn_err
consent_post(struct http_request *req)
{
	struct json_object	*fields, *root;
	char			 consent_id[37], id[37], browser_row[37];
	char			 current[CONSENT_VERSION_MAX + 1];
	const char		*version = NULL;
	PGresult		*res = NULL;
	enum sscn_err		 err;
	bool			 analytics = false, marketing = false, as_user;
	bool			 had_cookie;

	fields = consent_validate(req, &analytics, &marketing, &version);
	if (json_object_object_length(fields) > 0)
		return api_validation_failed(req, fields);
	json_object_put(fields);

	if ((err = consent_begin(req, &as_user)) != SSCN_OK)
		return err;
	if ((err = consent_cookie_context(req, consent_id)) != SSCN_OK ||
	    (err = consent_policy_version(req, current)) != SSCN_OK)
		return api_rollback(req, err);
	if (strcmp(version, current) != 0) {
		db_rollback(&req->worker->db, req->request_id);
		fields = json_object_new_object();
		json_object_object_add(fields, "policy_version",
		    json_object_new_string("is not the current cookie policy "
		    "version; read it from GET /api/v1/legal/cookies"));
		return api_validation_failed(req, fields);
	}

	/* A visitor without a cookie gets a new consent id. */
	had_cookie = consent_id[0] != '\0';
	if (!had_cookie) {
		token_random_uuid(consent_id);
		if ((err = consent_set_context(req, consent_id)) !=
		    SSCN_OK)
			return api_rollback(req, err);
	}
	if ((err = consent_insert(req, id, consent_id, as_user ? req->user_id :
	    "", analytics, marketing, version, &res)) != SSCN_OK)
		return api_rollback(req, err);

	/*
	 * A user's choice also becomes the choice of the browser's own consent
	 * id, so that consent withdrawn while logged in stays withdrawn after
	 * logging out.
	 */
	if (as_user && had_cookie) {
		PGresult *browser = NULL;

		err = consent_insert(req, browser_row, consent_id, "",
		    analytics, marketing, version, &browser);
		PQclear(browser);
		if (err != SSCN_OK) {
			PQclear(res);
			return api_rollback(req, err);
		}
	}

	/* The audit row records the choice; the response adds its time. */
	root = consent_choice_json(consent_id, analytics, marketing, version);
	err = audit_write(req, as_user ? req->user_id : NULL, NULL,
	    "consent.record", id, "success", root);
	if (err == SSCN_OK && http_add_headerf(req, "Set-Cookie: "
	    CONSENT_COOKIE "=%s; Path=/; Max-Age=%d; Secure; HttpOnly; "
	    "SameSite=Strict", consent_id, CONSENT_COOKIE_MAX_AGE) == -1)
		err = SSCN_ERR_INTERNAL;
	if (err != SSCN_OK) {
		json_object_put(root);
		PQclear(res);
		return api_rollback(req, err);
	}
	json_object_object_add(root, "recorded_at", api_json_text(res, 0, 0));
	json_object_object_add(root, "user_id", as_user ?
	    json_object_new_string(req->user_id) : NULL);
	PQclear(res);
	return api_commit_send(req, 201, root);
}

enum sscn_err
consent_get(struct http_request *req)
{
	struct json_object	*root, *consent = NULL;
	char			 consent_id[37];
	char			 current[CONSENT_VERSION_MAX + 1];
	PGresult		*res = NULL;
	enum sscn_err		 err;
	bool			 as_user;

	if ((err = consent_begin(req, &as_user)) != SSCN_OK)
		return err;
	if ((err = consent_cookie_context(req, consent_id)) != SSCN_OK ||
	    (err = consent_policy_version(req, current)) != SSCN_OK ||
	    (err = api_db(req, "consent_latest", 0, NULL, &res)) != SSCN_OK)
		return api_rollback(req, err);
	db_rollback(&req->worker->db, req->request_id);

	if (PQntuples(res) == 1) {
		consent = consent_choice_json(PQgetvalue(res, 0, 0),
		    strcmp(PQgetvalue(res, 0, 1), "t") == 0,
		    strcmp(PQgetvalue(res, 0, 2), "t") == 0,
		    PQgetvalue(res, 0, 3));
		json_object_object_add(consent, "recorded_at",
		    api_json_text(res, 0, 4));
		json_object_object_add(consent, "for_user", json_object_new_boolean(
		    strcmp(PQgetvalue(res, 0, 5), "t") == 0));
	}
	PQclear(res);

	root = json_object_new_object();
	json_object_object_add(root, "current_policy_version", current[0] ?
	    json_object_new_string(current) : NULL);
	json_object_object_add(root, "consent", consent);
	http_send_json(req, 200, root);
	json_object_put(root);
	return SSCN_OK;
}
