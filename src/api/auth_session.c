/*
 * auth_session.c - issue, refresh, list and end sessions.
 *
 * A session is a row in sscn.sessions; the access JWT names it in "sid"
 * and lives access_token_ttl seconds, while the row decides whether the
 * session is still alive (revoked, idle, absolute limit) on every
 * request.  Browsers get the JWT in an HttpOnly __Host- cookie plus a
 * readable CSRF cookie for the double-submit check; API clients use the
 * token from the body as a Bearer token.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>
#include <libpq-fe.h>
#include <sodium.h>

#include "sscn.h"
#include "api/auth_session.h"
#include "auth/jwt.h"
#include "auth/token.h"
#include "api/pii_fields.h"

/* Longest signed access token; jwt_sign() fails beyond it. */
#define SESSION_TOKEN_MAX 2048

/*
 * Sign an access token for "session_id" and queue the cookies.  Returns
 * the token in "token" (SESSION_TOKEN_MAX bytes).
 */
static enum sscn_err
session_sign(struct http_request *req, const char *user_id,
    const char *session_id, const char *role, int aal, char *token)
{
	const struct sscn_conf	*conf = req->worker->conf;
	struct jwt_claims	 claims;
	unsigned char		 csrf_raw[32];
	char			 csrf[64];
	int64_t			 now = authn_now();

	memset(&claims, 0, sizeof(claims));
	snprintf(claims.iss, sizeof(claims.iss), "%s", conf->jwt_issuer);
	snprintf(claims.aud, sizeof(claims.aud), "%s", conf->jwt_audience);
	snprintf(claims.sub, sizeof(claims.sub), "%s", user_id);
	snprintf(claims.sid, sizeof(claims.sid), "%s", session_id);
	snprintf(claims.role, sizeof(claims.role), "%s", role);
	snprintf(claims.aal, sizeof(claims.aal), "aal%d", aal);
	claims.iat = now;
	claims.exp = now + conf->access_token_ttl;
	jwt_new_jti(claims.jti);
	if (jwt_sign(req->worker->keys, &claims, token, SESSION_TOKEN_MAX) < 0) {
		log_error(req->request_id, "token_sign_failed", "user_id=%s",
		    user_id);
		return SSCN_ERR_INTERNAL;
	}

	/*
	 * The cookie outlives the token so that refresh can read it; the
	 * session row still ends the session at the absolute limit.
	 */
	randombytes_buf(csrf_raw, sizeof(csrf_raw));
	sodium_bin2base64(csrf, sizeof(csrf), csrf_raw, sizeof(csrf_raw),
	    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	if (http_add_headerf(req, "Set-Cookie: " AUTH_SESSION_COOKIE "=%s; "
	    "Path=/; Max-Age=%u; Secure; HttpOnly; SameSite=Strict", token,
	    conf->session_absolute_timeout) == -1 ||
	    http_add_headerf(req, "Set-Cookie: " AUTH_CSRF_COOKIE "=%s; "
	    "Path=/; Max-Age=%u; Secure; SameSite=Strict", csrf,
	    conf->session_absolute_timeout) == -1)
		return SSCN_ERR_INTERNAL;
	return SSCN_OK;
}

/* The token part of a login or refresh response. */
static struct json_object *
session_token_body(const struct sscn_conf *conf, const char *token)
{
	struct json_object *root = json_object_new_object();

	json_object_object_add(root, "access_token",
	    json_object_new_string(token));
	json_object_object_add(root, "token_type",
	    json_object_new_string("Bearer"));
	json_object_object_add(root, "expires_in",
	    json_object_new_int((int)conf->access_token_ttl));
	return root;
}

enum sscn_err
session_start(struct http_request *req, const struct session_user *user,
    int aal, int64_t auth_time, const char *restriction,
    struct json_object **body)
{
	const struct sscn_conf	*conf = req->worker->conf;
	char			 session_id[37];
	char			 aal_text[4], auth_time_text[24], keep[16];
	char			 token[SESSION_TOKEN_MAX];
	const char		*params[7];
	PGresult		*res = NULL;
	struct json_object	*details;
	char			*address = NULL;
	enum sscn_err		 err;
	int			 i;

	token_random_uuid(session_id);
	if ((err = api_pii_seal(req, PII_SESSIONS_ADDRESS, session_id,
	    req->remote_addr, &address)) != SSCN_OK)
		return err;
	snprintf(aal_text, sizeof(aal_text), "%d", aal);
	snprintf(auth_time_text, sizeof(auth_time_text), "%lld",
	    (long long)auth_time);
	params[0] = session_id;
	params[1] = user->id;
	params[2] = aal_text;
	params[3] = auth_time_text;
	params[4] = address;
	params[5] = req->user_agent != NULL &&
	    strlen(req->user_agent) <= 512 &&
	    utf8_valid((const unsigned char *)req->user_agent,
	    strlen(req->user_agent)) ? req->user_agent : NULL;
	params[6] = restriction != NULL ? restriction : "";
	err = api_db(req, "session_insert", 7, params, NULL);
	free(address);
	if (err != SSCN_OK)
		return err;

	details = json_object_new_object();
	json_object_object_add(details, "session_id",
	    json_object_new_string(session_id));
	json_object_object_add(details, "aal", json_object_new_int(aal));
	err = audit_write(req, user->id, NULL, "auth.session_start",
	    session_id, "success", details);
	json_object_put(details);
	if (err != SSCN_OK)
		return err;

	/* Keep the newest max_sessions; end the rest, oldest first. */
	snprintf(keep, sizeof(keep), "%u", conf->max_sessions);
	params[0] = user->id;
	params[1] = keep;
	err = db_exec(&req->worker->db, req->request_id, "session_trim", 2,
	    params, &res);
	if (err != SSCN_OK)
		return err;
	for (i = 0; i < PQntuples(res) && err == SSCN_OK; i++) {
		details = json_object_new_object();
		json_object_object_add(details, "reason",
		    json_object_new_string("session_limit"));
		err = audit_write(req, user->id, NULL, "auth.session_revoke",
		    PQgetvalue(res, i, 0), "success", details);
		json_object_put(details);
	}
	PQclear(res);
	if (err != SSCN_OK)
		return err;

	err = session_sign(req, user->id, session_id, user->role, aal, token);
	if (err == SSCN_OK) {
		*body = session_token_body(conf, token);
		snprintf(req->session_id, sizeof(req->session_id), "%s",
		    session_id);
	}
	sodium_memzero(token, sizeof(token));
	return err;
}

enum sscn_err
session_login_commit(struct http_request *req,
    const struct session_account *acct, int aal, const char **restriction_out,
    char role[16], struct json_object **body_out)
{
	struct session_user	 user;
	struct json_object	*body = NULL;
	const char		*params[1] = { acct->id };
	const char		*restriction = "";
	PGresult		*res = NULL;
	enum sscn_err		 err;
	bool			 org_requires_mfa = false;

	memset(&user, 0, sizeof(user));
	snprintf(user.id, sizeof(user.id), "%s", acct->id);
	snprintf(user.role, sizeof(user.role), "member");
	if ((err = api_db(req, "user_role", 1, params, &res)) !=
	    SSCN_OK)
		goto rollback;
	if (PQntuples(res) == 1) {
		snprintf(user.role, sizeof(user.role), "%s",
		    PQgetvalue(res, 0, 0));
		org_requires_mfa = strcmp(PQgetvalue(res, 0, 1), "t") == 0;
	}
	PQclear(res);
	if (acct->is_admin)
		snprintf(user.role, sizeof(user.role), "admin");

	if ((err = api_db(req, "legal_pending", 1, params,
	    &res)) != SSCN_OK)
		goto rollback;
	/* Customer terms bind customers; platform admins are staff. */
	if (PQntuples(res) > 0 && !acct->is_admin)
		restriction = "acceptance";
	else if (!acct->mfa_enabled && (acct->is_admin || org_requires_mfa))
		restriction = "mfa_enrollment";
	PQclear(res);

	err = session_start(req, &user, aal, authn_now(), restriction, &body);
	if (err != SSCN_OK)
		goto rollback;
	if ((err = db_commit(&req->worker->db, req->request_id)) != SSCN_OK) {
		json_object_put(body);
		return err;
	}
	snprintf(req->user_id, sizeof(req->user_id), "%s", acct->id);
	snprintf(role, 16, "%s", user.role);
	*restriction_out = restriction;
	*body_out = body;
	return SSCN_OK;

rollback:
	db_rollback(&req->worker->db, req->request_id);
	return err;
}

enum sscn_err
session_login_finish(struct http_request *req,
    const struct session_account *acct, int aal)
{
	struct json_object	*body = NULL, *u;
	const char		*restriction = "";
	char			 role[16];
	enum sscn_err		 err;

	err = session_login_commit(req, acct, aal, &restriction, role, &body);
	if (err != SSCN_OK)
		return err;

	u = json_object_new_object();
	json_object_object_add(u, "id", json_object_new_string(acct->id));
	json_object_object_add(u, "email", json_object_new_string(acct->email));
	json_object_object_add(u, "full_name",
	    json_object_new_string(acct->full_name));
	json_object_object_add(u, "role", json_object_new_string(role));
	json_object_object_add(u, "mfa_enabled",
	    json_object_new_boolean(acct->mfa_enabled));
	json_object_object_add(body, "user", u);

	if (*restriction != '\0') {
		enum sscn_err	 code = strcmp(restriction, "acceptance") == 0 ?
				    SSCN_ERR_ACCEPTANCE : SSCN_ERR_MFA_ENROLLMENT;
		struct json_object *error = json_object_new_object();

		json_object_object_add(error, "code",
		    json_object_new_string(err_code(code)));
		json_object_object_add(error, "message",
		    json_object_new_string(err_message(code)));
		json_object_object_add(error, "request_id",
		    json_object_new_string(req->request_id));
		json_object_object_add(body, "error", error);
		http_send_json(req, 403, body);
	} else
		http_send_json(req, 200, body);
	json_object_put(body);
	return SSCN_OK;
}

/*
 * POST /api/v1/auth/refresh: a new access token for a session that is
 * still inside its limits.  The old token may have expired; its signature
 * and claims must still verify, and the session row decides.
 */
enum sscn_err
auth_refresh(struct http_request *req)
{
	const struct sscn_conf	*conf = req->worker->conf;
	struct jwt_claims	 claims;
	char			 token[SESSION_TOKEN_MAX];
	char			 idle[16], absolute[16];
	const char		*params[4];
	struct json_object	*body;
	PGresult		*res = NULL;
	enum sscn_err		 err;
	int			 aal;

	/*
	 * An expired token may still be refreshed while its session lives,
	 * so exp gets a leeway of the absolute session limit.  The signature
	 * proves that sscnd issued it; iat keeps the usual leeway.
	 */
	if ((err = authn_verify_token(req, (int64_t)conf->session_absolute_timeout,
	    &claims)) != SSCN_OK)
		return err;

	if ((err = db_begin(&req->worker->db, req->request_id)) != SSCN_OK)
		return err;
	snprintf(idle, sizeof(idle), "%u", conf->session_idle_timeout);
	snprintf(absolute, sizeof(absolute), "%u",
	    conf->session_absolute_timeout);
	params[0] = claims.sid;
	params[1] = claims.sub;
	params[2] = idle;
	params[3] = absolute;
	err = db_exec(&req->worker->db, req->request_id, "session_for_refresh",
	    4, params, &res);
	if (err != SSCN_OK)
		goto rollback;
	if (PQntuples(res) != 1) {
		PQclear(res);
		db_rollback(&req->worker->db, req->request_id);
		log_info(req->request_id, "auth_rejected", "reason=\"session "
		    "revoked, expired or idle\" user_id=%s", claims.sub);
		return SSCN_ERR_UNAUTHORIZED;
	}
	/* The row is authoritative: MFA may have been set up since. */
	aal = atoi(PQgetvalue(res, 0, 0));
	PQclear(res);

	snprintf(req->user_id, sizeof(req->user_id), "%s", claims.sub);
	params[0] = claims.sid;
	if ((err = api_db(req, "session_touch", 1, params, NULL)) != SSCN_OK ||
	    (err = audit_write(req, claims.sub, NULL, "auth.refresh",
	    claims.sid, "success", NULL)) != SSCN_OK)
		goto rollback;
	err = session_sign(req, claims.sub, claims.sid, claims.role, aal,
	    token);
	if (err != SSCN_OK)
		goto rollback;
	if ((err = db_commit(&req->worker->db, req->request_id)) != SSCN_OK) {
		sodium_memzero(token, sizeof(token));
		return err;
	}

	body = session_token_body(conf, token);
	sodium_memzero(token, sizeof(token));
	http_send_json(req, 200, body);
	json_object_put(body);
	return SSCN_OK;

rollback:
	db_rollback(&req->worker->db, req->request_id);
	sodium_memzero(token, sizeof(token));
	return err;
}

/* Revoke one of the caller's sessions with an audit row; in a transaction. */
static enum sscn_err
session_end(struct http_request *req, const char *session_id,
    const char *reason, const char *action, bool *found)
{
	const char	*params[3];
	PGresult	*res = NULL;
	enum sscn_err	 err;

	params[0] = session_id;
	params[1] = req->user_id;
	params[2] = reason;
	err = db_exec(&req->worker->db, req->request_id, "session_revoke", 3,
	    params, &res);
	if (err != SSCN_OK)
		return err;
	*found = PQntuples(res) == 1;
	PQclear(res);
	if (!*found)
		return SSCN_OK;
	return audit_write(req, req->user_id, NULL, action, session_id,
	    "success", NULL);
}

/* Queue cookies that make the browser drop both session cookies. */
static void
session_clear_cookies(struct http_request *req)
{
	http_add_header(req, "Set-Cookie: " AUTH_SESSION_COOKIE "=; Path=/; "
	    "Max-Age=0; Secure; HttpOnly; SameSite=Strict");
	http_add_header(req, "Set-Cookie: " AUTH_CSRF_COOKIE "=; Path=/; "
	    "Max-Age=0; Secure; SameSite=Strict");
}

enum sscn_err
auth_logout(struct http_request *req)
{
	enum sscn_err	 err;
	bool		 found;

	if ((err = authn_require(req)) != SSCN_OK)
		return err;
	err = session_end(req, req->session_id, "logout", "auth.logout", &found);
	if (err != SSCN_OK) {
		db_rollback(&req->worker->db, req->request_id);
		return err;
	}
	if ((err = db_commit(&req->worker->db, req->request_id)) != SSCN_OK)
		return err;
	session_clear_cookies(req);
	http_send_empty(req, 204);
	return SSCN_OK;
}

enum sscn_err
auth_sessions_list(struct http_request *req)
{
	const struct sscn_conf	*conf = req->worker->conf;
	char			 idle[16], absolute[16];
	const char		*params[3];
	struct json_object	*root, *items;
	PGresult		*res = NULL;
	enum sscn_err		 err;
	int			 i;

	if ((err = authn_require(req)) != SSCN_OK)
		return err;
	snprintf(idle, sizeof(idle), "%u", conf->session_idle_timeout);
	snprintf(absolute, sizeof(absolute), "%u",
	    conf->session_absolute_timeout);
	params[0] = req->user_id;
	params[1] = idle;
	params[2] = absolute;
	err = db_exec(&req->worker->db, req->request_id, "session_list", 3,
	    params, &res);
	if (err != SSCN_OK)
		return err;

	root = json_object_new_object();
	items = json_object_new_array();
	for (i = 0; i < PQntuples(res); i++) {
		struct json_object *item = json_object_new_object();

		json_object_object_add(item, "id",
		    json_object_new_string(PQgetvalue(res, i, 0)));
		json_object_object_add(item, "created_at",
		    json_object_new_string(PQgetvalue(res, i, 1)));
		json_object_object_add(item, "last_seen_at",
		    json_object_new_string(PQgetvalue(res, i, 2)));
		json_object_array_add(items, item);
		if ((err = api_pii_add(req, item, "ip", PII_SESSIONS_ADDRESS,
		    PQgetvalue(res, i, 0), res, i, 3)) != SSCN_OK) {
			json_object_put(root);
			json_object_put(items);
			PQclear(res);
			return err;
		}
		json_object_object_add(item, "user_agent",
		    PQgetisnull(res, i, 4) ? NULL :
		    json_object_new_string(PQgetvalue(res, i, 4)));
		json_object_object_add(item, "current", json_object_new_boolean(
		    strcmp(PQgetvalue(res, i, 0), req->session_id) == 0));
	}
	PQclear(res);
	json_object_object_add(root, "items", items);
	json_object_object_add(root, "next_cursor", NULL);
	http_send_json(req, 200, root);
	json_object_put(root);
	return SSCN_OK;
}

/* True when "s" is a UUID in its canonical 8-4-4-4-12 hex form. */
bool
session_is_uuid(const char *s)
{
	size_t i;

	if (strlen(s) != 36)
		return false;
	for (i = 0; i < 36; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i] != '-')
				return false;
		} else if (strchr("0123456789abcdefABCDEF", s[i]) == NULL)
			return false;
	}
	return true;
}

enum sscn_err
auth_sessions_revoke(struct http_request *req)
{
	const char	*session_id = req->match.params[0];
	enum sscn_err	 err;
	bool		 found;

	if ((err = authn_require(req)) != SSCN_OK)
		return err;
	if (!session_is_uuid(session_id))
		return SSCN_ERR_NOT_FOUND;
	err = session_end(req, session_id, "revoked_by_user",
	    "auth.session_revoke", &found);
	if (err != SSCN_OK || !found) {
		db_rollback(&req->worker->db, req->request_id);
		return err != SSCN_OK ? err : SSCN_ERR_NOT_FOUND;
	}
	if ((err = db_commit(&req->worker->db, req->request_id)) != SSCN_OK)
		return err;
	if (strcmp(session_id, req->session_id) == 0)
		session_clear_cookies(req);
	http_send_empty(req, 204);
	return SSCN_OK;
}
