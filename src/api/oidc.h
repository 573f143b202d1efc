/*
 * oidc.h - sign-in with LinkedIn over OpenID Connect: the handlers
 * (oidc.c), the calls to the provider (oidc_provider.c) and their
 * statements (oidc_statements.c).
 */
#ifndef SSCN_API_OIDC_H
#define SSCN_API_OIDC_H

#include "sscn.h"

struct oidc_id_claims;

/* GET /api/v1/auth/linkedin/start, /callback; POST .../link. */
enum sscn_err oidc_linkedin_start(struct http_request *);
enum sscn_err oidc_linkedin_callback(struct http_request *);
enum sscn_err oidc_linkedin_link(struct http_request *);

extern const struct db_statement oidc_statements[];
extern const size_t oidc_nstatements;

/* Provider name in the database and the audit log. */
#define OIDC_PROVIDER_LINKEDIN	"linkedin"

/* Maximum length of the authorization code in the callback's query. */
#define OIDC_CODE_MAX		1024

/*
 * The redirect URI registered with the provider: linkedin_redirect_uri,
 * or base_url followed by the callback path.  "" when it does not fit.
 */
void	oidc_redirect_uri(const struct sscn_conf *conf, char *out,
	    size_t outlen);

/*
 * Append "name=value" to the form or query text "form", after a "&" when
 * it is not empty, with "value" percent-encoded except for the RFC 3986
 * unreserved characters.  Returns false when "formlen" bytes do not hold
 * it; "form" is then cut.
 */
bool	oidc_form_add(char *form, size_t formlen, const char *name,
	    const char *value);

/*
 * Read the client secret from linkedin_client_secret_file once per
 * worker.  Returns NULL (logged, without the secret) when the file is
 * not set or cannot be read.
 */
const char *oidc_client_secret(struct http_request *);

/* Outcome of a call to the provider, for logs and audit rows. */
enum oidc_call_status {
	OIDC_CALL_OK = 0,
	OIDC_CALL_TIMEOUT,	/* no answer within linkedin_timeout */
	OIDC_CALL_FAILED,	/* no connection, TLS, size or HTTP error */
	OIDC_CALL_INVALID,	/* an answer that is not what OIDC defines */
	OIDC_CALL_TOKEN		/* the ID token did not verify */
};

const char *oidc_call_status_str(enum oidc_call_status);

/*
 * Exchange "code" at the token endpoint (client_secret_post) and verify
 * the ID token of the response with the cached key set, fetched again once
 * when the token names a kid the cache lacks.  "code_verifier" and
 * "nonce" are NULL unless PKCE and the nonce are on.  On OIDC_CALL_OK
 * "claims" is filled; "reason" (at least 64 bytes) says what failed.
 */
enum oidc_call_status oidc_exchange_code(struct http_request *,
	    const char *code, const char *code_verifier, const char *nonce,
	    struct oidc_id_claims *claims, char *reason, size_t reasonlen);

#endif /* SSCN_API_OIDC_H */
