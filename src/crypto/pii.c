/*
 * pii.c - sealing and opening personal data fields, and blind indexes
 * (contract in pii.h).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "crypto/keys.h"
#include "crypto/pii.h"

/* The authenticated data: the column prefix followed by the row key. */
static char *
pii_aad(const char *aad_prefix, const char *row_key, size_t *len)
{
	size_t	 prefixlen = strlen(aad_prefix), keylen = strlen(row_key);
	char	*aad;

	aad = malloc(prefixlen + keylen + 1);
	if (aad == NULL)
		return NULL;
	memcpy(aad, aad_prefix, prefixlen);
	memcpy(aad + prefixlen, row_key, keylen + 1);
	*len = prefixlen + keylen;
	return aad;
}

char *
pii_seal(const struct sscn_keys *keys, const char *aad_prefix,
    const char *row_key, const char *plain)
{
	unsigned char	*sealed = NULL;
	size_t		 sealedlen, aadlen;
	char		*aad, *hex = NULL;

	aad = pii_aad(aad_prefix, row_key, &aadlen);
	if (aad == NULL)
		return NULL;
	if (fieldcrypt_encrypt(keys, plain, strlen(plain), aad, aadlen,
	    &sealed, &sealedlen) != FIELDCRYPT_OK)
		goto out;
	hex = malloc(2 + 2 * sealedlen + 1);
	if (hex == NULL)
		goto out;
	hex[0] = '\\';
	hex[1] = 'x';
	sodium_bin2hex(hex + 2, 2 * sealedlen + 1, sealed, sealedlen);
out:
	free(sealed);	/* ciphertext only */
	free(aad);
	return hex;
}

enum fieldcrypt_status
pii_open(const struct sscn_keys *keys, const char *aad_prefix,
    const char *row_key, const char *stored, char **out)
{
	unsigned char		*sealed, *plain = NULL;
	size_t			 hexlen, sealedlen = 0, plainlen = 0, aadlen;
	char			*aad;
	enum fieldcrypt_status	 status;

	*out = NULL;
	if (strncmp(stored, "\\x", 2) != 0)
		return FIELDCRYPT_SHORT;
	hexlen = strlen(stored + 2);
	sealed = malloc(hexlen / 2 + 1);
	if (sealed == NULL)
		return FIELDCRYPT_ERROR;
	if (sodium_hex2bin(sealed, hexlen / 2 + 1, stored + 2, hexlen, NULL,
	    &sealedlen, NULL) != 0) {
		free(sealed);
		return FIELDCRYPT_SHORT;
	}
	aad = pii_aad(aad_prefix, row_key, &aadlen);
	if (aad == NULL) {
		free(sealed);
		return FIELDCRYPT_ERROR;
	}
	status = fieldcrypt_decrypt(keys, sealed, sealedlen, aad, aadlen,
	    &plain, &plainlen);
	free(sealed);
	free(aad);
	if (status != FIELDCRYPT_OK)
		return status;

	/* A NUL inside a text field would cut the C string short. */
	if (memchr(plain, '\0', plainlen) != NULL) {
		fieldcrypt_free_plain(plain, plainlen);
		return FIELDCRYPT_ERROR;
	}
	*out = (char *)plain;
	return FIELDCRYPT_OK;
}

void
pii_free(char *plain)
{
	if (plain != NULL)
		fieldcrypt_free_plain((unsigned char *)plain, strlen(plain));
}

int
pii_blind_index(const struct sscn_keys *keys, const char *label,
    const char *value, char *out, size_t outlen)
{
	const struct keys_index		*key = keys_index_key(keys);
	crypto_auth_hmacsha256_state	 state;
	unsigned char			 mac[PII_INDEX_LEN];

	if (outlen < PII_INDEX_HEX_SIZE)
		return -1;
	crypto_auth_hmacsha256_init(&state, key->key, sizeof(key->key));
	crypto_auth_hmacsha256_update(&state, (const unsigned char *)label,
	    strlen(label));
	crypto_auth_hmacsha256_update(&state, (const unsigned char *)value,
	    strlen(value));
	crypto_auth_hmacsha256_final(&state, mac);
	sodium_memzero(&state, sizeof(state));

	out[0] = '\\';
	out[1] = 'x';
	sodium_bin2hex(out + 2, outlen - 2, mac, sizeof(mac));
	return 0;
}

int
pii_email_index(const struct sscn_keys *keys, const char *normalized,
    char *out, size_t outlen)
{
	return pii_blind_index(keys, "email:", normalized, out, outlen);
}
