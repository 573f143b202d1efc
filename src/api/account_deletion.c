/*
 * account_deletion.c - POST /api/v1/data/delete-account and its cancel.
 *
 * A request confirmed with the password, and the TOTP code when MFA is
 * on, schedules the account for deletion deletion_grace seconds ahead,
 * revokes every session of the user and mails a confirmation.  The user
 * may log in again until that time, reads the date in GET /api/v1/me
 * (deletion_scheduled_for) and may cancel.  From that time on the account
 * cannot log in, and "sscnctl purge" (ctl/purge.c) erases its personal
 * data.
 *
 * A user who is the only owner of an organization with other members is
 * refused with 409 until another member is made owner, so no
 * organization is left without an owner by surprise.
 *
 * A wrong password or code counts toward the login lock like a wrong
 * login (auth_mfa.c) and is audited as account.delete_request failure.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include <json-c/json.h>
#include <libpq-fe.h>

#include "sscn.h"
#include "mail_templates.h"
#include "api/account_deletion.h"
#include "api/auth_mfa.h"
#include "api/pii_fields.h"

/* Column of "deletion_account" after those of "mfa_user". */
#define DELETION_U_SCHEDULED (MFA_U_PENDING + 1)

/*
 * Audit a rejected request in a transaction of its own, after the caller
 * rolled its own back.  "reason" goes into the details.
 */
static enum sscn_err
deletion_audit_rejection(struct http_request *req, const char *result,
    const char *reason)
{
	struct json_object	*details = json_object_new_object();
	enum sscn_err		 err;

	json_object_object_add(details, "reason", json_object_new_string(reason));
	if ((err = db_begin(&req->worker->db, req->request_id)) == SSCN_OK) {
		err = audit_write(req, req->user_id, NULL,
		    "account.delete_request", req->user_id, result, details);
		if (err == SSCN_OK)
			err = db_commit(&req->worker->db, req->request_id);
		else
			db_rollback(&req->worker->db, req->request_id);
	}
	json_object_put(details);
	return err;
}

/*
 * Check the password and, when MFA is on, the code of the account in
 * "user".  On a wrong one: roll back, count the failure toward the login
 * lock, audit it, send 401 and set "*refused".
 */
static enum sscn_err
deletion_confirm(struct http_request *req, PGresult *user,
    const char *password, const char *code, bool *refused)
{
	enum totp_result	 result = TOTP_OK;
	const char		*reason;
	enum sscn_err		 err;
	bool			 ok;

	*refused = false;
	if ((err = mfa_check_password(req, user, password, &ok)) != SSCN_OK)
		return err;
	if (ok && !PQgetisnull(user, 0, MFA_U_SECRET) &&
	    (err = mfa_check_totp(req, req->user_id, PQgetvalue(user, 0,
	    MFA_U_SECRET), PQgetvalue(user, 0, MFA_U_STEP), code, &result)) !=
	    SSCN_OK)
		return err;
	if (ok && result == TOTP_OK)
		return SSCN_OK;

	*refused = true;
	reason = !ok ? "wrong_password" : result == TOTP_REPLAY ?
	    "totp_replay" : "totp_invalid";
	db_rollback(&req->worker->db, req->request_id);
	if ((err = mfa_count_failure(req, user, reason)) != SSCN_OK ||
	    (err = deletion_audit_rejection(req, "failure", reason)) != SSCN_OK)
		return err;
	if (!ok)
		http_send_error(req, 401, "invalid_credentials",
		    "The password is wrong.", NULL);
	else
		http_send_error(req, 401, "mfa_invalid", "The code is wrong, "
		    "expired or already used.", NULL);
	return SSCN_OK;
}

/*
 * Reject the request of a sole owner with 409, audited as denied.  The
 * contract keeps "fields" for validation errors, so the body does not
 * list the organizations; GET /api/v1/me/organizations shows the roles.
 */
static enum sscn_err
deletion_reject_sole_owner(struct http_request *req)
{
	enum sscn_err err;

	db_rollback(&req->worker->db, req->request_id);
	if ((err = deletion_audit_rejection(req, "denied", "sole_owner")) !=
	    SSCN_OK)
		return err;
	http_send_error(req, 409, "conflict", "You are the only owner of an "
	    "organization with other members; make another member owner "
	    "first.", NULL);
	return SSCN_OK;
}

/*
 * True when the caller is a platform admin and no other active admin
 * would remain: SSCN would then have nobody to unlock accounts, answer
 * incidents or create the next admin.
 */
static enum sscn_err
deletion_last_admin(struct http_request *req, PGresult *user, bool *last)
{
	const char	*params[1] = { req->user_id };
	PGresult	*res = NULL;
	enum sscn_err	 err;

	*last = false;
	if (strcmp(PQgetvalue(user, 0, MFA_U_ADMIN), "t") != 0)
		return SSCN_OK;
	if ((err = api_db(req, "deletion_other_admins", 1, params, &res)) !=
	    SSCN_OK)
		return err;
	*last = strcmp(PQgetvalue(res, 0, 0), "0") == 0;
	PQclear(res);
	return SSCN_OK;
}

/* Reject the request of the last platform admin with 409, audited. */
static enum sscn_err
deletion_reject_last_admin(struct http_request *req)
{
	enum sscn_err err;

	db_rollback(&req->worker->db, req->request_id);
	if ((err = deletion_audit_rejection(req, "denied", "last_admin")) !=
	    SSCN_OK)
		return err;
	http_send_error(req, 409, "conflict", "You are the last platform "
	    "administrator; create another administrator with sscnctl "
	    "create-admin first.", NULL);
	return SSCN_OK;
}

/*
 * Queue the mail "template" with "values" to the user "user_id" whose
 * sealed address is column "col" of row 0 of "res", in the caller's
 * transaction.
 */
static enum sscn_err
deletion_mail(struct http_request *req, const char *user_id, PGresult *res,
    int col, const char *template, const struct mail_value *values)
{
	enum sscn_err	 err;
	char		*email;

	err = api_pii_open(req, PII_USERS_EMAIL, user_id, res, 0, col, &email);
	if (err != SSCN_OK)
		return err;
	if (email == NULL) {
		log_error(req->request_id, "deletion_mail_failed",
		    "user_id=%s reason=\"account has no address\"", user_id);
		return SSCN_ERR_INTERNAL;
	}
	err = outbox_queue_template(req, email, template, values);
	pii_free(email);
	return err;
}

/* Schedule the deletion, revoke the sessions, mail and audit; commits. */
static enum sscn_err
deletion_schedule(struct http_request *req, PGresult *user)
{
	const struct sscn_conf	*conf = req->worker->conf;
	struct json_object	*root, *details;
	const char		*params[3];
	char			 grace[16], deletion_date[64];
	const struct mail_value	 values[] = {
		{ "deletion_date", deletion_date },
		{ "site_url", conf->base_url },
		{ NULL, NULL }
	};
	PGresult		*res = NULL;
	enum sscn_err		 err;

	snprintf(grace, sizeof(grace), "%u", conf->deletion_grace);
	params[0] = req->user_id;
	params[1] = grace;
	if ((err = api_db(req, "deletion_schedule", 2, params, &res)) !=
	    SSCN_OK)
		return api_rollback(req, err);
	if (PQntuples(res) != 1) {
		PQclear(res);
		return api_rollback(req, SSCN_ERR_CONFLICT);
	}
	root = json_object_new_object();
	json_object_object_add(root, "scheduled_for",
	    api_json_text(res, 0, 0));
	snprintf(deletion_date, sizeof(deletion_date), "%s",
	    PQgetvalue(res, 0, 0));
	PQclear(res);

	params[1] = NULL;
	params[2] = "account_deletion";
	details = json_object_new_object();
	json_object_object_add(details, "scheduled_for", json_object_get(
	    json_object_object_get(root, "scheduled_for")));
	if ((err = api_db(req, "session_revoke_others", 3, params, NULL)) !=
	    SSCN_OK ||
	    (err = deletion_mail(req, req->user_id, user, MFA_U_EMAIL,
	    "account_deletion_scheduled", values)) != SSCN_OK ||
	    (err = audit_write(req, req->user_id, NULL,
	    "account.delete_request", req->user_id, "success", details)) !=
	    SSCN_OK) {
		json_object_put(details);
		json_object_put(root);
		return api_rollback(req, err);
	}
	json_object_put(details);
	return api_commit_send(req, 202, root);
}

/* POST /api/v1/data/delete-account {"password", "code"} */
enum sscn_err
account_delete_request(struct http_request *req)
{
	static const char *const allowed[] = { "password", "code", NULL };
	struct json_object	*fields = json_object_new_object();
	const char		*password = NULL, *code = NULL;
	const char		*params[1];
	PGresult		*user = NULL, *orgs = NULL;
	enum sscn_err		 err;
	bool			 refused, last_admin;

	json_reject_unknown(req->json, allowed, fields);
	json_get_string(req->json, "password", true, 16384, &password, fields);
	json_get_string(req->json, "code", false, 16, &code, fields);
	if ((err = authn_require_valid(req, fields)) != SSCN_OK)
		return err;
	if ((err = authn_begin(req)) != SSCN_OK)
		return err;
	if (req->worker->keys == NULL)
		return api_rollback(req, SSCN_ERR_UNAVAILABLE);

	params[0] = req->user_id;
	if ((err = api_db(req, "deletion_account", 1, params, &user)) !=
	    SSCN_OK)
		return api_rollback(req, err);
	if (PQntuples(user) != 1) {
		err = api_rollback(req, SSCN_ERR_NOT_FOUND);
		goto out;
	}
	if (strcmp(PQgetvalue(user, 0, DELETION_U_SCHEDULED), "t") == 0) {
		db_rollback(&req->worker->db, req->request_id);
		http_send_error(req, 409, "conflict", "The account is already "
		    "scheduled for deletion.", NULL);
		goto out;
	}
	if (code == NULL && !PQgetisnull(user, 0, MFA_U_SECRET)) {
		db_rollback(&req->worker->db, req->request_id);
		fields = json_object_new_object();
		json_object_object_add(fields, "code", json_object_new_string(
		    "is required when multi-factor authentication is on"));
		err = api_validation_failed(req, fields);
		goto out;
	}

	if ((err = deletion_confirm(req, user, password, code, &refused)) !=
	    SSCN_OK || refused) {
		if (err != SSCN_OK)
			db_rollback(&req->worker->db, req->request_id);
		goto out;
	}

	if ((err = api_db(req, "deletion_blocking_orgs", 0, NULL, &orgs)) !=
	    SSCN_OK) {
		err = api_rollback(req, err);
		goto out;
	}
	if (PQntuples(orgs) > 0) {
		err = deletion_reject_sole_owner(req);
		goto out;
	}
	if ((err = deletion_last_admin(req, user, &last_admin)) != SSCN_OK) {
		err = api_rollback(req, err);
		goto out;
	}
	if (last_admin) {
		err = deletion_reject_last_admin(req);
		goto out;
	}
	err = deletion_schedule(req, user);
out:
	PQclear(orgs);
	PQclear(user);
	return err;
}

/* POST /api/v1/data/delete-account/cancel */
enum sscn_err
account_delete_cancel(struct http_request *req)
{
	static const struct mail_value	 no_values[] = { { NULL, NULL } };
	const char			*params[1];
	PGresult			*res = NULL;
	enum sscn_err			 err;

	if ((err = authn_require(req)) != SSCN_OK)
		return err;
	if ((err = authn_begin(req)) != SSCN_OK)
		return err;

	params[0] = req->user_id;
	if ((err = api_db(req, "deletion_cancel", 1, params, &res)) != SSCN_OK)
		return api_rollback(req, err);
	if (PQntuples(res) != 1) {
		PQclear(res);
		db_rollback(&req->worker->db, req->request_id);
		http_send_error(req, 409, "conflict", "No deletion of the "
		    "account is scheduled.", NULL);
		return SSCN_OK;
	}
	err = deletion_mail(req, req->user_id, res, 0,
	    "account_deletion_cancelled", no_values);
	PQclear(res);
	if (err == SSCN_OK)
		err = audit_write(req, req->user_id, NULL,
		    "account.delete_cancel", req->user_id, "success", NULL);
	if (err != SSCN_OK)
		return api_rollback(req, err);
	if ((err = db_commit(&req->worker->db, req->request_id)) != SSCN_OK)
		return api_rollback(req, err);
	http_send_empty(req, 204);
	return SSCN_OK;
}
