/*
 * fieldcrypt.c - AES-256-GCM for database fields (layout and contract in
 * fieldcrypt.h), with libsodium where the CPU has AES-NI and CLMUL, and
 * with OpenSSL's EVP interface elsewhere.  Both produce the same bytes.
 *
 * libsodium is the first choice for the cost of each call: a field is
 * a few dozen bytes, and EVP's context set-up costs more than the
 * cipher.  It also keeps OpenSSL's provider tables, about 2 MB, out of
 * the resident memory of workers that need no other OpenSSL function.
 *
 * Error handling: decryption writes into a private buffer and hands it to
 * the caller only after the tag has been verified.  On any failure the
 * buffer is wiped and freed, so a caller never sees unauthenticated
 * plaintext.  Statuses do not say which byte or key was wrong.
 */
#include "config.h"

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <sodium.h>

#include "crypto/fieldcrypt.h"
#include "crypto/keys.h"

#define FIELDCRYPT_NONCE_AT	FIELDCRYPT_VERSION_LEN
#define FIELDCRYPT_DATA_AT	(FIELDCRYPT_VERSION_LEN + FIELDCRYPT_NONCE_LEN)

/* Authenticated data up to this size is assembled on the stack. */
#define FIELDCRYPT_AAD_STACK	256

_Static_assert(FIELDCRYPT_NONCE_LEN == crypto_aead_aes256gcm_NPUBBYTES,
    "libsodium's AES-256-GCM nonce must be FIELDCRYPT_NONCE_LEN bytes");
_Static_assert(FIELDCRYPT_TAG_LEN == crypto_aead_aes256gcm_ABYTES,
    "libsodium's AES-256-GCM tag must be FIELDCRYPT_TAG_LEN bytes");

static bool fieldcrypt_openssl_only;

void
fieldcrypt_force_openssl(bool on)
{
	fieldcrypt_openssl_only = on;
}

static bool
fieldcrypt_use_sodium(void)
{
	return !fieldcrypt_openssl_only &&
	    crypto_aead_aes256gcm_is_available() == 1;
}

/*
 * Run libsodium's AES-256-GCM on "len" bytes: encrypt "in" into "out"
 * and write the tag to "tag", or decrypt and check "tag".  The
 * authenticated data is the version bytes of "header", then "aad".
 * Returns 0, or -1 when the tag does not match or memory runs out.
 */
static int
fieldcrypt_sodium(const struct keys_field *key, bool encrypt,
    const unsigned char *header, const void *aad, size_t aadlen,
    const unsigned char *in, size_t len, unsigned char *out,
    unsigned char *tag)
{
	unsigned char	 stack[FIELDCRYPT_AAD_STACK];
	unsigned char	*ad = stack;
	size_t		 adlen = FIELDCRYPT_VERSION_LEN + aadlen;
	int		 rc;

	if (adlen > sizeof(stack) && (ad = malloc(adlen)) == NULL)
		return -1;
	memcpy(ad, header, FIELDCRYPT_VERSION_LEN);
	if (aadlen > 0)
		memcpy(ad + FIELDCRYPT_VERSION_LEN, aad, aadlen);

	if (encrypt)
		rc = crypto_aead_aes256gcm_encrypt_detached(out, tag, NULL, in,
		    len, ad, adlen, NULL, header + FIELDCRYPT_NONCE_AT,
		    key->key);
	else
		rc = crypto_aead_aes256gcm_decrypt_detached(out, NULL, in, len,
		    tag, ad, adlen, header + FIELDCRYPT_NONCE_AT, key->key);

	if (ad != stack)
		free(ad);
	return rc == 0 ? 0 : -1;
}

/*
 * Start an AES-256-GCM operation and feed the authenticated data: the
 * version bytes, then the caller's "aad".
 */
static EVP_CIPHER_CTX *
fieldcrypt_start(const struct keys_field *key, int encrypt,
    const unsigned char *header, const void *aad, size_t aadlen)
{
	EVP_CIPHER_CTX	*ctx;
	int		 n;

	ctx = EVP_CIPHER_CTX_new();
	if (ctx == NULL)
		return NULL;
	if (!EVP_CipherInit_ex(ctx, EVP_aes_256_gcm(), NULL, NULL, NULL,
	    encrypt) ||
	    !EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN,
	    FIELDCRYPT_NONCE_LEN, NULL) ||
	    !EVP_CipherInit_ex(ctx, NULL, NULL, key->key,
	    header + FIELDCRYPT_NONCE_AT, encrypt) ||
	    !EVP_CipherUpdate(ctx, NULL, &n, header, FIELDCRYPT_VERSION_LEN) ||
	    (aadlen > 0 &&
	    !EVP_CipherUpdate(ctx, NULL, &n, aad, (int)aadlen))) {
		EVP_CIPHER_CTX_free(ctx);
		return NULL;
	}
	return ctx;
}

enum fieldcrypt_status
fieldcrypt_encrypt(const struct sscn_keys *keys, const void *plain,
    size_t plainlen, const void *aad, size_t aadlen, unsigned char **out,
    size_t *outlen)
{
	const struct keys_field	*key = keys_field_current(keys);
	EVP_CIPHER_CTX		*ctx = NULL;
	unsigned char		*buf;
	int			 n, final;
	enum fieldcrypt_status	 status = FIELDCRYPT_ERROR;

	*out = NULL;
	*outlen = 0;
	if (plainlen > FIELDCRYPT_MAX_LEN || aadlen > FIELDCRYPT_MAX_LEN)
		return FIELDCRYPT_TOO_LONG;
	if (key == NULL)
		return FIELDCRYPT_ERROR;
	buf = malloc(plainlen + FIELDCRYPT_OVERHEAD);
	if (buf == NULL)
		return FIELDCRYPT_ERROR;

	buf[0] = (unsigned char)(key->version >> 8);
	buf[1] = (unsigned char)(key->version & 0xff);
	randombytes_buf(buf + FIELDCRYPT_NONCE_AT, FIELDCRYPT_NONCE_LEN);

	if (fieldcrypt_use_sodium()) {
		if (fieldcrypt_sodium(key, true, buf, aad, aadlen, plain,
		    plainlen, buf + FIELDCRYPT_DATA_AT,
		    buf + FIELDCRYPT_DATA_AT + plainlen) == -1)
			goto out;
		goto done;
	}

	ctx = fieldcrypt_start(key, 1, buf, aad, aadlen);
	if (ctx == NULL)
		goto out;
	n = 0;
	if (plainlen > 0 && !EVP_EncryptUpdate(ctx, buf + FIELDCRYPT_DATA_AT,
	    &n, plain, (int)plainlen))
		goto out;
	/* GCM is a stream mode: Final adds no bytes, only computes the tag. */
	if (!EVP_EncryptFinal_ex(ctx, buf + FIELDCRYPT_DATA_AT + n, &final) ||
	    (size_t)n + (size_t)final != plainlen ||
	    !EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, FIELDCRYPT_TAG_LEN,
	    buf + FIELDCRYPT_DATA_AT + plainlen))
		goto out;

done:
	*out = buf;
	*outlen = plainlen + FIELDCRYPT_OVERHEAD;
	buf = NULL;
	status = FIELDCRYPT_OK;
out:
	free(buf);	/* holds ciphertext only */
	EVP_CIPHER_CTX_free(ctx);
	return status;
}

enum fieldcrypt_status
fieldcrypt_decrypt(const struct sscn_keys *keys, const unsigned char *in,
    size_t inlen, const void *aad, size_t aadlen, unsigned char **out,
    size_t *outlen)
{
	const struct keys_field	*key;
	EVP_CIPHER_CTX		*ctx = NULL;
	unsigned char		 tag[FIELDCRYPT_TAG_LEN];
	unsigned char		*buf = NULL;
	size_t			 plainlen;
	int			 n, final;
	enum fieldcrypt_status	 status = FIELDCRYPT_ERROR;

	*out = NULL;
	*outlen = 0;
	if (inlen < FIELDCRYPT_OVERHEAD)
		return FIELDCRYPT_SHORT;
	plainlen = inlen - FIELDCRYPT_OVERHEAD;
	if (plainlen > FIELDCRYPT_MAX_LEN || aadlen > FIELDCRYPT_MAX_LEN)
		return FIELDCRYPT_TOO_LONG;
	key = keys_field_find(keys, fieldcrypt_version(in, inlen));
	if (key == NULL)
		return FIELDCRYPT_UNKNOWN_VERSION;

	buf = malloc(plainlen + 1);
	if (buf == NULL)
		return FIELDCRYPT_ERROR;

	memcpy(tag, in + FIELDCRYPT_DATA_AT + plainlen, sizeof(tag));
	if (fieldcrypt_use_sodium()) {
		if (fieldcrypt_sodium(key, false, in, aad, aadlen,
		    in + FIELDCRYPT_DATA_AT, plainlen, buf, tag) == -1) {
			status = FIELDCRYPT_AUTH_FAILED;
			goto out;
		}
		goto done;
	}

	ctx = fieldcrypt_start(key, 0, in, aad, aadlen);
	if (ctx == NULL)
		goto out;
	n = 0;
	if (plainlen > 0 && !EVP_DecryptUpdate(ctx, buf, &n,
	    in + FIELDCRYPT_DATA_AT, (int)plainlen))
		goto out;

	/*
	 * OpenSSL's control call takes a non-const pointer, so it gets the
	 * copy of the tag.
	 */
	if (!EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, sizeof(tag), tag))
		goto out;
	if (EVP_DecryptFinal_ex(ctx, buf + n, &final) <= 0) {
		status = FIELDCRYPT_AUTH_FAILED;
		goto out;
	}
	if ((size_t)n + (size_t)final != plainlen)
		goto out;

done:
	buf[plainlen] = '\0';
	*out = buf;
	*outlen = plainlen;
	buf = NULL;
	status = FIELDCRYPT_OK;
out:
	if (buf != NULL) {
		sodium_memzero(buf, plainlen + 1);
		free(buf);
	}
	EVP_CIPHER_CTX_free(ctx);
	return status;
}

void
fieldcrypt_free_plain(unsigned char *plain, size_t plainlen)
{
	if (plain == NULL)
		return;
	sodium_memzero(plain, plainlen + 1);
	free(plain);
}

unsigned
fieldcrypt_version(const unsigned char *in, size_t inlen)
{
	if (inlen < FIELDCRYPT_VERSION_LEN)
		return 0;
	return (unsigned)in[0] << 8 | in[1];
}

const char *
fieldcrypt_status_str(enum fieldcrypt_status status)
{
	switch (status) {
	case FIELDCRYPT_OK:
		return "ok";
	case FIELDCRYPT_SHORT:
		return "ciphertext too short";
	case FIELDCRYPT_UNKNOWN_VERSION:
		return "no field key of the ciphertext's version";
	case FIELDCRYPT_AUTH_FAILED:
		return "authentication failed";
	case FIELDCRYPT_TOO_LONG:
		return "input too long";
	case FIELDCRYPT_ERROR:
		return "encryption error";
	}
	return "unknown status";
}
