/*
 * orgs.c - GET and PATCH /api/v1/organizations/{id}.
 *
 * A session acts for one organization; only that organization is found
 * under /api/v1/organizations/{id}.  Any other id gets 404 as a
 * missing one would, so a caller learns nothing about organizations it
 * does not belong to.  Row-level security gives the same result on its
 * own, because the statements compare the id with sscn.current_org_id().
 * Settings change only by the organization's owners and admins; a plain
 * member gets 403.  The kind, id and creation time are fixed.
 */
#include "config.h"

#include <string.h>
#include <strings.h>

#include <json-c/json.h>
#include <libpq-fe.h>

#include "sscn.h"
#include "api/auth_session.h"
#include "api/orgs.h"

/* Maximum name length in characters, as sscn.organizations checks. */
#define ORG_NAME_MAX 200

enum sscn_err
org_begin(struct http_request *req, const char *id)
{
	enum sscn_err err;

	if ((err = authn_require(req)) != SSCN_OK)
		return err;
	if ((err = authn_begin(req)) != SSCN_OK)
		return err;

	/* The session's id is lower case; a client may send upper case. */
	if (req->org_id[0] == '\0' || !session_is_uuid(id) ||
	    strcasecmp(id, req->org_id) != 0)
		return SSCN_ERR_NOT_FOUND;
	return SSCN_OK;
}

bool
org_is_manager(const struct http_request *req)
{
	return strcmp(req->org_role, "owner") == 0 ||
	    strcmp(req->org_role, "admin") == 0;
}

enum sscn_err
org_manager_begin(struct http_request *req, struct json_object *fields)
{
	enum sscn_err err;

	if ((err = org_begin(req, req->match.params[0])) == SSCN_OK &&
	    !org_is_manager(req))
		err = SSCN_ERR_FORBIDDEN;
	if (err != SSCN_OK)
		json_object_put(fields);
	return err;
}

/* The organization of one result row of org_select or org_update. */
static struct json_object *
org_json(PGresult *res)
{
	static const char *const names[] = { "id", "kind", "name", "country",
	    NULL };
	struct json_object *org = json_object_new_object();

	api_json_columns(org, res, 0, names);
	json_object_object_add(org, "require_mfa", json_object_new_boolean(
	    strcmp(PQgetvalue(res, 0, 4), "t") == 0));
	json_object_object_add(org, "created_at",
	    json_object_new_string(PQgetvalue(res, 0, 5)));
	return org;
}

enum sscn_err
org_get(struct http_request *req)
{
	struct json_object	*org;
	const char		*params[1];
	PGresult		*res = NULL;
	enum sscn_err		 err;

	if ((err = org_begin(req, req->match.params[0])) != SSCN_OK)
		return err;

	params[0] = req->org_id;
	if ((err = api_db(req, "org_select", 1, params, &res)) != SSCN_OK)
		return err;
	if (PQntuples(res) != 1) {
		PQclear(res);
		return SSCN_ERR_NOT_FOUND;
	}
	org = org_json(res);
	PQclear(res);
	http_send_json(req, 200, org);
	json_object_put(org);
	return SSCN_OK;
}

/* The requested changes of a PATCH; NULL for a field left alone. */
struct org_change {
	const char	*name;
	bool		 set_country;
	const char	*country;	/* NULL with set_country: clear it */
	bool		 set_require_mfa;
	bool		 require_mfa;
};

/*
 * Check the body of a PATCH into "change"; problems go into "fields".
 * This needs no database, so it runs before authentication.  The country
 * is checked against ISO 3166-1 by org_patch_check_country().
 */
static void
org_patch_parse(struct http_request *req, struct org_change *change,
    struct json_object *fields)
{
	static const char *const allowed[] = { "name", "country",
	    "require_mfa", NULL };
	struct json_object	*value = NULL;

	memset(change, 0, sizeof(*change));
	json_reject_unknown(req->json, allowed, fields);

	/* A name cannot be cleared, so null is as wrong as "". */
	if (json_object_object_get_ex(req->json, "name", &value) &&
	    value == NULL)
		json_object_object_add(fields, "name", json_object_new_string(
		    "must be a string"));
	else if (json_get_text(req->json, "name", false, ORG_NAME_MAX, false,
	    &change->name, fields) == SSCN_OK && change->name != NULL &&
	    change->name[0] == '\0')
		json_object_object_add(fields, "name", json_object_new_string(
		    "must be 1 to 200 characters"));

	/* A JSON null clears the country; json-c returns it as NULL. */
	change->set_country = json_object_object_get_ex(req->json, "country",
	    &value);
	if (value != NULL)
		(void)json_get_string(req->json, "country", false, 2,
		    &change->country, fields);

	change->set_require_mfa = json_object_object_get_ex(req->json,
	    "require_mfa", &value);
	if (change->set_require_mfa && value == NULL)
		json_object_object_add(fields, "require_mfa",
		    json_object_new_string("must be a boolean"));
	else if (change->set_require_mfa)
		json_get_bool(req->json, "require_mfa", true,
		    &change->require_mfa, fields);

	if (json_object_object_length(fields) == 0 && change->name == NULL &&
	    !change->set_country && !change->set_require_mfa)
		json_object_object_add(fields, "name", json_object_new_string(
		    "the body must set name, country or require_mfa"));
}

/*
 * Add a problem to "fields" unless the country of "change", when it sets
 * one, is in the ISO 3166-1 code list, which is read from the database on
 * its first use.
 */
static enum sscn_err
org_patch_check_country(struct http_request *req,
    const struct org_change *change, struct json_object *fields)
{
	enum sscn_err	err;
	bool		valid;

	if (change->country == NULL)
		return SSCN_OK;
	if ((err = codes_check(req, CODE_COUNTRY, change->country, &valid)) !=
	    SSCN_OK)
		return err;
	if (!valid)
		json_object_object_add(fields, "country", json_object_new_string(
		    "must be an ISO 3166-1 alpha-2 code such as DE, or null"));
	return SSCN_OK;
}

/* Add the name of each field that the update changed to "list". */
static void
org_changed_fields(PGresult *res, struct json_object *list)
{
	static const char *const names[] = { "name", "country",
	    "require_mfa" };
	size_t i;

	for (i = 0; i < 3; i++)
		if (strcmp(PQgetvalue(res, 0, 6 + (int)i), "t") == 0)
			json_object_array_add(list,
			    json_object_new_string(names[i]));
}

enum sscn_err
org_patch(struct http_request *req)
{
	struct json_object	*fields, *details, *changed, *org;
	struct org_change	 change;
	const char		*params[5];
	PGresult		*res = NULL;
	enum sscn_err		 err;

	fields = json_object_new_object();
	org_patch_parse(req, &change, fields);
	if ((err = org_manager_begin(req, fields)) != SSCN_OK)
		return err;
	if ((err = org_patch_check_country(req, &change, fields)) != SSCN_OK) {
		json_object_put(fields);
		return err;
	}
	if ((err = api_validation_check(req, fields)) != SSCN_OK)
		return err;

	params[0] = req->org_id;
	params[1] = change.name;
	params[2] = change.set_country ? "true" : "false";
	params[3] = change.country;
	params[4] = !change.set_require_mfa ? NULL :
	    change.require_mfa ? "true" : "false";
	if ((err = api_db(req, "org_update", 5, params, &res)) != SSCN_OK)
		goto rollback;
	if (PQntuples(res) != 1) {
		/* Row-level security hid the row: not an owner or admin. */
		PQclear(res);
		err = SSCN_ERR_NOT_FOUND;
		goto rollback;
	}

	details = json_object_new_object();
	changed = json_object_new_array();
	org_changed_fields(res, changed);
	json_object_object_add(details, "fields", changed);

	/* Turning require_mfa on applies to open sessions at once. */
	if (strcmp(PQgetvalue(res, 0, 8), "t") == 0 &&
	    strcmp(PQgetvalue(res, 0, 4), "t") == 0) {
		PGresult *restricted = NULL;

		err = api_db(req, "org_restrict_sessions_mfa", 0, NULL,
		    &restricted);
		if (err != SSCN_OK) {
			json_object_put(details);
			PQclear(res);
			goto rollback;
		}
		json_object_object_add(details, "sessions_restricted",
		    json_object_new_int(PQntuples(restricted)));
		PQclear(restricted);
	}
	err = audit_write(req, req->user_id, req->org_id, "org.update",
	    req->org_id, "success", details);
	json_object_put(details);
	if (err != SSCN_OK) {
		PQclear(res);
		goto rollback;
	}
	org = org_json(res);
	PQclear(res);
	return api_commit_send(req, 200, org);

rollback:
	return api_rollback(req, err);
}
