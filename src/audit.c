/*
 * audit.c - one row of the audit log per security-relevant event.
 *
 * Rows go into sscn.audit_log through the caller's open transaction, so
 * a change and its audit row commit or roll back together.  The table is
 * append-only and hash-chained by triggers (sql/0002_identity.sql); the
 * runtime role may only INSERT.  "details" must never carry a secret, a
 * password or a token: callers put ids and reasons there, nothing more.
 */
#include "config.h"

#include <string.h>

#include <json-c/json.h>
#include <libpq-fe.h>

#include "sscn.h"

/*
 * Copy a client-sent user agent with every byte outside printable ASCII
 * replaced by '?', so invalid UTF-8 cannot make the insert fail.
 */
static void
audit_clean_user_agent(const char *src, char *dst, size_t dstlen)
{
	size_t i;

	for (i = 0; src[i] != '\0' && i + 1 < dstlen; i++)
		dst[i] = (src[i] >= ' ' && src[i] < 0x7f) ? src[i] : '?';
	dst[i] = '\0';
}

void
audit_step(struct http_request *req, const char *actor_id,
    const char *organization_id, const char *action, const char *target,
    const char *result, struct json_object *details, struct audit_row *row,
    struct db_step *step)
{
	const char **params = row->params;

	params[0] = actor_id != NULL && *actor_id != '\0' ? actor_id : NULL;
	params[1] = organization_id != NULL && *organization_id != '\0' ?
	    organization_id : NULL;
	params[2] = req->remote_addr;
	params[3] = NULL;
	if (req->user_agent != NULL) {
		audit_clean_user_agent(req->user_agent, row->agent,
		    sizeof(row->agent));
		params[3] = row->agent;
	}
	params[4] = action;
	params[5] = target;
	params[6] = result;
	params[7] = req->request_id;
	params[8] = details != NULL ? json_object_to_json_string_ext(details,
	    JSON_C_TO_STRING_PLAIN) : NULL;
	*step = (struct db_step){ .name = "audit_insert",
	    .nparams = AUDIT_ROW_PARAMS, .params = params };
}

enum sscn_err
audit_write(struct http_request *req, const char *actor_id,
    const char *organization_id, const char *action, const char *target,
    const char *result, struct json_object *details)
{
	struct audit_row	 row;
	struct db_step		 step;
	PGresult		*res = NULL;
	enum sscn_err		 err;

	audit_step(req, actor_id, organization_id, action, target, result,
	    details, &row, &step);
	err = db_exec(&req->worker->db, req->request_id, step.name,
	    step.nparams, step.params, &res);
	PQclear(res);
	if (err != SSCN_OK)
		log_error(req->request_id, "audit_write_failed", "action=%s",
		    action);
	return err;
}
