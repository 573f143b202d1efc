/*
 * oidc.c - sign-in with LinkedIn: GET /api/v1/auth/linkedin/start and
 * /callback (OpenID Connect authorization code flow, confidential client),
 * and POST /api/v1/auth/linkedin/link, which links a LinkedIn identity to
 * the signed-in account.
 *
 * The start response sends the browser to the provider with a random
 * "state", and sets the __Host-sscn_oidc cookie, a second random value.
 * The database keeps SHA-256 of both for OIDC_STATE_TTL seconds.  The
 * callback accepts the state once, only from the browser that holds the
 * cookie, so another person's code cannot be slipped into a victim's
 * browser (login CSRF).  The cookie is SameSite=Lax because the provider
 * sends the browser back with a cross-site top-level GET.
 *
 * Accounts are found by the provider's "sub" (its blind index), never by
 * e-mail alone.  A new subject whose verified e-mail belongs to an account
 * becomes a pending link that the owner confirms after signing in with
 * the password (and MFA when on).  A new subject with a new verified
 * e-mail gets a new account without a password, whose session is
 * restricted until the user accepts the current terms and privacy notice.
 *
 * Errors: a bad, reused, expired or foreign state answers 400.  Every
 * other failure (provider error, timeout, invalid ID token, unusable
 * account) redirects to the web app's login page with ?error=CODE, never
 * 500.  Each step writes an audit row; logs carry the reason, never the
 * code, the tokens, the subject or the e-mail.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>
#include <libpq-fe.h>
#include <sodium.h>

#include "sscn.h"
#include "api/auth_login.h"
#include "api/auth_session.h"
#include "api/oidc.h"
#include "api/pii_fields.h"
#include "auth/email.h"
#include "auth/oidc_token.h"
#include "auth/token.h"

/* Lifetime of a started sign-in, in seconds: 10 minutes. */
#define OIDC_STATE_TTL		600
/* Lifetime of a pending link, in seconds: time to sign in with MFA. */
#define OIDC_LINK_TTL		1800

#define OIDC_STATE_COOKIE	"__Host-sscn_oidc"
#define OIDC_LINK_COOKIE	"__Host-sscn_oidc_link"
/* Read by the login page, which sends it to POST /auth/mfa/verify. */
#define OIDC_MFA_COOKIE		"__Host-sscn_mfa"

/* The web app's pages that the callback redirects to. */
#define OIDC_WEB_HOME		"/"
#define OIDC_WEB_LOGIN		"/login.html"

/* Domain of the subject's blind index: provider name and subject. */
#define OIDC_SUB_INDEX_LABEL	"oidc_sub:" OIDC_PROVIDER_LINKEDIN ":"

/* Longest URL of the provider's authorization request, in bytes. */
#define OIDC_AUTHORIZE_URL_MAX	1536

/* ---- responses and audit ------------------------------------------------ */

/* Send 302 to "location", a path of the web app or a configured URL. */
static enum sscn_err
oidc_redirect(struct http_request *req, const char *location)
{
	if (http_add_headerf(req, "Location: %s", location) == -1)
		return SSCN_ERR_INTERNAL;
	http_send_empty(req, 302);
	return SSCN_OK;
}

/* Redirect to the login page with ?error="code". */
static enum sscn_err
oidc_redirect_error(struct http_request *req, const char *code)
{
	char location[128];

	snprintf(location, sizeof(location), OIDC_WEB_LOGIN "?error=%s", code);
	return oidc_redirect(req, location);
}

/* Details of an audit row: the provider, and "reason" when not NULL. */
static struct json_object *
oidc_details(const char *reason)
{
	struct json_object *details = json_object_new_object();

	json_object_object_add(details, "provider",
	    json_object_new_string(OIDC_PROVIDER_LINKEDIN));
	if (reason != NULL)
		json_object_object_add(details, "reason",
		    json_object_new_string(reason));
	return details;
}

/*
 * Write one audit row in the open transaction when there is one, or in a
 * transaction of its own, which it commits.
 */
static enum sscn_err
oidc_audit(struct http_request *req, const char *actor, const char *action,
    const char *result, const char *reason)
{
	struct json_object	*details = oidc_details(reason);
	bool			 own = !req->worker->db.in_transaction;
	enum sscn_err		 err;

	if (own && (err = db_begin(&req->worker->db, req->request_id)) !=
	    SSCN_OK) {
		json_object_put(details);
		return err;
	}
	err = audit_write(req, actor, NULL, action, actor, result, details);
	json_object_put(details);
	if (!own)
		return err;
	if (err != SSCN_OK) {
		db_rollback(&req->worker->db, req->request_id);
		return err;
	}
	return db_commit(&req->worker->db, req->request_id);
}

/*
 * A callback that fails after the state check: audit it, log "reason"
 * and redirect with "code".  A failed audit row still redirects, because
 * the browser must land on a page; the audit failure itself is logged.
 */
static enum sscn_err
oidc_fail(struct http_request *req, const char *actor, const char *reason,
    const char *code)
{
	if (req->worker->db.in_transaction)
		db_rollback(&req->worker->db, req->request_id);
	log_warn(req->request_id, "oidc_failed", "provider=linkedin "
	    "reason=\"%s\" user_id=%s", reason, actor != NULL ? actor : "-");
	if (oidc_audit(req, actor, "auth.oidc_callback", "failure", reason) !=
	    SSCN_OK)
		log_error(req->request_id, "oidc_audit_failed",
		    "reason=\"%s\"", reason);
	return oidc_redirect_error(req, code);
}

/* A state that does not pass: 400, as the API contract fixes. */
static enum sscn_err
oidc_reject_state(struct http_request *req, const char *reason)
{
	struct json_object *fields = json_object_new_object();

	log_info(req->request_id, "oidc_state_rejected", "reason=\"%s\"",
	    reason);
	if (oidc_audit(req, NULL, "auth.oidc_callback", "denied", reason) !=
	    SSCN_OK)
		log_error(req->request_id, "oidc_audit_failed",
		    "reason=\"%s\"", reason);
	json_object_object_add(fields, "state", json_object_new_string(
	    "is invalid, expired or already used; start the sign-in again"));
	http_send_error(req, 400, "validation_failed", "The sign-in request "
	    "is invalid, expired or already used.", fields);
	return SSCN_OK;
}

/* ---- GET /api/v1/auth/linkedin/start -------------------------------- */

/* The provider's authorization URL for "state" into "url"; false if long. */
static bool
oidc_authorize_url(const struct sscn_conf *conf, const char *state,
    const char *nonce, const char *code_verifier, char *url, size_t urllen)
{
	unsigned char	 digest[crypto_hash_sha256_BYTES];
	char		 challenge[sodium_base64_ENCODED_LEN(
			    crypto_hash_sha256_BYTES,
			    sodium_base64_VARIANT_URLSAFE_NO_PADDING)];
	char		 redirect_uri[1024], query[OIDC_AUTHORIZE_URL_MAX];
	int		 n;

	oidc_redirect_uri(conf, redirect_uri, sizeof(redirect_uri));
	*query = '\0';
	if (*redirect_uri == '\0' ||
	    !oidc_form_add(query, sizeof(query), "response_type", "code") ||
	    !oidc_form_add(query, sizeof(query), "client_id",
	    conf->linkedin_client_id) ||
	    !oidc_form_add(query, sizeof(query), "redirect_uri",
	    redirect_uri) ||
	    !oidc_form_add(query, sizeof(query), "state", state) ||
	    !oidc_form_add(query, sizeof(query), "scope", conf->linkedin_scope))
		return false;
	if (nonce != NULL &&
	    !oidc_form_add(query, sizeof(query), "nonce", nonce))
		return false;
	if (code_verifier != NULL) {
		/* RFC 7636, 4.2: S256 of the verifier, base64url. */
		crypto_hash_sha256(digest, (const unsigned char *)code_verifier,
		    strlen(code_verifier));
		sodium_bin2base64(challenge, sizeof(challenge), digest,
		    sizeof(digest), sodium_base64_VARIANT_URLSAFE_NO_PADDING);
		if (!oidc_form_add(query, sizeof(query), "code_challenge",
		    challenge) ||
		    !oidc_form_add(query, sizeof(query),
		    "code_challenge_method", "S256"))
			return false;
	}
	n = snprintf(url, urllen, "%s%c%s", conf->linkedin_authorization_endpoint,
	    strchr(conf->linkedin_authorization_endpoint, '?') != NULL ? '&' :
	    '?', query);
	return n > 0 && (size_t)n < urllen;
}

enum sscn_err
oidc_linkedin_start(struct http_request *req)
{
	const struct sscn_conf	*conf = req->worker->conf;
	char			 state[TOKEN_TEXT_LEN + 1], state_hash[TOKEN_HASH_HEX];
	char			 browser[TOKEN_TEXT_LEN + 1];
	char			 browser_hash[TOKEN_HASH_HEX];
	char			 nonce[TOKEN_TEXT_LEN + 1], verifier[TOKEN_TEXT_LEN + 1];
	char			 unused[TOKEN_HASH_HEX], ttl[16];
	char			 url[OIDC_AUTHORIZE_URL_MAX + 256];
	const char		*params[6];
	struct json_object	*details;
	enum sscn_err		 err;

	if (conf->linkedin_client_id == NULL) {
		log_info(req->request_id, "oidc_disabled",
		    "reason=\"linkedin_client_id is not set\"");
		return oidc_redirect_error(req, "oidc_disabled");
	}

	token_generate(state, state_hash);
	token_generate(browser, browser_hash);
	token_generate(nonce, unused);
	token_generate(verifier, unused);
	if (!oidc_authorize_url(conf, state, conf->linkedin_nonce ? nonce : NULL,
	    conf->linkedin_pkce ? verifier : NULL, url, sizeof(url))) {
		log_error(req->request_id, "oidc_start_failed", "reason=\"the "
		    "authorization URL is longer than %d bytes\"",
		    OIDC_AUTHORIZE_URL_MAX);
		return oidc_redirect_error(req, "oidc_failed");
	}

	snprintf(ttl, sizeof(ttl), "%d", OIDC_STATE_TTL);
	params[0] = state_hash;
	params[1] = browser_hash;
	params[2] = OIDC_PROVIDER_LINKEDIN;
	params[3] = conf->linkedin_nonce ? nonce : NULL;
	params[4] = conf->linkedin_pkce ? verifier : NULL;
	params[5] = ttl;
	if ((err = db_begin(&req->worker->db, req->request_id)) != SSCN_OK)
		return err;
	details = oidc_details(NULL);
	json_object_object_add(details, "pkce",
	    json_object_new_boolean(conf->linkedin_pkce));
	json_object_object_add(details, "nonce",
	    json_object_new_boolean(conf->linkedin_nonce));
	if ((err = api_db(req, "oidc_state_insert", 6, params, NULL)) !=
	    SSCN_OK ||
	    (err = audit_write(req, NULL, NULL, "auth.oidc_start", NULL,
	    "success", details)) != SSCN_OK ||
	    (err = db_commit(&req->worker->db, req->request_id)) != SSCN_OK) {
		json_object_put(details);
		if (req->worker->db.in_transaction)
			db_rollback(&req->worker->db, req->request_id);
		return err;
	}
	json_object_put(details);

	if (http_add_headerf(req, "Set-Cookie: " OIDC_STATE_COOKIE "=%s; "
	    "Path=/; Max-Age=%d; Secure; HttpOnly; SameSite=Lax", browser,
	    OIDC_STATE_TTL) == -1)
		return SSCN_ERR_INTERNAL;
	sodium_memzero(verifier, sizeof(verifier));
	return oidc_redirect(req, url);
}

/* ---- GET /api/v1/auth/linkedin/callback ----------------------------- */

/* Nonce and code verifier of a consumed state, "" when off. */
struct oidc_state {
	char	 nonce[TOKEN_TEXT_LEN + 1];	/* "" when off */
	char	 code_verifier[129];		/* "" when off */
};

/*
 * Check and consume the state of the callback's query against the
 * browser cookie.  On SSCN_OK with "*valid" false the 400 is sent.
 */
static enum sscn_err
oidc_state_check(struct http_request *req, struct oidc_state *st,
    bool *valid)
{
	char		 state[TOKEN_TEXT_LEN + 2], state_hash[TOKEN_HASH_HEX];
	char		 browser[TOKEN_TEXT_LEN + 2];
	char		 browser_hash[TOKEN_HASH_HEX];
	const char	*params[1], *reason = NULL, *stored;
	PGresult	*res = NULL;
	enum sscn_err	 err;

	*valid = false;
	memset(st, 0, sizeof(*st));
	if (query_get(req->query, "state", state, sizeof(state)) !=
	    QUERY_FOUND || token_hash(state, state_hash) == -1)
		return oidc_reject_state(req, "state_missing_or_malformed");
	if (!http_cookie(req, OIDC_STATE_COOKIE, browser, sizeof(browser)) ||
	    token_hash(browser, browser_hash) == -1)
		return oidc_reject_state(req, "browser_cookie_missing");

	/*
	 * Consume the state outside any transaction, so that it stays used
	 * even when a later step fails.
	 */
	params[0] = state_hash;
	if ((err = api_db(req, "oidc_state_consume", 1, params, &res)) !=
	    SSCN_OK)
		return err;
	if (PQntuples(res) != 1)
		reason = "state_unknown_or_used";
	else {
		stored = PQgetvalue(res, 0, 0);
		if (strlen(stored) != strlen(browser_hash) ||
		    sodium_memcmp(stored, browser_hash, strlen(stored)) != 0)
			reason = "state_other_browser";
		else if (strcmp(PQgetvalue(res, 0, 1), "t") != 0)
			reason = "state_expired";
		else {
			snprintf(st->nonce, sizeof(st->nonce), "%s",
			    PQgetvalue(res, 0, 3));
			snprintf(st->code_verifier, sizeof(st->code_verifier),
			    "%s", PQgetvalue(res, 0, 4));
		}
	}
	PQclear(res);
	if (reason != NULL)
		return oidc_reject_state(req, reason);
	*valid = true;
	return SSCN_OK;
}

/* Account facts the callback needs, loaded by id. */
static enum sscn_err
oidc_load_user(struct http_request *req, const char *user_id,
    struct login_account *a)
{
	const char	*params[1] = { user_id };
	PGresult	*res = NULL;
	enum sscn_err	 err;

	memset(a, 0, sizeof(*a));
	if ((err = api_db(req, "oidc_user_by_id", 1, params, &res)) !=
	    SSCN_OK || PQntuples(res) != 1) {
		PQclear(res);
		return err;
	}
	a->exists = true;
	snprintf(a->id, sizeof(a->id), "%s", PQgetvalue(res, 0, 0));
	a->verified = strcmp(PQgetvalue(res, 0, 1), "t") == 0;
	a->admin_locked = strcmp(PQgetvalue(res, 0, 2), "t") == 0;
	a->mfa_enabled = strcmp(PQgetvalue(res, 0, 3), "t") == 0;
	a->is_admin = strcmp(PQgetvalue(res, 0, 4), "t") == 0;
	err = api_pii_open(req, PII_USERS_EMAIL, a->id, res, 0, 5, &a->email);
	if (err == SSCN_OK)
		err = api_pii_open(req, PII_USERS_FULL_NAME, a->id, res, 0, 6,
		    &a->full_name);
	PQclear(res);
	return err;
}

/*
 * Hand out the MFA step of a sign-in, as the password login does, in the
 * open transaction, which this commits.  The token goes to the login page
 * in a short-lived cookie, never in the URL.
 */
static enum sscn_err
oidc_mfa_step(struct http_request *req, const struct session_account *a)
{
	const struct sscn_conf	*conf = req->worker->conf;
	char			 token[TOKEN_TEXT_LEN + 1];
	char			 token_hash_hex[TOKEN_HASH_HEX], ttl[16];
	const char		*params[4];
	enum sscn_err		 err;

	token_generate(token, token_hash_hex);
	snprintf(ttl, sizeof(ttl), "%u", conf->mfa_token_ttl);
	params[0] = token_hash_hex;
	params[1] = a->id;
	params[2] = "mfa";
	params[3] = ttl;
	if ((err = api_db(req, "token_insert", 4, params, NULL)) != SSCN_OK ||
	    (err = db_commit(&req->worker->db, req->request_id)) != SSCN_OK) {
		sodium_memzero(token, sizeof(token));
		return err;
	}
	err = http_add_headerf(req, "Set-Cookie: " OIDC_MFA_COOKIE "=%s; "
	    "Path=/; Max-Age=%u; Secure; SameSite=Lax", token,
	    conf->mfa_token_ttl) == -1 ? SSCN_ERR_INTERNAL : SSCN_OK;
	sodium_memzero(token, sizeof(token));
	if (err != SSCN_OK)
		return err;
	return oidc_redirect(req, OIDC_WEB_LOGIN "?mfa=required");
}

/*
 * Sign in "a" in the open transaction: the audit row, then the MFA step
 * or a session exactly as the password login makes one.
 */
static enum sscn_err
oidc_sign_in(struct http_request *req, const struct session_account *a)
{
	struct json_object	*details, *body = NULL;
	const char		*params[1] = { a->id };
	const char		*restriction = "";
	char			 role[16];
	enum sscn_err		 err;

	details = oidc_details(NULL);
	json_object_object_add(details, "factor",
	    json_object_new_string(OIDC_PROVIDER_LINKEDIN));
	json_object_object_add(details, "mfa_pending",
	    json_object_new_boolean(a->mfa_enabled));
	err = audit_write(req, a->id, NULL, "auth.login", a->id, "success",
	    details);
	json_object_put(details);
	if (err != SSCN_OK)
		return err;
	if (a->mfa_enabled)
		return oidc_mfa_step(req, a);

	if ((err = api_db(req, "user_logged_in", 1, params, NULL)) != SSCN_OK)
		return err;
	if ((err = session_login_commit(req, a, 1, &restriction, role,
	    &body)) != SSCN_OK)
		return err;
	json_object_put(body);
	if (strcmp(restriction, "acceptance") == 0)
		return oidc_redirect(req, OIDC_WEB_LOGIN
		    "?restricted=acceptance");
	if (*restriction != '\0')
		return oidc_redirect(req, OIDC_WEB_LOGIN
		    "?restricted=mfa_enrollment");
	return oidc_redirect(req, OIDC_WEB_HOME);
}

/* Seal "sub" and insert the identity of "user_id", in the transaction. */
static enum sscn_err
oidc_identity_insert(struct http_request *req, const char *user_id,
    const char *sub_index, const char *sub, bool signed_in)
{
	char		 identity_id[37];
	char		*sealed = NULL;
	const char	*params[6];
	enum sscn_err	 err;

	token_random_uuid(identity_id);
	if ((err = api_pii_seal(req, PII_OIDC_SUB, identity_id, sub,
	    &sealed)) != SSCN_OK)
		return err;
	params[0] = identity_id;
	params[1] = user_id;
	params[2] = OIDC_PROVIDER_LINKEDIN;
	params[3] = sub_index;
	params[4] = sealed;
	params[5] = signed_in ? "true" : "false";
	err = api_db(req, "oidc_identity_insert", 6, params, NULL);
	free(sealed);
	return err;
}

static enum sscn_err
oidc_set_user(struct http_request *req, const char *user_id)
{
	const char *params[1] = { user_id };

	return api_db(req, "set_user_context", 1, params, NULL);
}

/*
 * A known subject: sign in its account, unless an administrator has
 * locked it.  The transaction is open; this ends it.
 */
static enum sscn_err
oidc_known_subject(struct http_request *req, const char *identity_id,
    const char *user_id)
{
	struct login_account	 a;
	struct session_account	 acct;
	const char		*params[1] = { identity_id };
	enum sscn_err		 err;

	if ((err = oidc_load_user(req, user_id, &a)) != SSCN_OK) {
		login_account_free(&a);
		return oidc_fail(req, NULL, "account_load_failed",
		    "oidc_failed");
	}
	if (!a.exists || a.admin_locked) {
		login_account_free(&a);
		return oidc_fail(req, user_id, a.exists ? "locked_by_admin" :
		    "account_gone", "account_unavailable");
	}
	memset(&acct, 0, sizeof(acct));
	snprintf(acct.id, sizeof(acct.id), "%s", a.id);
	acct.email = a.email;
	acct.full_name = a.full_name;
	acct.is_admin = a.is_admin;
	acct.mfa_enabled = a.mfa_enabled;
	if ((err = oidc_set_user(req, a.id)) != SSCN_OK ||
	    (err = api_db(req, "oidc_identity_touch", 1, params, NULL)) !=
	    SSCN_OK ||
	    (err = oidc_sign_in(req, &acct)) != SSCN_OK) {
		login_account_free(&a);
		return oidc_fail(req, user_id, "sign_in_failed", "oidc_failed");
	}
	login_account_free(&a);
	return SSCN_OK;
}

/*
 * A new subject whose e-mail has an account: store a pending link for
 * the owner to confirm, set its cookie and send the browser to the login
 * page.  The transaction is open; this commits it.
 */
static enum sscn_err
oidc_pending_link(struct http_request *req, const struct login_account *a,
    const char *sub_index, const char *sub)
{
	char		 link[TOKEN_TEXT_LEN + 1], link_hash[TOKEN_HASH_HEX];
	char		 ttl[16], *sealed = NULL;
	const char	*params[6];
	enum sscn_err	 err;

	token_generate(link, link_hash);
	/* The row key of the AAD is the hash in hex, without "\x". */
	if ((err = api_pii_seal(req, PII_OIDC_LINK_SUB, link_hash + 2, sub,
	    &sealed)) != SSCN_OK)
		return err;
	snprintf(ttl, sizeof(ttl), "%d", OIDC_LINK_TTL);
	params[0] = link_hash;
	params[1] = a->id;
	params[2] = OIDC_PROVIDER_LINKEDIN;
	params[3] = sub_index;
	params[4] = sealed;
	params[5] = ttl;
	if ((err = oidc_set_user(req, a->id)) == SSCN_OK)
		err = api_db(req, "oidc_link_insert", 6, params, NULL);
	free(sealed);
	if (err == SSCN_OK)
		err = oidc_audit(req, a->id, "auth.oidc_link_pending",
		    "success", NULL);
	if (err == SSCN_OK)
		err = db_commit(&req->worker->db, req->request_id);
	if (err != SSCN_OK) {
		sodium_memzero(link, sizeof(link));
		return err;
	}
	err = http_add_headerf(req, "Set-Cookie: " OIDC_LINK_COOKIE "=%s; "
	    "Path=/; Max-Age=%d; Secure; HttpOnly; SameSite=Lax", link,
	    OIDC_LINK_TTL) == -1 ? SSCN_ERR_INTERNAL : SSCN_OK;
	sodium_memzero(link, sizeof(link));
	if (err != SSCN_OK)
		return err;
	return oidc_redirect(req, OIDC_WEB_LOGIN "?link=pending");
}

/* True when "name" can be an account's full name (see auth_register.c). */
static bool
oidc_name_usable(const char *name)
{
	const char *p;

	if (*name == '\0' || strlen(name) > 200 ||
	    !utf8_valid((const unsigned char *)name, strlen(name)))
		return false;
	for (p = name; *p != '\0'; p++)
		if ((unsigned char)*p < ' ' || *p == 0x7f)
			return false;
	return true;
}

/*
 * A new subject with a new e-mail: create a verified account without a
 * password, link the subject and sign in.  The transaction is open.
 */
static enum sscn_err
oidc_new_account(struct http_request *req, const struct oidc_id_claims *c,
    const char *email_index, const char *sub_index)
{
	struct session_account	 acct;
	struct json_object	*details;
	char			 user_id[37];
	char			*email = NULL, *name = NULL;
	const char		*params[5];
	PGresult		*res = NULL;
	enum sscn_err		 err;
	bool			 created;

	token_random_uuid(user_id);
	if ((err = api_pii_seal(req, PII_USERS_EMAIL, user_id, c->email,
	    &email)) != SSCN_OK ||
	    (err = api_pii_seal(req, PII_USERS_FULL_NAME, user_id,
	    oidc_name_usable(c->name) ? c->name : c->email, &name)) != SSCN_OK)
		goto out;
	params[0] = user_id;
	params[1] = email_index;
	params[2] = email;
	params[3] = name;
	params[4] = NULL;
	if ((err = api_db(req, "user_insert", 5, params, &res)) != SSCN_OK)
		goto out;
	created = PQntuples(res) == 1;
	PQclear(res);
	if (!created) {
		/* An account scheduled for deletion keeps its address. */
		err = SSCN_ERR_CONFLICT;
		goto out;
	}
	params[0] = user_id;
	if ((err = oidc_set_user(req, user_id)) != SSCN_OK ||
	    (err = api_db(req, "oidc_user_verified", 1, params, NULL)) !=
	    SSCN_OK ||
	    (err = oidc_identity_insert(req, user_id, sub_index, c->sub,
	    true)) != SSCN_OK)
		goto out;
	details = oidc_details(NULL);
	json_object_object_add(details, "method",
	    json_object_new_string(OIDC_PROVIDER_LINKEDIN));
	err = audit_write(req, user_id, NULL, "auth.register", user_id,
	    "success", details);
	json_object_put(details);
	if (err != SSCN_OK)
		goto out;

	memset(&acct, 0, sizeof(acct));
	snprintf(acct.id, sizeof(acct.id), "%s", user_id);
	acct.email = c->email;
	acct.full_name = oidc_name_usable(c->name) ? c->name : c->email;
	err = oidc_sign_in(req, &acct);

out:
	free(email);
	free(name);
	return err;
}

/* A subject SSCN has not seen: link, pend or create, by its e-mail. */
static enum sscn_err
oidc_new_subject(struct http_request *req, const struct oidc_id_claims *c,
    const char *sub_index)
{
	struct login_account	 a;
	char			 email_index[PII_INDEX_HEX_SIZE];
	enum sscn_err		 err;

	if (*c->email == '\0' || !c->email_verified)
		return oidc_fail(req, NULL, "email_not_verified",
		    "oidc_email_unverified");
	if (api_email_index(req, c->email, email_index) != SSCN_OK)
		return oidc_fail(req, NULL, "email_invalid", "oidc_failed");
	if ((err = login_load_account(req, email_index, &a)) != SSCN_OK) {
		login_account_free(&a);
		return oidc_fail(req, NULL, "account_load_failed",
		    "oidc_failed");
	}

	if (a.exists) {
		err = oidc_pending_link(req, &a, sub_index, c->sub);
		login_account_free(&a);
		if (err != SSCN_OK)
			return oidc_fail(req, NULL, "link_failed",
			    "oidc_failed");
		return SSCN_OK;
	}
	login_account_free(&a);
	err = oidc_new_account(req, c, email_index, sub_index);
	if (err == SSCN_ERR_CONFLICT)
		return oidc_fail(req, NULL, "email_taken", "account_unavailable");
	if (err != SSCN_OK)
		return oidc_fail(req, NULL, "register_failed", "oidc_failed");
	return SSCN_OK;
}

/* Clear the state cookie in every callback response: it is single-use. */
static void
oidc_clear_state_cookie(struct http_request *req)
{
	http_add_header(req, "Set-Cookie: " OIDC_STATE_COOKIE "=; Path=/; "
	    "Max-Age=0; Secure; HttpOnly; SameSite=Lax");
}

enum sscn_err
oidc_linkedin_callback(struct http_request *req)
{
	struct oidc_state	 st;
	struct oidc_id_claims	 claims;
	enum oidc_call_status	 status;
	char			 code[OIDC_CODE_MAX + 2], error[65];
	char			 sub_index[PII_INDEX_HEX_SIZE], reason[160];
	const char		*params[2];
	PGresult		*res = NULL;
	enum sscn_err		 err;
	bool			 valid;

	if (req->worker->conf->linkedin_client_id == NULL)
		return oidc_redirect_error(req, "oidc_disabled");
	if (req->worker->keys == NULL)
		return SSCN_ERR_UNAVAILABLE;
	oidc_clear_state_cookie(req);
	if ((err = oidc_state_check(req, &st, &valid)) != SSCN_OK || !valid)
		return err;

	/* RFC 6749, 4.1.2.1: the user declined or the provider failed. */
	if (query_get(req->query, "error", error, sizeof(error)) !=
	    QUERY_ABSENT)
		return oidc_fail(req, NULL, "provider_error", "oidc_denied");
	if (query_get(req->query, "code", code, sizeof(code)) != QUERY_FOUND ||
	    *code == '\0' || strlen(code) > OIDC_CODE_MAX)
		return oidc_fail(req, NULL, "code_missing", "oidc_failed");

	status = oidc_exchange_code(req, code,
	    *st.code_verifier != '\0' ? st.code_verifier : NULL,
	    *st.nonce != '\0' ? st.nonce : NULL, &claims, reason,
	    sizeof(reason));
	sodium_memzero(code, sizeof(code));
	sodium_memzero(&st, sizeof(st));
	if (status != OIDC_CALL_OK) {
		log_warn(req->request_id, "oidc_exchange_failed", "status=%s "
		    "reason=\"%s\"", oidc_call_status_str(status), reason);
		return oidc_fail(req, NULL, oidc_call_status_str(status),
		    "oidc_failed");
	}

	if (pii_blind_index(req->worker->keys, OIDC_SUB_INDEX_LABEL,
	    claims.sub, sub_index, sizeof(sub_index)) == -1)
		return oidc_fail(req, NULL, "index_failed", "oidc_failed");
	if ((err = db_begin(&req->worker->db, req->request_id)) != SSCN_OK)
		return oidc_fail(req, NULL, "database_unavailable",
		    "oidc_failed");
	params[0] = OIDC_PROVIDER_LINKEDIN;
	params[1] = sub_index;
	if ((err = api_db(req, "oidc_identity_user", 2, params, &res)) !=
	    SSCN_OK)
		return oidc_fail(req, NULL, "identity_lookup_failed",
		    "oidc_failed");
	if (PQntuples(res) == 1) {
		char identity_id[37], user_id[37];

		snprintf(identity_id, sizeof(identity_id), "%s",
		    PQgetvalue(res, 0, 0));
		snprintf(user_id, sizeof(user_id), "%s", PQgetvalue(res, 0, 1));
		PQclear(res);
		err = oidc_known_subject(req, identity_id, user_id);
	} else {
		PQclear(res);
		err = oidc_new_subject(req, &claims, sub_index);
	}
	sodium_memzero(&claims, sizeof(claims));
	return err;
}

/* ---- POST /api/v1/auth/linkedin/link -------------------------------- */

enum sscn_err
oidc_linkedin_link(struct http_request *req)
{
	char		 link[TOKEN_TEXT_LEN + 2], link_hash[TOKEN_HASH_HEX];
	char		*sub = NULL, sub_index[PII_INDEX_HEX_SIZE];
	const char	*params[1];
	PGresult	*res = NULL;
	enum sscn_err	 err;

	if ((err = authn_require(req)) != SSCN_OK)
		return err;
	/* The owner proves the account now, not with an old session. */
	if ((err = authn_require_recent(req)) != SSCN_OK)
		return api_rollback(req, err);
	if (!http_cookie(req, OIDC_LINK_COOKIE, link, sizeof(link)) ||
	    token_hash(link, link_hash) == -1)
		return api_rollback(req, SSCN_ERR_NOT_FOUND);

	/* Row-level security limits this to the caller's own links. */
	params[0] = link_hash;
	if ((err = api_db(req, "oidc_link_consume", 1, params, &res)) !=
	    SSCN_OK)
		return api_rollback(req, err);
	if (PQntuples(res) != 1) {
		PQclear(res);
		db_rollback(&req->worker->db, req->request_id);
		(void)oidc_audit(req, req->user_id, "auth.oidc_link", "failure",
		    "no_pending_link");
		return SSCN_ERR_NOT_FOUND;
	}
	snprintf(sub_index, sizeof(sub_index), "%s", PQgetvalue(res, 0, 1));
	err = api_pii_open(req, PII_OIDC_LINK_SUB, link_hash + 2, res, 0, 2,
	    &sub);
	PQclear(res);
	if (err != SSCN_OK)
		return api_rollback(req, err);

	err = oidc_identity_insert(req, req->user_id, sub_index, sub, false);
	pii_free(sub);
	if (err == SSCN_ERR_CONFLICT) {
		/* The subject or this account already has a LinkedIn link. */
		db_rollback(&req->worker->db, req->request_id);
		(void)oidc_audit(req, req->user_id, "auth.oidc_link", "failure",
		    "already_linked");
		return SSCN_ERR_CONFLICT;
	}
	if (err != SSCN_OK ||
	    (err = oidc_audit(req, req->user_id, "auth.oidc_link", "success",
	    NULL)) != SSCN_OK ||
	    (err = db_commit(&req->worker->db, req->request_id)) != SSCN_OK)
		return api_rollback(req, err);
	http_add_header(req, "Set-Cookie: " OIDC_LINK_COOKIE "=; Path=/; "
	    "Max-Age=0; Secure; HttpOnly; SameSite=Lax");
	http_send_empty(req, 204);
	return SSCN_OK;
}
