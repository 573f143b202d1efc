/*
 * jwt.h - access tokens: JSON Web Tokens (RFC 7519) in JWS compact
 * serialization (RFC 7515), signed with HS256 or EdDSA (Ed25519, RFC 8037).
 *
 * The server fixes the algorithm: a token names its key with "kid", and
 * only that key's algorithm from the key file (keys.h) is accepted.  The
 * header must carry "alg" equal to it and a "kid"; "none", other
 * algorithms and unknown kids are rejected before any signature check.
 * The claims are parsed only after the signature has been verified.
 *
 * Nothing here logs or touches the database; checking the session that
 * "sid" names is the caller's job.  The caller must have loaded the keys
 * with keys_load(), which also initializes libsodium.
 */
#ifndef SSCN_AUTH_JWT_H
#define SSCN_AUTH_JWT_H

#include <stddef.h>
#include <stdint.h>

struct sscn_keys;

/*
 * Maximum token length accepted or produced, in bytes.  SSCN's tokens are
 * about 450 bytes (417 with HS256 and 460 with EdDSA for a 20-byte "iss"),
 * and the limit bounds the work that an unauthenticated client can cause.
 */
#define JWT_MAX_TOKEN		4096
/* Buffer size for jwt_sign(). */
#define JWT_TOKEN_SIZE		(JWT_MAX_TOKEN + 1)
/* Default clock skew tolerated for "exp", "nbf" and "iat", in seconds. */
#define JWT_LEEWAY		60
/* Size of a "jti" buffer: 32 characters and the NUL. */
#define JWT_JTI_SIZE		33

/*
 * The claims of an access token.  Strings are NUL-terminated, and the
 * sizes are the limits that jwt_sign() and jwt_verify() enforce.
 */
struct jwt_claims {
	char	 iss[128];	/* issuer */
	char	 aud[128];	/* audience; a one-element value when signed */
	char	 sub[37];	/* user id, a UUID */
	char	 sid[37];	/* session id, a UUID */
	char	 role[16];	/* 1-15 of [a-z0-9_] */
	char	 aal[8];	/* "aal1" (password) or "aal2" (MFA) */
	int64_t	 iat;		/* issued at, seconds since the epoch */
	int64_t	 nbf;		/* not before; 0: absent */
	int64_t	 exp;		/* expires at */
	char	 jti[JWT_JTI_SIZE];	/* token id, 1-32 of [A-Za-z0-9_-] */
};

/* Outcome of jwt_verify(). */
enum jwt_status {
	JWT_OK = 0,
	JWT_MALFORMED,		/* not header.payload.signature, bad base64url,
				   JSON or header; too long */
	JWT_BAD_ALG,		/* "alg" is not that of the key named by kid */
	JWT_UNKNOWN_KID,	/* "kid" is missing or not in the key file */
	JWT_BAD_SIGNATURE,	/* the third part is not base64url of a
				   signature that verifies */
	JWT_EXPIRED,		/* "exp" is not after now - leeway */
	JWT_NOT_YET_VALID,	/* "nbf" or "iat" is after now + leeway */
	JWT_BAD_CLAIMS		/* a claim is missing, of the wrong type or
				   shape, or iss or aud is not expected */
};

/*
 * Sign "claims" with the signing key of "keys" and write the token and a
 * NUL into "out" of "outlen" bytes (JWT_TOKEN_SIZE suffice).  The header
 * is {"alg":ALG,"typ":"JWT","kid":KID}; "nbf" is left out when 0.  Every
 * claim must pass the checks of jwt_verify() except the times, and "exp"
 * must be after "iat".  Returns the token length, or -1 when a claim is
 * invalid, "out" is too small or the signature failed.
 */
long	jwt_sign(const struct sscn_keys *keys, const struct jwt_claims *claims,
	    char *out, size_t outlen) __attribute__((warn_unused_result));

/*
 * Verify the NUL-terminated "token" at time "now" (seconds since the
 * epoch) with "leeway" seconds of clock skew (JWT_LEEWAY), and fill "out"
 * on JWT_OK; on any other status "out" is zeroed.  "iss" must equal
 * "expected_iss", and "aud" must equal "expected_aud" or be an array that
 * contains it.  "exp", "iat", "sub", "sid", "role", "aal" and "jti" are
 * required, "nbf" optional; claims not listed in struct jwt_claims are
 * ignored.  A JSON object with a repeated key is JWT_MALFORMED.
 */
enum jwt_status jwt_verify(const struct sscn_keys *keys, const char *token,
	    const char *expected_iss, const char *expected_aud, int64_t now,
	    int64_t leeway, struct jwt_claims *out)
	    __attribute__((warn_unused_result));

/* A short lower-case description of "status" for logs, such as "expired". */
const char *jwt_status_str(enum jwt_status status);

/* Write a new random token id (128 bits as 32 hex digits) into "jti". */
void	jwt_new_jti(char jti[JWT_JTI_SIZE]);

#endif /* SSCN_AUTH_JWT_H */
