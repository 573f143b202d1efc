/*
 * oidc_token.h - OpenID Connect ID tokens from an outside provider:
 * RS256 signatures (RFC 7518, section 3.3) checked with OpenSSL against the
 * provider's JSON Web Key Set (RFC 7517), then the claims of OpenID Connect
 * Core 1.0, section 3.1.3.7.
 *
 * Only RS256 is accepted, whatever algorithm the token's header names: "none",
 * HS256 (also HS256 with the provider's public key as the HMAC secret),
 * ES256, PS256 and every other value are rejected before any key is used.
 * A key is taken from the set only by the token's "kid", and only when it
 * is an RSA key of at least 2048 bits whose "use" and "alg", when present,
 * are "sig" and "RS256".
 *
 * SSCN's own access tokens are in jwt.h.  Nothing here logs, fetches a
 * key set or touches the database: the caller fetches and caches the set.
 * The caller must have initialized libsodium (keys_load() does).
 */
#ifndef SSCN_AUTH_OIDC_TOKEN_H
#define SSCN_AUTH_OIDC_TOKEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Maximum length of an ID token, in bytes.  LinkedIn's are about 1 KB, and
 * the limit bounds the work that a provider's response can cause.
 */
#define OIDC_TOKEN_MAX		8192
/* Most keys kept from one key set; later keys are ignored. */
#define OIDC_JWKS_MAX_KEYS	16
/* Size of a "kid" buffer; longer kids are rejected. */
#define OIDC_KID_SIZE		129

/* A parsed key set: the usable RSA signature keys, by kid. */
struct oidc_jwks;

/*
 * Parse the key set "json" of "len" bytes.  Keys that are not usable RS256
 * keys are skipped.  Returns the set (free with oidc_jwks_free()) or NULL
 * with a reason in "err" when the text is no key set or has no usable key.
 */
struct oidc_jwks *oidc_jwks_parse(const char *json, size_t len, char *err,
	    size_t errlen);
void	oidc_jwks_free(struct oidc_jwks *jwks);
bool	oidc_jwks_has_kid(const struct oidc_jwks *jwks, const char *kid);

/*
 * The claims SSCN uses.  Strings are NUL-terminated and "" when absent;
 * the sizes are limits that oidc_token_verify() enforces.
 */
struct oidc_id_claims {
	char	 sub[256];	/* 1-255 printable ASCII characters */
	char	 email[321];
	bool	 email_verified;	/* false also when absent */
	char	 name[801];	/* UTF-8, as the provider sends it */
	char	 nonce[65];
	int64_t	 iat;
	int64_t	 exp;
};

enum oidc_token_status {
	OIDC_TOKEN_OK = 0,
	OIDC_TOKEN_MALFORMED,	/* not three base64url parts of JSON; too long */
	OIDC_TOKEN_BAD_ALG,	/* "alg" is not RS256 */
	OIDC_TOKEN_UNKNOWN_KID,	/* "kid" missing or not in the key set */
	OIDC_TOKEN_BAD_SIGNATURE,
	OIDC_TOKEN_BAD_ISSUER,	/* "iss" missing or not the expected one */
	OIDC_TOKEN_BAD_AUDIENCE,	/* the client id is not the audience */
	OIDC_TOKEN_EXPIRED,	/* "exp" missing or not after now - leeway */
	OIDC_TOKEN_NOT_YET_VALID,	/* "iat" missing or after now + leeway */
	OIDC_TOKEN_BAD_NONCE,	/* a nonce was expected and did not match */
	OIDC_TOKEN_BAD_CLAIMS	/* "sub" or another claim of the wrong shape */
};

/*
 * Copy the "kid" of the token's header into "kid" (OIDC_KID_SIZE bytes)
 * without verifying anything else, so that the caller can fetch the key
 * set again for a kid it does not have.  Returns OIDC_TOKEN_OK,
 * OIDC_TOKEN_MALFORMED or OIDC_TOKEN_UNKNOWN_KID (no usable kid).
 */
enum oidc_token_status oidc_token_kid(const char *token,
	    char kid[OIDC_KID_SIZE]) __attribute__((warn_unused_result));

/*
 * Verify the NUL-terminated ID token "token" at time "now" (seconds since
 * the epoch) with "leeway" seconds of clock skew.  "iss" must equal
 * "issuer"; "aud" must equal "client_id" or be an array containing it,
 * and an array with other audiences also needs "azp" equal to
 * "client_id".  When "nonce" is not NULL the token's nonce must equal it.
 * Fills "out" on OIDC_TOKEN_OK; otherwise "out" is zeroed.
 */
enum oidc_token_status oidc_token_verify(const struct oidc_jwks *jwks,
	    const char *token, const char *issuer, const char *client_id,
	    const char *nonce, int64_t now, int64_t leeway,
	    struct oidc_id_claims *out) __attribute__((warn_unused_result));

/* A short lower-case description of "status" for logs and audit rows. */
const char *oidc_token_status_str(enum oidc_token_status status);

#endif /* SSCN_AUTH_OIDC_TOKEN_H */
