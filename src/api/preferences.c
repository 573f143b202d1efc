/*
 * preferences.c - GET and PUT /api/v1/me/preferences: the caller's mail
 * preferences.  Today that is marketing_emails alone, off until the user
 * turns it on; every change is audited with the value before and after,
 * as evidence of the opt-in.
 */
#include "config.h"

#include <string.h>

#include <json-c/json.h>
#include <libpq-fe.h>

#include "sscn.h"
#include "api/consent.h"

/* {"marketing_emails": bool, "updated_at": time or null} from "res". */
static struct json_object *
preferences_json(const PGresult *res)
{
	struct json_object *root = json_object_new_object();

	json_object_object_add(root, "marketing_emails", json_object_new_boolean(
	    strcmp(PQgetvalue(res, 0, 0), "t") == 0));
	json_object_object_add(root, "updated_at", api_json_text(res, 0, 1));
	return root;
}

enum sscn_err
preferences_get(struct http_request *req)
{
	struct json_object	*root;
	PGresult		*res = NULL;
	enum sscn_err		 err;

	if ((err = authn_require(req)) != SSCN_OK)
		return err;
	if ((err = api_db(req, "preferences_select", 0, NULL, &res)) !=
	    SSCN_OK)
		return api_rollback(req, err);
	db_rollback(&req->worker->db, req->request_id);

	root = preferences_json(res);
	PQclear(res);
	http_send_json(req, 200, root);
	json_object_put(root);
	return SSCN_OK;
}

enum sscn_err
preferences_put(struct http_request *req)
{
	static const char *const allowed[] = { "marketing_emails", NULL };
	struct json_object	*fields = json_object_new_object();
	struct json_object	*details, *root;
	const char		*params[1];
	PGresult		*res = NULL;
	enum sscn_err		 err;
	bool			 marketing = false;

	json_reject_unknown(req->json, allowed, fields);
	json_get_bool(req->json, "marketing_emails", true, &marketing, fields);
	if ((err = authn_require_valid(req, fields)) != SSCN_OK)
		return err;

	params[0] = marketing ? "true" : "false";
	if ((err = api_db(req, "preferences_upsert", 1, params, &res)) !=
	    SSCN_OK)
		return api_rollback(req, err);

	details = json_object_new_object();
	json_object_object_add(details, "fields", json_object_new_array());
	json_object_array_add(json_object_object_get(details, "fields"),
	    json_object_new_string("marketing_emails"));
	json_object_object_add(details, "marketing_emails",
	    json_object_new_boolean(marketing));
	json_object_object_add(details, "before", json_object_new_boolean(
	    strcmp(PQgetvalue(res, 0, 2), "t") == 0));
	err = audit_write(req, req->user_id, NULL, "preferences.update",
	    req->user_id, "success", details);
	json_object_put(details);
	if (err != SSCN_OK) {
		PQclear(res);
		return api_rollback(req, err);
	}

	root = preferences_json(res);
	PQclear(res);
	return api_commit_send(req, 200, root);
}
