/*
 * test_fieldcrypt.c - AES-256-GCM field encryption: round trips, the
 * ciphertext layout, key versions across a rotation, and rejection of
 * every modified, truncated or misplaced ciphertext.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <sodium.h>

#include "crypto/fieldcrypt.h"
#include "crypto/keys.h"
#include "tap.h"

/* Standard base64 of bytes 1..32, 101..132 and 201..232. */
#define B64_1	"AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyA="
#define B64_101	"ZWZnaGlqa2xtbm9wcXJzdHV2d3h5ent8fX5/gIGCg4Q="
#define B64_201	"ycrLzM3Oz9DR0tPU1dbX2Nna29zd3t/g4eLj5OXm5+g="

#define JWT_LINE	"jwt k1 HS256 " B64_1 "\n"
#define FIELD_1		"field 1 AES-256-GCM " B64_101 "\n"
#define INDEX_1		"index 1 HMAC-SHA256 " B64_201 "\n"
#define FIELD_2		"field 2 AES-256-GCM " B64_201 "\n"

#define AAD		"users.totp_secret:5f0c6d2e-8a4b-4c3d-9e1f-0a1b2c3d4e5f"
#define SECRET		"JBSWY3DPEHPK3PXP0123"

static struct sscn_keys *
load(const char *text)
{
	struct sscn_keys	*keys;
	char			 err[256];

	if (keys_parse_text(text, "test.keys", NULL, &keys, err,
	    sizeof(err)) != 0)
		bail_out("test key file rejected: %s", err);
	return keys;
}

/* Encrypt or bail out: the tests below need a ciphertext. */
static unsigned char *
encrypt_or_bail(const struct sscn_keys *keys, const char *plain, size_t plainlen,
    const char *aad, size_t *outlen)
{
	unsigned char		*out;
	enum fieldcrypt_status	 status;

	status = fieldcrypt_encrypt(keys, plain, plainlen, aad,
	    aad ? strlen(aad) : 0, &out, outlen);
	if (status != FIELDCRYPT_OK)
		bail_out("encryption failed: %s", fieldcrypt_status_str(status));
	return out;
}

static void
test_round_trip(const struct sscn_keys *keys)
{
	unsigned char		*ct, *ct2, *pt;
	size_t			 ctlen, ct2len, ptlen;
	enum fieldcrypt_status	 status;
	char			*big;
	size_t			 i;

	ct = encrypt_or_bail(keys, SECRET, strlen(SECRET), AAD, &ctlen);
	is_int((long long)ctlen, (long long)strlen(SECRET) + 30,
	    "round trip: ciphertext is 30 bytes longer");
	is_int(fieldcrypt_version(ct, ctlen), 2,
	    "round trip: highest version encrypts");
	ok(ct[0] == 0 && ct[1] == 2, "round trip: version is big-endian");
	ok(memmem(ct, ctlen, SECRET, strlen(SECRET)) == NULL,
	    "round trip: plaintext does not appear in the ciphertext");

	status = fieldcrypt_decrypt(keys, ct, ctlen, AAD, strlen(AAD), &pt,
	    &ptlen);
	is_int(status, FIELDCRYPT_OK, "round trip: decrypts");
	if (status == FIELDCRYPT_OK) {
		is_int((long long)ptlen, (long long)strlen(SECRET),
		    "round trip: plaintext length");
		ok(memcmp(pt, SECRET, ptlen) == 0, "round trip: plaintext");
		is_int(pt[ptlen], '\0', "round trip: plaintext ends in a NUL");
		fieldcrypt_free_plain(pt, ptlen);
	}

	ct2 = encrypt_or_bail(keys, SECRET, strlen(SECRET), AAD, &ct2len);
	ok(memcmp(ct + 2, ct2 + 2, 12) != 0,
	    "round trip: two encryptions use different nonces");
	ok(memcmp(ct + 14, ct2 + 14, ctlen - 14) != 0,
	    "round trip: two encryptions differ");
	free(ct2);
	free(ct);

	/* Empty plaintext and empty AAD. */
	ct = encrypt_or_bail(keys, "", 0, NULL, &ctlen);
	is_int((long long)ctlen, 30, "round trip: empty plaintext is 30 bytes");
	status = fieldcrypt_decrypt(keys, ct, ctlen, NULL, 0, &pt, &ptlen);
	is_int(status, FIELDCRYPT_OK, "round trip: empty plaintext decrypts");
	if (status == FIELDCRYPT_OK) {
		is_int((long long)ptlen, 0, "round trip: empty plaintext length");
		fieldcrypt_free_plain(pt, ptlen);
	}
	status = fieldcrypt_decrypt(keys, ct, ctlen, "x", 1, &pt, &ptlen);
	is_int(status, FIELDCRYPT_AUTH_FAILED,
	    "round trip: empty AAD differs from one byte");
	free(ct);

	/* 100,000 bytes, with NULs inside. */
	big = malloc(100000);
	if (big == NULL)
		bail_out("out of memory");
	for (i = 0; i < 100000; i++)
		big[i] = (char)(i % 251);
	ct = encrypt_or_bail(keys, big, 100000, AAD, &ctlen);
	status = fieldcrypt_decrypt(keys, ct, ctlen, AAD, strlen(AAD), &pt,
	    &ptlen);
	ok(status == FIELDCRYPT_OK && ptlen == 100000 &&
	    memcmp(pt, big, 100000) == 0,
	    "round trip: 100,000 binary bytes");
	if (status == FIELDCRYPT_OK)
		fieldcrypt_free_plain(pt, ptlen);
	free(ct);
	free(big);
}

/* An independent check of the layout with OpenSSL's one-shot calls. */
static void
test_layout(const struct sscn_keys *keys)
{
	unsigned char	*ct, *pt, key[32], aad[2 + sizeof(AAD) - 1];
	size_t		 ctlen, plainlen = strlen(SECRET), i;
	EVP_CIPHER_CTX	*ctx;
	int		 n = 0, final = 0, good;

	ct = encrypt_or_bail(keys, SECRET, plainlen, AAD, &ctlen);
	for (i = 0; i < 32; i++)
		key[i] = (unsigned char)(201 + i);
	memcpy(aad, ct, 2);
	memcpy(aad + 2, AAD, sizeof(AAD) - 1);
	pt = malloc(plainlen);
	ctx = EVP_CIPHER_CTX_new();
	if (pt == NULL || ctx == NULL)
		bail_out("out of memory");
	good = EVP_DecryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, key, ct + 2) &&
	    EVP_DecryptUpdate(ctx, NULL, &n, aad, (int)sizeof(aad)) &&
	    EVP_DecryptUpdate(ctx, pt, &n, ct + 14, (int)plainlen) &&
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, 16,
	    ct + 14 + plainlen) &&
	    EVP_DecryptFinal_ex(ctx, pt + n, &final) > 0;
	ok(good && memcmp(pt, SECRET, plainlen) == 0,
	    "layout: version || nonce || ciphertext || tag, version in AAD");
	EVP_CIPHER_CTX_free(ctx);
	free(pt);
	free(ct);
}

static void
test_tampering(const struct sscn_keys *keys)
{
	unsigned char		*ct, *pt;
	size_t			 ctlen, ptlen, i, bit;
	enum fieldcrypt_status	 status;
	size_t			 accepted = 0, garbage = 0;

	ct = encrypt_or_bail(keys, SECRET, strlen(SECRET), AAD, &ctlen);

	/* Each byte, each bit: header, nonce, ciphertext and tag. */
	for (i = 0; i < ctlen; i++) {
		for (bit = 0; bit < 8; bit++) {
			ct[i] ^= (unsigned char)(1u << bit);
			pt = (unsigned char *)&pt;
			status = fieldcrypt_decrypt(keys, ct, ctlen, AAD,
			    strlen(AAD), &pt, &ptlen);
			ct[i] ^= (unsigned char)(1u << bit);
			if (status == FIELDCRYPT_OK) {
				diag("accepted with bit %zu of byte %zu "
				    "flipped", bit, i);
				accepted++;
				fieldcrypt_free_plain(pt, ptlen);
			} else if (pt != NULL || ptlen != 0)
				garbage++;
		}
	}
	is_int((long long)accepted, 0,
	    "tampering: every flipped bit of %zu bytes is rejected", ctlen);
	is_int((long long)garbage, 0,
	    "tampering: rejected ciphertexts return no plaintext");

	for (i = 0; i < ctlen; i++) {
		ct[i] ^= 0xff;
		status = fieldcrypt_decrypt(keys, ct, ctlen, AAD, strlen(AAD),
		    &pt, &ptlen);
		ct[i] ^= 0xff;
		if (!ok(status != FIELDCRYPT_OK,
		    "tampering: inverted byte %zu is rejected", i))
			fieldcrypt_free_plain(pt, ptlen);
	}

	status = fieldcrypt_decrypt(keys, ct, ctlen, AAD, strlen(AAD) - 1, &pt,
	    &ptlen);
	is_int(status, FIELDCRYPT_AUTH_FAILED, "tampering: shortened AAD fails");
	status = fieldcrypt_decrypt(keys, ct, ctlen,
	    "users.totp_secret:c0ffee00-1234-4abc-8def-0123456789ab",
	    strlen(AAD), &pt, &ptlen);
	is_int(status, FIELDCRYPT_AUTH_FAILED,
	    "tampering: AAD of another row fails");
	status = fieldcrypt_decrypt(keys, ct, ctlen,
	    "users.phone_number:5f0c6d2e-8a4b-4c3d-9e1f-0a1b2c3d4e5f",
	    strlen("users.phone_number:5f0c6d2e-8a4b-4c3d-9e1f-0a1b2c3d4e5f"),
	    &pt, &ptlen);
	is_int(status, FIELDCRYPT_AUTH_FAILED,
	    "tampering: AAD of another column fails");
	status = fieldcrypt_decrypt(keys, ct, ctlen, NULL, 0, &pt, &ptlen);
	is_int(status, FIELDCRYPT_AUTH_FAILED, "tampering: missing AAD fails");
	ok(pt == NULL && ptlen == 0, "tampering: failure leaves no output");

	/* Every truncation, from empty to one byte short. */
	accepted = 0;
	for (i = 0; i < ctlen; i++) {
		status = fieldcrypt_decrypt(keys, ct, i, AAD, strlen(AAD), &pt,
		    &ptlen);
		if (status == FIELDCRYPT_OK) {
			diag("accepted when truncated to %zu bytes", i);
			accepted++;
			fieldcrypt_free_plain(pt, ptlen);
		}
	}
	is_int((long long)accepted, 0, "truncation: every prefix is rejected");
	is_int(fieldcrypt_decrypt(keys, ct, 29, AAD, strlen(AAD), &pt, &ptlen),
	    FIELDCRYPT_SHORT, "truncation: 29 bytes is too short");
	is_int(fieldcrypt_decrypt(keys, ct, 0, AAD, strlen(AAD), &pt, &ptlen),
	    FIELDCRYPT_SHORT, "truncation: empty input is too short");
	is_int(fieldcrypt_decrypt(keys, ct, ctlen - 1, AAD, strlen(AAD), &pt,
	    &ptlen), FIELDCRYPT_AUTH_FAILED,
	    "truncation: one byte short fails authentication");
	free(ct);
}

static void
test_rotation(void)
{
	struct sscn_keys	*v1, *v12, *v2;
	unsigned char		*old, *new, *pt;
	size_t			 oldlen, newlen, ptlen;
	enum fieldcrypt_status	 status;

	v1 = load(JWT_LINE INDEX_1 FIELD_1);
	v12 = load(JWT_LINE INDEX_1 FIELD_2 FIELD_1);
	v2 = load(JWT_LINE INDEX_1 FIELD_2);

	old = encrypt_or_bail(v1, SECRET, strlen(SECRET), AAD, &oldlen);
	is_int(fieldcrypt_version(old, oldlen), 1,
	    "rotation: version 1 encrypts before the rotation");
	new = encrypt_or_bail(v12, SECRET, strlen(SECRET), AAD, &newlen);
	is_int(fieldcrypt_version(new, newlen), 2,
	    "rotation: version 2 encrypts even when listed first");

	status = fieldcrypt_decrypt(v12, old, oldlen, AAD, strlen(AAD), &pt,
	    &ptlen);
	is_int(status, FIELDCRYPT_OK,
	    "rotation: version 1 still decrypts after version 2 is added");
	if (status == FIELDCRYPT_OK) {
		ok(ptlen == strlen(SECRET) && memcmp(pt, SECRET, ptlen) == 0,
		    "rotation: old ciphertext gives the plaintext");
		fieldcrypt_free_plain(pt, ptlen);
	}
	status = fieldcrypt_decrypt(v2, old, oldlen, AAD, strlen(AAD), &pt,
	    &ptlen);
	is_int(status, FIELDCRYPT_UNKNOWN_VERSION,
	    "rotation: version 1 fails once its key is removed");
	status = fieldcrypt_decrypt(v1, new, newlen, AAD, strlen(AAD), &pt,
	    &ptlen);
	is_int(status, FIELDCRYPT_UNKNOWN_VERSION,
	    "rotation: version 2 is unknown to the old file");

	/* A version byte pointing at the other loaded key fails the tag. */
	old[1] = 2;
	status = fieldcrypt_decrypt(v12, old, oldlen, AAD, strlen(AAD), &pt,
	    &ptlen);
	is_int(status, FIELDCRYPT_AUTH_FAILED,
	    "rotation: relabelled version fails authentication");
	old[0] = 0xff;
	old[1] = 0xff;
	status = fieldcrypt_decrypt(v12, old, oldlen, AAD, strlen(AAD), &pt,
	    &ptlen);
	is_int(status, FIELDCRYPT_UNKNOWN_VERSION,
	    "rotation: version 65535 is unknown");
	old[0] = 0;
	old[1] = 0;
	status = fieldcrypt_decrypt(v12, old, oldlen, AAD, strlen(AAD), &pt,
	    &ptlen);
	is_int(status, FIELDCRYPT_UNKNOWN_VERSION,
	    "rotation: version 0 is unknown");

	free(old);
	free(new);
	keys_free(v1);
	keys_free(v12);
	keys_free(v2);
}

static void
test_helpers(void)
{
	unsigned char	 one = 1;
	int		 s;

	is_int(fieldcrypt_version(&one, 1), 0, "version: one byte reads as 0");
	is_int(fieldcrypt_version((const unsigned char *)"\x01\x02", 2), 258,
	    "version: two bytes big-endian");
	for (s = FIELDCRYPT_OK; s <= FIELDCRYPT_ERROR; s++)
		ok(strcmp(fieldcrypt_status_str((enum fieldcrypt_status)s),
		    "unknown status") != 0, "status %d has a description", s);
	fieldcrypt_free_plain(NULL, 0);
	ok(1, "fieldcrypt_free_plain(NULL) is a no-op");
}

/* Decrypt with one implementation what the other encrypted. */
static void
test_implementations(const struct sscn_keys *keys)
{
	unsigned char		*ct, *pt = NULL;
	size_t			 ctlen, ptlen = 0;
	enum fieldcrypt_status	 status;
	int			 from;

	for (from = 0; from < 2; from++) {
		const char *name = from == 0 ? "libsodium to OpenSSL" :
		    "OpenSSL to libsodium";

		fieldcrypt_force_openssl(from == 1);
		ct = encrypt_or_bail(keys, SECRET, strlen(SECRET), AAD, &ctlen);
		fieldcrypt_force_openssl(from == 0);
		status = fieldcrypt_decrypt(keys, ct, ctlen, AAD, strlen(AAD),
		    &pt, &ptlen);
		is_int(status, FIELDCRYPT_OK, "%s: decrypts", name);
		ok(status == FIELDCRYPT_OK && ptlen == strlen(SECRET) &&
		    memcmp(pt, SECRET, ptlen) == 0, "%s: same plaintext", name);
		fieldcrypt_free_plain(pt, ptlen);
		pt = NULL;

		ct[ctlen - 1] ^= 1;
		status = fieldcrypt_decrypt(keys, ct, ctlen, AAD, strlen(AAD),
		    &pt, &ptlen);
		is_int(status, FIELDCRYPT_AUTH_FAILED, "%s: tag checked", name);
		free(ct);
	}
	fieldcrypt_force_openssl(false);
}

int
main(void)
{
	struct sscn_keys *keys;

	if (sodium_init() < 0)
		bail_out("sodium_init failed");
	keys = load(JWT_LINE INDEX_1 FIELD_1 FIELD_2);
	diag("libsodium AES-256-GCM: %s", crypto_aead_aes256gcm_is_available() ?
	    "available" : "not available on this CPU, OpenSSL only");
	test_round_trip(keys);
	test_layout(keys);
	test_tampering(keys);
	if (crypto_aead_aes256gcm_is_available()) {
		test_implementations(keys);
		fieldcrypt_force_openssl(true);
		test_round_trip(keys);
		test_tampering(keys);
		fieldcrypt_force_openssl(false);
	}
	keys_free(keys);
	test_rotation();
	test_helpers();
	return done_testing();
}
