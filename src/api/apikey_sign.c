/*
 * apikey_sign.c - authenticate a request signed with an API key.
 *
 * Header: Authorization: SSCN-HMAC-SHA256 key_id=UUID, timestamp=UNIX,
 * signature=HEX.  The signature is lower-case hex of HMAC-SHA256 under
 * the key's secret (its 43 ASCII characters) over the canonical string
 *
 *	METHOD "\n" REQUEST_URI "\n" TIMESTAMP "\n" hex(SHA-256(body))
 *
 * where REQUEST_URI is the path with query exactly as sent.  man
 * sscn-api.7 gives a worked example.
 */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>
#include <sodium.h>

#include "sscn.h"
#include "api/apikeys.h"
#include "api/auth_session.h"
#include "crypto/fieldcrypt.h"

bool
apikey_is_signed(const struct http_request *req)
{
	const char *header = http_param(req, "HTTP_AUTHORIZATION");

	return header != NULL && strncmp(header, APIKEY_SCHEME " ",
	    strlen(APIKEY_SCHEME) + 1) == 0;
}

/* Copy the value of "name=" from "params" into "out"; false if missing. */
static bool
apikey_param(const char *params, const char *name, char *out, size_t outlen)
{
	const char	*p = params;
	size_t		 namelen = strlen(name), len;

	while (*p != '\0') {
		while (*p == ' ' || *p == ',')
			p++;
		len = strcspn(p, ",");
		if (len > namelen && strncmp(p, name, namelen) == 0 &&
		    p[namelen] == '=') {
			len -= namelen + 1;
			while (len > 0 && p[namelen + 1 + len - 1] == ' ')
				len--;
			if (len == 0 || len >= outlen)
				return false;
			memcpy(out, p + namelen + 1, len);
			out[len] = '\0';
			return true;
		}
		p += len;
	}
	return false;
}

bool
apikey_header_parse(const char *params, struct apikey_header *h)
{
	size_t		 i;

	if (!apikey_param(params, "key_id", h->key_id, sizeof(h->key_id)) ||
	    !apikey_param(params, "timestamp", h->timestamp,
	    sizeof(h->timestamp)) ||
	    !apikey_param(params, "signature", h->signature,
	    sizeof(h->signature)))
		return false;
	if (!session_is_uuid(h->key_id) ||
	    strlen(h->signature) != APIKEY_SIG_HEX)
		return false;
	for (i = 0; h->timestamp[i] != '\0'; i++)
		if (h->timestamp[i] < '0' || h->timestamp[i] > '9')
			return false;
	return true;
}

static bool
apikey_parse(const struct http_request *req, struct apikey_header *h)
{
	return apikey_header_parse(http_param(req, "HTTP_AUTHORIZATION") +
	    strlen(APIKEY_SCHEME) + 1, h);
}

/* Compute the expected signature into "out"; false on failure. */
static bool
apikey_expected(const struct http_request *req, const struct apikey_header *h,
    const unsigned char *secret, size_t secretlen,
    char out[APIKEY_SIG_HEX + 1])
{
	const char			*uri = http_param(req, "REQUEST_URI");
	crypto_auth_hmacsha256_state	 state;
	unsigned char			 body_hash[32], mac[32];
	char				 body_hex[65], *canonical;
	int				 n;

	if (uri == NULL)
		return false;
	crypto_hash_sha256(body_hash, (const unsigned char *)(req->body != NULL ?
	    req->body : ""), req->body_len);
	sodium_bin2hex(body_hex, sizeof(body_hex), body_hash, 32);
	n = asprintf(&canonical, "%s\n%s\n%s\n%s", req->method, uri,
	    h->timestamp, body_hex);
	if (n < 0)
		return false;

	crypto_auth_hmacsha256_init(&state, secret, secretlen);
	crypto_auth_hmacsha256_update(&state, (unsigned char *)canonical,
	    (size_t)n);
	crypto_auth_hmacsha256_final(&state, mac);
	sodium_memzero(&state, sizeof(state));
	free(canonical);
	sodium_bin2hex(out, APIKEY_SIG_HEX + 1, mac, 32);
	return true;
}

static enum sscn_err
apikey_reject(struct http_request *req, const char *reason,
    const char *key_id, enum sscn_err err)
{
	log_info(req->request_id, "auth_rejected", "reason=\"%s\" key_id=%s",
	    reason, key_id[0] != '\0' ? key_id : "-");
	if (req->worker->db.in_transaction)
		db_rollback(&req->worker->db, req->request_id);
	return err;
}

/* Decrypt the key's secret and compare signatures in constant time. */
static enum sscn_err
apikey_check_signature(struct http_request *req, const struct apikey_header *h,
    const char *sealed_text)
{
	unsigned char	*sealed, *secret = NULL;
	size_t		 sealedlen, secretlen = 0;
	char		 aad[64], expected[APIKEY_SIG_HEX + 1];
	bool		 ok;

	sealed = PQunescapeBytea((const unsigned char *)sealed_text,
	    &sealedlen);
	if (sealed == NULL)
		return SSCN_ERR_INTERNAL;
	snprintf(aad, sizeof(aad), "api_keys.secret:%s", h->key_id);
	if (fieldcrypt_decrypt(req->worker->keys, sealed, sealedlen, aad,
	    strlen(aad), &secret, &secretlen) != FIELDCRYPT_OK) {
		PQfreemem(sealed);
		log_error(req->request_id, "apikey_decrypt_failed",
		    "key_id=%s", h->key_id);
		return SSCN_ERR_INTERNAL;
	}
	PQfreemem(sealed);
	ok = apikey_expected(req, h, secret, secretlen, expected);
	fieldcrypt_free_plain(secret, secretlen);
	if (!ok)
		return SSCN_ERR_INTERNAL;
	if (sodium_memcmp(expected, h->signature, APIKEY_SIG_HEX) != 0)
		return SSCN_ERR_UNAUTHORIZED;
	return SSCN_OK;
}

enum sscn_err
apikey_authenticate(struct http_request *req)
{
	struct apikey_header	 h;
	const char		*params[4];
	unsigned char		 sig_hash[32];
	char			 sig_hash_hex[2 + 64 + 1], window[12];
	char			 user_id[37], org_id[37], role[8], kind[10];
	PGresult		*res = NULL;
	enum sscn_err		 err;
	bool			 write_scope;
	int64_t			 skew;

	memset(&h, 0, sizeof(h));
	if (req->worker->keys == NULL)
		return SSCN_ERR_UNAVAILABLE;
	if (!apikey_parse(req, &h))
		return apikey_reject(req, "malformed signature header", "",
		    SSCN_ERR_UNAUTHORIZED);
	skew = authn_now() - strtoll(h.timestamp, NULL, 10);
	if (strlen(h.timestamp) > 12 || skew > APIKEY_WINDOW ||
	    skew < -APIKEY_WINDOW)
		return apikey_reject(req, "timestamp outside the window",
		    h.key_id, SSCN_ERR_UNAUTHORIZED);

	params[0] = h.key_id;
	if ((err = api_db(req, "apikey_for_request", 1, params, &res)) !=
	    SSCN_OK)
		return apikey_reject(req, "key lookup failed", h.key_id, err);
	if (PQntuples(res) != 1) {
		PQclear(res);
		return apikey_reject(req, "key unknown, revoked or expired",
		    h.key_id, SSCN_ERR_UNAUTHORIZED);
	}
	err = apikey_check_signature(req, &h, PQgetvalue(res, 0, 0));
	write_scope = strstr(PQgetvalue(res, 0, 1), "write") != NULL;
	snprintf(org_id, sizeof(org_id), "%s", PQgetvalue(res, 0, 2));
	snprintf(user_id, sizeof(user_id), "%s", PQgetvalue(res, 0, 3));
	snprintf(role, sizeof(role), "%s", PQgetvalue(res, 0, 4));
	snprintf(kind, sizeof(kind), "%s", PQgetvalue(res, 0, 5));
	PQclear(res);
	if (err != SSCN_OK)
		return apikey_reject(req, err == SSCN_ERR_UNAUTHORIZED ?
		    "wrong signature" : "signature check failed", h.key_id,
		    err);

	/*
	 * The nonce is the SHA-256 of the signature, so a replay inside the
	 * window, or the same request sent twice in one second, is rejected.
	 */
	crypto_hash_sha256(sig_hash, (const unsigned char *)h.signature,
	    APIKEY_SIG_HEX);
	memcpy(sig_hash_hex, "\\x", 2);
	sodium_bin2hex(sig_hash_hex + 2, 65, sig_hash, 32);
	snprintf(window, sizeof(window), "%d", APIKEY_WINDOW);
	params[1] = sig_hash_hex;
	params[2] = window;
	if ((err = api_db(req, "apikey_accept", 3, params, &res)) != SSCN_OK)
		return apikey_reject(req, "nonce store failed", h.key_id, err);
	if (strcmp(PQgetvalue(res, 0, 0), "t") != 0) {
		PQclear(res);
		return apikey_reject(req, "replayed signature", h.key_id,
		    SSCN_ERR_UNAUTHORIZED);
	}
	PQclear(res);

	if (!write_scope && strcmp(req->method, "GET") != 0 &&
	    strcmp(req->method, "HEAD") != 0)
		return apikey_reject(req, "write with a read-only key",
		    h.key_id, SSCN_ERR_FORBIDDEN);

	/* The request's transaction, with the organization's settings. */
	params[0] = user_id;
	params[1] = org_id;
	params[2] = role;
	params[3] = kind;
	if ((err = db_begin(&req->worker->db, req->request_id)) != SSCN_OK)
		return err;
	if ((err = api_db(req, "apikey_settings", 4, params, &res)) != SSCN_OK)
		return apikey_reject(req, "settings failed", h.key_id, err);
	PQclear(res);

	req->authenticated = true;
	req->aal = 1;
	snprintf(req->user_id, sizeof(req->user_id), "%s", user_id);
	snprintf(req->org_id, sizeof(req->org_id), "%s", org_id);
	snprintf(req->org_role, sizeof(req->org_role), "%s", role);
	snprintf(req->org_kind, sizeof(req->org_kind), "%s", kind);
	snprintf(req->api_key_id, sizeof(req->api_key_id), "%s", h.key_id);
	log_info(req->request_id, "apikey_accepted", "key_id=%s org_id=%s",
	    h.key_id, org_id);
	return SSCN_OK;
}
