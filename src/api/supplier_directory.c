/*
 * supplier_directory.c - GET /api/v1/suppliers, the supplier directory.
 *
 * Query parameters, all optional; any other parameter is rejected:
 *
 *	q		full text, PostgreSQL websearch syntax, at most 200
 *			characters; blank counts as absent
 *	category	a category code
 *	country		ISO 3166-1 alpha-2 code of the organization
 *	sort		"relevance" (the default with q; needs q) or "name"
 *			(the default without q)
 *	limit, cursor	as every list
 *
 * Only supplier organizations that have saved a profile are listed.
 *
 * The cursor is base64url (RFC 4648, section 5, no padding) of
 *
 *	'r' rank[4] id[16] mac[16]	by relevance: the float4 rank of
 *					the last entry, big-endian, and its id
 *	'n' id[16] mac[16]		by name: the id of the last entry
 *
 * where mac is a keyed BLAKE2b-128 over the bytes before it and the
 * query's q, category, country and sort.  A cursor that was changed, or
 * that comes from another query, fails the check and gets 400.  The key
 * is derived from the current field encryption key, so rotating that key
 * also ends the cursors in use.
 */
#include "config.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>
#include <libpq-fe.h>
#include <sodium.h>

#include "sscn.h"
#include "api/suppliers.h"
#include "crypto/keys.h"

#define DIRECTORY_Q_MAX		200	/* characters of ?q= */
#define DIRECTORY_MAC_LEN	crypto_generichash_BYTES_MIN	/* 16 */
#define DIRECTORY_CURSOR_MAX	(1 + 4 + 16 + DIRECTORY_MAC_LEN)

enum directory_sort {
	DIRECTORY_RELEVANCE,
	DIRECTORY_NAME
};

/* A directory request after its checks; "" for an absent filter. */
struct directory_query {
	char			 q[DIRECTORY_Q_MAX * 4 + 1];
	char			 category[48];
	char			 country[8];
	enum directory_sort	 sort;
	struct paging		 paging;
	bool			 after;		/* a cursor was given */
	float			 after_rank;	/* DIRECTORY_RELEVANCE only */
	char			 after_id[37];
};

/* ---- cursor ---------------------------------------------------------- */

static bool
directory_uuid_bytes(const char *uuid, unsigned char out[16])
{
	char	 hex[33];
	size_t	 i, n = 0, len;

	for (i = 0; uuid[i] != '\0' && n < 32; i++)
		if (uuid[i] != '-')
			hex[n++] = uuid[i];
	hex[n] = '\0';
	return n == 32 && uuid[i] == '\0' && sodium_hex2bin(out, 16, hex, 32,
	    NULL, &len, NULL) == 0 && len == 16;
}

static void
directory_uuid_text(const unsigned char in[16], char out[37])
{
	static const char digits[] = "0123456789abcdef";
	size_t i, o = 0;

	for (i = 0; i < 16; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			out[o++] = '-';
		out[o++] = digits[in[i] >> 4];
		out[o++] = digits[in[i] & 0x0f];
	}
	out[o] = '\0';
}

/*
 * The MAC of "len" cursor bytes and the query into "mac".  Returns false
 * when no key is loaded.
 */
static bool
directory_mac(const struct http_request *req, const struct directory_query *dq,
    const unsigned char *bytes, size_t len,
    unsigned char mac[DIRECTORY_MAC_LEN])
{
	static const char context[] = "sscn directory cursor v1";
	const struct keys_field			*field;
	unsigned char				 key[crypto_generichash_KEYBYTES];
	crypto_generichash_state		 st;
	const unsigned char			 sort = dq->sort == DIRECTORY_NAME ?
						    'n' : 'r';

	if (req->worker->keys == NULL)
		return false;
	field = keys_field_current(req->worker->keys);
	crypto_generichash(key, sizeof(key), (const unsigned char *)context,
	    sizeof(context) - 1, field->key, sizeof(field->key));

	/* NUL bytes separate the parts, which contain none themselves. */
	crypto_generichash_init(&st, key, sizeof(key), DIRECTORY_MAC_LEN);
	crypto_generichash_update(&st, bytes, len);
	crypto_generichash_update(&st, (const unsigned char *)dq->q,
	    strlen(dq->q) + 1);
	crypto_generichash_update(&st, (const unsigned char *)dq->category,
	    strlen(dq->category) + 1);
	crypto_generichash_update(&st, (const unsigned char *)dq->country,
	    strlen(dq->country) + 1);
	crypto_generichash_update(&st, &sort, 1);
	crypto_generichash_final(&st, mac, DIRECTORY_MAC_LEN);
	sodium_memzero(key, sizeof(key));
	return true;
}

/*
 * The cursor after the entry with "id" and "rank" (text of a float4,
 * ignored when sorting by name) as a new JSON string, or NULL (logged).
 */
static struct json_object *
directory_cursor_encode(struct http_request *req,
    const struct directory_query *dq, const char *id, const char *rank)
{
	unsigned char	 bytes[DIRECTORY_CURSOR_MAX];
	char		 text[sodium_base64_ENCODED_LEN(DIRECTORY_CURSOR_MAX,
			    sodium_base64_VARIANT_URLSAFE_NO_PADDING)];
	size_t		 len = 0;
	uint32_t	 bits;
	float		 f;

	if (dq->sort == DIRECTORY_RELEVANCE) {
		bytes[len++] = 'r';
		f = strtof(rank, NULL);
		memcpy(&bits, &f, sizeof(bits));
		bits = htonl(bits);
		memcpy(bytes + len, &bits, 4);
		len += 4;
	} else
		bytes[len++] = 'n';
	if (!directory_uuid_bytes(id, bytes + len) ||
	    !directory_mac(req, dq, bytes, len + 16, bytes + len + 16)) {
		log_error(req->request_id, "directory_cursor_failed",
		    "error=\"no key or invalid id\"");
		return NULL;
	}
	len += 16 + DIRECTORY_MAC_LEN;
	sodium_bin2base64(text, sizeof(text), bytes, len,
	    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	return json_object_new_string(text);
}

/* Decode and check dq->paging.cursor into dq's "after" members. */
static bool
directory_cursor_decode(const struct http_request *req,
    struct directory_query *dq)
{
	unsigned char	 bytes[DIRECTORY_CURSOR_MAX + 1];
	unsigned char	 mac[DIRECTORY_MAC_LEN];
	size_t		 len, body;
	uint32_t	 bits;

	if (sodium_base642bin(bytes, sizeof(bytes), dq->paging.cursor,
	    strlen(dq->paging.cursor), NULL, &len, NULL,
	    sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0)
		return false;
	body = dq->sort == DIRECTORY_RELEVANCE ? 1 + 4 + 16 : 1 + 16;
	if (len != body + DIRECTORY_MAC_LEN ||
	    bytes[0] != (dq->sort == DIRECTORY_RELEVANCE ? 'r' : 'n') ||
	    !directory_mac(req, dq, bytes, body, mac) ||
	    sodium_memcmp(mac, bytes + body, DIRECTORY_MAC_LEN) != 0)
		return false;

	if (dq->sort == DIRECTORY_RELEVANCE) {
		memcpy(&bits, bytes + 1, 4);
		bits = ntohl(bits);
		memcpy(&dq->after_rank, &bits, sizeof(bits));
	}
	directory_uuid_text(bytes + body - 16, dq->after_id);
	dq->after = true;
	return true;
}

/* ---- query ------------------------------------------------------------ */

/*
 * Add a problem to "fields" unless the query string has only the
 * parameters of the directory.
 */
static void
directory_params_known(const char *query, struct json_object *fields)
{
	static const char *const known[] = { "q", "category", "country",
	    "sort", "limit", "cursor", NULL };
	const char *p = query;

	while (p != NULL && *p != '\0') {
		size_t	 len = strcspn(p, "&");
		size_t	 name_len = strcspn(p, "=&");
		size_t	 i;

		for (i = 0; known[i] != NULL; i++)
			if (strlen(known[i]) == name_len &&
			    strncmp(p, known[i], name_len) == 0)
				break;
		if (known[i] == NULL && len > 0) {
			json_object_object_add(fields, "query",
			    json_object_new_string("has a parameter other than "
			    "q, category, country, sort, limit and cursor"));
			return;
		}
		p = p[len] == '&' ? p + len + 1 : NULL;
	}
}

/*
 * Read ?name= into "out" ("" when absent); a bad %-escape, a value that
 * is not UTF-8 or one longer than "outlen" - 1 bytes adds "problem".
 */
static void
directory_param(const char *query, const char *name, char *out,
    size_t outlen, const char *problem, struct json_object *fields)
{
	switch (query_get(query, name, out, outlen)) {
	case QUERY_FOUND:
		break;
	case QUERY_INVALID:
		json_object_object_add(fields, name,
		    json_object_new_string(problem));
		/* FALLTHROUGH */
	case QUERY_ABSENT:
		out[0] = '\0';
		break;
	}
}

/*
 * Check ?q=: at most DIRECTORY_Q_MAX characters, no control characters.
 * Blank text becomes "".
 */
static void
directory_q(struct directory_query *dq, struct json_object *fields)
{
	const unsigned char	*p;
	size_t			 chars = 0;
	bool			 blank = true;

	for (p = (const unsigned char *)dq->q; *p != '\0'; p++) {
		if ((*p & 0xc0) != 0x80)
			chars++;
		if (*p < 0x20 || *p == 0x7f) {
			json_object_object_add(fields, "q", json_object_new_string(
			    "must not contain control characters"));
			return;
		}
		if (*p != ' ')
			blank = false;
	}
	if (chars > DIRECTORY_Q_MAX)
		json_object_object_add(fields, "q",
		    json_object_new_string("is too long"));
	if (blank)
		dq->q[0] = '\0';
}

/*
 * Parse and check the query string into "dq"; problems go into "fields".
 * The code lists need the database, so authn_require() runs first.
 */
static enum sscn_err
directory_parse(struct http_request *req, struct directory_query *dq,
    struct json_object *fields)
{
	const char	*query = req->query;
	char		 sort[16];
	enum sscn_err	 err;
	bool		 valid;

	directory_params_known(query, fields);
	directory_param(query, "q", dq->q, sizeof(dq->q), "is too long or "
	    "not valid UTF-8", fields);
	directory_q(dq, fields);
	directory_param(query, "category", dq->category, sizeof(dq->category),
	    "is not a category code", fields);
	directory_param(query, "country", dq->country, sizeof(dq->country),
	    "is not an ISO 3166-1 alpha-2 country code", fields);
	directory_param(query, "sort", sort, sizeof(sort),
	    "must be relevance or name", fields);
	if (paging_parse(query, &dq->paging, fields) != SSCN_OK)
		dq->paging.cursor[0] = '\0';

	if (dq->category[0] != '\0') {
		if ((err = codes_check(req, CODE_CATEGORY, dq->category,
		    &valid)) != SSCN_OK)
			return err;
		if (!valid)
			json_object_object_add(fields, "category",
			    json_object_new_string("is not a category code"));
	}
	if (dq->country[0] != '\0') {
		if ((err = codes_check(req, CODE_COUNTRY, dq->country,
		    &valid)) != SSCN_OK)
			return err;
		if (!valid)
			json_object_object_add(fields, "country",
			    json_object_new_string(
			    "is not an ISO 3166-1 alpha-2 country code"));
	}

	dq->sort = dq->q[0] != '\0' ? DIRECTORY_RELEVANCE : DIRECTORY_NAME;
	if (strcmp(sort, "name") == 0)
		dq->sort = DIRECTORY_NAME;
	else if (strcmp(sort, "relevance") == 0 && dq->q[0] == '\0')
		json_object_object_add(fields, "sort", json_object_new_string(
		    "relevance needs a search text in q"));
	else if (sort[0] != '\0' && strcmp(sort, "relevance") != 0)
		json_object_object_add(fields, "sort",
		    json_object_new_string("must be relevance or name"));

	if (json_object_object_length(fields) == 0 &&
	    dq->paging.cursor[0] != '\0' && !directory_cursor_decode(req, dq))
		(void)paging_cursor_invalid(fields);
	return json_object_object_length(fields) > 0 ? SSCN_ERR_VALIDATION :
	    SSCN_OK;
}

/* ---- handler ----------------------------------------------------------- */

/* Run the statement of dq's sort and filters; "*res" has limit + 1 rows. */
static enum sscn_err
directory_select(struct http_request *req, const struct directory_query *dq,
    PGresult **res)
{
	const char	*params[6];
	const char	*q = dq->q[0] != '\0' ? dq->q : NULL;
	const char	*category = dq->category[0] != '\0' ? dq->category : NULL;
	const char	*country = dq->country[0] != '\0' ? dq->country : NULL;
	const char	*after = dq->after ? dq->after_id : NULL;
	char		 rank[32];

	if (dq->sort == DIRECTORY_RELEVANCE) {
		/* Nine significant digits give the float4 back exactly. */
		snprintf(rank, sizeof(rank), "%.9g", (double)dq->after_rank);
		params[0] = q;
		params[1] = category;
		params[2] = country;
		params[3] = dq->after ? rank : NULL;
		params[4] = after;
		params[5] = dq->paging.fetch;
		return api_db(req, "supplier_search", 6, params, res);
	}
	if (q != NULL) {
		params[0] = q;
		params[1] = category;
		params[2] = country;
		params[3] = after;
		params[4] = dq->paging.fetch;
		return api_db(req, "supplier_search_by_name", 5, params, res);
	}
	params[0] = category;
	params[1] = country;
	params[2] = after;
	params[3] = dq->paging.fetch;
	return api_db(req, "supplier_list", 4, params, res);
}

/* Directory entry "row" of "res" as a new JSON object. */
static struct json_object *
directory_entry(PGresult *res, int row)
{
	struct json_object *e = json_object_new_object();

	json_object_object_add(e, "id",
	    json_object_new_string(PQgetvalue(res, row, 0)));
	json_object_object_add(e, "name",
	    json_object_new_string(PQgetvalue(res, row, 1)));
	json_object_object_add(e, "country", api_json_text(res, row, 2));
	json_object_object_add(e, "categories",
	    json_tokener_parse(PQgetvalue(res, row, 3)));
	json_object_object_add(e, "regions",
	    json_tokener_parse(PQgetvalue(res, row, 4)));
	json_object_object_add(e, "website", api_json_text(res, row, 5));
	json_object_object_add(e, "updated_at",
	    json_object_new_string(PQgetvalue(res, row, 6)));
	return e;
}

enum sscn_err
supplier_directory(struct http_request *req)
{
	struct directory_query	 dq;
	struct json_object	*fields, *root, *items, *next = NULL;
	PGresult		*res = NULL;
	enum sscn_err		 err;
	int			 i, rows;

	if ((err = authn_require(req)) != SSCN_OK)
		return err;
	memset(&dq, 0, sizeof(dq));
	fields = json_object_new_object();
	if ((err = directory_parse(req, &dq, fields)) != SSCN_OK) {
		if (err == SSCN_ERR_VALIDATION)
			return api_validation_failed(req, fields);
		json_object_put(fields);
		return err;
	}
	json_object_put(fields);

	if ((err = directory_select(req, &dq, &res)) != SSCN_OK)
		return err;
	rows = PQntuples(res);
	items = json_object_new_array();
	for (i = 0; i < rows && i < dq.paging.limit; i++)
		json_object_array_add(items, directory_entry(res, i));
	if (rows > dq.paging.limit &&
	    (next = directory_cursor_encode(req, &dq,
	    PQgetvalue(res, dq.paging.limit - 1, 0), dq.sort ==
	    DIRECTORY_RELEVANCE ? PQgetvalue(res, dq.paging.limit - 1, 7) :
	    NULL)) == NULL) {
		PQclear(res);
		json_object_put(items);
		return SSCN_ERR_INTERNAL;
	}
	PQclear(res);

	root = json_object_new_object();
	json_object_object_add(root, "items", items);
	json_object_object_add(root, "next_cursor", next);
	http_send_json(req, 200, root);
	json_object_put(root);
	return SSCN_OK;
}
