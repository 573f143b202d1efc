/*
 * recovery_code.h - single-use MFA recovery codes.
 *
 * A code is 12 characters from a 32-character alphabet, lower-case letters
 * and digits without 'l', 'o', '0' and '1', which are easy to confuse.  Each
 * character carries 5 bits from libsodium's CSPRNG, so a code carries 60
 * bits.  It is shown as "xxxx-xxxx-xxxx" and stored only as
 * recovery_code_hash() with a random salt of its own, so a stolen table
 * needs one 2^60 search per code, not one for all.  The caller must have
 * called sodium_init() before recovery_code_generate().
 */
#ifndef SSCN_AUTH_RECOVERY_CODE_H
#define SSCN_AUTH_RECOVERY_CODE_H

#define RECOVERY_CODE_COUNT		10	/* codes per set */
#define RECOVERY_CODE_CHARS		12	/* without the dashes */
#define RECOVERY_CODE_SIZE		15	/* "xxxx-xxxx-xxxx" and NUL */
#define RECOVERY_CODE_NORMALIZED_SIZE	(RECOVERY_CODE_CHARS + 1)
#define RECOVERY_CODE_HASH_LEN		32	/* BLAKE2b-256 */
#define RECOVERY_CODE_SALT_LEN		16	/* random, one per code */

/* Fill "out" with a new set of distinct codes, "xxxx-xxxx-xxxx" each. */
void	recovery_code_generate(char out[RECOVERY_CODE_COUNT][RECOVERY_CODE_SIZE]);

/*
 * Write the canonical form of the user-typed "code" into "out": ASCII
 * letters lower-cased, '-' and ' ' removed.  Returns 0, or -1 when "code"
 * is NULL, or when the result would not be exactly RECOVERY_CODE_CHARS
 * characters of the alphabet.  "out" is then wiped.
 */
int	recovery_code_normalize(const char *code,
	    char out[RECOVERY_CODE_NORMALIZED_SIZE])
	    __attribute__((warn_unused_result));

/*
 * Store in "out" the BLAKE2b-256 of the normalized "code" keyed with
 * "salt" (libsodium crypto_generichash), the value kept in the database
 * beside its salt.  Returns 0, or -1 when recovery_code_normalize()
 * rejects "code", and "out" is then wiped.
 */
int	recovery_code_hash(const char *code,
	    const unsigned char salt[RECOVERY_CODE_SALT_LEN],
	    unsigned char out[RECOVERY_CODE_HASH_LEN])
	    __attribute__((warn_unused_result));

#endif /* SSCN_AUTH_RECOVERY_CODE_H */
