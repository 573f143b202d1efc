/*
 * keys.h - the key file: JWT signing keys and field encryption keys.
 *
 * Format, one key per line; "#" starts a comment that runs to the end of
 * the line, and fields are separated by spaces or tabs:
 *
 *	jwt   KID     HS256        BASE64	HMAC-SHA256 key, 32 to 64 bytes
 *	jwt   KID     EdDSA        BASE64	Ed25519 seed, 32 bytes
 *	field VERSION AES-256-GCM  BASE64	AES key, 32 bytes
 *	index VERSION HMAC-SHA256  BASE64	blind index key, 32 bytes
 *	backup VERSION XCHACHA20-POLY1305 BASE64  backup key, 32 bytes
 *
 * KID is 1 to 32 characters from [A-Za-z0-9._-] and VERSION a decimal
 * number from 1 to 65535; both must be unique within their purpose.
 * BASE64 is standard base64 with "=" padding (RFC 4648, section 4), as
 * "openssl rand -base64 32" prints it.  Algorithm names are
 * case-sensitive, as in the JOSE registry (RFC 7518).
 *
 * Rotation: new tokens are signed with one JWT key (by default the last
 * "jwt" line) and verified with whichever key their "kid" names, so a new
 * key is appended and an old one removed once its tokens have expired.
 * New field ciphertexts use the highest VERSION, and ciphertexts under an
 * older version keep decrypting while that line remains.
 *
 * The "index" key computes blind indexes (HMAC-SHA256 of a normalized
 * value, such as an e-mail address) that the database stores to find and
 * keep unique a value it holds only as ciphertext.  Every stored index
 * depends on this key, so the file contains exactly one "index" line and the
 * key is never rotated in place.
 *
 * The optional "backup" key encrypts the files of "sscnctl backup" with
 * libsodium's crypto_secretstream_xchacha20poly1305.  The file holds at
 * most one "backup" line; its VERSION is stored in each backup's
 * manifest, so a replaced key cannot be mistaken for the old one.
 *
 * The file must be a regular file of at most 64 KiB that "other" can
 * neither read nor write.  It must contain at least one "jwt" line, one
 * "field" line and the one "index" line.  Any error rejects the whole file with "path:line: reason".
 *
 * A loaded struct sscn_keys is never modified, so one copy may be shared
 * by threads and inherited across fork().  Nothing in this module logs.
 */
#ifndef SSCN_CRYPTO_KEYS_H
#define SSCN_CRYPTO_KEYS_H

#include <stddef.h>
#include <stdint.h>

#include <sodium.h>

#define KEYS_KID_MAX		32	/* characters in a kid */
#define KEYS_HS256_MIN		32	/* bytes: RFC 7518, section 3.2 */
/* HMAC hashes longer keys down to 32 bytes, so they add no strength. */
#define KEYS_HS256_MAX		64
#define KEYS_ED25519_SEED	32	/* bytes */
#define KEYS_ED25519_PK		32
#define KEYS_ED25519_SK		64	/* libsodium's seed || public key */
#define KEYS_AES256_LEN		32
#define KEYS_JWT_MAX		32	/* "jwt" lines per file */
#define KEYS_FIELD_MAX		256	/* "field" lines per file */
#define KEYS_INDEX_LEN		32	/* bytes of the blind index key */
#define KEYS_BACKUP_LEN		32	/* bytes of the backup key */

/* Enough for any line that keys_generate_line() writes, NUL included. */
#define KEYS_LINE_SIZE		160

enum keys_alg {
	KEYS_HS256 = 1,
	KEYS_EDDSA,
	KEYS_AES_256_GCM,
	KEYS_HMAC_SHA256
};

/* One "jwt" line. */
struct keys_jwt {
	char			 kid[KEYS_KID_MAX + 1];
	enum keys_alg		 alg;		/* KEYS_HS256 or KEYS_EDDSA */
	unsigned		 line;		/* in the key file */
	/* KEYS_HS256: the secret, and an HMAC-SHA256 state keyed with it. */
	unsigned char			 secret[KEYS_HS256_MAX];
	size_t				 secretlen;
	crypto_auth_hmacsha256_state	 hmac;
	/* KEYS_EDDSA: the key pair derived from the seed. */
	unsigned char		 pk[KEYS_ED25519_PK];
	unsigned char		 sk[KEYS_ED25519_SK];
};

/* One "field" line. */
struct keys_field {
	uint16_t		 version;
	unsigned		 line;
	unsigned char		 key[KEYS_AES256_LEN];
};

/* The "index" line. */
struct keys_index {
	uint16_t		 version;
	unsigned		 line;
	unsigned char		 key[KEYS_INDEX_LEN];
};

/* The "backup" line. */
struct keys_backup {
	uint16_t		 version;
	unsigned		 line;
	unsigned char		 key[KEYS_BACKUP_LEN];
};

/* A loaded key file, opaque and read through the functions below. */
struct sscn_keys;

/*
 * Read the key file at "path" into "*out" (caller frees with keys_free()).
 * "signing_kid" names the JWT key that signs new tokens, and NULL selects
 * the last "jwt" line.  Returns 0, or -1 with "path:line: reason" (or
 * "path: reason" for file-level problems such as the mode) in "err" and
 * "*out" set to NULL.  Calls sodium_init().
 */
int	keys_load(const char *path, const char *signing_kid,
	    struct sscn_keys **out, char *err, size_t errlen)
	    __attribute__((warn_unused_result));

/*
 * Parse the NUL-terminated contents of a key file, as keys_load() does
 * after its file checks; "name" is used in messages only.
 */
int	keys_parse_text(const char *text, const char *name,
	    const char *signing_kid, struct sscn_keys **out, char *err,
	    size_t errlen) __attribute__((warn_unused_result));

/* Wipe every key with sodium_memzero() and free "keys", which may be NULL. */
void	keys_free(struct sscn_keys *keys);

/* The key that signs new tokens; never NULL for loaded keys. */
const struct keys_jwt *keys_jwt_signing(const struct sscn_keys *keys);

/* The JWT key named "kid", or NULL. */
const struct keys_jwt *keys_jwt_find(const struct sscn_keys *keys,
	    const char *kid);

/* The field key with the highest version; never NULL for loaded keys. */
const struct keys_field *keys_field_current(const struct sscn_keys *keys);

/* The field key of "version", or NULL. */
const struct keys_field *keys_field_find(const struct sscn_keys *keys,
	    unsigned version);

/* The blind index key; never NULL for loaded keys. */
const struct keys_index *keys_index_key(const struct sscn_keys *keys);

/* The backup key, or NULL when the file has no "backup" line. */
const struct keys_backup *keys_backup_key(const struct sscn_keys *keys);

/*
 * Write one key file line with a new random 32-byte key, without a
 * newline, into "out" (KEYS_LINE_SIZE bytes suffice).  "purpose" is "jwt",
 * "field", "index" or "backup", "id" the kid or the version in decimal, and "alg" one of the
 * algorithms allowed for that purpose.  Returns 0, or -1 when an argument
 * is invalid, "out" is too small or sodium_init() fails.  The caller wipes
 * "out" after writing it, because it holds the only copy of the key.
 */
int	keys_generate_line(const char *purpose, const char *id,
	    const char *alg, char *out, size_t outlen)
	    __attribute__((warn_unused_result));

/* The JOSE or key file name of "alg", such as "HS256". */
const char *keys_alg_name(enum keys_alg alg);

#endif /* SSCN_CRYPTO_KEYS_H */
