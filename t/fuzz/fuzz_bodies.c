/*
 * fuzz_bodies.c - the body checks of every route with a JSON body
 * (ROUTE_BODY_JSON in api_routes[]), logged-in routes included, through
 * http_serve().
 *
 * Input: the first byte picks the route, the Nth JSON-body route of
 * api_routes[] for byte N modulo their number; the remaining bytes are the
 * body.  Each request is sent as application/json with a Bearer token
 * that authn_verify_token() accepts, and every "{name}" of the path is
 * one fixed UUID.  The handlers check their body (unknown fields, types,
 * lengths, enums) before authn_require(), so this reaches those checks.
 * The session check of authn_require() needs the database, so the checks
 * against stored state that come after it stay out of reach.  The seeds in
 * corpus/fuzz_bodies/ start with the route's number, so a new JSON-body
 * route in routes.c moves the seeds of those after it to other routes.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "sscn.h"
#include "fuzz_request.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The UUID that stands for every path parameter. */
#define FUZZ_PATH_UUID	"5f0c6d2e-8a4b-4c3d-9e1f-0a1b2c3d4e5f"

/* Room for a route's path with each parameter replaced by the UUID. */
#define FUZZ_PATH_MAX	256

/* Find the "index"th JSON-body route (from 0), or NULL past the last. */
static const struct route *
body_route(size_t index)
{
	size_t i;

	for (i = 0; i < api_nroutes; i++)
		if ((api_routes[i].flags & ROUTE_BODY_JSON) && index-- == 0)
			return &api_routes[i];
	return NULL;
}

static size_t
body_route_count(void)
{
	size_t i, n = 0;

	for (i = 0; i < api_nroutes; i++)
		if (api_routes[i].flags & ROUTE_BODY_JSON)
			n++;
	return n;
}

/* Write "template" into "path" with each "{name}" replaced by the UUID. */
static void
body_route_path(const char *template, char *path, size_t size)
{
	size_t len = 0;

	while (*template != '\0' && len + 1 < size) {
		if (*template == '{') {
			len += (size_t)snprintf(path + len, size - len, "%s",
			    FUZZ_PATH_UUID);
			if (len >= size)
				break;
			template = strchr(template, '}');
			if (template == NULL)
				break;
			template++;
		} else
			path[len++] = *template++;
	}
	path[len < size ? len : size - 1] = '\0';
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static size_t		 nroutes;
	const struct route	*route;
	static char		 content_type[] = "CONTENT_TYPE=application/json";
	static char		 remote_addr[] = "REMOTE_ADDR=127.0.0.1";
	char			 method[32], path[FUZZ_PATH_MAX];
	char			 uri[FUZZ_PATH_MAX + 16], length[48];
	char			*params[8];

	if (size == 0)
		return 0;
	if (nroutes == 0 && (nroutes = body_route_count()) == 0)
		__builtin_trap();
	route = body_route(data[0] % nroutes);

	body_route_path(route->path, path, sizeof(path));
	snprintf(method, sizeof(method), "REQUEST_METHOD=%s", route->method);
	snprintf(uri, sizeof(uri), "DOCUMENT_URI=%s", path);
	snprintf(length, sizeof(length), "CONTENT_LENGTH=%zu", size - 1);
	params[0] = method;
	params[1] = uri;
	params[2] = content_type;
	params[3] = length;
	params[4] = fuzz_authorization_param();
	params[5] = remote_addr;
	params[6] = NULL;

	fuzz_serve(params, data + 1, size - 1);
	return 0;
}
