/*
 * oidc_token.c - RS256 verification of OpenID Connect ID tokens against a
 * JSON Web Key Set (see oidc_token.h for the contract).
 *
 * Order of checks: size and shape, the header ("alg" exactly "RS256",
 * "crit" absent, a "kid" found in the set), the signature over the first
 * two parts, and only then the claims, so that nothing of an unsigned
 * payload is trusted.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <sodium.h>

#include "sscn.h"
#include "auth/oidc_token.h"

#define OIDC_B64_VARIANT	sodium_base64_VARIANT_URLSAFE_NO_PADDING
/* Smallest RSA modulus accepted, in bits (NIST SP 800-131A). */
#define OIDC_RSA_MIN_BITS	2048
/* Largest RSA modulus accepted, in bytes (8192 bits). */
#define OIDC_RSA_MAX_BYTES	1024

struct oidc_jwk {
	char		 kid[OIDC_KID_SIZE];
	EVP_PKEY	*pkey;
};

struct oidc_jwks {
	struct oidc_jwk	 keys[OIDC_JWKS_MAX_KEYS];
	size_t		 nkeys;
};

/* Decode "len" bytes of base64url; -1 when invalid or over "binmax". */
static int
oidc_b64_decode(const char *s, size_t len, unsigned char *bin, size_t binmax,
    size_t *binlen)
{
	/* A NULL end pointer makes libsodium reject any byte it stopped at. */
	return sodium_base642bin(bin, binmax, s, len, NULL, binlen, NULL,
	    OIDC_B64_VARIANT);
}

/* The string member "name" of "obj", or NULL when absent or no string. */
static const char *
oidc_member_string(struct json_object *obj, const char *name)
{
	struct json_object *value;

	if (!json_object_object_get_ex(obj, name, &value) ||
	    !json_object_is_type(value, json_type_string))
		return NULL;
	return json_object_get_string(value);
}

/* ---- key sets --------------------------------------------------------- */

/* Build an RSA public key from the base64url "n" and "e" of a JWK. */
static EVP_PKEY *
oidc_rsa_key(const char *n_b64, const char *e_b64)
{
	unsigned char	 n[OIDC_RSA_MAX_BYTES], e[8];
	size_t		 nlen, elen;
	BIGNUM		*bn_n = NULL, *bn_e = NULL;
	OSSL_PARAM_BLD	*build = NULL;
	OSSL_PARAM	*params = NULL;
	EVP_PKEY_CTX	*ctx = NULL;
	EVP_PKEY	*pkey = NULL;

	if (oidc_b64_decode(n_b64, strlen(n_b64), n, sizeof(n), &nlen) != 0 ||
	    oidc_b64_decode(e_b64, strlen(e_b64), e, sizeof(e), &elen) != 0 ||
	    elen == 0)
		return NULL;
	if ((bn_n = BN_bin2bn(n, (int)nlen, NULL)) == NULL ||
	    (bn_e = BN_bin2bn(e, (int)elen, NULL)) == NULL ||
	    BN_num_bits(bn_n) < OIDC_RSA_MIN_BITS)
		goto out;

	if ((build = OSSL_PARAM_BLD_new()) == NULL ||
	    !OSSL_PARAM_BLD_push_BN(build, OSSL_PKEY_PARAM_RSA_N, bn_n) ||
	    !OSSL_PARAM_BLD_push_BN(build, OSSL_PKEY_PARAM_RSA_E, bn_e) ||
	    (params = OSSL_PARAM_BLD_to_param(build)) == NULL)
		goto out;
	if ((ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL)) == NULL ||
	    EVP_PKEY_fromdata_init(ctx) <= 0 ||
	    EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) <= 0)
		pkey = NULL;

out:
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(build);
	BN_free(bn_n);
	BN_free(bn_e);
	return pkey;
}

/* Add the key "jwk" to "jwks" when it is a usable RS256 key with a kid. */
static void
oidc_jwks_add(struct oidc_jwks *jwks, struct json_object *jwk)
{
	const char	*kty, *kid, *use, *alg, *n, *e;
	EVP_PKEY	*pkey;

	if (jwks->nkeys == OIDC_JWKS_MAX_KEYS ||
	    !json_object_is_type(jwk, json_type_object))
		return;
	kty = oidc_member_string(jwk, "kty");
	kid = oidc_member_string(jwk, "kid");
	use = oidc_member_string(jwk, "use");
	alg = oidc_member_string(jwk, "alg");
	n = oidc_member_string(jwk, "n");
	e = oidc_member_string(jwk, "e");
	if (kty == NULL || strcmp(kty, "RSA") != 0 || kid == NULL ||
	    *kid == '\0' || strlen(kid) >= OIDC_KID_SIZE || n == NULL ||
	    e == NULL || (use != NULL && strcmp(use, "sig") != 0) ||
	    (alg != NULL && strcmp(alg, "RS256") != 0) ||
	    oidc_jwks_has_kid(jwks, kid))
		return;
	if ((pkey = oidc_rsa_key(n, e)) == NULL)
		return;
	snprintf(jwks->keys[jwks->nkeys].kid, OIDC_KID_SIZE, "%s", kid);
	jwks->keys[jwks->nkeys].pkey = pkey;
	jwks->nkeys++;
}

struct oidc_jwks *
oidc_jwks_parse(const char *json, size_t len, char *err, size_t errlen)
{
	struct json_object	*root, *keys;
	struct oidc_jwks	*jwks;
	enum json_parse_status	 status;
	size_t			 offset, i;

	root = json_parse_strict(json, len, &status, &offset);
	if (root == NULL || !json_object_is_type(root, json_type_object) ||
	    !json_object_object_get_ex(root, "keys", &keys) ||
	    !json_object_is_type(keys, json_type_array)) {
		snprintf(err, errlen, "not a JSON Web Key Set");
		json_object_put(root);
		return NULL;
	}
	if ((jwks = calloc(1, sizeof(*jwks))) == NULL) {
		snprintf(err, errlen, "out of memory");
		json_object_put(root);
		return NULL;
	}
	for (i = 0; i < json_object_array_length(keys); i++)
		oidc_jwks_add(jwks, json_object_array_get_idx(keys, i));
	json_object_put(root);
	if (jwks->nkeys == 0) {
		snprintf(err, errlen, "no RSA signature key of at least %d bits "
		    "with a kid", OIDC_RSA_MIN_BITS);
		oidc_jwks_free(jwks);
		return NULL;
	}
	return jwks;
}

void
oidc_jwks_free(struct oidc_jwks *jwks)
{
	size_t i;

	if (jwks == NULL)
		return;
	for (i = 0; i < jwks->nkeys; i++)
		EVP_PKEY_free(jwks->keys[i].pkey);
	free(jwks);
}

static EVP_PKEY *
oidc_jwks_find(const struct oidc_jwks *jwks, const char *kid)
{
	size_t i;

	for (i = 0; i < jwks->nkeys; i++)
		if (strcmp(jwks->keys[i].kid, kid) == 0)
			return jwks->keys[i].pkey;
	return NULL;
}

bool
oidc_jwks_has_kid(const struct oidc_jwks *jwks, const char *kid)
{
	return jwks != NULL && oidc_jwks_find(jwks, kid) != NULL;
}

/* ---- tokens ----------------------------------------------------------- */

/* The three parts of a compact JWS, as offsets into the token. */
struct oidc_parts {
	size_t	header_len;
	size_t	payload_off, payload_len;
	size_t	signature_off, signature_len;
};

static enum oidc_token_status
oidc_split(const char *token, struct oidc_parts *p)
{
	const char	*dot1, *dot2;
	size_t		 len = strnlen(token, OIDC_TOKEN_MAX + 1);

	if (len > OIDC_TOKEN_MAX || (dot1 = strchr(token, '.')) == NULL ||
	    (dot2 = strchr(dot1 + 1, '.')) == NULL ||
	    strchr(dot2 + 1, '.') != NULL)
		return OIDC_TOKEN_MALFORMED;
	p->header_len = (size_t)(dot1 - token);
	p->payload_off = p->header_len + 1;
	p->payload_len = (size_t)(dot2 - dot1 - 1);
	p->signature_off = (size_t)(dot2 - token) + 1;
	p->signature_len = len - p->signature_off;
	if (p->header_len == 0 || p->payload_len == 0 || p->signature_len == 0)
		return OIDC_TOKEN_MALFORMED;
	return OIDC_TOKEN_OK;
}

/* Decode and parse one base64url JSON object; NULL when not one. */
static struct json_object *
oidc_decode_object(const char *s, size_t len)
{
	unsigned char		 buf[OIDC_TOKEN_MAX];
	size_t			 buflen, offset;
	enum json_parse_status	 status;
	struct json_object	*obj;

	if (oidc_b64_decode(s, len, buf, sizeof(buf), &buflen) != 0)
		return NULL;
	obj = json_parse_strict((const char *)buf, buflen, &status, &offset);
	if (obj != NULL && !json_object_is_type(obj, json_type_object)) {
		json_object_put(obj);
		obj = NULL;
	}
	return obj;
}

/*
 * Check the header: "alg" exactly RS256, no "crit" (RFC 7515, 4.1.11:
 * extensions this code does not implement), and a usable "kid".
 */
static enum oidc_token_status
oidc_check_header(struct json_object *header, char kid[OIDC_KID_SIZE])
{
	const char *alg = oidc_member_string(header, "alg");
	const char *value = oidc_member_string(header, "kid");

	if (alg == NULL || strcmp(alg, "RS256") != 0)
		return OIDC_TOKEN_BAD_ALG;
	if (json_object_object_get_ex(header, "crit", NULL))
		return OIDC_TOKEN_MALFORMED;
	if (value == NULL || *value == '\0' || strlen(value) >= OIDC_KID_SIZE)
		return OIDC_TOKEN_UNKNOWN_KID;
	snprintf(kid, OIDC_KID_SIZE, "%s", value);
	return OIDC_TOKEN_OK;
}

enum oidc_token_status
oidc_token_kid(const char *token, char kid[OIDC_KID_SIZE])
{
	struct oidc_parts	 parts;
	struct json_object	*header;
	const char		*value;
	enum oidc_token_status	 status;

	*kid = '\0';
	if ((status = oidc_split(token, &parts)) != OIDC_TOKEN_OK)
		return status;
	if ((header = oidc_decode_object(token, parts.header_len)) == NULL)
		return OIDC_TOKEN_MALFORMED;
	value = oidc_member_string(header, "kid");
	status = OIDC_TOKEN_UNKNOWN_KID;
	if (value != NULL && *value != '\0' && strlen(value) < OIDC_KID_SIZE) {
		snprintf(kid, OIDC_KID_SIZE, "%s", value);
		status = OIDC_TOKEN_OK;
	}
	json_object_put(header);
	return status;
}

/* RSASSA-PKCS1-v1_5 with SHA-256 over the first "len" bytes of "token". */
static enum oidc_token_status
oidc_check_signature(EVP_PKEY *pkey, const char *token, size_t len,
    const char *sig_b64, size_t sig_b64_len)
{
	unsigned char	 sig[OIDC_RSA_MAX_BYTES];
	size_t		 siglen;
	EVP_MD_CTX	*md;
	int		 ok;

	if (oidc_b64_decode(sig_b64, sig_b64_len, sig, sizeof(sig),
	    &siglen) != 0 || siglen != (size_t)EVP_PKEY_get_size(pkey))
		return OIDC_TOKEN_BAD_SIGNATURE;
	if ((md = EVP_MD_CTX_new()) == NULL)
		return OIDC_TOKEN_BAD_SIGNATURE;
	ok = EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, pkey) == 1 &&
	    EVP_DigestVerify(md, sig, siglen, (const unsigned char *)token,
	    len) == 1;
	EVP_MD_CTX_free(md);
	return ok ? OIDC_TOKEN_OK : OIDC_TOKEN_BAD_SIGNATURE;
}

/* True when "aud" (a string or an array of strings) names "client_id". */
static bool
oidc_audience_matches(struct json_object *payload, const char *client_id)
{
	struct json_object	*aud, *item;
	const char		*azp;
	size_t			 i, n;
	bool			 found = false;

	if (!json_object_object_get_ex(payload, "aud", &aud))
		return false;
	if (json_object_is_type(aud, json_type_string))
		return strcmp(json_object_get_string(aud), client_id) == 0;
	if (!json_object_is_type(aud, json_type_array))
		return false;
	n = json_object_array_length(aud);
	for (i = 0; i < n; i++) {
		item = json_object_array_get_idx(aud, i);
		if (json_object_is_type(item, json_type_string) &&
		    strcmp(json_object_get_string(item), client_id) == 0)
			found = true;
	}
	/* OpenID Connect Core 1.0, 3.1.3.7, steps 4 and 5. */
	if (found && n > 1) {
		azp = oidc_member_string(payload, "azp");
		found = azp != NULL && strcmp(azp, client_id) == 0;
	}
	return found;
}

/* A required NumericDate claim; false when absent or not an integer. */
static bool
oidc_claim_time(struct json_object *payload, const char *name, int64_t *out)
{
	struct json_object *value;

	if (!json_object_object_get_ex(payload, name, &value) ||
	    !json_object_is_type(value, json_type_int))
		return false;
	*out = json_object_get_int64(value);
	return *out > 0;
}

/* Copy an optional string claim; false when present and too long or no string. */
static bool
oidc_claim_copy(struct json_object *payload, const char *name, char *dst,
    size_t dstlen)
{
	struct json_object	*value;
	const char		*s;

	*dst = '\0';
	if (!json_object_object_get_ex(payload, name, &value) ||
	    json_object_is_type(value, json_type_null))
		return true;
	if (!json_object_is_type(value, json_type_string))
		return false;
	s = json_object_get_string(value);
	if (strlen(s) >= dstlen)
		return false;
	memcpy(dst, s, strlen(s) + 1);
	return true;
}

/* "sub": 1-255 printable ASCII characters (OpenID Connect Core 1.0, 2). */
static bool
oidc_sub_valid(const char *sub)
{
	const char *p;

	if (*sub == '\0')
		return false;
	for (p = sub; *p != '\0'; p++)
		if (*p < 0x21 || *p > 0x7e)
			return false;
	return true;
}

/*
 * "email_verified" is a boolean in OpenID Connect Core 1.0, 5.1; some
 * providers send the string "true", which is taken as the same.
 */
static bool
oidc_claim_email_verified(struct json_object *payload)
{
	struct json_object *value;

	if (!json_object_object_get_ex(payload, "email_verified", &value))
		return false;
	if (json_object_is_type(value, json_type_boolean))
		return json_object_get_boolean(value);
	return json_object_is_type(value, json_type_string) &&
	    strcmp(json_object_get_string(value), "true") == 0;
}

static enum oidc_token_status
oidc_check_claims(struct json_object *payload, const char *issuer,
    const char *client_id, const char *nonce, int64_t now, int64_t leeway,
    struct oidc_id_claims *out)
{
	const char *iss = oidc_member_string(payload, "iss");

	if (iss == NULL || strcmp(iss, issuer) != 0)
		return OIDC_TOKEN_BAD_ISSUER;
	if (!oidc_audience_matches(payload, client_id))
		return OIDC_TOKEN_BAD_AUDIENCE;
	if (!oidc_claim_time(payload, "exp", &out->exp) ||
	    out->exp <= now - leeway)
		return OIDC_TOKEN_EXPIRED;
	if (!oidc_claim_time(payload, "iat", &out->iat) ||
	    out->iat > now + leeway)
		return OIDC_TOKEN_NOT_YET_VALID;
	if (!oidc_claim_copy(payload, "sub", out->sub, sizeof(out->sub)) ||
	    !oidc_sub_valid(out->sub) ||
	    !oidc_claim_copy(payload, "email", out->email,
	    sizeof(out->email)) ||
	    !oidc_claim_copy(payload, "name", out->name, sizeof(out->name)) ||
	    !oidc_claim_copy(payload, "nonce", out->nonce,
	    sizeof(out->nonce)))
		return OIDC_TOKEN_BAD_CLAIMS;
	if (nonce != NULL && (*out->nonce == '\0' ||
	    strlen(nonce) != strlen(out->nonce) ||
	    sodium_memcmp(nonce, out->nonce, strlen(nonce)) != 0))
		return OIDC_TOKEN_BAD_NONCE;
	out->email_verified = oidc_claim_email_verified(payload);
	return OIDC_TOKEN_OK;
}

enum oidc_token_status
oidc_token_verify(const struct oidc_jwks *jwks, const char *token,
    const char *issuer, const char *client_id, const char *nonce, int64_t now,
    int64_t leeway, struct oidc_id_claims *out)
{
	struct oidc_parts	 parts;
	struct json_object	*header = NULL, *payload = NULL;
	char			 kid[OIDC_KID_SIZE];
	EVP_PKEY		*pkey;
	enum oidc_token_status	 status;

	memset(out, 0, sizeof(*out));
	if ((status = oidc_split(token, &parts)) != OIDC_TOKEN_OK)
		return status;
	if ((header = oidc_decode_object(token, parts.header_len)) == NULL)
		return OIDC_TOKEN_MALFORMED;
	status = oidc_check_header(header, kid);
	json_object_put(header);
	if (status != OIDC_TOKEN_OK)
		return status;
	if (jwks == NULL || (pkey = oidc_jwks_find(jwks, kid)) == NULL)
		return OIDC_TOKEN_UNKNOWN_KID;

	status = oidc_check_signature(pkey, token, parts.signature_off - 1,
	    token + parts.signature_off, parts.signature_len);
	if (status != OIDC_TOKEN_OK)
		return status;

	payload = oidc_decode_object(token + parts.payload_off,
	    parts.payload_len);
	if (payload == NULL)
		return OIDC_TOKEN_MALFORMED;
	status = oidc_check_claims(payload, issuer, client_id, nonce, now,
	    leeway, out);
	json_object_put(payload);
	if (status != OIDC_TOKEN_OK)
		memset(out, 0, sizeof(*out));
	return status;
}

const char *
oidc_token_status_str(enum oidc_token_status status)
{
	switch (status) {
	case OIDC_TOKEN_OK:		return "ok";
	case OIDC_TOKEN_MALFORMED:	return "malformed";
	case OIDC_TOKEN_BAD_ALG:	return "algorithm not accepted";
	case OIDC_TOKEN_UNKNOWN_KID:	return "unknown key id";
	case OIDC_TOKEN_BAD_SIGNATURE:	return "bad signature";
	case OIDC_TOKEN_BAD_ISSUER:	return "wrong issuer";
	case OIDC_TOKEN_BAD_AUDIENCE:	return "wrong audience";
	case OIDC_TOKEN_EXPIRED:	return "expired";
	case OIDC_TOKEN_NOT_YET_VALID:	return "issued in the future";
	case OIDC_TOKEN_BAD_NONCE:	return "nonce mismatch";
	case OIDC_TOKEN_BAD_CLAIMS:	return "invalid claims";
	}
	return "unknown";
}
