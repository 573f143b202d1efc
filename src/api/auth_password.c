/*
 * auth_password.c - POST /api/v1/auth/password/change, /forgot, /reset.
 *
 * forgot answers 202 whether or not the address has an account.  A reset
 * token is random, stored as a hash, single-use, lives reset_token_ttl
 * seconds, and dies when a newer one is issued or the password changes.
 * A change ends every other session of the user; a reset ends them all
 * and clears the login lock.  Each change mails the owner, without any
 * secret in the mail.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include <json-c/json.h>
#include <libpq-fe.h>
#include <sodium.h>

#include "sscn.h"
#include "mail_templates.h"
#include "auth/email.h"
#include "api/pii_fields.h"
#include "auth/password.h"
#include "auth/token.h"

/* Columns of "user_password". */
enum { PW_HASH, PW_EMAIL, PW_NAME, PW_EMAIL_INDEX };

/* A user's decrypted address and name, for checks and mails. */
struct pw_user {
	char	*email;
	char	*name;
};

/*
 * Decrypt the address and name in columns "email_col" and "name_col" of
 * the first row of "res", which belongs to "user_id".
 */
static enum sscn_err
pw_user_open(struct http_request *req, const char *user_id,
    const PGresult *res, int email_col, int name_col, struct pw_user *pu)
{
	enum sscn_err err;

	pu->email = pu->name = NULL;
	err = api_pii_open(req, PII_USERS_EMAIL, user_id, res, 0, email_col,
	    &pu->email);
	if (err == SSCN_OK)
		err = api_pii_open(req, PII_USERS_FULL_NAME, user_id, res, 0,
		    name_col, &pu->name);
	return err;
}

static void
pw_user_free(struct pw_user *pu)
{
	pii_free(pu->email);
	pii_free(pu->name);
	pu->email = pu->name = NULL;
}

/* Reject a weak new password with 400 weak_password; true when sent. */
static bool
pw_reject_weak(struct http_request *req, const char *password,
    const char *email, const char *name, enum sscn_err *err)
{
	struct password_report	 report;
	struct json_object	*fields;
	char			 text[512];

	*err = SSCN_OK;
	if (password_check(req->worker->password_policy,
	    req->worker->common_passwords, password, email, name,
	    &report) == -1) {
		*err = SSCN_ERR_INTERNAL;
		return true;
	}
	if (report.acceptable)
		return false;
	password_report_join(&report, text, sizeof(text));
	fields = json_object_new_object();
	/* The contract names the field "password" for every weak_password. */
	json_object_object_add(fields, "password", json_object_new_string(text));
	http_send_error(req, 400, "weak_password", "The new password does not "
	    "meet the password policy; see fields.password.", fields);
	return true;
}

/*
 * Set the new password of "user_id", end sessions (all, or all but
 * "keep_session") and spend outstanding reset tokens; in a transaction.
 */
static enum sscn_err
pw_store(struct http_request *req, const char *user_id, const char *password,
    const char *keep_session, const char *reason)
{
	char		 hash[PASSWORD_HASH_SIZE];
	const char	*params[3];
	PGresult	*res = NULL;
	enum sscn_err	 err;
	int		 i;

	if (password_hash(req->worker->password_policy, password, hash) == -1)
		return SSCN_ERR_INTERNAL;
	params[0] = user_id;
	params[1] = hash;
	err = api_db(req, "user_set_password", 2, params, NULL);
	sodium_memzero(hash, sizeof(hash));
	if (err != SSCN_OK)
		return err;

	params[1] = "password_reset";
	if ((err = api_db(req, "token_expire_purpose", 2, params, NULL)) !=
	    SSCN_OK)
		return err;

	params[1] = keep_session;
	params[2] = reason;
	if ((err = api_db(req, "session_revoke_others", 3, params, &res)) !=
	    SSCN_OK)
		return err;
	for (i = 0; i < PQntuples(res) && err == SSCN_OK; i++)
		err = audit_write(req, user_id, NULL, "auth.session_revoke",
		    PQgetvalue(res, i, 0), "success", NULL);
	PQclear(res);
	return err;
}

/* Queue the notice that the password of "pu" was changed. */
static enum sscn_err
pw_changed_mail(struct http_request *req, const struct pw_user *pu)
{
	const struct mail_value values[] = {
		{ "name", pu->name },
		{ "site_url", req->worker->conf->base_url },
		{ NULL, NULL }
	};

	return outbox_queue_template(req, pu->email, "password_changed",
	    values);
}

/* Queue the link that lets "pu" choose a new password with "token". */
static enum sscn_err
pw_reset_mail(struct http_request *req, const struct pw_user *pu,
    const char *token)
{
	char			 minutes[16];
	char			*link = outbox_link(req, "/reset-password#token=",
				    token);
	const struct mail_value	 values[] = {
		{ "name", pu->name },
		{ "minutes", minutes },
		{ "link", link },
		{ NULL, NULL }
	};
	enum sscn_err		 err;

	if (link == NULL)
		return SSCN_ERR_INTERNAL;
	snprintf(minutes, sizeof(minutes), "%u",
	    (req->worker->conf->reset_token_ttl + 59) / 60);
	err = outbox_queue_template(req, pu->email, "password_reset", values);
	mail_text_free(link);
	return err;
}

/* Queue the notice that the password of "pu" was reset with a link. */
static enum sscn_err
pw_reset_done_mail(struct http_request *req, const struct pw_user *pu)
{
	const struct mail_value values[] = {
		{ "name", pu->name },
		{ NULL, NULL }
	};

	return outbox_queue_template(req, pu->email, "password_reset_done",
	    values);
}

enum sscn_err
auth_password_change(struct http_request *req)
{
	static const char *const allowed[] = { "current_password",
	    "new_password", NULL };
	struct json_object	*fields = json_object_new_object();
	const char		*current = NULL, *fresh = NULL;
	const char		*params[1];
	PGresult		*user = NULL;
	struct pw_user		 pu = { NULL, NULL };
	enum password_verify_result result;
	enum sscn_err		 err;
	bool			 rehash;

	json_reject_unknown(req->json, allowed, fields);
	json_get_string(req->json, "current_password", true, 16384, &current,
	    fields);
	json_get_string(req->json, "new_password", true, 16384, &fresh, fields);
	if ((err = authn_require_valid(req, fields)) != SSCN_OK)
		return err;
	if ((err = authn_require_recent(req)) != SSCN_OK)
		return err;

	if ((err = authn_begin(req)) != SSCN_OK)
		return err;
	params[0] = req->user_id;
	if ((err = api_db(req, "user_password", 1, params, &user)) != SSCN_OK)
		goto rollback;
	if (PQntuples(user) != 1) {
		err = SSCN_ERR_NOT_FOUND;
		goto rollback;
	}
	result = PQgetisnull(user, 0, PW_HASH) ? PASSWORD_MISMATCH :
	    password_verify(req->worker->password_policy,
	    PQgetvalue(user, 0, PW_HASH), current, &rehash);
	if (result == PASSWORD_ERROR) {
		err = SSCN_ERR_INTERNAL;
		goto rollback;
	}
	if (result != PASSWORD_MATCH) {
		err = audit_write(req, req->user_id, NULL, "auth.password_change",
		    req->user_id, "failure", NULL);
		if (err == SSCN_OK && (err = db_commit(&req->worker->db,
		    req->request_id)) == SSCN_OK)
			http_send_error(req, 401, "invalid_credentials", "The "
			    "current password is wrong.", NULL);
		goto out;
	}
	if ((err = pw_user_open(req, req->user_id, user, PW_EMAIL, PW_NAME,
	    &pu)) != SSCN_OK)
		goto rollback;
	if (pw_reject_weak(req, fresh, pu.email, pu.name, &err))
		goto rollback;

	if ((err = pw_store(req, req->user_id, fresh, req->session_id,
	    "password_change")) != SSCN_OK ||
	    (err = audit_write(req, req->user_id, NULL, "auth.password_change",
	    req->user_id, "success", NULL)) != SSCN_OK ||
	    (err = pw_changed_mail(req, &pu)) != SSCN_OK ||
	    (err = db_commit(&req->worker->db, req->request_id)) != SSCN_OK)
		goto rollback;
	http_send_empty(req, 204);
	goto out;

rollback:
	db_rollback(&req->worker->db, req->request_id);
out:
	pw_user_free(&pu);
	PQclear(user);
	return err;
}

enum sscn_err
auth_password_forgot(struct http_request *req)
{
	static const char *const allowed[] = { "email", NULL };
	const struct sscn_conf	*conf = req->worker->conf;
	struct json_object	*fields = json_object_new_object();
	struct json_object	*root;
	const char		*email = NULL;
	char			 normalized[EMAIL_MAX * 3 + 1];
	char			 email_index[PII_INDEX_HEX_SIZE];
	char			 token[TOKEN_TEXT_LEN + 1];
	char			 hash_hex[TOKEN_HASH_HEX];
	char			 ttl[16];
	const char		*params[4];
	PGresult		*user = NULL;
	struct pw_user		 pu = { NULL, NULL };
	enum sscn_err		 err;

	json_reject_unknown(req->json, allowed, fields);
	json_get_string(req->json, "email", true, EMAIL_MAX, &email, fields);
	if ((err = api_validation_check(req, fields)) != SSCN_OK)
		return err;

	/* An invalid address gets the same response as an unknown one. */
	if (email_normalize(email, normalized, sizeof(normalized)) == 0) {
		if ((err = db_begin(&req->worker->db, req->request_id)) != SSCN_OK)
			return err;
		if ((err = api_email_index(req, normalized, email_index)) !=
		    SSCN_OK)
			goto rollback;
		params[0] = email_index;
		if ((err = api_db(req, "user_by_email", 1, params, &user)) !=
		    SSCN_OK)
			goto rollback;
		if (PQntuples(user) == 1) {
			const char *user_id = PQgetvalue(user, 0, 0);

			if ((err = pw_user_open(req, user_id, user, 1, 2,
			    &pu)) != SSCN_OK)
				goto rollback;

			token_generate(token, hash_hex);
			snprintf(ttl, sizeof(ttl), "%u", conf->reset_token_ttl);

			/* A newer token makes every older one useless. */
			params[0] = user_id;
			params[1] = "password_reset";
			if ((err = api_db(req, "token_expire_purpose", 2,
			    params, NULL)) == SSCN_OK) {
				params[0] = hash_hex;
				params[1] = user_id;
				params[2] = "password_reset";
				params[3] = ttl;
				err = api_db(req, "token_insert", 4, params, NULL);
			}
			if (err == SSCN_OK)
				err = pw_reset_mail(req, &pu, token);
			if (err == SSCN_OK)
				err = audit_write(req, NULL, NULL,
				    "auth.password_forgot", user_id, "success",
				    NULL);
			sodium_memzero(token, sizeof(token));
			if (err != SSCN_OK)
				goto rollback;
		}
		if ((err = db_commit(&req->worker->db, req->request_id)) !=
		    SSCN_OK)
			goto out;
	}

	root = json_object_new_object();
	json_object_object_add(root, "status", json_object_new_string(
	    "reset_sent_if_registered"));
	http_send_json(req, 202, root);
	json_object_put(root);
	err = SSCN_OK;
	goto out;

rollback:
	db_rollback(&req->worker->db, req->request_id);
out:
	pw_user_free(&pu);
	PQclear(user);
	return err;
}

enum sscn_err
auth_password_reset(struct http_request *req)
{
	static const char *const allowed[] = { "token", "new_password", NULL };
	struct json_object	*fields = json_object_new_object();
	const char		*token = NULL, *fresh = NULL;
	char			 hash_hex[TOKEN_HASH_HEX];
	char			 user_id[37];
	const char		*params[2];
	PGresult		*res = NULL, *user = NULL;
	struct pw_user		 pu = { NULL, NULL };
	enum sscn_err		 err;

	json_reject_unknown(req->json, allowed, fields);
	json_get_string(req->json, "token", true, 128, &token, fields);
	json_get_string(req->json, "new_password", true, 16384, &fresh, fields);
	if (json_object_object_length(fields) > 0)
		return api_validation_failed(req, fields);
	if (token_hash(token, hash_hex) == -1) {
		json_object_object_add(fields, "token", json_object_new_string(
		    "is invalid, used or expired"));
		return api_validation_failed(req, fields);
	}

	if ((err = db_begin(&req->worker->db, req->request_id)) != SSCN_OK) {
		json_object_put(fields);
		return err;
	}
	params[0] = hash_hex;
	params[1] = "password_reset";
	if ((err = api_db(req, "token_peek", 2, params, &res)) != SSCN_OK)
		goto rollback;
	if (PQntuples(res) != 1) {
		PQclear(res);
		db_rollback(&req->worker->db, req->request_id);
		json_object_object_add(fields, "token", json_object_new_string(
		    "is invalid, used or expired"));
		return api_validation_failed(req, fields);
	}
	snprintf(user_id, sizeof(user_id), "%s", PQgetvalue(res, 0, 0));
	PQclear(res);
	res = NULL;

	params[0] = user_id;
	if ((err = api_db(req, "user_password", 1, params, &user)) != SSCN_OK)
		goto rollback;
	if ((err = pw_user_open(req, user_id, user, PW_EMAIL, PW_NAME, &pu)) !=
	    SSCN_OK)
		goto rollback;
	if (pw_reject_weak(req, fresh, pu.email, pu.name, &err))
		goto rollback;

	params[0] = hash_hex;
	params[1] = "password_reset";
	if ((err = api_db(req, "token_consume", 2, params, &res)) != SSCN_OK)
		goto rollback;
	PQclear(res);
	params[0] = PQgetvalue(user, 0, PW_EMAIL_INDEX);
	if ((err = pw_store(req, user_id, fresh, NULL, "password_reset")) !=
	    SSCN_OK ||
	    (err = api_db(req, "login_clear", 1, params, NULL)) != SSCN_OK ||
	    (err = audit_write(req, user_id, NULL, "auth.password_reset",
	    user_id, "success", NULL)) != SSCN_OK ||
	    (err = pw_reset_done_mail(req, &pu)) != SSCN_OK ||
	    (err = db_commit(&req->worker->db, req->request_id)) != SSCN_OK)
		goto rollback;
	http_send_empty(req, 204);
	goto out;

rollback:
	db_rollback(&req->worker->db, req->request_id);
out:
	pw_user_free(&pu);
	PQclear(user);
	json_object_put(fields);
	return err;
}
