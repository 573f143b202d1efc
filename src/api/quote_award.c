/*
 * quote_award.c - POST /api/v1/quotes/{id}/award.
 *
 * The buyer awards one quote of a closed RFQ.  One transaction marks the
 * quote awarded, every other open quote of the RFQ rejected and the RFQ
 * awarded, with an audit row for each change.  The same transaction
 * queues a mail to the owners and admins of every supplier organization
 * whose quote was decided.  The RFQ row is locked first, so two awards, or an award and
 * a cancel, cannot both succeed.
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
#include "api/quotes.h"
#include "api/pii_fields.h"

/*
 * Return the error for a caller that is not a buyer: 404, or 403 when
 * row-level security shows it the quote (the quote's own supplier).
 */
static enum sscn_err
quote_award_refuse(struct http_request *req, const char *id)
{
	PGresult	*res = NULL;
	enum sscn_err	 err;

	if ((err = quote_read(req, id, &res)) != SSCN_OK)
		return err;
	PQclear(res);
	return SSCN_ERR_FORBIDDEN;
}

/*
 * Lock the RFQ and check the guards of an award.  Fills "rfq_id" and
 * "title" of the quote's RFQ.
 */
static enum sscn_err
quote_award_check(struct http_request *req, const char *id, char *rfq_id,
    char *title, size_t titlelen)
{
	const char	*params[1] = { id };
	PGresult	*res = NULL;
	enum sscn_err	 err;

	if ((err = api_db(req, "quote_award_lock", 1, params, &res)) !=
	    SSCN_OK)
		return err;
	if (PQntuples(res) != 1)
		err = SSCN_ERR_NOT_FOUND;
	else if (strcmp(PQgetvalue(res, 0, 3), "closed") != 0 ||
	    strcmp(PQgetvalue(res, 0, 1), "submitted") != 0 ||
	    strcmp(PQgetvalue(res, 0, 2), "t") == 0)
		err = SSCN_ERR_CONFLICT;
	else {
		snprintf(rfq_id, 37, "%s", PQgetvalue(res, 0, 0));
		snprintf(title, titlelen, "%s", PQgetvalue(res, 0, 4));
	}
	PQclear(res);
	return err;
}

/* Reject the RFQ's other open quotes, one audit row each. */
static enum sscn_err
quote_reject_others(struct http_request *req, const char *rfq_id,
    const char *id, int *rejected)
{
	static const char *const quote_fields[] = { "status", "decided_at",
	    NULL };
	const char		*params[2] = { rfq_id, id };
	PGresult		*res = NULL;
	enum sscn_err		 err;
	int			 i;

	if ((err = api_db(req, "quote_reject_others", 2, params, &res)) !=
	    SSCN_OK)
		return err;
	*rejected = PQntuples(res);
	for (i = 0; i < *rejected && err == SSCN_OK; i++)
		err = quote_audit(req, "quote.reject", PQgetvalue(res, i, 0),
		    "awarded_quote_id", id, quote_fields);
	PQclear(res);
	return err;
}

/* Mark the quote and the RFQ awarded, with an audit row each. */
static enum sscn_err
quote_award_write(struct http_request *req, const char *rfq_id,
    const char *id)
{
	static const char *const quote_fields[] = { "status", "decided_at",
	    NULL };
	static const char *const rfq_fields[] = { "status",
	    "awarded_quote_id", "awarded_at", "closed_at", "version", NULL };
	const char		*params[2] = { id, NULL };
	PGresult		*res = NULL;
	enum sscn_err		 err;
	bool			 done;

	if ((err = api_db(req, "quote_award", 1, params, &res)) != SSCN_OK)
		return err;
	done = PQntuples(res) == 1;
	PQclear(res);
	if (!done)
		return SSCN_ERR_CONFLICT;

	params[0] = rfq_id;
	params[1] = id;
	if ((err = api_db(req, "quote_rfq_award", 2, params, &res)) != SSCN_OK)
		return err;
	done = PQntuples(res) == 1;
	PQclear(res);
	if (!done)
		return SSCN_ERR_CONFLICT;

	if ((err = quote_audit(req, "quote.award", id, "rfq_id", rfq_id,
	    quote_fields)) != SSCN_OK)
		return err;
	return quote_audit(req, "rfq.award", rfq_id, "quote_id", id,
	    rfq_fields);
}

/* Queue the outcome to every owner and admin of the decided suppliers. */
static enum sscn_err
quote_award_mail(struct http_request *req, const char *rfq_id,
    const char *title)
{
	const char		*params[1] = { rfq_id };
	char			*link = outbox_link(req, "/rfqs/", rfq_id);
	const struct mail_value	 values[] = {
		{ "title", title },
		{ "link", link },
		{ NULL, NULL }
	};
	PGresult		*res = NULL;
	enum sscn_err		 err;
	int			 i;

	if (link == NULL)
		return SSCN_ERR_INTERNAL;
	if ((err = api_db(req, "quote_award_recipients", 1, params, &res)) !=
	    SSCN_OK) {
		free(link);
		return err;
	}
	for (i = 0; i < PQntuples(res) && err == SSCN_OK; i++) {
		bool	 awarded = strcmp(PQgetvalue(res, i, 3), "t") == 0;
		char	*email = NULL;

		if ((err = api_pii_open(req, PII_USERS_EMAIL,
		    PQgetvalue(res, i, 1), res, i, 2, &email)) != SSCN_OK)
			break;
		err = outbox_queue_template(req, email, awarded ?
		    "quote_awarded" : "quote_rejected", values);
		pii_free(email);
	}
	PQclear(res);
	free(link);
	return err;
}

enum sscn_err
quote_award(struct http_request *req)
{
	const char		*id = req->match.params[0];
	char			 rfq_id[37], title[801];
	enum sscn_err		 err;
	int			 rejected = 0;

	if ((err = authn_require(req)) != SSCN_OK ||
	    (err = authn_begin(req)) != SSCN_OK)
		return err;
	if (!session_is_uuid(id))
		return SSCN_ERR_NOT_FOUND;
	if (strcmp(req->org_kind, "buyer") != 0)
		return quote_award_refuse(req, id);

	if ((err = quote_award_check(req, id, rfq_id, title,
	    sizeof(title))) != SSCN_OK ||
	    (err = quote_reject_others(req, rfq_id, id, &rejected)) !=
	    SSCN_OK ||
	    (err = quote_award_write(req, rfq_id, id)) != SSCN_OK ||
	    (err = quote_award_mail(req, rfq_id, title)) != SSCN_OK)
		return api_rollback(req, err);
	if ((err = quote_commit_and_send(req, id, 200)) == SSCN_OK)
		log_info(req->request_id, "quote_awarded", "quote=%s rfq=%s "
		    "rejected=%d", id, rfq_id, rejected);
	return err;
}
