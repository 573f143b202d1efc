/*
 * quotes.c - POST and GET /api/v1/rfqs/{id}/quotes and GET
 * /api/v1/quotes/{id}.
 *
 * A supplier organization quotes once per RFQ, while the RFQ is published
 * and its deadline has not passed, and after accepting the RFQ's NDA
 * where one is required.  Which quotes a caller reads is row-level
 * security's decision: a supplier only ever its own, the buyer those of
 * its RFQ, of a sealed RFQ only once it has closed.  Changes to a quote
 * after it is made live in quote_changes.c and quote_award.c.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>
#include <libpq-fe.h>

#include "sscn.h"
#include "api/auth_session.h"
#include "api/quotes.h"
#include "auth/token.h"

/*
 * Validate the body, then authenticate: a caller without a session gets
 * 401 whatever the body, an authenticated one the body's problems.  The
 * RFQ is read in the round trip of the session check.
 */
static enum sscn_err
quote_submit_begin(struct http_request *req, const char *rfq_id,
    struct quote_terms *terms, struct quote_rfq *rfq)
{
	static const char *const allowed[] = { "unit_price", "currency",
	    "lead_time_days", "valid_until", "notes", NULL };
	struct json_object	*fields = json_object_new_object();
	const char		*params[1] = { rfq_id };
	struct db_step		 access = { .name = "quote_rfq_access",
				    .nparams = 1, .params = params };
	enum sscn_err		 err;

	json_reject_unknown(req->json, allowed, fields);
	err = quote_terms_parse(req, req->json, true, terms, fields);
	if (err != SSCN_OK && err != SSCN_ERR_VALIDATION) {
		json_object_put(fields);
		return err;
	}
	if (!session_is_uuid(rfq_id)) {
		if ((err = authn_require_valid(req, fields)) != SSCN_OK)
			return err;
		return SSCN_ERR_NOT_FOUND;
	}

	if ((err = authn_require_with(req, &access, 1)) != SSCN_OK) {
		json_object_put(fields);
		return err;
	}
	if ((err = api_validation_check(req, fields)) == SSCN_OK)
		err = quote_rfq_take(req, access.res, true, rfq);
	PQclear(access.res);
	return err;
}

/*
 * Write the quote, its first revision, the invitation response and the
 * audit row and commit, all in one round trip; quote_submit returns the
 * quote as quote_select reads it.  The audit row goes last: its insert
 * takes the lock that orders the audit chain, which COMMIT releases.  A
 * second quote of the organization on the RFQ fails the insert with a
 * unique violation: SSCN_ERR_CONFLICT.  On SSCN_OK "*res" contains the
 * quote.
 */
static enum sscn_err
quote_submit_write(struct http_request *req, const char *quote_id,
    const char *rfq_id, const struct quote_rfq *rfq,
    const struct quote_terms *terms, PGresult **res)
{
	static const char *const terms_fields[] = { "unit_price",
	    "currency", "lead_time_days", "valid_until", "notes", NULL };
	enum { SUBMIT, AUDIT, COMMIT, NSTEPS };
	const char		*params[10];
	struct db_step		 steps[NSTEPS];
	struct audit_row	 row;
	struct json_object	*details;
	char			 days[12];
	enum sscn_err		 err;
	size_t			 i;

	snprintf(days, sizeof(days), "%lld", terms->lead_time_days);
	params[0] = quote_id;
	params[1] = rfq_id;
	params[2] = rfq->buyer_org_id;
	params[3] = req->org_id;
	params[4] = terms->unit_price;
	params[5] = terms->currency;
	params[6] = days;
	params[7] = terms->valid_until;
	params[8] = terms->notes != NULL ? terms->notes : "";
	params[9] = req->user_id;
	steps[SUBMIT] = (struct db_step){ .name = "quote_submit",
	    .nparams = 10, .params = params };

	details = quote_audit_details("rfq_id", rfq_id, terms_fields);
	audit_step(req, req->user_id, req->org_id, "quote.submit", quote_id,
	    "success", details, &row, &steps[AUDIT]);
	steps[COMMIT] = (struct db_step){ .name = DB_STEP_COMMIT };

	err = db_pipeline(&req->worker->db, req->request_id, steps, NSTEPS);
	json_object_put(details);
	if (err != SSCN_OK) {
		if (err != SSCN_ERR_CONFLICT)
			log_error(req->request_id, "quote_submit_failed",
			    "rfq_id=%s error=%s", rfq_id, err_code(err));
		return err;
	}

	*res = steps[SUBMIT].res;
	steps[SUBMIT].res = NULL;
	for (i = 0; i < NSTEPS; i++)
		PQclear(steps[i].res);
	if (PQntuples(*res) != 1) {
		PQclear(*res);
		*res = NULL;
		return SSCN_ERR_INTERNAL;
	}
	return SSCN_OK;
}

enum sscn_err
quote_read(struct http_request *req, const char *id, PGresult **res)
{
	const char	*params[1] = { id };
	enum sscn_err	 err;

	*res = NULL;
	if ((err = api_db(req, "quote_select", 1, params, res)) != SSCN_OK)
		return err;
	if (PQntuples(*res) != 1) {
		PQclear(*res);
		*res = NULL;
		return SSCN_ERR_NOT_FOUND;
	}
	return SSCN_OK;
}

enum sscn_err
quote_submit(struct http_request *req)
{
	const char		*rfq_id = req->match.params[0];
	struct quote_terms	 terms;
	struct quote_rfq	 rfq;
	struct json_object	*fields, *body;
	char			 quote_id[37];
	PGresult		*res = NULL;
	enum sscn_err		 err;

	if ((err = quote_submit_begin(req, rfq_id, &terms, &rfq)) != SSCN_OK)
		return err;
	if (!rfq.is_supplier)
		return SSCN_ERR_FORBIDDEN;
	if (strcmp(rfq.status, "published") != 0)
		return SSCN_ERR_CONFLICT;
	if (strcmp(terms.currency, rfq.currency) != 0) {
		char problem[64];

		fields = json_object_new_object();
		snprintf(problem, sizeof(problem),
		    "must be the RFQ's currency, %s", rfq.currency);
		json_object_object_add(fields, "currency",
		    json_object_new_string(problem));
		return api_validation_failed(req, fields);
	}

	token_random_uuid(quote_id);
	if ((err = quote_submit_write(req, quote_id, rfq_id, &rfq, &terms,
	    &res)) != SSCN_OK)
		return api_rollback(req, err);
	body = quote_to_json(res, 0);
	PQclear(res);
	http_add_headerf(req, "Location: /api/v1/quotes/%s", quote_id);
	http_send_json(req, 201, body);
	json_object_put(body);
	return SSCN_OK;
}

enum sscn_err
quote_paging(struct http_request *req, struct paging *paging)
{
	struct json_object *fields = json_object_new_object();

	(void)paging_parse_keyed(req->query, paging, fields);
	return api_validation_check(req, fields);
}

enum sscn_err
quote_list(struct http_request *req)
{
	struct paging		 paging;
	struct quote_rfq	 rfq;
	struct json_object	*items, *root;
	const char		*params[5];
	PGresult		*res = NULL;
	enum sscn_err		 err;
	int			 i, rows;

	if ((err = authn_require(req)) != SSCN_OK)
		return err;
	if ((err = quote_paging(req, &paging)) != SSCN_OK)
		return err;
	if ((err = quote_rfq_load(req, req->match.params[0], true, &rfq)) !=
	    SSCN_OK)
		return err;

	params[0] = req->match.params[0];
	params[1] = paging.after_key[0] != '\0' ? paging.after_key : NULL;
	params[2] = paging.after_key[0] != '\0' ? paging.after_id : NULL;
	params[3] = paging.fetch;
	params[4] = rfq.is_buyer ? NULL : req->org_id;
	if ((err = api_db(req, "quote_list", 5, params, &res)) != SSCN_OK)
		return err;

	items = json_object_new_array();
	rows = PQntuples(res);
	for (i = 0; i < rows && i < paging.limit; i++)
		json_object_array_add(items, quote_to_json(res, i));
	root = paging_page_json(&paging, items, res, QUOTE_COL_CURSOR_MICROS,
	    QUOTE_COL_ID);
	PQclear(res);
	http_send_json(req, 200, root);
	json_object_put(root);
	return SSCN_OK;
}

/* The revision history of quote "id", oldest first. */
static enum sscn_err
quote_revisions_json(struct http_request *req, const char *id,
    struct json_object **out)
{
	const char	*params[1] = { id };
	PGresult	*res = NULL;
	enum sscn_err	 err;
	int		 i;

	if ((err = api_db(req, "quote_revisions", 1, params, &res)) != SSCN_OK)
		return err;
	*out = json_object_new_array();
	for (i = 0; i < PQntuples(res); i++) {
		struct json_object *r = json_object_new_object();

		json_object_object_add(r, "revision", json_object_new_int(
		    atoi(PQgetvalue(res, i, 0))));
		json_object_object_add(r, "unit_price",
		    api_json_text(res, i, 1));
		json_object_object_add(r, "currency",
		    api_json_text(res, i, 2));
		json_object_object_add(r, "lead_time_days", json_object_new_int(
		    atoi(PQgetvalue(res, i, 3))));
		json_object_object_add(r, "valid_until",
		    api_json_text(res, i, 4));
		json_object_object_add(r, "notes", api_json_text(res, i, 5));
		json_object_object_add(r, "created_at",
		    api_json_text(res, i, 6));
		json_object_array_add(*out, r);
	}
	PQclear(res);
	return SSCN_OK;
}

enum sscn_err
quote_get(struct http_request *req)
{
	const char		*id = req->match.params[0];
	struct json_object	*body, *revisions = NULL;
	PGresult		*res = NULL;
	enum sscn_err		 err;

	if ((err = authn_require(req)) != SSCN_OK)
		return err;
	if (!session_is_uuid(id))
		return SSCN_ERR_NOT_FOUND;
	if ((err = quote_read(req, id, &res)) != SSCN_OK)
		return err;
	body = quote_to_json(res, 0);
	PQclear(res);
	if ((err = quote_revisions_json(req, id, &revisions)) != SSCN_OK) {
		json_object_put(body);
		return err;
	}
	json_object_object_add(body, "revisions", revisions);
	http_send_json(req, 200, body);
	json_object_put(body);
	return SSCN_OK;
}
