/*
 * test_oidc_token.c - RS256 ID token verification against a key set.
 *
 * The test makes its own RSA keys, publishes one as a JWKS, signs tokens
 * with OpenSSL and checks each rejection reason, including HS256 signed
 * with the public key as the HMAC secret.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <sodium.h>

#include "sscn.h"
#include "auth/oidc_token.h"
#include "tap.h"

#define ISSUER	"https://www.linkedin.com/oauth"
#define CLIENT	"client-123"
#define NOW	((int64_t)1780000000)

static void
b64url(const unsigned char *bin, size_t len, char *out, size_t outlen)
{
	sodium_bin2base64(out, outlen, bin, len,
	    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

/* The JWKS text of "pkey" under "kid". */
static void
jwks_of(EVP_PKEY *pkey, const char *kid, char *out, size_t outlen)
{
	BIGNUM		*n = NULL, *e = NULL;
	unsigned char	 nbin[512], ebin[8];
	char		 n64[700], e64[16];
	int		 nlen, elen;

	EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_RSA_N, &n);
	EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_RSA_E, &e);
	nlen = BN_bn2bin(n, nbin);
	elen = BN_bn2bin(e, ebin);
	b64url(nbin, (size_t)nlen, n64, sizeof(n64));
	b64url(ebin, (size_t)elen, e64, sizeof(e64));
	snprintf(out, outlen, "{\"keys\":[{\"kty\":\"EC\",\"kid\":\"ec\"},"
	    "{\"kty\":\"RSA\",\"use\":\"sig\",\"alg\":\"RS256\",\"kid\":\"%s\","
	    "\"n\":\"%s\",\"e\":\"%s\"}]}", kid, n64, e64);
	BN_free(n);
	BN_free(e);
}

/* Sign header.payload with "alg": RS256 with "pkey", HS256 with "secret". */
static void
sign_token(const char *header, const char *payload, EVP_PKEY *pkey,
    const unsigned char *secret, size_t secret_len, char *out, size_t outlen)
{
	char		 h64[512], p64[2048], s64[700], input[3000];
	unsigned char	 sig[512];
	size_t		 siglen = sizeof(sig);
	unsigned int	 maclen;
	EVP_MD_CTX	*md;

	b64url((const unsigned char *)header, strlen(header), h64, sizeof(h64));
	b64url((const unsigned char *)payload, strlen(payload), p64,
	    sizeof(p64));
	snprintf(input, sizeof(input), "%s.%s", h64, p64);
	if (pkey != NULL) {
		md = EVP_MD_CTX_new();
		EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, pkey);
		EVP_DigestSign(md, sig, &siglen, (unsigned char *)input,
		    strlen(input));
		EVP_MD_CTX_free(md);
	} else {
		HMAC(EVP_sha256(), secret, (int)secret_len,
		    (unsigned char *)input, strlen(input), sig, &maclen);
		siglen = maclen;
	}
	b64url(sig, siglen, s64, sizeof(s64));
	snprintf(out, outlen, "%s.%s", input, s64);
}

static void
payload_of(char *out, size_t outlen, const char *iss, const char *aud,
    int64_t iat, int64_t exp)
{
	snprintf(out, outlen, "{\"iss\":\"%s\",\"aud\":%s,\"sub\":\"sub-42\","
	    "\"email\":\"ann@example.test\",\"email_verified\":true,"
	    "\"name\":\"Ann Example\",\"iat\":%lld,\"exp\":%lld}", iss, aud,
	    (long long)iat, (long long)exp);
}

static enum oidc_token_status
verify(const struct oidc_jwks *jwks, const char *token, const char *nonce)
{
	struct oidc_id_claims claims;

	return oidc_token_verify(jwks, token, ISSUER, CLIENT, nonce, NOW, 60,
	    &claims);
}

int
main(void)
{
	static const char	 rs_header[] =
				    "{\"alg\":\"RS256\",\"kid\":\"k1\"}";
	EVP_PKEY		*key, *other;
	struct oidc_jwks	*jwks;
	struct oidc_id_claims	 claims;
	char			 jwks_text[2048], payload[1024], token[4096];
	char			 kid[OIDC_KID_SIZE], err[128];
	unsigned char		*pem;
	long			 pem_len;
	BIO			*bio;

	if (sodium_init() < 0)
		bail_out("sodium_init failed");
	key = EVP_RSA_gen(2048);
	other = EVP_RSA_gen(2048);
	if (key == NULL || other == NULL)
		bail_out("RSA key generation failed");
	jwks_of(key, "k1", jwks_text, sizeof(jwks_text));
	jwks = oidc_jwks_parse(jwks_text, strlen(jwks_text), err, sizeof(err));
	ok(jwks != NULL, "key set with an RSA key parses");
	ok(oidc_jwks_has_kid(jwks, "k1"), "key set has the RSA kid");
	ok(!oidc_jwks_has_kid(jwks, "ec"), "key set skips the EC key");
	ok(oidc_jwks_parse("{\"keys\":[]}", 11, err, sizeof(err)) == NULL,
	    "empty key set is rejected");
	ok(oidc_jwks_parse("[]", 2, err, sizeof(err)) == NULL,
	    "non-object key set is rejected");

	payload_of(payload, sizeof(payload), ISSUER, "\"" CLIENT "\"",
	    NOW - 5, NOW + 300);
	sign_token(rs_header, payload, key, NULL, 0, token, sizeof(token));
	ok(oidc_token_verify(jwks, token, ISSUER, CLIENT, NULL, NOW, 60,
	    &claims) == OIDC_TOKEN_OK, "valid RS256 token verifies");
	ok(strcmp(claims.sub, "sub-42") == 0, "sub is read");
	ok(strcmp(claims.email, "ann@example.test") == 0, "email is read");
	ok(claims.email_verified, "email_verified is read");
	ok(strcmp(claims.name, "Ann Example") == 0, "name is read");
	ok(oidc_token_kid(token, kid) == OIDC_TOKEN_OK &&
	    strcmp(kid, "k1") == 0, "kid is read from the header");
	ok(verify(jwks, token, "n-1") == OIDC_TOKEN_BAD_NONCE,
	    "missing nonce fails when one is expected");

	/* A changed signature byte. */
	token[strlen(token) - 2] = token[strlen(token) - 2] == 'A' ? 'B' : 'A';
	ok(verify(jwks, token, NULL) == OIDC_TOKEN_BAD_SIGNATURE,
	    "altered signature is rejected");

	sign_token("{\"alg\":\"RS256\",\"kid\":\"k2\"}", payload, other, NULL,
	    0, token, sizeof(token));
	ok(verify(jwks, token, NULL) == OIDC_TOKEN_UNKNOWN_KID,
	    "unknown kid is rejected");
	sign_token(rs_header, payload, other, NULL, 0, token, sizeof(token));
	ok(verify(jwks, token, NULL) == OIDC_TOKEN_BAD_SIGNATURE,
	    "other key under a known kid is rejected");

	/* HS256 with the public key in PEM as the HMAC secret. */
	bio = BIO_new(BIO_s_mem());
	PEM_write_bio_PUBKEY(bio, key);
	pem_len = BIO_get_mem_data(bio, (char **)&pem);
	sign_token("{\"alg\":\"HS256\",\"kid\":\"k1\"}", payload, NULL, pem,
	    (size_t)pem_len, token, sizeof(token));
	BIO_free(bio);
	ok(verify(jwks, token, NULL) == OIDC_TOKEN_BAD_ALG,
	    "HS256 with the public key is rejected");
	sign_token("{\"alg\":\"none\",\"kid\":\"k1\"}", payload, NULL,
	    (const unsigned char *)"x", 1, token, sizeof(token));
	ok(verify(jwks, token, NULL) == OIDC_TOKEN_BAD_ALG,
	    "alg none is rejected");
	sign_token("{\"alg\":\"RS256\",\"kid\":\"k1\",\"crit\":[\"b64\"]}",
	    payload, key, NULL, 0, token, sizeof(token));
	ok(verify(jwks, token, NULL) == OIDC_TOKEN_MALFORMED,
	    "crit header is rejected");

	payload_of(payload, sizeof(payload), "https://www.linkedin.com",
	    "\"" CLIENT "\"", NOW, NOW + 300);
	sign_token(rs_header, payload, key, NULL, 0, token, sizeof(token));
	ok(verify(jwks, token, NULL) == OIDC_TOKEN_BAD_ISSUER,
	    "old LinkedIn issuer is rejected");
	payload_of(payload, sizeof(payload), ISSUER, "\"other\"", NOW,
	    NOW + 300);
	sign_token(rs_header, payload, key, NULL, 0, token, sizeof(token));
	ok(verify(jwks, token, NULL) == OIDC_TOKEN_BAD_AUDIENCE,
	    "wrong audience is rejected");
	payload_of(payload, sizeof(payload), ISSUER,
	    "[\"other\",\"" CLIENT "\"]", NOW, NOW + 300);
	sign_token(rs_header, payload, key, NULL, 0, token, sizeof(token));
	ok(verify(jwks, token, NULL) == OIDC_TOKEN_BAD_AUDIENCE,
	    "audience array without azp is rejected");
	payload_of(payload, sizeof(payload), ISSUER, "[\"" CLIENT "\"]", NOW,
	    NOW + 300);
	sign_token(rs_header, payload, key, NULL, 0, token, sizeof(token));
	ok(verify(jwks, token, NULL) == OIDC_TOKEN_OK,
	    "one-element audience array is accepted");
	payload_of(payload, sizeof(payload), ISSUER, "\"" CLIENT "\"",
	    NOW - 600, NOW - 61);
	sign_token(rs_header, payload, key, NULL, 0, token, sizeof(token));
	ok(verify(jwks, token, NULL) == OIDC_TOKEN_EXPIRED,
	    "expired token is rejected");
	payload_of(payload, sizeof(payload), ISSUER, "\"" CLIENT "\"",
	    NOW - 600, NOW - 30);
	sign_token(rs_header, payload, key, NULL, 0, token, sizeof(token));
	ok(verify(jwks, token, NULL) == OIDC_TOKEN_OK,
	    "exp within the leeway is accepted");
	payload_of(payload, sizeof(payload), ISSUER, "\"" CLIENT "\"",
	    NOW + 120, NOW + 600);
	sign_token(rs_header, payload, key, NULL, 0, token, sizeof(token));
	ok(verify(jwks, token, NULL) == OIDC_TOKEN_NOT_YET_VALID,
	    "iat in the future is rejected");

	snprintf(payload, sizeof(payload), "{\"iss\":\"%s\",\"aud\":\"%s\","
	    "\"sub\":\"has space\",\"iat\":%lld,\"exp\":%lld}", ISSUER, CLIENT,
	    (long long)NOW, (long long)NOW + 60);
	sign_token(rs_header, payload, key, NULL, 0, token, sizeof(token));
	ok(verify(jwks, token, NULL) == OIDC_TOKEN_BAD_CLAIMS,
	    "sub with a space is rejected");
	snprintf(payload, sizeof(payload), "{\"iss\":\"%s\",\"aud\":\"%s\","
	    "\"sub\":\"s\",\"nonce\":\"n-1\",\"iat\":%lld,\"exp\":%lld}", ISSUER,
	    CLIENT, (long long)NOW, (long long)NOW + 60);
	sign_token(rs_header, payload, key, NULL, 0, token, sizeof(token));
	ok(verify(jwks, token, "n-1") == OIDC_TOKEN_OK,
	    "matching nonce is accepted");
	ok(verify(jwks, token, "n-2") == OIDC_TOKEN_BAD_NONCE,
	    "different nonce is rejected");

	ok(verify(jwks, "a.b", NULL) == OIDC_TOKEN_MALFORMED,
	    "two-part token is malformed");
	ok(verify(jwks, "a.b.c.d", NULL) == OIDC_TOKEN_MALFORMED,
	    "four-part token is malformed");

	oidc_jwks_free(jwks);
	EVP_PKEY_free(key);
	EVP_PKEY_free(other);
	return done_testing();
}
