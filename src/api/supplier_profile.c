/*
 * supplier_profile.c - PUT /api/v1/suppliers/{org_id}/profile.
 *
 * Only an owner or admin of the supplier organization itself may write its
 * profile.  A member of it gets 403, and everyone else 404 as for a
 * profile that does not exist.  Row-level security enforces the same rule
 * again.
 *
 * The body, every field optional (a field left out keeps its stored
 * value, and a new profile starts empty):
 *
 *	description	Markdown, at most 20000 characters, multi-line
 *	categories	[code]		at most 20 codes of GET /api/v1/categories
 *	regions		[code]		at most 50 ISO 3166-1 alpha-2 codes
 *	capacities	[{category, quantity, unit, per}]	at most 50
 *	identifiers	[{scheme, id}]	at most 20, scheme from an allow-list
 *	website		"https://..."	"" or null removes it
 *	certifications	[...]		see supplier_certifications.c
 *
 * The Markdown is rendered here with cmark, which replaces raw HTML by a
 * comment and drops javascript:, vbscript:, file: and data: links (except
 * data: images of PNG, GIF, JPEG and WebP); both the source and the HTML
 * are stored.  Profile, certifications and the audit row are written in one
 * transaction, and the answer is the profile as GET returns it.
 */
#include "config.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cmark.h>
#include <json-c/json.h>
#include <libpq-fe.h>

#include "sscn.h"
#include "api/suppliers.h"

#define PROFILE_DESCRIPTION_MAX	20000	/* characters, as the table's CHECK */
#define PROFILE_CATEGORIES_MAX	20	/* as the table's CHECK */
#define PROFILE_REGIONS_MAX	50	/* as the table's CHECK */
#define PROFILE_CAPACITIES_MAX	50
#define PROFILE_IDENTIFIERS_MAX	20
#define PROFILE_UNIT_MAX	20	/* characters, e.g. "pieces", "t" */
#define PROFILE_IDENTIFIER_MAX	64	/* characters of an identifier */
/* Largest capacity, so a quantity survives JSON and numeric round trips. */
#define PROFILE_QUANTITY_MAX	1e12
/* "https://" plus at most 2000 characters, as the table's CHECK. */
#define PROFILE_WEBSITE_MAX	2008

/* A profile body after its checks; NULL members were not given. */
struct profile_input {
	const char		*description;
	char			*description_html;	/* cmark's, free() */
	struct json_object	*categories;
	struct json_object	*regions;
	struct json_object	*capacities;
	struct json_object	*identifiers;
	bool			 website_given;
	const char		*website;		/* NULL removes it */
	struct json_object	*certifications;	/* rows to store */
};

static void
profile_input_free(struct profile_input *in)
{
	free(in->description_html);
	json_object_put(in->categories);
	json_object_put(in->regions);
	json_object_put(in->capacities);
	json_object_put(in->identifiers);
	json_object_put(in->certifications);
}

/* Add "problem" for "name" to "fields"; returns SSCN_ERR_VALIDATION. */
static enum sscn_err
profile_problem(struct json_object *fields, const char *name,
    const char *problem)
{
	json_object_object_add(fields, name, json_object_new_string(problem));
	return SSCN_ERR_VALIDATION;
}

void
supplier_merge_problems(struct json_object *fields, struct json_object *sub,
    const char *prefix)
{
	char name[128];

	json_object_object_foreach(sub, key, value) {
		snprintf(name, sizeof(name), "%s.%s", prefix, key);
		json_object_object_add(fields, name, json_object_get(value));
	}
	json_object_put(sub);
}

/*
 * The array "field" of "body" in "*list", NULL when the field is absent
 * or null.  An array longer than "max" or another type is a problem.
 */
static enum sscn_err
profile_array(struct json_object *body, const char *field, size_t max,
    struct json_object **list, struct json_object *fields)
{
	*list = NULL;
	if (!json_object_object_get_ex(body, field, list) || *list == NULL)
		return SSCN_OK;
	if (!json_object_is_type(*list, json_type_array)) {
		*list = NULL;
		return profile_problem(fields, field, "must be an array");
	}
	if (json_object_array_length(*list) > max) {
		*list = NULL;
		return profile_problem(fields, field, "has too many entries");
	}
	return SSCN_OK;
}

/*
 * Check "field", an array of at most "max" distinct codes of list "kind",
 * into "*out" (a new array) when it is given.
 */
static enum sscn_err
profile_codes(struct http_request *req, struct json_object *body,
    const char *field, enum code_kind kind, size_t max,
    struct json_object **out, struct json_object *fields)
{
	struct json_object	*list, *codes;
	enum sscn_err		 err, lookup;
	size_t			 i, j, n;

	if ((err = profile_array(body, field, max, &list, fields)) != SSCN_OK ||
	    list == NULL)
		return err;

	codes = json_object_new_array();
	n = json_object_array_length(list);
	for (i = 0; i < n; i++) {
		struct json_object	*item = json_object_array_get_idx(list, i);
		const char		*code = json_object_get_string(item);
		char			 name[SUPPLIER_FIELD_NAME_SIZE];
		bool			 valid = false;

		snprintf(name, sizeof(name), "%s[%zu]", field, i);
		if (!json_object_is_type(item, json_type_string) ||
		    json_object_get_string_len(item) > 40) {
			err = profile_problem(fields, name,
			    "must be a code of the list");
			continue;
		}
		if ((lookup = codes_check(req, kind, code, &valid)) !=
		    SSCN_OK) {
			json_object_put(codes);
			return lookup;
		}
		if (!valid) {
			err = profile_problem(fields, name, kind == CODE_COUNTRY ?
			    "is not an ISO 3166-1 alpha-2 country code" :
			    "is not a category code");
			continue;
		}
		for (j = 0; j < i; j++)
			if (strcmp(code, json_object_get_string(
			    json_object_array_get_idx(list, j))) == 0)
				break;
		if (j < i) {
			err = profile_problem(fields, name, "is a duplicate");
			continue;
		}
		json_object_array_add(codes, json_object_new_string(code));
	}
	if (err != SSCN_OK) {
		json_object_put(codes);
		return err;
	}
	*out = codes;
	return SSCN_OK;
}

/* One capacity {category, quantity > 0, unit, per} into "out". */
static enum sscn_err
profile_capacity(struct http_request *req, struct json_object *item,
    struct json_object *out, struct json_object *sub)
{
	static const char *const allowed[] = { "category", "quantity", "unit",
	    "per", NULL };
	struct json_object	*quantity = NULL;
	const char		*category = NULL, *unit = NULL, *per = NULL;
	enum sscn_err		 err;
	double			 q;
	bool			 valid = false;

	/* Each getter records its own problem in "sub". */
	json_reject_unknown(item, allowed, sub);
	json_get_string(item, "category", true, 40, &category, sub);
	if (json_get_text(item, "unit", true, PROFILE_UNIT_MAX, false, &unit,
	    sub) == SSCN_OK && unit[0] == '\0')
		profile_problem(sub, "unit", "must not be empty");
	json_get_string(item, "per", true, 8, &per, sub);

	if (category != NULL) {
		if ((err = codes_check(req, CODE_CATEGORY, category, &valid)) !=
		    SSCN_OK)
			return err;
		if (!valid)
			profile_problem(sub, "category", "is not a category code");
	}
	if (per != NULL && strcmp(per, "month") != 0 &&
	    strcmp(per, "week") != 0 && strcmp(per, "year") != 0)
		profile_problem(sub, "per", "must be month, week or year");

	if (!json_object_object_get_ex(item, "quantity", &quantity) ||
	    quantity == NULL)
		profile_problem(sub, "quantity", "missing");
	else if (!json_object_is_type(quantity, json_type_int) &&
	    !json_object_is_type(quantity, json_type_double))
		profile_problem(sub, "quantity", "must be a number");
	else {
		q = json_object_get_double(quantity);
		if (!isfinite(q) || q <= 0 || q > PROFILE_QUANTITY_MAX)
			profile_problem(sub, "quantity",
			    "must be greater than 0 and at most 1e12");
	}

	if (json_object_object_length(sub) > 0)
		return SSCN_ERR_VALIDATION;
	json_object_object_add(out, "category",
	    json_object_new_string(category));
	json_object_object_add(out, "quantity", json_object_get(quantity));
	json_object_object_add(out, "unit", json_object_new_string(unit));
	json_object_object_add(out, "per", json_object_new_string(per));
	return SSCN_OK;
}

/* True when "s" matches [A-Z]{prefix}[A-Z0-9]{min,max} (length of tail). */
static bool
profile_id_shape(const char *s, size_t prefix, size_t min, size_t max,
    bool digits_only)
{
	size_t i, len = strlen(s);

	if (len < prefix + min || len > prefix + max)
		return false;
	for (i = 0; i < len; i++) {
		int c = (unsigned char)s[i];

		if (i < prefix ? !(c >= 'A' && c <= 'Z') :
		    !(isdigit(c) || (!digits_only && c >= 'A' && c <= 'Z')))
			return false;
	}
	return true;
}

/*
 * True for a Legal Entity Identifier: 18 letters or digits and two check
 * digits, with the ISO 7064 MOD 97-10 remainder 1 that ISO 17442 requires
 * (letters count as 10 to 35).
 */
static bool
profile_lei_valid(const char *s)
{
	unsigned	 rem = 0;
	size_t		 i;

	if (!profile_id_shape(s, 0, 20, 20, false) ||
	    !isdigit((unsigned char)s[18]) || !isdigit((unsigned char)s[19]))
		return false;
	for (i = 0; i < 20; i++) {
		int c = (unsigned char)s[i];

		if (isdigit(c))
			rem = (rem * 10 + (unsigned)(c - '0')) % 97;
		else
			rem = (rem * 100 + (unsigned)(c - 'A' + 10)) % 97;
	}
	return rem == 1;
}

/*
 * The problem with identifier "id" of "scheme", NULL when it is valid, or
 * "unknown" for a scheme off the allow-list.  Identifiers are written
 * without spaces, letters in upper case.
 */
static const char *
profile_identifier_problem(const char *scheme, const char *id, bool *known)
{
	*known = true;
	if (strcmp(scheme, "VAT") == 0)
		return profile_id_shape(id, 2, 2, 13, false) ? NULL :
		    "must be a country prefix and 2 to 13 letters or digits";
	if (strcmp(scheme, "EORI") == 0)
		return profile_id_shape(id, 2, 1, 15, false) ? NULL :
		    "must be a country prefix and 1 to 15 letters or digits";
	if (strcmp(scheme, "DUNS") == 0)
		return profile_id_shape(id, 0, 9, 9, true) ? NULL :
		    "must be 9 digits";
	if (strcmp(scheme, "LEI") == 0)
		return profile_lei_valid(id) ? NULL :
		    "must be a 20-character LEI with valid check digits";
	if (strcmp(scheme, "company_register") == 0)
		return id[0] != '\0' ? NULL : "must not be empty";
	*known = false;
	return NULL;
}

static enum sscn_err
profile_identifier(struct http_request *req, struct json_object *item,
    struct json_object *out, struct json_object *sub)
{
	static const char *const allowed[] = { "scheme", "id", NULL };
	const char	*scheme = NULL, *id = NULL, *problem;
	bool		 known;

	(void)req;
	json_reject_unknown(item, allowed, sub);
	json_get_string(item, "scheme", true, 32, &scheme, sub);
	if (json_get_text(item, "id", true, PROFILE_IDENTIFIER_MAX, false, &id,
	    sub) == SSCN_OK && scheme != NULL) {
		problem = profile_identifier_problem(scheme, id, &known);
		if (!known)
			profile_problem(sub, "scheme", "must be VAT, DUNS, LEI, "
			    "EORI or company_register");
		else if (problem != NULL)
			profile_problem(sub, "id", problem);
	}
	if (json_object_object_length(sub) > 0)
		return SSCN_ERR_VALIDATION;
	json_object_object_add(out, "scheme", json_object_new_string(scheme));
	json_object_object_add(out, "id", json_object_new_string(id));
	return SSCN_OK;
}

/* True when "rows" already contains an entry equal to "row". */
static bool
profile_row_repeated(struct json_object *rows, struct json_object *row)
{
	size_t i, n = json_object_array_length(rows);

	for (i = 0; i < n; i++)
		if (json_object_equal(json_object_array_get_idx(rows, i), row))
			return true;
	return false;
}

/* Check one object of an array field into "row", problems into "sub". */
typedef enum sscn_err (*profile_item_check)(struct http_request *,
    struct json_object *item, struct json_object *row,
    struct json_object *sub);

/*
 * Check "field", an array of at most "max" distinct objects, each with
 * "check", into "*out" (a new array of the checked rows) when it is given.
 */
static enum sscn_err
profile_objects(struct http_request *req, struct json_object *body,
    const char *field, size_t max, profile_item_check check,
    struct json_object **out, struct json_object *fields)
{
	struct json_object	*list, *rows;
	enum sscn_err		 err, item_err;
	size_t			 i, n;

	if ((err = profile_array(body, field, max, &list, fields)) !=
	    SSCN_OK || list == NULL)
		return err;

	rows = json_object_new_array();
	n = json_object_array_length(list);
	for (i = 0; i < n; i++) {
		struct json_object	*item = json_object_array_get_idx(list, i);
		struct json_object	*row, *sub;
		char			 name[SUPPLIER_FIELD_NAME_SIZE];

		snprintf(name, sizeof(name), "%s[%zu]", field, i);
		if (!json_object_is_type(item, json_type_object)) {
			err = profile_problem(fields, name, "must be an object");
			continue;
		}
		row = json_object_new_object();
		sub = json_object_new_object();
		item_err = check(req, item, row, sub);
		if (item_err == SSCN_OK && profile_row_repeated(rows, row))
			item_err = profile_problem(fields, name,
			    "is a duplicate");
		supplier_merge_problems(fields, sub, name);
		if (item_err == SSCN_OK) {
			json_object_array_add(rows, row);
			continue;
		}
		json_object_put(row);
		err = item_err;
		if (err != SSCN_ERR_VALIDATION)
			break;
	}
	if (err != SSCN_OK) {
		json_object_put(rows);
		return err;
	}
	*out = rows;
	return SSCN_OK;
}

/*
 * True for an https URL whose authority is a host name (letters, digits,
 * '-', '.') with an optional port, followed by nothing or a path, query
 * or fragment of the characters RFC 3986 allows.  User information
 * ("https://good.example@evil.example") is rejected because it hides the
 * real host from a reader.
 */
static bool
profile_website_valid(const char *url)
{
	const char	*p, *host;
	size_t		 len = strlen(url);

	if (len > PROFILE_WEBSITE_MAX || strncmp(url, "https://", 8) != 0)
		return false;
	host = url + 8;
	for (p = host; isalnum((unsigned char)*p) || *p == '-' || *p == '.';
	    p++)
		;
	if (p == host || *host == '.' || *host == '-')
		return false;
	if (*p == ':') {
		const char *port = ++p;

		while (isdigit((unsigned char)*p))
			p++;
		if (p == port || p - port > 5)
			return false;
	}
	if (*p != '\0' && *p != '/' && *p != '?' && *p != '#')
		return false;
	for (; *p != '\0'; p++)
		if (!isalnum((unsigned char)*p) &&
		    strchr("-._~:/?#[]@!$&'()*+,;=%", *p) == NULL)
			return false;
	return true;
}

static enum sscn_err
profile_website(struct json_object *body, struct profile_input *in,
    struct json_object *fields)
{
	struct json_object	*value;
	const char		*url = NULL;

	if (!json_object_object_get_ex(body, "website", &value))
		return SSCN_OK;
	in->website_given = true;
	if (value == NULL)
		return SSCN_OK;
	if (json_get_text(body, "website", true, PROFILE_WEBSITE_MAX, false,
	    &url, fields) != SSCN_OK)
		return SSCN_ERR_VALIDATION;
	if (url[0] == '\0')
		return SSCN_OK;
	if (!profile_website_valid(url))
		return profile_problem(fields, "website",
		    "must be an https URL of a host name, without user name");
	in->website = url;
	return SSCN_OK;
}

/*
 * The cmark 0.30.2 header states that safe mode,
 * which drops raw HTML and unsafe links, is the default and that
 * CMARK_OPT_SAFE no longer has an effect.  The option is still passed,
 * so that an older libcmark that needs it behaves the same.
 * CMARK_OPT_UNSAFE must never be set.
 */
char *
supplier_markdown_html(const char *markdown)
{
	return cmark_markdown_to_html(markdown, strlen(markdown),
	    CMARK_OPT_SAFE);
}

static enum sscn_err
profile_description(struct http_request *req, struct json_object *body,
    struct profile_input *in, struct json_object *fields)
{
	enum sscn_err err;

	err = json_get_text(body, "description", false,
	    PROFILE_DESCRIPTION_MAX, true, &in->description, fields);
	if (err != SSCN_OK || in->description == NULL)
		return err;
	in->description_html = supplier_markdown_html(in->description);
	if (in->description_html == NULL) {
		log_error(req->request_id, "markdown_render_failed",
		    "error=\"out of memory\"");
		return SSCN_ERR_INTERNAL;
	}
	return SSCN_OK;
}

/*
 * Check the parts of the body that need no database into "in": unknown
 * fields, website, description and identifiers.  Problems go into
 * "fields".  Returns SSCN_ERR_INTERNAL only when the Markdown could not
 * be rendered, else SSCN_OK.
 */
static enum sscn_err
profile_parse_plain(struct http_request *req, struct profile_input *in,
    struct json_object *fields)
{
	static const char *const allowed[] = { "description", "categories",
	    "regions", "capacities", "identifiers", "website",
	    "certifications", NULL };
	struct json_object	*body = req->json;

	json_reject_unknown(body, allowed, fields);
	profile_website(body, in, fields);
	if (profile_description(req, body, in, fields) == SSCN_ERR_INTERNAL)
		return SSCN_ERR_INTERNAL;
	profile_objects(req, body, "identifiers", PROFILE_IDENTIFIERS_MAX,
	    profile_identifier, &in->identifiers, fields);
	return SSCN_OK;
}

/*
 * Check the parts of the body that need the database into "in": the
 * categories, regions and capacities against the code lists, and the
 * certifications against the documents of the session's organization.
 * Returns SSCN_ERR_VALIDATION when "fields" has a problem, from this step
 * or an earlier one, or another error when a lookup failed.
 */
static enum sscn_err
profile_parse_lookups(struct http_request *req, struct profile_input *in,
    struct json_object *fields)
{
	struct json_object	*body = req->json, *certs = NULL;
	enum sscn_err		 err;

	if ((err = profile_codes(req, body, "categories", CODE_CATEGORY,
	    PROFILE_CATEGORIES_MAX, &in->categories, fields)) != SSCN_OK &&
	    err != SSCN_ERR_VALIDATION)
		return err;
	if ((err = profile_codes(req, body, "regions", CODE_COUNTRY,
	    PROFILE_REGIONS_MAX, &in->regions, fields)) != SSCN_OK &&
	    err != SSCN_ERR_VALIDATION)
		return err;
	if ((err = profile_objects(req, body, "capacities",
	    PROFILE_CAPACITIES_MAX, profile_capacity, &in->capacities,
	    fields)) != SSCN_OK && err != SSCN_ERR_VALIDATION)
		return err;

	if (json_object_object_get_ex(body, "certifications", &certs) &&
	    certs != NULL && (err = supplier_certifications_check(req, certs,
	    &in->certifications, fields)) != SSCN_OK &&
	    err != SSCN_ERR_VALIDATION)
		return err;

	return json_object_object_length(fields) > 0 ? SSCN_ERR_VALIDATION :
	    SSCN_OK;
}

/*
 * 404 unless the session acts for supplier organization "org_id", 403
 * unless the caller is its owner or an admin.
 */
static enum sscn_err
profile_access(const struct http_request *req, const char *org_id)
{
	if (strcasecmp(req->org_id, org_id) != 0 ||
	    strcmp(req->org_kind, "supplier") != 0)
		return SSCN_ERR_NOT_FOUND;
	if (strcmp(req->org_role, "owner") != 0 &&
	    strcmp(req->org_role, "admin") != 0)
		return SSCN_ERR_FORBIDDEN;
	return SSCN_OK;
}

/* A JSON parameter, or NULL for a field that was not given. */
static const char *
profile_json_param(struct json_object *value)
{
	if (value == NULL)
		return NULL;
	return json_object_to_json_string_ext(value, JSON_C_TO_STRING_PLAIN |
	    JSON_C_TO_STRING_NOSLASHESCAPE);
}

/*
 * Upsert the profile and add to "changed" the name of every field whose
 * stored value changed.  "*created" is set when the profile is new.
 */
static enum sscn_err
profile_store(struct http_request *req, const struct profile_input *in,
    struct json_object *changed, bool *created)
{
	static const char *const names[] = { "description", "categories",
	    "regions", "capacities", "identifiers", "website" };
	const char	*params[9];
	bool		 given[6];
	PGresult	*res = NULL;
	enum sscn_err	 err;
	int		 i;

	params[0] = req->org_id;
	params[1] = in->description;
	params[2] = in->description_html;
	params[3] = profile_json_param(in->categories);
	params[4] = profile_json_param(in->regions);
	params[5] = profile_json_param(in->capacities);
	params[6] = profile_json_param(in->identifiers);
	params[7] = in->website_given ? "true" : "false";
	params[8] = in->website;
	given[0] = in->description != NULL;
	given[1] = in->categories != NULL;
	given[2] = in->regions != NULL;
	given[3] = in->capacities != NULL;
	given[4] = in->identifiers != NULL;
	given[5] = in->website_given;

	err = api_db(req, "supplier_profile_upsert", 9, params, &res);
	if (err != SSCN_OK)
		return err;
	if (PQntuples(res) != 1) {
		PQclear(res);
		return SSCN_ERR_NOT_FOUND;
	}
	*created = strcmp(PQgetvalue(res, 0, 0), "t") == 0;
	for (i = 0; i < 6; i++)
		if (given[i] && strcmp(PQgetvalue(res, 0, i + 1), "t") == 0)
			json_object_array_add(changed,
			    json_object_new_string(names[i]));
	PQclear(res);
	return SSCN_OK;
}

/* Write the profile, its certifications and the audit row; no commit. */
static enum sscn_err
profile_write(struct http_request *req, const struct profile_input *in)
{
	struct json_object	*details, *changed;
	enum sscn_err		 err;
	bool			 created = false, certs_changed = false;

	details = json_object_new_object();
	changed = json_object_new_array();
	json_object_object_add(details, "fields", changed);

	err = profile_store(req, in, changed, &created);
	if (err == SSCN_OK && in->certifications != NULL) {
		err = supplier_certifications_store(req, in->certifications,
		    details, &certs_changed);
		if (certs_changed)
			json_object_array_add(changed,
			    json_object_new_string("certifications"));
	}
	if (err == SSCN_OK)
		err = audit_write(req, req->user_id, req->org_id, created ?
		    "supplier.profile_create" : "supplier.profile_update",
		    req->org_id, "success", details);
	json_object_put(details);
	return err;
}

enum sscn_err
supplier_profile_put(struct http_request *req)
{
	const char		*org_id = req->match.params[0];
	struct profile_input	 in;
	struct json_object	*fields, *profile;
	enum sscn_err		 err;

	/* The checks that need no database run before authentication. */
	memset(&in, 0, sizeof(in));
	fields = json_object_new_object();
	if ((err = profile_parse_plain(req, &in, fields)) != SSCN_OK ||
	    (err = authn_require(req)) != SSCN_OK ||
	    (err = profile_access(req, org_id)) != SSCN_OK) {
		json_object_put(fields);
		profile_input_free(&in);
		return err;
	}

	err = profile_parse_lookups(req, &in, fields);
	if (err == SSCN_ERR_VALIDATION) {
		profile_input_free(&in);
		return api_validation_failed(req, fields);
	}
	json_object_put(fields);
	if (err == SSCN_OK)
		err = authn_begin(req);
	if (err == SSCN_OK)
		err = profile_write(req, &in);
	profile_input_free(&in);
	if (err != SSCN_OK) {
		return api_rollback(req, err);
	}

	/* Read back inside the transaction, while its settings hold. */
	if ((profile = supplier_read(req, req->org_id, &err)) == NULL) {
		return api_rollback(req, err);
	}
	return api_commit_send(req, 200, profile);
}
