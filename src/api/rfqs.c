/*
 * rfqs.c - POST and GET /api/v1/rfqs, GET and PATCH /api/v1/rfqs/{id}.
 *
 * A buyer organization creates RFQs as drafts and changes every field
 * until it publishes one; after that only an amendment of the terms is
 * allowed (rfq_patch()).  Row-level security decides which RFQs a caller
 * can read: the buyer its own in every state, a supplier the published
 * and later ones that are public or to which it is invited.  A supplier
 * gets an RFQ that requires an NDA only as a teaser in lists, and 403
 * nda_required for its details, until its organization has accepted the
 * pinned NDA version.
 *
 * Validation: every field of a body is checked before any change, and
 * unknown or server-owned fields are rejected.  The values that pass are
 * copied into one JSON object, and that object is all the SQL reads.
 */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>
#include <libpq-fe.h>

#include "sscn.h"
#include "api/auth_session.h"
#include "api/rfqs.h"
#include "auth/token.h"

#define RFQ_TITLE_MAX		200
#define RFQ_DESCRIPTION_MAX	20000
#define RFQ_UNIT_MAX		20
/* numeric(18, 3): 15 digits before the decimal point. */
#define RFQ_QUANTITY_LIMIT	1e15
/* "2026-01-31T23:59:59.123456+14:00" with room for longer fractions. */
#define RFQ_TIMESTAMP_MAX	40

/* ---- dates and timestamps --------------------------------------------- */

/*
 * Days from 1970-01-01 to a date of the proleptic Gregorian calendar,
 * counted in 400-year eras that start on 1 March.
 */
static int64_t
rfq_days_from_civil(int64_t y, int m, int d)
{
	int64_t	era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

/* The value of the "n" decimal digits at "s", or -1 for a non-digit. */
static int
rfq_digits(const char *s, int n)
{
	int i, v = 0;

	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

/* "YYYY-MM-DD" at "s" (exactly 10 characters are read). */
static bool
rfq_parse_ymd(const char *s, int64_t *days)
{
	static const int month_days[12] = { 31, 29, 31, 30, 31, 30, 31, 31,
	    30, 31, 30, 31 };
	int	y, m, d;
	bool	leap;

	y = rfq_digits(s, 4);
	m = rfq_digits(s + 5, 2);
	d = rfq_digits(s + 8, 2);
	if (y < 1 || m < 1 || m > 12 || d < 1 || s[4] != '-' || s[7] != '-')
		return false;
	leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	if (d > month_days[m - 1] || (m == 2 && d == 29 && !leap))
		return false;
	*days = rfq_days_from_civil(y, m, d);
	return true;
}

bool
rfq_parse_date(const char *s, int64_t *out)
{
	return strlen(s) == 10 && rfq_parse_ymd(s, out);
}

/*
 * RFC 3339 section 5.6 date-time:
 *   full-date "T" HH ":" MM ":" SS [ "." 1*DIGIT ] ( "Z" / ( "+" / "-" ) HH ":" MM )
 * "T" and "Z" may be lower case.  A leap second (60) is rejected.
 */
bool
rfq_parse_timestamp(const char *s, int64_t *out)
{
	int64_t		 days;
	int		 hh, mm, ss, oh, om, sign;
	const char	*p;

	if (strlen(s) < 20 || !rfq_parse_ymd(s, &days) ||
	    (s[10] != 'T' && s[10] != 't') || s[13] != ':' || s[16] != ':')
		return false;
	hh = rfq_digits(s + 11, 2);
	mm = rfq_digits(s + 14, 2);
	ss = rfq_digits(s + 17, 2);
	if (hh < 0 || hh > 23 || mm < 0 || mm > 59 || ss < 0 || ss > 59)
		return false;
	p = s + 19;
	if (*p == '.') {
		if (p[1] < '0' || p[1] > '9')
			return false;
		for (p++; *p >= '0' && *p <= '9'; p++)
			continue;
	}
	if ((*p == 'Z' || *p == 'z') && p[1] == '\0') {
		oh = om = 0;
		sign = 1;
	} else if ((*p == '+' || *p == '-') && strlen(p) == 6 && p[3] == ':') {
		sign = *p == '-' ? -1 : 1;
		oh = rfq_digits(p + 1, 2);
		om = rfq_digits(p + 4, 2);
		if (oh < 0 || oh > 23 || om < 0 || om > 59)
			return false;
	} else
		return false;
	*out = days * 86400 + hh * 3600 + mm * 60 + ss -
	    sign * (oh * 3600 + om * 60);
	return true;
}

/* floor(a / b) for b > 0. */
static int64_t
rfq_floor_div(int64_t a, int64_t b)
{
	return a >= 0 ? a / b : -((-a + b - 1) / b);
}

/* ---- responses ---------------------------------------------------------- */

struct json_object *
rfq_rows_json(PGresult *res, const char *const *keys)
{
	struct json_object	*items = json_object_new_array();
	int			 row;

	for (row = 0; row < PQntuples(res); row++) {
		struct json_object *o = json_object_new_object();

		api_json_columns(o, res, row, keys);
		json_object_array_add(items, o);
	}
	return items;
}

static bool
rfq_flag(PGresult *res, int row, int column)
{
	return strcmp(PQgetvalue(res, row, column), "t") == 0;
}

/*
 * A JSON member and the column it comes from.  RFQ_M_TIME converts a
 * timestamp with time_pg_rfc3339(); RFQ_M_CLOSED_AT does too, and when
 * the column is NULL for an RFQ whose effective status is "closed" (its
 * deadline passed but nothing wrote it down yet) gives the deadline.
 */
struct rfq_member {
	const char	*key;
	int		 column;
	enum { RFQ_M_TEXT, RFQ_M_BOOL, RFQ_M_NUMBER, RFQ_M_TIME,
	    RFQ_M_CLOSED_AT } type;
};

/*
 * Convert a timestamp in the statements' plain text form to RFC 3339.
 * Text of another form passes unchanged, which the connection's TimeZone
 * and DateStyle (db.c) rule out.
 */
static struct json_object *
rfq_time(const char *text)
{
	char rfc3339[TIME_RFC3339_SIZE];

	if (!time_pg_rfc3339(text, rfc3339))
		return json_object_new_string(text);
	return json_object_new_string(rfc3339);
}

/*
 * A numeric column as a JSON number with PostgreSQL's digits, not a
 * rounded double, and without the zeros that the column's scale adds
 * ("12.500" becomes 12.5, "500.000" 500).
 */
static struct json_object *
rfq_number(const char *text)
{
	char	 digits[64];
	size_t	 len = strlen(text);

	if (len >= sizeof(digits) || strpbrk(text, "eE") != NULL)
		return json_object_new_double_s(strtod(text, NULL), text);
	memcpy(digits, text, len + 1);
	if (strchr(digits, '.') != NULL) {
		while (len > 0 && digits[len - 1] == '0')
			digits[--len] = '\0';
		if (len > 0 && digits[len - 1] == '.')
			digits[--len] = '\0';
	}
	return json_object_new_double_s(strtod(digits, NULL), digits);
}

/* Add "members" (ended by a NULL key) of "row" to "o". */
static void
rfq_add_members(struct json_object *o, PGresult *res, int row,
    const struct rfq_member *members)
{
	for (; members->key != NULL; members++) {
		struct json_object	*value = NULL;
		int			 column = members->column;

		if (members->type == RFQ_M_CLOSED_AT &&
		    PQgetisnull(res, row, column) &&
		    strcmp(PQgetvalue(res, row, RFQ_C_STATUS), "closed") == 0)
			column = RFQ_C_QUOTE_DEADLINE;
		if (PQgetisnull(res, row, column)) {
			json_object_object_add(o, members->key, NULL);
			continue;
		}
		switch (members->type) {
		case RFQ_M_TEXT:
			value = json_object_new_string(PQgetvalue(res, row,
			    column));
			break;
		case RFQ_M_BOOL:
			value = json_object_new_boolean(rfq_flag(res, row,
			    column));
			break;
		case RFQ_M_NUMBER:
			value = rfq_number(PQgetvalue(res, row, column));
			break;
		case RFQ_M_TIME:
		case RFQ_M_CLOSED_AT:
			value = rfq_time(PQgetvalue(res, row, column));
			break;
		}
		json_object_object_add(o, members->key, value);
	}
}

static struct json_object *
rfq_buyer(PGresult *res, int row)
{
	static const struct rfq_member members[] = {
		{ "id", RFQ_C_BUYER_ORG_ID, RFQ_M_TEXT },
		{ "name", RFQ_C_BUYER_NAME, RFQ_M_TEXT },
		{ NULL, 0, 0 }
	};
	struct json_object *buyer = json_object_new_object();

	rfq_add_members(buyer, res, row, members);
	return buyer;
}

/*
 * Build the teaser of an RFQ whose NDA the supplier's organization has
 * not accepted: enough to decide whether to accept it.
 */
static struct json_object *
rfq_teaser_json(PGresult *res, int row)
{
	static const struct rfq_member members[] = {
		{ "id", RFQ_C_ID, RFQ_M_TEXT },
		{ "title", RFQ_C_TITLE, RFQ_M_TEXT },
		{ "category", RFQ_C_CATEGORY, RFQ_M_TEXT },
		{ "quote_deadline", RFQ_C_QUOTE_DEADLINE, RFQ_M_TIME },
		{ "status", RFQ_C_STATUS, RFQ_M_TEXT },
		{ "nda_required", RFQ_C_NDA_REQUIRED, RFQ_M_BOOL },
		{ "nda_version", RFQ_C_NDA_VERSION, RFQ_M_TEXT },
		{ "nda_accepted", RFQ_C_NDA_ACCEPTED, RFQ_M_BOOL },
		{ NULL, 0, 0 }
	};
	struct json_object *o = json_object_new_object();

	rfq_add_members(o, res, row, members);
	json_object_object_add(o, "buyer", rfq_buyer(res, row));
	return o;
}

struct json_object *
rfq_json(PGresult *res, int row, bool detail)
{
	static const struct rfq_member summary[] = {
		{ "id", RFQ_C_ID, RFQ_M_TEXT },
		{ "title", RFQ_C_TITLE, RFQ_M_TEXT },
		{ "category", RFQ_C_CATEGORY, RFQ_M_TEXT },
		{ "quantity", RFQ_C_QUANTITY, RFQ_M_NUMBER },
		{ "unit", RFQ_C_UNIT, RFQ_M_TEXT },
		{ "currency", RFQ_C_CURRENCY, RFQ_M_TEXT },
		{ "delivery_country", RFQ_C_DELIVERY_COUNTRY, RFQ_M_TEXT },
		{ "need_by", RFQ_C_NEED_BY, RFQ_M_TEXT },
		{ "quote_deadline", RFQ_C_QUOTE_DEADLINE, RFQ_M_TIME },
		{ "visibility", RFQ_C_VISIBILITY, RFQ_M_TEXT },
		{ "nda_required", RFQ_C_NDA_REQUIRED, RFQ_M_BOOL },
		{ "nda_version", RFQ_C_NDA_VERSION, RFQ_M_TEXT },
		{ "sealed", RFQ_C_SEALED, RFQ_M_BOOL },
		{ "status", RFQ_C_STATUS, RFQ_M_TEXT },
		{ "created_at", RFQ_C_CREATED_AT, RFQ_M_TIME },
		{ "published_at", RFQ_C_PUBLISHED_AT, RFQ_M_TIME },
		{ "closed_at", RFQ_C_CLOSED_AT, RFQ_M_CLOSED_AT },
		{ NULL, 0, 0 }
	};
	static const struct rfq_member details[] = {
		{ "description", RFQ_C_DESCRIPTION, RFQ_M_TEXT },
		{ "awarded_at", RFQ_C_AWARDED_AT, RFQ_M_TIME },
		{ "cancelled_at", RFQ_C_CANCELLED_AT, RFQ_M_TIME },
		{ "cancel_reason", RFQ_C_CANCEL_REASON, RFQ_M_TEXT },
		{ "updated_at", RFQ_C_UPDATED_AT, RFQ_M_TIME },
		{ "version", RFQ_C_VERSION, RFQ_M_NUMBER },
		{ NULL, 0, 0 }
	};
	/* The winning quote and the author stay within the buyer. */
	static const struct rfq_member buyer_only[] = {
		{ "awarded_quote_id", RFQ_C_AWARDED_QUOTE_ID, RFQ_M_TEXT },
		{ "created_by", RFQ_C_CREATED_BY, RFQ_M_TEXT },
		{ NULL, 0, 0 }
	};
	static const struct rfq_member supplier_only[] = {
		{ "nda_accepted", RFQ_C_NDA_ACCEPTED, RFQ_M_BOOL },
		{ NULL, 0, 0 }
	};
	struct json_object	*o = json_object_new_object();
	bool			 buyer = rfq_flag(res, row, RFQ_C_IS_BUYER);

	rfq_add_members(o, res, row, summary);
	json_object_object_add(o, "buyer", rfq_buyer(res, row));
	if (detail)
		rfq_add_members(o, res, row, details);
	if (detail && buyer)
		rfq_add_members(o, res, row, buyer_only);
	if (!buyer)
		rfq_add_members(o, res, row, supplier_only);
	return o;
}

/* Send one RFQ with its version as the ETag that If-Match compares. */
static void
rfq_send(struct http_request *req, int status, PGresult *res)
{
	struct json_object *body = rfq_json(res, 0, true);

	if (rfq_flag(res, 0, RFQ_C_IS_BUYER))
		http_add_headerf(req, "ETag: \"%s\"", PQgetvalue(res, 0,
		    RFQ_C_VERSION));
	http_send_json(req, status, body);
	json_object_put(body);
}

/*
 * 403 nda_required with the contract's error body and, beside it, the NDA
 * that must be accepted.
 */
static void
rfq_send_nda_required(struct http_request *req, PGresult *res)
{
	struct json_object	*root, *error, *nda;
	char			 accept[96];

	root = json_object_new_object();
	error = json_object_new_object();
	json_object_object_add(error, "code", json_object_new_string(
	    err_code(SSCN_ERR_NDA_REQUIRED)));
	json_object_object_add(error, "message", json_object_new_string(
	    err_message(SSCN_ERR_NDA_REQUIRED)));
	json_object_object_add(error, "request_id",
	    json_object_new_string(req->request_id));
	json_object_object_add(root, "error", error);

	snprintf(accept, sizeof(accept), "/api/v1/rfqs/%s/nda/accept",
	    PQgetvalue(res, 0, RFQ_C_ID));
	nda = json_object_new_object();
	json_object_object_add(nda, "document", json_object_new_string("nda"));
	json_object_object_add(nda, "version", api_json_text(res, 0,
	    RFQ_C_NDA_VERSION));
	json_object_object_add(nda, "url",
	    json_object_new_string("/api/v1/legal/nda"));
	json_object_object_add(nda, "accept_url",
	    json_object_new_string(accept));
	json_object_object_add(root, "nda", nda);

	http_send_json(req, err_http_status(SSCN_ERR_NDA_REQUIRED), root);
	json_object_put(root);
}

/* ---- request bodies ------------------------------------------------------ */

enum rfq_field_kind {
	RFQ_F_LINE,		/* one line of text */
	RFQ_F_MARKDOWN,		/* multi-line text */
	RFQ_F_CODE,		/* a code of the list in "codes" */
	RFQ_F_QUANTITY,
	RFQ_F_DATE,
	RFQ_F_TIMESTAMP,
	RFQ_F_VISIBILITY,
	RFQ_F_BOOL
};

struct rfq_field {
	const char		*name;
	enum rfq_field_kind	 kind;
	size_t			 max;		/* characters, for text */
	enum code_kind		 codes;		/* for RFQ_F_CODE */
	bool			 nullable;	/* null clears it */
	bool			 amendable;	/* may change once published */
};

/*
 * The fields a client may send.  A published RFQ takes only changes of
 * its terms and dates.  Quantity, unit, currency and description are the
 * terms that quotes respond to.
 */
static const struct rfq_field rfq_fields[] = {
	{ "title", RFQ_F_LINE, RFQ_TITLE_MAX, 0, false, false },
	{ "description", RFQ_F_MARKDOWN, RFQ_DESCRIPTION_MAX, 0, true, true },
	{ "category", RFQ_F_CODE, 0, CODE_CATEGORY, true, false },
	{ "quantity", RFQ_F_QUANTITY, 0, 0, true, true },
	{ "unit", RFQ_F_LINE, RFQ_UNIT_MAX, 0, true, true },
	{ "currency", RFQ_F_CODE, 0, CODE_CURRENCY, true, true },
	{ "delivery_country", RFQ_F_CODE, 0, CODE_COUNTRY, true, false },
	{ "need_by", RFQ_F_DATE, 0, 0, true, true },
	{ "quote_deadline", RFQ_F_TIMESTAMP, 0, 0, true, true },
	{ "visibility", RFQ_F_VISIBILITY, 0, 0, false, false },
	{ "nda_required", RFQ_F_BOOL, 0, 0, false, false },
	{ "sealed", RFQ_F_BOOL, 0, 0, false, false },
};
#define RFQ_NFIELDS (sizeof(rfq_fields) / sizeof(rfq_fields[0]))

/* A validated body. */
struct rfq_input {
	struct json_object	*changes;	/* field -> value, null clears */
	bool			 has_need_by, has_deadline;
	bool			 need_by_set, deadline_set;	/* not null */
	int64_t			 need_by;	/* days since 1970-01-01 */
	int64_t			 deadline;	/* Unix time */
};

static void
rfq_problem(struct json_object *fields, const char *field, const char *text)
{
	json_object_object_add(fields, field, json_object_new_string(text));
}

/* A quantity > 0 with at most three decimals, as text for numeric. */
static bool
rfq_quantity_text(struct json_object *value, char *out, size_t outlen)
{
	double d, scaled;

	if (json_object_is_type(value, json_type_int)) {
		int64_t n = json_object_get_int64(value);

		if (n <= 0 || (double)n >= RFQ_QUANTITY_LIMIT)
			return false;
		snprintf(out, outlen, "%lld", (long long)n);
		return true;
	}
	if (!json_object_is_type(value, json_type_double))
		return false;
	d = json_object_get_double(value);
	if (!(d > 0) || d >= RFQ_QUANTITY_LIMIT)
		return false;
	/* The binary double of 0.001 is not exact: allow a rounding error. */
	scaled = d * 1000;
	if (fabs(scaled - round(scaled)) > 1e-6 * fmax(1, scaled) ||
	    round(scaled) < 1)
		return false;
	snprintf(out, outlen, "%.3f", round(scaled) / 1000);
	return true;
}

/*
 * Check one field present in the body and copy its value into
 * "in->changes".  Problems go into "fields".
 */
static enum sscn_err
rfq_read_field(struct http_request *req, const struct rfq_field *f,
    struct json_object *value, struct rfq_input *in,
    struct json_object *fields)
{
	struct json_object	*body = req->json;
	const char		*s = NULL;
	char			 number[64];
	bool			 flag, valid;
	enum sscn_err		 err;

	if (value == NULL) {
		if (!f->nullable)
			rfq_problem(fields, f->name, "must not be null");
		else
			json_object_object_add(in->changes, f->name, NULL);
		if (strcmp(f->name, "need_by") == 0)
			in->has_need_by = true;
		if (strcmp(f->name, "quote_deadline") == 0)
			in->has_deadline = true;
		return SSCN_OK;
	}

	switch (f->kind) {
	case RFQ_F_LINE:
	case RFQ_F_MARKDOWN:
		if (json_get_text(body, f->name, false, f->max,
		    f->kind == RFQ_F_MARKDOWN, &s, fields) != SSCN_OK)
			return SSCN_OK;
		if (f->kind == RFQ_F_LINE && *s == '\0') {
			rfq_problem(fields, f->name, "must not be empty");
			return SSCN_OK;
		}
		break;
	case RFQ_F_CODE:
		if (json_get_string(body, f->name, false, 40, &s, fields) !=
		    SSCN_OK)
			return SSCN_OK;
		if ((err = codes_check(req, f->codes, s, &valid)) != SSCN_OK)
			return err;
		if (!valid) {
			rfq_problem(fields, f->name, f->codes == CODE_CURRENCY ?
			    "must be an ISO 4217 currency code" :
			    f->codes == CODE_COUNTRY ?
			    "must be an ISO 3166-1 alpha-2 country code" :
			    "must be a code of GET /api/v1/categories");
			return SSCN_OK;
		}
		break;
	case RFQ_F_QUANTITY:
		if (!rfq_quantity_text(value, number, sizeof(number))) {
			rfq_problem(fields, f->name, "must be a number greater "
			    "than 0, below 10^15, with at most 3 decimals");
			return SSCN_OK;
		}
		s = number;
		break;
	case RFQ_F_DATE:
		if (json_get_string(body, f->name, false, 10, &s, fields) !=
		    SSCN_OK || !rfq_parse_date(s, &in->need_by)) {
			rfq_problem(fields, f->name, "must be a date YYYY-MM-DD");
			return SSCN_OK;
		}
		in->has_need_by = in->need_by_set = true;
		break;
	case RFQ_F_TIMESTAMP:
		if (json_get_string(body, f->name, false, RFQ_TIMESTAMP_MAX, &s,
		    fields) != SSCN_OK || !rfq_parse_timestamp(s,
		    &in->deadline)) {
			rfq_problem(fields, f->name, "must be an RFC 3339 "
			    "timestamp such as 2026-05-01T12:00:00Z");
			return SSCN_OK;
		}
		in->has_deadline = in->deadline_set = true;
		break;
	case RFQ_F_VISIBILITY:
		if (json_get_string(body, f->name, false, 16, &s, fields) !=
		    SSCN_OK)
			return SSCN_OK;
		if (strcmp(s, "public") != 0 && strcmp(s, "invited") != 0) {
			rfq_problem(fields, f->name,
			    "must be \"public\" or \"invited\"");
			return SSCN_OK;
		}
		break;
	case RFQ_F_BOOL:
		if (json_get_bool(body, f->name, false, &flag, fields) ==
		    SSCN_OK)
			json_object_object_add(in->changes, f->name,
			    json_object_new_boolean(flag));
		return SSCN_OK;
	}
	json_object_object_add(in->changes, f->name, json_object_new_string(s));
	return SSCN_OK;
}

/*
 * Validate the whole body into "in" (caller frees in->changes); problems
 * go into "fields".  A new RFQ needs a title.  Returns an error only when
 * a code list could not be read.
 */
static enum sscn_err
rfq_read_body(struct http_request *req, bool create, struct rfq_input *in,
    struct json_object *fields)
{
	static const char *const allowed[] = { "title", "description",
	    "category", "quantity", "unit", "currency", "delivery_country",
	    "need_by", "quote_deadline", "visibility", "nda_required",
	    "sealed", NULL };
	struct json_object	*value;
	enum sscn_err		 err;
	size_t			 i;

	memset(in, 0, sizeof(*in));
	in->changes = json_object_new_object();
	json_reject_unknown(req->json, allowed, fields);
	if (create && !json_object_object_get_ex(req->json, "title", NULL))
		rfq_problem(fields, "title", "missing");

	for (i = 0; i < RFQ_NFIELDS; i++) {
		if (!json_object_object_get_ex(req->json, rfq_fields[i].name,
		    &value))
			continue;
		err = rfq_read_field(req, &rfq_fields[i], value, in, fields);
		if (err != SSCN_OK)
			return err;
	}
	return SSCN_OK;
}

/*
 * Check need_by against quote_deadline (each the new value when the body
 * has one, else the stored one): the goods are needed on a later day than
 * the one on which quoting ends, in UTC.
 */
static void
rfq_check_dates(const struct rfq_input *in, bool need_by_set, int64_t need_by,
    bool deadline_set, int64_t deadline, struct json_object *fields)
{
	if (need_by_set && deadline_set &&
	    need_by <= rfq_floor_div(deadline, 86400))
		rfq_problem(fields, in->has_need_by ? "need_by" :
		    "quote_deadline", "need_by must be a later day than "
		    "quote_deadline (UTC)");
}

/* The body's keys, for the audit row: which fields, never their values. */
static struct json_object *
rfq_changed_fields(struct json_object *changes)
{
	struct json_object *list = json_object_new_array();

	json_object_object_foreach(changes, key, value) {
		(void)value;
		json_object_array_add(list, json_object_new_string(key));
	}
	return list;
}

/* ---- POST /api/v1/rfqs ---------------------------------------------------- */

enum sscn_err
rfq_create(struct http_request *req)
{
	struct json_object	*fields = json_object_new_object();
	struct json_object	*details;
	struct rfq_input	 in;
	char			 id[37];
	const char		*params[3];
	PGresult		*res = NULL;
	enum sscn_err		 err;

	err = rfq_read_body(req, true, &in, fields);
	if (err == SSCN_OK)
		err = authn_require(req);
	if (err == SSCN_OK && strcmp(req->org_kind, "buyer") != 0) {
		log_info(req->request_id, "access_denied", "reason=\"only a "
		    "buyer organization creates RFQs\" user_id=%s",
		    req->user_id);
		err = SSCN_ERR_FORBIDDEN;
	}
	if (err == SSCN_OK)
		rfq_check_dates(&in, in.need_by_set, in.need_by,
		    in.deadline_set, in.deadline, fields);
	if (err != SSCN_OK || json_object_object_length(fields) > 0) {
		json_object_put(in.changes);
		if (err != SSCN_OK) {
			json_object_put(fields);
			return err;
		}
		return api_validation_failed(req, fields);
	}
	json_object_put(fields);

	token_random_uuid(id);
	params[0] = id;
	params[1] = req->user_id;
	params[2] = json_object_to_json_string_ext(in.changes,
	    JSON_C_TO_STRING_PLAIN);
	err = api_db(req, "rfq_insert", 3, params, &res);
	if (err == SSCN_OK && PQntuples(res) != 1)
		err = SSCN_ERR_INTERNAL;
	if (err == SSCN_OK) {
		details = json_object_new_object();
		json_object_object_add(details, "fields",
		    rfq_changed_fields(in.changes));
		err = audit_write(req, req->user_id, req->org_id, "rfq.create",
		    id, "success", details);
		json_object_put(details);
	}
	json_object_put(in.changes);
	if (err == SSCN_OK)
		err = db_commit(&req->worker->db, req->request_id);
	if (err != SSCN_OK) {
		PQclear(res);
		return api_rollback(req, err);
	}
	http_add_headerf(req, "Location: /api/v1/rfqs/%s", id);
	rfq_send(req, 201, res);
	PQclear(res);
	return SSCN_OK;
}

/* ---- GET /api/v1/rfqs/{id} ----------------------------------------------- */

/*
 * The session check and the read in one round trip, with no transaction
 * left open: the cheapest authenticated read.
 */
enum sscn_err
rfq_get(struct http_request *req)
{
	const char	*id = req->match.params[0];
	const char	*params[1] = { id };
	struct db_step	 step = { .name = "rfq_select", .nparams = 1,
	    .params = params };
	enum sscn_err	 err;

	/* A malformed id would fail the cast; it names no RFQ anyway. */
	if (!session_is_uuid(id)) {
		if ((err = authn_require(req)) != SSCN_OK)
			return err;
		return SSCN_ERR_NOT_FOUND;
	}
	if ((err = authn_require_pipeline(req, &step, 1)) != SSCN_OK)
		return err;
	if (PQntuples(step.res) != 1) {
		PQclear(step.res);
		return SSCN_ERR_NOT_FOUND;
	}
	if (!rfq_flag(step.res, 0, RFQ_C_IS_BUYER) &&
	    rfq_flag(step.res, 0, RFQ_C_NDA_REQUIRED) &&
	    !rfq_flag(step.res, 0, RFQ_C_NDA_ACCEPTED)) {
		rfq_send_nda_required(req, step.res);
		PQclear(step.res);
		return SSCN_OK;
	}
	rfq_send(req, 200, step.res);
	PQclear(step.res);
	return SSCN_OK;
}

/* ---- GET /api/v1/rfqs ------------------------------------------------------ */

/* The query of a list, checked against allow-lists. */
struct rfq_list_query {
	struct paging	 paging;
	const char	*statement;
	char		 status[16];	/* "" for every status */
	bool		 mine;
};

static bool
rfq_in(const char *value, const char *const *list)
{
	for (; *list != NULL; list++)
		if (strcmp(value, *list) == 0)
			return true;
	return false;
}

/*
 * Parse ?status=, ?mine=, ?sort=, ?order=, ?limit= and ?cursor=.  Sort
 * column and order pick one of four fixed statements.
 */
static void
rfq_list_parse(const char *query, struct rfq_list_query *q,
    struct json_object *fields)
{
	static const char *const statuses[] = { "draft", "published",
	    "closed", "awarded", "cancelled", NULL };
	static const char *const booleans[] = { "true", "false", NULL };
	char	sort[32] = "created_at", order[8] = "desc", mine[8];

	/* Problems are in "fields"; the cursor's own check follows. */
	if (paging_parse(query, &q->paging, fields) == SSCN_OK &&
	    q->paging.cursor[0] != '\0' && !session_is_uuid(q->paging.cursor))
		(void)paging_cursor_invalid(fields);

	q->status[0] = '\0';
	if (query_get(query, "status", q->status, sizeof(q->status)) !=
	    QUERY_ABSENT && !rfq_in(q->status, statuses))
		rfq_problem(fields, "status", "must be draft, published, "
		    "closed, awarded or cancelled");

	q->mine = false;
	if (query_get(query, "mine", mine, sizeof(mine)) != QUERY_ABSENT) {
		if (!rfq_in(mine, booleans))
			rfq_problem(fields, "mine", "must be true or false");
		q->mine = strcmp(mine, "true") == 0;
	}

	if (query_get(query, "sort", sort, sizeof(sort)) == QUERY_INVALID ||
	    !rfq_in(sort, (const char *const[]){ "created_at",
	    "quote_deadline", NULL }))
		rfq_problem(fields, "sort",
		    "must be created_at or quote_deadline");
	if (query_get(query, "order", order, sizeof(order)) == QUERY_INVALID ||
	    !rfq_in(order, (const char *const[]){ "asc", "desc", NULL }))
		rfq_problem(fields, "order", "must be asc or desc");

	if (strcmp(sort, "quote_deadline") == 0)
		q->statement = strcmp(order, "asc") == 0 ?
		    "rfq_list_deadline_asc" : "rfq_list_deadline_desc";
	else
		q->statement = strcmp(order, "asc") == 0 ?
		    "rfq_list_created_asc" : "rfq_list_created_desc";
}

enum sscn_err
rfq_list(struct http_request *req)
{
	struct json_object	*fields = json_object_new_object();
	struct json_object	*root, *items;
	struct rfq_list_query	 q;
	const char		*params[4];
	struct db_step		 step;
	enum sscn_err		 err;
	int			 i, rows;

	rfq_list_parse(req->query, &q, fields);
	if (json_object_object_length(fields) > 0) {
		if ((err = authn_require(req)) != SSCN_OK) {
			json_object_put(fields);
			return err;
		}
		return api_validation_failed(req, fields);
	}
	json_object_put(fields);

	params[0] = q.status[0] != '\0' ? q.status : NULL;
	params[1] = q.mine ? "true" : "false";
	params[2] = q.paging.cursor[0] != '\0' ? q.paging.cursor : NULL;
	params[3] = q.paging.fetch;
	step = (struct db_step){ .name = q.statement, .nparams = 4,
	    .params = params };
	if ((err = authn_require_pipeline(req, &step, 1)) != SSCN_OK)
		return err;

	root = json_object_new_object();
	items = json_object_new_array();
	rows = PQntuples(step.res);
	for (i = 0; i < rows && i < q.paging.limit; i++) {
		bool gated = !rfq_flag(step.res, i, RFQ_C_IS_BUYER) &&
		    rfq_flag(step.res, i, RFQ_C_NDA_REQUIRED) &&
		    !rfq_flag(step.res, i, RFQ_C_NDA_ACCEPTED);

		json_object_array_add(items, gated ?
		    rfq_teaser_json(step.res, i) : rfq_json(step.res, i, false));
	}
	json_object_object_add(root, "items", items);
	json_object_object_add(root, "next_cursor", rows > q.paging.limit ?
	    json_object_new_string(PQgetvalue(step.res, q.paging.limit - 1,
	    RFQ_C_ID)) : NULL);
	PQclear(step.res);
	http_send_json(req, 200, root);
	json_object_put(root);
	return SSCN_OK;
}

/* ---- changes: shared by every writing handler ------------------------ */

enum sscn_err
rfq_begin_change(struct http_request *req, PGresult **lock)
{
	const char		*params[1] = { req->match.params[0] };
	struct json_object	*details;
	PGresult		*res = NULL;
	enum sscn_err		 err;

	*lock = NULL;
	if ((err = authn_begin(req)) != SSCN_OK)
		return err;
	if (!session_is_uuid(params[0]))
		return SSCN_ERR_NOT_FOUND;

	/* The deadline closed it already: the first write records that. */
	err = api_db(req, "rfq_close_at_deadline", 1, params, &res);
	if (err == SSCN_OK && PQntuples(res) == 1) {
		details = json_object_new_object();
		json_object_object_add(details, "reason",
		    json_object_new_string("deadline"));
		err = audit_write(req, req->user_id, req->org_id, "rfq.close",
		    params[0], "success", details);
		json_object_put(details);
	}
	PQclear(res);
	if (err == SSCN_OK)
		err = api_db(req, "rfq_lock", 1, params, lock);
	if (err == SSCN_OK && PQntuples(*lock) != 1)
		err = SSCN_ERR_NOT_FOUND;
	if (err != SSCN_OK) {
		PQclear(*lock);
		*lock = NULL;
		db_rollback(&req->worker->db, req->request_id);
	}
	return err;
}

enum sscn_err
rfq_end_change(struct http_request *req, enum sscn_err err)
{
	enum sscn_err committed;

	if (err != SSCN_OK && err != SSCN_ERR_CONFLICT &&
	    err != SSCN_ERR_VALIDATION) {
		return api_rollback(req, err);
	}
	committed = db_commit(&req->worker->db, req->request_id);
	return committed != SSCN_OK ? committed : err;
}

/* ---- PATCH /api/v1/rfqs/{id} ----------------------------------------------- */

/*
 * Check the body against the locked RFQ: its state, the If-Match
 * version, the fields that a published RFQ may still change and the
 * dates as they would be after the change.
 */
static enum sscn_err
rfq_check_patch(struct http_request *req, PGresult *lock,
    const struct rfq_input *in, struct json_object *fields)
{
	const char	*status = PQgetvalue(lock, 0, RFQ_L_STATUS);
	const char	*if_match = http_param(req, "HTTP_IF_MATCH");
	bool		 published = strcmp(status, "published") == 0;
	bool		 need_by_set, deadline_set;
	int64_t		 need_by = 0, deadline = 0;
	char		 etag[24];
	size_t		 i;

	if (!published && strcmp(status, "draft") != 0)
		return SSCN_ERR_CONFLICT;
	snprintf(etag, sizeof(etag), "\"%s\"", PQgetvalue(lock, 0,
	    RFQ_L_VERSION));
	if (if_match != NULL && strcmp(if_match, "*") != 0 &&
	    strcmp(if_match, etag) != 0) {
		log_info(req->request_id, "rfq_version_mismatch",
		    "rfq_id=%s", req->match.params[0]);
		return SSCN_ERR_CONFLICT;
	}

	for (i = 0; published && i < RFQ_NFIELDS; i++) {
		const struct rfq_field	*f = &rfq_fields[i];
		struct json_object	*value;

		if (!json_object_object_get_ex(in->changes, f->name, &value))
			continue;
		if (!f->amendable)
			rfq_problem(fields, f->name,
			    "cannot be changed once the RFQ is published");
		else if (value == NULL && strcmp(f->name, "need_by") != 0 &&
		    strcmp(f->name, "description") != 0)
			rfq_problem(fields, f->name,
			    "must not be null once the RFQ is published");
	}

	need_by_set = in->has_need_by ? in->need_by_set :
	    !PQgetisnull(lock, 0, RFQ_L_NEED_BY) &&
	    rfq_parse_date(PQgetvalue(lock, 0, RFQ_L_NEED_BY), &need_by);
	if (in->has_need_by)
		need_by = in->need_by;
	deadline_set = in->has_deadline ? in->deadline_set :
	    !PQgetisnull(lock, 0, RFQ_L_DEADLINE);
	deadline = in->has_deadline ? in->deadline :
	    strtoll(PQgetvalue(lock, 0, RFQ_L_DEADLINE), NULL, 10);
	rfq_check_dates(in, need_by_set, need_by, deadline_set, deadline,
	    fields);
	if (published && in->deadline_set && in->deadline <= authn_now())
		rfq_problem(fields, "quote_deadline", "must be in the future");
	return json_object_object_length(fields) > 0 ? SSCN_ERR_VALIDATION :
	    SSCN_OK;
}

/*
 * Apply a checked change.  While published, a change of the terms moves
 * the submitted quotes to needs_reconfirmation.  "*res" gets the RFQ.
 */
static enum sscn_err
rfq_apply_patch(struct http_request *req, bool published,
    const struct rfq_input *in, PGresult **res)
{
	const char		*params[2];
	struct json_object	*details;
	PGresult		*moved = NULL;
	enum sscn_err		 err;
	bool			 terms_changed;

	params[0] = req->match.params[0];
	params[1] = json_object_to_json_string_ext(in->changes,
	    JSON_C_TO_STRING_PLAIN);
	if ((err = api_db(req, "rfq_update", 2, params, res)) != SSCN_OK)
		return err;
	if (PQntuples(*res) != 1)
		return SSCN_ERR_NOT_FOUND;
	terms_changed = rfq_flag(*res, 0, RFQ_DETAIL_NCOLUMNS);

	details = json_object_new_object();
	json_object_object_add(details, "fields",
	    rfq_changed_fields(in->changes));
	if (published && terms_changed) {
		params[1] = "needs_reconfirmation";
		err = api_db(req, "rfq_move_quotes", 2, params, &moved);
		if (err == SSCN_OK)
			json_object_object_add(details,
			    "quotes_needing_reconfirmation",
			    json_object_new_int(atoi(PQgetvalue(moved, 0, 0))));
		PQclear(moved);
	}
	if (err == SSCN_OK)
		err = audit_write(req, req->user_id, req->org_id, published ?
		    "rfq.amend" : "rfq.update", req->match.params[0],
		    "success", details);
	json_object_put(details);
	return err;
}

enum sscn_err
rfq_patch(struct http_request *req)
{
	struct json_object	*fields = json_object_new_object();
	struct rfq_input	 in;
	PGresult		*lock = NULL, *res = NULL;
	enum sscn_err		 err;
	bool			 published;

	err = rfq_read_body(req, false, &in, fields);
	if (err == SSCN_OK)
		err = authn_require(req);
	if (err == SSCN_OK && json_object_object_length(fields) == 0)
		err = rfq_begin_change(req, &lock);
	if (err != SSCN_OK || json_object_object_length(fields) > 0) {
		json_object_put(in.changes);
		if (err != SSCN_OK) {
			json_object_put(fields);
			return err;
		}
		return api_validation_failed(req, fields);
	}

	published = strcmp(PQgetvalue(lock, 0, RFQ_L_STATUS), "published") == 0;
	err = rfq_check_patch(req, lock, &in, fields);
	PQclear(lock);
	if (err == SSCN_OK && json_object_object_length(in.changes) == 0)
		err = api_db(req, "rfq_select", 1, req->match.params, &res);
	else if (err == SSCN_OK)
		err = rfq_apply_patch(req, published, &in, &res);
	json_object_put(in.changes);

	err = rfq_end_change(req, err);
	if (err == SSCN_ERR_VALIDATION) {
		PQclear(res);
		return api_validation_failed(req, fields);
	}
	json_object_put(fields);
	if (err != SSCN_OK) {
		PQclear(res);
		return err;
	}
	rfq_send(req, 200, res);
	PQclear(res);
	return SSCN_OK;
}
