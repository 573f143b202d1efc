/*
 * auth_register.c - POST /api/v1/auth/register, /auth/verify-email and
 * /auth/password/check.
 *
 * Registration answers 202 for a new and for an existing address alike
 * and spends one Argon2id hash on both, so neither the answer nor its
 * timing tells whether an account exists.  The owner of an existing
 * address gets a mail instead of a second account.  Everything a
 * registration writes (user, organization, membership, acceptances,
 * verification token, mail, audit row) commits in one transaction.
 *
 * With an invitation_token the new account joins the inviting
 * organization in that transaction instead of creating one.  The token
 * is checked before the address, so the response is the same for a new
 * and for an existing account.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include <json-c/json.h>
#include <libpq-fe.h>
#include <sodium.h>

#include "sscn.h"
#include "mail_templates.h"
#include "api/orgs.h"
#include "auth/email.h"
#include "api/pii_fields.h"
#include "auth/password.h"
#include "auth/token.h"

/* Longest name of a person or an organization, in bytes. */
#define NAME_MAX_BYTES 200

/* True when "s" has no control character (names end up in mail). */
static bool
text_is_plain(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < ' ' || *s == 0x7f)
			return false;
	return true;
}

static void
check_name(struct json_object *fields, const char *field, const char *value)
{
	if (value != NULL && (*value == '\0' || !text_is_plain(value)))
		json_object_object_add(fields, field, json_object_new_string(
		    "must be 1 to 200 characters without control characters"));
}

/* Compare the accepted versions with the current terms and privacy. */
static enum sscn_err
check_legal_versions(struct http_request *req, const char *terms,
    const char *privacy, struct json_object *fields)
{
	PGresult	*res = NULL;
	enum sscn_err	 err;
	int		 i;

	err = db_exec(&req->worker->db, req->request_id, "legal_current", 0,
	    NULL, &res);
	if (err != SSCN_OK)
		return err;
	for (i = 0; i < PQntuples(res); i++) {
		const char *kind = PQgetvalue(res, i, 0);
		const char *current = PQgetvalue(res, i, 1);

		if (strcmp(kind, "terms") == 0 && strcmp(terms, current) != 0)
			json_object_object_add(fields, "accept_terms_version",
			    json_object_new_string("is not the current version"));
		if (strcmp(kind, "privacy") == 0 &&
		    strcmp(privacy, current) != 0)
			json_object_object_add(fields, "accept_privacy_version",
			    json_object_new_string("is not the current version"));
	}
	PQclear(res);
	return SSCN_OK;
}

/* Put the report's problem codes into "fields.password". */
static void
add_password_problems(struct json_object *fields,
    const struct password_report *report)
{
	char text[512];

	json_object_object_add(fields, "password", json_object_new_string(
	    password_report_join(report, text, sizeof(text))));
}

/* Queue the mail with the verification link that carries "token". */
static enum sscn_err
register_verify_mail(struct http_request *req, const char *email,
    const char *full_name, const char *token)
{
	unsigned		 ttl = req->worker->conf->verify_token_ttl;
	char			 validity[32];
	char			*link = outbox_link(req, "/verify-email#token=",
				    token);
	const struct mail_value	 values[] = {
		{ "name", full_name },
		{ "validity", validity },
		{ "link", link },
		{ NULL, NULL }
	};
	enum sscn_err		 err;

	if (link == NULL)
		return SSCN_ERR_INTERNAL;
	if (ttl >= 7200)
		snprintf(validity, sizeof(validity), "%u hours", ttl / 3600);
	else
		snprintf(validity, sizeof(validity), "%u minutes",
		    (ttl + 59) / 60);
	err = outbox_queue_template(req, email, "verify_email", values);
	mail_text_free(link);
	return err;
}

/*
 * The new-account path; runs inside the caller's transaction.  With
 * "inv" the user joins that organization; else a new one is created.
 */
static enum sscn_err
register_new_user(struct http_request *req, const char *user_id,
    const char *email, const char *full_name, const char *org_name,
    const char *org_kind, const char *terms, const char *privacy,
    const struct org_invitation *inv)
{
	const struct sscn_conf	*conf = req->worker->conf;
	char			 org_id[37];
	char			 token[TOKEN_TEXT_LEN + 1];
	char			 token_hash_hex[TOKEN_HASH_HEX];
	char			 ttl[16];
	const char		*params[4];
	struct json_object	*details;
	enum sscn_err		 err;

	token_random_uuid(org_id);
	params[0] = user_id;
	if ((err = api_db(req, "set_user_context", 1, params, NULL)) != SSCN_OK)
		return err;

	if (inv != NULL) {
		snprintf(org_id, sizeof(org_id), "%s", inv->organization_id);
		if ((err = org_invitation_use(req, user_id, inv)) != SSCN_OK)
			return err;
	} else {
		params[0] = org_id;
		params[1] = org_kind;
		params[2] = org_name;
		if ((err = api_db(req, "organization_insert", 3, params,
		    NULL)) != SSCN_OK)
			return err;
		params[1] = user_id;
		params[2] = "owner";
		if ((err = api_db(req, "membership_insert", 3, params,
		    NULL)) != SSCN_OK)
			return err;
	}

	if ((err = api_legal_accept(req, user_id, "terms", terms)) != SSCN_OK ||
	    (err = api_legal_accept(req, user_id, "privacy", privacy)) !=
	    SSCN_OK)
		return err;

	token_generate(token, token_hash_hex);
	snprintf(ttl, sizeof(ttl), "%u", conf->verify_token_ttl);
	params[0] = token_hash_hex;
	params[1] = user_id;
	params[2] = "verify_email";
	params[3] = ttl;
	if ((err = api_db(req, "token_insert", 4, params, NULL)) != SSCN_OK)
		goto out;

	if ((err = register_verify_mail(req, email, full_name, token)) !=
	    SSCN_OK)
		goto out;

	details = json_object_new_object();
	if (inv != NULL)
		json_object_object_add(details, "invitation",
		    json_object_new_string(inv->id));
	else
		json_object_object_add(details, "organization_kind",
		    json_object_new_string(org_kind));
	err = audit_write(req, user_id, org_id, "auth.register", user_id,
	    "success", details);
	json_object_put(details);
out:
	sodium_memzero(token, sizeof(token));
	return err;
}

/* Queue the mail that tells "name" someone tried to register again. */
static enum sscn_err
register_existing_mail(struct http_request *req, const char *email,
    const char *name)
{
	const struct mail_value values[] = {
		{ "name", name },
		{ "site_url", req->worker->conf->base_url },
		{ NULL, NULL }
	};

	return outbox_queue_template(req, email, "register_existing", values);
}

/* The address is taken: tell its owner, create nothing. */
static enum sscn_err
register_existing_user(struct http_request *req, const char *email_index)
{
	const char	*params[1] = { email_index };
	PGresult	*res = NULL;
	char		*email = NULL, *name = NULL;
	enum sscn_err	 err;

	err = db_exec(&req->worker->db, req->request_id, "user_by_email", 1,
	    params, &res);
	if (err != SSCN_OK || PQntuples(res) != 1) {
		PQclear(res);
		return err;
	}
	if ((err = api_pii_open(req, PII_USERS_EMAIL, PQgetvalue(res, 0, 0),
	    res, 0, 1, &email)) != SSCN_OK ||
	    (err = api_pii_open(req, PII_USERS_FULL_NAME,
	    PQgetvalue(res, 0, 0), res, 0, 2, &name)) != SSCN_OK)
		goto out;
	err = register_existing_mail(req, email, name);
	if (err == SSCN_OK)
		err = audit_write(req, NULL, NULL, "auth.register",
		    PQgetvalue(res, 0, 0), "failure", NULL);
out:
	pii_free(email);
	pii_free(name);
	PQclear(res);
	return err;
}

enum sscn_err
auth_register(struct http_request *req)
{
	static const char *const allowed[] = { "email", "password",
	    "full_name", "organization_name", "organization_kind",
	    "accept_terms_version", "accept_privacy_version",
	    "invitation_token", NULL };
	struct worker		*w = req->worker;
	struct json_object	*fields = json_object_new_object();
	struct json_object	*root;
	struct password_report	 report;
	const char		*email = NULL, *password = NULL;
	const char		*full_name = NULL, *org_name = NULL;
	const char		*org_kind = NULL, *terms = NULL, *privacy = NULL;
	const char		*invitation = NULL;
	struct org_invitation	 inv;
	char			 normalized[EMAIL_MAX * 3 + 1];
	char			 email_index[PII_INDEX_HEX_SIZE];
	char			*sealed_email = NULL, *sealed_name = NULL;
	char			 hash[PASSWORD_HASH_SIZE];
	char			 user_id[37];
	const char		*params[5];
	PGresult		*res = NULL;
	enum sscn_err		 err;
	bool			 created;

	json_reject_unknown(req->json, allowed, fields);
	json_get_string(req->json, "email", true, EMAIL_MAX, &email, fields);
	json_get_string(req->json, "password", true, 4096, &password, fields);
	json_get_string(req->json, "full_name", true, NAME_MAX_BYTES,
	    &full_name, fields);
	json_get_string(req->json, "invitation_token", false, 128, &invitation,
	    fields);
	json_get_string(req->json, "organization_name", invitation == NULL,
	    NAME_MAX_BYTES, &org_name, fields);
	json_get_string(req->json, "organization_kind", invitation == NULL, 16,
	    &org_kind, fields);
	if (invitation != NULL && (org_name != NULL || org_kind != NULL))
		json_object_object_add(fields, org_name != NULL ?
		    "organization_name" : "organization_kind",
		    json_object_new_string("must not be sent with an "
		    "invitation_token"));
	json_get_string(req->json, "accept_terms_version", true, 32, &terms,
	    fields);
	json_get_string(req->json, "accept_privacy_version", true, 32,
	    &privacy, fields);
	if (email != NULL && email_normalize(email, normalized,
	    sizeof(normalized)) == -1)
		json_object_object_add(fields, "email",
		    json_object_new_string("is not a valid e-mail address"));
	check_name(fields, "full_name", full_name);
	check_name(fields, "organization_name", org_name);
	if (org_kind != NULL && strcmp(org_kind, "buyer") != 0 &&
	    strcmp(org_kind, "supplier") != 0)
		json_object_object_add(fields, "organization_kind",
		    json_object_new_string("must be buyer or supplier"));
	if (json_object_object_length(fields) > 0)
		return api_validation_failed(req, fields);

	err = check_legal_versions(req, terms, privacy, fields);
	if (err != SSCN_OK) {
		json_object_put(fields);
		return err;
	}
	if (json_object_object_length(fields) > 0)
		return api_validation_failed(req, fields);

	if (password_check(w->password_policy, w->common_passwords, password,
	    email, full_name, &report) == -1) {
		json_object_put(fields);
		return SSCN_ERR_INTERNAL;
	}
	if (!report.acceptable) {
		add_password_problems(fields, &report);
		http_send_error(req, 400, "weak_password", "The password does "
		    "not meet the password policy; see fields.password.",
		    fields);
		return SSCN_OK;
	}
	json_object_put(fields);

	/* Hashed for new and existing addresses alike: equal timing. */
	if (password_hash(w->password_policy, password, hash) == -1)
		return SSCN_ERR_INTERNAL;

	token_random_uuid(user_id);
	if ((err = api_email_index(req, email, email_index)) != SSCN_OK ||
	    (err = api_pii_seal(req, PII_USERS_EMAIL, user_id, email,
	    &sealed_email)) != SSCN_OK ||
	    (err = api_pii_seal(req, PII_USERS_FULL_NAME, user_id, full_name,
	    &sealed_name)) != SSCN_OK)
		goto out;
	if ((err = db_begin(&w->db, req->request_id)) != SSCN_OK)
		goto out;
	if (invitation != NULL) {
		err = org_invitation_find(req, invitation, email_index, &inv);
		if (err == SSCN_ERR_NOT_FOUND) {
			db_rollback(&w->db, req->request_id);
			fields = json_object_new_object();
			json_object_object_add(fields, "invitation_token",
			    json_object_new_string("is invalid, used or "
			    "expired, or was sent to another address"));
			err = api_validation_failed(req, fields);
			goto out;
		}
		if (err != SSCN_OK)
			goto rollback;
	}
	params[0] = user_id;
	params[1] = email_index;
	params[2] = sealed_email;
	params[3] = sealed_name;
	params[4] = hash;
	err = db_exec(&w->db, req->request_id, "user_insert", 5, params, &res);
	if (err != SSCN_OK)
		goto rollback;
	created = PQntuples(res) == 1;
	PQclear(res);

	err = created ? register_new_user(req, user_id, email, full_name,
	    org_name, org_kind, terms, privacy,
	    invitation != NULL ? &inv : NULL) :
	    register_existing_user(req, email_index);
	if (err != SSCN_OK)
		goto rollback;
	if ((err = db_commit(&w->db, req->request_id)) != SSCN_OK)
		goto out;

	if (created)
		snprintf(req->user_id, sizeof(req->user_id), "%s", user_id);
	root = json_object_new_object();
	json_object_object_add(root, "status",
	    json_object_new_string("verification_sent"));
	http_send_json(req, 202, root);
	json_object_put(root);
	goto out;

rollback:
	db_rollback(&w->db, req->request_id);
out:
	free(sealed_email);
	free(sealed_name);
	sodium_memzero(hash, sizeof(hash));
	return err;
}

enum sscn_err
auth_verify_email(struct http_request *req)
{
	static const char *const allowed[] = { "token", NULL };
	struct json_object	*fields = json_object_new_object();
	struct json_object	*root;
	const char		*token = NULL;
	char			 hash_hex[TOKEN_HASH_HEX];
	char			 user_id[37];
	const char		*params[2];
	PGresult		*res = NULL;
	enum sscn_err		 err;

	json_reject_unknown(req->json, allowed, fields);
	json_get_string(req->json, "token", true, 128, &token, fields);
	if (json_object_object_length(fields) > 0)
		return api_validation_failed(req, fields);
	if (token_hash(token, hash_hex) == -1) {
		json_object_object_add(fields, "token", json_object_new_string(
		    "is invalid, used or expired"));
		return api_validation_failed(req, fields);
	}

	if ((err = db_begin(&req->worker->db, req->request_id)) != SSCN_OK)
		goto out;
	params[0] = hash_hex;
	params[1] = "verify_email";
	err = db_exec(&req->worker->db, req->request_id, "token_consume", 2,
	    params, &res);
	if (err != SSCN_OK)
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

	params[0] = user_id;
	err = db_exec(&req->worker->db, req->request_id, "user_verify_email",
	    1, params, &res);
	PQclear(res);
	if (err == SSCN_OK)
		err = audit_write(req, user_id, NULL, "auth.verify_email",
		    user_id, "success", NULL);
	if (err != SSCN_OK)
		goto rollback;
	if ((err = db_commit(&req->worker->db, req->request_id)) != SSCN_OK)
		goto out;

	root = json_object_new_object();
	json_object_object_add(root, "status", json_object_new_string("verified"));
	http_send_json(req, 200, root);
	json_object_put(root);
	goto out;
rollback:
	db_rollback(&req->worker->db, req->request_id);
out:
	json_object_put(fields);
	return err;
}

enum sscn_err
auth_password_check(struct http_request *req)
{
	static const char *const allowed[] = { "password", "email",
	    "full_name", NULL };
	struct json_object	*fields = json_object_new_object();
	struct json_object	*root, *problems;
	struct password_report	 report;
	const char		*password = NULL, *email = NULL, *name = NULL;
	size_t			 i;
	enum sscn_err		 err;

	json_reject_unknown(req->json, allowed, fields);
	json_get_string(req->json, "password", true, 4096, &password, fields);
	json_get_string(req->json, "email", false, EMAIL_MAX, &email, fields);
	json_get_string(req->json, "full_name", false, NAME_MAX_BYTES, &name,
	    fields);
	if ((err = api_validation_check(req, fields)) != SSCN_OK)
		return err;

	if (password_check(req->worker->password_policy,
	    req->worker->common_passwords, password, email, name,
	    &report) == -1)
		return SSCN_ERR_INTERNAL;

	root = json_object_new_object();
	problems = json_object_new_array();
	for (i = 0; i < report.nproblems; i++)
		json_object_array_add(problems,
		    json_object_new_string(report.problems[i]));
	json_object_object_add(root, "score",
	    json_object_new_int(report.score < 0 ? 0 : report.score));
	json_object_object_add(root, "acceptable",
	    json_object_new_boolean(report.acceptable));
	json_object_object_add(root, "problems", problems);
	http_send_json(req, 200, root);
	json_object_put(root);
	return SSCN_OK;
}
