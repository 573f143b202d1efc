/*
 * authn.c - authenticate a request: access token, CSRF, session row.
 *
 * Order of checks: token present, CSRF (for cookie-authenticated unsafe
 * methods), JWT signature and claims (in memory, no I/O), then one
 * statement that checks the session row against revocation and the idle
 * and absolute limits; last_seen_at is updated by a second statement
 * only when it is older than AUTHN_TOUCH_MAX seconds (or a tenth of the
 * idle limit), so most requests write nothing.  Every
 * rejection answers the same 401 and is logged with its reason, never
 * with the token.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>
#include <libpq-fe.h>
#include <sodium.h>

#include "sscn.h"
#include "api/apikeys.h"
#include "auth/jwt.h"
#include "idempotency.h"
#include "ratelimit.h"

/* Longest access token read from a header or cookie. */
#define AUTHN_TOKEN_MAX		4096
/* Seconds between last_seen_at updates, at most. */
#define AUTHN_TOUCH_MAX		60
/* Clock skew allowed for iat and nbf. */
#define AUTHN_LEEWAY		60

int64_t
authn_now(void)
{
	return (int64_t)time(NULL);
}

static bool
authn_unsafe_method(const char *method)
{
	return strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0 &&
	    strcmp(method, "OPTIONS") != 0;
}

/*
 * Find the access token: Authorization first, then the session cookie.
 * Returns false when there is none.
 */
static bool
authn_find_token(struct http_request *req, char *token, size_t tokenlen)
{
	const char *header = http_param(req, "HTTP_AUTHORIZATION");

	if (header != NULL && strncasecmp(header, "Bearer ", 7) == 0) {
		header += 7;
		while (*header == ' ')
			header++;
		if (strlen(header) + 1 > tokenlen)
			return false;
		strcpy(token, header);
		req->via_cookie = false;
		return true;
	}
	if (http_cookie(req, AUTH_SESSION_COOKIE, token, tokenlen)) {
		req->via_cookie = true;
		return true;
	}
	return false;
}

/* Double-submit check: X-CSRF-Token must equal the CSRF cookie. */
static bool
authn_csrf_ok(struct http_request *req)
{
	const char	*header = http_param(req, "HTTP_X_CSRF_TOKEN");
	char		 cookie[128];
	size_t		 len;

	if (header == NULL || !http_cookie(req, AUTH_CSRF_COOKIE, cookie,
	    sizeof(cookie)))
		return false;
	len = strlen(cookie);
	if (len < 32 || strlen(header) != len)
		return false;
	return sodium_memcmp(header, cookie, len) == 0;
}

enum sscn_err
authn_verify_token(struct http_request *req, int64_t exp_leeway,
    struct jwt_claims *claims)
{
	const struct sscn_conf	*conf = req->worker->conf;
	enum jwt_status		 status;
	char			 token[AUTHN_TOKEN_MAX];

	if (req->worker->keys == NULL) {
		log_error(req->request_id, "auth_unavailable",
		    "reason=\"no key file loaded\"");
		return SSCN_ERR_UNAVAILABLE;
	}
	if (!authn_find_token(req, token, sizeof(token))) {
		log_info(req->request_id, "auth_rejected",
		    "reason=\"no access token\"");
		return SSCN_ERR_UNAUTHORIZED;
	}
	if (req->via_cookie && authn_unsafe_method(req->method) &&
	    !authn_csrf_ok(req)) {
		sodium_memzero(token, sizeof(token));
		log_info(req->request_id, "auth_rejected",
		    "reason=\"missing or wrong X-CSRF-Token\"");
		return SSCN_ERR_FORBIDDEN;
	}

	status = jwt_verify(req->worker->keys, token, conf->jwt_issuer,
	    conf->jwt_audience, authn_now(), exp_leeway, claims);
	sodium_memzero(token, sizeof(token));

	/* A longer leeway is meant for exp only; iat and nbf keep the usual. */
	if (status == JWT_OK && (claims->iat > authn_now() + AUTHN_LEEWAY ||
	    claims->nbf > authn_now() + AUTHN_LEEWAY))
		status = JWT_NOT_YET_VALID;
	if (status != JWT_OK) {
		log_info(req->request_id, "auth_rejected", "reason=\"%s\"",
		    jwt_status_str(status));
		return SSCN_ERR_UNAUTHORIZED;
	}
	return SSCN_OK;
}

/* Fill the session check's parameters; the buffers belong to the caller. */
static void
authn_session_params(struct http_request *req, const struct jwt_claims *claims,
    char idle[16], char absolute[16], char touch[16], const char *params[5])
{
	const struct sscn_conf	*conf = req->worker->conf;
	unsigned		 touch_after;

	/* Touch often enough that a short idle limit still holds. */
	touch_after = conf->session_idle_timeout / 10;
	if (touch_after > AUTHN_TOUCH_MAX)
		touch_after = AUTHN_TOUCH_MAX;
	snprintf(idle, 16, "%u", conf->session_idle_timeout);
	snprintf(absolute, 16, "%u", conf->session_absolute_timeout);
	snprintf(touch, 16, "%u", touch_after);
	params[0] = claims->sid;
	params[1] = claims->sub;
	params[2] = idle;
	params[3] = absolute;
	params[4] = touch;
}

/* Take the session check's row; "res" stays the caller's. */
static enum sscn_err
authn_accept_session(struct http_request *req, const struct jwt_claims *claims,
    const PGresult *res)
{
	PGresult	*touched;
	bool		 touch;

	if (PQntuples(res) != 1 || PQnfields(res) < AUTHN_SESSION_COLUMNS) {
		log_info(req->request_id, "auth_rejected", "reason=\"session "
		    "revoked, expired or idle\" user_id=%s", claims->sub);
		return SSCN_ERR_UNAUTHORIZED;
	}

	req->authenticated = true;
	snprintf(req->user_id, sizeof(req->user_id), "%s", claims->sub);
	snprintf(req->session_id, sizeof(req->session_id), "%s", claims->sid);
	req->aal = atoi(PQgetvalue(res, 0, 0));
	req->auth_time = strtoll(PQgetvalue(res, 0, 1), NULL, 10);
	req->is_admin = strcmp(PQgetvalue(res, 0, 2), "t") == 0;
	touch = strcmp(PQgetvalue(res, 0, 3), "t") == 0;
	snprintf(req->restriction, sizeof(req->restriction), "%s",
	    PQgetvalue(res, 0, 4));
	snprintf(req->org_id, sizeof(req->org_id), "%s", PQgetvalue(res, 0, 5));
	snprintf(req->org_role, sizeof(req->org_role), "%s",
	    PQgetvalue(res, 0, 6));
	snprintf(req->org_kind, sizeof(req->org_kind), "%s",
	    PQgetvalue(res, 0, 7));

	/* last_seen_at moves at most every AUTHN_TOUCH_MAX seconds. */
	if (touch) {
		const char *params[1] = { req->session_id };

		if (db_exec(&req->worker->db, req->request_id, "session_touch",
		    1, params, &touched) == SSCN_OK)
			PQclear(touched);
	}

	/* A restricted session reaches only the routes that lift it. */
	if (req->restriction[0] != '\0' &&
	    !(req->match.route->flags & ROUTE_RESTRICTED_OK)) {
		log_info(req->request_id, "auth_rejected", "reason=\"session "
		    "restricted\" restriction=%s user_id=%s", req->restriction,
		    req->user_id);
		return strcmp(req->restriction, "acceptance") == 0 ?
		    SSCN_ERR_ACCEPTANCE : SSCN_ERR_MFA_ENROLLMENT;
	}
	return SSCN_OK;
}

/*
 * A request rejected before its session check still counts, by address,
 * so that requests with bad tokens are limited too.  Returns "err" unless
 * the request is also over its limit.
 */
static enum sscn_err
authn_count_rejected(struct http_request *req, enum sscn_err err)
{
	enum sscn_err limit_err;

	if (!ratelimit_applies(req) || req->rate_counted)
		return err;
	req->rate_counted = true;
	limit_err = ratelimit_check(req, NULL);
	return limit_err == SSCN_ERR_RATE_LIMITED ? limit_err : err;
}

/*
 * Put the rate_limit_hit statement of the user "sub" into "*step" when the
 * route is limited.  Returns the number of steps added (0 or 1), or -1
 * with "*err" set.
 */
static int
authn_rate_step(struct http_request *req, const char *sub,
    struct ratelimit_step *storage, struct db_step *step, enum sscn_err *err)
{
	int n;

	if (!ratelimit_applies(req))
		return 0;

	/* A user has one bucket: the stricter ones are for anonymous routes. */
	if ((n = ratelimit_steps(req, sub, storage, step, err)) == -1)
		return -1;
	req->rate_counted = true;
	return n;
}

/*
 * Authenticate, open the transaction and run the "n" statements of
 * "extra" in it, all in the round trip of the session check.
 */
static enum sscn_err
authn_require_client(struct http_request *req, struct db_step *extra,
    size_t n)
{
	struct jwt_claims	 claims;
	struct ratelimit_step	 rate;
	char			 idle[16], absolute[16], touch[16];
	const char		*params[5];
	struct db_step		 steps[4 + AUTHN_PIPELINE_MAX];
	enum sscn_err		 err;
	int			 nrate;
	size_t			 i, total;

	for (i = 0; i < n; i++)
		extra[i].res = NULL;
	if (n > AUTHN_PIPELINE_MAX) {
		log_error(req->request_id, "authn_pipeline_too_long",
		    "steps=%zu", n);
		return SSCN_ERR_INTERNAL;
	}

	/*
	 * A signed request counts against its address.  NOTE: handlers that
	 * use authn_require_as(), only GET /api/v1/me today, reject signed
	 * requests with 401, because their statement extends the session
	 * check and an API key has no session.
	 */
	if (apikey_is_signed(req)) {
		if (ratelimit_applies(req)) {
			req->rate_counted = true;
			if ((err = ratelimit_check(req, NULL)) != SSCN_OK)
				return err;
		}
		if ((err = apikey_authenticate(req)) != SSCN_OK || n == 0)
			return err;
		return db_pipeline(&req->worker->db, req->request_id, extra,
		    n);
	}
	if ((err = authn_verify_token(req, AUTHN_LEEWAY, &claims)) != SSCN_OK)
		return authn_count_rejected(req, err);
	authn_session_params(req, &claims, idle, absolute, touch, params);

	/*
	 * One round trip: the rate-limit count, committed on its own by a
	 * Sync, then the transaction, the check that fills its settings and
	 * the caller's statements.
	 */
	nrate = authn_rate_step(req, claims.sub, &rate, &steps[0], &err);
	if (nrate == -1)
		return err;
	if (nrate == 1)
		steps[nrate++] = (struct db_step){ .name = DB_STEP_SYNC };
	steps[nrate] = (struct db_step){ .name = DB_STEP_BEGIN };
	steps[nrate + 1] = (struct db_step){ .name = "session_check",
	    .nparams = 5, .params = params };
	total = (size_t)nrate + 2;
	for (i = 0; i < n; i++)
		steps[total++] = extra[i];
	err = db_pipeline(&req->worker->db, req->request_id, steps, total);
	if (err != SSCN_OK)
		return err;

	if (req->rate_counted)
		err = ratelimit_take(req, &rate, &steps[0]);
	if (err == SSCN_OK)
		err = authn_accept_session(req, &claims, steps[nrate + 1].res);
	for (i = 0; i < (size_t)nrate + 2; i++)
		PQclear(steps[i].res);
	for (i = 0; i < n; i++) {
		if (err == SSCN_OK)
			extra[i].res = steps[(size_t)nrate + 2 + i].res;
		else
			PQclear(steps[(size_t)nrate + 2 + i].res);
	}
	if (err != SSCN_OK)
		db_rollback(&req->worker->db, req->request_id);
	return err;
}

/* Authenticate, then look up the request's Idempotency-Key, if any. */
enum sscn_err
authn_require(struct http_request *req)
{
	return authn_require_with(req, NULL, 0);
}

enum sscn_err
authn_require_with(struct http_request *req, struct db_step *steps, size_t n)
{
	enum sscn_err	err;
	size_t		i;

	if ((err = authn_require_client(req, steps, n)) != SSCN_OK)
		return err;
	if ((err = idem_claim(req)) != SSCN_OK)
		for (i = 0; i < n; i++) {
			PQclear(steps[i].res);
			steps[i].res = NULL;
		}
	return err;
}

enum sscn_err
authn_require_valid(struct http_request *req, struct json_object *fields)
{
	enum sscn_err err;

	if ((err = authn_require(req)) != SSCN_OK) {
		json_object_put(fields);
		return err;
	}
	return api_validation_check(req, fields);
}

enum sscn_err
authn_require_as(struct http_request *req, const char *name,
    struct pg_result **res)
{
	struct jwt_claims	 claims;
	struct ratelimit_step	 rate;
	char			 idle[16], absolute[16], touch[16];
	const char		*params[5];
	struct db_step		 steps[2];
	enum sscn_err		 err;
	int			 nrate;

	*res = NULL;
	if ((err = authn_verify_token(req, AUTHN_LEEWAY, &claims)) != SSCN_OK)
		return authn_count_rejected(req, err);
	authn_session_params(req, &claims, idle, absolute, touch, params);

	/* Without a rate-limit statement, one statement needs no pipeline. */
	nrate = authn_rate_step(req, claims.sub, &rate, &steps[0], &err);
	if (nrate == -1)
		return err;
	if (nrate == 0) {
		err = db_exec(&req->worker->db, req->request_id, name, 5,
		    params, res);
		if (err == SSCN_OK && req->rate_counted)
			err = ratelimit_take(req, &rate, NULL);
	} else {
		steps[1] = (struct db_step){ .name = name, .nparams = 5,
		    .params = params };
		err = db_pipeline(&req->worker->db, req->request_id, steps, 2);
		if (err == SSCN_OK) {
			err = ratelimit_take(req, &rate, &steps[0]);
			PQclear(steps[0].res);
			*res = steps[1].res;
		}
	}
	if (err == SSCN_OK)
		err = authn_accept_session(req, &claims, *res);
	if (err != SSCN_OK) {
		PQclear(*res);
		*res = NULL;
	}
	return err;
}

enum sscn_err
authn_require_pipeline(struct http_request *req, struct db_step *steps,
    size_t n)
{
	struct jwt_claims	 claims;
	struct ratelimit_step	 rate;
	char			 idle[16], absolute[16], touch[16];
	const char		*params[5];
	struct db_step		 all[2 + AUTHN_PIPELINE_MAX];
	enum sscn_err		 err;
	size_t			 i, first;
	int			 nrate;

	for (i = 0; i < n; i++)
		steps[i].res = NULL;
	if (n > AUTHN_PIPELINE_MAX) {
		log_error(req->request_id, "authn_pipeline_too_long",
		    "steps=%zu", n);
		return SSCN_ERR_INTERNAL;
	}

	/*
	 * A signed request has no session: authn_require() checks the
	 * signature and leaves a transaction open with the key's settings,
	 * in which the steps then run.
	 */
	if (apikey_is_signed(req)) {
		if ((err = authn_require(req)) != SSCN_OK)
			return err;
		return db_pipeline(&req->worker->db, req->request_id, steps, n);
	}
	if ((err = authn_verify_token(req, AUTHN_LEEWAY, &claims)) != SSCN_OK)
		return authn_count_rejected(req, err);
	authn_session_params(req, &claims, idle, absolute, touch, params);

	/*
	 * No BEGIN: the steps form one implicit transaction, so the settings
	 * of the session check reach them and end with the round trip.  The
	 * rate-limit count, when there is one, goes first in the same trip.
	 */
	nrate = authn_rate_step(req, claims.sub, &rate, &all[0], &err);
	if (nrate == -1)
		return err;
	first = (size_t)nrate;
	all[first] = (struct db_step){ .name = "session_check", .nparams = 5,
	    .params = params };
	for (i = 0; i < n; i++)
		all[first + 1 + i] = steps[i];
	err = db_pipeline(&req->worker->db, req->request_id, all, first + 1 + n);
	if (err != SSCN_OK)
		return err;

	if (req->rate_counted)
		err = ratelimit_take(req, &rate, &all[0]);
	if (nrate > 0)
		PQclear(all[0].res);
	if (err == SSCN_OK)
		err = authn_accept_session(req, &claims, all[first].res);
	PQclear(all[first].res);
	for (i = 0; i < n; i++) {
		if (err == SSCN_OK)
			steps[i].res = all[first + 1 + i].res;
		else
			PQclear(all[first + 1 + i].res);
	}
	return err;
}

enum sscn_err
authn_require_recent(struct http_request *req)
{
	int64_t age = authn_now() - req->auth_time;

	if (age < 0 || age > (int64_t)req->worker->conf->reauthentication_window) {
		log_info(req->request_id, "auth_rejected", "reason=\"login "
		    "older than reauthentication_window\" user_id=%s",
		    req->user_id);
		return SSCN_ERR_REAUTH;
	}
	return SSCN_OK;
}

enum sscn_err
authn_require_admin(struct http_request *req)
{
	if (!req->is_admin) {
		log_info(req->request_id, "access_denied", "reason=\"not an "
		    "admin\" user_id=%s", req->user_id);
		return SSCN_ERR_FORBIDDEN;
	}
	if (req->aal < 2) {
		log_info(req->request_id, "access_denied", "reason=\"admin "
		    "session without MFA\" user_id=%s", req->user_id);
		return SSCN_ERR_MFA_REQUIRED;
	}
	return SSCN_OK;
}

enum sscn_err
authn_begin(struct http_request *req)
{
	/* A reconnect since authn_require() ended its transaction. */
	if (!req->worker->db.in_transaction)
		return SSCN_ERR_UNAVAILABLE;
	return SSCN_OK;
}
