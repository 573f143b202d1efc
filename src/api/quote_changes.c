/*
 * quote_changes.c - PATCH /api/v1/quotes/{id} and POST
 * /api/v1/quotes/{id}/withdraw: the supplier's changes before the
 * deadline.
 *
 * A revision never changes the rows before it: it adds revision n+1 with
 * the fields the body sets and the current values of the others, and
 * makes it current.  Once the RFQ has closed (deadline passed or closed
 * by the buyer), a quote is locked and both requests are 409.  The
 * statements repeat that check, so a deadline that passes between the
 * read and the write still locks the quote.
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

/*
 * Read quote "id" for a change by its supplier: 404 when hidden, 403 for
 * the buyer, who can read it, and 409 once the quote is locked.
 */
static enum sscn_err
quote_read_for_change(struct http_request *req, const char *id,
    PGresult **res)
{
	const char	*status;
	enum sscn_err	 err;

	if (!session_is_uuid(id))
		return SSCN_ERR_NOT_FOUND;
	if ((err = quote_read(req, id, res)) != SSCN_OK)
		return err;
	if (strcmp(req->org_kind, "supplier") != 0 || strcmp(PQgetvalue(*res,
	    0, QUOTE_COL_SUPPLIER_ORG_ID), req->org_id) != 0)
		err = SSCN_ERR_FORBIDDEN;
	else {
		status = PQgetvalue(*res, 0, QUOTE_COL_STORED_STATUS);
		if ((strcmp(status, "submitted") != 0 &&
		    strcmp(status, "needs_reconfirmation") != 0) ||
		    strcmp(PQgetvalue(*res, 0, QUOTE_COL_RFQ_STATUS),
		    "published") != 0)
			err = SSCN_ERR_CONFLICT;
	}
	if (err != SSCN_OK) {
		PQclear(*res);
		*res = NULL;
	}
	return err;
}

/*
 * Fill the fields "terms" leaves unset from the current revision in
 * "res", and check the result against the RFQ: its currency, and a
 * valid_until that has not passed.  Problems go into "fields".
 */
static void
quote_merge_terms(PGresult *res, struct quote_terms *terms,
    struct json_object *fields)
{
	const char *rfq_currency = PQgetvalue(res, 0, QUOTE_COL_RFQ_CURRENCY);

	if (terms->unit_price[0] == '\0')
		snprintf(terms->unit_price, sizeof(terms->unit_price), "%s",
		    PQgetvalue(res, 0, QUOTE_COL_UNIT_PRICE));
	if (terms->currency == NULL)
		terms->currency = PQgetvalue(res, 0, QUOTE_COL_CURRENCY);
	if (terms->lead_time_days < 0)
		terms->lead_time_days = atoll(PQgetvalue(res, 0,
		    QUOTE_COL_LEAD_TIME_DAYS));
	if (terms->notes == NULL)
		terms->notes = PQgetvalue(res, 0, QUOTE_COL_NOTES);
	if (terms->valid_until[0] == '\0') {
		if (strcmp(PQgetvalue(res, 0, QUOTE_COL_EXPIRED), "t") == 0)
			json_object_object_add(fields, "valid_until",
			    json_object_new_string("has passed; send a new "
			    "date"));
		snprintf(terms->valid_until, sizeof(terms->valid_until), "%s",
		    PQgetvalue(res, 0, QUOTE_COL_VALID_UNTIL));
	}

	/* The RFQ's currency may have changed since; the revision follows. */
	if (strcmp(terms->currency, rfq_currency) != 0) {
		char problem[64];

		snprintf(problem, sizeof(problem),
		    "must be the RFQ's currency, %s", rfq_currency);
		json_object_object_add(fields, "currency",
		    json_object_new_string(problem));
	}
}

/* The names of the fields "body" sets, for the audit row. */
static struct json_object *
quote_changed_fields(struct json_object *body)
{
	struct json_object *names = json_object_new_array();

	json_object_object_foreach(body, key, value) {
		(void)value;
		json_object_array_add(names, json_object_new_string(key));
	}
	return names;
}

/* Add revision n+1 with "terms" and write the audit row. */
static enum sscn_err
quote_revise_write(struct http_request *req, const char *id, PGresult *cur,
    const struct quote_terms *terms)
{
	const char		*params[10];
	char			 days[12], revision[12];
	struct json_object	*details;
	PGresult		*res = NULL;
	enum sscn_err		 err;
	bool			 updated;

	params[0] = id;
	params[1] = PQgetvalue(cur, 0, QUOTE_COL_REVISION);
	if ((err = api_db(req, "quote_revise", 2, params, &res)) != SSCN_OK)
		return err;
	updated = PQntuples(res) == 1;
	if (updated)
		snprintf(revision, sizeof(revision), "%s",
		    PQgetvalue(res, 0, 0));
	PQclear(res);
	if (!updated)
		return SSCN_ERR_CONFLICT;

	snprintf(days, sizeof(days), "%lld", terms->lead_time_days);
	params[1] = PQgetvalue(cur, 0, QUOTE_COL_BUYER_ORG_ID);
	params[2] = req->org_id;
	params[3] = revision;
	params[4] = terms->unit_price;
	params[5] = terms->currency;
	params[6] = days;
	params[7] = terms->valid_until;
	params[8] = terms->notes;
	params[9] = req->user_id;
	if ((err = api_db(req, "quote_revision_insert", 10, params, NULL)) !=
	    SSCN_OK)
		return err;

	details = json_object_new_object();
	json_object_object_add(details, "fields",
	    quote_changed_fields(req->json));
	json_object_object_add(details, "revision",
	    json_object_new_int(atoi(revision)));
	err = audit_write(req, req->user_id, req->org_id, "quote.revise", id,
	    "success", details);
	json_object_put(details);
	return err;
}

/*
 * An empty body is allowed: the new revision repeats the current terms,
 * which reconfirms a quote whose RFQ terms changed.
 */
enum sscn_err
quote_patch(struct http_request *req)
{
	static const char *const allowed[] = { "unit_price", "currency",
	    "lead_time_days", "valid_until", "notes", NULL };
	const char		*id = req->match.params[0];
	struct json_object	*fields = json_object_new_object();
	struct quote_terms	 terms;
	PGresult		*cur = NULL;
	enum sscn_err		 err;

	json_reject_unknown(req->json, allowed, fields);
	err = quote_terms_parse(req, req->json, false, &terms, fields);
	if ((err != SSCN_OK && err != SSCN_ERR_VALIDATION) ||
	    (err = authn_require(req)) != SSCN_OK) {
		json_object_put(fields);
		return err;
	}
	if (json_object_object_length(fields) > 0)
		return api_validation_failed(req, fields);
	if ((err = authn_begin(req)) != SSCN_OK ||
	    (err = quote_read_for_change(req, id, &cur)) != SSCN_OK) {
		json_object_put(fields);
		return err;
	}

	quote_merge_terms(cur, &terms, fields);
	if (json_object_object_length(fields) > 0) {
		PQclear(cur);
		return api_validation_failed(req, fields);
	}
	json_object_put(fields);

	err = quote_revise_write(req, id, cur, &terms);
	PQclear(cur);
	if (err != SSCN_OK)
		return api_rollback(req, err);
	return quote_commit_and_send(req, id, 200);
}

enum sscn_err
quote_withdraw(struct http_request *req)
{
	static const char *const status_field[] = { "status", NULL };
	const char		*id = req->match.params[0];
	const char		*params[1] = { id };
	PGresult		*cur = NULL, *res = NULL;
	enum sscn_err		 err;
	bool			 withdrawn;

	if ((err = authn_require(req)) != SSCN_OK ||
	    (err = authn_begin(req)) != SSCN_OK ||
	    (err = quote_read_for_change(req, id, &cur)) != SSCN_OK)
		return err;

	if ((err = api_db(req, "quote_withdraw", 1, params, &res)) != SSCN_OK) {
		PQclear(cur);
		return api_rollback(req, err);
	}
	withdrawn = PQntuples(res) == 1;
	PQclear(res);
	if (!withdrawn) {
		PQclear(cur);
		return api_rollback(req, SSCN_ERR_CONFLICT);
	}

	if ((err = quote_audit(req, "quote.withdraw", id, "rfq_id",
	    PQgetvalue(cur, 0, QUOTE_COL_RFQ_ID), status_field)) != SSCN_OK) {
		PQclear(cur);
		return api_rollback(req, err);
	}
	PQclear(cur);
	return quote_commit_and_send(req, id, 200);
}
