/*
 * admin_audit.c - GET /api/v1/admin/audit: search the audit log.
 *
 * Filters: ?actor= (a user id), ?action= (exact), ?target= (exact),
 * ?from= and ?to= (RFC 3339; from inclusive, to exclusive).  Rows come
 * newest first.  A JSON page contains up to 100 rows and "next_cursor".
 * With ?format=csv the response is a CSV attachment of up to 10000 rows,
 * and the X-Next-Cursor header carries the cursor of the next page.  Every
 * CSV cell goes through the CSV writer, which neutralises cells that a
 * spreadsheet would run as formulas: user agents and targets come from
 * clients.  Each search is itself audited.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>
#include <libpq-fe.h>
#include <sodium.h>

#include "sscn.h"
#include "csv.h"
#include "api/auth_session.h"
#include "api/incidents.h"

#define AUDIT_JSON_LIMIT_MAX	100
#define AUDIT_CSV_LIMIT_MAX	10000
#define AUDIT_CSV_LIMIT_DEFAULT	1000
#define AUDIT_TARGET_MAX	200	/* bytes of ?target= */
#define AUDIT_ID_DIGITS_MAX	19	/* a bigint */

/* Columns of statement admin_audit_search, in order. */
static const char *const audit_columns[] = {
	"id", "occurred_at", "actor_id", "organization_id", "address",
	"user_agent", "action", "target", "result", "request_id", "details",
	NULL
};
#define AUDIT_COL_ID		0
#define AUDIT_COL_DETAILS	10

/* A parsed search: the statement's parameters and the page's shape. */
struct audit_query {
	char	actor[37];
	char	action[65];
	char	target[AUDIT_TARGET_MAX + 1];
	char	from[21];
	char	to[21];
	char	before_id[AUDIT_ID_DIGITS_MAX + 1];	/* "" first page */
	char	fetch[12];
	int	limit;
	bool	csv;
};

/* Read the RFC 3339 time "name" into "out" in UTC; "" when absent. */
static void
audit_time_param(const char *query, const char *name, char out[21],
    struct json_object *fields)
{
	char	value[64];
	time_t	t;

	out[0] = '\0';
	if (!query_param(query, name, value, sizeof(value), fields))
		return;
	if (!rfc3339_parse(value, &t)) {
		json_object_object_add(fields, name, json_object_new_string(
		    "must be an RFC 3339 time such as 2026-12-01T09:30:00Z"));
		return;
	}
	rfc3339_format(t, out);
}

/*
 * The cursor is the base64url form of the last row's id: rows are read
 * by descending id, so the next page starts below it.
 */
static void
audit_cursor_encode(const char *id, char *out, size_t outlen)
{
	sodium_bin2base64(out, outlen, (const unsigned char *)id, strlen(id),
	    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

static bool
audit_cursor_decode(const char *cursor, char out[AUDIT_ID_DIGITS_MAX + 1])
{
	size_t len = 0;

	if (sodium_base642bin((unsigned char *)out, AUDIT_ID_DIGITS_MAX,
	    cursor, strlen(cursor), NULL, &len, NULL,
	    sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0 || len == 0)
		return false;
	out[len] = '\0';
	return strspn(out, "0123456789") == len && out[0] != '0';
}

/* ?limit= from 1 to "max", "fallback" when absent. */
static void
audit_limit_param(const char *query, int max, int fallback, int *limit,
    struct json_object *fields)
{
	char	 value[8], *end;
	long	 n;

	*limit = fallback;
	if (!query_param(query, "limit", value, sizeof(value), fields))
		return;
	n = strtol(value, &end, 10);
	if (*end != '\0' || end == value || n < 1 || n > max) {
		json_object_object_add(fields, "limit", json_object_new_string(
		    max == AUDIT_CSV_LIMIT_MAX ? "must be a number from 1 to "
		    "10000" : "must be a number from 1 to 100"));
		return;
	}
	*limit = (int)n;
}

/* Parse every query parameter; problems go into "fields". */
static void
audit_query_parse(const char *query, struct audit_query *q,
    struct json_object *fields)
{
	char format[8], cursor[64];

	memset(q, 0, sizeof(*q));
	if (query_param(query, "format", format, sizeof(format), fields)) {
		if (strcmp(format, "csv") == 0)
			q->csv = true;
		else if (strcmp(format, "json") != 0)
			json_object_object_add(fields, "format",
			    json_object_new_string("must be json or csv"));
	}
	audit_limit_param(query, q->csv ? AUDIT_CSV_LIMIT_MAX :
	    AUDIT_JSON_LIMIT_MAX, q->csv ? AUDIT_CSV_LIMIT_DEFAULT :
	    PAGING_DEFAULT, &q->limit, fields);
	snprintf(q->fetch, sizeof(q->fetch), "%d", q->limit + 1);

	if (query_param(query, "actor", q->actor, sizeof(q->actor), fields) &&
	    !session_is_uuid(q->actor))
		json_object_object_add(fields, "actor",
		    json_object_new_string("must be a user id"));
	if (query_param(query, "action", q->action, sizeof(q->action),
	    fields) && (q->action[0] == '\0' ||
	    strspn(q->action, "abcdefghijklmnopqrstuvwxyz_.") !=
	    strlen(q->action)))
		json_object_object_add(fields, "action", json_object_new_string(
		    "must be an action name such as auth.login"));
	(void)query_param(query, "target", q->target, sizeof(q->target),
	    fields);
	audit_time_param(query, "from", q->from, fields);
	audit_time_param(query, "to", q->to, fields);
	if (query_param(query, "cursor", cursor, sizeof(cursor), fields) &&
	    !audit_cursor_decode(cursor, q->before_id))
		(void)paging_cursor_invalid(fields);
}

/* The details column as JSON, or null when it is NULL or not JSON. */
static struct json_object *
audit_details_json(const PGresult *res, int row)
{
	if (PQgetisnull(res, row, AUDIT_COL_DETAILS))
		return NULL;
	return json_tokener_parse(PQgetvalue(res, row, AUDIT_COL_DETAILS));
}

static void
audit_send_json(struct http_request *req, const struct audit_query *q,
    const PGresult *res, const char *next)
{
	struct json_object	*root = json_object_new_object();
	struct json_object	*items = json_object_new_array();
	int			 i;

	for (i = 0; i < PQntuples(res) && i < q->limit; i++) {
		struct json_object *row = json_object_new_object();

		api_json_columns(row, res, i, audit_columns);
		json_object_object_add(row, "details",
		    audit_details_json(res, i));
		json_object_array_add(items, row);
	}
	json_object_object_add(root, "items", items);
	json_object_object_add(root, "next_cursor", next[0] != '\0' ?
	    json_object_new_string(next) : NULL);
	http_send_json(req, 200, root);
	json_object_put(root);
}

enum sscn_err
admin_csv_send(struct http_request *req, struct csv *csv,
    const char *filename, const char *next)
{
	char	*text;
	size_t	 len;

	if ((text = csv_finish(csv, &len)) == NULL)
		return SSCN_ERR_INTERNAL;
	if (http_add_headerf(req, "Content-Disposition: attachment; "
	    "filename=\"%s\"", filename) == -1 || (next != NULL &&
	    http_add_headerf(req, "X-Next-Cursor: %s", next) == -1)) {
		free(text);
		return SSCN_ERR_INTERNAL;
	}
	http_send_bytes(req, 200, "text/csv; charset=utf-8", text, len);
	free(text);
	return SSCN_OK;
}

static enum sscn_err
audit_send_csv(struct http_request *req, const struct audit_query *q,
    const PGresult *res, const char *next)
{
	struct csv	 csv;
	int		 i, col;

	csv_init(&csv);
	for (col = 0; audit_columns[col] != NULL; col++)
		csv_cell(&csv, audit_columns[col]);
	csv_end_row(&csv);
	for (i = 0; i < PQntuples(res) && i < q->limit; i++) {
		for (col = 0; audit_columns[col] != NULL; col++)
			csv_cell(&csv, PQgetisnull(res, i, col) ? NULL :
			    PQgetvalue(res, i, col));
		csv_end_row(&csv);
	}
	return admin_csv_send(req, &csv, "sscn-audit.csv",
	    next[0] != '\0' ? next : NULL);
}

/* Audit the search itself, naming the filters used, and commit. */
static enum sscn_err
audit_record_search(struct http_request *req, const struct audit_query *q)
{
	struct json_object	*details = json_object_new_object();
	struct json_object	*filters = json_object_new_array();
	enum sscn_err		 err;

	if (q->actor[0] != '\0')
		json_object_array_add(filters, json_object_new_string("actor"));
	if (q->action[0] != '\0')
		json_object_array_add(filters, json_object_new_string("action"));
	if (q->target[0] != '\0')
		json_object_array_add(filters, json_object_new_string("target"));
	if (q->from[0] != '\0')
		json_object_array_add(filters, json_object_new_string("from"));
	if (q->to[0] != '\0')
		json_object_array_add(filters, json_object_new_string("to"));
	json_object_object_add(details, "filters", filters);
	json_object_object_add(details, "format",
	    json_object_new_string(q->csv ? "csv" : "json"));
	err = audit_write(req, req->user_id, NULL, "admin.audit_search", NULL,
	    "success", details);
	json_object_put(details);
	if (err == SSCN_OK)
		err = db_commit(&req->worker->db, req->request_id);
	return err;
}

enum sscn_err
admin_audit_list(struct http_request *req)
{
	struct json_object	*fields = json_object_new_object();
	struct audit_query	 q;
	const char		*params[7];
	char			 next[64] = "";
	PGresult		*res = NULL;
	enum sscn_err		 err;

	audit_query_parse(req->query, &q, fields);
	if ((err = incident_admin_begin(req, fields)) != SSCN_OK)
		return err;

	params[0] = q.actor[0] != '\0' ? q.actor : NULL;
	params[1] = q.action[0] != '\0' ? q.action : NULL;
	params[2] = q.target[0] != '\0' ? q.target : NULL;
	params[3] = q.from[0] != '\0' ? q.from : NULL;
	params[4] = q.to[0] != '\0' ? q.to : NULL;
	params[5] = q.before_id[0] != '\0' ? q.before_id : NULL;
	params[6] = q.fetch;
	if ((err = api_db(req, "admin_audit_search", 7, params, &res)) !=
	    SSCN_OK || (err = audit_record_search(req, &q)) != SSCN_OK) {
		PQclear(res);
		return api_rollback(req, err);
	}

	if (PQntuples(res) > q.limit)
		audit_cursor_encode(PQgetvalue(res, q.limit - 1, AUDIT_COL_ID),
		    next, sizeof(next));
	if (q.csv)
		err = audit_send_csv(req, &q, res, next);
	else
		audit_send_json(req, &q, res, next);
	PQclear(res);
	return err;
}
