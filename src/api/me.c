/*
 * me.c - GET and PATCH /api/v1/me: the caller's own profile.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>
#include <libpq-fe.h>

#include "sscn.h"
#include "api/pii_fields.h"

#define PHONE_MAX 40

static struct json_object *
me_string(PGresult *res, int column)
{
	if (PQgetisnull(res, 0, column))
		return NULL;
	return json_object_new_string(PQgetvalue(res, 0, column));
}

/*
 * Send the profile.  From column "at" on, "res" (consumed) contains the
 * encrypted email, full_name and phone, whether TOTP is on, created_at,
 * the name of the session's organization and the time the account is
 * scheduled for deletion (NULL when none).  The rest comes from the
 * session check.
 */
static enum sscn_err
me_send_result(struct http_request *req, PGresult *res, int at)
{
	struct json_object	*root, *org = NULL;
	enum sscn_err		 err;

	if (PQntuples(res) != 1 || PQnfields(res) < at + 7) {
		PQclear(res);
		return SSCN_ERR_NOT_FOUND;
	}

	root = json_object_new_object();
	json_object_object_add(root, "id", json_object_new_string(req->user_id));
	if ((err = api_pii_add(req, root, "email", PII_USERS_EMAIL,
	    req->user_id, res, 0, at)) != SSCN_OK ||
	    (err = api_pii_add(req, root, "full_name", PII_USERS_FULL_NAME,
	    req->user_id, res, 0, at + 1)) != SSCN_OK ||
	    (err = api_pii_add(req, root, "phone", PII_USERS_PHONE,
	    req->user_id, res, 0, at + 2)) != SSCN_OK) {
		json_object_put(root);
		PQclear(res);
		return err;
	}
	json_object_object_add(root, "is_admin",
	    json_object_new_boolean(req->is_admin));
	json_object_object_add(root, "mfa_enabled", json_object_new_boolean(
	    strcmp(PQgetvalue(res, 0, at + 3), "t") == 0));
	json_object_object_add(root, "created_at", me_string(res, at + 4));
	if (req->org_id[0] != '\0') {
		org = json_object_new_object();
		json_object_object_add(org, "id",
		    json_object_new_string(req->org_id));
		json_object_object_add(org, "role",
		    json_object_new_string(req->org_role));
		json_object_object_add(org, "kind",
		    json_object_new_string(req->org_kind));
		json_object_object_add(org, "name", me_string(res, at + 5));
	}
	json_object_object_add(root, "organization", org);
	json_object_object_add(root, "deletion_scheduled_for",
	    me_string(res, at + 6));
	PQclear(res);

	http_send_json(req, 200, root);
	json_object_put(root);
	return SSCN_OK;
}

/* Read and send the profile as the user authn_require() set. */
static enum sscn_err
me_send(struct http_request *req)
{
	const char	*params[1] = { req->user_id };
	PGresult	*res = NULL;
	enum sscn_err	 err;

	err = db_exec(&req->worker->db, req->request_id, "me_select", 1,
	    params, &res);
	if (err != SSCN_OK)
		return err;
	return me_send_result(req, res, 0);
}

/* Authenticate and open a transaction as the user. */
static enum sscn_err
me_begin(struct http_request *req)
{
	enum sscn_err err;

	if ((err = authn_require(req)) != SSCN_OK)
		return err;
	return authn_begin(req);
}

/* The session check and the read are one statement: one round trip. */
enum sscn_err
me_get(struct http_request *req)
{
	PGresult	*res = NULL;
	enum sscn_err	 err;

	if ((err = authn_require_as(req, "me_session_check", &res)) != SSCN_OK)
		return err;
	return me_send_result(req, res, AUTHN_SESSION_COLUMNS);
}

static bool
me_plain_text(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < ' ' || *s == 0x7f)
			return false;
	return true;
}

enum sscn_err
me_patch(struct http_request *req)
{
	static const char *const allowed[] = { "full_name", "phone", NULL };
	struct json_object	*fields = json_object_new_object();
	struct json_object	*value;
	const char		*full_name = NULL, *phone = NULL;
	const char		*params[4];
	PGresult		*res = NULL;
	enum sscn_err		 err;
	char			*sealed_name = NULL, *sealed_phone = NULL;
	bool			 set_phone;

	json_reject_unknown(req->json, allowed, fields);
	json_get_string(req->json, "full_name", false, 200, &full_name, fields);
	set_phone = json_object_object_get_ex(req->json, "phone", &value);
	if (value != NULL)
		json_get_string(req->json, "phone", false, PHONE_MAX, &phone,
		    fields);
	if (full_name != NULL && (*full_name == '\0' || !me_plain_text(full_name)))
		json_object_object_add(fields, "full_name", json_object_new_string(
		    "must be 1 to 200 characters without control characters"));
	if (phone != NULL && strspn(phone, "+0123456789 ()-./") != strlen(phone))
		json_object_object_add(fields, "phone", json_object_new_string(
		    "may contain only digits, spaces and + ( ) - . /"));
	if (json_object_object_length(fields) > 0) {
		/* Validation comes first: a bad body never needs a login. */
		if ((err = authn_require(req)) != SSCN_OK) {
			json_object_put(fields);
			return err;
		}
		return api_validation_failed(req, fields);
	}
	json_object_put(fields);

	if ((err = me_begin(req)) != SSCN_OK)
		return err;
	if ((err = api_pii_seal(req, PII_USERS_FULL_NAME, req->user_id,
	    full_name, &sealed_name)) != SSCN_OK ||
	    (err = api_pii_seal(req, PII_USERS_PHONE, req->user_id, phone,
	    &sealed_phone)) != SSCN_OK) {
		db_rollback(&req->worker->db, req->request_id);
		return err;
	}
	params[0] = req->user_id;
	params[1] = sealed_name;
	params[2] = set_phone ? "true" : "false";
	params[3] = sealed_phone;
	err = db_exec(&req->worker->db, req->request_id, "me_update", 4,
	    params, &res);
	PQclear(res);
	free(sealed_name);
	free(sealed_phone);
	if (err == SSCN_OK)
		err = audit_write(req, req->user_id, NULL, "user.update_profile",
		    req->user_id, "success", NULL);
	if (err == SSCN_OK)
		err = me_send(req);
	if (err != SSCN_OK) {
		db_rollback(&req->worker->db, req->request_id);
		return err;
	}
	return db_commit(&req->worker->db, req->request_id);
}
