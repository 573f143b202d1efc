/*
 * admin_access_review.c - GET /api/v1/admin/access-review and POST
 * /api/v1/admin/access-review/sign-off: the periodic review of who has
 * access, and the reviewer's record that the review was done.
 *
 * The review lists every account that is not purged, by id, with its
 * platform role, organization roles, MFA, last login and whether it is
 * dormant.  An account is dormant after access_review_dormant_days
 * without a login, counted from its creation if it never logged in.  A
 * JSON page contains up to
 * 100 accounts and "next_cursor"; with ?format=csv the response is a CSV
 * attachment of up to 10000 accounts, and the X-Next-Cursor header
 * carries the cursor of the next part.  Names come from users and
 * organizations, so every CSV cell goes through the CSV writer, which
 * neutralises formulas.
 *
 * Each read writes an audit row "admin.access_review" with the number of
 * accounts and dormant accounts it returned, in the transaction of the
 * read, so the audit log records who exported the review and when.  A
 * sign-off writes "admin.access_review_sign_off" with the reviewer's
 * note and the counts over all accounts; "sscnctl evidence" reports the
 * newest one.
 */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>
#include <json-c/printbuf.h>
#include <libpq-fe.h>

#include "sscn.h"
#include "csv.h"
#include "api/auth_session.h"
#include "api/incidents.h"
#include "api/pii_fields.h"

#define REVIEW_JSON_LIMIT_MAX	PAGING_MAX
#define REVIEW_CSV_LIMIT_MAX	10000
#define REVIEW_NOTE_MAX		2000	/* characters */

/* Columns of statement admin_access_review, in order. */
enum review_column {
	REVIEW_COL_ID,
	REVIEW_COL_EMAIL,
	REVIEW_COL_FULL_NAME,
	REVIEW_COL_IS_ADMIN,
	REVIEW_COL_MFA,
	REVIEW_COL_LAST_LOGIN,
	REVIEW_COL_CREATED,
	REVIEW_COL_LOCKED,
	REVIEW_COL_DELETION,
	REVIEW_COL_DORMANT,
	REVIEW_COL_MEMBERSHIPS
};

/* A parsed review request. */
struct review_query {
	char	after_id[37];	/* "" for the first page */
	char	fetch[12];	/* limit + 1 */
	int	limit;
	bool	csv;
};

/* The header row of the CSV export; review_csv_row() follows its order. */
static const char *const review_csv_columns[] = {
	"id", "email", "full_name", "is_admin", "organizations", "mfa_enabled",
	"last_login_at", "created_at", "locked", "deletion_scheduled_for",
	"dormant", NULL
};

/* Parse ?format=, ?limit= and ?cursor=; problems go into "fields". */
static void
review_query_parse(const char *query, struct review_query *q,
    struct json_object *fields)
{
	char	 value[64], *end;
	long	 n;
	int	 max;

	memset(q, 0, sizeof(*q));
	if (query_param(query, "format", value, sizeof(value), fields)) {
		if (strcmp(value, "csv") == 0)
			q->csv = true;
		else if (strcmp(value, "json") != 0)
			json_object_object_add(fields, "format",
			    json_object_new_string("must be json or csv"));
	}

	max = q->csv ? REVIEW_CSV_LIMIT_MAX : REVIEW_JSON_LIMIT_MAX;
	q->limit = q->csv ? REVIEW_CSV_LIMIT_MAX : PAGING_DEFAULT;
	if (query_param(query, "limit", value, sizeof(value), fields)) {
		n = strtol(value, &end, 10);
		if (*end != '\0' || end == value || n < 1 || n > max)
			json_object_object_add(fields, "limit",
			    json_object_new_string(q->csv ? "must be a number "
			    "from 1 to 10000" : "must be a number from 1 to 100"));
		else
			q->limit = (int)n;
	}
	snprintf(q->fetch, sizeof(q->fetch), "%d", q->limit + 1);

	if (query_param(query, "cursor", q->after_id, sizeof(q->after_id),
	    fields) && !session_is_uuid(q->after_id)) {
		q->after_id[0] = '\0';
		(void)paging_cursor_invalid(fields);
	}
}

/* access_review_dormant_days as a statement parameter. */
static const char *
review_dormant_days(struct http_request *req, char days[12])
{
	snprintf(days, 12, "%u", req->worker->conf->access_review_dormant_days);
	return days;
}

static struct json_object *
review_bool(const PGresult *res, int row, int col)
{
	return json_object_new_boolean(strcmp(PQgetvalue(res, row, col),
	    "t") == 0);
}

/* Row "row" of "res" as a review entry, e-mail and name decrypted. */
static enum sscn_err
review_entry(struct http_request *req, const PGresult *res, int row,
    struct json_object **entry)
{
	struct json_object	*e = json_object_new_object();
	struct json_object	*memberships;
	const char		*id = PQgetvalue(res, row, REVIEW_COL_ID);
	enum sscn_err		 err;

	*entry = NULL;
	json_object_object_add(e, "id", json_object_new_string(id));
	if ((err = api_pii_add(req, e, "email", PII_USERS_EMAIL, id, res, row,
	    REVIEW_COL_EMAIL)) != SSCN_OK ||
	    (err = api_pii_add(req, e, "full_name", PII_USERS_FULL_NAME, id,
	    res, row, REVIEW_COL_FULL_NAME)) != SSCN_OK) {
		json_object_put(e);
		return err;
	}

	memberships = json_tokener_parse(PQgetvalue(res, row,
	    REVIEW_COL_MEMBERSHIPS));
	if (!json_object_is_type(memberships, json_type_array)) {
		log_error(req->request_id, "access_review_failed", "user_id=%s "
		    "reason=\"the memberships are not a JSON array\"", id);
		json_object_put(memberships);
		json_object_put(e);
		return SSCN_ERR_INTERNAL;
	}

	json_object_object_add(e, "is_admin", review_bool(res, row,
	    REVIEW_COL_IS_ADMIN));
	json_object_object_add(e, "organizations", memberships);
	json_object_object_add(e, "mfa_enabled", review_bool(res, row,
	    REVIEW_COL_MFA));
	json_object_object_add(e, "last_login_at", api_json_text(res, row,
	    REVIEW_COL_LAST_LOGIN));
	json_object_object_add(e, "created_at", api_json_text(res, row,
	    REVIEW_COL_CREATED));
	json_object_object_add(e, "locked", review_bool(res, row,
	    REVIEW_COL_LOCKED));
	json_object_object_add(e, "deletion_scheduled_for", api_json_text(res,
	    row, REVIEW_COL_DELETION));
	json_object_object_add(e, "dormant", review_bool(res, row,
	    REVIEW_COL_DORMANT));
	*entry = e;
	return SSCN_OK;
}

/* Member "name" of "obj" as text for a CSV cell; NULL for JSON null. */
static const char *
review_text(struct json_object *obj, const char *name)
{
	struct json_object *value = json_object_object_get(obj, name);

	return value != NULL ? json_object_get_string(value) : NULL;
}

/*
 * The organizations cell: "NAME (KIND): ROLE" per membership, separated
 * by "; ".  Returns NULL when memory ran out.
 */
static char *
review_organizations_cell(struct json_object *memberships)
{
	struct printbuf	*buf = printbuf_new();
	char		*cell;
	size_t		 i;

	if (buf == NULL)
		return NULL;
	for (i = 0; i < json_object_array_length(memberships); i++) {
		struct json_object *m = json_object_array_get_idx(memberships, i);

		sprintbuf(buf, "%s%s (%s): %s", i > 0 ? "; " : "",
		    review_text(m, "organization_name"),
		    review_text(m, "organization_kind"), review_text(m, "role"));
	}
	cell = strdup(buf->buf != NULL ? buf->buf : "");
	printbuf_free(buf);
	return cell;
}

/* Append the review entry "e" as one CSV row. */
static bool
review_csv_row(struct csv *csv, struct json_object *e)
{
	char *organizations;

	organizations = review_organizations_cell(json_object_object_get(e,
	    "organizations"));
	if (organizations == NULL)
		return false;
	csv_cell(csv, review_text(e, "id"));
	csv_cell(csv, review_text(e, "email"));
	csv_cell(csv, review_text(e, "full_name"));
	csv_cell(csv, review_text(e, "is_admin"));
	csv_cell(csv, organizations);
	csv_cell(csv, review_text(e, "mfa_enabled"));
	csv_cell(csv, review_text(e, "last_login_at"));
	csv_cell(csv, review_text(e, "created_at"));
	csv_cell(csv, review_text(e, "locked"));
	csv_cell(csv, review_text(e, "deletion_scheduled_for"));
	csv_cell(csv, review_text(e, "dormant"));
	csv_end_row(csv);
	free(organizations);
	return true;
}

static enum sscn_err
review_send_csv(struct http_request *req, struct json_object *items,
    const char *next)
{
	struct csv	 csv;
	size_t		 i;
	int		 col;

	csv_init(&csv);
	for (col = 0; review_csv_columns[col] != NULL; col++)
		csv_cell(&csv, review_csv_columns[col]);
	csv_end_row(&csv);
	for (i = 0; i < json_object_array_length(items); i++)
		if (!review_csv_row(&csv, json_object_array_get_idx(items, i))) {
			csv_free(&csv);
			return SSCN_ERR_INTERNAL;
		}
	return admin_csv_send(req, &csv, "sscn-access-review.csv", next);
}

/*
 * Build the entries of "res" (at most "limit") into "*items" and count
 * the dormant ones.
 */
static enum sscn_err
review_entries(struct http_request *req, const PGresult *res, int limit,
    struct json_object **items, int *dormant)
{
	struct json_object	*entry;
	enum sscn_err		 err;
	int			 i;

	*items = json_object_new_array();
	*dormant = 0;
	for (i = 0; i < PQntuples(res) && i < limit; i++) {
		if ((err = review_entry(req, res, i, &entry)) != SSCN_OK) {
			json_object_put(*items);
			*items = NULL;
			return err;
		}
		if (json_object_get_boolean(json_object_object_get(entry,
		    "dormant")))
			(*dormant)++;
		json_object_array_add(*items, entry);
	}
	return SSCN_OK;
}

/* Audit a read of the review with what it returned, and commit. */
static enum sscn_err
review_record_export(struct http_request *req, const struct review_query *q,
    size_t count, int dormant)
{
	struct json_object	*details = json_object_new_object();
	enum sscn_err		 err;

	json_object_object_add(details, "format",
	    json_object_new_string(q->csv ? "csv" : "json"));
	json_object_object_add(details, "count",
	    json_object_new_int64((int64_t)count));
	json_object_object_add(details, "dormant",
	    json_object_new_int(dormant));
	json_object_object_add(details, "dormant_days", json_object_new_int64(
	    req->worker->conf->access_review_dormant_days));
	json_object_object_add(details, "first_page",
	    json_object_new_boolean(q->after_id[0] == '\0'));
	err = audit_write(req, req->user_id, NULL, "admin.access_review", NULL,
	    "success", details);
	json_object_put(details);
	if (err == SSCN_OK)
		err = db_commit(&req->worker->db, req->request_id);
	return err;
}

enum sscn_err
admin_access_review(struct http_request *req)
{
	struct json_object	*fields = json_object_new_object();
	struct json_object	*items = NULL, *root;
	struct review_query	 q;
	const char		*params[3], *next = NULL;
	char			 days[12];
	PGresult		*res = NULL;
	enum sscn_err		 err;
	int			 dormant;

	review_query_parse(req->query, &q, fields);
	if ((err = incident_admin_begin(req, fields)) != SSCN_OK)
		return err;

	params[0] = q.after_id[0] != '\0' ? q.after_id : NULL;
	params[1] = q.fetch;
	params[2] = review_dormant_days(req, days);
	if ((err = api_db(req, "admin_access_review", 3, params, &res)) !=
	    SSCN_OK || (err = review_entries(req, res, q.limit, &items,
	    &dormant)) != SSCN_OK || (err = review_record_export(req, &q,
	    json_object_array_length(items), dormant)) != SSCN_OK) {
		json_object_put(items);
		PQclear(res);
		return api_rollback(req, err);
	}

	if (PQntuples(res) > q.limit)
		next = PQgetvalue(res, q.limit - 1, REVIEW_COL_ID);
	if (q.csv) {
		err = review_send_csv(req, items, next);
		json_object_put(items);
	} else {
		root = json_object_new_object();
		json_object_object_add(root, "items", items);
		json_object_object_add(root, "next_cursor", next != NULL ?
		    json_object_new_string(next) : NULL);
		json_object_object_add(root, "dormant_days",
		    json_object_new_int64(
		    req->worker->conf->access_review_dormant_days));
		http_send_json(req, 200, root);
		json_object_put(root);
	}
	PQclear(res);
	return err;
}

/* Whether "s" has a character other than white space. */
static bool
review_has_text(const char *s)
{
	for (; *s != '\0'; s++)
		if (!isspace((unsigned char)*s))
			return true;
	return false;
}

enum sscn_err
admin_access_review_sign_off(struct http_request *req)
{
	static const char *const allowed[] = { "note", NULL };
	struct json_object	*fields = json_object_new_object();
	struct json_object	*details, *body;
	const char		*note = NULL, *params[1];
	char			 days[12];
	PGresult		*res = NULL;
	enum sscn_err		 err;

	json_reject_unknown(req->json, allowed, fields);
	if (json_get_text(req->json, "note", true, REVIEW_NOTE_MAX, true,
	    &note, fields) == SSCN_OK && !review_has_text(note))
		json_object_object_add(fields, "note", json_object_new_string(
		    "must contain 1 to 2000 characters, not only white space"));
	if ((err = incident_admin_begin(req, fields)) != SSCN_OK)
		return err;

	params[0] = review_dormant_days(req, days);
	if ((err = api_db(req, "admin_access_review_counts", 1, params,
	    &res)) != SSCN_OK)
		return api_rollback(req, err);

	details = json_object_new_object();
	json_object_object_add(details, "note", json_object_new_string(note));
	json_object_object_add(details, "accounts",
	    json_object_new_int64(atoll(PQgetvalue(res, 0, 0))));
	json_object_object_add(details, "dormant",
	    json_object_new_int64(atoll(PQgetvalue(res, 0, 1))));
	json_object_object_add(details, "dormant_days", json_object_new_int64(
	    req->worker->conf->access_review_dormant_days));
	err = audit_write(req, req->user_id, NULL,
	    "admin.access_review_sign_off", NULL, "success", details);
	if (err != SSCN_OK) {
		json_object_put(details);
		PQclear(res);
		return api_rollback(req, err);
	}

	/* The response repeats the audit row's details with who and when. */
	body = details;
	json_object_object_add(body, "reviewer_id",
	    json_object_new_string(req->user_id));
	json_object_object_add(body, "signed_off_at",
	    json_object_new_string(PQgetvalue(res, 0, 2)));
	PQclear(res);
	return api_commit_send(req, 201, body);
}
