/*
 * org_statements.c - statements of organizations, members and
 * organization invitations.  Row-level security (sql/0004_sourcing.sql)
 * limits every one of them to what the session's organization may read.
 * The statements that take an organization id also compare it with
 * sscn.current_org_id(), so a handler that passed the wrong id still
 * reaches nothing outside the session's organization.
 */
#include "config.h"

#include "sscn.h"

/* RFC 3339 in UTC, to the second, of a timestamptz column "col". */
#define ORG_RFC3339(col) \
	"to_char(" col " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"

/* Microseconds since the epoch: the exact key of the members list. */
#define ORG_MEMBER_KEY "(extract(epoch FROM m.created_at) * 1000000)::bigint"

const struct db_statement org_statements[] = {
	/* ---- organization ---- */
	{ "org_select",
	  "SELECT id::text, kind, name, country, require_mfa, "
	  ORG_RFC3339("created_at") " "
	  "FROM sscn.organizations "
	  "WHERE id = $1::uuid AND id = sscn.current_org_id()",
	  1, true },
	/*
	 * Parameters: id, name or NULL, whether to set the country, the
	 * country or NULL, require_mfa or NULL.  The locked copy of the row
	 * shows which fields the update changed, for the audit row.
	 */
	{ "org_update",
	  "UPDATE sscn.organizations o SET name = coalesce($2, o.name), "
	  "country = CASE WHEN $3::boolean THEN $4 ELSE o.country END, "
	  "require_mfa = coalesce($5::boolean, o.require_mfa), "
	  "updated_at = now() "
	  "FROM (SELECT id, name, country, require_mfa "
	  "  FROM sscn.organizations WHERE id = $1::uuid FOR UPDATE) old "
	  "WHERE o.id = old.id AND o.id = sscn.current_org_id() "
	  "RETURNING o.id::text, o.kind, o.name, o.country, o.require_mfa, "
	  ORG_RFC3339("o.created_at") ", "
	  "o.name IS DISTINCT FROM old.name, "
	  "o.country IS DISTINCT FROM old.country, "
	  "o.require_mfa IS DISTINCT FROM old.require_mfa",
	  5, false },
	/*
	 * When the organization starts to require MFA: restrict the open
	 * sessions of its members who have no TOTP, as a new login would,
	 * so that the rule applies at once rather than at each next login.
	 */
	{ "org_restrict_sessions_mfa",
	  "UPDATE sscn.sessions s SET restriction = 'mfa_enrollment' "
	  "FROM sscn.users u "
	  "WHERE u.id = s.user_id AND u.totp_enabled_at IS NULL "
	  "AND s.revoked_at IS NULL AND s.restriction IS NULL "
	  "AND s.user_id IN (SELECT m.user_id FROM sscn.memberships m "
	  "  WHERE m.organization_id = sscn.current_org_id()) "
	  "RETURNING s.id",
	  0, false },
	/* The organization's name and the caller's, for an invitation mail. */
	{ "org_inviter",
	  "SELECT o.name, u.full_name FROM sscn.organizations o "
	  "JOIN sscn.users u ON u.id = sscn.current_user_id() "
	  "WHERE o.id = $1::uuid AND o.id = sscn.current_org_id()",
	  1, true },

	/* ---- members ---- */
	/*
	 * One page of members in the order they joined.  Parameters:
	 * organization, the cursor's key and user id (both NULL for the
	 * first page) and the number of rows to read.
	 */
	{ "org_members",
	  "SELECT m.user_id::text, u.full_name, u.email, m.role, "
	  ORG_RFC3339("m.created_at") ", " ORG_MEMBER_KEY " "
	  "FROM sscn.memberships m JOIN sscn.users u ON u.id = m.user_id "
	  "WHERE m.organization_id = $1::uuid "
	  "AND m.organization_id = sscn.current_org_id() "
	  "AND ($2::bigint IS NULL OR "
	  "  (" ORG_MEMBER_KEY ", m.user_id) > ($2::bigint, $3::uuid)) "
	  "ORDER BY m.created_at, m.user_id LIMIT $4::int",
	  4, true },
	{ "org_member_by_email",
	  "SELECT 1 FROM sscn.memberships m "
	  "JOIN sscn.users u ON u.id = m.user_id "
	  "WHERE m.organization_id = $1::uuid "
	  "AND m.organization_id = sscn.current_org_id() "
	  "AND u.email_index = $2::bytea",
	  2, false },
	/*
	 * The member "$2" and every owner, locked, so that two owners who
	 * remove or demote each other at once cannot leave none.
	 */
	{ "org_members_lock",
	  "SELECT user_id::text, role FROM sscn.memberships "
	  "WHERE organization_id = $1::uuid "
	  "AND organization_id = sscn.current_org_id() "
	  "AND (user_id = $2::uuid OR role = 'owner') "
	  "ORDER BY user_id FOR UPDATE",
	  2, false },
	{ "org_member_delete",
	  "DELETE FROM sscn.memberships WHERE organization_id = $1::uuid "
	  "AND organization_id = sscn.current_org_id() AND user_id = $2::uuid "
	  "RETURNING role",
	  2, false },
	{ "org_member_set_role",
	  "UPDATE sscn.memberships m SET role = $3 "
	  "FROM sscn.users u WHERE u.id = m.user_id "
	  "AND m.organization_id = $1::uuid "
	  "AND m.organization_id = sscn.current_org_id() "
	  "AND m.user_id = $2::uuid "
	  "RETURNING m.user_id::text, u.full_name, u.email, m.role, "
	  ORG_RFC3339("m.created_at"),
	  3, false },

	/* ---- invitations ---- */
	/* Open invitations, newest first; only owners and admins see any. */
	{ "org_invitations_open",
	  "SELECT id::text, email, role, " ORG_RFC3339("created_at")
	  ", " ORG_RFC3339("expires_at") " FROM sscn.org_invitations "
	  "WHERE organization_id = $1::uuid "
	  "AND organization_id = sscn.current_org_id() "
	  "AND accepted_at IS NULL AND revoked_at IS NULL "
	  "AND expires_at > now() ORDER BY created_at DESC, id LIMIT 100",
	  1, true },
	/*
	 * An expired invitation still takes the one open slot per address
	 * (org_invitations_open_key); revoking it lets the address be
	 * invited again.
	 */
	{ "org_invitation_revoke_expired",
	  "UPDATE sscn.org_invitations SET revoked_at = now() "
	  "WHERE organization_id = $1::uuid "
	  "AND organization_id = sscn.current_org_id() "
	  "AND email_index = $2::bytea AND accepted_at IS NULL "
	  "AND revoked_at IS NULL AND expires_at <= now()",
	  2, false },
	/*
	 * Parameters: id, organization, e-mail ciphertext, role, token hash
	 * (bytea input form), validity in seconds and the e-mail's blind
	 * index.
	 */
	{ "org_invitation_insert",
	  "INSERT INTO sscn.org_invitations (id, organization_id, "
	  "email, role, token_hash, invited_by, expires_at, email_index) "
	  "VALUES ($1::uuid, $2::uuid, $3::bytea, $4, $5::bytea, "
	  "sscn.current_user_id(), now() + make_interval(secs => $6::int), "
	  "$7::bytea) RETURNING " ORG_RFC3339("expires_at"),
	  7, false },
	/*
	 * The invitation a token names.  The row-level security policies
	 * org_invitations_by_token_* return it only once sscn.token_hash
	 * contains the same hash, which org_invitation_token sets first.
	 */
	{ "org_invitation_token",
	  "SELECT set_config('sscn.token_hash', $1, true)",
	  1, false },
	{ "org_invitation_by_token",
	  "SELECT i.id::text, i.organization_id::text, i.email_index, "
	  "i.role, i.accepted_at IS NULL AND i.revoked_at IS NULL "
	  "AND i.expires_at > now() "
	  "FROM sscn.org_invitations i WHERE i.token_hash = decode($1, 'hex') "
	  "FOR UPDATE",
	  1, false },
	{ "org_invitation_accept",
	  "UPDATE sscn.org_invitations SET accepted_at = now(), "
	  "accepted_by = sscn.current_user_id() WHERE id = $1::uuid "
	  "AND accepted_at IS NULL AND revoked_at IS NULL "
	  "AND expires_at > now() RETURNING id",
	  1, false },
	{ "org_user_email",
	  "SELECT email_index FROM sscn.users WHERE id = $1::uuid",
	  1, false },
	/*
	 * A session that acts for no organization (its membership ended, or
	 * the user had none) acts for the one just joined.
	 */
	{ "org_session_adopt",
	  "UPDATE sscn.sessions s SET organization_id = o.id, org_role = $3, "
	  "org_kind = o.kind, org_name = o.name FROM sscn.organizations o "
	  "WHERE s.id = $1::uuid AND s.organization_id IS NULL "
	  "AND o.id = $2::uuid",
	  3, false },
};

const size_t org_nstatements =
    sizeof(org_statements) / sizeof(org_statements[0]);
