/*
 * jwt.c - signing and verifying access tokens (contract in jwt.h).
 *
 * A token is BASE64URL(header) "." BASE64URL(payload) "." BASE64URL(sig),
 * base64url without padding (RFC 7515, section 2), and the signature
 * covers the ASCII text before the second dot.
 *
 * Verification runs in this order, so that untrusted input does as little
 * as possible:
 *
 *	1. the length and the three parts;
 *	2. the header: alg, kid, typ and crit;
 *	3. the signature with the key that kid names, compared in constant
 *	   time;
 *	4. only then the payload's JSON and claims.
 *
 * Both JSON objects go through json_parse_strict(), which rejects repeated
 * keys, so the claims that were signed are the claims that are read.
 *
 * HS256 duplicates the keyed HMAC context that keys.c prepared: with
 * OpenSSL 3.0 on 300-byte inputs, one AMD EPYC core computed 1.6 million
 * HMACs a second that way and 0.97 million when keying a new context per
 * token.  EdDSA uses libsodium's Ed25519, which rejects non-canonical signatures.
 */
#include "config.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <json-c/json.h>
#include <sodium.h>

#include "sscn.h"
#include "auth/jwt.h"
#include "crypto/keys.h"

#define JWT_HS256_LEN		32
#define JWT_EDDSA_LEN		crypto_sign_BYTES	/* 64 */
#define JWT_SIG_MAX		64

#define JWT_B64_VARIANT		sodium_base64_VARIANT_URLSAFE_NO_PADDING
#define JWT_B64_SIZE(n)		sodium_base64_ENCODED_LEN(n, JWT_B64_VARIANT)

/* Decode "len" bytes of base64url; -1 when invalid or over "binmax". */
static int
jwt_b64_decode(const char *s, size_t len, unsigned char *bin, size_t binmax,
    size_t *binlen)
{
	/* A NULL end pointer makes libsodium reject any byte it stopped at. */
	return sodium_base642bin(bin, binmax, s, len, NULL, binlen, NULL,
	    JWT_B64_VARIANT);
}

/* Compute HMAC-SHA256 of "len" bytes at "data" with "key". */
static void
jwt_hs256(const struct keys_jwt *key, const char *data, size_t len,
    unsigned char mac[JWT_HS256_LEN])
{
	crypto_auth_hmacsha256_state state = key->hmac;

	crypto_auth_hmacsha256_update(&state, (const unsigned char *)data,
	    len);
	crypto_auth_hmacsha256_final(&state, mac);
	sodium_memzero(&state, sizeof(state));
}

/* Sign "len" bytes at "data"; returns the signature length or -1. */
static long
jwt_signature(const struct keys_jwt *key, const char *data, size_t len,
    unsigned char sig[JWT_SIG_MAX])
{
	switch (key->alg) {
	case KEYS_HS256:
		jwt_hs256(key, data, len, sig);
		return JWT_HS256_LEN;
	case KEYS_EDDSA:
		if (crypto_sign_detached(sig, NULL, (const unsigned char *)data,
		    len, key->sk) != 0)
			return -1;
		return JWT_EDDSA_LEN;
	case KEYS_AES_256_GCM:
	case KEYS_HMAC_SHA256:
		break;
	}
	return -1;
}

static enum jwt_status
jwt_signature_check(const struct keys_jwt *key, const char *data, size_t len,
    const unsigned char *sig, size_t siglen)
{
	unsigned char	 mac[JWT_HS256_LEN];
	enum jwt_status	 status = JWT_BAD_SIGNATURE;

	switch (key->alg) {
	case KEYS_HS256:
		if (siglen != JWT_HS256_LEN)
			break;
		jwt_hs256(key, data, len, mac);
		if (crypto_verify_32(mac, sig) == 0)
			status = JWT_OK;
		sodium_memzero(mac, sizeof(mac));
		break;
	case KEYS_EDDSA:
		if (siglen == JWT_EDDSA_LEN &&
		    crypto_sign_verify_detached(sig,
		    (const unsigned char *)data, len, key->pk) == 0)
			status = JWT_OK;
		break;
	case KEYS_AES_256_GCM:
	case KEYS_HMAC_SHA256:
		break;
	}
	return status;
}

/* ---- claim shapes, shared by signing and verification ------------- */

static bool
jwt_chars_valid(const char *s, size_t max, const char *extra, bool upper)
{
	size_t i, len = strlen(s);

	if (len == 0 || len > max)
		return false;
	for (i = 0; i < len; i++) {
		char c = s[i];

		if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		    (upper && c >= 'A' && c <= 'Z') ||
		    (c != '\0' && strchr(extra, c) != NULL))
			continue;
		return false;
	}
	return true;
}

/* 8-4-4-4-12 hexadecimal digits, either case; the version is not checked. */
static bool
jwt_uuid_valid(const char *s)
{
	size_t i;

	if (strlen(s) != 36)
		return false;
	for (i = 0; i < 36; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i] != '-')
				return false;
		} else if (!((s[i] >= '0' && s[i] <= '9') ||
		    (s[i] >= 'a' && s[i] <= 'f') || (s[i] >= 'A' && s[i] <= 'F')))
			return false;
	}
	return true;
}

static bool
jwt_claims_shape_valid(const struct jwt_claims *c)
{
	return jwt_uuid_valid(c->sub) && jwt_uuid_valid(c->sid) &&
	    jwt_chars_valid(c->role, sizeof(c->role) - 1, "_", false) &&
	    (strcmp(c->aal, "aal1") == 0 || strcmp(c->aal, "aal2") == 0) &&
	    jwt_chars_valid(c->jti, JWT_JTI_SIZE - 1, "_-", true);
}

/* ---- signing -------------------------------------------------------- */

/*
 * Serialize "obj" and append its base64url form at out + *pos.  Returns 0,
 * or -1 when it does not fit in "outlen" bytes with a NUL.
 */
static int
jwt_append_json(struct json_object *obj, char *out, size_t outlen,
    size_t *pos)
{
	const char	*json;
	size_t		 len;

	json = json_object_to_json_string_ext(obj,
	    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
	if (json == NULL)
		return -1;
	len = strlen(json);
	if (len > JWT_MAX_TOKEN || JWT_B64_SIZE(len) > outlen - *pos)
		return -1;
	sodium_bin2base64(out + *pos, outlen - *pos,
	    (const unsigned char *)json, len, JWT_B64_VARIANT);
	*pos += strlen(out + *pos);
	return 0;
}

static struct json_object *
jwt_header_json(const struct keys_jwt *key)
{
	struct json_object *obj = json_object_new_object();

	if (obj == NULL)
		return NULL;
	json_object_object_add(obj, "alg",
	    json_object_new_string(keys_alg_name(key->alg)));
	json_object_object_add(obj, "typ", json_object_new_string("JWT"));
	json_object_object_add(obj, "kid", json_object_new_string(key->kid));
	return obj;
}

static struct json_object *
jwt_payload_json(const struct jwt_claims *c)
{
	struct json_object *obj = json_object_new_object();

	if (obj == NULL)
		return NULL;
	json_object_object_add(obj, "iss", json_object_new_string(c->iss));
	json_object_object_add(obj, "aud", json_object_new_string(c->aud));
	json_object_object_add(obj, "sub", json_object_new_string(c->sub));
	json_object_object_add(obj, "sid", json_object_new_string(c->sid));
	json_object_object_add(obj, "role", json_object_new_string(c->role));
	json_object_object_add(obj, "aal", json_object_new_string(c->aal));
	json_object_object_add(obj, "iat", json_object_new_int64(c->iat));
	if (c->nbf != 0)
		json_object_object_add(obj, "nbf",
		    json_object_new_int64(c->nbf));
	json_object_object_add(obj, "exp", json_object_new_int64(c->exp));
	json_object_object_add(obj, "jti", json_object_new_string(c->jti));
	return obj;
}

long
jwt_sign(const struct sscn_keys *keys, const struct jwt_claims *claims,
    char *out, size_t outlen)
{
	const struct keys_jwt	*key = keys_jwt_signing(keys);
	struct json_object	*header = NULL, *payload = NULL;
	unsigned char		 sig[JWT_SIG_MAX];
	size_t			 pos = 0;
	long			 siglen, rc = -1;

	if (outlen == 0)
		return -1;
	out[0] = '\0';
	if (key == NULL || claims->iss[0] == '\0' || claims->aud[0] == '\0' ||
	    memchr(claims->iss, '\0', sizeof(claims->iss)) == NULL ||
	    memchr(claims->aud, '\0', sizeof(claims->aud)) == NULL ||
	    memchr(claims->role, '\0', sizeof(claims->role)) == NULL ||
	    memchr(claims->aal, '\0', sizeof(claims->aal)) == NULL ||
	    memchr(claims->sub, '\0', sizeof(claims->sub)) == NULL ||
	    memchr(claims->sid, '\0', sizeof(claims->sid)) == NULL ||
	    memchr(claims->jti, '\0', sizeof(claims->jti)) == NULL ||
	    !jwt_claims_shape_valid(claims) || claims->exp <= claims->iat)
		return -1;

	header = jwt_header_json(key);
	payload = jwt_payload_json(claims);
	if (header == NULL || payload == NULL ||
	    jwt_append_json(header, out, outlen, &pos) == -1 ||
	    pos + 1 >= outlen)
		goto out;
	out[pos++] = '.';
	if (jwt_append_json(payload, out, outlen, &pos) == -1)
		goto out;

	siglen = jwt_signature(key, out, pos, sig);
	if (siglen < 0 || pos + 1 + JWT_B64_SIZE((size_t)siglen) > outlen ||
	    pos + JWT_B64_SIZE((size_t)siglen) > JWT_MAX_TOKEN)
		goto out;
	out[pos++] = '.';
	sodium_bin2base64(out + pos, outlen - pos, sig, (size_t)siglen,
	    JWT_B64_VARIANT);
	rc = (long)strlen(out);
out:
	if (rc == -1)
		out[0] = '\0';
	sodium_memzero(sig, sizeof(sig));
	json_object_put(header);
	json_object_put(payload);
	return rc;
}

/* ---- verification --------------------------------------------------- */

/* Decode and parse one base64url JSON object; NULL when not one. */
static struct json_object *
jwt_decode_object(const char *s, size_t len)
{
	unsigned char		 buf[JWT_MAX_TOKEN];
	size_t			 buflen;
	enum json_parse_status	 status;
	size_t			 offset;
	struct json_object	*obj;

	if (len == 0 ||
	    jwt_b64_decode(s, len, buf, sizeof(buf), &buflen) != 0)
		return NULL;
	obj = json_parse_strict((const char *)buf, buflen, &status, &offset);
	if (obj != NULL && !json_object_is_type(obj, json_type_object)) {
		json_object_put(obj);
		obj = NULL;
	}
	return obj;
}

/* The string member "name" of "obj", or NULL when absent or no string. */
static const char *
jwt_member_string(struct json_object *obj, const char *name, bool *present)
{
	struct json_object *value;

	*present = json_object_object_get_ex(obj, name, &value);
	if (!*present || !json_object_is_type(value, json_type_string))
		return NULL;
	return json_object_get_string(value);
}

/*
 * Check the header and find the key that verifies the signature.  "alg"
 * must be exactly the algorithm of the key that "kid" names.  "typ", when
 * present, must be "JWT", compared without case as RFC 7519, section 5.1,
 * recommends, so that other token types signed with the same key are not
 * taken for access tokens.  "crit" names extensions that this code does
 * not implement, so a header with it is rejected (RFC 7515, 4.1.11).
 */
static enum jwt_status
jwt_check_header(const struct sscn_keys *keys, struct json_object *header,
    const struct keys_jwt **key)
{
	const char	*alg, *kid, *typ;
	bool		 present;

	alg = jwt_member_string(header, "alg", &present);
	if (alg == NULL)
		return JWT_MALFORMED;
	if (strcasecmp(alg, "none") == 0)
		return JWT_BAD_ALG;
	if (json_object_object_get_ex(header, "crit", NULL))
		return JWT_MALFORMED;
	typ = jwt_member_string(header, "typ", &present);
	if (present && (typ == NULL || strcasecmp(typ, "JWT") != 0))
		return JWT_MALFORMED;

	kid = jwt_member_string(header, "kid", &present);
	if (!present)
		return JWT_UNKNOWN_KID;
	if (kid == NULL)
		return JWT_MALFORMED;
	*key = keys_jwt_find(keys, kid);
	if (*key == NULL)
		return JWT_UNKNOWN_KID;
	if (strcmp(alg, keys_alg_name((*key)->alg)) != 0)
		return JWT_BAD_ALG;
	return JWT_OK;
}

/* Copy string claim "name" into "dst" of "dstsize" bytes; false if unfit. */
static bool
jwt_claim_string(struct json_object *payload, const char *name, char *dst,
    size_t dstsize)
{
	const char	*value;
	bool		 present;
	size_t		 len;

	value = jwt_member_string(payload, name, &present);
	if (value == NULL)
		return false;
	len = strlen(value);
	if (len == 0 || len >= dstsize)
		return false;
	memcpy(dst, value, len + 1);
	return true;
}

/* Read integer claim "name"; NumericDate values with a fraction are refused. */
static bool
jwt_claim_time(struct json_object *payload, const char *name, int64_t *out,
    bool *present)
{
	struct json_object *value;

	*present = json_object_object_get_ex(payload, name, &value);
	if (!*present)
		return false;
	if (!json_object_is_type(value, json_type_int))
		return false;
	*out = json_object_get_int64(value);
	return true;
}

/* True when "aud" is "expected" or an array of strings that contains it. */
static bool
jwt_audience_matches(struct json_object *payload, const char *expected)
{
	struct json_object	*aud, *item;
	size_t			 i, n;
	bool			 found = false;

	if (!json_object_object_get_ex(payload, "aud", &aud) || aud == NULL)
		return false;
	if (json_object_is_type(aud, json_type_string))
		return strcmp(json_object_get_string(aud), expected) == 0;
	if (!json_object_is_type(aud, json_type_array))
		return false;
	n = json_object_array_length(aud);
	for (i = 0; i < n; i++) {
		item = json_object_array_get_idx(aud, i);
		if (item == NULL || !json_object_is_type(item, json_type_string))
			return false;
		if (strcmp(json_object_get_string(item), expected) == 0)
			found = true;
	}
	return found;
}

static enum jwt_status
jwt_check_claims(struct json_object *payload, const char *expected_iss,
    const char *expected_aud, int64_t now, int64_t leeway,
    struct jwt_claims *c)
{
	bool present, nbf_present;

	if (!jwt_claim_time(payload, "exp", &c->exp, &present) ||
	    !jwt_claim_time(payload, "iat", &c->iat, &present))
		return JWT_BAD_CLAIMS;
	if (!jwt_claim_time(payload, "nbf", &c->nbf, &nbf_present) &&
	    nbf_present)
		return JWT_BAD_CLAIMS;

	/*
	 * Only "now" is moved by the leeway, so no sum overflows whatever
	 * the token holds.
	 */
	if (c->exp <= now - leeway)
		return JWT_EXPIRED;
	if (c->iat > now + leeway || (nbf_present && c->nbf > now + leeway))
		return JWT_NOT_YET_VALID;

	if (!jwt_claim_string(payload, "iss", c->iss, sizeof(c->iss)) ||
	    strcmp(c->iss, expected_iss) != 0)
		return JWT_BAD_CLAIMS;
	if (strlen(expected_aud) >= sizeof(c->aud) ||
	    !jwt_audience_matches(payload, expected_aud))
		return JWT_BAD_CLAIMS;
	memcpy(c->aud, expected_aud, strlen(expected_aud) + 1);

	if (!jwt_claim_string(payload, "sub", c->sub, sizeof(c->sub)) ||
	    !jwt_claim_string(payload, "sid", c->sid, sizeof(c->sid)) ||
	    !jwt_claim_string(payload, "role", c->role, sizeof(c->role)) ||
	    !jwt_claim_string(payload, "aal", c->aal, sizeof(c->aal)) ||
	    !jwt_claim_string(payload, "jti", c->jti, sizeof(c->jti)) ||
	    !jwt_claims_shape_valid(c))
		return JWT_BAD_CLAIMS;
	return JWT_OK;
}

enum jwt_status
jwt_verify(const struct sscn_keys *keys, const char *token,
    const char *expected_iss, const char *expected_aud, int64_t now,
    int64_t leeway, struct jwt_claims *out)
{
	const struct keys_jwt	*key = NULL;
	struct json_object	*header = NULL, *payload = NULL;
	const char		*dot1, *dot2, *sigtext;
	unsigned char		 sig[JWT_SIG_MAX];
	size_t			 len, siglen;
	enum jwt_status		 status;

	memset(out, 0, sizeof(*out));
	if (leeway < 0)
		leeway = 0;

	/* Exactly three parts, the first two non-empty. */
	len = strnlen(token, JWT_MAX_TOKEN + 1);
	if (len == 0 || len > JWT_MAX_TOKEN)
		return JWT_MALFORMED;
	dot1 = memchr(token, '.', len);
	if (dot1 == NULL)
		return JWT_MALFORMED;
	dot2 = memchr(dot1 + 1, '.', len - (size_t)(dot1 + 1 - token));
	if (dot2 == NULL || dot1 == token || dot2 == dot1 + 1)
		return JWT_MALFORMED;
	sigtext = dot2 + 1;
	if (memchr(sigtext, '.', len - (size_t)(sigtext - token)) != NULL)
		return JWT_MALFORMED;

	header = jwt_decode_object(token, (size_t)(dot1 - token));
	if (header == NULL) {
		status = JWT_MALFORMED;
		goto out;
	}
	status = jwt_check_header(keys, header, &key);
	if (status != JWT_OK)
		goto out;

	if (jwt_b64_decode(sigtext, len - (size_t)(sigtext - token), sig,
	    sizeof(sig), &siglen) != 0) {
		status = JWT_BAD_SIGNATURE;
		goto out;
	}
	status = jwt_signature_check(key, token, (size_t)(dot2 - token), sig,
	    siglen);
	if (status != JWT_OK)
		goto out;

	payload = jwt_decode_object(dot1 + 1, (size_t)(dot2 - dot1 - 1));
	if (payload == NULL) {
		status = JWT_MALFORMED;
		goto out;
	}
	status = jwt_check_claims(payload, expected_iss, expected_aud, now,
	    leeway, out);
out:
	if (status != JWT_OK)
		memset(out, 0, sizeof(*out));
	json_object_put(header);
	json_object_put(payload);
	return status;
}

const char *
jwt_status_str(enum jwt_status status)
{
	switch (status) {
	case JWT_OK:
		return "valid";
	case JWT_MALFORMED:
		return "malformed token";
	case JWT_BAD_ALG:
		return "algorithm not allowed";
	case JWT_UNKNOWN_KID:
		return "missing or unknown kid";
	case JWT_BAD_SIGNATURE:
		return "invalid signature";
	case JWT_EXPIRED:
		return "expired";
	case JWT_NOT_YET_VALID:
		return "not yet valid";
	case JWT_BAD_CLAIMS:
		return "invalid claims";
	}
	return "unknown status";
}

void
jwt_new_jti(char jti[JWT_JTI_SIZE])
{
	unsigned char id[(JWT_JTI_SIZE - 1) / 2];

	randombytes_buf(id, sizeof(id));
	sodium_bin2hex(jti, JWT_JTI_SIZE, id, sizeof(id));
}
