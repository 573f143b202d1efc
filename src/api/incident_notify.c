/*
 * incident_notify.c - POST /api/v1/admin/incidents/{id}/notify: queue the
 * notice of GDPR Article 34 to the users an incident affects.
 *
 * The request names the affected users by id ("user_ids"), or names
 * organizations whose every member is affected ("organization_ids"), or
 * both.  It carries a plain-language description of what happened
 * ("message") and of what the users can do ("advice").  The mail adds the
 * incident's data categories, likely consequences, measures and contact
 * point, which Article 34(2) requires, so those must be recorded first.
 * The title and headings are those that California Civil Code 1798.82(d)
 * prescribes for a "Notice of Data Breach", so one mail serves both laws.
 * Each user gets one notice per incident: users notified before are
 * counted and skipped.  The mails, the record of who was notified and
 * the audit row commit together.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>
#include <libpq-fe.h>

#include "sscn.h"
#include "mail_templates.h"
#include "api/auth_session.h"
#include "api/incidents.h"
#include "api/pii_fields.h"

#define NOTIFY_USERS_MAX	1000	/* ids in "user_ids" */
#define NOTIFY_ORGS_MAX		100	/* ids in "organization_ids" */
#define NOTIFY_MESSAGE_MAX	5000	/* characters */
/* A PostgreSQL array literal of up to NOTIFY_USERS_MAX UUIDs. */
#define NOTIFY_ARRAY_MAX	(NOTIFY_USERS_MAX * 37 + 3)

/*
 * Read the array of UUIDs "name" of "body" (absent: empty) into the
 * PostgreSQL array literal "out".  Returns the number of ids, or -1 after
 * adding the problem to "fields".
 */
static int
notify_id_array(struct json_object *body, const char *name, size_t max,
    char *out, size_t outlen, struct json_object *fields)
{
	struct json_object	*value;
	size_t			 i, n, used = 1;

	strcpy(out, "{");
	if (!json_object_object_get_ex(body, name, &value) || value == NULL) {
		strcpy(out, "{}");
		return 0;
	}
	if (!json_object_is_type(value, json_type_array) ||
	    (n = json_object_array_length(value)) > max)
		goto invalid;
	for (i = 0; i < n; i++) {
		struct json_object *item = json_object_array_get_idx(value, i);
		const char *id = json_object_get_string(item);

		if (!json_object_is_type(item, json_type_string) ||
		    !session_is_uuid(id) || used + 38 >= outlen)
			goto invalid;
		used += (size_t)snprintf(out + used, outlen - used, "%s%s",
		    i > 0 ? "," : "", id);
	}
	snprintf(out + used, outlen - used, "}");
	return (int)n;

invalid:
	json_object_object_add(fields, name, json_object_new_string(max ==
	    NOTIFY_USERS_MAX ? "must be an array of at most 1000 user ids" :
	    "must be an array of at most 100 organization ids"));
	return -1;
}

/*
 * Copy the decrypted address of user "user_id" into "out", or "" when the
 * account has none because it was deleted and purged.
 */
static enum sscn_err
incident_user_address(struct http_request *req, const char *user_id,
    char *out, size_t outlen)
{
	const char	*params[1] = { user_id };
	PGresult	*res = NULL;
	enum sscn_err	 err;
	char		*address = NULL;

	if ((err = api_db(req, "incident_user_address", 1, params, &res)) !=
	    SSCN_OK)
		return err;
	if (PQntuples(res) != 1) {
		PQclear(res);
		log_error(req->request_id, "incident_address_failed",
		    "user_id=%s reason=\"account not found\"", user_id);
		return SSCN_ERR_INTERNAL;
	}
	err = api_pii_open(req, PII_USERS_EMAIL, user_id, res, 0, 0, &address);
	PQclear(res);
	if (err != SSCN_OK)
		return err;
	if (address == NULL) {
		out[0] = '\0';
		return SSCN_OK;
	}
	if (strlen(address) >= outlen) {
		log_error(req->request_id, "incident_address_failed", "user_id=%s "
		    "reason=\"no address of at most %zu bytes\"", user_id,
		    outlen - 1);
		pii_free(address);
		return SSCN_ERR_INTERNAL;
	}
	memcpy(out, address, strlen(address) + 1);
	pii_free(address);
	return SSCN_OK;
}

/* The text of field "name" of "incident", or "" when null. */
static const char *
notify_text(struct json_object *incident, const char *name)
{
	struct json_object *value = json_object_object_get(incident, name);

	return value != NULL ? json_object_get_string(value) : "";
}

/*
 * The data categories of "incident" as "- item" lines for the notice, in
 * a new buffer (caller frees), or NULL when out of memory.
 */
static char *
notify_categories(struct json_object *incident)
{
	struct json_object	*categories = json_object_object_get(incident,
	    "data_categories");
	char			*list = NULL;
	size_t			 len = 0, i;
	FILE			*f = open_memstream(&list, &len);

	if (f == NULL)
		return NULL;
	for (i = 0; i < json_object_array_length(categories); i++)
		fprintf(f, "- %s\n", json_object_get_string(
		    json_object_array_get_idx(categories, i)));
	if (json_object_array_length(categories) == 0)
		fprintf(f, "We are still establishing which information was "
		    "involved.\n");
	if (fclose(f) != 0) {
		free(list);
		return NULL;
	}
	return list;
}

/*
 * Render the notice, the same for every recipient, into "*subject" and
 * "*body"; free both with mail_text_free().
 */
static enum sscn_err
notify_render(struct http_request *req, struct json_object *incident,
    const char *message, const char *advice, char **subject, char **body)
{
	char			*categories = notify_categories(incident);
	char			 reason[160];
	const struct mail_value	 values[] = {
		{ "what_happened", message },
		{ "data_categories", categories },
		{ "consequences", notify_text(incident, "consequences") },
		{ "measures", notify_text(incident, "measures") },
		{ "advice", advice },
		{ "contact_point", notify_text(incident, "contact_point") },
		{ NULL, NULL }
	};
	enum sscn_err		 err;

	*subject = *body = NULL;
	if (categories == NULL)
		return SSCN_ERR_INTERNAL;
	err = mail_template_render("incident_notice", values, subject, body,
	    reason, sizeof(reason));
	if (err != SSCN_OK)
		log_error(req->request_id, "mail_template_failed",
		    "template=incident_notice reason=\"%s\"", reason);
	free(categories);
	return err;
}

/*
 * The fields Article 34(2) requires in the notice must be on the
 * incident; each missing one goes into "fields".
 */
static enum sscn_err
notify_check_incident(struct json_object *incident, struct json_object *fields)
{
	static const char *const required[] = {
		"consequences", "measures", "contact_point", NULL
	};
	enum sscn_err	err = SSCN_OK;
	size_t		i;

	for (i = 0; required[i] != NULL; i++) {
		if (*notify_text(incident, required[i]) != '\0')
			continue;
		json_object_object_add(fields, required[i],
		    json_object_new_string("must be set on the incident before "
		    "its users are notified"));
		err = SSCN_ERR_VALIDATION;
	}
	return err;
}

/* Reject ids that name no user or organization, as field problems. */
static enum sscn_err
notify_check_targets(struct http_request *req, const char *const ids[2],
    struct json_object *fields)
{
	PGresult	*res = NULL;
	enum sscn_err	 err;
	int		 i;

	if ((err = api_db(req, "incident_unknown_targets", 2, ids, &res)) !=
	    SSCN_OK)
		return err;
	for (i = 0; i < PQntuples(res); i++) {
		const char	*field = strcmp(PQgetvalue(res, i, 0), "user") == 0 ?
		    "user_ids" : "organization_ids";
		char		 problem[80];

		snprintf(problem, sizeof(problem), "%s is not known",
		    PQgetvalue(res, i, 1));
		if (!json_object_object_get_ex(fields, field, NULL))
			json_object_object_add(fields, field,
			    json_object_new_string(problem));
		err = SSCN_ERR_VALIDATION;
	}
	PQclear(res);
	return err;
}

/*
 * Record the affected users of "incident_id" and queue a notice to each
 * one not notified before.  Sets "*affected" to the users the request
 * names, "*queued" to the notices queued and "*no_address" to the new
 * subjects without an address (purged accounts), who get none.
 */
static enum sscn_err
notify_queue(struct http_request *req, const char *incident_id,
    const char *const ids[2], const char *subject, const char *body,
    long long *affected, int *queued, int *no_address)
{
	const char	*params[3] = { incident_id, ids[0], ids[1] };
	char		 address[256];
	PGresult	*res = NULL;
	enum sscn_err	 err;
	int		 i;

	*queued = 0;
	*no_address = 0;
	if ((err = api_db(req, "incident_subjects_add", 3, params, &res)) !=
	    SSCN_OK)
		return err;
	/* Row 0 carries only the count; the others are new subjects. */
	*affected = strtoll(PQgetvalue(res, 0, 1), NULL, 10);
	for (i = 1; err == SSCN_OK && i < PQntuples(res); i++) {
		err = incident_user_address(req, PQgetvalue(res, i, 0), address,
		    sizeof(address));
		if (err != SSCN_OK)
			break;
		if (address[0] == '\0') {
			(*no_address)++;
			continue;
		}
		err = outbox_queue(req, address, subject, body,
		    "incident_notice");
		if (err == SSCN_OK)
			(*queued)++;
	}
	PQclear(res);
	return err;
}

/*
 * The response body: the users the request named, notified now and
 * before, and those without an address.
 */
static struct json_object *
notify_result(const char *incident_id, long long affected, int queued,
    int no_address)
{
	struct json_object *root = json_object_new_object();

	json_object_object_add(root, "incident_id",
	    json_object_new_string(incident_id));
	json_object_object_add(root, "affected_users",
	    json_object_new_int64(affected));
	json_object_object_add(root, "queued", json_object_new_int(queued));
	json_object_object_add(root, "no_address",
	    json_object_new_int(no_address));
	json_object_object_add(root, "already_notified",
	    json_object_new_int64(affected - queued - no_address));
	return root;
}

enum sscn_err
incident_notify(struct http_request *req)
{
	static const char *const allowed[] = {
		"user_ids", "organization_ids", "message", "advice", NULL
	};
	const char		*id = req->match.params[0];
	struct json_object	*fields = json_object_new_object();
	struct json_object	*incident = NULL, *details;
	char			 users[NOTIFY_ARRAY_MAX];
	char			 orgs[NOTIFY_ORGS_MAX * 37 + 3];
	const char		*ids[2] = { users, orgs };
	const char		*message = NULL, *advice = NULL;
	char			*subject = NULL, *body = NULL;
	long long		 affected = 0;
	int			 nusers, norgs, queued = 0, no_address = 0;
	enum sscn_err		 err;

	(void)json_reject_unknown(req->json, allowed, fields);
	nusers = notify_id_array(req->json, "user_ids", NOTIFY_USERS_MAX, users,
	    sizeof(users), fields);
	norgs = notify_id_array(req->json, "organization_ids", NOTIFY_ORGS_MAX,
	    orgs, sizeof(orgs), fields);
	if (nusers == 0 && norgs == 0)
		json_object_object_add(fields, "user_ids", json_object_new_string(
		    "name at least one user or organization"));
	err = json_get_text(req->json, "message", true, NOTIFY_MESSAGE_MAX,
	    true, &message, fields);
	if (err == SSCN_OK && *message == '\0')
		json_object_object_add(fields, "message",
		    json_object_new_string("must not be empty"));
	err = json_get_text(req->json, "advice", true, NOTIFY_MESSAGE_MAX,
	    true, &advice, fields);
	if (err == SSCN_OK && *advice == '\0')
		json_object_object_add(fields, "advice",
		    json_object_new_string("must not be empty"));
	if ((err = incident_admin_begin(req, fields)) != SSCN_OK)
		return err;
	if (!session_is_uuid(id))
		return SSCN_ERR_NOT_FOUND;

	/* Lock the incident: concurrent notices then queue one after another. */
	if ((err = incident_read(req, "incident_get_for_update", id,
	    &incident)) != SSCN_OK)
		return api_rollback(req, err);

	fields = json_object_new_object();
	if (notify_check_incident(incident, fields) != SSCN_OK ||
	    (err = notify_check_targets(req, ids, fields)) != SSCN_OK) {
		json_object_put(incident);
		if (err != SSCN_OK && err != SSCN_ERR_VALIDATION) {
			json_object_put(fields);
			return api_rollback(req, err);
		}
		db_rollback(&req->worker->db, req->request_id);
		return api_validation_failed(req, fields);
	}
	json_object_put(fields);

	err = notify_render(req, incident, message, advice, &subject, &body);
	json_object_put(incident);
	if (err != SSCN_OK)
		return api_rollback(req, err);
	err = notify_queue(req, id, ids, subject, body, &affected, &queued,
	    &no_address);
	mail_text_free(subject);
	mail_text_free(body);
	if (err == SSCN_OK && queued > 0)
		err = api_db(req, "incident_subjects_notified", 1, &id, NULL);
	if (err != SSCN_OK)
		return api_rollback(req, err);

	details = json_object_new_object();
	json_object_object_add(details, "queued", json_object_new_int(queued));
	json_object_object_add(details, "no_address",
	    json_object_new_int(no_address));
	json_object_object_add(details, "already_notified",
	    json_object_new_int64(affected - queued - no_address));
	err = audit_write(req, req->user_id, NULL, "incident.notify", id,
	    "success", details);
	json_object_put(details);
	if (err != SSCN_OK)
		return api_rollback(req, err);
	return api_commit_send(req, 200, notify_result(id, affected, queued,
	    no_address));
}
