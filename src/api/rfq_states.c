/*
 * rfq_states.c - POST /api/v1/rfqs/{id}/publish, /close and /cancel.
 *
 * The state machine of an RFQ: draft -> published -> closed -> awarded,
 * or cancelled from draft, published or closed.  A published RFQ whose
 * deadline has passed reads as closed everywhere, and the buyer's next
 * change writes that down (rfq_begin_change()).  Award belongs to the
 * quotes.  Each transition runs in one transaction with its audit row and
 * the mail it causes.  A transition from the wrong state returns 409.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>
#include <libpq-fe.h>

#include "sscn.h"
#include "mail_templates.h"
#include "api/rfqs.h"
#include "api/pii_fields.h"

#define RFQ_REASON_MAX 2000

enum sscn_err
rfq_mail_suppliers(struct http_request *req, const char *only,
    const char *template_name, const char *title, const char *reason)
{
	const char		*params[2] = { req->match.params[0], only };
	PGresult		*res = NULL;
	char			*link = outbox_link(req, "/rfqs/",
				    req->match.params[0]);
	struct mail_value	 values[] = {
		{ "name", NULL },	/* set for each recipient */
		{ "title", title },
		{ "link", link },
		{ "reason", reason },
		{ NULL, NULL }
	};
	enum sscn_err		 err;
	int			 i, rows;

	if (link == NULL)
		return SSCN_ERR_INTERNAL;
	/* Without a reason the list ends before it. */
	if (reason == NULL)
		values[3].name = NULL;

	/* Columns: user id, e-mail and name ciphertexts, organization. */
	err = api_db(req, "rfq_supplier_contacts", 2, params, &res);
	rows = err == SSCN_OK ? PQntuples(res) : 0;
	for (i = 0; i < rows && err == SSCN_OK; i++) {
		const char	*user_id = PQgetvalue(res, i, 0);
		char		*email = NULL, *name = NULL;

		if ((err = api_pii_open(req, PII_USERS_EMAIL, user_id, res, i,
		    1, &email)) != SSCN_OK ||
		    (err = api_pii_open(req, PII_USERS_FULL_NAME, user_id, res,
		    i, 2, &name)) != SSCN_OK) {
			pii_free(email);
			break;
		}
		values[0].value = name;
		err = outbox_queue_template(req, email, template_name, values);
		pii_free(email);
		pii_free(name);
	}
	PQclear(res);
	free(link);
	return err;
}

/* Send the RFQ as it is now, inside the change's transaction. */
static enum sscn_err
rfq_read_current(struct http_request *req, PGresult **res)
{
	enum sscn_err err;

	err = api_db(req, "rfq_select", 1, req->match.params, res);
	if (err == SSCN_OK && PQntuples(*res) != 1)
		err = SSCN_ERR_INTERNAL;
	return err;
}

/*
 * Finish a transition: commit (or roll back), then send 200 with the
 * RFQ, or the validation problems in "fields" (consumed).
 */
static enum sscn_err
rfq_finish(struct http_request *req, enum sscn_err err, PGresult *res,
    struct json_object *fields)
{
	struct json_object *body;

	err = rfq_end_change(req, err);
	if (err == SSCN_ERR_VALIDATION && fields != NULL) {
		PQclear(res);
		return api_validation_failed(req, fields);
	}
	json_object_put(fields);
	if (err != SSCN_OK) {
		PQclear(res);
		return err;
	}
	body = rfq_json(res, 0, true);
	http_add_headerf(req, "ETag: \"%s\"", PQgetvalue(res, 0,
	    RFQ_C_VERSION));
	http_send_json(req, 200, body);
	json_object_put(body);
	PQclear(res);
	return SSCN_OK;
}

/* ---- publish ----------------------------------------------------------- */

/* Check the guards of publishing that the locked row can decide. */
static void
rfq_check_publishable(PGresult *lock, struct json_object *fields)
{
	static const struct {
		int		 column;
		const char	*field;
	} required[] = {
		{ RFQ_L_HAS_CATEGORY, "category" },
		{ RFQ_L_HAS_QUANTITY, "quantity" },
		{ RFQ_L_HAS_UNIT, "unit" },
		{ RFQ_L_HAS_CURRENCY, "currency" },
		{ RFQ_L_HAS_COUNTRY, "delivery_country" },
	};
	int64_t	deadline;
	size_t	i;

	for (i = 0; i < sizeof(required) / sizeof(required[0]); i++)
		if (strcmp(PQgetvalue(lock, 0, required[i].column), "t") != 0)
			json_object_object_add(fields, required[i].field,
			    json_object_new_string("is required to publish"));

	if (PQgetisnull(lock, 0, RFQ_L_DEADLINE))
		json_object_object_add(fields, "quote_deadline",
		    json_object_new_string("is required to publish"));
	else {
		deadline = strtoll(PQgetvalue(lock, 0, RFQ_L_DEADLINE), NULL,
		    10);
		/* The table's check keeps need_by after the deadline. */
		if (deadline <= authn_now())
			json_object_object_add(fields, "quote_deadline",
			    json_object_new_string("must be in the future"));
	}

	if (strcmp(PQgetvalue(lock, 0, RFQ_L_VISIBILITY), "invited") == 0 &&
	    strcmp(PQgetvalue(lock, 0, RFQ_L_INVITATIONS), "0") == 0)
		json_object_object_add(fields, "invitations", json_object_new_string(
		    "an invited RFQ needs at least one invited supplier"));
}

enum sscn_err
rfq_publish(struct http_request *req)
{
	const char		*id = req->match.params[0];
	struct json_object	*fields = json_object_new_object();
	struct json_object	*details;
	PGresult		*lock = NULL, *res = NULL, *published = NULL;
	enum sscn_err		 err;

	if ((err = authn_require(req)) != SSCN_OK ||
	    (err = rfq_begin_change(req, &lock)) != SSCN_OK) {
		json_object_put(fields);
		return err;
	}
	if (strcmp(PQgetvalue(lock, 0, RFQ_L_STATUS), "draft") != 0)
		err = SSCN_ERR_CONFLICT;
	else {
		rfq_check_publishable(lock, fields);
		if (json_object_object_length(fields) > 0)
			err = SSCN_ERR_VALIDATION;
	}
	if (err == SSCN_OK)
		err = api_db(req, "rfq_publish", 1, req->match.params,
		    &published);
	if (err == SSCN_OK && PQntuples(published) != 1)
		err = SSCN_ERR_CONFLICT;
	if (err == SSCN_OK) {
		details = json_object_new_object();
		if (*PQgetvalue(published, 0, 0) != '\0')
			json_object_object_add(details, "nda_version",
			    json_object_new_string(PQgetvalue(published, 0, 0)));
		json_object_object_add(details, "invitations",
		    json_object_new_int(atoi(PQgetvalue(lock, 0,
		    RFQ_L_INVITATIONS))));
		err = audit_write(req, req->user_id, req->org_id,
		    "rfq.publish", id, "success", details);
		json_object_put(details);
	}
	if (err == SSCN_OK) {
		err = rfq_mail_suppliers(req, NULL, "rfq_invitation",
		    PQgetvalue(lock, 0, RFQ_L_TITLE), NULL);
	}
	if (err == SSCN_OK)
		err = rfq_read_current(req, &res);
	PQclear(published);
	PQclear(lock);
	return rfq_finish(req, err, res, fields);
}

/* ---- close ------------------------------------------------------------- */

enum sscn_err
rfq_close(struct http_request *req)
{
	struct json_object	*details;
	PGresult		*lock = NULL, *res = NULL, *closed = NULL;
	enum sscn_err		 err;

	if ((err = authn_require(req)) != SSCN_OK ||
	    (err = rfq_begin_change(req, &lock)) != SSCN_OK)
		return err;
	if (strcmp(PQgetvalue(lock, 0, RFQ_L_STATUS), "published") != 0)
		err = SSCN_ERR_CONFLICT;
	PQclear(lock);
	if (err == SSCN_OK)
		err = api_db(req, "rfq_close", 1, req->match.params, &closed);
	if (err == SSCN_OK && PQntuples(closed) != 1)
		err = SSCN_ERR_CONFLICT;
	PQclear(closed);
	if (err == SSCN_OK) {
		details = json_object_new_object();
		json_object_object_add(details, "reason",
		    json_object_new_string("buyer"));
		err = audit_write(req, req->user_id, req->org_id, "rfq.close",
		    req->match.params[0], "success", details);
		json_object_put(details);
	}
	if (err == SSCN_OK)
		err = rfq_read_current(req, &res);
	return rfq_finish(req, err, res, NULL);
}

/* ---- cancel ------------------------------------------------------------ */

/*
 * Cancel and reject the open quotes, and mail the reason to the suppliers
 * that were invited or quoted.  A draft was never announced, so no mail
 * is sent for it.
 */
static enum sscn_err
rfq_apply_cancel(struct http_request *req, PGresult *lock, const char *reason)
{
	const char		*params[2] = { req->match.params[0], reason };
	struct json_object	*details;
	PGresult		*res = NULL;
	enum sscn_err		 err;
	int			 rejected = 0;

	err = api_db(req, "rfq_cancel", 2, params, &res);
	if (err == SSCN_OK && PQntuples(res) != 1)
		err = SSCN_ERR_CONFLICT;
	PQclear(res);
	res = NULL;
	params[1] = "rejected";
	if (err == SSCN_OK)
		err = api_db(req, "rfq_move_quotes", 2, params, &res);
	if (err == SSCN_OK)
		rejected = atoi(PQgetvalue(res, 0, 0));
	PQclear(res);
	if (err == SSCN_OK) {
		details = json_object_new_object();
		json_object_object_add(details, "from", json_object_new_string(
		    PQgetvalue(lock, 0, RFQ_L_STATUS)));
		json_object_object_add(details, "fields",
		    json_object_new_array());
		json_object_array_add(json_object_object_get(details, "fields"),
		    json_object_new_string("cancel_reason"));
		json_object_object_add(details, "quotes_rejected",
		    json_object_new_int(rejected));
		err = audit_write(req, req->user_id, req->org_id, "rfq.cancel",
		    req->match.params[0], "success", details);
		json_object_put(details);
	}
	if (err == SSCN_OK &&
	    strcmp(PQgetvalue(lock, 0, RFQ_L_STATUS), "draft") != 0)
		err = rfq_mail_suppliers(req, NULL, "rfq_cancelled",
		    PQgetvalue(lock, 0, RFQ_L_TITLE), reason);
	return err;
}

enum sscn_err
rfq_cancel(struct http_request *req)
{
	static const char *const allowed[] = { "reason", NULL };
	struct json_object	*fields = json_object_new_object();
	const char		*reason = NULL, *status;
	PGresult		*lock = NULL, *res = NULL;
	enum sscn_err		 err;

	json_reject_unknown(req->json, allowed, fields);
	if (json_get_text(req->json, "reason", true, RFQ_REASON_MAX, true,
	    &reason, fields) == SSCN_OK && *reason == '\0')
		json_object_object_add(fields, "reason",
		    json_object_new_string("must not be empty"));
	if ((err = authn_require_valid(req, fields)) != SSCN_OK)
		return err;

	if ((err = rfq_begin_change(req, &lock)) != SSCN_OK)
		return err;
	status = PQgetvalue(lock, 0, RFQ_L_STATUS);
	if (strcmp(status, "draft") != 0 && strcmp(status, "published") != 0 &&
	    strcmp(status, "closed") != 0)
		err = SSCN_ERR_CONFLICT;
	if (err == SSCN_OK)
		err = rfq_apply_cancel(req, lock, reason);
	PQclear(lock);
	if (err == SSCN_OK)
		err = rfq_read_current(req, &res);
	return rfq_finish(req, err, res, NULL);
}
