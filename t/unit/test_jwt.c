/*
 * test_jwt.c - access tokens: jwt_sign() and jwt_verify() with HS256 and
 * EdDSA, key rotation, and the attacks that RFC 8725 lists (alg "none",
 * algorithm substitution, missing kid, tampering, bad times and claims).
 *
 * Hostile tokens are built here from raw header and payload JSON and
 * signed with libsodium (HMAC-SHA256 and Ed25519), which is independent
 * of the OpenSSL HMAC that jwt.c uses.  The last part verifies SSCN's
 * tokens with PyJWT through t/jwt_interop.py when python3 with the jwt
 * and cryptography modules is installed (Debian's python3-jwt and
 * python3-cryptography); SSCN_PYTHON names another interpreter.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>
#include <sodium.h>

#include "sscn.h"
#include "auth/jwt.h"
#include "crypto/keys.h"
#include "tap.h"

/* Standard base64 of bytes 1..32, 101..132 and 201..232. */
#define B64_1	"AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyA="
#define B64_101	"ZWZnaGlqa2xtbm9wcXJzdHV2d3h5ent8fX5/gIGCg4Q="
#define B64_201	"ycrLzM3Oz9DR0tPU1dbX2Nna29zd3t/g4eLj5OXm5+g="

#define LINE_HS_OLD	"jwt hs-old HS256 " B64_1 "\n"
#define LINE_ED		"jwt ed-1 EdDSA " B64_101 "\n"
#define LINE_HS_NEW	"jwt hs-new HS256 " B64_201 "\n"
#define LINE_FIELD	"field 1 AES-256-GCM " B64_1 "\n" \
			"index 1 HMAC-SHA256 " B64_101 "\n"

#define ISS	"https://sscn.example"
#define AUD	"sscn-api"
#define SUB	"5f0c6d2e-8a4b-4c3d-9e1f-0a1b2c3d4e5f"
#define SID	"c0ffee00-1234-4abc-8def-0123456789ab"

static int64_t	now;
static char	tmpdir[] = "/tmp/sscn-test-jwt.XXXXXX";

enum forge_alg {
	FORGE_NONE,		/* empty signature */
	FORGE_HS256,
	FORGE_EDDSA
};

static struct sscn_keys *
load(const char *text, const char *signing_kid)
{
	struct sscn_keys	*keys;
	char			 err[256];

	if (keys_parse_text(text, "test.keys", signing_kid, &keys, err,
	    sizeof(err)) != 0)
		bail_out("test key file rejected: %s", err);
	return keys;
}

static void
fill_sequence(unsigned char *buf, size_t len, unsigned first)
{
	size_t i;

	for (i = 0; i < len; i++)
		buf[i] = (unsigned char)(first + i);
}

static void
base_claims(struct jwt_claims *c)
{
	memset(c, 0, sizeof(*c));
	strcpy(c->iss, ISS);
	strcpy(c->aud, AUD);
	strcpy(c->sub, SUB);
	strcpy(c->sid, SID);
	strcpy(c->role, "member");
	strcpy(c->aal, "aal1");
	c->iat = now;
	c->exp = now + 900;
	jwt_new_jti(c->jti);
}

static void
b64url(char *out, size_t outlen, const void *bin, size_t len)
{
	if (sodium_base64_ENCODED_LEN(len,
	    sodium_base64_VARIANT_URLSAFE_NO_PADDING) > outlen)
		bail_out("b64url: buffer too small");
	sodium_bin2base64(out, outlen, bin, len,
	    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

/*
 * Build "header.payload.signature" from raw JSON texts, signed with bytes
 * 1..32 (HS256, the key of kid hs-old), or 201..232 when "new_key" is set
 * (kid hs-new), or the Ed25519 seed 101..132 (kid ed-1).
 */
static void
forge_with(char *out, size_t outlen, const char *header, const char *payload,
    enum forge_alg alg, int new_key)
{
	unsigned char	key[32], pk[32], sk[64], sig[64];
	size_t		pos, siglen = 0;

	b64url(out, outlen, header, strlen(header));
	pos = strlen(out);
	out[pos++] = '.';
	b64url(out + pos, outlen - pos, payload, strlen(payload));
	pos += strlen(out + pos);

	switch (alg) {
	case FORGE_NONE:
		break;
	case FORGE_HS256: {
		crypto_auth_hmacsha256_state st;

		fill_sequence(key, 32, new_key ? 201 : 1);
		crypto_auth_hmacsha256_init(&st, key, sizeof(key));
		crypto_auth_hmacsha256_update(&st, (unsigned char *)out, pos);
		crypto_auth_hmacsha256_final(&st, sig);
		siglen = 32;
		break;
	}
	case FORGE_EDDSA:
		fill_sequence(key, 32, 101);
		crypto_sign_seed_keypair(pk, sk, key);
		crypto_sign_detached(sig, NULL, (unsigned char *)out, pos, sk);
		siglen = 64;
		break;
	}
	if (pos + 2 > outlen)
		bail_out("forge: buffer too small");
	out[pos++] = '.';
	out[pos] = '\0';
	if (siglen > 0)
		b64url(out + pos, outlen - pos, sig, siglen);
}

static void
forge(char *out, size_t outlen, const char *header, const char *payload,
    enum forge_alg alg)
{
	forge_with(out, outlen, header, payload, alg, 0);
}

/* A payload that jwt_verify() accepts, with "extra" members appended. */
static void
payload_json(char *out, size_t outlen, const char *extra)
{
	snprintf(out, outlen, "{\"iss\":\"" ISS "\",\"aud\":\"" AUD "\","
	    "\"sub\":\"" SUB "\",\"sid\":\"" SID "\",\"role\":\"member\","
	    "\"aal\":\"aal2\",\"iat\":%lld,\"exp\":%lld,"
	    "\"jti\":\"0123456789abcdef0123456789abcdef\"%s}",
	    (long long)now, (long long)now + 900, extra);
}

/* Check jwt_verify() of "token" against "keys" at "now" with leeway 60. */
static void
expect_status(const struct sscn_keys *keys, const char *token,
    enum jwt_status expected, const char *name)
{
	struct jwt_claims	claims;
	enum jwt_status		got;

	got = jwt_verify(keys, token, ISS, AUD, now, JWT_LEEWAY, &claims);
	if (!is_int(got, expected, "verify: %s is %s", name,
	    jwt_status_str(expected)))
		diag("got %s", jwt_status_str(got));
}

/* Forge a HS256 token (kid hs-old) with "payload" and check its status. */
static void
expect_payload(const struct sscn_keys *keys, const char *payload,
    enum jwt_status expected, const char *name)
{
	char token[JWT_TOKEN_SIZE * 2];

	forge(token, sizeof(token),
	    "{\"alg\":\"HS256\",\"typ\":\"JWT\",\"kid\":\"hs-old\"}", payload,
	    FORGE_HS256);
	expect_status(keys, token, expected, name);
}

/* Decode the first part of "token" into "out". */
static void
decode_header(const char *token, char *out, size_t outlen)
{
	size_t len = 0;

	if (sodium_base642bin((unsigned char *)out, outlen - 1, token,
	    strcspn(token, "."), NULL, &len, NULL,
	    sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0)
		len = 0;
	out[len] = '\0';
}

static void
test_round_trip(void)
{
	struct sscn_keys	*keys;
	struct jwt_claims	 claims, got;
	char			 token[JWT_TOKEN_SIZE], header[256];
	long			 len;

	keys = load(LINE_HS_OLD LINE_ED LINE_HS_NEW LINE_FIELD, NULL);
	base_claims(&claims);
	claims.nbf = now - 5;
	strcpy(claims.aal, "aal2");
	len = jwt_sign(keys, &claims, token, sizeof(token));
	ok(len > 0 && (size_t)len == strlen(token), "sign: HS256 token made");
	decode_header(token, header, sizeof(header));
	is_str(header, "{\"alg\":\"HS256\",\"typ\":\"JWT\",\"kid\":\"hs-new\"}",
	    "sign: HS256 header names alg, typ and kid");
	is_int(jwt_verify(keys, token, ISS, AUD, now, JWT_LEEWAY, &got),
	    JWT_OK, "verify: HS256 token is valid");
	is_str(got.iss, ISS, "verify: iss read");
	is_str(got.aud, AUD, "verify: aud read");
	is_str(got.sub, SUB, "verify: sub read");
	is_str(got.sid, SID, "verify: sid read");
	is_str(got.role, "member", "verify: role read");
	is_str(got.aal, "aal2", "verify: aal read");
	is_int(got.iat, now, "verify: iat read");
	is_int(got.nbf, now - 5, "verify: nbf read");
	is_int(got.exp, now + 900, "verify: exp read");
	is_str(got.jti, claims.jti, "verify: jti read");
	keys_free(keys);

	keys = load(LINE_HS_OLD LINE_ED LINE_HS_NEW LINE_FIELD, "ed-1");
	base_claims(&claims);
	len = jwt_sign(keys, &claims, token, sizeof(token));
	ok(len > 0, "sign: EdDSA token made");
	decode_header(token, header, sizeof(header));
	is_str(header, "{\"alg\":\"EdDSA\",\"typ\":\"JWT\",\"kid\":\"ed-1\"}",
	    "sign: EdDSA header names alg, typ and kid");
	is_int(jwt_verify(keys, token, ISS, AUD, now, JWT_LEEWAY, &got),
	    JWT_OK, "verify: EdDSA token is valid");
	is_str(got.sub, SUB, "verify: EdDSA sub read");
	is_int(got.nbf, 0, "verify: absent nbf reads as 0");
	ok(strstr(token, ".") != NULL && strchr(token, '=') == NULL &&
	    strchr(token, '+') == NULL && strchr(token, '/') == NULL,
	    "sign: token is base64url without padding");
	keys_free(keys);
}

static void
test_rotation(void)
{
	struct sscn_keys	*old_only, *both, *new_only;
	struct jwt_claims	 claims, got;
	char			 old_token[JWT_TOKEN_SIZE];
	char			 new_token[JWT_TOKEN_SIZE];

	old_only = load(LINE_HS_OLD LINE_FIELD, NULL);
	both = load(LINE_HS_OLD LINE_HS_NEW LINE_FIELD, NULL);
	new_only = load(LINE_HS_NEW LINE_FIELD, NULL);

	base_claims(&claims);
	if (jwt_sign(old_only, &claims, old_token, sizeof(old_token)) < 0 ||
	    jwt_sign(both, &claims, new_token, sizeof(new_token)) < 0)
		bail_out("rotation: signing failed");

	is_int(jwt_verify(both, old_token, ISS, AUD, now, JWT_LEEWAY, &got),
	    JWT_OK, "rotation: old kid verifies while its key is in the file");
	is_int(jwt_verify(both, new_token, ISS, AUD, now, JWT_LEEWAY, &got),
	    JWT_OK, "rotation: new kid verifies");
	is_int(jwt_verify(new_only, old_token, ISS, AUD, now, JWT_LEEWAY,
	    &got), JWT_UNKNOWN_KID, "rotation: removed kid is unknown");
	is_int(jwt_verify(old_only, new_token, ISS, AUD, now, JWT_LEEWAY,
	    &got), JWT_UNKNOWN_KID, "rotation: kid not yet loaded is unknown");

	keys_free(old_only);
	keys_free(both);
	keys_free(new_only);
}

static void
test_algorithms(const struct sscn_keys *keys)
{
	static const char *const nones[] = { "none", "NONE", "nOnE", "None" };
	char		payload[1024], header[256], name[64];
	char		token[JWT_TOKEN_SIZE * 2];
	unsigned char	pk[32], sk[64], seed[32];
	size_t		i;

	payload_json(payload, sizeof(payload), "");
	for (i = 0; i < sizeof(nones) / sizeof(nones[0]); i++) {
		snprintf(header, sizeof(header), "{\"alg\":\"%s\",\"typ\":\"JWT\","
		    "\"kid\":\"hs-old\"}", nones[i]);
		forge(token, sizeof(token), header, payload, FORGE_NONE);
		snprintf(name, sizeof(name), "alg %s", nones[i]);
		expect_status(keys, token, JWT_BAD_ALG, name);
		forge(token, sizeof(token), header, payload, FORGE_HS256);
		snprintf(name, sizeof(name), "alg %s with a valid HMAC",
		    nones[i]);
		expect_status(keys, token, JWT_BAD_ALG, name);
	}
	forge(token, sizeof(token), "{\"alg\":\"none\"}", payload, FORGE_NONE);
	expect_status(keys, token, JWT_BAD_ALG, "alg none without kid");

	forge(token, sizeof(token), "{\"alg\":\"HS512\",\"typ\":\"JWT\","
	    "\"kid\":\"hs-old\"}", payload, FORGE_HS256);
	expect_status(keys, token, JWT_BAD_ALG, "alg HS512 on an HS256 key");
	forge(token, sizeof(token), "{\"alg\":\"hs256\",\"typ\":\"JWT\","
	    "\"kid\":\"hs-old\"}", payload, FORGE_HS256);
	expect_status(keys, token, JWT_BAD_ALG, "alg hs256 in lower case");
	forge(token, sizeof(token), "{\"alg\":\"RS256\",\"typ\":\"JWT\","
	    "\"kid\":\"hs-old\"}", payload, FORGE_HS256);
	expect_status(keys, token, JWT_BAD_ALG, "alg RS256 on an HS key");
	forge(token, sizeof(token), "{\"alg\":\"EdDSA\",\"typ\":\"JWT\","
	    "\"kid\":\"hs-old\"}", payload, FORGE_EDDSA);
	expect_status(keys, token, JWT_BAD_ALG, "alg EdDSA on an HS key");
	forge(token, sizeof(token), "{\"alg\":\"HS256\",\"typ\":\"JWT\","
	    "\"kid\":\"ed-1\"}", payload, FORGE_HS256);
	expect_status(keys, token, JWT_BAD_ALG, "alg HS256 on an EdDSA key");
	forge(token, sizeof(token), "{\"alg\":\"ES256\",\"typ\":\"JWT\","
	    "\"kid\":\"ed-1\"}", payload, FORGE_EDDSA);
	expect_status(keys, token, JWT_BAD_ALG, "alg ES256 on an EdDSA key");

	/*
	 * The classic confusion: an HMAC keyed with the public key.  The
	 * public key is no secret, so this must fail on the algorithm.
	 */
	{
		crypto_auth_hmacsha256_state	st;
		unsigned char			mac[32];
		size_t				pos;

		fill_sequence(seed, 32, 101);
		crypto_sign_seed_keypair(pk, sk, seed);
		forge(token, sizeof(token), "{\"alg\":\"HS256\",\"typ\":\"JWT\","
		    "\"kid\":\"ed-1\"}", payload, FORGE_NONE);
		pos = strlen(token);
		crypto_auth_hmacsha256_init(&st, pk, sizeof(pk));
		crypto_auth_hmacsha256_update(&st, (unsigned char *)token,
		    pos - 1);
		crypto_auth_hmacsha256_final(&st, mac);
		b64url(token + pos, sizeof(token) - pos, mac, sizeof(mac));
		expect_status(keys, token, JWT_BAD_ALG,
		    "HMAC keyed with the Ed25519 public key");
	}

	forge(token, sizeof(token), "{\"alg\":\"EdDSA\",\"typ\":\"JWT\","
	    "\"kid\":\"ed-1\"}", payload, FORGE_EDDSA);
	expect_status(keys, token, JWT_OK, "forged EdDSA token with the key");
	forge(token, sizeof(token), "{\"alg\":\"HS256\",\"typ\":\"JWT\","
	    "\"kid\":\"hs-old\"}", payload, FORGE_HS256);
	expect_status(keys, token, JWT_OK, "forged HS256 token with the key");
	forge(token, sizeof(token), "{\"alg\":\"HS256\",\"kid\":\"hs-old\"}",
	    payload, FORGE_HS256);
	expect_status(keys, token, JWT_OK, "token without typ");
	forge(token, sizeof(token), "{\"alg\":\"HS256\",\"typ\":\"jwt\","
	    "\"kid\":\"hs-old\"}", payload, FORGE_HS256);
	expect_status(keys, token, JWT_OK, "typ jwt in lower case");
}

static void
test_header(const struct sscn_keys *keys)
{
	char payload[1024], token[JWT_TOKEN_SIZE * 2];

	payload_json(payload, sizeof(payload), "");
	forge(token, sizeof(token), "{\"alg\":\"HS256\",\"typ\":\"JWT\"}",
	    payload, FORGE_HS256);
	expect_status(keys, token, JWT_UNKNOWN_KID, "missing kid");
	forge(token, sizeof(token), "{\"alg\":\"HS256\",\"typ\":\"JWT\","
	    "\"kid\":\"hs-gone\"}", payload, FORGE_HS256);
	expect_status(keys, token, JWT_UNKNOWN_KID, "unknown kid");
	forge(token, sizeof(token), "{\"alg\":\"HS256\",\"typ\":\"JWT\","
	    "\"kid\":\"\"}", payload, FORGE_HS256);
	expect_status(keys, token, JWT_UNKNOWN_KID, "empty kid");
	forge(token, sizeof(token), "{\"alg\":\"HS256\",\"typ\":\"JWT\","
	    "\"kid\":1}", payload, FORGE_HS256);
	expect_status(keys, token, JWT_MALFORMED, "numeric kid");
	forge(token, sizeof(token), "{\"typ\":\"JWT\",\"kid\":\"hs-old\"}",
	    payload, FORGE_HS256);
	expect_status(keys, token, JWT_MALFORMED, "missing alg");
	forge(token, sizeof(token), "{\"alg\":\"HS256\",\"typ\":\"at+jwt\","
	    "\"kid\":\"hs-old\"}", payload, FORGE_HS256);
	expect_status(keys, token, JWT_MALFORMED, "typ at+jwt");
	forge(token, sizeof(token), "{\"alg\":\"HS256\",\"typ\":\"JWT\","
	    "\"kid\":\"hs-old\",\"crit\":[\"exp\"]}", payload, FORGE_HS256);
	expect_status(keys, token, JWT_MALFORMED, "crit header");
	forge(token, sizeof(token), "{\"alg\":\"HS256\",\"typ\":\"JWT\","
	    "\"kid\":\"hs-gone\",\"kid\":\"hs-old\"}", payload, FORGE_HS256);
	expect_status(keys, token, JWT_MALFORMED, "duplicate kid in header");
	forge(token, sizeof(token), "{\"alg\":\"none\",\"alg\":\"HS256\","
	    "\"kid\":\"hs-old\"}", payload, FORGE_HS256);
	expect_status(keys, token, JWT_MALFORMED, "duplicate alg in header");
	forge(token, sizeof(token), "[\"HS256\"]", payload, FORGE_HS256);
	expect_status(keys, token, JWT_MALFORMED, "header array");
	forge(token, sizeof(token), "{\"alg\":\"HS256\",\"kid\":\"hs-old\"",
	    payload, FORGE_HS256);
	expect_status(keys, token, JWT_MALFORMED, "header not JSON");
}

/* Every change of one character to another base64url one is refused. */
static void
test_tampering(const struct sscn_keys *keys)
{
	static const char alphabet[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	struct jwt_claims	 claims, got;
	char			 token[JWT_TOKEN_SIZE], copy[JWT_TOKEN_SIZE + 8];
	const char		*dot1, *dot2, *p;
	size_t			 i, len, accepted = 0;

	base_claims(&claims);
	if (jwt_sign(keys, &claims, token, sizeof(token)) < 0)
		bail_out("tampering: signing failed");
	len = strlen(token);

	for (i = 0; i < len; i++) {
		if (token[i] == '.')
			continue;
		strcpy(copy, token);
		p = strchr(alphabet, token[i]);
		copy[i] = p[1] != '\0' ? p[1] : alphabet[0];
		if (jwt_verify(keys, copy, ISS, AUD, now, JWT_LEEWAY, &got) ==
		    JWT_OK) {
			diag("accepted with character %zu changed", i);
			accepted++;
		}
	}
	is_int((long long)accepted, 0,
	    "tampering: every one-character change is rejected");

	/* One payload byte: the middle of the payload, decoded still valid. */
	dot1 = strchr(token, '.');
	dot2 = strchr(dot1 + 1, '.');
	strcpy(copy, token);
	i = (size_t)(dot1 - token) + (size_t)(dot2 - dot1) / 2;
	copy[i] = copy[i] == 'A' ? 'B' : 'A';
	expect_status(keys, copy, JWT_BAD_SIGNATURE, "tampered payload");

	/* The signature of one token on the payload of another. */
	{
		char other[JWT_TOKEN_SIZE], spliced[JWT_TOKEN_SIZE * 2];

		strcpy(claims.role, "admin");
		if (jwt_sign(keys, &claims, other, sizeof(other)) < 0)
			bail_out("tampering: signing failed");
		snprintf(spliced, sizeof(spliced), "%.*s%s",
		    (int)(strrchr(other, '.') - other), other,
		    strrchr(token, '.'));
		expect_status(keys, spliced, JWT_BAD_SIGNATURE,
		    "signature of another token");
	}

	/* Stripped, empty, short, long and padded signatures. */
	snprintf(copy, sizeof(copy), "%.*s", (int)(dot2 - token), token);
	expect_status(keys, copy, JWT_MALFORMED, "stripped signature");
	snprintf(copy, sizeof(copy), "%.*s", (int)(dot2 + 1 - token), token);
	expect_status(keys, copy, JWT_BAD_SIGNATURE, "empty signature");
	snprintf(copy, sizeof(copy), "%.*s", (int)(len - 4), token);
	expect_status(keys, copy, JWT_BAD_SIGNATURE, "shortened signature");
	snprintf(copy, sizeof(copy), "%sAAAA", token);
	expect_status(keys, copy, JWT_BAD_SIGNATURE, "lengthened signature");
	snprintf(copy, sizeof(copy), "%s=", token);
	expect_status(keys, copy, JWT_BAD_SIGNATURE, "padded signature");
}

static void
test_shape(const struct sscn_keys *keys)
{
	struct jwt_claims	 claims;
	char			 token[JWT_TOKEN_SIZE], copy[JWT_TOKEN_SIZE * 2];
	char			 payload[1024];
	const char		*dot1;

	base_claims(&claims);
	if (jwt_sign(keys, &claims, token, sizeof(token)) < 0)
		bail_out("shape: signing failed");
	dot1 = strchr(token, '.');

	expect_status(keys, "", JWT_MALFORMED, "empty token");
	expect_status(keys, "..", JWT_MALFORMED, "two dots");
	expect_status(keys, "abc", JWT_MALFORMED, "one part");
	snprintf(copy, sizeof(copy), "%s.", token);
	expect_status(keys, copy, JWT_MALFORMED, "trailing dot");
	snprintf(copy, sizeof(copy), "%s.%s", token, strrchr(token, '.') + 1);
	expect_status(keys, copy, JWT_MALFORMED, "four parts");
	snprintf(copy, sizeof(copy), "%s", dot1);
	expect_status(keys, copy, JWT_MALFORMED, "empty header");
	snprintf(copy, sizeof(copy), "%.*s.%s", (int)(dot1 - token), token,
	    strrchr(token, '.'));
	expect_status(keys, copy, JWT_MALFORMED, "empty payload");
	snprintf(copy, sizeof(copy), " %s", token);
	expect_status(keys, copy, JWT_MALFORMED, "leading blank");
	snprintf(copy, sizeof(copy), "%s\n", token);
	expect_status(keys, copy, JWT_BAD_SIGNATURE, "trailing newline");
	snprintf(copy, sizeof(copy), "%.*s=%s", (int)(dot1 - token), token,
	    dot1);
	expect_status(keys, copy, JWT_MALFORMED, "padded header");
	snprintf(copy, sizeof(copy), "Bearer %s", token);
	expect_status(keys, copy, JWT_MALFORMED, "Bearer prefix");

	/* The standard alphabet instead of base64url. */
	strcpy(copy, token);
	copy[1] = '+';
	expect_status(keys, copy, JWT_MALFORMED, "header with '+'");
	copy[1] = '/';
	expect_status(keys, copy, JWT_MALFORMED, "header with '/'");

	/* A signed payload that is not base64url, or not an object. */
	forge(copy, sizeof(copy), "{\"alg\":\"HS256\",\"kid\":\"hs-old\"}",
	    "\"a string\"", FORGE_HS256);
	expect_status(keys, copy, JWT_MALFORMED, "payload string");
	payload_json(payload, sizeof(payload), "");
	forge(copy, sizeof(copy), "{\"alg\":\"HS256\",\"kid\":\"hs-old\"}",
	    payload, FORGE_NONE);
	{
		/* Insert '*' into the payload, then sign the result. */
		char			 bad[JWT_TOKEN_SIZE * 2];
		crypto_auth_hmacsha256_state st;
		unsigned char		 key[32], mac[32];
		const char		*d1 = strchr(copy, '.');
		size_t			 pos;

		snprintf(bad, sizeof(bad), "%.*s*%s", (int)(d1 + 3 - copy),
		    copy, d1 + 3);
		pos = strlen(bad);
		fill_sequence(key, 32, 1);
		crypto_auth_hmacsha256_init(&st, key, sizeof(key));
		crypto_auth_hmacsha256_update(&st, (unsigned char *)bad,
		    pos - 1);
		crypto_auth_hmacsha256_final(&st, mac);
		b64url(bad + pos, sizeof(bad) - pos, mac, sizeof(mac));
		expect_status(keys, bad, JWT_MALFORMED,
		    "signed payload with invalid base64url");
	}
}

static void
test_size(const struct sscn_keys *keys)
{
	char	 payload[JWT_MAX_TOKEN], pad[JWT_MAX_TOKEN];
	char	 token[JWT_TOKEN_SIZE * 2], prev[JWT_TOKEN_SIZE * 2];
	char	*huge;
	size_t	 n;

	/* Grow a padding claim until the token passes JWT_MAX_TOKEN. */
	prev[0] = '\0';
	for (n = 2000; n < sizeof(pad) - 16; n++) {
		memcpy(pad, ",\"pad\":\"", 8);
		memset(pad + 8, 'x', n);
		memcpy(pad + 8 + n, "\"", 2);
		payload_json(payload, sizeof(payload), pad);
		forge(token, sizeof(token), "{\"alg\":\"HS256\","
		    "\"kid\":\"hs-old\"}", payload, FORGE_HS256);
		if (strlen(token) > JWT_MAX_TOKEN)
			break;
		strcpy(prev, token);
	}
	if (prev[0] == '\0' || strlen(token) <= JWT_MAX_TOKEN)
		bail_out("size: no token found at the limit");
	diag("largest token %zu bytes, next %zu", strlen(prev), strlen(token));
	expect_status(keys, prev, JWT_OK, "token at the size limit");
	expect_status(keys, token, JWT_MALFORMED, "token over the size limit");

	huge = malloc(1024 * 1024 + 1);
	if (huge == NULL)
		bail_out("out of memory");
	memset(huge, 'A', 1024 * 1024);
	huge[1024 * 1024] = '\0';
	huge[100] = '.';
	huge[200] = '.';
	expect_status(keys, huge, JWT_MALFORMED, "1 MiB token");
	free(huge);
}

static void
test_times(const struct sscn_keys *keys)
{
	char payload[1024], extra[128];

	/* A payload without exp or iat cannot reuse payload_json(). */
	snprintf(payload, sizeof(payload), "{\"iss\":\"" ISS "\",\"aud\":\""
	    AUD "\",\"sub\":\"" SUB "\",\"sid\":\"" SID "\",\"role\":\"m\","
	    "\"aal\":\"aal1\",\"iat\":%lld,\"jti\":\"j\"}", (long long)now);
	expect_payload(keys, payload, JWT_BAD_CLAIMS, "exp missing");
	snprintf(payload, sizeof(payload), "{\"iss\":\"" ISS "\",\"aud\":\""
	    AUD "\",\"sub\":\"" SUB "\",\"sid\":\"" SID "\",\"role\":\"m\","
	    "\"aal\":\"aal1\",\"exp\":%lld,\"jti\":\"j\"}",
	    (long long)now + 900);
	expect_payload(keys, payload, JWT_BAD_CLAIMS, "iat missing");
	snprintf(payload, sizeof(payload), "{\"iss\":\"" ISS "\",\"aud\":\""
	    AUD "\",\"sub\":\"" SUB "\",\"sid\":\"" SID "\",\"role\":\"m\","
	    "\"aal\":\"aal1\",\"iat\":%lld,\"exp\":%lld,\"jti\":\"j\"}",
	    (long long)now, (long long)now - 61);
	expect_payload(keys, payload, JWT_EXPIRED, "exp 61 s ago");
	snprintf(payload, sizeof(payload), "{\"iss\":\"" ISS "\",\"aud\":\""
	    AUD "\",\"sub\":\"" SUB "\",\"sid\":\"" SID "\",\"role\":\"m\","
	    "\"aal\":\"aal1\",\"iat\":%lld,\"exp\":%lld,\"jti\":\"j\"}",
	    (long long)now - 3600, (long long)now - 60);
	expect_payload(keys, payload, JWT_EXPIRED, "exp 60 s ago");
	snprintf(payload, sizeof(payload), "{\"iss\":\"" ISS "\",\"aud\":\""
	    AUD "\",\"sub\":\"" SUB "\",\"sid\":\"" SID "\",\"role\":\"m\","
	    "\"aal\":\"aal1\",\"iat\":%lld,\"exp\":%lld,\"jti\":\"j\"}",
	    (long long)now - 3600, (long long)now - 59);
	expect_payload(keys, payload, JWT_OK, "exp 59 s ago");
	snprintf(payload, sizeof(payload), "{\"iss\":\"" ISS "\",\"aud\":\""
	    AUD "\",\"sub\":\"" SUB "\",\"sid\":\"" SID "\",\"role\":\"m\","
	    "\"aal\":\"aal1\",\"iat\":%lld,\"exp\":%s,\"jti\":\"j\"}",
	    (long long)now, "\"9999999999\"");
	expect_payload(keys, payload, JWT_BAD_CLAIMS, "exp as a string");
	snprintf(payload, sizeof(payload), "{\"iss\":\"" ISS "\",\"aud\":\""
	    AUD "\",\"sub\":\"" SUB "\",\"sid\":\"" SID "\",\"role\":\"m\","
	    "\"aal\":\"aal1\",\"iat\":%lld,\"exp\":%lld.5,\"jti\":\"j\"}",
	    (long long)now, (long long)now + 900);
	expect_payload(keys, payload, JWT_BAD_CLAIMS, "exp with a fraction");
	snprintf(payload, sizeof(payload), "{\"iss\":\"" ISS "\",\"aud\":\""
	    AUD "\",\"sub\":\"" SUB "\",\"sid\":\"" SID "\",\"role\":\"m\","
	    "\"aal\":\"aal1\",\"iat\":%lld,\"exp\":99999999999999999999,"
	    "\"jti\":\"j\"}", (long long)now);
	expect_payload(keys, payload, JWT_BAD_CLAIMS, "exp beyond int64");
	snprintf(payload, sizeof(payload), "{\"iss\":\"" ISS "\",\"aud\":\""
	    AUD "\",\"sub\":\"" SUB "\",\"sid\":\"" SID "\",\"role\":\"m\","
	    "\"aal\":\"aal1\",\"iat\":%lld,\"exp\":9223372036854775807,"
	    "\"jti\":\"j\"}", (long long)now);
	expect_payload(keys, payload, JWT_OK, "exp at INT64_MAX");
	snprintf(payload, sizeof(payload), "{\"iss\":\"" ISS "\",\"aud\":\""
	    AUD "\",\"sub\":\"" SUB "\",\"sid\":\"" SID "\",\"role\":\"m\","
	    "\"aal\":\"aal1\",\"iat\":%lld,\"exp\":-9223372036854775807,"
	    "\"jti\":\"j\"}", (long long)now);
	expect_payload(keys, payload, JWT_EXPIRED, "exp near INT64_MIN");

	snprintf(extra, sizeof(extra), ",\"nbf\":%lld", (long long)now + 61);
	payload_json(payload, sizeof(payload), extra);
	expect_payload(keys, payload, JWT_NOT_YET_VALID, "nbf in 61 s");
	snprintf(extra, sizeof(extra), ",\"nbf\":%lld", (long long)now + 59);
	payload_json(payload, sizeof(payload), extra);
	expect_payload(keys, payload, JWT_OK, "nbf in 59 s");
	payload_json(payload, sizeof(payload), ",\"nbf\":\"soon\"");
	expect_payload(keys, payload, JWT_BAD_CLAIMS, "nbf as a string");

	snprintf(payload, sizeof(payload), "{\"iss\":\"" ISS "\",\"aud\":\""
	    AUD "\",\"sub\":\"" SUB "\",\"sid\":\"" SID "\",\"role\":\"m\","
	    "\"aal\":\"aal1\",\"iat\":%lld,\"exp\":%lld,\"jti\":\"j\"}",
	    (long long)now + 61, (long long)now + 900);
	expect_payload(keys, payload, JWT_NOT_YET_VALID, "iat in 61 s");
	snprintf(payload, sizeof(payload), "{\"iss\":\"" ISS "\",\"aud\":\""
	    AUD "\",\"sub\":\"" SUB "\",\"sid\":\"" SID "\",\"role\":\"m\","
	    "\"aal\":\"aal1\",\"iat\":%lld,\"exp\":%lld,\"jti\":\"j\"}",
	    (long long)now + 59, (long long)now + 900);
	expect_payload(keys, payload, JWT_OK, "iat in 59 s");

	/* Leeway 0: exp equal to now has expired. */
	{
		struct jwt_claims	 claims;
		char			 token[JWT_TOKEN_SIZE * 2];

		snprintf(payload, sizeof(payload), "{\"iss\":\"" ISS "\","
		    "\"aud\":\"" AUD "\",\"sub\":\"" SUB "\",\"sid\":\"" SID
		    "\",\"role\":\"m\",\"aal\":\"aal1\",\"iat\":%lld,"
		    "\"exp\":%lld,\"jti\":\"j\"}", (long long)now - 10,
		    (long long)now);
		forge(token, sizeof(token), "{\"alg\":\"HS256\","
		    "\"kid\":\"hs-old\"}", payload, FORGE_HS256);
		is_int(jwt_verify(keys, token, ISS, AUD, now, 0, &claims),
		    JWT_EXPIRED, "verify: exp now with leeway 0 is expired");
		is_int(jwt_verify(keys, token, ISS, AUD, now - 1, 0, &claims),
		    JWT_OK, "verify: exp in 1 s with leeway 0 is valid");
	}
}

static void
test_claims(const struct sscn_keys *keys)
{
	char payload[1024], base[1024];
	char token[JWT_TOKEN_SIZE * 2];
	struct jwt_claims claims;

	/* Each case replaces one member of a valid payload. */
	static const struct {
		const char	*from, *to, *name;
		enum jwt_status	 status;
	} cases[] = {
		{ "\"iss\":\"" ISS "\"", "\"iss\":\"https://evil.example\"",
		    "wrong iss", JWT_BAD_CLAIMS },
		{ "\"iss\":\"" ISS "\",", "", "missing iss", JWT_BAD_CLAIMS },
		{ "\"iss\":\"" ISS "\"", "\"iss\":[\"" ISS "\"]",
		    "iss as an array", JWT_BAD_CLAIMS },
		{ "\"aud\":\"" AUD "\"", "\"aud\":\"other-api\"", "wrong aud",
		    JWT_BAD_CLAIMS },
		{ "\"aud\":\"" AUD "\",", "", "missing aud", JWT_BAD_CLAIMS },
		{ "\"aud\":\"" AUD "\"", "\"aud\":[\"other\",\"" AUD "\"]",
		    "aud as an array", JWT_OK },
		{ "\"aud\":\"" AUD "\"", "\"aud\":[\"" AUD "\"]",
		    "aud as a one-element array", JWT_OK },
		{ "\"aud\":\"" AUD "\"", "\"aud\":[\"other\",\"more\"]",
		    "aud array without it", JWT_BAD_CLAIMS },
		{ "\"aud\":\"" AUD "\"", "\"aud\":[]", "empty aud array",
		    JWT_BAD_CLAIMS },
		{ "\"aud\":\"" AUD "\"", "\"aud\":[\"" AUD "\",1]",
		    "aud array with a number", JWT_BAD_CLAIMS },
		{ "\"aud\":\"" AUD "\"", "\"aud\":null", "aud null",
		    JWT_BAD_CLAIMS },
		{ "\"aud\":\"" AUD "\"", "\"aud\":\"" AUD "\",\"aud\":\"x\"",
		    "duplicate aud", JWT_MALFORMED },
		{ "\"sub\":\"" SUB "\"", "\"sub\":\"" SUB "\",\"sub\":\""
		    SID "\"", "duplicate sub", JWT_MALFORMED },
		{ "\"sub\":\"" SUB "\"", "\"sub\":\"42\"", "sub not a UUID",
		    JWT_BAD_CLAIMS },
		{ "\"sub\":\"" SUB "\"", "\"sub\":\"" SUB "0\"",
		    "sub too long", JWT_BAD_CLAIMS },
		{ "\"sub\":\"" SUB "\"", "\"sub\":\"5F0C6D2E-8A4B-4C3D-9E1F-"
		    "0A1B2C3D4E5F\"", "sub in upper case", JWT_OK },
		{ "\"sub\":\"" SUB "\"", "\"sub\":\"5f0c6d2e08a4b-4c3d-9e1f-"
		    "0a1b2c3d4e5f\"", "sub without its first dash",
		    JWT_BAD_CLAIMS },
		{ "\"sid\":\"" SID "\",", "", "missing sid", JWT_BAD_CLAIMS },
		{ "\"sid\":\"" SID "\"", "\"sid\":\"c0ffee00-1234-4abc-8def-"
		    "0123456789ag\"", "sid with g", JWT_BAD_CLAIMS },
		{ "\"role\":\"member\"", "\"role\":\"\"", "empty role",
		    JWT_BAD_CLAIMS },
		{ "\"role\":\"member\"", "\"role\":\"platform_admin_x\"",
		    "role of 16 characters", JWT_BAD_CLAIMS },
		{ "\"role\":\"member\"", "\"role\":\"Admin\"",
		    "role in upper case", JWT_BAD_CLAIMS },
		{ "\"aal\":\"aal2\"", "\"aal\":\"aal3\"", "aal3",
		    JWT_BAD_CLAIMS },
		{ "\"aal\":\"aal2\",", "", "missing aal", JWT_BAD_CLAIMS },
		{ ",\"jti\":\"0123456789abcdef0123456789abcdef\"", "",
		    "missing jti", JWT_BAD_CLAIMS },
		{ "\"jti\":\"0123456789abcdef0123456789abcdef\"",
		    "\"jti\":\"0123456789abcdef0123456789abcdef0\"",
		    "jti of 33 characters", JWT_BAD_CLAIMS },
		{ "\"jti\":\"0123456789abcdef0123456789abcdef\"",
		    "\"jti\":\"a b\"", "jti with a blank", JWT_BAD_CLAIMS },
		{ "\"jti\":\"0123456789abcdef0123456789abcdef\"",
		    "\"jti\":\"0123456789abcdef0123456789abcdef\",\"x\":{\"y\":"
		    "[1,2]}", "unknown claim", JWT_OK },
	};
	size_t i;

	payload_json(base, sizeof(base), "");
	expect_payload(keys, base, JWT_OK, "base payload");
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *at = strstr(base, cases[i].from);

		if (at == NULL)
			bail_out("claims case \"%s\" does not apply",
			    cases[i].name);
		snprintf(payload, sizeof(payload), "%.*s%s%s",
		    (int)(at - base), base, cases[i].to,
		    at + strlen(cases[i].from));
		expect_payload(keys, payload, cases[i].status, cases[i].name);
	}

	/* A failed verification leaves no claim behind. */
	payload_json(payload, sizeof(payload), "");
	memcpy(strstr(payload, "aal2"), "aal9", 4);
	forge(token, sizeof(token), "{\"alg\":\"HS256\",\"kid\":\"hs-old\"}",
	    payload, FORGE_HS256);
	memset(&claims, 'x', sizeof(claims));
	is_int(jwt_verify(keys, token, ISS, AUD, now, JWT_LEEWAY, &claims),
	    JWT_BAD_CLAIMS, "verify: aal9 is invalid");
	ok(claims.sub[0] == '\0' && claims.iss[0] == '\0' && claims.exp == 0,
	    "verify: claims are zeroed after a failure");
}

static void
test_sign_checks(const struct sscn_keys *keys)
{
	struct jwt_claims	claims;
	char			token[JWT_TOKEN_SIZE], small[64];

	base_claims(&claims);
	strcpy(claims.sub, "not-a-uuid");
	is_int(jwt_sign(keys, &claims, token, sizeof(token)), -1,
	    "sign: sub that is no UUID is refused");
	is_str(token, "", "sign: refused token is empty");
	base_claims(&claims);
	strcpy(claims.aal, "aal3");
	is_int(jwt_sign(keys, &claims, token, sizeof(token)), -1,
	    "sign: aal3 is refused");
	base_claims(&claims);
	claims.iss[0] = '\0';
	is_int(jwt_sign(keys, &claims, token, sizeof(token)), -1,
	    "sign: empty iss is refused");
	base_claims(&claims);
	claims.exp = claims.iat;
	is_int(jwt_sign(keys, &claims, token, sizeof(token)), -1,
	    "sign: exp equal to iat is refused");
	base_claims(&claims);
	claims.jti[0] = '\0';
	is_int(jwt_sign(keys, &claims, token, sizeof(token)), -1,
	    "sign: empty jti is refused");
	base_claims(&claims);
	memset(claims.role, 'a', sizeof(claims.role));
	is_int(jwt_sign(keys, &claims, token, sizeof(token)), -1,
	    "sign: role without NUL is refused");
	base_claims(&claims);
	is_int(jwt_sign(keys, &claims, small, sizeof(small)), -1,
	    "sign: small buffer is refused");
	is_str(small, "", "sign: small buffer holds no partial token");
	strcpy(claims.iss, "https://sscn.example/a\"b\\c");
	ok(jwt_sign(keys, &claims, token, sizeof(token)) > 0,
	    "sign: iss with quote and backslash is escaped");
	{
		struct jwt_claims got;

		is_int(jwt_verify(keys, token, claims.iss, AUD, now,
		    JWT_LEEWAY, &got), JWT_OK,
		    "verify: escaped iss round-trips");
		is_str(got.iss, claims.iss, "verify: escaped iss read back");
	}
}

static void
test_helpers(void)
{
	char	 a[JWT_JTI_SIZE], b[JWT_JTI_SIZE];
	int	 s;

	jwt_new_jti(a);
	jwt_new_jti(b);
	ok(strlen(a) == 32 && strspn(a, "0123456789abcdef") == 32,
	    "jti: 32 hex digits");
	ok(strcmp(a, b) != 0, "jti: two ids differ");
	for (s = JWT_OK; s <= JWT_BAD_CLAIMS; s++)
		ok(strcmp(jwt_status_str((enum jwt_status)s),
		    "unknown status") != 0, "status %d has a description", s);
}

/* ---- interoperability with PyJWT ------------------------------------ */

static const char *
find_python(char *why, size_t whylen)
{
	static const char *const candidates[] = { "/usr/bin/python3",
	    "python3" };
	static char	 chosen[256];
	const char	*env = getenv("SSCN_PYTHON");
	char		 cmd[512];
	size_t		 i;

	for (i = 0; i < 3; i++) {
		const char *py = i == 0 ? env : candidates[i - 1];

		if (py == NULL || py[0] == '\0' || strchr(py, '\'') != NULL)
			continue;
		snprintf(cmd, sizeof(cmd), "'%s' -c 'import jwt, cryptography'"
		    " >/dev/null 2>&1", py);
		if (system(cmd) == 0) {
			snprintf(chosen, sizeof(chosen), "%s", py);
			return chosen;
		}
	}
	snprintf(why, whylen, "no python3 with the jwt and cryptography "
	    "modules (apt-get install python3-jwt python3-cryptography)");
	return NULL;
}

/*
 * Run jwt_interop.py; return its exit status and its stdout in "out".
 * Its stderr goes to a file and is shown only when the status is not
 * "expected".
 */
static int
run_interop(const char *python, const char *keyfile, const char *token,
    int expected, char *out, size_t outlen)
{
	char	 cmd[JWT_TOKEN_SIZE + 1024], errpath[256], line[512];
	FILE	*fp;
	size_t	 n;
	int	 status;

	snprintf(errpath, sizeof(errpath), "%s/interop.err", tmpdir);
	snprintf(cmd, sizeof(cmd), "'%s' '%s/t/jwt_interop.py' --issuer '%s' "
	    "--audience '%s' '%s' '%s' 2>'%s'", python, SRCDIR, ISS, AUD,
	    keyfile, token, errpath);
	fp = popen(cmd, "r");
	if (fp == NULL)
		bail_out("popen: %s", strerror(errno));
	n = fread(out, 1, outlen - 1, fp);
	out[n] = '\0';
	status = pclose(fp);
	status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;

	if (status != expected && (fp = fopen(errpath, "r")) != NULL) {
		while (fgets(line, sizeof(line), fp) != NULL) {
			line[strcspn(line, "\n")] = '\0';
			diag("jwt_interop.py: %s", line);
		}
		fclose(fp);
	}
	return status;
}

/* Check that PyJWT accepts "token" and reads "sub" and "exp". */
static void
interop_check(const char *python, const char *keyfile, const char *token,
    const struct jwt_claims *claims, const char *alg)
{
	struct json_object	*obj, *value;
	enum json_parse_status	 status;
	char			 out[4096];
	size_t			 offset;
	int			 rc;

	rc = run_interop(python, keyfile, token, 0, out, sizeof(out));
	is_int(rc, 0, "interop: PyJWT accepts the %s token", alg);
	obj = json_parse_strict(out, strlen(out), &status, &offset);
	ok(obj != NULL && json_object_object_get_ex(obj, "sub", &value) &&
	    strcmp(json_object_get_string(value), claims->sub) == 0,
	    "interop: PyJWT reads sub of the %s token", alg);
	ok(obj != NULL && json_object_object_get_ex(obj, "exp", &value) &&
	    json_object_get_int64(value) == claims->exp,
	    "interop: PyJWT reads exp of the %s token", alg);
	json_object_put(obj);
}

static void
test_interop(void)
{
	static const char text[] = LINE_HS_OLD LINE_ED LINE_FIELD;
	struct sscn_keys	*hs, *ed;
	struct jwt_claims	 claims;
	char			 keyfile[256], why[256], out[4096];
	char			 hs_token[JWT_TOKEN_SIZE], ed_token[JWT_TOKEN_SIZE];
	const char		*python;
	size_t			 mid;
	int			 fd;

	python = find_python(why, sizeof(why));
	if (python == NULL) {
		ok(1, "interop: PyJWT checks # SKIP %s", why);
		return;
	}
	diag("interop: using %s", python);

	snprintf(keyfile, sizeof(keyfile), "%s/keys", tmpdir);
	fd = open(keyfile, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd == -1 || write(fd, text, strlen(text)) !=
	    (ssize_t)strlen(text) || close(fd) == -1)
		bail_out("cannot write %s: %s", keyfile, strerror(errno));

	hs = load(text, "hs-old");
	ed = load(text, "ed-1");
	now = (int64_t)time(NULL);
	base_claims(&claims);
	if (jwt_sign(hs, &claims, hs_token, sizeof(hs_token)) < 0 ||
	    jwt_sign(ed, &claims, ed_token, sizeof(ed_token)) < 0)
		bail_out("interop: signing failed");

	interop_check(python, keyfile, hs_token, &claims, "HS256");
	interop_check(python, keyfile, ed_token, &claims, "EdDSA");

	/* Tampered: PyJWT must reject it too, or the check proves nothing. */
	mid = (size_t)(strchr(hs_token, '.') - hs_token) + 10;
	hs_token[mid] = hs_token[mid] == 'A' ? 'B' : 'A';
	is_int(run_interop(python, keyfile, hs_token, 1, out, sizeof(out)), 1,
	    "interop: PyJWT rejects a tampered HS256 token");
	mid = (size_t)(strchr(ed_token, '.') - ed_token) + 10;
	ed_token[mid] = ed_token[mid] == 'A' ? 'B' : 'A';
	is_int(run_interop(python, keyfile, ed_token, 1, out, sizeof(out)), 1,
	    "interop: PyJWT rejects a tampered EdDSA token");

	keys_free(hs);
	keys_free(ed);
}

int
main(void)
{
	struct sscn_keys	*keys;
	char			 cmd[256];

	now = 1700000000;
	if (mkdtemp(tmpdir) == NULL)
		bail_out("mkdtemp: %s", strerror(errno));

	test_round_trip();
	test_rotation();

	keys = load(LINE_HS_OLD LINE_ED LINE_FIELD, "hs-old");
	test_algorithms(keys);
	test_header(keys);
	test_tampering(keys);
	test_shape(keys);
	test_size(keys);
	test_times(keys);
	test_claims(keys);
	test_sign_checks(keys);
	keys_free(keys);

	test_helpers();
	test_interop();

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	if (system(cmd) != 0)
		diag("could not remove %s", tmpdir);
	return done_testing();
}
