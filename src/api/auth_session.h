/*
 * auth_session.h - sessions shared by the login, MFA and refresh handlers.
 */
#ifndef SSCN_API_AUTH_SESSION_H
#define SSCN_API_AUTH_SESSION_H

#include "sscn.h"

/* The account a new session is for. */
struct session_user {
	char	 id[37];
	char	 role[16];	/* "admin", "buyer" or "supplier" */
};

/*
 * Create a session row for "user" inside the caller's transaction, end the
 * oldest sessions beyond max_sessions (each audited), sign the access
 * token and queue the session and CSRF cookies.  On success "*body" is
 * the JSON answer's token part (access_token, token_type, expires_in),
 * owned by the caller.
 */
enum sscn_err session_start(struct http_request *, const struct session_user *,
	    int aal, int64_t auth_time, const char *restriction,
	    struct json_object **body) SSCN_WARN_UNUSED;

/* Account facts that finishing a login needs. */
struct session_account {
	char		 id[37];
	const char	*email;
	const char	*full_name;
	bool		 is_admin;
	bool		 mfa_enabled;
};

/*
 * Finish a login inside the caller's open transaction: find the role,
 * decide whether the session is restricted (new legal versions to accept,
 * or MFA required by the admin role or the organization but not set up),
 * start the session, commit and respond.  An unrestricted login answers 200
 * with the token and the user; a restricted one answers 403 with
 * acceptance_required or mfa_enrollment_required and a token that reaches
 * only the endpoints that lift the restriction.  Rolls back on failure.
 */
enum sscn_err session_login_finish(struct http_request *,
	    const struct session_account *, int aal) SSCN_WARN_UNUSED;

/*
 * The part of session_login_finish() before the response: role,
 * restriction, session and commit.  On SSCN_OK "*restriction" is "",
 * "acceptance" or "mfa_enrollment" (static strings), "role" (16 bytes)
 * the session's role and "*body" the token part, which the caller puts;
 * the session cookies are queued.  Rolls back on failure.
 */
enum sscn_err session_login_commit(struct http_request *,
	    const struct session_account *, int aal, const char **restriction,
	    char role[16], struct json_object **body) SSCN_WARN_UNUSED;

bool	session_is_uuid(const char *s);

#endif /* SSCN_API_AUTH_SESSION_H */
