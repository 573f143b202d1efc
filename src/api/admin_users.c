/*
 * admin_users.c - GET /api/v1/admin/users and POST .../{id}/lock, /unlock.
 *
 * Admin endpoints need the admin role and a session that passed MFA.  A
 * lock ends every session of the user at once; an unlock also clears the
 * failed-login lock, so a locked-out user can sign in again before the
 * cool-down ends.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>
#include <libpq-fe.h>

#include "sscn.h"
#include "api/auth_session.h"
#include "api/pii_fields.h"

#define ADMIN_LIST_DEFAULT	20
#define ADMIN_LIST_MAX		100

static enum sscn_err
admin_begin(struct http_request *req)
{
	enum sscn_err err;

	if ((err = authn_require(req)) != SSCN_OK ||
	    (err = authn_require_admin(req)) != SSCN_OK)
		return err;
	return authn_begin(req);
}

/* Parse ?limit= and ?cursor= of a list request. */
static bool
admin_list_query(const char *query, int *limit, char *cursor, size_t cursorlen)
{
	const char *p;

	*limit = ADMIN_LIST_DEFAULT;
	cursor[0] = '\0';
	for (p = query; p != NULL && *p != '\0'; p = strchr(p, '&') ?
	    strchr(p, '&') + 1 : NULL) {
		size_t len = strcspn(p, "&");

		if (strncmp(p, "limit=", 6) == 0) {
			char	*end;
			long	 n = strtol(p + 6, &end, 10);

			if (end != p + len || n < 1 || n > ADMIN_LIST_MAX)
				return false;
			*limit = (int)n;
		} else if (strncmp(p, "cursor=", 7) == 0) {
			if (len - 7 >= cursorlen)
				return false;
			memcpy(cursor, p + 7, len - 7);
			cursor[len - 7] = '\0';
			if (!session_is_uuid(cursor))
				return false;
		}
	}
	return true;
}

enum sscn_err
admin_users_list(struct http_request *req)
{
	struct json_object	*root, *items;
	char			 cursor[40], limit_text[8];
	const char		*params[2];
	PGresult		*res = NULL;
	enum sscn_err		 err;
	int			 limit, i, rows;

	if (!admin_list_query(req->query, &limit, cursor, sizeof(cursor))) {
		struct json_object *fields = json_object_new_object();

		json_object_object_add(fields, "limit", json_object_new_string(
		    "must be 1 to 100; cursor must come from next_cursor"));
		return api_validation_failed(req, fields);
	}
	if ((err = admin_begin(req)) != SSCN_OK)
		return err;

	snprintf(limit_text, sizeof(limit_text), "%d", limit + 1);
	params[0] = cursor[0] != '\0' ? cursor : NULL;
	params[1] = limit_text;
	err = db_exec(&req->worker->db, req->request_id, "admin_users", 2,
	    params, &res);
	if (err == SSCN_OK)
		err = audit_write(req, req->user_id, NULL, "admin.users_list",
		    NULL, "success", NULL);
	if (err != SSCN_OK || (err = db_commit(&req->worker->db,
	    req->request_id)) != SSCN_OK) {
		PQclear(res);
		db_rollback(&req->worker->db, req->request_id);
		return err;
	}

	root = json_object_new_object();
	items = json_object_new_array();
	rows = PQntuples(res);
	for (i = 0; i < rows && i < limit; i++) {
		struct json_object	*u = json_object_new_object();
		const char		*id = PQgetvalue(res, i, 0);

		json_object_array_add(items, u);
		json_object_object_add(u, "id", json_object_new_string(id));
		if ((err = api_pii_add(req, u, "email", PII_USERS_EMAIL, id,
		    res, i, 1)) != SSCN_OK ||
		    (err = api_pii_add(req, u, "full_name", PII_USERS_FULL_NAME,
		    id, res, i, 2)) != SSCN_OK) {
			json_object_put(root);
			json_object_put(items);
			PQclear(res);
			return err;
		}
		json_object_object_add(u, "is_admin", json_object_new_boolean(
		    strcmp(PQgetvalue(res, i, 3), "t") == 0));
		json_object_object_add(u, "mfa_enabled", json_object_new_boolean(
		    strcmp(PQgetvalue(res, i, 4), "t") == 0));
		json_object_object_add(u, "locked", json_object_new_boolean(
		    strcmp(PQgetvalue(res, i, 5), "t") == 0));
		json_object_object_add(u, "last_login_at",
		    PQgetisnull(res, i, 6) ? NULL :
		    json_object_new_string(PQgetvalue(res, i, 6)));
	}
	json_object_object_add(root, "items", items);
	json_object_object_add(root, "next_cursor", rows > limit ?
	    json_object_new_string(PQgetvalue(res, limit - 1, 0)) : NULL);
	PQclear(res);
	http_send_json(req, 200, root);
	json_object_put(root);
	return SSCN_OK;
}

static enum sscn_err
admin_lock_change(struct http_request *req, bool lock)
{
	const char	*target = req->match.params[0];
	const char	*params[3];
	PGresult	*res = NULL;
	enum sscn_err	 err;
	int		 i;

	if (!session_is_uuid(target))
		return SSCN_ERR_NOT_FOUND;
	if ((err = admin_begin(req)) != SSCN_OK)
		return err;

	params[0] = target;
	err = db_exec(&req->worker->db, req->request_id, lock ?
	    "admin_lock_user" : "admin_unlock_user", 1, params, &res);
	if (err != SSCN_OK)
		goto rollback;
	if (PQntuples(res) != 1) {
		PQclear(res);
		db_rollback(&req->worker->db, req->request_id);
		return SSCN_ERR_NOT_FOUND;
	}
	PQclear(res);
	res = NULL;

	if (lock) {
		params[1] = NULL;
		params[2] = "locked_by_admin";
		err = db_exec(&req->worker->db, req->request_id,
		    "session_revoke_others", 3, params, &res);
		for (i = 0; err == SSCN_OK && i < PQntuples(res); i++)
			err = audit_write(req, req->user_id, NULL,
			    "auth.session_revoke", PQgetvalue(res, i, 0),
			    "success", NULL);
		PQclear(res);
		if (err != SSCN_OK)
			goto rollback;
	}
	if ((err = audit_write(req, req->user_id, NULL, lock ? "admin.lock" :
	    "admin.unlock", target, "success", NULL)) != SSCN_OK ||
	    (err = db_commit(&req->worker->db, req->request_id)) != SSCN_OK)
		goto rollback;
	http_send_empty(req, 204);
	return SSCN_OK;

rollback:
	db_rollback(&req->worker->db, req->request_id);
	return err;
}

enum sscn_err
admin_user_lock(struct http_request *req)
{
	return admin_lock_change(req, true);
}

enum sscn_err
admin_user_unlock(struct http_request *req)
{
	return admin_lock_change(req, false);
}
