/*
 * json.c - a strict RFC 8259 parser that builds json-c objects, and typed
 * accessors for request bodies.
 *
 * json-c's own tokener keeps the last of two equal keys and accepts
 * "\u0000", so a body like {"role":"member","role":"admin"} could mean one
 * thing to a validator and another to a handler.  This parser rejects
 * such input instead.  Grammar (RFC 8259):
 *
 *	value  = object / array / string / number / "true" / "false" / "null"
 *	object = "{" ws [ string ws ":" ws value *( ws "," ws string ws ":"
 *	         ws value ) ] ws "}"
 *	array  = "[" ws [ value *( ws "," ws value ) ] ws "]"
 *	number = [ "-" ] ( "0" / %x31-39 *DIGIT ) [ "." 1*DIGIT ]
 *	         [ ( "e" / "E" ) [ "+" / "-" ] 1*DIGIT ]
 *	string = DQUOTE *char DQUOTE ; control characters must be escaped
 *
 * Beyond RFC 8259: nesting deeper than JSON_MAX_DEPTH, a NUL in a string
 * (raw or escaped), invalid UTF-8, an unpaired surrogate escape and a
 * repeated key are errors.  A number is an int64 when it has no fraction
 * or exponent and fits, otherwise a double; a number that overflows a
 * double (such as 1e400) is JSON_PARSE_RANGE.
 *
 * Recursion depth is bounded by JSON_MAX_DEPTH, so the C stack is too.
 */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "sscn.h"

struct json_parser {
	const char		*p;
	const char		*end;
	const char		*start;
	unsigned		 depth;
	enum json_parse_status	 status;
	char			*buf;		/* scratch for decoded strings */
	size_t			 bufsize;
};

static struct json_object *json_parse_value(struct json_parser *);

static void *
json_fail(struct json_parser *jp, enum json_parse_status status)
{
	if (jp->status == JSON_PARSE_OK)
		jp->status = status;
	return NULL;
}

static void
json_skip_ws(struct json_parser *jp)
{
	while (jp->p < jp->end && (*jp->p == ' ' || *jp->p == '\t' ||
	    *jp->p == '\n' || *jp->p == '\r'))
		jp->p++;
}

static int
json_hex4(const char *p, unsigned *out)
{
	unsigned	 v = 0;
	int		 i;

	for (i = 0; i < 4; i++) {
		char c = p[i];

		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v |= (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			v |= (unsigned)(c - 'A' + 10);
		else
			return -1;
	}
	*out = v;
	return 0;
}

static size_t
json_put_utf8(char *dst, unsigned cp)
{
	if (cp < 0x80) {
		dst[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		dst[0] = (char)(0xc0 | (cp >> 6));
		dst[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		dst[0] = (char)(0xe0 | (cp >> 12));
		dst[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		dst[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	dst[0] = (char)(0xf0 | (cp >> 18));
	dst[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
	dst[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
	dst[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

/*
 * Decode the string at jp->p (on the opening quote) into jp->buf.  Returns
 * the decoded length, or -1 with jp->status set.  Decoded text is never
 * longer than the encoded text, so a buffer as long as the input suffices.
 */
static long
json_parse_string_raw(struct json_parser *jp)
{
	const char	*raw;
	size_t		 n = 0;

	jp->p++;
	raw = jp->p;
	for (;;) {
		unsigned char c;

		if (jp->p >= jp->end)
			return (json_fail(jp, JSON_PARSE_SYNTAX), -1);
		c = (unsigned char)*jp->p;
		if (c == '"')
			break;
		if (c == '\0')
			return (json_fail(jp, JSON_PARSE_NUL), -1);
		if (c < 0x20)
			return (json_fail(jp, JSON_PARSE_SYNTAX), -1);

		if (c != '\\') {
			jp->buf[n++] = (char)c;
			jp->p++;
			continue;
		}

		if (jp->end - jp->p < 2)
			return (json_fail(jp, JSON_PARSE_SYNTAX), -1);
		jp->p++;
		switch (*jp->p) {
		case '"':  jp->buf[n++] = '"'; break;
		case '\\': jp->buf[n++] = '\\'; break;
		case '/':  jp->buf[n++] = '/'; break;
		case 'b':  jp->buf[n++] = '\b'; break;
		case 'f':  jp->buf[n++] = '\f'; break;
		case 'n':  jp->buf[n++] = '\n'; break;
		case 'r':  jp->buf[n++] = '\r'; break;
		case 't':  jp->buf[n++] = '\t'; break;
		case 'u': {
			unsigned cp, lo;

			if (jp->end - jp->p < 5 || json_hex4(jp->p + 1, &cp) == -1)
				return (json_fail(jp, JSON_PARSE_SYNTAX), -1);
			jp->p += 4;
			if (cp == 0)
				return (json_fail(jp, JSON_PARSE_NUL), -1);
			if (cp >= 0xdc00 && cp <= 0xdfff)
				return (json_fail(jp, JSON_PARSE_UTF8), -1);
			if (cp >= 0xd800 && cp <= 0xdbff) {
				/* A high surrogate must be followed by a low one. */
				if (jp->end - jp->p < 7 || jp->p[1] != '\\' ||
				    jp->p[2] != 'u' ||
				    json_hex4(jp->p + 3, &lo) == -1 ||
				    lo < 0xdc00 || lo > 0xdfff)
					return (json_fail(jp, JSON_PARSE_UTF8), -1);
				jp->p += 6;
				cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
			}
			n += json_put_utf8(jp->buf + n, cp);
			break;
		}
		default:
			return (json_fail(jp, JSON_PARSE_SYNTAX), -1);
		}
		jp->p++;
	}

	/* Raw bytes were copied unchecked; validate the span once. */
	if (!utf8_valid((const unsigned char *)raw, (size_t)(jp->p - raw)))
		return (json_fail(jp, JSON_PARSE_UTF8), -1);
	jp->p++;
	jp->buf[n] = '\0';
	return (long)n;
}

static struct json_object *
json_parse_string(struct json_parser *jp)
{
	struct json_object	*obj;
	long			 n;

	n = json_parse_string_raw(jp);
	if (n < 0)
		return NULL;
	obj = json_object_new_string_len(jp->buf, (int)n);
	if (obj == NULL)
		return json_fail(jp, JSON_PARSE_NOMEM);
	return obj;
}

static struct json_object *
json_parse_number(struct json_parser *jp)
{
	const char		*s = jp->p;
	bool			 integral = true;
	char			 text[64];
	char			*copy;
	size_t			 len;
	struct json_object	*obj;

	if (jp->p < jp->end && *jp->p == '-')
		jp->p++;
	if (jp->p >= jp->end)
		return json_fail(jp, JSON_PARSE_SYNTAX);
	if (*jp->p == '0') {
		jp->p++;
	} else if (*jp->p >= '1' && *jp->p <= '9') {
		while (jp->p < jp->end && *jp->p >= '0' && *jp->p <= '9')
			jp->p++;
	} else
		return json_fail(jp, JSON_PARSE_SYNTAX);

	if (jp->p < jp->end && *jp->p == '.') {
		integral = false;
		jp->p++;
		if (jp->p >= jp->end || *jp->p < '0' || *jp->p > '9')
			return json_fail(jp, JSON_PARSE_SYNTAX);
		while (jp->p < jp->end && *jp->p >= '0' && *jp->p <= '9')
			jp->p++;
	}
	if (jp->p < jp->end && (*jp->p == 'e' || *jp->p == 'E')) {
		integral = false;
		jp->p++;
		if (jp->p < jp->end && (*jp->p == '+' || *jp->p == '-'))
			jp->p++;
		if (jp->p >= jp->end || *jp->p < '0' || *jp->p > '9')
			return json_fail(jp, JSON_PARSE_SYNTAX);
		while (jp->p < jp->end && *jp->p >= '0' && *jp->p <= '9')
			jp->p++;
	}

	/*
	 * strtoll and strtod need a NUL-terminated copy: the input need not
	 * end after the number.  Long numbers get a heap copy.
	 */
	len = (size_t)(jp->p - s);
	copy = len < sizeof(text) ? text : malloc(len + 1);
	if (copy == NULL)
		return json_fail(jp, JSON_PARSE_NOMEM);
	memcpy(copy, s, len);
	copy[len] = '\0';

	if (integral) {
		long long v;

		errno = 0;
		v = strtoll(copy, NULL, 10);
		if (errno == 0) {
			obj = json_object_new_int64(v);
			goto done;
		}
	}
	{
		double d;

		d = strtod(copy, NULL);
		if (isinf(d)) {
			if (copy != text)
				free(copy);
			return json_fail(jp, JSON_PARSE_RANGE);
		}
		obj = json_object_new_double(d);
	}
done:
	if (copy != text)
		free(copy);
	if (obj == NULL)
		return json_fail(jp, JSON_PARSE_NOMEM);
	return obj;
}

static struct json_object *
json_parse_object(struct json_parser *jp)
{
	struct json_object *obj;

	if (++jp->depth > JSON_MAX_DEPTH)
		return json_fail(jp, JSON_PARSE_DEPTH);
	obj = json_object_new_object();
	if (obj == NULL)
		return json_fail(jp, JSON_PARSE_NOMEM);

	jp->p++;
	json_skip_ws(jp);
	if (jp->p < jp->end && *jp->p == '}') {
		jp->p++;
		jp->depth--;
		return obj;
	}

	for (;;) {
		struct json_object	*value;
		char			*key;
		long			 keylen;

		json_skip_ws(jp);
		if (jp->p >= jp->end || *jp->p != '"')
			goto fail_syntax;
		keylen = json_parse_string_raw(jp);
		if (keylen < 0)
			goto fail;

		/* json-c keys are C strings, so an escaped NUL was already refused. */
		if (json_object_object_get_ex(obj, jp->buf, NULL)) {
			json_fail(jp, JSON_PARSE_DUPLICATE);
			goto fail;
		}
		key = strdup(jp->buf);
		if (key == NULL) {
			json_fail(jp, JSON_PARSE_NOMEM);
			goto fail;
		}

		json_skip_ws(jp);
		if (jp->p >= jp->end || *jp->p != ':') {
			free(key);
			goto fail_syntax;
		}
		jp->p++;
		json_skip_ws(jp);
		value = json_parse_value(jp);
		if (value == NULL && jp->status != JSON_PARSE_OK) {
			free(key);
			goto fail;
		}
		if (json_object_object_add(obj, key, value) != 0) {
			free(key);
			json_object_put(value);
			json_fail(jp, JSON_PARSE_NOMEM);
			goto fail;
		}
		free(key);

		json_skip_ws(jp);
		if (jp->p < jp->end && *jp->p == ',') {
			jp->p++;
			continue;
		}
		if (jp->p < jp->end && *jp->p == '}') {
			jp->p++;
			jp->depth--;
			return obj;
		}
		goto fail_syntax;
	}

fail_syntax:
	json_fail(jp, JSON_PARSE_SYNTAX);
fail:
	json_object_put(obj);
	return NULL;
}

static struct json_object *
json_parse_array(struct json_parser *jp)
{
	struct json_object *arr;

	if (++jp->depth > JSON_MAX_DEPTH)
		return json_fail(jp, JSON_PARSE_DEPTH);
	arr = json_object_new_array();
	if (arr == NULL)
		return json_fail(jp, JSON_PARSE_NOMEM);

	jp->p++;
	json_skip_ws(jp);
	if (jp->p < jp->end && *jp->p == ']') {
		jp->p++;
		jp->depth--;
		return arr;
	}

	for (;;) {
		struct json_object *value;

		json_skip_ws(jp);
		value = json_parse_value(jp);
		if (value == NULL && jp->status != JSON_PARSE_OK)
			goto fail;
		if (json_object_array_add(arr, value) != 0) {
			json_object_put(value);
			json_fail(jp, JSON_PARSE_NOMEM);
			goto fail;
		}

		json_skip_ws(jp);
		if (jp->p < jp->end && *jp->p == ',') {
			jp->p++;
			continue;
		}
		if (jp->p < jp->end && *jp->p == ']') {
			jp->p++;
			jp->depth--;
			return arr;
		}
		json_fail(jp, JSON_PARSE_SYNTAX);
		goto fail;
	}
fail:
	json_object_put(arr);
	return NULL;
}

static bool
json_literal(struct json_parser *jp, const char *word)
{
	size_t len = strlen(word);

	if ((size_t)(jp->end - jp->p) < len || memcmp(jp->p, word, len) != 0)
		return false;
	jp->p += len;
	return true;
}

static struct json_object *
json_parse_value(struct json_parser *jp)
{
	struct json_object *obj;

	if (jp->p >= jp->end)
		return json_fail(jp, JSON_PARSE_SYNTAX);

	switch (*jp->p) {
	case '{':
		return json_parse_object(jp);
	case '[':
		return json_parse_array(jp);
	case '"':
		return json_parse_string(jp);
	case 't':
		if (!json_literal(jp, "true"))
			return json_fail(jp, JSON_PARSE_SYNTAX);
		obj = json_object_new_boolean(1);
		return obj ? obj : json_fail(jp, JSON_PARSE_NOMEM);
	case 'f':
		if (!json_literal(jp, "false"))
			return json_fail(jp, JSON_PARSE_SYNTAX);
		obj = json_object_new_boolean(0);
		return obj ? obj : json_fail(jp, JSON_PARSE_NOMEM);
	case 'n':
		if (!json_literal(jp, "null"))
			return json_fail(jp, JSON_PARSE_SYNTAX);
		return NULL;
	case '\0':
		return json_fail(jp, JSON_PARSE_NUL);
	default:
		if (*jp->p == '-' || (*jp->p >= '0' && *jp->p <= '9'))
			return json_parse_number(jp);
		return json_fail(jp, JSON_PARSE_SYNTAX);
	}
}

struct json_object *
json_parse_strict(const char *text, size_t len, enum json_parse_status *status,
    size_t *offset)
{
	struct json_parser	 jp;
	struct json_object	*value;

	memset(&jp, 0, sizeof(jp));
	jp.start = jp.p = text;
	jp.end = text + len;
	jp.status = JSON_PARSE_OK;
	jp.bufsize = len + 1;
	jp.buf = malloc(jp.bufsize);
	if (jp.buf == NULL) {
		*status = JSON_PARSE_NOMEM;
		*offset = 0;
		return NULL;
	}

	json_skip_ws(&jp);
	value = json_parse_value(&jp);
	if (jp.status == JSON_PARSE_OK) {
		json_skip_ws(&jp);
		if (jp.p != jp.end) {
			json_object_put(value);
			value = NULL;
			jp.status = memchr(jp.p, '\0', (size_t)(jp.end - jp.p)) ?
			    JSON_PARSE_NUL : JSON_PARSE_SYNTAX;
		}
	}

	free(jp.buf);
	*status = jp.status;
	*offset = (size_t)(jp.p - jp.start);
	return value;
}

const char *
json_parse_strerror(enum json_parse_status status)
{
	switch (status) {
	case JSON_PARSE_OK:
		return "valid JSON";
	case JSON_PARSE_SYNTAX:
		return "the body is not valid JSON";
	case JSON_PARSE_DEPTH:
		return "the body nests arrays and objects deeper than 32 levels";
	case JSON_PARSE_UTF8:
		return "the body is not valid UTF-8";
	case JSON_PARSE_NUL:
		return "the body contains a NUL character";
	case JSON_PARSE_DUPLICATE:
		return "an object in the body repeats a key";
	case JSON_PARSE_RANGE:
		return "a number in the body is too large";
	case JSON_PARSE_NOMEM:
		return "out of memory";
	}
	return "unknown JSON error";
}

static enum sscn_err
json_field_problem(struct json_object *fields, const char *field,
    const char *problem)
{
	if (fields != NULL)
		json_object_object_add(fields, field,
		    json_object_new_string(problem));
	return SSCN_ERR_VALIDATION;
}

/* Look up "field"; a JSON null counts as missing. */
static enum sscn_err
json_field(struct json_object *obj, const char *field, bool required,
    struct json_object **value, struct json_object *fields)
{
	*value = NULL;
	if (obj == NULL || !json_object_is_type(obj, json_type_object))
		return json_field_problem(fields, field, "missing");
	if (!json_object_object_get_ex(obj, field, value) || *value == NULL) {
		*value = NULL;
		return required ? json_field_problem(fields, field, "missing") :
		    SSCN_OK;
	}
	return SSCN_OK;
}

enum sscn_err
json_get_string(struct json_object *obj, const char *field, bool required,
    size_t max_len, const char **out, struct json_object *fields)
{
	struct json_object	*value;
	enum sscn_err		 err;

	err = json_field(obj, field, required, &value, fields);
	if (err != SSCN_OK || value == NULL)
		return err;
	if (!json_object_is_type(value, json_type_string))
		return json_field_problem(fields, field, "must be a string");
	if ((size_t)json_object_get_string_len(value) > max_len)
		return json_field_problem(fields, field, "is too long");
	*out = json_object_get_string(value);
	return SSCN_OK;
}

enum sscn_err
json_get_bool(struct json_object *obj, const char *field, bool required,
    bool *out, struct json_object *fields)
{
	struct json_object	*value;
	enum sscn_err		 err;

	err = json_field(obj, field, required, &value, fields);
	if (err != SSCN_OK || value == NULL)
		return err;
	if (!json_object_is_type(value, json_type_boolean))
		return json_field_problem(fields, field, "must be a boolean");
	*out = json_object_get_boolean(value) != 0;
	return SSCN_OK;
}

enum sscn_err
json_get_int(struct json_object *obj, const char *field, bool required,
    int64_t min, int64_t max, int64_t *out, struct json_object *fields)
{
	struct json_object	*value;
	enum sscn_err		 err;
	int64_t			 n;

	err = json_field(obj, field, required, &value, fields);
	if (err != SSCN_OK || value == NULL)
		return err;
	if (!json_object_is_type(value, json_type_int))
		return json_field_problem(fields, field, "must be an integer");
	n = json_object_get_int64(value);
	if (n < min || n > max)
		return json_field_problem(fields, field, "is out of range");
	*out = n;
	return SSCN_OK;
}

enum sscn_err
json_reject_unknown(struct json_object *obj, const char *const *allowed,
    struct json_object *fields)
{
	enum sscn_err err = SSCN_OK;

	json_object_object_foreach(obj, key, value) {
		size_t i;

		(void)value;
		for (i = 0; allowed[i] != NULL; i++)
			if (strcmp(allowed[i], key) == 0)
				break;
		if (allowed[i] == NULL)
			err = json_field_problem(fields, key, "is not a known field");
	}
	return err;
}
