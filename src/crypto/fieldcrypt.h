/*
 * fieldcrypt.h - AES-256-GCM encryption of single database fields, such as
 * TOTP secrets and personal data, under the "field" keys of the key file
 * (keys.h).
 *
 * Ciphertext layout, stored as one bytea:
 *
 *	version (2 bytes, big-endian) || nonce (12 bytes) || ciphertext ||
 *	tag (16 bytes)
 *
 * The version names the key, so rows written before a key rotation still
 * decrypt while the old "field" line stays in the key file.  New rows use
 * the highest version.  The authenticated data is the 2 version bytes
 * followed by the caller's "aad", which should name the column and the row
 * (for example "users.totp_secret:" and the user id) so that a ciphertext
 * copied to another row or column fails to decrypt.
 *
 * Nonces are 96 random bits, so one key must encrypt fewer than 2^32
 * values (NIST SP 800-38D, section 8.3); add a new version well before.
 * Nothing here logs; the caller must have loaded the keys with keys_load().
 */
#ifndef SSCN_CRYPTO_FIELDCRYPT_H
#define SSCN_CRYPTO_FIELDCRYPT_H

#include <stdbool.h>
#include <stddef.h>

struct sscn_keys;

#define FIELDCRYPT_VERSION_LEN	2
#define FIELDCRYPT_NONCE_LEN	12
#define FIELDCRYPT_TAG_LEN	16
/* Bytes that a ciphertext adds to its plaintext. */
#define FIELDCRYPT_OVERHEAD \
	(FIELDCRYPT_VERSION_LEN + FIELDCRYPT_NONCE_LEN + FIELDCRYPT_TAG_LEN)
/*
 * Maximum plaintext and "aad" length.  OpenSSL takes int lengths, and
 * database fields are far smaller.
 */
#define FIELDCRYPT_MAX_LEN	(64 * 1024 * 1024)

enum fieldcrypt_status {
	FIELDCRYPT_OK = 0,
	FIELDCRYPT_SHORT,		/* shorter than FIELDCRYPT_OVERHEAD */
	FIELDCRYPT_UNKNOWN_VERSION,	/* no key of that version is loaded */
	FIELDCRYPT_AUTH_FAILED,		/* tag mismatch: wrong aad, key or
					   a modified ciphertext */
	FIELDCRYPT_TOO_LONG,		/* over FIELDCRYPT_MAX_LEN */
	FIELDCRYPT_ERROR		/* out of memory or an OpenSSL failure */
};

/*
 * Encrypt "plainlen" bytes at "plain" under the field key with the highest
 * version, binding "aadlen" bytes of "aad" (either may be empty; NULL is
 * allowed with length 0).  On FIELDCRYPT_OK "*out" contains plainlen +
 * FIELDCRYPT_OVERHEAD bytes that the caller frees with free().  Otherwise
 * "*out" is NULL.
 */
enum fieldcrypt_status fieldcrypt_encrypt(const struct sscn_keys *keys,
	    const void *plain, size_t plainlen, const void *aad, size_t aadlen,
	    unsigned char **out, size_t *outlen)
	    __attribute__((warn_unused_result));

/*
 * Decrypt "inlen" bytes at "in" with the key that its version names and
 * the same "aad" as at encryption.  On FIELDCRYPT_OK "*out" contains
 * "*outlen" bytes followed by a NUL that is not counted, so a text field
 * can be used as a C string.  The caller releases it with
 * fieldcrypt_free_plain().  On any other status "*out" is NULL and no
 * decrypted byte is left in memory.
 */
enum fieldcrypt_status fieldcrypt_decrypt(const struct sscn_keys *keys,
	    const unsigned char *in, size_t inlen, const void *aad,
	    size_t aadlen, unsigned char **out, size_t *outlen)
	    __attribute__((warn_unused_result));

/* Wipe and free a plaintext from fieldcrypt_decrypt(); NULL is allowed. */
void	fieldcrypt_free_plain(unsigned char *plain, size_t plainlen);

/*
 * The key version of a ciphertext, or 0 when "inlen" is under 2 bytes;
 * used to find rows to re-encrypt after a rotation.  It is not
 * authenticated until fieldcrypt_decrypt() succeeds.
 */
unsigned fieldcrypt_version(const unsigned char *in, size_t inlen);

/*
 * Use OpenSSL even where libsodium's AES-256-GCM is available ("on"), or
 * stop doing so.  Tests use it to check that both produce the same bytes.
 */
void	fieldcrypt_force_openssl(bool on);

/* A short lower-case description of "status" for logs. */
const char *fieldcrypt_status_str(enum fieldcrypt_status status);

#endif /* SSCN_CRYPTO_FIELDCRYPT_H */
