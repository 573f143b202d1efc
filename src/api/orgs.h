/*
 * orgs.h - handlers of organizations, members and organization invitations.
 */
#ifndef SSCN_API_ORGS_H
#define SSCN_API_ORGS_H

#include <stdbool.h>

#include "sscn.h"

/* orgs.c */
enum sscn_err org_get(struct http_request *);
enum sscn_err org_patch(struct http_request *);

/*
 * Authenticate and check that "id" (a path parameter) names the
 * organization the session acts for.  Any other id, a malformed one
 * included, is SSCN_ERR_NOT_FOUND, as for an organization that does not
 * exist.  On SSCN_OK the transaction of authn_require() is open.
 */
enum sscn_err org_begin(struct http_request *, const char *id)
	    SSCN_WARN_UNUSED;

/* True when the session's role may manage the organization. */
bool	org_is_manager(const struct http_request *);

/*
 * org_begin(), then SSCN_ERR_FORBIDDEN unless the session's role may
 * manage the organization.  "fields" contains the problems that the
 * caller found in the body before authenticating.  On failure it is
 * released, so a caller without access learns nothing about its body.
 */
enum sscn_err org_manager_begin(struct http_request *,
	    struct json_object *fields) SSCN_WARN_UNUSED;

/* org_members.c */
enum sscn_err org_members_list(struct http_request *);
enum sscn_err org_members_invite(struct http_request *);
enum sscn_err org_member_remove(struct http_request *);
enum sscn_err org_member_patch(struct http_request *);

/* org_invitations.c */
enum sscn_err org_invitation_accept(struct http_request *);

/* The open invitation that a token names. */
struct org_invitation {
	char	id[37];
	char	organization_id[37];
	char	role[8];	/* admin or member */
};

/*
 * Find the open invitation of "token" for the address whose blind index
 * is "email_index" (bytea text) inside the caller's transaction and lock
 * it.  SSCN_ERR_NOT_FOUND
 * when the token is malformed, unknown, used, revoked or expired, or was
 * sent to another address.
 */
enum sscn_err org_invitation_find(struct http_request *, const char *token,
	    const char *email_index, struct org_invitation *) SSCN_WARN_UNUSED;

/*
 * Make "user_id" a member with the invitation's role, mark the invitation
 * accepted and write the audit row, inside the caller's transaction.
 * sscn.user_id must already be "user_id".  SSCN_ERR_CONFLICT when the
 * user is a member already.
 */
enum sscn_err org_invitation_use(struct http_request *, const char *user_id,
	    const struct org_invitation *) SSCN_WARN_UNUSED;

#endif
