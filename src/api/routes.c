/*
 * routes.c - the route table of sscnd.
 *
 * Order matters only between templates that match the same path; the
 * first match wins.  Test-only routes live in http.c and are served only
 * when enable_test_routes is set.
 */
#include "config.h"

#include "sscn.h"

const struct route api_routes[] = {
	{ "GET", "/api/health/", health_root, 0 },
	{ "GET", "/api/health/live", health_live, 0 },
	{ "GET", "/api/health/ready", health_ready, 0 },
};

const size_t api_nroutes = sizeof(api_routes) / sizeof(api_routes[0]);
