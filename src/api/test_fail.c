/*
 * test_fail.c - POST /api/v1/test/fail/{kind}, a test route that fails on
 * purpose, so the test suite can check the error reports to Sentry.
 *
 * Each kind logs a fixed error event and answers 500, except
 * "unavailable", which answers 503 without logging an error.  sscnd
 * serves the route only when enable_test_routes is set.  The body, query
 * and headers are read by nobody: the tests send secrets in them and check
 * that no report carries them.
 */
#include "config.h"

#include <string.h>

#include "sscn.h"

struct test_failure {
	const char	*kind;
	const char	*event;		/* log_error() event, NULL: none */
	enum sscn_err	 err;
};

/* Several kinds, because reports are rate-limited per log event. */
static const struct test_failure test_failures[] = {
	{ "a", "test_failure_a", SSCN_ERR_INTERNAL },
	{ "b", "test_failure_b", SSCN_ERR_INTERNAL },
	{ "c", "test_failure_c", SSCN_ERR_INTERNAL },
	{ "d", "test_failure_d", SSCN_ERR_INTERNAL },
	{ "e", "test_failure_e", SSCN_ERR_INTERNAL },
	{ "unavailable", NULL, SSCN_ERR_UNAVAILABLE },
};

enum sscn_err
test_fail(struct http_request *req)
{
	size_t i;

	for (i = 0; i < sizeof(test_failures) / sizeof(test_failures[0]); i++) {
		const struct test_failure *f = &test_failures[i];

		if (strcmp(req->match.params[0], f->kind) != 0)
			continue;
		if (f->event != NULL)
			log_error(req->request_id, f->event,
			    "reason=\"failed on purpose\"");
		return f->err;
	}
	return SSCN_ERR_NOT_FOUND;
}
