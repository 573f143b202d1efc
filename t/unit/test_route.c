/*
 * test_route.c - route_match(): templates, parameters, 404 and 405.
 *
 * The tables here are the test's own, not the application's, so the cases
 * do not change when routes are added.  Each path is copied into a fresh
 * buffer because route_match() splits it in place.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "sscn.h"
#include "tap.h"

static enum sscn_err
handler_a(struct http_request *req)
{
	(void)req;
	return SSCN_OK;
}

static enum sscn_err
handler_b(struct http_request *req)
{
	(void)req;
	return SSCN_ERR_INTERNAL;
}

static const struct route routes[] = {
	{ "GET", "/api/health/", handler_a, 0 },			/* 0 */
	{ "GET", "/api/health/live", handler_a, 0 },			/* 1 */
	{ "GET", "/api/v1/rfqs", handler_a, 0 },			/* 2 */
	{ "POST", "/api/v1/rfqs", handler_b, ROUTE_BODY_JSON },		/* 3 */
	{ "GET", "/api/v1/rfqs/{id}", handler_a, 0 },			/* 4 */
	{ "PUT", "/api/v1/rfqs/{id}", handler_b, ROUTE_BODY_JSON },	/* 5 */
	{ "DELETE", "/api/v1/rfqs/{id}", handler_a, 0 },		/* 6 */
	{ "GET", "/api/v1/rfqs/{id}/items/{item}", handler_a, 0 },	/* 7 */
	{ "POST", "/api/v1/{a}/{b}/x/{c}/{d}", handler_a, 0 },		/* 8 */
	{ "GET", "/1/2/3/4/5/6/7/8/9/10/11/12/13/14/15/16", handler_a,
	    0 },/* 9 */
	{ "GET", "/", handler_b, 0 },					/* 10 */
	{ "PATCH", "/api/v1/{a}/{b}/x/{c}/{d}/{e}", handler_a, 0 },	/* 11 */
	{ "GET", "/1/2/3/4/5/6/7/8/9/10/11/12/13/14/15/16/17", handler_a, 0 },
								/* 12 */
};
#define NROUTES (sizeof(routes) / sizeof(routes[0]))

/* Match a copy of "path", kept in "buf", and return the status. */
static enum route_status
match_path(const char *method, const char *path, char *buf, size_t buflen,
    struct route_match *m)
{
	snprintf(buf, buflen, "%s", path);
	return route_match(routes, NROUTES, method, buf, m);
}

/* Expect ROUTE_FOUND on table entry "index" with no parameters. */
static void
expect_found(const char *method, const char *path, size_t index)
{
	char			buf[256];
	struct route_match	m;
	enum route_status	st;

	st = match_path(method, path, buf, sizeof(buf), &m);
	is_int(st, ROUTE_FOUND, "route: %s %s is found", method, path);
	ok(m.route == &routes[index], "route: %s %s picks entry %zu", method,
	    path, index);
}

static void
expect_not_found(const char *method, const char *path, const char *why)
{
	char			buf[256];
	struct route_match	m;

	is_int(match_path(method, path, buf, sizeof(buf), &m),
	    ROUTE_NOT_FOUND, "route: %s is 404", why);
	ok(m.route == NULL, "route: %s sets no route", why);
}

static void
expect_405(const char *method, const char *path, const char *allow)
{
	char			buf[256];
	struct route_match	m;

	is_int(match_path(method, path, buf, sizeof(buf), &m),
	    ROUTE_METHOD_NOT_ALLOWED, "route: %s %s is 405", method, path);
	is_str(m.allow, allow, "route: %s %s lists the allowed methods",
	    method, path);
	ok(m.route == NULL, "route: %s %s sets no route on 405", method, path);
}

static void
test_static_templates(void)
{
	char			buf[256];
	struct route_match	m;

	expect_found("GET", "/api/health/", 0);
	expect_found("GET", "/api/health/live", 1);
	expect_found("GET", "/api/v1/rfqs", 2);
	expect_found("POST", "/api/v1/rfqs", 3);
	expect_found("GET", "/", 10);

	match_path("POST", "/api/v1/rfqs", buf, sizeof(buf), &m);
	is_int(m.nparams, 0, "route: static template has no parameters");
	ok(m.route != NULL && m.route->handler == handler_b &&
	    m.route->flags == ROUTE_BODY_JSON,
	    "route: match returns the entry's handler and flags");
}

static void
test_parameters(void)
{
	char			buf[256];
	struct route_match	m;

	is_int(match_path("GET", "/api/v1/rfqs/abc-123", buf, sizeof(buf), &m),
	    ROUTE_FOUND, "route: one parameter is found");
	ok(m.route == &routes[4], "route: one parameter picks its template");
	is_int(m.nparams, 1, "route: one parameter is counted");
	is_str(m.params[0], "abc-123", "route: parameter value is the segment");
	ok(m.params[0] >= buf && m.params[0] < buf + sizeof(buf),
	    "route: parameter points into the path buffer");

	is_int(match_path("PUT", "/api/v1/rfqs/7", buf, sizeof(buf), &m),
	    ROUTE_FOUND, "route: PUT with parameter is found");
	ok(m.route == &routes[5], "route: PUT picks its own template");
	is_str(m.params[0], "7", "route: PUT parameter value");

	is_int(match_path("GET", "/api/v1/rfqs/r1/items/i2", buf, sizeof(buf),
	    &m), ROUTE_FOUND, "route: two parameters are found");
	is_int(m.nparams, 2, "route: two parameters are counted");
	is_str(m.params[0], "r1", "route: first of two parameters");
	is_str(m.params[1], "i2", "route: second of two parameters");

	is_int(match_path("POST", "/api/v1/p/q/x/r/s", buf, sizeof(buf), &m),
	    ROUTE_FOUND, "route: four parameters are found");
	is_int(m.nparams, ROUTE_MAX_PARAMS,
	    "route: four parameters are counted");
	is_str(m.params[0], "p", "route: parameter 1 of 4");
	is_str(m.params[1], "q", "route: parameter 2 of 4");
	is_str(m.params[2], "r", "route: parameter 3 of 4");
	is_str(m.params[3], "s", "route: parameter 4 of 4");

	/* A fifth parameter does not fit in struct route_match. */
	expect_not_found("PATCH", "/api/v1/p/q/x/r/s/t",
	    "template with five parameters");

	/* Values are taken as they are: the path is already decoded. */
	is_int(match_path("GET", "/api/v1/rfqs/a b%2F\xc3\xa9{x}", buf,
	    sizeof(buf), &m), ROUTE_FOUND,
	    "route: parameter with odd characters is found");
	is_str(m.params[0], "a b%2F\xc3\xa9{x}",
	    "route: parameter keeps odd characters");

	is_int(match_path("GET", "/api/v1/rfqs/{id}", buf, sizeof(buf), &m),
	    ROUTE_FOUND, "route: literal braces match as a parameter value");
	is_str(m.params[0], "{id}", "route: braces value is kept");
}

static void
test_trailing_slash(void)
{
	/* A trailing slash is an empty segment of its own. */
	expect_not_found("GET", "/api/health", "missing trailing slash");
	expect_not_found("GET", "/api/health/live/", "extra trailing slash");
	expect_not_found("GET", "/api/v1/rfqs/", "empty parameter at the end");
	expect_not_found("GET", "/api/v1/rfqs/1/", "slash after a parameter");
}

static void
test_empty_segments(void)
{
	expect_not_found("GET", "//api/health/live", "leading double slash");
	expect_not_found("GET", "/api//health/live", "inner double slash");
	expect_not_found("GET", "/api/v1/rfqs//items/i",
	    "empty first parameter");
	expect_not_found("GET", "/api/v1/rfqs/r//i", "empty inner segment");
	expect_not_found("GET", "/api/v1/rfqs/r/items/",
	    "empty second parameter");
	expect_not_found("GET", "", "empty path");
	expect_not_found("GET", "api/health/live", "path without slash");
}

static void
test_not_found(void)
{
	expect_not_found("GET", "/api/v2/rfqs", "unknown version");
	expect_not_found("GET", "/api/v1/rfqsx", "longer segment");
	expect_not_found("GET", "/api/v1/rfq", "shorter segment");
	expect_not_found("GET", "/api/v1", "path shorter than templates");
	expect_not_found("GET", "/api/v1/rfqs/1/items", "template prefix");
	expect_not_found("GET", "/API/V1/RFQS", "upper-case path");
	expect_not_found("GET", "/api/health/live\n", "trailing newline");
}

static void
test_method_not_allowed(void)
{
	expect_405("DELETE", "/api/v1/rfqs", "GET, POST");
	expect_405("POST", "/api/v1/rfqs/9", "GET, PUT, DELETE");
	expect_405("POST", "/api/health/live", "GET");
	expect_405("get", "/api/health/live", "GET");
	expect_405("HEAD", "/api/health/", "GET");
	expect_405("", "/api/v1/rfqs", "GET, POST");
}

/* Overlapping templates: first match wins, Allow lists each method once. */
static void
test_overlap(void)
{
	static const struct route overlap[] = {
		{ "GET", "/r/mine", handler_b, 0 },
		{ "GET", "/r/{id}", handler_a, 0 },
		{ "DELETE", "/r/{id}", handler_a, 0 },
		{ "PUT", "/r/mine", handler_a, 0 },
	};
	char			buf[64];
	struct route_match	m;

	strcpy(buf, "/r/mine");
	is_int(route_match(overlap, 4, "GET", buf, &m), ROUTE_FOUND,
	    "route: overlapping templates are found");
	ok(m.route == &overlap[0], "route: first matching entry wins");
	is_int(m.nparams, 0, "route: literal winner has no parameters");

	strcpy(buf, "/r/mine");
	is_int(route_match(overlap, 4, "DELETE", buf, &m), ROUTE_FOUND,
	    "route: later template matches another method");
	ok(m.route == &overlap[2],
	    "route: DELETE picks the parameter template");
	is_str(m.params[0], "mine", "route: overlapping parameter value");

	strcpy(buf, "/r/mine");
	is_int(route_match(overlap, 4, "POST", buf, &m),
	    ROUTE_METHOD_NOT_ALLOWED, "route: overlapping templates give 405");
	is_str(m.allow, "GET, DELETE, PUT",
	    "route: Allow lists each method once in table order");
}

static void
test_segment_limit(void)
{
	char			buf[256];
	struct route_match	m;

	is_int(match_path("GET", "/1/2/3/4/5/6/7/8/9/10/11/12/13/14/15/16",
	    buf, sizeof(buf), &m), ROUTE_FOUND,
	    "route: path of ROUTE_MAX_SEGMENTS segments is found");
	ok(m.route == &routes[9], "route: longest template is picked");

	/* Entry 12 has 17 segments: the limit applies even when it matches. */
	expect_not_found("GET", "/1/2/3/4/5/6/7/8/9/10/11/12/13/14/15/16/17",
	    "path of ROUTE_MAX_SEGMENTS + 1 segments");
	expect_not_found("GET", "/1/2/3/4/5/6/7/8/9/10/11/12/13/14/15/16/",
	    "path of 16 segments and a trailing slash");
	expect_not_found("GET",
	    "/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a"
	    "/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a",
	    "path of 64 segments");
	expect_not_found("GET", "////////////////////////////////////////",
	    "path of 40 empty segments");
}

/* A method name inside another one is still listed on its own. */
static void
test_allow_similar_names(void)
{
	static const struct route similar[] = {
		{ "GETX", "/p", handler_a, 0 },
		{ "GET", "/p", handler_a, 0 },
		{ "XGET", "/p", handler_a, 0 },
		{ "GET", "/p", handler_b, 0 },
	};
	char			buf[8];
	struct route_match	m;

	strcpy(buf, "/p");
	is_int(route_match(similar, 4, "POST", buf, &m),
	    ROUTE_METHOD_NOT_ALLOWED, "route: similar method names give 405");
	is_str(m.allow, "GETX, GET, XGET",
	    "route: Allow keeps methods that contain each other");
}

/*
 * An Allow list longer than the 64-byte buffer is cut.  The rest must still
 * be a list of whole methods, not one that ends in a separator.
 */
static void
test_allow_overflow(void)
{
	static const struct route many[] = {
		{ "METHOD0", "/m", handler_a, 0 },
		{ "METHOD1", "/m", handler_a, 0 },
		{ "METHOD2", "/m", handler_a, 0 },
		{ "METHOD3", "/m", handler_a, 0 },
		{ "METHOD4", "/m", handler_a, 0 },
		{ "METHOD5", "/m", handler_a, 0 },
		{ "METHOD6", "/m", handler_a, 0 },
		{ "METHOD7", "/m", handler_a, 0 },
		{ "METHOD8", "/m", handler_a, 0 },
	};
	char			buf[8];
	struct route_match	m;
	size_t			len;

	strcpy(buf, "/m");
	is_int(route_match(many, 9, "GET", buf, &m), ROUTE_METHOD_NOT_ALLOWED,
	    "route: many methods give 405");
	len = strnlen(m.allow, sizeof(m.allow));
	ok(len < sizeof(m.allow), "route: long Allow list is NUL-terminated");
	ok(len >= 2 && strcmp(m.allow + len - 2, ", ") != 0,
	    "route: cut Allow list does not end in a separator");
	is_str(m.allow, "METHOD0, METHOD1, METHOD2, METHOD3, METHOD4, "
	    "METHOD5, METHOD6", "route: cut Allow list keeps whole methods");
}

int
main(void)
{
	test_static_templates();
	test_parameters();
	test_trailing_slash();
	test_empty_segments();
	test_not_found();
	test_method_not_allowed();
	test_overlap();
	test_segment_limit();
	test_allow_similar_names();
	test_allow_overflow();
	return done_testing();
}
