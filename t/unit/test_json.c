/*
 * test_json.c - json_parse_strict() and the json_get_* field helpers.
 *
 * Every document is copied into a heap buffer of exactly its length, without
 * a terminating NUL, so that a read past "len" shows up under
 * AddressSanitizer.  Literals that hold a NUL byte are passed with their
 * sizeof, never their strlen.
 */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "sscn.h"
#include "tap.h"

/* A literal and its length, NUL bytes included. */
#define LIT(s) s, sizeof(s) - 1

static const char *
status_name(enum json_parse_status st)
{
	switch (st) {
	case JSON_PARSE_OK:		return "OK";
	case JSON_PARSE_SYNTAX:		return "SYNTAX";
	case JSON_PARSE_DEPTH:		return "DEPTH";
	case JSON_PARSE_UTF8:		return "UTF8";
	case JSON_PARSE_NUL:		return "NUL";
	case JSON_PARSE_DUPLICATE:	return "DUPLICATE";
	case JSON_PARSE_RANGE:		return "RANGE";
	case JSON_PARSE_NOMEM:		return "NOMEM";
	}
	return "?";
}

/* Parse an exact-size heap copy of "len" bytes at "text". */
static struct json_object *
parse(const char *text, size_t len, enum json_parse_status *st, size_t *off)
{
	struct json_object	*value;
	char			*copy;

	copy = malloc(len > 0 ? len : 1);
	if (copy == NULL)
		bail_out("out of memory");
	memcpy(copy, text, len);
	*st = (enum json_parse_status)-1;
	*off = (size_t)-1;
	value = json_parse_strict(copy, len, st, off);
	free(copy);
	return value;
}

/* Expect status "expected" for "text", and no value unless it is OK. */
static void
expect_status(const char *text, size_t len, enum json_parse_status expected,
    const char *case_name)
{
	struct json_object	*value;
	enum json_parse_status	 st;
	size_t			 off;

	value = parse(text, len, &st, &off);
	if (!ok(st == expected, "json: %s is %s", case_name,
	    status_name(expected)))
		diag("got %s at offset %zu", status_name(st), off);
	if (expected != JSON_PARSE_OK)
		ok(value == NULL, "json: %s returns no value", case_name);
	json_object_put(value);
}

#define REJECT(lit, status, case_name) \
	expect_status(LIT(lit), status, case_name)
#define ACCEPT(lit, case_name) expect_status(LIT(lit), JSON_PARSE_OK, case_name)

/* Parse text that must be valid and return the value for further checks. */
static struct json_object *
parse_valid(const char *text, size_t len, const char *case_name)
{
	struct json_object	*value;
	enum json_parse_status	 st;
	size_t			 off;

	value = parse(text, len, &st, &off);
	if (!ok(st == JSON_PARSE_OK, "json: %s is valid", case_name))
		diag("got %s at offset %zu", status_name(st), off);
	return value;
}

/* Expect a string value with exactly the bytes "bytes". */
static void
expect_string(const char *text, size_t len, const char *bytes,
    size_t nbytes, const char *case_name)
{
	struct json_object *value = parse_valid(text, len, case_name);

	if (ok(value != NULL && json_object_is_type(value, json_type_string),
	    "json: %s is a string", case_name)) {
		is_int(json_object_get_string_len(value), (long long)nbytes,
		    "json: %s has the decoded length", case_name);
		ok((size_t)json_object_get_string_len(value) == nbytes &&
		    memcmp(json_object_get_string(value), bytes, nbytes) == 0,
		    "json: %s has the decoded bytes", case_name);
	}
	json_object_put(value);
}

#define STRING(lit, bytes, case_name) \
	expect_string(LIT(lit), bytes, sizeof(bytes) - 1, case_name)

static void
test_scalars(void)
{
	struct json_object	*v;
	enum json_parse_status	 st;
	size_t			 off;

	v = parse_valid(LIT("\"abc\""), "string document");
	ok(v != NULL && json_object_is_type(v, json_type_string) &&
	    strcmp(json_object_get_string(v), "abc") == 0,
	    "json: string document has its text");
	json_object_put(v);

	v = parse_valid(LIT("123"), "integer document");
	ok(v != NULL && json_object_is_type(v, json_type_int) &&
	    json_object_get_int64(v) == 123, "json: integer document is 123");
	json_object_put(v);

	v = parse_valid(LIT("-5"), "negative integer");
	ok(v != NULL && json_object_is_type(v, json_type_int) &&
	    json_object_get_int64(v) == -5, "json: negative integer is -5");
	json_object_put(v);

	v = parse_valid(LIT("1.5"), "fraction");
	ok(v != NULL && json_object_is_type(v, json_type_double) &&
	    json_object_get_double(v) == 1.5, "json: fraction is double 1.5");
	json_object_put(v);

	v = parse_valid(LIT("true"), "true");
	ok(v != NULL && json_object_is_type(v, json_type_boolean) &&
	    json_object_get_boolean(v), "json: true is boolean true");
	json_object_put(v);

	v = parse_valid(LIT("false"), "false");
	ok(v != NULL && json_object_is_type(v, json_type_boolean) &&
	    !json_object_get_boolean(v), "json: false is boolean false");
	json_object_put(v);

	v = parse(LIT("null"), &st, &off);
	is_int(st, JSON_PARSE_OK, "json: null is valid");
	ok(v == NULL, "json: null returns NULL");

	v = parse(LIT(" \t\r\nnull \t\r\n"), &st, &off);
	is_int(st, JSON_PARSE_OK, "json: null with blank space is valid");
	ok(v == NULL, "json: null with blank space returns NULL");
}

static void
test_containers(void)
{
	struct json_object	*v, *e;

	v = parse_valid(LIT("[]"), "empty array");
	ok(v != NULL && json_object_is_type(v, json_type_array) &&
	    json_object_array_length(v) == 0, "json: empty array has no items");
	json_object_put(v);

	v = parse_valid(LIT("{}"), "empty object");
	ok(v != NULL && json_object_is_type(v, json_type_object) &&
	    json_object_object_length(v) == 0,
	    "json: empty object has no keys");
	json_object_put(v);

	v = parse_valid(LIT("[1,\"a\",true,null,{\"k\":[]},2.5,false]"),
	    "array of every type");
	if (ok(v != NULL && json_object_is_type(v, json_type_array) &&
	    json_object_array_length(v) == 7, "json: array has 7 items")) {
		e = json_object_array_get_idx(v, 0);
		ok(json_object_is_type(e, json_type_int) &&
		    json_object_get_int64(e) == 1, "json: array item 0 is 1");
		e = json_object_array_get_idx(v, 1);
		ok(json_object_is_type(e, json_type_string) &&
		    strcmp(json_object_get_string(e), "a") == 0,
		    "json: array item 1 is \"a\"");
		e = json_object_array_get_idx(v, 2);
		ok(json_object_is_type(e, json_type_boolean) &&
		    json_object_get_boolean(e), "json: array item 2 is true");
		ok(json_object_array_get_idx(v, 3) == NULL,
		    "json: array item 3 is null");
		e = json_object_array_get_idx(v, 4);
		ok(json_object_is_type(e, json_type_object) &&
		    json_object_object_length(e) == 1,
		    "json: array item 4 is an object");
		e = json_object_array_get_idx(v, 5);
		ok(json_object_is_type(e, json_type_double) &&
		    json_object_get_double(e) == 2.5,
		    "json: array item 5 is 2.5");
		e = json_object_array_get_idx(v, 6);
		ok(json_object_is_type(e, json_type_boolean) &&
		    !json_object_get_boolean(e), "json: array item 6 is false");
	}
	json_object_put(v);

	v = parse_valid(LIT("{\"a\":1,\"b\":[true,false],\"c\":{\"d\":\"e\"},"
	    "\"n\":null}"), "object of every type");
	if (ok(v != NULL && json_object_is_type(v, json_type_object) &&
	    json_object_object_length(v) == 4, "json: object has 4 keys")) {
		struct json_object *c = NULL, *d = NULL, *n = NULL;

		ok(json_object_object_get_ex(v, "c", &c) &&
		    json_object_object_get_ex(c, "d", &d) &&
		    strcmp(json_object_get_string(d), "e") == 0,
		    "json: nested object value is reachable");
		ok(json_object_object_get_ex(v, "n", &n) && n == NULL,
		    "json: null member is present with a NULL value");
	}
	json_object_put(v);

	ACCEPT(" \t\r\n[ 1 , 2 ]\n\t ", "array with blank space everywhere");
	ACCEPT("{ \"a\" : 1 , \"b\" :\n2 }",
	    "object with blank space everywhere");
	ACCEPT("[[],[],{}]", "array of empty containers");
}

static void
test_strings(void)
{
	STRING("\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"", "\"\\/\b\f\n\r\t",
	    "every short escape");
	STRING("\"\\u00e9\\u20AC\\uffff\"", "\xc3\xa9\xe2\x82\xac\xef\xbf\xbf",
	    "BMP escapes");
	STRING("\"\\u0041\\u007f\\u0080\\u07ff\\u0800\"",
	    "A\x7f\xc2\x80\xdf\xbf\xe0\xa0\x80", "escapes at UTF-8 boundaries");
	STRING("\"\\u001f\"", "\x1f", "escaped control character");
	STRING("\"\\ud83d\\ude00\"", "\xf0\x9f\x98\x80",
	    "surrogate pair escape");
	STRING("\"\\uD83D\\uDE00\"", "\xf0\x9f\x98\x80",
	    "upper-case surrogate pair escape");
	STRING("\"\\ud800\\udc00\"", "\xf0\x90\x80\x80",
	    "lowest surrogate pair");
	STRING("\"\\udbff\\udfff\"", "\xf4\x8f\xbf\xbf",
	    "highest surrogate pair");
	STRING("\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\"",
	    "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80", "raw UTF-8");
	STRING("\"\x7f\"", "\x7f", "raw DEL");
	STRING("\"\xef\xbb\xbf\"", "\xef\xbb\xbf", "U+FEFF inside a string");
	STRING("\"\"", "", "empty string");

	/* Control characters must be escaped. */
	REJECT("\"a\x01" "b\"", JSON_PARSE_SYNTAX, "raw U+0001 in a string");
	REJECT("\"a\tb\"", JSON_PARSE_SYNTAX, "raw tab in a string");
	REJECT("\"a\nb\"", JSON_PARSE_SYNTAX, "raw newline in a string");
	REJECT("\"a\x1f\"", JSON_PARSE_SYNTAX, "raw U+001F in a string");

	/* Escapes RFC 8259 does not define. */
	REJECT("\"\\x41\"", JSON_PARSE_SYNTAX, "escape \\x");
	REJECT("\"\\U0041\"", JSON_PARSE_SYNTAX, "escape \\U");
	REJECT("\"\\'\"", JSON_PARSE_SYNTAX, "escape \\'");
	REJECT("\"\\u00G1\"", JSON_PARSE_SYNTAX, "escape with non-hex digit");
	REJECT("\"\\u12\"", JSON_PARSE_SYNTAX, "short \\u escape");
	REJECT("\"\\u", JSON_PARSE_SYNTAX, "\\u at end of input");
	REJECT("\"\\\"", JSON_PARSE_SYNTAX,
	    "escaped quote and no closing quote");
	REJECT("\"abc", JSON_PARSE_SYNTAX, "unterminated string");
	REJECT("\"\\", JSON_PARSE_SYNTAX, "backslash at end of input");
}

static void
test_nul(void)
{
	REJECT("\"a\\u0000b\"", JSON_PARSE_NUL, "\\u0000 in a string");
	REJECT("\"\\u0000\"", JSON_PARSE_NUL, "string of only \\u0000");
	REJECT("\"a\0b\"", JSON_PARSE_NUL, "raw NUL in a string");
	REJECT("{\"\\u0000\":1}", JSON_PARSE_NUL, "\\u0000 as a key");
	REJECT("{\"a\\u0000\":1}", JSON_PARSE_NUL, "\\u0000 inside a key");
	REJECT("{\"a\0\":1}", JSON_PARSE_NUL, "raw NUL inside a key");
	REJECT("[\"x\",{\"k\":[\"\\u0000\"]}]", JSON_PARSE_NUL,
	    "\\u0000 nested in a value");
	REJECT("{\"a\":\"x\",\"a\\u0000b\":1}", JSON_PARSE_NUL,
	    "\\u0000 key that would truncate to a duplicate");
	REJECT("[\0]", JSON_PARSE_NUL, "raw NUL as a value");

	/* Whatever status a trailing NUL gets, the document is rejected. */
	{
		struct json_object	*v;
		enum json_parse_status	 st;
		size_t			 off;

		v = parse(LIT("{}\0"), &st, &off);
		ok(st != JSON_PARSE_OK && v == NULL,
		    "json: NUL after the document is rejected");
		json_object_put(v);
	}
}

static void
test_utf8(void)
{
	REJECT("\"\xff\"", JSON_PARSE_UTF8, "byte FF in a string");
	REJECT("\"\x80\"", JSON_PARSE_UTF8, "lone continuation in a string");
	REJECT("\"\xc3\"", JSON_PARSE_UTF8, "truncated sequence in a string");
	REJECT("\"\xe2\x82\"", JSON_PARSE_UTF8,
	    "truncated three-byte sequence in a string");
	REJECT("\"\xc0\x80\"", JSON_PARSE_UTF8, "overlong NUL in a string");
	REJECT("\"\xe0\x80\xaf\"", JSON_PARSE_UTF8,
	    "overlong slash in a string");
	REJECT("\"\xed\xa0\x80\"", JSON_PARSE_UTF8,
	    "encoded surrogate in a string");
	REJECT("\"\xf4\x90\x80\x80\"", JSON_PARSE_UTF8,
	    "code point above U+10FFFF in a string");
	REJECT("\"\xc3\\n\xa9\"", JSON_PARSE_UTF8,
	    "sequence split by an escape");
	REJECT("{\"\xff\":1}", JSON_PARSE_UTF8, "invalid UTF-8 in a key");
	REJECT("[\"ok\",\"\xfe\"]", JSON_PARSE_UTF8,
	    "invalid UTF-8 in a later array item");

	/* Surrogate escapes that do not form a pair. */
	REJECT("\"\\ud800\"", JSON_PARSE_UTF8, "lone high surrogate escape");
	REJECT("\"\\udbff\"", JSON_PARSE_UTF8, "lone U+DBFF escape");
	REJECT("\"\\ud800abc\"", JSON_PARSE_UTF8,
	    "high surrogate escape before text");
	REJECT("\"\\udc00\"", JSON_PARSE_UTF8, "lone low surrogate escape");
	REJECT("\"\\udfff\"", JSON_PARSE_UTF8, "lone U+DFFF escape");
	REJECT("\"\\udc00\\ud800\"", JSON_PARSE_UTF8,
	    "reversed surrogate escapes");
	REJECT("\"\\ud800\\ud800\"", JSON_PARSE_UTF8, "two high surrogates");
	REJECT("\"\\ud800\\u0041\"", JSON_PARSE_UTF8,
	    "high surrogate before \\u0041");
	REJECT("\"\\ud800\\n\"", JSON_PARSE_UTF8,
	    "high surrogate before another escape");
	REJECT("\"a\\ud83d\"", JSON_PARSE_UTF8,
	    "high surrogate at the end of a string");
	REJECT("{\"\\udc00\":1}", JSON_PARSE_UTF8, "lone surrogate in a key");
}

static void
test_syntax(void)
{
	REJECT("", JSON_PARSE_SYNTAX, "empty input");
	REJECT("   \n", JSON_PARSE_SYNTAX, "blank input");
	REJECT("{", JSON_PARSE_SYNTAX, "unclosed object");
	REJECT("[", JSON_PARSE_SYNTAX, "unclosed array");
	REJECT("[1,", JSON_PARSE_SYNTAX, "array cut after a comma");
	REJECT("]", JSON_PARSE_SYNTAX, "closing bracket alone");
	REJECT("[}", JSON_PARSE_SYNTAX, "array closed by a brace");
	REJECT("{]", JSON_PARSE_SYNTAX, "object closed by a bracket");
	REJECT("[{]}", JSON_PARSE_SYNTAX, "crossed brackets");
	REJECT("[1,]", JSON_PARSE_SYNTAX, "trailing comma in an array");
	REJECT("[,1]", JSON_PARSE_SYNTAX, "leading comma in an array");
	REJECT("[1 2]", JSON_PARSE_SYNTAX, "array without a comma");
	REJECT("{\"a\":1,}", JSON_PARSE_SYNTAX, "trailing comma in an object");
	REJECT("{,}", JSON_PARSE_SYNTAX, "comma alone in an object");
	REJECT("{\"a\" 1}", JSON_PARSE_SYNTAX, "object without a colon");
	REJECT("{\"a\":}", JSON_PARSE_SYNTAX, "object without a value");
	REJECT("{\"a\"}", JSON_PARSE_SYNTAX, "object key alone");
	REJECT("{1:2}", JSON_PARSE_SYNTAX, "number as a key");
	REJECT("{a:1}", JSON_PARSE_SYNTAX, "bare word as a key");
	REJECT("{'a':1}", JSON_PARSE_SYNTAX, "single-quoted key");
	REJECT("['a']", JSON_PARSE_SYNTAX, "single-quoted string");
	REJECT("tru", JSON_PARSE_SYNTAX, "truncated true");
	REJECT("nul", JSON_PARSE_SYNTAX, "truncated null");
	REJECT("True", JSON_PARSE_SYNTAX, "capitalised True");
	REJECT("NULL", JSON_PARSE_SYNTAX, "upper-case NULL");
	REJECT("undefined", JSON_PARSE_SYNTAX, "undefined");
	REJECT("abc", JSON_PARSE_SYNTAX, "bare word");
	REJECT("/* c */ 1", JSON_PARSE_SYNTAX, "comment before a value");
	REJECT("1 // c", JSON_PARSE_SYNTAX, "comment after a value");

	/* Anything after the one value. */
	REJECT("{} x", JSON_PARSE_SYNTAX, "text after an object");
	REJECT("{}{}", JSON_PARSE_SYNTAX, "two objects");
	REJECT("1 2", JSON_PARSE_SYNTAX, "two numbers");
	REJECT("[]]", JSON_PARSE_SYNTAX, "extra closing bracket");
	REJECT("nullx", JSON_PARSE_SYNTAX, "text after null");
	REJECT("truefalse", JSON_PARSE_SYNTAX, "two literals");
	REJECT("\"a\"\"b\"", JSON_PARSE_SYNTAX, "two strings");
	REJECT("1x", JSON_PARSE_SYNTAX, "letter after a number");

	/* A byte order mark is not JSON text (RFC 8259, section 8.1). */
	REJECT("\xef\xbb\xbf{}", JSON_PARSE_SYNTAX, "leading byte order mark");
	REJECT("\xef\xbb\xbf\"a\"", JSON_PARSE_SYNTAX,
	    "byte order mark before a string");

	/* RFC 8259 blank space is only space, tab, LF and CR. */
	REJECT("\f1", JSON_PARSE_SYNTAX, "form feed as blank space");
	REJECT("\v1", JSON_PARSE_SYNTAX, "vertical tab as blank space");
	REJECT("1\f", JSON_PARSE_SYNTAX, "trailing form feed");
	REJECT("\xc2\xa0" "1", JSON_PARSE_SYNTAX,
	    "no-break space as blank space");
	REJECT("[1,\xe2\x80\x83" "2]", JSON_PARSE_SYNTAX,
	    "em space between items");
}

/* "*offset" is the byte where parsing stopped. */
static void
test_offsets(void)
{
	static const struct {
		const char	*text;
		size_t		 offset;
		const char	*case_name;
	} cases[] = {
		{ "{} x", 3, "text after an object" },
		{ "[1,2,]", 5, "trailing comma" },
		{ "[1,2", 4, "array cut at the end" },
		{ "  @", 2, "unexpected character after blanks" },
	};
	struct json_object	*v;
	enum json_parse_status	 st;
	size_t			 off, i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		v = parse(cases[i].text, strlen(cases[i].text), &st, &off);
		is_int((long long)off, (long long)cases[i].offset,
		    "json: offset of %s", cases[i].case_name);
		json_object_put(v);
	}
}

static void
expect_double(const char *text, double expected, const char *case_name)
{
	struct json_object *v = parse_valid(text, strlen(text), case_name);

	if (!ok(v != NULL && json_object_is_type(v, json_type_double) &&
	    json_object_get_double(v) == expected,
	    "json: %s is the double %g", case_name, expected))
		diag("type %s, value %s", v ? json_type_to_name(
		    json_object_get_type(v)) : "none",
		    v ? json_object_get_string(v) : "none");
	json_object_put(v);
}

static void
expect_int(const char *text, int64_t expected, const char *case_name)
{
	struct json_object *v = parse_valid(text, strlen(text), case_name);

	if (!ok(v != NULL && json_object_is_type(v, json_type_int) &&
	    json_object_get_int64(v) == expected,
	    "json: %s is the integer %lld", case_name, (long long)expected))
		diag("type %s, value %s", v ? json_type_to_name(
		    json_object_get_type(v)) : "none",
		    v ? json_object_get_string(v) : "none");
	json_object_put(v);
}

static void
test_numbers(void)
{
	struct json_object	*v;
	char			 digits[128];

	expect_int("0", 0, "zero");
	expect_int("-0", 0, "minus zero");
	expect_int("9223372036854775807", INT64_MAX, "INT64_MAX");
	expect_int("-9223372036854775808", INT64_MIN, "INT64_MIN");
	expect_double("9223372036854775808", 9223372036854775808.0,
	    "INT64_MAX + 1");
	expect_double("-9223372036854775809", -9223372036854775808.0,
	    "INT64_MIN - 1");
	expect_double("18446744073709551616", 18446744073709551616.0, "2^64");
	expect_double("1E5", 100000.0, "upper-case exponent");
	expect_double("1e+2", 100.0, "exponent with plus sign");
	expect_double("2.5e-3", 0.0025, "fraction with negative exponent");
	expect_double("0e0", 0.0, "zero with exponent");
	expect_double("1.7976931348623157e308", 1.7976931348623157e308,
	    "DBL_MAX");

	v = parse_valid(LIT("-0.0"), "minus zero fraction");
	ok(v != NULL && json_object_is_type(v, json_type_double) &&
	    json_object_get_double(v) == 0.0 &&
	    signbit(json_object_get_double(v)),
	    "json: -0.0 keeps its sign");
	json_object_put(v);

	/* Underflow rounds towards zero, which is not an error. */
	v = parse_valid(LIT("1e-400"), "exponent -400");
	ok(v != NULL && json_object_is_type(v, json_type_double) &&
	    json_object_get_double(v) >= 0.0 &&
	    json_object_get_double(v) < 1e-300, "json: 1e-400 is about zero");
	json_object_put(v);

	/* Overflow to infinity cannot be represented: RANGE, not SYNTAX. */
	REJECT("1e400", JSON_PARSE_RANGE, "number 1e400");
	REJECT("-1e400", JSON_PARSE_RANGE, "number -1e400");
	REJECT("1.8e308", JSON_PARSE_RANGE, "number just above DBL_MAX");
	REJECT("[1e400]", JSON_PARSE_RANGE, "1e400 inside an array");

	/*
	 * RFC 8259 numbers have no length limit, and json.c promises a
	 * double for an integer that does not fit in int64.
	 */
	memset(digits, '9', 100);
	digits[0] = '1';
	memset(digits + 1, '0', 99);
	digits[100] = '\0';
	expect_double(digits, 1e99, "100-digit integer");

	REJECT("01", JSON_PARSE_SYNTAX, "leading zero");
	REJECT("-01", JSON_PARSE_SYNTAX, "negative leading zero");
	REJECT("00", JSON_PARSE_SYNTAX, "double zero");
	REJECT("[007]", JSON_PARSE_SYNTAX, "leading zeros in an array");
	REJECT("-", JSON_PARSE_SYNTAX, "minus alone");
	REJECT("--1", JSON_PARSE_SYNTAX, "double minus");
	REJECT("+1", JSON_PARSE_SYNTAX, "plus sign");
	REJECT("1.", JSON_PARSE_SYNTAX, "fraction without digits");
	REJECT(".5", JSON_PARSE_SYNTAX, "fraction without integer part");
	REJECT("1.e5", JSON_PARSE_SYNTAX, "empty fraction before exponent");
	REJECT("1e", JSON_PARSE_SYNTAX, "exponent without digits");
	REJECT("1e+", JSON_PARSE_SYNTAX, "signed exponent without digits");
	REJECT("0x10", JSON_PARSE_SYNTAX, "hexadecimal number");
	REJECT("1_000", JSON_PARSE_SYNTAX, "digit separator");
	REJECT("NaN", JSON_PARSE_SYNTAX, "NaN");
	REJECT("Infinity", JSON_PARSE_SYNTAX, "Infinity");
	REJECT("-Infinity", JSON_PARSE_SYNTAX, "-Infinity");
}

/* Build "count" levels of nesting: 'a' arrays, 'o' objects, 'm' alternating. */
static char *
nested(size_t count, char kind, const char *inner)
{
	size_t	 size = count * 8 + strlen(inner) + 1;
	char	*s = malloc(size), *p;
	size_t	 i;

	if (s == NULL)
		bail_out("out of memory");
	p = s;
	for (i = 0; i < count; i++) {
		bool array = kind == 'a' || (kind == 'm' && i % 2 == 0);

		if (array)
			*p++ = '[';
		else {
			memcpy(p, "{\"k\":", 5);
			p += 5;
		}
	}
	strcpy(p, inner);
	p += strlen(inner);
	for (i = count; i > 0; i--) {
		bool array = kind == 'a' || (kind == 'm' && (i - 1) % 2 == 0);

		*p++ = array ? ']' : '}';
	}
	*p = '\0';
	return s;
}

static void
expect_depth(size_t count, char kind, const char *inner,
    enum json_parse_status expected, const char *case_name)
{
	char *text = nested(count, kind, inner);

	expect_status(text, strlen(text), expected, case_name);
	free(text);
}

static void
test_depth(void)
{
	struct json_object	*v;
	enum json_parse_status	 st;
	size_t			 off;
	char			*text, *a31;

	expect_depth(32, 'a', "", JSON_PARSE_OK, "32 nested arrays");
	expect_depth(33, 'a', "", JSON_PARSE_DEPTH, "33 nested arrays");
	expect_depth(32, 'a', "1", JSON_PARSE_OK, "32 nested arrays around 1");
	expect_depth(32, 'o', "1", JSON_PARSE_OK, "32 nested objects");
	expect_depth(33, 'o', "1", JSON_PARSE_DEPTH, "33 nested objects");
	expect_depth(31, 'o', "{}", JSON_PARSE_OK,
	    "31 objects around an empty object");
	expect_depth(32, 'o', "{}", JSON_PARSE_DEPTH,
	    "32 objects around an empty object");
	expect_depth(32, 'm', "\"x\"", JSON_PARSE_OK,
	    "32 alternating arrays and objects");
	expect_depth(33, 'm', "\"x\"", JSON_PARSE_DEPTH,
	    "33 alternating arrays and objects");
	expect_depth(31, 'a', "{}", JSON_PARSE_OK,
	    "31 arrays around an empty object");
	expect_depth(32, 'a', "{}", JSON_PARSE_DEPTH,
	    "32 arrays around an empty object");
	expect_depth(100000, 'a', "", JSON_PARSE_DEPTH, "100000 nested arrays");

	/* The depth error stops at the 33rd opening bracket. */
	text = nested(33, 'a', "");
	v = parse(text, strlen(text), &st, &off);
	is_int((long long)off, 32, "json: depth error offset is the 33rd '['");
	json_object_put(v);
	free(text);

	/* Siblings do not add up: two 31-deep arrays inside one array. */
	a31 = nested(31, 'a', "");
	if (asprintf(&text, "[%s,%s]", a31, a31) == -1)
		bail_out("out of memory");
	expect_status(text, strlen(text), JSON_PARSE_OK,
	    "two 31-deep siblings in an array");
	free(text);
	if (asprintf(&text, "{\"a\":%s,\"b\":%s}", a31, a31) == -1)
		bail_out("out of memory");
	expect_status(text, strlen(text), JSON_PARSE_OK,
	    "two 31-deep siblings in an object");
	free(text);
	free(a31);
}

static void
test_duplicates(void)
{
	REJECT("{\"a\":1,\"a\":2}", JSON_PARSE_DUPLICATE, "duplicate key");
	REJECT("{\"a\":1,\"a\":1}", JSON_PARSE_DUPLICATE,
	    "duplicate key with equal values");
	REJECT("{\"a\":1,\"\\u0061\":2}", JSON_PARSE_DUPLICATE,
	    "duplicate key spelled \\u0061");
	REJECT("{\"\\u0061\":1,\"a\":2}", JSON_PARSE_DUPLICATE,
	    "duplicate key spelled \\u0061 first");
	REJECT("{\"a\":null,\"a\":null}", JSON_PARSE_DUPLICATE,
	    "duplicate key with null values");
	REJECT("{\"\":1,\"\":2}", JSON_PARSE_DUPLICATE, "duplicate empty key");
	REJECT("{\"/\":1,\"\\/\":2}", JSON_PARSE_DUPLICATE,
	    "duplicate key spelled \\/");
	REJECT("{\"\xf0\x9f\x98\x80\":1,\"\\ud83d\\ude00\":2}",
	    JSON_PARSE_DUPLICATE, "duplicate key spelled as a surrogate pair");
	REJECT("{\"a\":1,\"b\":2,\"c\":3,\"b\":4}", JSON_PARSE_DUPLICATE,
	    "duplicate key among others");
	REJECT("{\"x\":{\"a\":1,\"a\":1}}", JSON_PARSE_DUPLICATE,
	    "duplicate key in a nested object");
	REJECT("[{\"a\":1,\"a\":2}]", JSON_PARSE_DUPLICATE,
	    "duplicate key in an object in an array");

	ACCEPT("{\"a\":1,\"A\":1}", "keys differing in case");
	ACCEPT("{\"a\":1,\"a \":1}", "keys differing by a trailing space");
	ACCEPT("{\"a\":{\"a\":1}}", "same key at two levels");
	ACCEPT("[{\"a\":1},{\"a\":1}]", "same key in sibling objects");
	ACCEPT("{\"\xc3\xa9\":1,\"e\xcc\x81\":1}",
	    "canonically equivalent keys with different bytes");
}

static void
test_strerror(void)
{
	enum json_parse_status	st;
	const char		*msgs[JSON_PARSE_NOMEM + 1];
	int			i, j, distinct = 1;

	for (st = JSON_PARSE_OK; st <= JSON_PARSE_NOMEM; st++) {
		msgs[st] = json_parse_strerror(st);
		ok(msgs[st] != NULL && msgs[st][0] != '\0',
		    "json: strerror of %s is a message", status_name(st));
	}
	for (i = 0; i <= JSON_PARSE_NOMEM; i++)
		for (j = i + 1; j <= JSON_PARSE_NOMEM; j++)
			if (msgs[i] && msgs[j] && strcmp(msgs[i], msgs[j]) == 0)
				distinct = 0;
	ok(distinct, "json: strerror messages are distinct");
}

/* Return the problem recorded in "fields" for "field", or NULL. */
static const char *
problem(struct json_object *fields, const char *field)
{
	struct json_object *v;

	if (!json_object_object_get_ex(fields, field, &v))
		return NULL;
	return json_object_get_string(v);
}

static void
test_get_string(struct json_object *body)
{
	struct json_object	*fields = json_object_new_object();
	const char		*out;

	out = NULL;
	is_int(json_get_string(body, "name", true, 10, &out, fields), SSCN_OK,
	    "json_get_string: present field is OK");
	is_str(out, "Ada", "json_get_string: value is returned");

	out = NULL;
	is_int(json_get_string(body, "long", true, 6, &out, fields), SSCN_OK,
	    "json_get_string: length equal to max_len is OK");
	is_str(out, "abcdef", "json_get_string: value at max_len is returned");
	is_int(json_get_string(body, "empty", true, 0, &out, fields), SSCN_OK,
	    "json_get_string: empty string with max_len 0 is OK");
	is_str(out, "", "json_get_string: empty string is returned");
	is_int(json_object_object_length(fields), 0,
	    "json_get_string: success adds no problem");

	out = "unchanged";
	is_int(json_get_string(body, "long", true, 5, &out, fields),
	    SSCN_ERR_VALIDATION, "json_get_string: longer than max_len fails");
	is_str(problem(fields, "long"), "is too long",
	    "json_get_string: too long is reported");

	/* max_len counts bytes: three two-byte characters are 6 bytes. */
	is_int(json_get_string(body, "utf", true, 6, &out, fields), SSCN_OK,
	    "json_get_string: 6-byte UTF-8 value fits max_len 6");
	is_int(json_get_string(body, "utf", true, 5, &out, fields),
	    SSCN_ERR_VALIDATION,
	    "json_get_string: 6-byte UTF-8 value exceeds max_len 5");

	is_int(json_get_string(body, "absent", true, 10, &out, fields),
	    SSCN_ERR_VALIDATION, "json_get_string: missing required fails");
	is_str(problem(fields, "absent"), "missing",
	    "json_get_string: missing required is reported");

	out = "unchanged";
	is_int(json_get_string(body, "absent2", false, 10, &out, fields),
	    SSCN_OK, "json_get_string: missing optional is OK");
	is_str(out, "unchanged", "json_get_string: missing optional keeps out");
	is_str(problem(fields, "absent2"), NULL,
	    "json_get_string: missing optional is not reported");

	is_int(json_get_string(body, "nul", true, 10, &out, fields),
	    SSCN_ERR_VALIDATION, "json_get_string: null required fails");
	is_str(problem(fields, "nul"), "missing",
	    "json_get_string: null counts as missing");
	out = "unchanged";
	is_int(json_get_string(body, "nul", false, 10, &out, fields), SSCN_OK,
	    "json_get_string: null optional is OK");
	is_str(out, "unchanged", "json_get_string: null optional keeps out");

	is_int(json_get_string(body, "num", true, 10, &out, fields),
	    SSCN_ERR_VALIDATION, "json_get_string: number fails");
	is_str(problem(fields, "num"), "must be a string",
	    "json_get_string: number is reported as wrong type");
	is_int(json_get_string(body, "flag", true, 10, &out, fields),
	    SSCN_ERR_VALIDATION, "json_get_string: boolean fails");
	is_int(json_get_string(body, "arr", true, 10, &out, fields),
	    SSCN_ERR_VALIDATION, "json_get_string: array fails");
	is_int(json_get_string(body, "obj", true, 10, &out, fields),
	    SSCN_ERR_VALIDATION, "json_get_string: object fails");
	is_str(problem(fields, "obj"), "must be a string",
	    "json_get_string: object is reported as wrong type");
	json_object_put(fields);
}

static void
test_get_bool(struct json_object *body)
{
	struct json_object	*fields = json_object_new_object();
	bool			 out;

	out = false;
	is_int(json_get_bool(body, "flag", true, &out, fields), SSCN_OK,
	    "json_get_bool: true is OK");
	ok(out, "json_get_bool: true is returned");
	out = true;
	is_int(json_get_bool(body, "off", true, &out, fields), SSCN_OK,
	    "json_get_bool: false is OK");
	ok(!out, "json_get_bool: false is returned");
	is_int(json_object_object_length(fields), 0,
	    "json_get_bool: success adds no problem");

	is_int(json_get_bool(body, "num", true, &out, fields),
	    SSCN_ERR_VALIDATION, "json_get_bool: number fails");
	is_str(problem(fields, "num"), "must be a boolean",
	    "json_get_bool: number is reported as wrong type");
	is_int(json_get_bool(body, "numstr", true, &out, fields),
	    SSCN_ERR_VALIDATION, "json_get_bool: string fails");
	is_int(json_get_bool(body, "absent", true, &out, fields),
	    SSCN_ERR_VALIDATION, "json_get_bool: missing required fails");
	is_str(problem(fields, "absent"), "missing",
	    "json_get_bool: missing required is reported");

	out = true;
	is_int(json_get_bool(body, "absent", false, &out, fields), SSCN_OK,
	    "json_get_bool: missing optional is OK");
	ok(out, "json_get_bool: missing optional keeps out");
	json_object_put(fields);
}

static void
test_get_int(struct json_object *body)
{
	struct json_object	*fields = json_object_new_object();
	int64_t			 out;

	out = 0;
	is_int(json_get_int(body, "num", true, 0, 100, &out, fields), SSCN_OK,
	    "json_get_int: value in range is OK");
	is_int(out, 42, "json_get_int: value is returned");
	is_int(json_get_int(body, "num", true, 42, 42, &out, fields), SSCN_OK,
	    "json_get_int: value equal to min and max is OK");
	is_int(json_get_int(body, "neg", true, -10, 0, &out, fields), SSCN_OK,
	    "json_get_int: negative value is OK");
	is_int(out, -7, "json_get_int: negative value is returned");
	is_int(json_get_int(body, "big", true, INT64_MIN, INT64_MAX, &out,
	    fields), SSCN_OK, "json_get_int: INT64_MAX is OK");
	is_int(out, INT64_MAX, "json_get_int: INT64_MAX is returned");
	is_int(json_object_object_length(fields), 0,
	    "json_get_int: success adds no problem");

	is_int(json_get_int(body, "num", true, 43, 100, &out, fields),
	    SSCN_ERR_VALIDATION, "json_get_int: value below min fails");
	is_str(problem(fields, "num"), "is out of range",
	    "json_get_int: below min is reported");
	is_int(json_get_int(body, "neg", true, -100, -8, &out, fields),
	    SSCN_ERR_VALIDATION, "json_get_int: value above max fails");
	is_str(problem(fields, "neg"), "is out of range",
	    "json_get_int: above max is reported");

	is_int(json_get_int(body, "dbl", true, 0, 100, &out, fields),
	    SSCN_ERR_VALIDATION, "json_get_int: fraction fails");
	is_str(problem(fields, "dbl"), "must be an integer",
	    "json_get_int: fraction is reported as wrong type");
	is_int(json_get_int(body, "dblint", true, 0, 100, &out, fields),
	    SSCN_ERR_VALIDATION, "json_get_int: 2.0 fails");
	is_int(json_get_int(body, "huge", true, INT64_MIN, INT64_MAX, &out,
	    fields), SSCN_ERR_VALIDATION, "json_get_int: 2^63 fails");
	is_int(json_get_int(body, "numstr", true, 0, 100, &out, fields),
	    SSCN_ERR_VALIDATION, "json_get_int: numeric string fails");
	is_int(json_get_int(body, "flag", true, 0, 100, &out, fields),
	    SSCN_ERR_VALIDATION, "json_get_int: boolean fails");
	is_int(json_get_int(body, "absent", true, 0, 100, &out, fields),
	    SSCN_ERR_VALIDATION, "json_get_int: missing required fails");
	is_str(problem(fields, "absent"), "missing",
	    "json_get_int: missing required is reported");

	out = 99;
	is_int(json_get_int(body, "absent", false, 0, 100, &out, fields),
	    SSCN_OK, "json_get_int: missing optional is OK");
	is_int(out, 99, "json_get_int: missing optional keeps out");
	json_object_put(fields);
}

static void
test_field_helpers(void)
{
	static const char text[] =
	    "{\"name\":\"Ada\",\"long\":\"abcdef\",\"empty\":\"\","
	    "\"utf\":\"\xc3\xa9\xc3\xa9\xc3\xa9\",\"flag\":true,\"off\":false,"
	    "\"num\":42,\"neg\":-7,\"big\":9223372036854775807,"
	    "\"huge\":9223372036854775808,\"dbl\":1.5,\"dblint\":2.0,"
	    "\"numstr\":\"5\",\"nul\":null,\"arr\":[1],\"obj\":{}}";
	struct json_object	*body, *fields, *array;
	const char		*s;
	int64_t			 n;

	body = parse_valid(LIT(text), "field helper body");
	if (body == NULL)
		bail_out("the field helper body did not parse");

	test_get_string(body);
	test_get_bool(body);
	test_get_int(body);

	/* Problems add up, one entry per field. */
	fields = json_object_new_object();
	(void)json_get_string(body, "absent", true, 10, &s, fields);
	(void)json_get_int(body, "dbl", true, 0, 10, &n, fields);
	(void)json_get_string(body, "name", true, 10, &s, fields);
	is_int(json_object_object_length(fields), 2,
	    "json_get: two failures give two problems");
	json_object_put(fields);

	/* A body that is not an object has none of the fields. */
	array = parse_valid(LIT("[1]"), "array body");
	fields = json_object_new_object();
	is_int(json_get_int(array, "num", true, 0, 10, &n, fields),
	    SSCN_ERR_VALIDATION, "json_get_int: array body fails");
	is_int(json_get_string(NULL, "name", true, 10, &s, fields),
	    SSCN_ERR_VALIDATION, "json_get_string: null body fails");
	json_object_put(fields);
	json_object_put(array);
	json_object_put(body);
}

int
main(void)
{
	test_scalars();
	test_containers();
	test_strings();
	test_nul();
	test_utf8();
	test_syntax();
	test_offsets();
	test_numbers();
	test_depth();
	test_duplicates();
	test_strerror();
	test_field_helpers();
	return done_testing();
}
