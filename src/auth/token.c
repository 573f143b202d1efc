/*
 * token.c - random single-use tokens and their stored hashes.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "sscn.h"
#include "auth/token.h"

int
token_hash(const char *text, char *hash_hex)
{
	unsigned char	 digest[crypto_hash_sha256_BYTES];
	size_t		 len = strlen(text);

	if (len != TOKEN_TEXT_LEN ||
	    strspn(text, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	    "0123456789-_") != len)
		return -1;

	crypto_hash_sha256(digest, (const unsigned char *)text, len);
	hash_hex[0] = '\\';
	hash_hex[1] = 'x';
	sodium_bin2hex(hash_hex + 2, TOKEN_HASH_HEX - 2, digest,
	    sizeof(digest));
	return 0;
}

void
token_generate(char *text, char *hash_hex)
{
	unsigned char raw[32];

	randombytes_buf(raw, sizeof(raw));
	sodium_bin2base64(text, TOKEN_TEXT_LEN + 1, raw, sizeof(raw),
	    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	sodium_memzero(raw, sizeof(raw));
	(void)token_hash(text, hash_hex);
}

void
token_random_uuid(char out[37])
{
	unsigned char	 raw[16];
	char		 hex[33];

	randombytes_buf(raw, sizeof(raw));

	/* RFC 9562 version 4: 122 random bits, so strict parsers accept it. */
	raw[6] = (unsigned char)((raw[6] & 0x0f) | 0x40);
	raw[8] = (unsigned char)((raw[8] & 0x3f) | 0x80);
	sodium_bin2hex(hex, sizeof(hex), raw, sizeof(raw));
	snprintf(out, 37, "%.8s-%.4s-%.4s-%.4s-%.12s", hex, hex + 8, hex + 12,
	    hex + 16, hex + 20);
}
