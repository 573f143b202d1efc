/*
 * idempotency.c - stored responses of POST requests with an Idempotency-Key
 * header; the protocol is described in idempotency.h and sscn-api(7).
 */
#include "config.h"

#include <json-c/json.h>
#include <libpq-fe.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sscn.h"
#include "idempotency.h"
#include "auth/token.h"
#include "crypto/pii.h"

#define IDEM_JSON_TYPE	"application/json; charset=utf-8"

/* Bytea hex input of a request hash: "\x", 64 digits, NUL. */
#define IDEM_HASH_HEX_SIZE	(2 + 64 + 1)

const struct db_statement idem_statements[] = {
	/*
	 * The lock lasts until the request's transaction ends, so a second
	 * request with the same key waits for nothing: it gets 409 at once.
	 * Two clients whose hashes collide only share a lock, never a row.
	 */
	{ "idem_lock",
	  "SELECT pg_try_advisory_xact_lock(hashtextextended($1, 0))",
	  1, false },
	{ "idem_lookup",
	  "SELECT id, request_hash = $3::bytea, status, response "
	  "FROM sscn.idempotency_keys "
	  "WHERE client = $1 AND key = $2 AND expires_at > now()",
	  3, false },
	/* An expired row of the same key is replaced; a live one is kept. */
	{ "idem_insert",
	  "INSERT INTO sscn.idempotency_keys AS k (id, client, key, "
	  "  request_hash, status, response, expires_at) "
	  "VALUES ($1, $2, $3, $4::bytea, $5::smallint, $6::bytea, "
	  "  now() + make_interval(secs => $7::int)) "
	  "ON CONFLICT (client, key) DO UPDATE SET id = EXCLUDED.id, "
	  "  request_hash = EXCLUDED.request_hash, status = EXCLUDED.status, "
	  "  response = EXCLUDED.response, created_at = now(), "
	  "  expires_at = EXCLUDED.expires_at "
	  "WHERE k.expires_at <= now() RETURNING 1",
	  7, false },
};

const size_t idem_nstatements =
    sizeof(idem_statements) / sizeof(idem_statements[0]);

/* RFC 9110 field value of the draft: 1 to 255 visible ASCII characters. */
static bool
idem_key_valid(const char *key)
{
	size_t i, len = strlen(key);

	if (len == 0 || len > 255)
		return false;
	for (i = 0; i < len; i++)
		if (key[i] < '!' || key[i] > '~')
			return false;
	return true;
}

/*
 * Hash the method, the path and the body, each ended by a NUL, so that
 * the same key sent to another route with the same body is a new request.
 */
static void
idem_hash_request(struct http_request *req)
{
	crypto_hash_sha256_state st;

	crypto_hash_sha256_init(&st);
	crypto_hash_sha256_update(&st, (const unsigned char *)req->method,
	    strlen(req->method) + 1);
	crypto_hash_sha256_update(&st, (const unsigned char *)req->path,
	    strlen(req->path) + 1);
	if (req->body != NULL)
		crypto_hash_sha256_update(&st,
		    (const unsigned char *)req->body, req->body_len);
	crypto_hash_sha256_final(&st, req->idem.request_hash);
}

bool
idem_begin(struct http_request *req)
{
	const char *key = http_param(req, "HTTP_IDEMPOTENCY_KEY");

	if (key == NULL)
		return true;
	if (!idem_key_valid(key)) {
		struct json_object *fields = json_object_new_object();

		json_object_object_add(fields, "Idempotency-Key",
		    json_object_new_string("must be 1 to 255 visible ASCII "
		    "characters"));
		http_send_error(req, 400, "validation_failed", "The "
		    "Idempotency-Key header is invalid.", fields);
		return false;
	}
	memcpy(req->idem.key, key, strlen(key) + 1);
	idem_hash_request(req);
	req->idem.capturing = true;
	return true;
}

void
idem_capture(struct http_request *req, int status, const char *content_type,
    const char *body, size_t len)
{
	if (req->idem.captured) {
		log_error(req->request_id, "response_repeated", "status=%d",
		    status);
		return;
	}
	req->idem.captured = true;
	req->responded = true;
	req->idem.status = status;
	req->idem.content_type = content_type;
	req->idem.body_len = 0;
	if (len > 0 && (req->idem.body = malloc(len)) == NULL) {
		log_error(req->request_id, "out_of_memory", "bytes=%zu", len);
		req->idem.status = 500;
		req->idem.content_type = NULL;
		return;
	}
	if (len > 0)
		memcpy(req->idem.body, body, len);
	req->idem.body_len = len;
}

/* Send a response now, past the capture. */
static void
idem_send_now(struct http_request *req, int status, const char *content_type,
    const char *body, size_t len)
{
	req->idem.capturing = false;
	req->responded = false;
	http_send_bytes(req, status, content_type, body, len);
}

static void
idem_discard(struct http_request *req)
{
	if (req->idem.body != NULL) {
		sodium_memzero(req->idem.body, req->idem.body_len);
		free(req->idem.body);
	}
	req->idem.body = NULL;
	req->idem.body_len = 0;
	req->idem.captured = false;
}

/*
 * Rebuild and send a stored response: its content type on the first line,
 * one extra header a line, an empty line, then the body.
 */
static enum sscn_err
idem_replay(struct http_request *req, const char *id, int status,
    const char *stored)
{
	const char		*content_type = NULL;
	char			*plain = NULL, *line, *next;
	enum fieldcrypt_status	 fs;

	fs = pii_open(req->worker->keys, IDEM_RESPONSE_AAD, id, stored, &plain);
	if (fs != FIELDCRYPT_OK) {
		log_error(req->request_id, "idempotency_open_failed",
		    "id=%s status=%d", id, (int)fs);
		return SSCN_ERR_INTERNAL;
	}

	line = plain;
	next = strchr(line, '\n');
	if (next == NULL)
		goto corrupt;
	*next = '\0';
	if (strcmp(line, IDEM_JSON_TYPE) == 0)
		content_type = IDEM_JSON_TYPE;
	else if (line[0] != '\0')
		goto corrupt;

	for (line = next + 1; (next = strchr(line, '\n')) != NULL &&
	    next != line; line = next + 1) {
		*next = '\0';
		if (http_add_headerf(req, "%s", line) == -1)
			goto corrupt;
	}
	if (next == NULL)
		goto corrupt;

	log_info(req->request_id, "idempotent_replay", "id=%s status=%d "
	    "client=%s", id, status, req->idem.client);
	idem_send_now(req, status, content_type, next + 1, strlen(next + 1));
	pii_free(plain);
	return SSCN_OK;

corrupt:
	log_error(req->request_id, "idempotency_response_invalid", "id=%s",
	    id);
	pii_free(plain);
	return SSCN_ERR_INTERNAL;
}

/* Send a 409 or 422 of the contract past the capture. */
static void
idem_send_error(struct http_request *req, int status, const char *code,
    const char *message)
{
	req->idem.capturing = false;
	req->responded = false;
	http_send_error(req, status, code, message, NULL);
}

enum sscn_err
idem_claim(struct http_request *req)
{
	char		 lock_name[sizeof(req->idem.client) + 1 +
			    sizeof(req->idem.key)];
	char		 hash_hex[IDEM_HASH_HEX_SIZE];
	const char	*params[3];
	PGresult	*res = NULL;
	enum sscn_err	 err;

	/* Claimed once per request, by the first authn_require(). */
	if (req->idem.key[0] == '\0' || !req->idem.capturing ||
	    req->idem.client[0] != '\0')
		return SSCN_OK;
	if (req->api_key_id[0] != '\0')
		snprintf(req->idem.client, sizeof(req->idem.client),
		    "api_key:%s", req->api_key_id);
	else
		snprintf(req->idem.client, sizeof(req->idem.client), "user:%s",
		    req->user_id);

	snprintf(lock_name, sizeof(lock_name), "%s %s", req->idem.client,
	    req->idem.key);
	params[0] = lock_name;
	if ((err = api_db(req, "idem_lock", 1, params, &res)) != SSCN_OK)
		return api_rollback(req, err);
	if (strcmp(PQgetvalue(res, 0, 0), "t") != 0) {
		PQclear(res);
		db_rollback(&req->worker->db, req->request_id);
		log_info(req->request_id, "idempotency_in_flight", "client=%s",
		    req->idem.client);
		idem_send_error(req, 409, "idempotency_key_in_use", "A "
		    "request with this Idempotency-Key is still in progress; "
		    "retry it later.");
		return SSCN_ERR_CONFLICT;
	}
	PQclear(res);

	memcpy(hash_hex, "\\x", 2);
	sodium_bin2hex(hash_hex + 2, sizeof(hash_hex) - 2,
	    req->idem.request_hash, sizeof(req->idem.request_hash));
	params[0] = req->idem.client;
	params[1] = req->idem.key;
	params[2] = hash_hex;
	if ((err = api_db(req, "idem_lookup", 3, params, &res)) != SSCN_OK)
		return api_rollback(req, err);
	if (PQntuples(res) == 0) {
		PQclear(res);
		req->worker->db.defer_commit = true;
		return SSCN_OK;
	}

	/* A stored key: nothing of this request's transaction is kept. */
	db_rollback(&req->worker->db, req->request_id);
	if (strcmp(PQgetvalue(res, 0, 1), "t") != 0) {
		log_info(req->request_id, "idempotency_key_reused", "id=%s "
		    "client=%s", PQgetvalue(res, 0, 0), req->idem.client);
		PQclear(res);
		idem_send_error(req, 422, "idempotency_key_reused", "This "
		    "Idempotency-Key was used for a different request; send "
		    "a new key.");
		return SSCN_ERR_CONFLICT;
	}
	err = idem_replay(req, PQgetvalue(res, 0, 0),
	    atoi(PQgetvalue(res, 0, 2)), PQgetvalue(res, 0, 3));
	PQclear(res);
	if (err != SSCN_OK) {
		req->idem.capturing = false;
		req->responded = false;
		http_send_err(req, err);
		return err;
	}
	return SSCN_ERR_CONFLICT;
}

/*
 * Join the content type, the extra headers and the body into the text
 * that is sealed.  Returns NULL when memory runs out.
 */
static char *
idem_response_text(struct http_request *req)
{
	const char	*type = req->idem.content_type;
	size_t		 len, i;
	char		*text, *p;

	len = (type != NULL ? strlen(type) : 0) + 2 + req->idem.body_len + 1;
	for (i = 0; i < req->nheaders; i++)
		len += strlen(req->headers[i]) + 1;
	if ((text = malloc(len)) == NULL)
		return NULL;

	p = text;
	p += sprintf(p, "%s\n", type != NULL ? type : "");
	for (i = 0; i < req->nheaders; i++)
		p += sprintf(p, "%s\n", req->headers[i]);
	*p++ = '\n';
	if (req->idem.body_len > 0)
		memcpy(p, req->idem.body, req->idem.body_len);
	p[req->idem.body_len] = '\0';
	return text;
}

/* Insert the row of the captured response in the open transaction. */
static enum sscn_err
idem_store(struct http_request *req)
{
	char		 id[37], hash_hex[IDEM_HASH_HEX_SIZE];
	char		 status[8], ttl[16];
	char		*text, *sealed;
	const char	*params[7];
	PGresult	*res = NULL;
	enum sscn_err	 err;

	/* A body with a NUL byte cannot pass through the sealed text. */
	if (req->idem.content_type != NULL &&
	    strcmp(req->idem.content_type, IDEM_JSON_TYPE) != 0) {
		log_error(req->request_id, "idempotency_type_unsupported",
		    "route=%s", req->match.route->path);
		return SSCN_ERR_INTERNAL;
	}
	if (req->worker->keys == NULL)
		return SSCN_ERR_UNAVAILABLE;
	if ((text = idem_response_text(req)) == NULL)
		return SSCN_ERR_INTERNAL;
	token_random_uuid(id);
	sealed = pii_seal(req->worker->keys, IDEM_RESPONSE_AAD, id, text);
	sodium_memzero(text, strlen(text));
	free(text);
	if (sealed == NULL)
		return SSCN_ERR_INTERNAL;

	memcpy(hash_hex, "\\x", 2);
	sodium_bin2hex(hash_hex + 2, sizeof(hash_hex) - 2,
	    req->idem.request_hash, sizeof(req->idem.request_hash));
	snprintf(status, sizeof(status), "%d", req->idem.status);
	snprintf(ttl, sizeof(ttl), "%d", IDEM_TTL);
	params[0] = id;
	params[1] = req->idem.client;
	params[2] = req->idem.key;
	params[3] = hash_hex;
	params[4] = status;
	params[5] = sealed;
	params[6] = ttl;
	err = api_db(req, "idem_insert", 7, params, &res);
	free(sealed);
	/* The lock makes a live row of this key impossible here. */
	if (err == SSCN_OK && PQntuples(res) != 1)
		err = SSCN_ERR_CONFLICT;
	PQclear(res);
	if (err == SSCN_OK)
		log_info(req->request_id, "idempotency_stored", "id=%s "
		    "status=%d client=%s", id, req->idem.status,
		    req->idem.client);
	return err;
}

void
idem_finish(struct http_request *req)
{
	struct db	*db = &req->worker->db;
	enum sscn_err	 err = SSCN_OK;
	bool		 deferred = db->commit_deferred;

	if (!req->idem.capturing)
		return;
	req->idem.capturing = false;
	db->defer_commit = false;
	db->commit_deferred = false;

	if (deferred) {
		/* A connection lost after the deferred commit lost the object. */
		if (!db->in_transaction)
			err = SSCN_ERR_UNAVAILABLE;
		else if (req->idem.status >= 200 && req->idem.status <= 299)
			err = idem_store(req);
		if (err == SSCN_OK)
			err = db_commit(db, req->request_id);
		if (err != SSCN_OK) {
			log_error(req->request_id, "idempotency_commit_failed",
			    "client=%s error=%s", req->idem.client,
			    err_code(err));
			db_rollback(db, req->request_id);
		}
	}

	req->responded = false;
	if (err != SSCN_OK) {
		req->nheaders = 0;
		http_send_err(req, err == SSCN_ERR_CONFLICT ?
		    SSCN_ERR_INTERNAL : err);
	} else if (req->idem.captured)
		http_send_bytes(req, req->idem.status, req->idem.content_type,
		    req->idem.body, req->idem.body_len);
	idem_discard(req);
}
