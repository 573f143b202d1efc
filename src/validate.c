/*
 * validate.c - checks shared by the sourcing API: text fields, query
 * parameters, list paging and the code lists (countries, currencies,
 * categories).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>
#include <libpq-fe.h>
#include <sodium.h>
#include <uninorm.h>
#include <unistr.h>

#include "sscn.h"
#include "api/auth_session.h"

/* ---- text -------------------------------------------------------------- */

/*
 * Problem with the NFC text "s" of "len" bytes, or NULL: control
 * characters (newline and tab allowed only in multi-line text) and the
 * length in characters.
 */
static const char *
text_problem(const uint8_t *s, size_t len, size_t max_chars, bool multiline)
{
	const uint8_t	*p = s, *end = s + len;
	size_t		 chars = 0;
	ucs4_t		 c;

	while (p < end) {
		int n = u8_mbtouc(&c, p, (size_t)(end - p));

		if (n <= 0)
			return "must be valid UTF-8";
		p += n;
		chars++;
		if (c == '\n' || c == '\t') {
			if (!multiline)
				return "must be one line without tabs";
			continue;
		}
		if (c < 0x20 || (c >= 0x7f && c < 0xa0) || c == 0x2028 ||
		    c == 0x2029)
			return "must not contain control characters";
	}
	if (chars > max_chars)
		return "is too long";
	return NULL;
}

enum sscn_err
json_get_text(struct json_object *obj, const char *field, bool required,
    size_t max_chars, bool multiline, const char **out,
    struct json_object *fields)
{
	const char	*raw = NULL;
	uint8_t		*nfc;
	size_t		 nfc_len = 0;
	const char	*problem;
	enum sscn_err	 err;

	/* Four bytes per character at most, before normalization. */
	err = json_get_string(obj, field, required, max_chars * 4, &raw,
	    fields);
	if (err != SSCN_OK || raw == NULL)
		return err;

	nfc = u8_normalize(UNINORM_NFC, (const uint8_t *)raw, strlen(raw),
	    NULL, &nfc_len);
	if (nfc == NULL) {
		json_object_object_add(fields, field,
		    json_object_new_string("must be valid UTF-8"));
		return SSCN_ERR_VALIDATION;
	}
	if ((problem = text_problem(nfc, nfc_len, max_chars, multiline)) !=
	    NULL) {
		free(nfc);
		json_object_object_add(fields, field,
		    json_object_new_string(problem));
		return SSCN_ERR_VALIDATION;
	}

	/* The normalized text replaces the raw one and lives as long. */
	json_object_object_add(obj, field,
	    json_object_new_string_len((const char *)nfc, (int)nfc_len));
	free(nfc);
	*out = json_object_get_string(json_object_object_get(obj, field));
	return SSCN_OK;
}

/* ---- query parameters ------------------------------------------------- */

static int
query_hex(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

enum query_status
query_get(const char *query, const char *name, char *out, size_t outlen)
{
	size_t		 name_len = strlen(name);
	const char	*p = query;

	while (p != NULL && *p != '\0') {
		size_t len = strcspn(p, "&");

		if (len > name_len && strncmp(p, name, name_len) == 0 &&
		    p[name_len] == '=') {
			const char	*v = p + name_len + 1;
			const char	*end = p + len;
			size_t		 o = 0;

			for (; v < end; v++) {
				int c = (unsigned char)*v;

				if (c == '+')
					c = ' ';
				else if (c == '%') {
					int hi, lo;

					if (end - v < 3 ||
					    (hi = query_hex(v[1])) < 0 ||
					    (lo = query_hex(v[2])) < 0)
						return QUERY_INVALID;
					c = hi * 16 + lo;
					v += 2;
				}
				if (c == 0 || o + 1 >= outlen)
					return QUERY_INVALID;
				out[o++] = (char)c;
			}
			out[o] = '\0';
			if (!utf8_valid((const unsigned char *)out, o))
				return QUERY_INVALID;
			return QUERY_FOUND;
		}
		p = p[len] == '&' ? p + len + 1 : NULL;
	}
	return QUERY_ABSENT;
}

bool
query_param(const char *query, const char *name, char *out, size_t outlen,
    struct json_object *fields)
{
	switch (query_get(query, name, out, outlen)) {
	case QUERY_FOUND:
		return true;
	case QUERY_INVALID:
		json_object_object_add(fields, name, json_object_new_string(
		    "is not valid or too long"));
		break;
	case QUERY_ABSENT:
		break;
	}
	out[0] = '\0';
	return false;
}

enum sscn_err
paging_parse(const char *query, struct paging *paging,
    struct json_object *fields)
{
	char		 limit[8];
	enum sscn_err	 err = SSCN_OK;

	paging->limit = PAGING_DEFAULT;
	paging->cursor[0] = '\0';
	paging->after_key[0] = paging->after_id[0] = '\0';

	switch (query_get(query, "limit", limit, sizeof(limit))) {
	case QUERY_FOUND: {
		char	*end;
		long	 n = strtol(limit, &end, 10);

		if (*end == '\0' && end != limit && n >= 1 && n <= PAGING_MAX) {
			paging->limit = (int)n;
			break;
		}
	}
		/* FALLTHROUGH */
	case QUERY_INVALID:
		json_object_object_add(fields, "limit",
		    json_object_new_string("must be a number from 1 to 100"));
		err = SSCN_ERR_VALIDATION;
		break;
	case QUERY_ABSENT:
		break;
	}

	switch (query_get(query, "cursor", paging->cursor,
	    sizeof(paging->cursor))) {
	case QUERY_INVALID:
		paging->cursor[0] = '\0';
		err = paging_cursor_invalid(fields);
		break;
	case QUERY_FOUND:
	case QUERY_ABSENT:
		break;
	}

	/* The extra row shows whether another page follows. */
	snprintf(paging->fetch, sizeof(paging->fetch), "%d",
	    paging->limit + 1);
	return err;
}

enum sscn_err
paging_cursor_invalid(struct json_object *fields)
{
	json_object_object_add(fields, "cursor", json_object_new_string(
	    "must be a next_cursor value of this list"));
	return SSCN_ERR_VALIDATION;
}

/* "KEY|ID": up to 20 digits, a bar and a UUID. */
#define PAGING_KEYED_RAW_MAX	(20 + 1 + 36)

void
paging_cursor_encode(const char *key, const char *id, char *out,
    size_t outlen)
{
	char	raw[PAGING_KEYED_RAW_MAX + 1];
	int	n;

	n = snprintf(raw, sizeof(raw), "%s|%s", key, id);
	if (n < 0 || (size_t)n >= sizeof(raw) || outlen <
	    sodium_base64_ENCODED_LEN((size_t)n,
	    sodium_base64_VARIANT_URLSAFE_NO_PADDING)) {
		out[0] = '\0';
		return;
	}
	sodium_bin2base64(out, outlen, (const unsigned char *)raw, (size_t)n,
	    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

/* Split a keyed cursor into paging's "after" members; false if malformed. */
static bool
paging_cursor_decode(struct paging *paging)
{
	unsigned char	 raw[PAGING_KEYED_RAW_MAX + 1];
	size_t		 len = 0, digits;

	if (sodium_base642bin(raw, PAGING_KEYED_RAW_MAX, paging->cursor,
	    strlen(paging->cursor), NULL, &len, NULL,
	    sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0)
		return false;
	raw[len] = '\0';
	digits = strspn((const char *)raw, "0123456789");
	if (digits == 0 || digits > 20 || raw[digits] != '|' ||
	    len != digits + 1 + 36 ||
	    !session_is_uuid((const char *)raw + digits + 1))
		return false;
	memcpy(paging->after_key, raw, digits);
	paging->after_key[digits] = '\0';
	memcpy(paging->after_id, raw + digits + 1, 37);
	return true;
}

enum sscn_err
paging_parse_keyed(const char *query, struct paging *paging,
    struct json_object *fields)
{
	enum sscn_err err;

	if ((err = paging_parse(query, paging, fields)) != SSCN_OK ||
	    paging->cursor[0] == '\0')
		return err;
	if (!paging_cursor_decode(paging)) {
		paging->after_key[0] = paging->after_id[0] = '\0';
		return paging_cursor_invalid(fields);
	}
	return SSCN_OK;
}

struct json_object *
paging_page_json(const struct paging *paging, struct json_object *items,
    const PGresult *res, int key_col, int id_col)
{
	struct json_object	*root = json_object_new_object();
	char			 next[PAGING_CURSOR_MAX];
	int			 last = paging->limit - 1;

	json_object_object_add(root, "items", items);
	if (PQntuples(res) > paging->limit) {
		paging_cursor_encode(PQgetvalue(res, last, key_col),
		    PQgetvalue(res, last, id_col), next, sizeof(next));
		json_object_object_add(root, "next_cursor",
		    json_object_new_string(next));
	} else
		json_object_object_add(root, "next_cursor", NULL);
	return root;
}

/* ---- code lists ------------------------------------------------------- */

/* Sorted codes of one list, loaded once per worker from PostgreSQL. */
struct code_list {
	char	**codes;
	size_t	  n;
};

static struct code_list code_lists[3];
static bool code_lists_loaded;

static int
code_compare(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Load the three lists in one query; they change only with a migration. */
static enum sscn_err
codes_load(struct http_request *req)
{
	PGresult	*res = NULL;
	enum sscn_err	 err;
	int		 i, rows;

	err = db_exec(&req->worker->db, req->request_id, "code_lists", 0,
	    NULL, &res);
	if (err != SSCN_OK)
		return err;

	rows = PQntuples(res);
	for (i = 0; i < rows; i++) {
		struct code_list	*list;
		char			**grown;
		int			 kind = atoi(PQgetvalue(res, i, 0));

		if (kind < 0 || kind > 2)
			continue;
		list = &code_lists[kind];
		grown = realloc(list->codes, (list->n + 1) * sizeof(*grown));
		if (grown == NULL || (grown[list->n] =
		    strdup(PQgetvalue(res, i, 1))) == NULL) {
			if (grown != NULL)
				list->codes = grown;
			PQclear(res);
			log_error(req->request_id, "codes_load_failed",
			    "error=\"out of memory\"");
			return SSCN_ERR_INTERNAL;
		}
		list->codes = grown;
		list->n++;
	}
	PQclear(res);

	for (i = 0; i < 3; i++)
		qsort(code_lists[i].codes, code_lists[i].n, sizeof(char *),
		    code_compare);
	code_lists_loaded = true;
	return SSCN_OK;
}

enum sscn_err
codes_check(struct http_request *req, enum code_kind kind, const char *code,
    bool *valid)
{
	enum sscn_err err;

	*valid = false;
	if (!code_lists_loaded && (err = codes_load(req)) != SSCN_OK)
		return err;
	*valid = bsearch(&code, code_lists[kind].codes, code_lists[kind].n,
	    sizeof(char *), code_compare) != NULL;
	return SSCN_OK;
}
