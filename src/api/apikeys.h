/*
 * apikeys.h - API keys of organizations and signed requests.
 */
#ifndef SSCN_API_APIKEYS_H
#define SSCN_API_APIKEYS_H

#include <stdbool.h>

#include "sscn.h"

/* Authorization scheme of a signed request, followed by a space. */
#define APIKEY_SCHEME		"SSCN-HMAC-SHA256"
/* Seconds that a signed request's timestamp may differ from our clock. */
#define APIKEY_WINDOW		300

/* apikeys.c */
enum sscn_err apikeys_create(struct http_request *);
enum sscn_err apikeys_list(struct http_request *);
enum sscn_err apikeys_revoke(struct http_request *);

/* apikey_sign.c */

/* Whether the request carries an Authorization header of APIKEY_SCHEME. */
bool	apikey_is_signed(const struct http_request *);

/*
 * authn_require() for a signed request: checks the header, the timestamp
 * window, the key, the HMAC and the nonce store, then leaves a
 * transaction open with the row-level-security settings of the key's
 * organization, as a session would.  A write method with a key without
 * the "write" scope returns SSCN_ERR_FORBIDDEN; every other rejection
 * SSCN_ERR_UNAUTHORIZED.  All are logged without the secret.
 */
enum sscn_err apikey_authenticate(struct http_request *) SSCN_WARN_UNUSED;

#define APIKEY_SIG_HEX	64

/* The parameters of an APIKEY_SCHEME Authorization header. */
struct apikey_header {
	char	key_id[37];		/* UUID */
	char	timestamp[21];		/* Unix time, decimal digits */
	char	signature[APIKEY_SIG_HEX + 1];	/* lower-case hex */
};

/*
 * Parse "params", the Authorization header's value after the scheme and
 * its space, into "h".  Returns false when a parameter is missing or too
 * long, key_id is no UUID, the timestamp is not all digits or the
 * signature is not 64 characters long.
 */
bool	apikey_header_parse(const char *params, struct apikey_header *h);

#endif /* SSCN_API_APIKEYS_H */
