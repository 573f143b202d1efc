/*
 * oidc_provider.c - the calls sscnd makes to the OpenID provider: the
 * code exchange at the token endpoint and the key set, over outbound.h.
 *
 * Every URL comes from sscn.conf, never from a request.  The client
 * secret is read from its own file, is sent only in the token request's
 * body (client_secret_post) and is never logged.  Each worker keeps the
 * provider's key set for linkedin_jwks_max_age seconds and fetches it
 * again at most once per sign-in, when an ID token names a kid that the
 * cached set lacks (the provider has rotated its keys).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>
#include <sodium.h>

#include "sscn.h"
#include "outbound.h"
#include "api/oidc.h"
#include "auth/oidc_token.h"

/* Largest client secret file read, in bytes. */
#define OIDC_SECRET_FILE_MAX	1024
/* Room for the token request's form body. */
#define OIDC_FORM_MAX		4096

static char		*oidc_secret;		/* this worker's copy */
static struct oidc_jwks	*oidc_jwks_cache;
static int64_t		 oidc_jwks_fetched;	/* Unix time */

void
oidc_redirect_uri(const struct sscn_conf *conf, char *out, size_t outlen)
{
	int n;

	if (conf->linkedin_redirect_uri != NULL)
		n = snprintf(out, outlen, "%s", conf->linkedin_redirect_uri);
	else
		n = snprintf(out, outlen, "%s/api/v1/auth/linkedin/callback",
		    conf->base_url);
	if (n < 0 || (size_t)n >= outlen)
		*out = '\0';
}

const char *
oidc_client_secret(struct http_request *req)
{
	const char	*path = req->worker->conf->linkedin_client_secret_file;
	char		 err[512], escaped[600];
	size_t		 len;

	if (oidc_secret != NULL)
		return oidc_secret;
	if (path == NULL) {
		log_error(req->request_id, "oidc_secret_failed",
		    "reason=\"linkedin_client_secret_file is not set\"");
		return NULL;
	}
	oidc_secret = conf_read_private_file(path, OIDC_SECRET_FILE_MAX,
	    "the LinkedIn client secret", &len, err, sizeof(err));
	if (oidc_secret == NULL) {
		log_error(req->request_id, "oidc_secret_failed", "reason=%s",
		    log_escape(escaped, sizeof(escaped), err));
		return NULL;
	}

	/* One line: drop the line end that editors add. */
	while (len > 0 && (oidc_secret[len - 1] == '\n' ||
	    oidc_secret[len - 1] == '\r'))
		oidc_secret[--len] = '\0';
	if (len == 0 || strpbrk(oidc_secret, "\r\n") != NULL) {
		log_error(req->request_id, "oidc_secret_failed", "reason=\"the "
		    "secret file must hold one non-empty line\"");
		sodium_memzero(oidc_secret, len);
		free(oidc_secret);
		oidc_secret = NULL;
	}
	return oidc_secret;
}

const char *
oidc_call_status_str(enum oidc_call_status status)
{
	switch (status) {
	case OIDC_CALL_OK:	return "ok";
	case OIDC_CALL_TIMEOUT:	return "timeout";
	case OIDC_CALL_FAILED:	return "provider_error";
	case OIDC_CALL_INVALID:	return "invalid_response";
	case OIDC_CALL_TOKEN:	return "invalid_id_token";
	}
	return "unknown";
}

/* Make one call with linkedin_timeout; map the outcome for the caller. */
static enum oidc_call_status
oidc_call(struct http_request *req, struct outbound_request *call,
    struct outbound_response *res, char *reason, size_t reasonlen)
{
	enum outbound_status status;

	call->timeout_ms = req->worker->conf->linkedin_timeout * 1000;
	status = outbound_call(call, res, req->request_id);
	if (status == OUTBOUND_TIMEOUT) {
		snprintf(reason, reasonlen, "%s timed out", call->path_template);
		return OIDC_CALL_TIMEOUT;
	}
	if (status != OUTBOUND_OK) {
		snprintf(reason, reasonlen, "%s: %s", call->path_template,
		    outbound_status_str(status));
		return OIDC_CALL_FAILED;
	}
	if (res->status != 200) {
		snprintf(reason, reasonlen, "%s answered HTTP %ld",
		    call->path_template, res->status);
		return OIDC_CALL_FAILED;
	}
	return OIDC_CALL_OK;
}

/* Fetch the key set into the cache, replacing the cached one. */
static enum oidc_call_status
oidc_jwks_fetch(struct http_request *req, char *reason, size_t reasonlen)
{
	static const char *const	 headers[] = {
					    "Accept: application/json", NULL };
	struct outbound_request		 call;
	struct outbound_response	 res;
	struct oidc_jwks		*jwks;
	enum oidc_call_status		 status;
	char				 err[128];

	memset(&call, 0, sizeof(call));
	memset(&res, 0, sizeof(res));
	call.method = "GET";
	call.url = req->worker->conf->linkedin_jwks_uri;
	call.path_template = "linkedin jwks";
	call.headers = headers;
	if ((status = oidc_call(req, &call, &res, reason, reasonlen)) !=
	    OIDC_CALL_OK) {
		outbound_response_free(&res);
		return status;
	}
	jwks = oidc_jwks_parse(res.body, res.body_len, err, sizeof(err));
	outbound_response_free(&res);
	if (jwks == NULL) {
		snprintf(reason, reasonlen, "key set: %s", err);
		return OIDC_CALL_INVALID;
	}
	oidc_jwks_free(oidc_jwks_cache);
	oidc_jwks_cache = jwks;
	oidc_jwks_fetched = authn_now();
	log_info(req->request_id, "oidc_jwks_fetched", "provider=linkedin");
	return OIDC_CALL_OK;
}

/*
 * Verify "id_token": the cached key set while it is young enough, a new
 * one when it is not or when the token names a kid that it lacks.
 */
static enum oidc_call_status
oidc_verify(struct http_request *req, const char *id_token, const char *nonce,
    struct oidc_id_claims *claims, char *reason, size_t reasonlen)
{
	const struct sscn_conf	*conf = req->worker->conf;
	enum oidc_token_status	 status;
	enum oidc_call_status	 fetched;
	char			 kid[OIDC_KID_SIZE];
	bool			 refreshed = false;

	if (oidc_jwks_cache == NULL ||
	    authn_now() - oidc_jwks_fetched >= conf->linkedin_jwks_max_age) {
		if ((fetched = oidc_jwks_fetch(req, reason, reasonlen)) !=
		    OIDC_CALL_OK)
			return fetched;
		refreshed = true;
	}
	if (!refreshed && oidc_token_kid(id_token, kid) == OIDC_TOKEN_OK &&
	    !oidc_jwks_has_kid(oidc_jwks_cache, kid)) {
		if ((fetched = oidc_jwks_fetch(req, reason, reasonlen)) !=
		    OIDC_CALL_OK)
			return fetched;
	}

	status = oidc_token_verify(oidc_jwks_cache, id_token,
	    conf->linkedin_issuer, conf->linkedin_client_id, nonce,
	    authn_now(), conf->linkedin_leeway, claims);
	if (status != OIDC_TOKEN_OK) {
		snprintf(reason, reasonlen, "id token: %s",
		    oidc_token_status_str(status));
		return OIDC_CALL_TOKEN;
	}
	return OIDC_CALL_OK;
}

bool
oidc_form_add(char *form, size_t formlen, const char *name, const char *value)
{
	static const char	 hex[] = "0123456789ABCDEF";
	size_t			 n = strlen(form);
	const unsigned char	*p;

	if (n > 0 && n + 1 < formlen)
		form[n++] = '&';
	for (p = (const unsigned char *)name; *p != '\0' && n + 1 < formlen;)
		form[n++] = (char)*p++;
	if (n + 1 < formlen)
		form[n++] = '=';
	for (p = (const unsigned char *)value; *p != '\0'; p++) {
		if (n + 4 > formlen)
			return false;
		/* RFC 3986 unreserved characters pass; all else is encoded. */
		if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
		    (*p >= '0' && *p <= '9') || strchr("-._~", *p) != NULL)
			form[n++] = (char)*p;
		else {
			form[n++] = '%';
			form[n++] = hex[*p >> 4];
			form[n++] = hex[*p & 0x0f];
		}
	}
	form[n] = '\0';
	return n + 1 < formlen;
}

/* Build the token request's body; false when it does not fit. */
static bool
oidc_token_form(struct http_request *req, const char *code,
    const char *code_verifier, const char *secret, char *form, size_t formlen)
{
	const struct sscn_conf	*conf = req->worker->conf;
	char			 redirect_uri[1024];

	oidc_redirect_uri(conf, redirect_uri, sizeof(redirect_uri));
	*form = '\0';
	return oidc_form_add(form, formlen, "grant_type",
	    "authorization_code") &&
	    oidc_form_add(form, formlen, "code", code) &&
	    oidc_form_add(form, formlen, "redirect_uri", redirect_uri) &&
	    oidc_form_add(form, formlen, "client_id",
	    conf->linkedin_client_id) &&
	    oidc_form_add(form, formlen, "client_secret", secret) &&
	    (code_verifier == NULL || oidc_form_add(form, formlen,
	    "code_verifier", code_verifier));
}

enum oidc_call_status
oidc_exchange_code(struct http_request *req, const char *code,
    const char *code_verifier, const char *nonce,
    struct oidc_id_claims *claims, char *reason, size_t reasonlen)
{
	static const char *const	 headers[] = {
	    "Content-Type: application/x-www-form-urlencoded",
	    "Accept: application/json", NULL };
	struct outbound_request		 call;
	struct outbound_response	 res;
	struct json_object		*answer = NULL, *value;
	enum json_parse_status		 parse_status;
	enum oidc_call_status		 status;
	const char			*secret;
	char				 form[OIDC_FORM_MAX];
	char				*id_token = NULL;
	size_t				 offset;

	if ((secret = oidc_client_secret(req)) == NULL) {
		snprintf(reason, reasonlen, "no client secret");
		return OIDC_CALL_FAILED;
	}
	if (!oidc_token_form(req, code, code_verifier, secret, form,
	    sizeof(form))) {
		sodium_memzero(form, sizeof(form));
		snprintf(reason, reasonlen, "token request too long");
		return OIDC_CALL_INVALID;
	}

	memset(&call, 0, sizeof(call));
	memset(&res, 0, sizeof(res));
	call.method = "POST";
	call.url = req->worker->conf->linkedin_token_endpoint;
	call.path_template = "linkedin token";
	call.headers = headers;
	call.body = form;
	call.body_len = strlen(form);
	status = oidc_call(req, &call, &res, reason, reasonlen);
	sodium_memzero(form, sizeof(form));
	if (status != OIDC_CALL_OK)
		goto out;

	/* {"access_token": ..., "id_token": ..., ...} (RFC 6749, 5.1). */
	answer = json_parse_strict(res.body, res.body_len, &parse_status,
	    &offset);
	if (answer == NULL || !json_object_is_type(answer, json_type_object) ||
	    !json_object_object_get_ex(answer, "id_token", &value) ||
	    !json_object_is_type(value, json_type_string)) {
		snprintf(reason, reasonlen, "token answer without an id_token");
		status = OIDC_CALL_INVALID;
		goto out;
	}
	if ((id_token = strdup(json_object_get_string(value))) == NULL) {
		snprintf(reason, reasonlen, "out of memory");
		status = OIDC_CALL_FAILED;
		goto out;
	}
	status = oidc_verify(req, id_token, nonce, claims, reason, reasonlen);

out:
	json_object_put(answer);
	if (res.body != NULL)
		sodium_memzero(res.body, res.body_len);
	outbound_response_free(&res);
	free(id_token);
	return status;
}
