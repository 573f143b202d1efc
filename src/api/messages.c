/*
 * messages.c - GET and POST /api/v1/rfqs/{id}/messages.
 *
 * An RFQ has one private thread per supplier organization, between that
 * supplier and the buyer.  A supplier reads and writes only its own
 * thread, after accepting the RFQ's NDA where one is required; the buyer
 * reads every thread, or one with ?supplier_org_id=, and writes to the
 * thread that "supplier_org_id" names.  Row-level security keeps other
 * threads out of reach; the handlers add the thread to every statement
 * on top of it.
 */
#include "config.h"

#include <string.h>

#include <json-c/json.h>
#include <libpq-fe.h>

#include "sscn.h"
#include "api/auth_session.h"
#include "api/quotes.h"
#include "auth/token.h"
#include "api/pii_fields.h"

#define MESSAGE_BODY_MAX 10000

/*
 * The thread a buyer reads: every one ("" in "thread"), or the one of
 * ?supplier_org_id=.  SSCN_ERR_VALIDATION (sent) for a value that is no
 * UUID.
 */
static enum sscn_err
message_thread_query(struct http_request *req, char thread[37])
{
	struct json_object	*fields;
	char			 value[64];

	thread[0] = '\0';
	switch (query_get(req->query, "supplier_org_id", value,
	    sizeof(value))) {
	case QUERY_ABSENT:
		return SSCN_OK;
	case QUERY_FOUND:
		if (session_is_uuid(value)) {
			memcpy(thread, value, 37);
			return SSCN_OK;
		}
		break;
	case QUERY_INVALID:
		break;
	}
	fields = json_object_new_object();
	json_object_object_add(fields, "supplier_org_id",
	    json_object_new_string("must be an organization id"));
	return api_validation_failed(req, fields);
}

/* One message; NULL after a logged failure to decrypt the author's name. */
static struct json_object *
message_to_json(struct http_request *req, const PGresult *res, int row,
    const char *rfq_id)
{
	struct json_object *m = json_object_new_object();

	json_object_object_add(m, "id",
	    api_json_text(res, row, MESSAGE_COL_ID));
	json_object_object_add(m, "rfq_id", json_object_new_string(rfq_id));
	json_object_object_add(m, "supplier_org_id",
	    api_json_text(res, row, MESSAGE_COL_SUPPLIER_ORG_ID));
	json_object_object_add(m, "supplier_name",
	    api_json_text(res, row, MESSAGE_COL_SUPPLIER_NAME));
	json_object_object_add(m, "author_id",
	    api_json_text(res, row, MESSAGE_COL_AUTHOR_ID));
	if (api_pii_add(req, m, "author_name", PII_USERS_FULL_NAME,
	    PQgetvalue(res, row, MESSAGE_COL_AUTHOR_ID), res, row,
	    MESSAGE_COL_AUTHOR_NAME) != SSCN_OK) {
		json_object_put(m);
		return NULL;
	}
	json_object_object_add(m, "author_side",
	    api_json_text(res, row, MESSAGE_COL_AUTHOR_SIDE));
	json_object_object_add(m, "body",
	    api_json_text(res, row, MESSAGE_COL_BODY));
	json_object_object_add(m, "created_at",
	    api_json_text(res, row, MESSAGE_COL_CREATED_AT));
	return m;
}

enum sscn_err
message_list(struct http_request *req)
{
	const char		*rfq_id = req->match.params[0];
	struct paging		 paging;
	struct quote_rfq	 rfq;
	struct json_object	*items, *root;
	char			 thread[37];
	const char		*params[5];
	PGresult		*res = NULL;
	enum sscn_err		 err;
	int			 i, rows;

	if ((err = authn_require(req)) != SSCN_OK ||
	    (err = quote_paging(req, &paging)) != SSCN_OK ||
	    (err = message_thread_query(req, thread)) != SSCN_OK ||
	    (err = quote_rfq_load(req, rfq_id, true, &rfq)) != SSCN_OK)
		return err;

	/* A supplier's thread is its own, whatever the query names. */
	if (!rfq.is_buyer)
		memcpy(thread, req->org_id, sizeof(thread));

	params[0] = rfq_id;
	params[1] = thread[0] != '\0' ? thread : NULL;
	params[2] = paging.after_key[0] != '\0' ? paging.after_key : NULL;
	params[3] = paging.after_key[0] != '\0' ? paging.after_id : NULL;
	params[4] = paging.fetch;
	if ((err = api_db(req, "message_list", 5, params, &res)) != SSCN_OK)
		return err;

	items = json_object_new_array();
	rows = PQntuples(res);
	for (i = 0; i < rows && i < paging.limit; i++) {
		struct json_object *m = message_to_json(req, res, i, rfq_id);

		if (m == NULL) {
			json_object_put(items);
			PQclear(res);
			return SSCN_ERR_INTERNAL;
		}
		json_object_array_add(items, m);
	}
	root = paging_page_json(&paging, items, res, MESSAGE_COL_CURSOR_MICROS,
	    MESSAGE_COL_ID);
	PQclear(res);
	http_send_json(req, 200, root);
	json_object_put(root);
	return SSCN_OK;
}

/*
 * Validate the body: "body" always, "supplier_org_id" (the thread) from
 * the buyer only, which is decided after authentication.
 */
static enum sscn_err
message_post_begin(struct http_request *req, const char **text,
    const char **thread)
{
	static const char *const allowed[] = { "body", "supplier_org_id",
	    NULL };
	struct json_object	*fields = json_object_new_object();
	enum sscn_err		 err;

	*text = *thread = NULL;
	json_reject_unknown(req->json, allowed, fields);
	if (json_get_text(req->json, "body", true, MESSAGE_BODY_MAX, true,
	    text, fields) == SSCN_OK && strspn(*text, " \t\n") ==
	    strlen(*text))
		json_object_object_add(fields, "body", json_object_new_string(
		    "must contain text"));
	if (json_get_string(req->json, "supplier_org_id", false, 36, thread,
	    fields) == SSCN_OK && *thread != NULL &&
	    !session_is_uuid(*thread))
		json_object_object_add(fields, "supplier_org_id",
		    json_object_new_string("must be an organization id"));

	if ((err = authn_require(req)) != SSCN_OK) {
		json_object_put(fields);
		return err;
	}
	if (strcmp(req->org_kind, "buyer") == 0 && *thread == NULL &&
	    !json_object_object_get_ex(fields, "supplier_org_id", NULL))
		json_object_object_add(fields, "supplier_org_id",
		    json_object_new_string("missing"));
	else if (strcmp(req->org_kind, "buyer") != 0 && *thread != NULL)
		json_object_object_add(fields, "supplier_org_id",
		    json_object_new_string("is set by the server for a "
		    "supplier"));
	if ((err = api_validation_check(req, fields)) != SSCN_OK)
		return err;
	return authn_begin(req);
}

/* Whether the buyer may write to the thread of "thread" on "rfq_id". */
static enum sscn_err
message_thread_check(struct http_request *req, const char *rfq_id,
    const char *thread)
{
	const char	*params[2] = { rfq_id, thread };
	PGresult	*res = NULL;
	enum sscn_err	 err;
	bool		 open;

	if ((err = api_db(req, "message_thread_open", 2, params, &res)) !=
	    SSCN_OK)
		return err;
	open = PQntuples(res) == 1 && strcmp(PQgetvalue(res, 0, 0), "t") == 0;
	PQclear(res);
	return open ? SSCN_OK : SSCN_ERR_NOT_FOUND;
}

/* Insert the message, audit it and send it back; commits. */
static enum sscn_err
message_write(struct http_request *req, const char *rfq_id,
    const struct quote_rfq *rfq, const char *thread, const char *text)
{
	const char		*params[7];
	char			 id[37];
	struct json_object	*details, *m;
	PGresult		*res = NULL;
	enum sscn_err		 err;

	token_random_uuid(id);
	params[0] = id;
	params[1] = rfq_id;
	params[2] = rfq->buyer_org_id;
	params[3] = thread;
	params[4] = req->user_id;
	params[5] = req->org_id;
	params[6] = text;
	if ((err = api_db(req, "message_insert", 7, params, &res)) != SSCN_OK)
		return api_rollback(req, err);

	m = json_object_new_object();
	json_object_object_add(m, "id", json_object_new_string(id));
	json_object_object_add(m, "rfq_id", json_object_new_string(rfq_id));
	json_object_object_add(m, "supplier_org_id",
	    json_object_new_string(thread));
	json_object_object_add(m, "author_id",
	    json_object_new_string(req->user_id));
	json_object_object_add(m, "author_side", json_object_new_string(
	    rfq->is_buyer ? "buyer" : "supplier"));
	json_object_object_add(m, "body", json_object_new_string(text));
	json_object_object_add(m, "created_at", api_json_text(res, 0, 0));
	PQclear(res);

	/* The audit row names the thread, never the text. */
	details = json_object_new_object();
	json_object_object_add(details, "rfq_id",
	    json_object_new_string(rfq_id));
	json_object_object_add(details, "supplier_org_id",
	    json_object_new_string(thread));
	json_object_object_add(details, "fields",
	    json_object_new_string("body"));
	err = audit_write(req, req->user_id, req->org_id, "message.post", id,
	    "success", details);
	json_object_put(details);
	if (err != SSCN_OK) {
		json_object_put(m);
		return api_rollback(req, err);
	}
	return api_commit_send(req, 201, m);
}

enum sscn_err
message_post(struct http_request *req)
{
	const char		*rfq_id = req->match.params[0];
	const char		*text, *thread;
	struct quote_rfq	 rfq;
	enum sscn_err		 err;

	if ((err = message_post_begin(req, &text, &thread)) != SSCN_OK ||
	    (err = quote_rfq_load(req, rfq_id, true, &rfq)) != SSCN_OK)
		return err;
	if (!rfq.is_buyer)
		thread = req->org_id;
	else if ((err = message_thread_check(req, rfq_id, thread)) != SSCN_OK)
		return err;

	/* Drafts have no supplier yet; a cancelled RFQ takes no more. */
	if (strcmp(rfq.status, "draft") == 0 ||
	    strcmp(rfq.status, "cancelled") == 0)
		return SSCN_ERR_CONFLICT;
	return message_write(req, rfq_id, &rfq, thread, text);
}
