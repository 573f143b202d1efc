/*
 * sentry_dsn.c - the strict parser of sentry_dsn and the checks of
 * sentry_environment and sentry_release (contract in sentry.h).
 *
 * Grammar accepted (a subset of Sentry's DSN form, RFC 3986 terms):
 *
 *	dsn     = "https://" key [ ":" key ] "@" host [ ":" port ]
 *	          *( "/" segment ) "/" project
 *	key     = 1*64( ALPHA / DIGIT )
 *	host    = 1*253( ALPHA / DIGIT / "." / "-" ) / "[" 1*45( HEXDIG / ":" / "." ) "]"
 *	port    = 1*5DIGIT, 1 to 65535
 *	segment = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" ), not "." or ".."
 *	project = 1*20DIGIT
 *
 * Anything else, such as a query, a fragment, percent-encoding or http://,
 * is rejected: sscnd refuses to start rather than send reports somewhere
 * unexpected.  Reasons never quote the DSN, which holds the public key.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "sentry.h"

#define SENTRY_HOST_MAX		253
#define SENTRY_PROJECT_MAX	20

static bool
sentry_is_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9');
}

/* Length of the run of key characters at "p". */
static size_t
sentry_key_span(const char *p)
{
	size_t n = 0;

	while (sentry_is_alnum(p[n]))
		n++;
	return n;
}

/* Parse host and optional port at "*p"; on success "*p" is past them. */
static int
sentry_parse_authority(const char **p, size_t *len, const char **reason)
{
	const char	*start = *p, *q = *p;
	unsigned long	 port = 0;
	size_t		 digits = 0;

	if (*q == '[') {
		q++;
		while ((*q >= '0' && *q <= '9') || (*q >= 'a' && *q <= 'f') ||
		    (*q >= 'A' && *q <= 'F') || *q == ':' || *q == '.')
			q++;
		if (*q != ']' || q - start < 3 || q - start > 46) {
			*reason = "has an invalid IPv6 host";
			return -1;
		}
		q++;
	} else {
		while (sentry_is_alnum(*q) || *q == '.' || *q == '-')
			q++;
		if (q == start || q - start > SENTRY_HOST_MAX) {
			*reason = "has no valid host name";
			return -1;
		}
	}

	if (*q == ':') {
		for (q++; *q >= '0' && *q <= '9' && digits < 6; q++, digits++)
			port = port * 10 + (unsigned long)(*q - '0');
		if (digits == 0 || digits > 5 || port == 0 || port > 65535) {
			*reason = "has an invalid port (expected 1 to 65535)";
			return -1;
		}
	}
	if (*q != '/') {
		*reason = "has an invalid character after the host";
		return -1;
	}
	*len = (size_t)(q - start);
	*p = q;
	return 0;
}

/*
 * Parse "/segment/.../project" at "p".  Sets "*path_len" to the length of
 * the part before the last "/" and "*project" to the project id.
 */
static int
sentry_parse_path(const char *p, size_t *path_len, const char **project,
    const char **reason)
{
	const char	*last = strrchr(p, '/');
	const char	*q;

	for (q = last + 1; *q >= '0' && *q <= '9'; q++)
		;
	if (q == last + 1 || *q != '\0' || q - (last + 1) > SENTRY_PROJECT_MAX) {
		*reason = "does not end in a numeric project id";
		return -1;
	}

	for (q = p; q < last; ) {
		const char *segment = ++q;

		while (q < last && *q != '/') {
			if (!sentry_is_alnum(*q) && *q != '-' && *q != '.' &&
			    *q != '_' && *q != '~') {
				*reason = "has an invalid character in its path "
				    "(query, fragment and percent-encoding are "
				    "not accepted)";
				return -1;
			}
			q++;
		}
		if (q == segment || (q - segment == 1 && *segment == '.') ||
		    (q - segment == 2 && strncmp(segment, "..", 2) == 0)) {
			*reason = "has an empty, \".\" or \"..\" path segment";
			return -1;
		}
	}
	*path_len = (size_t)(last - p);
	*project = last + 1;
	return 0;
}

int
sentry_dsn_parse(const char *text, struct sentry_dsn *dsn,
    const char **reason)
{
	const char	*p = text, *host, *project;
	size_t		 key_len, host_len, path_len;
	int		 n;

	if (strncmp(p, "https://", 8) != 0) {
		*reason = "must start with https:// (Sentry is reached over "
		    "HTTPS only)";
		return -1;
	}
	p += 8;

	key_len = sentry_key_span(p);
	if (key_len == 0 || key_len > SENTRY_KEY_MAX) {
		*reason = "has no valid public key (1 to 64 letters and digits)";
		return -1;
	}
	if (dsn != NULL) {
		memcpy(dsn->public_key, p, key_len);
		dsn->public_key[key_len] = '\0';
	}
	p += key_len;

	/* The legacy secret key is checked and then dropped. */
	if (*p == ':') {
		size_t secret_len = sentry_key_span(++p);

		if (secret_len == 0 || secret_len > SENTRY_KEY_MAX) {
			*reason = "has an invalid secret key (1 to 64 letters "
			    "and digits)";
			return -1;
		}
		p += secret_len;
	}
	if (*p++ != '@') {
		*reason = "has no '@' after the key";
		return -1;
	}

	host = p;
	if (sentry_parse_authority(&p, &host_len, reason) == -1 ||
	    sentry_parse_path(p, &path_len, &project, reason) == -1)
		return -1;

	if (dsn == NULL)
		return 0;
	snprintf(dsn->project_id, sizeof(dsn->project_id), "%s", project);
	n = snprintf(dsn->envelope_url, sizeof(dsn->envelope_url),
	    "https://%.*s%.*s/api/%s/envelope/", (int)host_len, host,
	    (int)path_len, p, project);
	if (n < 0 || (size_t)n >= sizeof(dsn->envelope_url)) {
		*reason = "is too long";
		return -1;
	}
	return 0;
}

const char *
sentry_name_check(const char *value, size_t max)
{
	const char *p;

	if (*value == '\0')
		return "is empty";
	if (strlen(value) > max)
		return "is too long";
	for (p = value; *p != '\0'; p++)
		if (*p <= ' ' || *p > '~' || *p == '/' || *p == '\\')
			return "may contain only printable ASCII without "
			    "spaces, '/' and '\\'";
	return NULL;
}
