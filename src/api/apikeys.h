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

#endif /* SSCN_API_APIKEYS_H */
