/*
 * route.c - match a method and a path against the route table.
 *
 * Templates are split on "/" like the path; a template segment "{name}"
 * matches any one non-empty path segment.  A trailing slash is a segment of
 * its own (an empty one), so "/api/health/" and "/api/health" differ.  The
 * table is short and scanned in order; the first template that matches
 * both path and method wins.  Nothing here allocates or logs.
 */
#include "config.h"

#include <string.h>

#include "sscn.h"

/*
 * Split "path" in place into segments after the leading "/".  Returns the
 * number of segments, or -1 when the path does not start with "/" or has
 * more than "max" segments.
 */
static int
route_split(char *path, char **segments, int max)
{
	int	 n = 0;
	char	*p;

	if (path[0] != '/')
		return -1;
	p = path + 1;
	for (;;) {
		char *slash = strchr(p, '/');

		if (n == max)
			return -1;
		segments[n++] = p;
		if (slash == NULL)
			break;
		*slash = '\0';
		p = slash + 1;
	}
	return n;
}

/* Compare one template against the split path; fill parameters on a match. */
static bool
route_template_matches(const char *template, char *const *segments,
    int nsegments, const char **params, size_t *nparams)
{
	const char	*t = template;
	int		 i;
	size_t		 np = 0;

	if (*t++ != '/')
		return false;

	for (i = 0; i < nsegments; i++) {
		const char	*end = strchr(t, '/');
		size_t		 len = end ? (size_t)(end - t) : strlen(t);

		if (len >= 2 && t[0] == '{' && t[len - 1] == '}') {
			if (segments[i][0] == '\0' || np == ROUTE_MAX_PARAMS)
				return false;
			params[np++] = segments[i];
		} else if (strlen(segments[i]) != len ||
		    memcmp(segments[i], t, len) != 0)
			return false;

		/* The template must end exactly where the path does. */
		if (end == NULL)
			return i == nsegments - 1 ? (*nparams = np, true) : false;
		t = end + 1;
	}
	return false;
}

/* Append "method" to the Allow list, once, and only whole. */
static void
route_allow_add(char *allow, size_t allowlen, const char *method)
{
	size_t	 used = strlen(allow);
	size_t	 need = strlen(method) + (used > 0 ? 2 : 0);
	char	*p;

	for (p = allow; (p = strstr(p, method)) != NULL; p++) {
		size_t n = strlen(method);

		if ((p == allow || p[-1] == ' ') &&
		    (p[n] == ',' || p[n] == '\0'))
			return;
	}
	if (used + need >= allowlen)
		return;
	if (used > 0) {
		memcpy(allow + used, ", ", 2);
		used += 2;
	}
	memcpy(allow + used, method, strlen(method) + 1);
}

enum route_status
route_match(const struct route *routes, size_t nroutes, const char *method,
    char *path, struct route_match *match)
{
	char		*segments[ROUTE_MAX_SEGMENTS];
	const char	*params[ROUTE_MAX_PARAMS];
	size_t		 nparams;
	int		 nsegments;
	size_t		 i;
	bool		 path_known = false;

	memset(match, 0, sizeof(*match));
	nsegments = route_split(path, segments, ROUTE_MAX_SEGMENTS);
	if (nsegments < 0)
		return ROUTE_NOT_FOUND;

	for (i = 0; i < nroutes; i++) {
		if (!route_template_matches(routes[i].path, segments,
		    nsegments, params, &nparams))
			continue;

		if (strcmp(routes[i].method, method) == 0) {
			match->route = &routes[i];
			memcpy(match->params, params, nparams * sizeof(*params));
			match->nparams = nparams;
			return ROUTE_FOUND;
		}
		path_known = true;
		route_allow_add(match->allow, sizeof(match->allow),
		    routes[i].method);
	}
	return path_known ? ROUTE_METHOD_NOT_ALLOWED : ROUTE_NOT_FOUND;
}
