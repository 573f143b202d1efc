/*
 * totp.h - one-time passwords for MFA: HOTP (RFC 4226), TOTP (RFC 6238),
 * base32 secrets (RFC 4648, section 6) and otpauth:// URIs.
 *
 * SSCN enrols every authenticator with SHA-1, 6 digits and a 30-second
 * step, the values RFC 6238 and RFC 4226 use by default.  totp_hotp() and
 * totp_at() also take SHA-256, SHA-512 and 7 or 8 digits so that the whole
 * RFC 6238 test table can be checked.
 *
 * Nothing here logs, returns memory to free or touches the database:
 * functions return a status, and the caller decides what to log and audit.  The caller must
 * have called sodium_init() before totp_secret_generate().
 */
#ifndef SSCN_AUTH_TOTP_H
#define SSCN_AUTH_TOTP_H

#include <stddef.h>
#include <stdint.h>

#define TOTP_SECRET_LEN		20	/* bytes: 160 bits, as RFC 4226 recommends */
#define TOTP_STEP		30	/* seconds per time step */
#define TOTP_DIGITS		6
#define TOTP_CODE_SIZE		(TOTP_DIGITS + 1)	/* with the NUL */

/* Bytes needed to base32-encode "n" bytes without padding, NUL included. */
#define TOTP_BASE32_SIZE(n)	(((n) * 8 + 4) / 5 + 1)

/* A base32 TOTP_SECRET_LEN-byte secret: 32 characters and the NUL. */
#define TOTP_SECRET_B32_SIZE	TOTP_BASE32_SIZE(TOTP_SECRET_LEN)

/*
 * Largest URI that totp_otpauth_uri() writes for an issuer and an account
 * of "issuer_len" and "account_len" bytes and a TOTP_SECRET_LEN-byte
 * secret, NUL included: each byte of the issuer and the account can become
 * "%XX", and the issuer appears twice.
 */
#define TOTP_OTPAUTH_URI_SIZE(issuer_len, account_len) \
	(sizeof("otpauth://totp/:?secret=&issuer=" \
	    "&algorithm=SHA1&digits=6&period=30") + \
	    6 * (issuer_len) + 3 * (account_len) + TOTP_SECRET_B32_SIZE)

enum totp_alg {
	TOTP_SHA1 = 0,
	TOTP_SHA256,
	TOTP_SHA512
};

/* Outcome of totp_verify(). */
enum totp_result {
	TOTP_OK = 0,		/* the code matches a step after the last one */
	TOTP_INVALID,		/* the code matches no step in the window */
	TOTP_REPLAY,		/* the code matches only steps already used */
	TOTP_MALFORMED,		/* not exactly TOTP_DIGITS ASCII digits */
	TOTP_ERROR		/* bad key or time, or HMAC failed */
};

/*
 * Write "inlen" bytes at "in" as upper-case base32 without '=' padding and
 * a NUL, into "out" of "outsize" bytes (TOTP_BASE32_SIZE(inlen) suffice).
 * Returns the length of the text, or -1 when "out" is too small.
 */
int	totp_base32_encode(const unsigned char *in, size_t inlen, char *out,
	    size_t outsize) __attribute__((warn_unused_result));

/*
 * Decode the NUL-terminated base32 text "in" into "out" of "outsize" bytes
 * and store the number of bytes in "*outlen".  Letters may be of either
 * case.  Padding may be absent or complete (a length that is a multiple
 * of 8).  Returns 0, or -1 for a character outside the alphabet, a '='
 * before the end, wrong padding, a length that no byte string encodes to,
 * non-zero bits after the last byte, or a too small "out".  On error,
 * "out" may hold partial output, which the caller should wipe.
 */
int	totp_base32_decode(const char *in, unsigned char *out, size_t outsize,
	    size_t *outlen) __attribute__((warn_unused_result));

/* Fill "out" with a new secret from libsodium's CSPRNG. */
void	totp_secret_generate(unsigned char out[TOTP_SECRET_LEN]);

/*
 * Compute the HOTP value of "counter" (RFC 4226, section 5.3: HMAC of the
 * 8-byte big-endian counter, dynamic truncation to 31 bits, modulo
 * 10^"digits") and store it in "*code".  "digits" is 6, 7 or 8.  Returns 0,
 * or -1 for an empty key, a key longer than INT_MAX, bad "digits" or
 * "alg", or an HMAC failure.
 */
int	totp_hotp(const unsigned char *key, size_t keylen, uint64_t counter,
	    int digits, enum totp_alg alg, uint32_t *code)
	    __attribute__((warn_unused_result));

/*
 * Compute the TOTP value at "unix_time" (seconds since 1970, UTC) with a
 * step of "step" seconds: totp_hotp() of floor(unix_time / step).  Returns
 * 0, or -1 for a negative time, a zero step or any totp_hotp() error.
 */
int	totp_at(const unsigned char *key, size_t keylen, int64_t unix_time,
	    unsigned int step, int digits, enum totp_alg alg, uint32_t *code)
	    __attribute__((warn_unused_result));

/*
 * Check the user-supplied "code" at "unix_time" with SHA-1, TOTP_DIGITS
 * digits and TOTP_STEP seconds, accepting the step before and after the
 * current one for clock drift.  A match on a step at or below
 * "last_accepted_step" is TOTP_REPLAY.  Pass -1 as "last_accepted_step"
 * when no code was accepted yet.  On TOTP_OK, "*matched_step" contains
 * the step that matched, and the caller must store it as the new
 * "last_accepted_step" in the same transaction that accepts the login.
 * The expected codes are compared in constant time, and all three are
 * always computed.
 */
enum totp_result totp_verify(const unsigned char *key, size_t keylen,
	    const char *code, int64_t unix_time, int64_t last_accepted_step,
	    int64_t *matched_step) __attribute__((warn_unused_result));

/*
 * Write the key URI that authenticator apps read from the QR code into
 * "out" of "outsize" bytes:
 *
 *	otpauth://totp/ISSUER:ACCOUNT?secret=SECRET&issuer=ISSUER
 *	    &algorithm=SHA1&digits=6&period=30
 *
 * "issuer" and "account" are percent-encoded (RFC 3986: only unreserved
 * characters stay as they are, a space becomes %20, ':' becomes %3A).
 * "secret_b32" must be unpadded upper-case base32.  Returns the length of
 * the URI, or -1 when an argument is NULL or empty, "secret_b32" has a
 * character outside A-Z and 2-7, or "out" is too small
 * (TOTP_OTPAUTH_URI_SIZE() suffices).
 */
int	totp_otpauth_uri(const char *issuer, const char *account,
	    const char *secret_b32, char *out, size_t outsize)
	    __attribute__((warn_unused_result));

#endif /* SSCN_AUTH_TOTP_H */
