/*
 * legal.c - GET /api/v1/legal/{document} and POST /api/v1/legal/accept.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include <json-c/json.h>
#include <libpq-fe.h>

#include "sscn.h"
#include "api/pii_fields.h"

static bool
legal_kind_known(const char *kind)
{
	static const char *const kinds[] = { "terms", "privacy", "cookies",
	    "nda", "dpa", NULL };
	size_t i;

	for (i = 0; kinds[i] != NULL; i++)
		if (strcmp(kinds[i], kind) == 0)
			return true;
	return false;
}

enum sscn_err
legal_get(struct http_request *req)
{
	const char		*kind = req->match.params[0];
	const char		*params[1] = { kind };
	struct json_object	*root;
	PGresult		*res = NULL;
	enum sscn_err		 err;

	if (!legal_kind_known(kind))
		return SSCN_ERR_NOT_FOUND;
	err = db_exec(&req->worker->db, req->request_id, "legal_document", 1,
	    params, &res);
	if (err != SSCN_OK)
		return err;
	if (PQntuples(res) != 1) {
		PQclear(res);
		return SSCN_ERR_NOT_FOUND;
	}
	root = json_object_new_object();
	json_object_object_add(root, "document", json_object_new_string(kind));
	json_object_object_add(root, "version",
	    json_object_new_string(PQgetvalue(res, 0, 0)));
	json_object_object_add(root, "published_at",
	    json_object_new_string(PQgetvalue(res, 0, 1)));
	json_object_object_add(root, "text",
	    json_object_new_string(PQgetvalue(res, 0, 2)));
	PQclear(res);
	http_send_json(req, 200, root);
	json_object_put(root);
	return SSCN_OK;
}

/*
 * Lift the session's acceptance restriction once nothing is pending; a
 * user who must still enrol in MFA moves on to that restriction.
 */
static enum sscn_err
legal_lift_restriction(struct http_request *req)
{
	const char	*params[1];
	PGresult	*res = NULL;
	enum sscn_err	 err;
	bool		 pending;

	params[0] = req->user_id;
	err = db_exec(&req->worker->db, req->request_id, "legal_pending", 1,
	    params, &res);
	if (err != SSCN_OK)
		return err;
	pending = PQntuples(res) > 0;
	PQclear(res);
	if (pending)
		return SSCN_OK;

	params[0] = req->session_id;
	err = db_exec(&req->worker->db, req->request_id,
	    "session_after_acceptance", 1, params, &res);
	PQclear(res);
	return err;
}

enum sscn_err
legal_accept(struct http_request *req)
{
	static const char *const allowed[] = { "document", "version", NULL };
	struct json_object	*fields = json_object_new_object();
	struct json_object	*details;
	const char		*kind = NULL, *version = NULL;
	const char		*params[4];
	PGresult		*res = NULL;
	enum sscn_err		 err;

	json_reject_unknown(req->json, allowed, fields);
	json_get_string(req->json, "document", true, 16, &kind, fields);
	json_get_string(req->json, "version", true, 32, &version, fields);
	if (kind != NULL && !legal_kind_known(kind))
		json_object_object_add(fields, "document", json_object_new_string(
		    "must be terms, privacy, cookies, nda or dpa"));
	if ((err = authn_require(req)) != SSCN_OK) {
		json_object_put(fields);
		return err;
	}
	if (json_object_object_length(fields) > 0)
		return api_validation_failed(req, fields);

	params[0] = kind;
	err = db_exec(&req->worker->db, req->request_id, "legal_document", 1,
	    params, &res);
	if (err != SSCN_OK) {
		json_object_put(fields);
		return err;
	}
	if (PQntuples(res) != 1 || strcmp(PQgetvalue(res, 0, 0), version) != 0) {
		PQclear(res);
		json_object_object_add(fields, "version", json_object_new_string(
		    "is not the current version"));
		return api_validation_failed(req, fields);
	}
	PQclear(res);
	json_object_put(fields);

	if ((err = authn_begin(req)) != SSCN_OK)
		return err;
	err = api_legal_accept(req, req->user_id, kind, version);
	if (err == SSCN_OK) {
		details = json_object_new_object();
		json_object_object_add(details, "version",
		    json_object_new_string(version));
		err = audit_write(req, req->user_id, NULL, "legal.accept", kind,
		    "success", details);
		json_object_put(details);
	}
	if (err == SSCN_OK && strcmp(req->restriction, "acceptance") == 0)
		err = legal_lift_restriction(req);
	if (err != SSCN_OK) {
		db_rollback(&req->worker->db, req->request_id);
		return err;
	}
	if ((err = db_commit(&req->worker->db, req->request_id)) != SSCN_OK)
		return err;
	http_send_empty(req, 204);
	return SSCN_OK;
}
