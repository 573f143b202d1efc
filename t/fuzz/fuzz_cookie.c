/*
 * fuzz_cookie.c - the Cookie header: http_cookie() for the session and
 * CSRF cookies with buffers of several sizes, then a cookie-authenticated
 * request through http_serve(), which reads both cookies, compares the
 * CSRF cookie with X-CSRF-Token and verifies the session token.
 *
 * Input: the Cookie header's value.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <fcgiapp.h>

#include "sscn.h"
#include "fuzz_request.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Look "name" up with an output buffer of "outlen" bytes on the heap. */
static void
lookup(const struct http_request *req, const char *name, size_t outlen)
{
	char *out = malloc(outlen);

	if (out == NULL)
		return;
	if (http_cookie(req, name, out, outlen) && strlen(out) >= outlen)
		__builtin_trap();
	free(out);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct http_request	 req;
	FCGX_Request		 fcgi;
	char			*cookie = NULL, *params[6];
	static char		 method[] = "REQUEST_METHOD=POST";
	static char		 uri[] = "DOCUMENT_URI=/api/v1/auth/logout";
	static char		 csrf[] = "HTTP_X_CSRF_TOKEN=0123456789abcdef";

	if (asprintf(&cookie, "HTTP_COOKIE=%.*s", (int)size,
	    (const char *)data) < 0)
		return 0;
	params[0] = cookie;
	params[1] = NULL;
	memset(&fcgi, 0, sizeof(fcgi));
	fcgi.envp = params;
	memset(&req, 0, sizeof(req));
	req.fcgi = &fcgi;
	lookup(&req, AUTH_SESSION_COOKIE, 1);
	lookup(&req, AUTH_SESSION_COOKIE, 4097);
	lookup(&req, AUTH_CSRF_COOKIE, 65);
	lookup(&req, "", 16);

	params[0] = method;
	params[1] = uri;
	params[2] = csrf;
	params[3] = cookie;
	params[4] = NULL;
	fuzz_serve(params, NULL, 0);
	free(cookie);
	return 0;
}
