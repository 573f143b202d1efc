/*
 * quote_common.c - what the quote and message handlers share: the RFQ as
 * the caller sees it (with the NDA gate), the terms of a quote revision
 * and the JSON form of a quote.
 *
 * Amounts are decimal text from end to end: a JSON number with a
 * fraction arrives here as a double, which cannot hold every price of a
 * numeric(18, 4) exactly, so unit_price takes a decimal string or a
 * whole number only.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>
#include <libpq-fe.h>

#include "sscn.h"
#include "api/auth_session.h"
#include "api/quotes.h"

/* numeric(18, 4) of sscn.quote_revisions: 14 digits before the point. */
#define PRICE_INT_DIGITS	14
#define PRICE_FRACTION_DIGITS	4
#define NOTES_MAX		5000
#define LEAD_TIME_MAX		3650

enum sscn_err
quote_rfq_load(struct http_request *req, const char *rfq_id, bool nda_gate,
    struct quote_rfq *rfq)
{
	const char	*params[1] = { rfq_id };
	PGresult	*res = NULL;
	enum sscn_err	 err;

	memset(rfq, 0, sizeof(*rfq));
	if (!session_is_uuid(rfq_id))
		return SSCN_ERR_NOT_FOUND;
	if ((err = api_db(req, "quote_rfq_access", 1, params, &res)) !=
	    SSCN_OK)
		return err;
	err = quote_rfq_take(req, res, nda_gate, rfq);
	PQclear(res);
	return err;
}

enum sscn_err
quote_rfq_take(struct http_request *req, const PGresult *res, bool nda_gate,
    struct quote_rfq *rfq)
{
	memset(rfq, 0, sizeof(*rfq));
	if (PQntuples(res) != 1)
		return SSCN_ERR_NOT_FOUND;
	snprintf(rfq->buyer_org_id, sizeof(rfq->buyer_org_id), "%s",
	    PQgetvalue(res, 0, 0));
	snprintf(rfq->status, sizeof(rfq->status), "%s", PQgetvalue(res, 0, 1));
	snprintf(rfq->currency, sizeof(rfq->currency), "%s",
	    PQgetvalue(res, 0, 2));
	snprintf(rfq->title, sizeof(rfq->title), "%s", PQgetvalue(res, 0, 4));
	rfq->is_buyer = strcmp(rfq->buyer_org_id, req->org_id) == 0 &&
	    strcmp(req->org_kind, "buyer") == 0;
	rfq->is_supplier = strcmp(req->org_kind, "supplier") == 0;
	rfq->nda_pending = rfq->is_supplier &&
	    strcmp(PQgetvalue(res, 0, 3), "t") == 0;

	/* Row-level security showed it; only its buyer or a supplier may act. */
	if (!rfq->is_buyer && !rfq->is_supplier)
		return SSCN_ERR_NOT_FOUND;
	if (nda_gate && rfq->nda_pending)
		return SSCN_ERR_NDA_REQUIRED;
	return SSCN_OK;
}

/* ---- terms of a revision ------------------------------------------------ */

/* True for 1 to 14 digits, optionally a point and 1 to 4 digits. */
static bool
quote_price_valid(const char *s)
{
	size_t int_len = strspn(s, "0123456789"), frac_len = 0;

	if (int_len == 0 || int_len > PRICE_INT_DIGITS)
		return false;
	if (s[int_len] == '\0')
		return true;
	if (s[int_len] != '.')
		return false;
	frac_len = strspn(s + int_len + 1, "0123456789");
	return frac_len >= 1 && frac_len <= PRICE_FRACTION_DIGITS &&
	    s[int_len + 1 + frac_len] == '\0';
}

/* unit_price: a decimal string, or a whole JSON number, at least 0. */
static void
quote_parse_price(struct json_object *body, bool required,
    struct quote_terms *terms, struct json_object *fields)
{
	struct json_object *value = NULL;

	if (!json_object_object_get_ex(body, "unit_price", &value) ||
	    value == NULL) {
		if (required)
			json_object_object_add(fields, "unit_price",
			    json_object_new_string("missing"));
		return;
	}
	if (json_object_is_type(value, json_type_int)) {
		int64_t n = json_object_get_int64(value);

		if (n >= 0 && n <= 99999999999999LL) {
			snprintf(terms->unit_price, sizeof(terms->unit_price),
			    "%lld", (long long)n);
			return;
		}
	} else if (json_object_is_type(value, json_type_string) &&
	    json_object_get_string_len(value) <
	    (int)sizeof(terms->unit_price) &&
	    quote_price_valid(json_object_get_string(value))) {
		snprintf(terms->unit_price, sizeof(terms->unit_price), "%s",
		    json_object_get_string(value));
		return;
	}
	json_object_object_add(fields, "unit_price", json_object_new_string(
	    "must be a decimal string such as \"12.50\" (at most 14 digits "
	    "before and 4 after the point) or a whole number, not negative"));
}

/* valid_until: a calendar date YYYY-MM-DD, today (UTC) or later. */
static void
quote_parse_valid_until(struct json_object *body, bool required,
    struct quote_terms *terms, struct json_object *fields)
{
	const char	*text = NULL;
	struct tm	 tm, check;
	time_t		 t, now = time(NULL);
	char		 today[11];
	int		 mday, mon;

	if (json_get_string(body, "valid_until", required, 10, &text,
	    fields) != SSCN_OK || text == NULL)
		return;

	memset(&tm, 0, sizeof(tm));
	if (strlen(text) != 10 || strspn(text, "0123456789-") != 10 ||
	    text[4] != '-' || text[7] != '-' ||
	    sscanf(text, "%4d-%2d-%2d", &tm.tm_year, &tm.tm_mon,
	    &tm.tm_mday) != 3) {
		json_object_object_add(fields, "valid_until",
		    json_object_new_string("must be a date YYYY-MM-DD"));
		return;
	}
	/* timegm() normalizes 2027-02-30 to March; a real date survives. */
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	mday = tm.tm_mday;
	mon = tm.tm_mon;
	t = timegm(&tm);
	if (t == (time_t)-1 || gmtime_r(&t, &check) == NULL ||
	    check.tm_mday != mday || check.tm_mon != mon) {
		json_object_object_add(fields, "valid_until",
		    json_object_new_string("must be a date YYYY-MM-DD"));
		return;
	}
	strftime(today, sizeof(today), "%Y-%m-%d", gmtime_r(&now, &check));
	if (strcmp(text, today) < 0) {
		json_object_object_add(fields, "valid_until",
		    json_object_new_string("must not be in the past"));
		return;
	}
	memcpy(terms->valid_until, text, sizeof(terms->valid_until));
}

enum sscn_err
quote_terms_parse(struct http_request *req, struct json_object *body,
    bool required, struct quote_terms *terms, struct json_object *fields)
{
	int64_t		 days = -1;
	bool		 valid;
	enum sscn_err	 err;

	memset(terms, 0, sizeof(*terms));
	terms->lead_time_days = -1;

	quote_parse_price(body, required, terms, fields);
	quote_parse_valid_until(body, required, terms, fields);
	if (json_get_int(body, "lead_time_days", required, 0, LEAD_TIME_MAX,
	    &days, fields) == SSCN_OK)
		terms->lead_time_days = days;
	if (json_get_text(body, "notes", false, NOTES_MAX, true,
	    &terms->notes, fields) != SSCN_OK)
		terms->notes = NULL;

	if (json_get_string(body, "currency", required, 3, &terms->currency,
	    fields) == SSCN_OK && terms->currency != NULL) {
		if ((err = codes_check(req, CODE_CURRENCY, terms->currency,
		    &valid)) != SSCN_OK)
			return err;
		if (!valid) {
			json_object_object_add(fields, "currency",
			    json_object_new_string("must be an ISO 4217 "
			    "currency code such as EUR"));
			terms->currency = NULL;
		}
	}
	return json_object_object_length(fields) > 0 ? SSCN_ERR_VALIDATION :
	    SSCN_OK;
}

/* ---- JSON ------------------------------------------------------------------- */

struct json_object *
quote_to_json(const PGresult *res, int row)
{
	struct json_object *q = json_object_new_object();

	json_object_object_add(q, "id", api_json_text(res, row, QUOTE_COL_ID));
	json_object_object_add(q, "rfq_id",
	    api_json_text(res, row, QUOTE_COL_RFQ_ID));
	json_object_object_add(q, "supplier_org_id",
	    api_json_text(res, row, QUOTE_COL_SUPPLIER_ORG_ID));
	json_object_object_add(q, "supplier_name",
	    api_json_text(res, row, QUOTE_COL_SUPPLIER_NAME));
	json_object_object_add(q, "status",
	    api_json_text(res, row, QUOTE_COL_STATUS));
	json_object_object_add(q, "revision", json_object_new_int(
	    atoi(PQgetvalue(res, row, QUOTE_COL_REVISION))));
	json_object_object_add(q, "unit_price",
	    api_json_text(res, row, QUOTE_COL_UNIT_PRICE));
	json_object_object_add(q, "currency",
	    api_json_text(res, row, QUOTE_COL_CURRENCY));
	json_object_object_add(q, "lead_time_days", json_object_new_int(
	    atoi(PQgetvalue(res, row, QUOTE_COL_LEAD_TIME_DAYS))));
	json_object_object_add(q, "valid_until",
	    api_json_text(res, row, QUOTE_COL_VALID_UNTIL));
	json_object_object_add(q, "notes",
	    api_json_text(res, row, QUOTE_COL_NOTES));
	json_object_object_add(q, "submitted_at",
	    api_json_text(res, row, QUOTE_COL_SUBMITTED_AT));
	json_object_object_add(q, "updated_at",
	    api_json_text(res, row, QUOTE_COL_UPDATED_AT));
	json_object_object_add(q, "withdrawn_at",
	    api_json_text(res, row, QUOTE_COL_WITHDRAWN_AT));
	json_object_object_add(q, "decided_at",
	    api_json_text(res, row, QUOTE_COL_DECIDED_AT));
	json_object_object_add(q, "locked", json_object_new_boolean(
	    strcmp(PQgetvalue(res, row, QUOTE_COL_LOCKED), "t") == 0));
	return q;
}

enum sscn_err
quote_commit_and_send(struct http_request *req, const char *id, int status)
{
	struct json_object	*body;
	PGresult		*res = NULL;
	enum sscn_err		 err;

	if ((err = quote_read(req, id, &res)) != SSCN_OK)
		return api_rollback(req, err);
	body = quote_to_json(res, 0);
	PQclear(res);
	return api_commit_send(req, status, body);
}

struct json_object *
quote_audit_details(const char *ref_name, const char *ref_id,
    const char *const *changed)
{
	struct json_object	*details = json_object_new_object();
	struct json_object	*names = json_object_new_array();
	size_t			 i;

	for (i = 0; changed[i] != NULL; i++)
		json_object_array_add(names, json_object_new_string(changed[i]));
	json_object_object_add(details, ref_name,
	    json_object_new_string(ref_id));
	json_object_object_add(details, "fields", names);
	return details;
}

enum sscn_err
quote_audit(struct http_request *req, const char *action, const char *target,
    const char *ref_name, const char *ref_id, const char *const *changed)
{
	struct json_object	*details;
	enum sscn_err		 err;

	details = quote_audit_details(ref_name, ref_id, changed);
	err = audit_write(req, req->user_id, req->org_id, action, target,
	    "success", details);
	json_object_put(details);
	return err;
}
