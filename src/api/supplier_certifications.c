/*
 * supplier_certifications.c - the certifications of a supplier profile.
 *
 * Certifications are edited through the profile: "certifications" in the
 * body of PUT /api/v1/suppliers/{org_id}/profile is the complete new list.
 * An entry with the "id" of a stored certification updates it, an entry
 * without "id" adds one, and a stored certification left out is deleted.
 * Each entry:
 *
 *	id		UUID of a certification of this organization, optional
 *	scheme		1 to 100 characters, e.g. "ISO 9001:2015"
 *	certificate_no	1 to 100 characters
 *	issuer		1 to 200 characters, the certification body
 *	valid_from	"YYYY-MM-DD"
 *	valid_until	"YYYY-MM-DD", not before valid_from
 *	document_id	UUID of a document of this organization uploaded with
 *			purpose "certificate", optional
 *
 * The status is never taken from the body: the runtime role has no
 * privilege on it, a new certification is "claimed", and a trigger turns a
 * verified one back into a claim when its content changes.  Readers see
 * "expired" once valid_until has passed.
 */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <json-c/json.h>
#include <libpq-fe.h>

#include "sscn.h"
#include "api/auth_session.h"
#include "api/suppliers.h"
#include "auth/token.h"

#define CERT_MAX		50	/* certifications per organization */
#define CERT_SCHEME_MAX		100	/* characters, as the table's CHECKs */
#define CERT_NUMBER_MAX		100
#define CERT_ISSUER_MAX		200

/* Years outside this range are typing errors, not certificates. */
#define CERT_YEAR_MIN		1900
#define CERT_YEAR_MAX		2199

/* True for a calendar date written "YYYY-MM-DD" within the year range. */
static bool
cert_date_valid(const char *s)
{
	static const int days[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31,
	    30, 31 };
	int	 year, month, day, max;
	size_t	 i;

	if (strlen(s) != 10 || s[4] != '-' || s[7] != '-')
		return false;
	for (i = 0; i < 10; i++)
		if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9'))
			return false;
	year = atoi(s);
	month = atoi(s + 5);
	day = atoi(s + 8);
	if (year < CERT_YEAR_MIN || year > CERT_YEAR_MAX || month < 1 ||
	    month > 12)
		return false;
	max = days[month - 1];
	if (month == 2 && year % 4 == 0 && (year % 100 != 0 ||
	    year % 400 == 0))
		max = 29;
	return day >= 1 && day <= max;
}

/*
 * A UUID field "field" of "item": NULL in "*out" when absent or null, a
 * problem in "sub" when it is not a UUID.  The UUID is lower-cased in
 * place, as PostgreSQL prints it, so that it compares with stored ids.
 */
static void
cert_uuid_field(struct json_object *item, const char *field,
    const char **out, struct json_object *sub)
{
	struct json_object	*value;
	char			 lower[37];
	size_t			 i;

	*out = NULL;
	if (!json_object_object_get_ex(item, field, &value) || value == NULL)
		return;
	if (!json_object_is_type(value, json_type_string) ||
	    !session_is_uuid(json_object_get_string(value))) {
		json_object_object_add(sub, field,
		    json_object_new_string("must be a UUID"));
		return;
	}
	for (i = 0; i < 37; i++)
		lower[i] = (char)tolower((unsigned char)
		    json_object_get_string(value)[i]);
	json_object_object_add(item, field, json_object_new_string(lower));
	json_object_object_get_ex(item, field, &value);
	*out = json_object_get_string(value);
}

/*
 * Check one entry into "row"; problems go into "sub".  "stored" contains the
 * ids of the organization's certifications, "seen" the ids of earlier
 * entries.
 */
static void
cert_entry(struct json_object *item, struct json_object *stored,
    struct json_object *seen, struct json_object *row, struct json_object *sub)
{
	static const char *const allowed[] = { "id", "scheme",
	    "certificate_no", "issuer", "valid_from", "valid_until",
	    "document_id", NULL };
	static const char *const texts[] = { "scheme", "certificate_no",
	    "issuer" };
	static const size_t text_max[] = { CERT_SCHEME_MAX, CERT_NUMBER_MAX,
	    CERT_ISSUER_MAX };
	const char	*id = NULL, *document = NULL, *text;
	const char	*from = NULL, *until = NULL;
	char		 new_id[37];
	size_t		 i;

	json_reject_unknown(item, allowed, sub);
	cert_uuid_field(item, "id", &id, sub);
	if (id != NULL && !json_object_object_get_ex(stored, id, NULL))
		json_object_object_add(sub, "id", json_object_new_string(
		    "is not a certification of this organization"));
	else if (id != NULL && json_object_object_get_ex(seen, id, NULL))
		json_object_object_add(sub, "id",
		    json_object_new_string("is a duplicate"));
	else if (id != NULL)
		json_object_object_add(seen, id, NULL);
	if (id == NULL) {
		token_random_uuid(new_id);
		id = new_id;
	}
	json_object_object_add(row, "id", json_object_new_string(id));

	for (i = 0; i < 3; i++) {
		text = NULL;
		if (json_get_text(item, texts[i], true, text_max[i], false,
		    &text, sub) != SSCN_OK)
			continue;
		if (text[0] == '\0') {
			json_object_object_add(sub, texts[i],
			    json_object_new_string("must not be empty"));
			continue;
		}
		json_object_object_add(row, texts[i],
		    json_object_new_string(text));
	}

	json_get_string(item, "valid_from", true, 10, &from, sub);
	json_get_string(item, "valid_until", true, 10, &until, sub);
	if (from != NULL && !cert_date_valid(from))
		json_object_object_add(sub, "valid_from", json_object_new_string(
		    "must be a date YYYY-MM-DD"));
	else if (until != NULL && !cert_date_valid(until))
		json_object_object_add(sub, "valid_until", json_object_new_string(
		    "must be a date YYYY-MM-DD"));
	else if (from != NULL && until != NULL && strcmp(until, from) < 0)
		json_object_object_add(sub, "valid_until", json_object_new_string(
		    "must not be before valid_from"));
	json_object_object_add(row, "valid_from",
	    from != NULL ? json_object_new_string(from) : NULL);
	json_object_object_add(row, "valid_until",
	    until != NULL ? json_object_new_string(until) : NULL);

	cert_uuid_field(item, "document_id", &document, sub);
	json_object_object_add(row, "document_id",
	    document != NULL ? json_object_new_string(document) : NULL);
}

/*
 * Read into "set" (an object used as a set of ids) the first column of
 * statement "name" with "params".
 */
static enum sscn_err
cert_id_set(struct http_request *req, const char *name, int nparams,
    const char *const *params, struct json_object *set)
{
	PGresult	*res = NULL;
	enum sscn_err	 err;
	int		 i;

	if ((err = api_db(req, name, nparams, params, &res)) != SSCN_OK)
		return err;
	for (i = 0; i < PQntuples(res); i++)
		json_object_object_add(set, PQgetvalue(res, i, 0), NULL);
	PQclear(res);
	return SSCN_OK;
}

/*
 * Check every document_id of "rows" against the organization's
 * certificate documents, in one query; a problem names the entry by its
 * index, which is the same in "rows" and in the body.
 */
static enum sscn_err
cert_documents_check(struct http_request *req, struct json_object *rows,
    struct json_object *fields)
{
	struct json_object	*requested, *found, *value;
	const char		*params[2];
	enum sscn_err		 err;
	size_t			 i, n = json_object_array_length(rows);
	char			 name[SUPPLIER_FIELD_NAME_SIZE];

	requested = json_object_new_array();
	for (i = 0; i < n; i++)
		if (json_object_object_get_ex(json_object_array_get_idx(rows, i),
		    "document_id", &value) && value != NULL)
			json_object_array_add(requested, json_object_get(value));
	if (json_object_array_length(requested) == 0) {
		json_object_put(requested);
		return SSCN_OK;
	}

	found = json_object_new_object();
	params[0] = json_object_to_json_string_ext(requested,
	    JSON_C_TO_STRING_PLAIN);
	params[1] = req->org_id;
	err = cert_id_set(req, "supplier_certificate_documents", 2, params,
	    found);
	for (i = 0; err == SSCN_OK && i < n; i++) {
		if (!json_object_object_get_ex(json_object_array_get_idx(rows,
		    i), "document_id", &value) || value == NULL ||
		    json_object_object_get_ex(found,
		    json_object_get_string(value), NULL))
			continue;
		snprintf(name, sizeof(name), "certifications[%zu].document_id",
		    i);
		json_object_object_add(fields, name, json_object_new_string(
		    "is not a certificate document of this organization"));
		err = SSCN_ERR_VALIDATION;
	}
	json_object_put(found);
	json_object_put(requested);
	return err;
}

enum sscn_err
supplier_certifications_check(struct http_request *req,
    struct json_object *list, struct json_object **out,
    struct json_object *fields)
{
	struct json_object	*stored, *seen, *rows;
	const char		*params[1] = { req->org_id };
	enum sscn_err		 err = SSCN_OK;
	size_t			 i, n;
	char			 name[SUPPLIER_FIELD_NAME_SIZE];

	if (!json_object_is_type(list, json_type_array)) {
		json_object_object_add(fields, "certifications",
		    json_object_new_string("must be an array"));
		return SSCN_ERR_VALIDATION;
	}
	n = json_object_array_length(list);
	if (n > CERT_MAX) {
		json_object_object_add(fields, "certifications",
		    json_object_new_string("has too many entries"));
		return SSCN_ERR_VALIDATION;
	}

	stored = json_object_new_object();
	if ((err = cert_id_set(req, "supplier_certification_ids", 1, params,
	    stored)) != SSCN_OK) {
		json_object_put(stored);
		return err;
	}
	seen = json_object_new_object();
	rows = json_object_new_array();
	for (i = 0; i < n; i++) {
		struct json_object	*item = json_object_array_get_idx(list, i);
		struct json_object	*row, *sub;

		snprintf(name, sizeof(name), "certifications[%zu]", i);
		if (!json_object_is_type(item, json_type_object)) {
			json_object_object_add(fields, name,
			    json_object_new_string("must be an object"));
			err = SSCN_ERR_VALIDATION;
			continue;
		}
		row = json_object_new_object();
		sub = json_object_new_object();
		cert_entry(item, stored, seen, row, sub);
		if (json_object_object_length(sub) > 0)
			err = SSCN_ERR_VALIDATION;
		supplier_merge_problems(fields, sub, name);
		json_object_array_add(rows, row);
	}
	json_object_put(seen);
	json_object_put(stored);

	if (err == SSCN_OK)
		err = cert_documents_check(req, rows, fields);
	if (err != SSCN_OK) {
		json_object_put(rows);
		return err;
	}
	*out = rows;
	return SSCN_OK;
}

enum sscn_err
supplier_certifications_store(struct http_request *req,
    struct json_object *rows, struct json_object *details, bool *changed)
{
	struct json_object	*counts;
	const char		*params[3];
	PGresult		*res = NULL;
	enum sscn_err		 err;

	params[0] = req->org_id;
	params[1] = json_object_to_json_string_ext(rows,
	    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
	params[2] = req->user_id;
	err = api_db(req, "supplier_certifications_replace", 3, params, &res);
	if (err != SSCN_OK)
		return err;
	if (PQntuples(res) != 1) {
		PQclear(res);
		return SSCN_ERR_INTERNAL;
	}

	counts = json_object_new_object();
	json_object_object_add(counts, "removed",
	    json_object_new_int(atoi(PQgetvalue(res, 0, 0))));
	json_object_object_add(counts, "added",
	    json_object_new_int(atoi(PQgetvalue(res, 0, 1))));
	json_object_object_add(counts, "changed",
	    json_object_new_int(atoi(PQgetvalue(res, 0, 2))));
	*changed = strcmp(PQgetvalue(res, 0, 0), "0") != 0 ||
	    strcmp(PQgetvalue(res, 0, 1), "0") != 0 ||
	    strcmp(PQgetvalue(res, 0, 2), "0") != 0;
	json_object_object_add(details, "certifications", counts);
	PQclear(res);
	return SSCN_OK;
}
