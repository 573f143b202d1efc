/*
 * auth_mfa.h - checks of the password and the TOTP code that confirm a
 * sensitive change, shared by the MFA and account deletion handlers.
 */
#ifndef SSCN_API_AUTH_MFA_H
#define SSCN_API_AUTH_MFA_H

#include "sscn.h"
#include "auth/totp.h"

/*
 * Columns of "mfa_user" (api/statements.c), which every statement that
 * loads an account for these checks starts with.
 */
enum {
	MFA_U_ID, MFA_U_EMAIL, MFA_U_NAME, MFA_U_ADMIN, MFA_U_SECRET,
	MFA_U_STEP, MFA_U_EMAIL_INDEX, MFA_U_HASH, MFA_U_ENABLED,
	MFA_U_PENDING
};

/*
 * Check "password" against the password hash in row 0 of "user", inside
 * the caller's transaction.  "*ok" is false when it is wrong or the
 * account has no password; a dummy verification then keeps the timing.
 */
enum sscn_err mfa_check_password(struct http_request *, struct pg_result *user,
	    const char *password, bool *ok) SSCN_WARN_UNUSED;

/*
 * Check a TOTP code against the stored secret and record its time step,
 * inside the caller's transaction.  "*result" is TOTP_OK, TOTP_INVALID,
 * TOTP_REPLAY or TOTP_MALFORMED.
 */
enum sscn_err mfa_check_totp(struct http_request *, const char *user_id,
	    const char *stored_secret, const char *last_step_text,
	    const char *code, enum totp_result *result) SSCN_WARN_UNUSED;

/*
 * Count a wrong password or code at a sensitive change toward the login
 * lock, with its audit row ("auth.login", failure, "reason"), in a
 * transaction of its own.  Call it after rolling back the caller's.
 */
enum sscn_err mfa_count_failure(struct http_request *, struct pg_result *user,
	    const char *reason) SSCN_WARN_UNUSED;

#endif /* SSCN_API_AUTH_MFA_H */
