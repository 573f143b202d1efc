/*
 * incidents.c - the breach register: POST and GET /api/v1/admin/incidents,
 * GET and PATCH /api/v1/admin/incidents/{id}.
 *
 * Every personal data breach gets a row, whether or not it is notified
 * (GDPR Article 33(5)).  Each change writes an audit row naming the
 * changed fields in the same transaction, so the audit log contains the
 * register's history.  The list shows open incidents with the time left
 * until the 72-hour deadline.  Only admins with an MFA-verified session
 * reach these endpoints; row-level security admits admins only as well.
 */
#include "config.h"

#include <string.h>

#include <json-c/json.h>
#include <libpq-fe.h>

#include "sscn.h"
#include "api/auth_session.h"
#include "api/incidents.h"
#include "auth/token.h"

enum sscn_err
incident_admin_begin(struct http_request *req, struct json_object *fields)
{
	enum sscn_err err;

	if ((err = authn_require(req)) != SSCN_OK ||
	    (err = authn_require_admin(req)) != SSCN_OK ||
	    (err = authn_begin(req)) != SSCN_OK) {
		json_object_put(fields);
		return err;
	}
	return api_validation_check(req, fields);
}

enum sscn_err
incident_read(struct http_request *req, const char *name, const char *id,
    struct json_object **incident)
{
	const char	*params[1] = { id };
	PGresult	*res = NULL;
	enum sscn_err	 err;

	*incident = NULL;
	if ((err = api_db(req, name, 1, params, &res)) != SSCN_OK)
		return err;
	if (PQntuples(res) != 1) {
		PQclear(res);
		return SSCN_ERR_NOT_FOUND;
	}
	*incident = json_tokener_parse(PQgetvalue(res, 0, 0));
	PQclear(res);
	if (*incident == NULL) {
		log_error(req->request_id, "incident_read_failed", "id=%s "
		    "reason=\"the stored incident is not valid JSON\"", id);
		return SSCN_ERR_INTERNAL;
	}
	return SSCN_OK;
}

/* The audit details of a change: {"fields": [the names in "changes"]}. */
static struct json_object *
incident_audit_details(struct json_object *changes)
{
	struct json_object *details = json_object_new_object();
	struct json_object *names = json_object_new_array();

	json_object_object_foreach(changes, key, value) {
		(void)value;
		json_object_array_add(names, json_object_new_string(key));
	}
	json_object_object_add(details, "fields", names);
	return details;
}

/*
 * Record the values of "changes" in the incident's history and write the
 * audit row of "action" on incident "id", which names the fields only.
 * Then read the incident as stored now, commit and send it with "status".
 */
static enum sscn_err
incident_finish(struct http_request *req, const char *action, const char *id,
    struct json_object *changes, int status)
{
	struct json_object	*details = incident_audit_details(changes);
	struct json_object	*incident = NULL;
	const char		*params[3];
	enum sscn_err		 err;

	params[0] = id;
	params[1] = req->user_id;
	params[2] = json_object_to_json_string_ext(changes,
	    JSON_C_TO_STRING_PLAIN);
	err = SSCN_OK;
	if (json_object_object_length(changes) > 0)
		err = api_db(req, "incident_update_record", 3, params, NULL);
	if (err == SSCN_OK)
		err = audit_write(req, req->user_id, NULL, action, id,
		    "success", details);
	json_object_put(details);
	if (err == SSCN_OK)
		err = incident_read(req, "incident_get", id, &incident);
	if (err != SSCN_OK)
		return api_rollback(req, err);
	return api_commit_send(req, status, incident);
}

enum sscn_err
incident_create(struct http_request *req)
{
	struct json_object	*fields = json_object_new_object();
	struct json_object	*columns;
	char			 id[37];
	const char		*params[3];
	PGresult		*res = NULL;
	enum sscn_err		 err;

	columns = incident_fields_parse(req->json, true, fields);
	if (json_object_object_length(fields) == 0)
		(void)incident_check_rules(columns, fields);
	if ((err = incident_admin_begin(req, fields)) != SSCN_OK) {
		json_object_put(columns);
		return err;
	}

	token_random_uuid(id);
	params[0] = id;
	params[1] = json_object_to_json_string_ext(columns,
	    JSON_C_TO_STRING_PLAIN);
	params[2] = req->user_id;
	err = api_db(req, "incident_insert", 3, params, &res);
	PQclear(res);
	if (err == SSCN_OK)
		err = incident_finish(req, "incident.create", id, columns, 201);
	else
		err = api_rollback(req, err);
	json_object_put(columns);
	return err;
}

/* Add the incident's history to "incident" as "updates". */
static enum sscn_err
incident_add_updates(struct http_request *req, const char *id,
    struct json_object *incident)
{
	const char		*params[1] = { id };
	struct json_object	*updates;
	PGresult		*res = NULL;
	enum sscn_err		 err;

	if ((err = api_db(req, "incident_updates_list", 1, params, &res)) !=
	    SSCN_OK)
		return err;
	updates = json_tokener_parse(PQgetvalue(res, 0, 0));
	PQclear(res);
	if (updates == NULL) {
		log_error(req->request_id, "incident_read_failed", "id=%s "
		    "reason=\"the incident's history is not valid JSON\"", id);
		return SSCN_ERR_INTERNAL;
	}
	json_object_object_add(incident, "updates", updates);
	return SSCN_OK;
}

enum sscn_err
incident_get(struct http_request *req)
{
	const char		*id = req->match.params[0];
	struct json_object	*incident = NULL;
	enum sscn_err		 err;

	if ((err = incident_admin_begin(req, json_object_new_object())) !=
	    SSCN_OK)
		return err;
	if (!session_is_uuid(id))
		return SSCN_ERR_NOT_FOUND;
	if ((err = incident_read(req, "incident_get", id, &incident)) !=
	    SSCN_OK || (err = incident_add_updates(req, id, incident)) !=
	    SSCN_OK) {
		json_object_put(incident);
		return err;
	}
	http_send_json(req, 200, incident);
	json_object_put(incident);
	return SSCN_OK;
}

/*
 * ?status= of the list: "open" (the default: every incident not closed)
 * or "all".  SSCN_ERR_VALIDATION with the problem in "fields" otherwise.
 */
static enum sscn_err
incident_list_status(const char *query, bool *all, struct json_object *fields)
{
	char value[8];

	*all = false;
	switch (query_get(query, "status", value, sizeof(value))) {
	case QUERY_ABSENT:
		return SSCN_OK;
	case QUERY_FOUND:
		if (strcmp(value, "open") == 0)
			return SSCN_OK;
		if (strcmp(value, "all") == 0) {
			*all = true;
			return SSCN_OK;
		}
		break;
	case QUERY_INVALID:
		break;
	}
	json_object_object_add(fields, "status",
	    json_object_new_string("must be open or all"));
	return SSCN_ERR_VALIDATION;
}

enum sscn_err
incident_list(struct http_request *req)
{
	struct json_object	*fields = json_object_new_object();
	struct json_object	*items, *root;
	struct paging		 paging;
	const char		*params[4];
	PGresult		*res = NULL;
	enum sscn_err		 err;
	bool			 all;
	int			 i, rows;

	(void)paging_parse_keyed(req->query, &paging, fields);
	(void)incident_list_status(req->query, &all, fields);
	if ((err = incident_admin_begin(req, fields)) != SSCN_OK)
		return err;

	params[0] = all ? "true" : "false";
	params[1] = paging.after_key[0] != '\0' ? paging.after_key : NULL;
	params[2] = paging.after_key[0] != '\0' ? paging.after_id : NULL;
	params[3] = paging.fetch;
	if ((err = api_db(req, "incident_list", 4, params, &res)) != SSCN_OK)
		return err;

	items = json_object_new_array();
	rows = PQntuples(res);
	for (i = 0; i < rows && i < paging.limit; i++) {
		struct json_object *incident =
		    json_tokener_parse(PQgetvalue(res, i, 0));

		if (incident == NULL) {
			log_error(req->request_id, "incident_list_failed",
			    "reason=\"a stored incident is not valid JSON\"");
			json_object_put(items);
			PQclear(res);
			return SSCN_ERR_INTERNAL;
		}
		json_object_array_add(items, incident);
	}
	root = paging_page_json(&paging, items, res, 1, 2);
	PQclear(res);
	http_send_json(req, 200, root);
	json_object_put(root);
	return SSCN_OK;
}

/*
 * Drop from "changes" every field whose value equals the stored one in
 * "incident", then copy the rest over "incident", so that "incident"
 * becomes the incident as it would be stored and "changes" names only
 * what really changes.
 */
static void
incident_merge(struct json_object *incident, struct json_object *changes)
{
	struct json_object	*same = json_object_new_array();
	size_t			 i;

	json_object_object_foreach(changes, key, value) {
		struct json_object *stored = NULL;

		(void)json_object_object_get_ex(incident, key, &stored);
		if (json_object_equal(stored, value))
			json_object_array_add(same, json_object_new_string(key));
		else
			json_object_object_add(incident, key,
			    json_object_get(value));
	}
	for (i = 0; i < json_object_array_length(same); i++)
		json_object_object_del(changes, json_object_get_string(
		    json_object_array_get_idx(same, i)));
	json_object_put(same);
}

/*
 * What a status change does to closed_at, for statement incident_update:
 * "close", "reopen" or "".
 */
static const char *
incident_closing(const char *old_status, struct json_object *changes)
{
	struct json_object	*value;
	bool			 was_closed = strcmp(old_status, "closed") == 0;
	bool			 closed;

	if (!json_object_object_get_ex(changes, "status", &value))
		return "";
	closed = strcmp(json_object_get_string(value), "closed") == 0;
	if (closed && !was_closed)
		return "close";
	if (!closed && was_closed)
		return "reopen";
	return "";
}

enum sscn_err
incident_patch(struct http_request *req)
{
	const char		*id = req->match.params[0];
	struct json_object	*fields = json_object_new_object();
	struct json_object	*changes, *incident = NULL;
	char			 old_status[16];
	const char		*params[3];
	PGresult		*res = NULL;
	enum sscn_err		 err;

	changes = incident_fields_parse(req->json, false, fields);
	/* An empty PATCH would only write an audit row naming no field. */
	if (json_object_object_length(changes) == 0 &&
	    json_object_object_length(fields) == 0)
		json_object_object_add(fields, "body",
		    json_object_new_string("no field to change"));
	if ((err = incident_admin_begin(req, fields)) != SSCN_OK)
		goto out;
	if (!session_is_uuid(id)) {
		err = SSCN_ERR_NOT_FOUND;
		goto out;
	}
	if ((err = incident_read(req, "incident_get_for_update", id,
	    &incident)) != SSCN_OK) {
		err = api_rollback(req, err);
		goto out;
	}

	snprintf(old_status, sizeof(old_status), "%s", json_object_get_string(
	    json_object_object_get(incident, "status")));
	incident_merge(incident, changes);
	fields = json_object_new_object();
	if (incident_check_rules(incident, fields) != SSCN_OK) {
		db_rollback(&req->worker->db, req->request_id);
		err = api_validation_failed(req, fields);
		goto out;
	}
	json_object_put(fields);

	params[0] = id;
	params[1] = json_object_to_json_string_ext(changes,
	    JSON_C_TO_STRING_PLAIN);
	params[2] = incident_closing(old_status, changes);
	err = api_db(req, "incident_update", 3, params, &res);
	PQclear(res);
	if (err == SSCN_OK)
		err = incident_finish(req, "incident.update", id, changes, 200);
	else
		err = api_rollback(req, err);
out:
	json_object_put(incident);
	json_object_put(changes);
	return err;
}
