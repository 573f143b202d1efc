/*
 * auth_login.c - POST /api/v1/auth/login.
 *
 * Every failure answers the same 401 invalid_credentials: unknown e-mail,
 * wrong password, unverified address, locked account.  An unknown e-mail
 * still costs one Argon2id verification, so timing tells nothing either.
 *
 * Lockout: before the password is checked, the attempt is claimed with
 * one atomic upsert on sscn.login_lockouts, keyed by the normalized
 * e-mail.  Concurrent attempts on any worker therefore count against one
 * limit, and an attempt past the limit is refused without evaluating the
 * password.  The failure that reaches lockout_threshold locks the address
 * for lockout_duration seconds and mails the owner once; a success clears
 * the count.  Failed logins per client address are also counted, so one
 * client cannot cycle through many accounts.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>
#include <libpq-fe.h>
#include <sodium.h>

#include "sscn.h"
#include "mail_templates.h"
#include "metrics.h"
#include "api/auth_login.h"
#include "api/auth_session.h"
#include "auth/email.h"
#include "api/pii_fields.h"
#include "auth/password.h"
#include "auth/token.h"

void
login_account_free(struct login_account *a)
{
	if (a->password_hash != NULL) {
		sodium_memzero(a->password_hash, strlen(a->password_hash));
		free(a->password_hash);
	}
	pii_free(a->email);
	pii_free(a->full_name);
	memset(a, 0, sizeof(*a));
}

enum sscn_err
login_load_account(struct http_request *req, const char *email_index,
    struct login_account *a)
{
	const char	*params[1] = { email_index };
	PGresult	*res = NULL;
	enum sscn_err	 err;

	memset(a, 0, sizeof(*a));
	err = api_db(req, "login_user", 1, params, &res);
	if (err != SSCN_OK || PQntuples(res) != 1) {
		PQclear(res);
		return err;
	}
	a->exists = true;
	snprintf(a->id, sizeof(a->id), "%s", PQgetvalue(res, 0, 0));
	if (!PQgetisnull(res, 0, 1))
		a->password_hash = strdup(PQgetvalue(res, 0, 1));
	a->verified = strcmp(PQgetvalue(res, 0, 2), "t") == 0;
	a->admin_locked = strcmp(PQgetvalue(res, 0, 3), "t") == 0;
	a->mfa_enabled = strcmp(PQgetvalue(res, 0, 4), "t") == 0;
	a->is_admin = strcmp(PQgetvalue(res, 0, 5), "t") == 0;
	err = api_pii_open(req, PII_USERS_EMAIL, a->id, res, 0, 6, &a->email);
	if (err == SSCN_OK)
		err = api_pii_open(req, PII_USERS_FULL_NAME, a->id, res, 0, 7,
		    &a->full_name);
	PQclear(res);
	return err;
}

/*
 * Claim an attempt.  Sets "*allowed" when the password may be evaluated.
 * Runs outside any transaction so other workers see the claim at once.
 */
enum sscn_err
login_claim(struct http_request *req, const char *email_index, bool *allowed)
{
	const char	*params[1] = { email_index };
	PGresult	*res = NULL;
	enum sscn_err	 err;
	unsigned	 attempt;
	bool		 locked;

	err = api_db(req, "login_claim_attempt", 1, params, &res);
	if (err != SSCN_OK)
		return err;
	attempt = (unsigned)strtoul(PQgetvalue(res, 0, 0), NULL, 10);
	locked = strcmp(PQgetvalue(res, 0, 1), "t") == 0;
	PQclear(res);
	*allowed = !locked && attempt <= req->worker->conf->lockout_threshold;
	return SSCN_OK;
}

/* Queue the one mail that tells the owner of "a" about the lock. */
static enum sscn_err
login_lock_mail(struct http_request *req, const struct login_account *a)
{
	const struct sscn_conf	*conf = req->worker->conf;
	char			 minutes[16], attempts[16];
	const struct mail_value	 values[] = {
		{ "name", a->full_name },
		{ "minutes", minutes },
		{ "attempts", attempts },
		{ "site_url", conf->base_url },
		{ NULL, NULL }
	};

	snprintf(minutes, sizeof(minutes), "%u",
	    (conf->lockout_duration + 59) / 60);
	snprintf(attempts, sizeof(attempts), "%u", conf->lockout_threshold);
	return outbox_queue_template(req, a->email, "account_locked", values);
}

/*
 * Record a failed login: the per-address count, the audit row, and when
 * this failure reaches the threshold, the lock with its one mail.  The
 * metrics count the failure and the lock once they are committed.
 */
enum sscn_err
login_failed(struct http_request *req, const char *email_index,
    const struct login_account *a, const char *reason, bool evaluated)
{
	const struct sscn_conf	*conf = req->worker->conf;
	const char		*params[3];
	char			 duration[16], threshold[16];
	struct json_object	*details;
	PGresult		*res = NULL;
	enum sscn_err		 err;
	bool			 locked_now = false;

	if ((err = db_begin(&req->worker->db, req->request_id)) != SSCN_OK)
		return err;

	params[0] = req->remote_addr;
	if (req->remote_addr != NULL &&
	    (err = api_db(req, "login_address_fail", 1, params, NULL)) !=
	    SSCN_OK)
		goto rollback;

	/* Only an evaluated failure can be the one that reaches the limit. */
	snprintf(duration, sizeof(duration), "%u", conf->lockout_duration);
	snprintf(threshold, sizeof(threshold), "%u", conf->lockout_threshold);
	params[0] = email_index;
	params[1] = duration;
	params[2] = threshold;

	details = json_object_new_object();
	json_object_object_add(details, "reason", json_object_new_string(reason));
	err = audit_write(req, a->exists ? a->id : NULL, NULL, "auth.login",
	    a->exists ? a->id : NULL, "failure", details);
	json_object_put(details);
	if (err != SSCN_OK)
		goto rollback;

	if (evaluated) {
		err = api_db(req, "login_lock_if_due", 3, params, &res);
		if (err != SSCN_OK)
			goto rollback;
		locked_now = PQntuples(res) == 1;
		PQclear(res);
	}
	if (locked_now) {
		err = audit_write(req, a->exists ? a->id : NULL, NULL,
		    "auth.lock", a->exists ? a->id : NULL, "success", NULL);
		if (err == SSCN_OK && a->exists)
			err = login_lock_mail(req, a);
		if (err != SSCN_OK)
			goto rollback;
	}
	if ((err = db_commit(&req->worker->db, req->request_id)) != SSCN_OK)
		return err;

	metrics_auth_failure(reason);
	if (locked_now)
		metrics_lockout();
	return SSCN_OK;

rollback:
	db_rollback(&req->worker->db, req->request_id);
	return err;
}

static enum sscn_err
login_address_allowed(struct http_request *req, bool *allowed)
{
	const struct sscn_conf	*conf = req->worker->conf;
	const char		*params[2];
	char			 window[16];
	PGresult		*res = NULL;
	enum sscn_err		 err;

	*allowed = true;
	if (req->remote_addr == NULL)
		return SSCN_OK;
	snprintf(window, sizeof(window), "%u", conf->address_failure_window);
	params[0] = req->remote_addr;
	params[1] = window;
	err = api_db(req, "login_address_failures", 2, params, &res);
	if (err != SSCN_OK)
		return err;
	*allowed = strtoul(PQgetvalue(res, 0, 0), NULL, 10) <
	    conf->address_failure_limit;
	PQclear(res);
	return SSCN_OK;
}

/*
 * The password was right: clear the count, upgrade the hash, then either
 * hand out an MFA token (MFA on) or finish the login.
 */
static enum sscn_err
login_succeeded(struct http_request *req, const char *email_index,
    const struct login_account *a, const char *password, bool needs_rehash)
{
	struct worker		*w = req->worker;
	struct session_account	 acct;
	struct json_object	*body, *details;
	const char		*params[4];
	char			 hash[PASSWORD_HASH_SIZE];
	char			 token[TOKEN_TEXT_LEN + 1];
	char			 token_hash_hex[TOKEN_HASH_HEX];
	char			 ttl[16];
	enum sscn_err		 err;

	if ((err = db_begin(&w->db, req->request_id)) != SSCN_OK)
		return err;

	/*
	 * Only a complete login clears the count.  With MFA pending, the
	 * password step gives back just the attempt it claimed, so wrong
	 * codes keep counting across new password steps.
	 */
	params[0] = email_index;
	if ((err = api_db(req, a->mfa_enabled ? "login_release_claim" :
	    "login_clear", 1, params, NULL)) != SSCN_OK)
		goto rollback;
	params[0] = a->id;
	if ((err = api_db(req, "set_user_context", 1, params, NULL)) !=
	    SSCN_OK)
		goto rollback;

	/* Older parameters or an imported bcrypt hash: upgrade it now. */
	if (needs_rehash) {
		if (password_hash(w->password_policy, password, hash) == -1) {
			err = SSCN_ERR_INTERNAL;
			goto rollback;
		}
		params[1] = hash;
		err = api_db(req, "user_rehash", 2, params, NULL);
		sodium_memzero(hash, sizeof(hash));
		if (err != SSCN_OK)
			goto rollback;
	}

	details = json_object_new_object();
	json_object_object_add(details, "factor",
	    json_object_new_string("password"));
	json_object_object_add(details, "mfa_pending",
	    json_object_new_boolean(a->mfa_enabled));
	err = audit_write(req, a->id, NULL, "auth.login", a->id, "success",
	    details);
	json_object_put(details);
	if (err != SSCN_OK)
		goto rollback;

	if (a->mfa_enabled) {
		/* A single-purpose token for POST /auth/mfa/verify only. */
		token_generate(token, token_hash_hex);
		snprintf(ttl, sizeof(ttl), "%u", w->conf->mfa_token_ttl);
		params[0] = token_hash_hex;
		params[1] = a->id;
		params[2] = "mfa";
		params[3] = ttl;
		if ((err = api_db(req, "token_insert", 4, params, NULL)) !=
		    SSCN_OK ||
		    (err = db_commit(&w->db, req->request_id)) != SSCN_OK) {
			sodium_memzero(token, sizeof(token));
			if (err != SSCN_OK && w->db.in_transaction)
				goto rollback;
			return err;
		}
		body = json_object_new_object();
		json_object_object_add(body, "mfa_required",
		    json_object_new_boolean(1));
		json_object_object_add(body, "mfa_token",
		    json_object_new_string(token));
		json_object_object_add(body, "expires_in",
		    json_object_new_int((int)w->conf->mfa_token_ttl));
		sodium_memzero(token, sizeof(token));
		http_send_json(req, 200, body);
		json_object_put(body);
		return SSCN_OK;
	}

	if ((err = api_db(req, "user_logged_in", 1, params, NULL)) !=
	    SSCN_OK)
		goto rollback;
	memset(&acct, 0, sizeof(acct));
	snprintf(acct.id, sizeof(acct.id), "%s", a->id);
	acct.email = a->email;
	acct.full_name = a->full_name;
	acct.is_admin = a->is_admin;
	acct.mfa_enabled = a->mfa_enabled;
	return session_login_finish(req, &acct, 1);

rollback:
	db_rollback(&w->db, req->request_id);
	return err;
}

static enum sscn_err
login_reject(struct http_request *req)
{
	http_send_error(req, 401, "invalid_credentials", "The e-mail address "
	    "or password is wrong, or the account cannot sign in now.", NULL);
	return SSCN_OK;
}

enum sscn_err
auth_login(struct http_request *req)
{
	static const char *const allowed_fields[] = { "email", "password",
	    NULL };
	struct worker		*w = req->worker;
	struct json_object	*fields = json_object_new_object();
	struct login_account	 a;
	const char		*email = NULL, *password = NULL;
	char			 normalized[EMAIL_MAX * 3 + 1];
	char			 email_index[PII_INDEX_HEX_SIZE];
	enum password_verify_result result = PASSWORD_MISMATCH;
	const char		*reason;
	enum sscn_err		 err;
	bool			 allowed, needs_rehash = false;

	json_reject_unknown(req->json, allowed_fields, fields);
	json_get_string(req->json, "email", true, 1024, &email, fields);
	json_get_string(req->json, "password", true, 16384, &password, fields);
	if ((err = api_validation_check(req, fields)) != SSCN_OK)
		return err;
	if (w->keys == NULL)
		return SSCN_ERR_UNAVAILABLE;

	/* An invalid address cannot have an account; spend the hash anyway. */
	if (email_normalize(email, normalized, sizeof(normalized)) == -1) {
		(void)password_dummy_verify(w->password_policy);
		return login_reject(req);
	}

	if ((err = api_email_index(req, normalized, email_index)) != SSCN_OK)
		return err;
	if ((err = login_address_allowed(req, &allowed)) != SSCN_OK)
		return err;
	if (!allowed) {
		log_warn(req->request_id, "login_address_limited",
		    "remote_addr=%s", req->remote_addr);
		http_add_headerf(req, "Retry-After: %u",
		    w->conf->address_failure_window);
		http_send_err(req, SSCN_ERR_RATE_LIMITED);
		return SSCN_OK;
	}

	if ((err = login_claim(req, email_index, &allowed)) != SSCN_OK)
		return err;
	if ((err = login_load_account(req, email_index, &a)) != SSCN_OK) {
		login_account_free(&a);
		return err;
	}

	if (!allowed) {
		(void)password_dummy_verify(w->password_policy);
		reason = "locked";
	} else if (!a.exists || a.password_hash == NULL) {
		(void)password_dummy_verify(w->password_policy);
		reason = a.exists ? "no_password" : "unknown_email";
	} else {
		result = password_verify(w->password_policy, a.password_hash,
		    password, &needs_rehash);
		if (result == PASSWORD_ERROR) {
			login_account_free(&a);
			return SSCN_ERR_INTERNAL;
		}
		reason = result != PASSWORD_MATCH ? "wrong_password" :
		    !a.verified ? "email_not_verified" :
		    a.admin_locked ? "locked_by_admin" : NULL;
	}

	if (reason != NULL) {
		err = login_failed(req, email_index, &a, reason,
		    allowed && strcmp(reason, "locked") != 0);
		login_account_free(&a);
		return err != SSCN_OK ? err : login_reject(req);
	}

	err = login_succeeded(req, email_index, &a, password, needs_rehash);
	login_account_free(&a);
	return err;
}
