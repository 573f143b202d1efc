/*
 * recovery_code.c - generate, normalize and hash MFA recovery codes.
 *
 * The hash is a plain SHA-256, not Argon2id, because a code carries 60
 * bits from the CSPRNG and no human choice, so there is no dictionary to
 * try first.  Each code also works only once, and online guessing runs
 * into the MFA lockout.  A slow hash would add little and cost one
 * Argon2id run per stored code at every use.
 *
 * NOTE: ASVS 4.0.3 V2.6.2 (level 2) asks for 112 bits of entropy, or else
 * a unique random 32-bit salt per code.  These hashes are unsalted, so
 * a stolen table can be attacked with one 2^60 search shared by all codes.
 */
#include "config.h"

#include <stdbool.h>
#include <string.h>

#include <sodium.h>

#include "auth/recovery_code.h"

/*
 * 32 characters, so each takes exactly 5 bits of a random byte without
 * bias: a-z without 'l' and 'o', then 2-9.
 */
static const char recovery_alphabet[] = "abcdefghijkmnpqrstuvwxyz23456789";

_Static_assert(sizeof(recovery_alphabet) - 1 == 32,
    "the recovery code alphabet must have 32 characters");

static bool
recovery_in_alphabet(char c)
{
	return c != '\0' && strchr(recovery_alphabet, c) != NULL;
}

/* Write one random "xxxx-xxxx-xxxx" code into "out". */
static void
recovery_code_random(char out[RECOVERY_CODE_SIZE])
{
	unsigned char	 random[RECOVERY_CODE_CHARS];
	size_t		 i, n = 0;

	randombytes_buf(random, sizeof(random));
	for (i = 0; i < RECOVERY_CODE_CHARS; i++) {
		if (i > 0 && i % 4 == 0)
			out[n++] = '-';
		out[n++] = recovery_alphabet[random[i] & 0x1f];
	}
	out[n] = '\0';
	sodium_memzero(random, sizeof(random));
}

/* True when "code" equals one of the first "count" codes in "codes". */
static bool
recovery_code_seen(char codes[][RECOVERY_CODE_SIZE], size_t count,
    const char *code)
{
	size_t	 i;

	for (i = 0; i < count; i++)
		if (strcmp(codes[i], code) == 0)
			return true;
	return false;
}

void
recovery_code_generate(char out[RECOVERY_CODE_COUNT][RECOVERY_CODE_SIZE])
{
	size_t	 i;

	/* A repeat has a chance of about 2^-54 per set, and is drawn again. */
	for (i = 0; i < RECOVERY_CODE_COUNT; i++) {
		do
			recovery_code_random(out[i]);
		while (recovery_code_seen(out, i, out[i]));
	}
}

int
recovery_code_normalize(const char *code,
    char out[RECOVERY_CODE_NORMALIZED_SIZE])
{
	size_t	 n = 0;
	char	 c;

	if (code == NULL)
		goto fail;

	for (; *code != '\0'; code++) {
		c = *code;
		if (c == '-' || c == ' ')
			continue;
		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		if (n == RECOVERY_CODE_CHARS || !recovery_in_alphabet(c))
			goto fail;
		out[n++] = c;
	}
	if (n != RECOVERY_CODE_CHARS)
		goto fail;
	out[n] = '\0';
	return 0;

fail:
	sodium_memzero(out, RECOVERY_CODE_NORMALIZED_SIZE);
	return -1;
}

int
recovery_code_hash(const char *code,
    const unsigned char salt[RECOVERY_CODE_SALT_LEN],
    unsigned char out[RECOVERY_CODE_HASH_LEN])
{
	char	 normalized[RECOVERY_CODE_NORMALIZED_SIZE];

	_Static_assert(RECOVERY_CODE_SALT_LEN >= crypto_generichash_KEYBYTES_MIN &&
	    RECOVERY_CODE_HASH_LEN >= crypto_generichash_BYTES_MIN,
	    "salt and hash sizes must suit crypto_generichash");

	if (recovery_code_normalize(code, normalized) == -1) {
		sodium_memzero(out, RECOVERY_CODE_HASH_LEN);
		return -1;
	}
	crypto_generichash(out, RECOVERY_CODE_HASH_LEN,
	    (const unsigned char *)normalized, RECOVERY_CODE_CHARS, salt,
	    RECOVERY_CODE_SALT_LEN);
	sodium_memzero(normalized, sizeof(normalized));
	return 0;
}
