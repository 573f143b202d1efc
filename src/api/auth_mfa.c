/*
 * auth_mfa.c - TOTP multi-factor authentication (RFC 6238) and recovery
 * codes.
 *
 * Secrets are 160 bits from the CSPRNG, stored encrypted with
 * AES-256-GCM (crypto/fieldcrypt.c) bound by the additional data to the
 * user and column, so a ciphertext cannot be copied to another account.
 * A code is accepted once: the accepted time step is stored with an
 * update that succeeds only for a newer step, so two workers cannot both
 * accept one code.  Recovery codes are shown once, stored as keyed
 * BLAKE2b hashes with a random 16-byte salt each, and consumed with an
 * update that succeeds once.  Wrong codes count toward the login lock.
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
#include "api/auth_mfa.h"
#include "api/auth_session.h"
#include "auth/password.h"
#include "auth/qr.h"
#include "auth/recovery_code.h"
#include "auth/token.h"
#include "auth/totp.h"
#include "crypto/fieldcrypt.h"
#include "api/pii_fields.h"

#define MFA_SALT_LEN	RECOVERY_CODE_SALT_LEN
#define MFA_HASH_LEN	RECOVERY_CODE_HASH_LEN
#define MFA_ISSUER	"SSCN"

/* Write "len" bytes as PostgreSQL bytea input ("\x" and hex). */
static char *
mfa_bytea_hex(const unsigned char *bytes, size_t len)
{
	char *text = malloc(2 * len + 3);

	if (text == NULL)
		return NULL;
	text[0] = '\\';
	text[1] = 'x';
	sodium_bin2hex(text + 2, 2 * len + 1, bytes, len);
	return text;
}

/* Decode a bytea column in hex output form into a new buffer. */
static unsigned char *
mfa_bytea_decode(const char *text, size_t *len)
{
	size_t		 hexlen;
	unsigned char	*bytes;

	if (strncmp(text, "\\x", 2) != 0)
		return NULL;
	hexlen = strlen(text + 2);
	bytes = malloc(hexlen / 2 + 1);
	if (bytes == NULL || sodium_hex2bin(bytes, hexlen / 2 + 1, text + 2,
	    hexlen, NULL, len, NULL) != 0) {
		free(bytes);
		return NULL;
	}
	return bytes;
}

/* Additional data that binds a secret to its user and column. */
static void
mfa_aad(char *aad, size_t aadlen, const char *column, const char *user_id)
{
	snprintf(aad, aadlen, "sscn.users.%s:%s", column, user_id);
}

static enum sscn_err
mfa_encrypt_secret(struct http_request *req, const char *column,
    const char *user_id, const unsigned char *secret, char **hex)
{
	unsigned char	*sealed = NULL;
	size_t		 sealedlen = 0;
	char		 aad[96];

	mfa_aad(aad, sizeof(aad), column, user_id);
	if (fieldcrypt_encrypt(req->worker->keys, secret, TOTP_SECRET_LEN, aad,
	    strlen(aad), &sealed, &sealedlen) != FIELDCRYPT_OK) {
		log_error(req->request_id, "mfa_encrypt_failed", "user_id=%s",
		    user_id);
		return SSCN_ERR_INTERNAL;
	}
	*hex = mfa_bytea_hex(sealed, sealedlen);
	free(sealed);
	return *hex != NULL ? SSCN_OK : SSCN_ERR_INTERNAL;
}

/* Decrypt a stored secret; "secret" receives TOTP_SECRET_LEN bytes. */
static enum sscn_err
mfa_decrypt_secret(struct http_request *req, const char *column,
    const char *user_id, const char *stored, unsigned char *secret)
{
	unsigned char	*sealed, *plain = NULL;
	size_t		 sealedlen = 0, plainlen = 0;
	char		 aad[96];
	enum fieldcrypt_status status;

	sealed = mfa_bytea_decode(stored, &sealedlen);
	if (sealed == NULL)
		return SSCN_ERR_INTERNAL;
	mfa_aad(aad, sizeof(aad), column, user_id);
	status = fieldcrypt_decrypt(req->worker->keys, sealed, sealedlen, aad,
	    strlen(aad), &plain, &plainlen);
	free(sealed);
	if (status != FIELDCRYPT_OK || plainlen != TOTP_SECRET_LEN) {
		if (plain != NULL)
			fieldcrypt_free_plain(plain, plainlen);
		log_error(req->request_id, "mfa_decrypt_failed", "user_id=%s "
		    "reason=\"%s\"", user_id, fieldcrypt_status_str(status));
		return SSCN_ERR_INTERNAL;
	}
	memcpy(secret, plain, TOTP_SECRET_LEN);
	fieldcrypt_free_plain(plain, plainlen);
	return SSCN_OK;
}

/*
 * Replace the user's recovery codes with 10 new ones, inside the caller's
 * transaction, and add them to "array".
 */
static enum sscn_err
mfa_new_recovery_codes(struct http_request *req, const char *user_id,
    struct json_object *array)
{
	char		 codes[RECOVERY_CODE_COUNT][RECOVERY_CODE_SIZE];
	unsigned char	 salt[MFA_SALT_LEN], hash[MFA_HASH_LEN];
	const char	*params[3];
	char		*salt_hex, *hash_hex;
	enum sscn_err	 err;
	int		 i;

	params[0] = user_id;
	if ((err = api_db(req, "recovery_delete", 1, params, NULL)) != SSCN_OK)
		return err;

	recovery_code_generate(codes);
	for (i = 0; i < RECOVERY_CODE_COUNT && err == SSCN_OK; i++) {
		randombytes_buf(salt, sizeof(salt));
		if (recovery_code_hash(codes[i], salt, hash) == -1) {
			err = SSCN_ERR_INTERNAL;
			break;
		}
		salt_hex = mfa_bytea_hex(salt, sizeof(salt));
		hash_hex = mfa_bytea_hex(hash, sizeof(hash));
		params[1] = salt_hex;
		params[2] = hash_hex;
		err = salt_hex && hash_hex ? api_db(req, "recovery_insert", 3,
		    params, NULL) : SSCN_ERR_INTERNAL;
		free(salt_hex);
		free(hash_hex);
		json_object_array_add(array, json_object_new_string(codes[i]));
	}
	sodium_memzero(codes, sizeof(codes));
	return err;
}

/*
 * Try "code" against the user's unused recovery codes and consume the one
 * that matches.  Sets "*used" when one did.
 */
static enum sscn_err
mfa_use_recovery_code(struct http_request *req, const char *user_id,
    const char *code, bool *used)
{
	unsigned char	 hash[MFA_HASH_LEN];
	const char	*params[2];
	PGresult	*res = NULL, *upd = NULL;
	enum sscn_err	 err;
	int		 i;

	*used = false;
	params[0] = user_id;
	if ((err = api_db(req, "recovery_unused", 1, params, &res)) != SSCN_OK)
		return err;

	for (i = 0; i < PQntuples(res) && !*used; i++) {
		unsigned char	*salt, *stored;
		size_t		 saltlen = 0, storedlen = 0;

		salt = mfa_bytea_decode(PQgetvalue(res, i, 0), &saltlen);
		stored = mfa_bytea_decode(PQgetvalue(res, i, 1), &storedlen);
		if (salt != NULL && stored != NULL && saltlen == MFA_SALT_LEN &&
		    storedlen == MFA_HASH_LEN &&
		    recovery_code_hash(code, salt, hash) == 0) {
			if (sodium_memcmp(hash, stored, MFA_HASH_LEN) == 0) {
				params[1] = PQgetvalue(res, i, 1);
				err = api_db(req, "recovery_use", 2, params,
				    &upd);
				*used = err == SSCN_OK && PQntuples(upd) == 1;
				PQclear(upd);
			}
		}
		free(salt);
		free(stored);
	}
	PQclear(res);
	sodium_memzero(hash, sizeof(hash));
	return err;
}

enum sscn_err
mfa_check_totp(struct http_request *req, const char *user_id,
    const char *stored_secret, const char *last_step_text, const char *code,
    enum totp_result *result)
{
	unsigned char	 secret[TOTP_SECRET_LEN];
	int64_t		 last_step = -1, step = 0;
	char		 step_text[24];
	const char	*params[2];
	PGresult	*res = NULL;
	enum sscn_err	 err;

	if (last_step_text != NULL && *last_step_text != '\0')
		last_step = strtoll(last_step_text, NULL, 10);
	err = mfa_decrypt_secret(req, "totp_secret", user_id, stored_secret,
	    secret);
	if (err != SSCN_OK)
		return err;
	*result = totp_verify(secret, sizeof(secret), code, authn_now(),
	    last_step, &step);
	sodium_memzero(secret, sizeof(secret));
	if (*result != TOTP_OK)
		return SSCN_OK;

	/* Only a newer step wins, so a concurrent replay fails here. */
	snprintf(step_text, sizeof(step_text), "%lld", (long long)step);
	params[0] = user_id;
	params[1] = step_text;
	if ((err = api_db(req, "totp_set_step", 2, params, &res)) != SSCN_OK)
		return err;
	if (PQntuples(res) != 1)
		*result = TOTP_REPLAY;
	PQclear(res);
	return SSCN_OK;
}

static enum sscn_err
mfa_invalid(struct http_request *req)
{
	http_send_error(req, 401, "mfa_invalid", "The code is wrong, expired "
	    "or already used.", NULL);
	return SSCN_OK;
}

static enum sscn_err
mfa_load_user(struct http_request *req, const char *user_id, PGresult **res)
{
	const char *params[1] = { user_id };

	return api_db(req, "mfa_user", 1, params, res);
}

/* Decrypt the e-mail address of the "mfa_user" row in "user". */
static enum sscn_err
mfa_user_email(struct http_request *req, PGresult *user, char **email)
{
	return api_pii_open(req, PII_USERS_EMAIL, PQgetvalue(user, 0, MFA_U_ID),
	    user, 0, MFA_U_EMAIL, email);
}

/*
 * Queue the notice "template", which has no placeholders, to the user of
 * "user", in the caller's transaction.
 */
static enum sscn_err
mfa_queue_notice(struct http_request *req, PGresult *user,
    const char *template)
{
	static const struct mail_value	 no_values[] = { { NULL, NULL } };
	enum sscn_err			 err;
	char				*email;

	if ((err = mfa_user_email(req, user, &email)) != SSCN_OK)
		return err;
	err = outbox_queue_template(req, email, template, no_values);
	pii_free(email);
	return err;
}

/* POST /api/v1/auth/mfa/verify: the second step of a login. */
enum sscn_err
auth_mfa_verify(struct http_request *req)
{
	static const char *const allowed_fields[] = { "mfa_token", "code",
	    "recovery_code", NULL };
	struct json_object	*fields = json_object_new_object();
	struct json_object	*details;
	struct session_account	 acct;
	struct login_account	 account;
	const char		*mfa_token = NULL, *code = NULL, *recovery = NULL;
	char			 hash_hex[TOKEN_HASH_HEX];
	char			 user_id[37], email_index[PII_INDEX_HEX_SIZE];
	const char		*params[2];
	const char		*reason = NULL;
	PGresult		*res = NULL, *user = NULL;
	enum totp_result	 result = TOTP_INVALID;
	enum sscn_err		 err;
	bool			 allowed, used = false;

	json_reject_unknown(req->json, allowed_fields, fields);
	json_get_string(req->json, "mfa_token", true, 128, &mfa_token, fields);
	json_get_string(req->json, "code", false, 16, &code, fields);
	json_get_string(req->json, "recovery_code", false, 64, &recovery,
	    fields);
	if ((code == NULL) == (recovery == NULL))
		json_object_object_add(fields, "code", json_object_new_string(
		    "give exactly one of code and recovery_code"));
	if ((err = api_validation_check(req, fields)) != SSCN_OK)
		return err;
	if (req->worker->keys == NULL)
		return SSCN_ERR_UNAVAILABLE;
	if (token_hash(mfa_token, hash_hex) == -1)
		return mfa_invalid(req);

	params[0] = hash_hex;
	params[1] = "mfa";
	if ((err = api_db(req, "token_peek", 2, params, &res)) != SSCN_OK)
		return err;
	if (PQntuples(res) != 1) {
		PQclear(res);
		return mfa_invalid(req);
	}
	snprintf(user_id, sizeof(user_id), "%s", PQgetvalue(res, 0, 0));
	snprintf(email_index, sizeof(email_index), "%s", PQgetvalue(res, 0, 1));
	PQclear(res);

	if ((err = login_claim(req, email_index, &allowed)) != SSCN_OK)
		return err;
	if ((err = login_load_account(req, email_index, &account)) != SSCN_OK) {
		login_account_free(&account);
		return err;
	}
	if (!allowed) {
		err = login_failed(req, email_index, &account, "locked", false);
		login_account_free(&account);
		return err != SSCN_OK ? err : mfa_invalid(req);
	}

	if ((err = db_begin(&req->worker->db, req->request_id)) != SSCN_OK)
		goto out;
	params[0] = user_id;
	if ((err = api_db(req, "set_user_context", 1, params, NULL)) !=
	    SSCN_OK || (err = mfa_load_user(req, user_id, &user)) != SSCN_OK)
		goto rollback;
	if (PQntuples(user) != 1 || PQgetisnull(user, 0, MFA_U_SECRET)) {
		reason = "mfa_not_enabled";
	} else if (code != NULL) {
		err = mfa_check_totp(req, user_id, PQgetvalue(user, 0,
		    MFA_U_SECRET), PQgetvalue(user, 0, MFA_U_STEP), code,
		    &result);
		if (err != SSCN_OK)
			goto rollback;
		reason = result == TOTP_OK ? NULL :
		    result == TOTP_REPLAY ? "totp_replay" : "totp_invalid";
	} else {
		if ((err = mfa_use_recovery_code(req, user_id, recovery,
		    &used)) != SSCN_OK)
			goto rollback;
		reason = used ? NULL : "recovery_code_invalid";
	}

	if (reason != NULL) {
		db_rollback(&req->worker->db, req->request_id);
		PQclear(user);
		err = login_failed(req, email_index, &account, reason, true);
		login_account_free(&account);
		return err != SSCN_OK ? err : mfa_invalid(req);
	}

	/* Success: the token is spent, the count cleared, aal2 granted. */
	params[0] = hash_hex;
	params[1] = "mfa";
	if ((err = api_db(req, "token_consume", 2, params, &res)) != SSCN_OK)
		goto rollback;
	if (PQntuples(res) != 1) {
		PQclear(res);
		db_rollback(&req->worker->db, req->request_id);
		err = mfa_invalid(req);
		goto out;
	}
	PQclear(res);
	params[0] = email_index;
	if ((err = api_db(req, "login_clear", 1, params, NULL)) != SSCN_OK)
		goto rollback;
	params[0] = user_id;
	if ((err = api_db(req, "user_logged_in", 1, params, NULL)) != SSCN_OK)
		goto rollback;
	details = json_object_new_object();
	json_object_object_add(details, "factor", json_object_new_string(
	    code != NULL ? "totp" : "recovery_code"));
	err = audit_write(req, user_id, NULL, code != NULL ? "auth.mfa_success" :
	    "auth.recovery_code_use", user_id, "success", details);
	json_object_put(details);
	if (err != SSCN_OK)
		goto rollback;

	memset(&acct, 0, sizeof(acct));
	snprintf(acct.id, sizeof(acct.id), "%s", user_id);
	/* login_load_account() decrypted them for this same user. */
	acct.email = account.email;
	acct.full_name = account.full_name;
	acct.is_admin = strcmp(PQgetvalue(user, 0, MFA_U_ADMIN), "t") == 0;
	acct.mfa_enabled = true;
	err = session_login_finish(req, &acct, 2);
	goto out;

rollback:
	db_rollback(&req->worker->db, req->request_id);
out:
	PQclear(user);
	login_account_free(&account);
	return err;
}

/* POST /api/v1/auth/mfa/totp/setup: a new pending secret. */
enum sscn_err
auth_totp_setup(struct http_request *req)
{
	unsigned char		 secret[TOTP_SECRET_LEN];
	char			 b32[TOTP_SECRET_B32_SIZE];
	char			 uri[512];
	char			*svg = NULL, *sealed = NULL, *email = NULL;
	const char		*params[2];
	struct json_object	*root;
	PGresult		*user = NULL;
	enum sscn_err		 err;

	if ((err = authn_require(req)) != SSCN_OK)
		return err;
	if ((err = authn_begin(req)) != SSCN_OK)
		return err;
	if ((err = mfa_load_user(req, req->user_id, &user)) != SSCN_OK)
		goto rollback;
	if (PQntuples(user) != 1) {
		err = SSCN_ERR_NOT_FOUND;
		goto rollback;
	}
	if (strcmp(PQgetvalue(user, 0, MFA_U_ENABLED), "t") == 0) {
		PQclear(user);
		db_rollback(&req->worker->db, req->request_id);
		http_send_error(req, 409, "conflict", "Multi-factor "
		    "authentication is already on; turn it off first.", NULL);
		return SSCN_OK;
	}

	if ((err = mfa_user_email(req, user, &email)) != SSCN_OK)
		goto rollback;
	totp_secret_generate(secret);
	if (totp_base32_encode(secret, sizeof(secret), b32, sizeof(b32)) < 0 ||
	    totp_otpauth_uri(MFA_ISSUER, email, b32, uri, sizeof(uri)) < 0 ||
	    qr_svg(uri, &svg) == -1) {
		err = SSCN_ERR_INTERNAL;
		goto rollback;
	}
	if ((err = mfa_encrypt_secret(req, "totp_pending_secret", req->user_id,
	    secret, &sealed)) != SSCN_OK)
		goto rollback;
	params[0] = req->user_id;
	params[1] = sealed;
	if ((err = api_db(req, "totp_set_pending", 2, params, NULL)) !=
	    SSCN_OK ||
	    (err = audit_write(req, req->user_id, NULL, "auth.mfa_setup",
	    req->user_id, "success", NULL)) != SSCN_OK ||
	    (err = db_commit(&req->worker->db, req->request_id)) != SSCN_OK)
		goto rollback;

	root = json_object_new_object();
	json_object_object_add(root, "secret", json_object_new_string(b32));
	json_object_object_add(root, "otpauth_uri", json_object_new_string(uri));
	json_object_object_add(root, "qr_svg", json_object_new_string(svg));
	http_send_json(req, 200, root);
	json_object_put(root);
	goto out;

rollback:
	db_rollback(&req->worker->db, req->request_id);
out:
	pii_free(email);
	PQclear(user);
	sodium_memzero(secret, sizeof(secret));
	sodium_memzero(b32, sizeof(b32));
	sodium_memzero(uri, sizeof(uri));
	if (svg != NULL) {
		sodium_memzero(svg, strlen(svg));
		free(svg);
	}
	free(sealed);
	return err;
}

/* POST /api/v1/auth/mfa/totp/confirm: the first code turns MFA on. */
enum sscn_err
auth_totp_confirm(struct http_request *req)
{
	static const char *const allowed[] = { "code", NULL };
	struct json_object	*fields = json_object_new_object();
	struct json_object	*root, *codes;
	unsigned char		 secret[TOTP_SECRET_LEN];
	const char		*code = NULL;
	const char		*params[3];
	char			*sealed = NULL;
	char			 step_text[24];
	int64_t			 step = 0;
	PGresult		*user = NULL, *res = NULL;
	enum totp_result	 result;
	enum sscn_err		 err;

	json_reject_unknown(req->json, allowed, fields);
	json_get_string(req->json, "code", true, 16, &code, fields);
	if ((err = authn_require_valid(req, fields)) != SSCN_OK)
		return err;

	if ((err = authn_begin(req)) != SSCN_OK)
		return err;
	if ((err = mfa_load_user(req, req->user_id, &user)) != SSCN_OK)
		goto rollback;
	if (PQntuples(user) != 1 || PQgetisnull(user, 0, MFA_U_PENDING)) {
		PQclear(user);
		db_rollback(&req->worker->db, req->request_id);
		http_send_error(req, 409, "conflict", "There is no pending "
		    "set-up; call POST /api/v1/auth/mfa/totp/setup first.", NULL);
		return SSCN_OK;
	}
	if ((err = mfa_decrypt_secret(req, "totp_pending_secret", req->user_id,
	    PQgetvalue(user, 0, MFA_U_PENDING), secret)) != SSCN_OK)
		goto rollback;
	result = totp_verify(secret, sizeof(secret), code, authn_now(), -1,
	    &step);
	if (result != TOTP_OK) {
		err = audit_write(req, req->user_id, NULL, "auth.mfa_confirm",
		    req->user_id, "failure", NULL);
		if (err == SSCN_OK)
			err = db_commit(&req->worker->db, req->request_id);
		else
			db_rollback(&req->worker->db, req->request_id);
		if (err == SSCN_OK) {
			metrics_auth_failure("confirm_invalid");
			err = mfa_invalid(req);
		}
		goto out;
	}

	if ((err = mfa_encrypt_secret(req, "totp_secret", req->user_id, secret,
	    &sealed)) != SSCN_OK)
		goto rollback;
	snprintf(step_text, sizeof(step_text), "%lld", (long long)step);
	params[0] = req->user_id;
	params[1] = sealed;
	params[2] = step_text;
	if ((err = api_db(req, "totp_enable", 3, params, &res)) != SSCN_OK)
		goto rollback;
	PQclear(res);

	/* This session just proved the second factor. */
	params[0] = req->session_id;
	params[1] = "mfa_enrollment";
	params[2] = "2";
	if ((err = api_db(req, "session_lift_restriction", 3, params,
	    NULL)) != SSCN_OK || (err = api_db(req, "session_set_aal2", 1,
	    params, NULL)) != SSCN_OK)
		goto rollback;

	root = json_object_new_object();
	codes = json_object_new_array();
	json_object_object_add(root, "recovery_codes", codes);
	if ((err = mfa_new_recovery_codes(req, req->user_id, codes)) !=
	    SSCN_OK ||
	    (err = audit_write(req, req->user_id, NULL, "auth.mfa_confirm",
	    req->user_id, "success", NULL)) != SSCN_OK ||
	    (err = mfa_queue_notice(req, user, "mfa_enabled")) != SSCN_OK ||
	    (err = db_commit(&req->worker->db, req->request_id)) != SSCN_OK) {
		json_object_put(root);
		goto rollback;
	}
	http_send_json(req, 200, root);
	json_object_put(root);
	goto out;

rollback:
	db_rollback(&req->worker->db, req->request_id);
out:
	PQclear(user);
	free(sealed);
	sodium_memzero(secret, sizeof(secret));
	return err;
}

enum sscn_err
mfa_check_password(struct http_request *req, PGresult *user,
    const char *password, bool *ok)
{
	enum password_verify_result result;
	bool rehash;

	*ok = false;
	if (PQgetisnull(user, 0, MFA_U_HASH)) {
		(void)password_dummy_verify(req->worker->password_policy);
		return SSCN_OK;
	}
	result = password_verify(req->worker->password_policy,
	    PQgetvalue(user, 0, MFA_U_HASH), password, &rehash);
	if (result == PASSWORD_ERROR)
		return SSCN_ERR_INTERNAL;
	*ok = result == PASSWORD_MATCH;
	return SSCN_OK;
}

enum sscn_err
mfa_count_failure(struct http_request *req, PGresult *user, const char *reason)
{
	struct login_account	 account;
	const char		*email_index = PQgetvalue(user, 0,
				    MFA_U_EMAIL_INDEX);
	enum sscn_err		 err;
	bool			 allowed;

	if ((err = login_claim(req, email_index, &allowed)) != SSCN_OK)
		return err;
	memset(&account, 0, sizeof(account));
	account.exists = true;
	snprintf(account.id, sizeof(account.id), "%s", req->user_id);
	if ((err = mfa_user_email(req, user, &account.email)) != SSCN_OK ||
	    (err = api_pii_open(req, PII_USERS_FULL_NAME, req->user_id, user,
	    0, MFA_U_NAME, &account.full_name)) != SSCN_OK) {
		login_account_free(&account);
		return err;
	}
	err = login_failed(req, email_index, &account, reason, allowed);
	login_account_free(&account);
	return err;
}

/* DELETE /api/v1/auth/mfa/totp: turn MFA off with password and code. */
enum sscn_err
auth_totp_disable(struct http_request *req)
{
	static const char *const allowed[] = { "password", "code", NULL };
	struct json_object	*fields = json_object_new_object();
	const char		*password = NULL, *code = NULL;
	const char		*params[1];
	PGresult		*user = NULL, *role = NULL;
	enum totp_result	 result = TOTP_INVALID;
	enum sscn_err		 err;
	bool			 ok;

	json_reject_unknown(req->json, allowed, fields);
	json_get_string(req->json, "password", true, 16384, &password, fields);
	json_get_string(req->json, "code", true, 16, &code, fields);
	if ((err = authn_require_valid(req, fields)) != SSCN_OK)
		return err;
	if ((err = authn_require_recent(req)) != SSCN_OK)
		return err;
	if ((err = authn_begin(req)) != SSCN_OK)
		return err;

	/* Admins and members of an organization that requires MFA keep it. */
	params[0] = req->user_id;
	if ((err = api_db(req, "user_role", 1, params, &role)) != SSCN_OK)
		goto rollback;
	if (req->is_admin || (PQntuples(role) == 1 &&
	    strcmp(PQgetvalue(role, 0, 1), "t") == 0)) {
		err = audit_write(req, req->user_id, NULL, "auth.mfa_disable",
		    req->user_id, "denied", NULL);
		if (err == SSCN_OK)
			err = db_commit(&req->worker->db, req->request_id);
		if (err == SSCN_OK)
			err = SSCN_ERR_FORBIDDEN;
		else
			db_rollback(&req->worker->db, req->request_id);
		goto out;
	}

	if ((err = mfa_load_user(req, req->user_id, &user)) != SSCN_OK)
		goto rollback;
	if (PQntuples(user) != 1 || PQgetisnull(user, 0, MFA_U_SECRET)) {
		err = SSCN_ERR_CONFLICT;
		goto rollback;
	}
	if ((err = mfa_check_password(req, user, password, &ok)) != SSCN_OK)
		goto rollback;
	if (ok && (err = mfa_check_totp(req, req->user_id, PQgetvalue(user, 0,
	    MFA_U_SECRET), PQgetvalue(user, 0, MFA_U_STEP), code, &result)) !=
	    SSCN_OK)
		goto rollback;
	if (!ok || result != TOTP_OK) {
		db_rollback(&req->worker->db, req->request_id);
		err = mfa_count_failure(req, user, !ok ? "wrong_password" :
		    result == TOTP_REPLAY ? "totp_replay" : "totp_invalid");
		if (err == SSCN_OK)
			err = mfa_invalid(req);
		goto out;
	}

	if ((err = api_db(req, "totp_disable", 1, params, NULL)) != SSCN_OK ||
	    (err = api_db(req, "recovery_delete", 1, params, NULL)) !=
	    SSCN_OK ||
	    (err = audit_write(req, req->user_id, NULL, "auth.mfa_disable",
	    req->user_id, "success", NULL)) != SSCN_OK ||
	    (err = mfa_queue_notice(req, user, "mfa_disabled")) != SSCN_OK ||
	    (err = db_commit(&req->worker->db, req->request_id)) != SSCN_OK)
		goto rollback;
	http_send_empty(req, 204);
	goto out;

rollback:
	db_rollback(&req->worker->db, req->request_id);
out:
	PQclear(user);
	PQclear(role);
	return err;
}

/* POST /api/v1/auth/mfa/recovery-codes: a new set; the old set dies. */
enum sscn_err
auth_recovery_codes(struct http_request *req)
{
	static const char *const allowed[] = { "password", NULL };
	struct json_object	*fields = json_object_new_object();
	struct json_object	*root, *codes;
	const char		*password = NULL;
	PGresult		*user = NULL;
	enum sscn_err		 err;
	bool			 ok;

	json_reject_unknown(req->json, allowed, fields);
	json_get_string(req->json, "password", true, 16384, &password, fields);
	if ((err = authn_require_valid(req, fields)) != SSCN_OK)
		return err;
	if ((err = authn_require_recent(req)) != SSCN_OK)
		return err;
	if ((err = authn_begin(req)) != SSCN_OK)
		return err;
	if ((err = mfa_load_user(req, req->user_id, &user)) != SSCN_OK)
		goto rollback;
	if (PQntuples(user) != 1 || PQgetisnull(user, 0, MFA_U_SECRET)) {
		err = SSCN_ERR_CONFLICT;
		goto rollback;
	}
	if ((err = mfa_check_password(req, user, password, &ok)) != SSCN_OK)
		goto rollback;
	if (!ok) {
		db_rollback(&req->worker->db, req->request_id);
		err = mfa_count_failure(req, user, "wrong_password");
		if (err == SSCN_OK)
			http_send_error(req, 401, "invalid_credentials", "The "
			    "password is wrong.", NULL);
		goto out;
	}

	root = json_object_new_object();
	codes = json_object_new_array();
	json_object_object_add(root, "recovery_codes", codes);
	if ((err = mfa_new_recovery_codes(req, req->user_id, codes)) !=
	    SSCN_OK ||
	    (err = audit_write(req, req->user_id, NULL,
	    "auth.recovery_codes_regenerate", req->user_id, "success",
	    NULL)) != SSCN_OK ||
	    (err = db_commit(&req->worker->db, req->request_id)) != SSCN_OK) {
		json_object_put(root);
		goto rollback;
	}
	http_send_json(req, 200, root);
	json_object_put(root);
	goto out;

rollback:
	db_rollback(&req->worker->db, req->request_id);
out:
	PQclear(user);
	return err;
}
