/*
 * me_orgs.c - the organizations of the caller and the one that the
 * session acts for.
 *
 * A session acts for one organization at a time (sql/0003): the user's
 * first at login.  A user who belongs to several, for example after
 * accepting an invitation, lists them here and moves the session to
 * another one.
 */
#include "config.h"

#include <string.h>

#include <json-c/json.h>
#include <libpq-fe.h>

#include "sscn.h"
#include "api/auth_session.h"

static const char *const me_org_names[] = { "id", "name", "kind", "role",
    NULL };

/* GET /api/v1/me/organizations */
enum sscn_err
me_organizations(struct http_request *req)
{
	struct json_object	*root, *items;
	PGresult		*res = NULL;
	enum sscn_err		 err;
	int			 i;

	if ((err = authn_require(req)) != SSCN_OK)
		return err;
	if ((err = api_db(req, "me_organizations", 0, NULL, &res)) != SSCN_OK)
		return err;

	root = json_object_new_object();
	items = json_object_new_array();
	for (i = 0; i < PQntuples(res); i++) {
		struct json_object *org = json_object_new_object();

		api_json_columns(org, res, i, me_org_names);
		json_object_object_add(org, "current", json_object_new_boolean(
		    strcmp(PQgetvalue(res, i, 0), req->org_id) == 0));
		json_object_array_add(items, org);
	}
	PQclear(res);
	json_object_object_add(root, "items", items);
	http_send_json(req, 200, root);
	json_object_put(root);
	return SSCN_OK;
}

/* PUT /api/v1/me/organization {"organization_id": ...} */
enum sscn_err
me_organization_switch(struct http_request *req)
{
	static const char *const allowed[] = { "organization_id", NULL };
	struct json_object	*fields = json_object_new_object();
	struct json_object	*root, *org, *details;
	const char		*org_id = NULL;
	const char		*params[2];
	PGresult		*res = NULL;
	enum sscn_err		 err;

	json_reject_unknown(req->json, allowed, fields);
	json_get_string(req->json, "organization_id", true, 36, &org_id,
	    fields);
	if (org_id != NULL && !session_is_uuid(org_id))
		json_object_object_add(fields, "organization_id",
		    json_object_new_string("must be a UUID"));
	if ((err = authn_require_valid(req, fields)) != SSCN_OK)
		return err;

	/* Only a membership of the caller's own moves the session. */
	params[0] = req->session_id;
	params[1] = org_id;
	if ((err = api_db(req, "session_switch_org", 2, params, &res)) !=
	    SSCN_OK)
		return api_rollback(req, err);
	if (PQntuples(res) != 1) {
		PQclear(res);
		return api_rollback(req, SSCN_ERR_NOT_FOUND);
	}

	details = json_object_new_object();
	json_object_object_add(details, "from", req->org_id[0] != '\0' ?
	    json_object_new_string(req->org_id) : NULL);
	err = audit_write(req, req->user_id, PQgetvalue(res, 0, 0),
	    "auth.session_organization", req->session_id, "success", details);
	json_object_put(details);
	if (err != SSCN_OK) {
		PQclear(res);
		return api_rollback(req, err);
	}

	root = json_object_new_object();
	org = json_object_new_object();
	api_json_columns(org, res, 0, me_org_names);
	PQclear(res);
	json_object_object_add(root, "organization", org);
	return api_commit_send(req, 200, root);
}
