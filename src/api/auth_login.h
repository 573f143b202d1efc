/*
 * auth_login.h - the login lockout, shared by the password and MFA steps.
 *
 * A wrong TOTP or recovery code counts toward the same lock as a wrong
 * password, keyed by the blind index of the account's normalized e-mail
 * (bytea text from api_email_index()).
 */
#ifndef SSCN_API_AUTH_LOGIN_H
#define SSCN_API_AUTH_LOGIN_H

#include "sscn.h"

struct login_account {
	bool	 exists;
	char	 id[37];
	char	*password_hash;
	bool	 verified;
	bool	 admin_locked;
	bool	 mfa_enabled;
	bool	 is_admin;
	char	*email;
	char	*full_name;
};

/*
 * Load the account of an e-mail blind index, with its address and name
 * decrypted; "exists" false when none.
 */
enum sscn_err login_load_account(struct http_request *, const char *email_index,
	    struct login_account *) SSCN_WARN_UNUSED;
void	login_account_free(struct login_account *);

/*
 * Claim one attempt outside any transaction; "*allowed" is false when the
 * account is locked or the attempt is past the threshold.
 */
enum sscn_err login_claim(struct http_request *, const char *email_index,
	    bool *allowed) SSCN_WARN_UNUSED;

/*
 * Record a failure in its own transaction: per-address count, audit row
 * with "reason", and the lock with its one mail when "evaluated" and the
 * count reached the threshold.
 */
enum sscn_err login_failed(struct http_request *, const char *email_index,
	    const struct login_account *, const char *reason, bool evaluated)
	    SSCN_WARN_UNUSED;

#endif /* SSCN_API_AUTH_LOGIN_H */
