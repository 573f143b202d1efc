/*
 * org_members.c - GET and POST /api/v1/organizations/{id}/members, PATCH
 * and DELETE /api/v1/organizations/{id}/members/{user_id}.
 *
 * Every member can read the list.  Owners and admins also read the open
 * invitations, invite by e-mail, change roles and remove members.  An
 * admin cannot touch an owner or make anyone an owner, and the last owner
 * can neither leave nor lose the role, so an organization always has
 * one.  A removal takes effect at once: the sessions' foreign key to the
 * membership (sql/0003_session_organization.sql) clears the organization
 * of the removed member's sessions in the same transaction.
 *
 * An invitation holds a single-use token of 256 bits; the database keeps
 * only its SHA-256, and the token travels only in the invitation mail.
 */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>
#include <libpq-fe.h>
#include <sodium.h>

#include "sscn.h"
#include "mail_templates.h"
#include "api/auth_session.h"
#include "api/orgs.h"
#include "auth/email.h"
#include "auth/token.h"
#include "api/pii_fields.h"

/* An invitation is open for 7 days. */
#define ORG_INVITATION_TTL	(7 * 24 * 3600)

/* ---- the members list ------------------------------------------------- */

/* The open invitations, for owners and admins. */
static enum sscn_err
org_invitations_json(struct http_request *req, struct json_object **out)
{
	static const char *const names[] = { "id", "email", "role",
	    "created_at", "expires_at", NULL };
	const char	*params[1] = { req->org_id };
	PGresult	*res = NULL;
	enum sscn_err	 err;
	int		 i;

	*out = NULL;
	if ((err = api_db(req, "org_invitations_open", 1, params, &res)) !=
	    SSCN_OK)
		return err;
	*out = json_object_new_array();
	for (i = 0; i < PQntuples(res); i++) {
		struct json_object *inv = json_object_new_object();

		api_json_columns(inv, res, i, names);
		json_object_array_add(*out, inv);
		/* Column 1 holds the ciphertext: replace it with the address. */
		if ((err = api_pii_add(req, inv, "email", PII_INVITATION_EMAIL,
		    PQgetvalue(res, i, 0), res, i, 1)) != SSCN_OK) {
			json_object_put(*out);
			*out = NULL;
			break;
		}
	}
	PQclear(res);
	return err;
}

/*
 * One member of a result row of org_members or org_member_set_role, with
 * the name and address decrypted; NULL after a logged decryption failure.
 */
static struct json_object *
org_member_json(struct http_request *req, PGresult *res, int row)
{
	const char		*user_id = PQgetvalue(res, row, 0);
	struct json_object	*member = json_object_new_object();

	json_object_object_add(member, "user_id",
	    json_object_new_string(user_id));
	if (api_pii_add(req, member, "full_name", PII_USERS_FULL_NAME, user_id,
	    res, row, 1) != SSCN_OK ||
	    api_pii_add(req, member, "email", PII_USERS_EMAIL, user_id, res,
	    row, 2) != SSCN_OK) {
		json_object_put(member);
		return NULL;
	}
	json_object_object_add(member, "role",
	    json_object_new_string(PQgetvalue(res, row, 3)));
	json_object_object_add(member, "joined_at",
	    json_object_new_string(PQgetvalue(res, row, 4)));
	return member;
}

enum sscn_err
org_members_list(struct http_request *req)
{
	struct json_object	*fields, *root, *items, *invitations = NULL;
	struct paging		 paging;
	const char		*params[4];
	PGresult		*res = NULL;
	enum sscn_err		 err;
	int			 i;

	if ((err = org_begin(req, req->match.params[0])) != SSCN_OK)
		return err;

	fields = json_object_new_object();
	(void)paging_parse_keyed(req->query, &paging, fields);
	if ((err = api_validation_check(req, fields)) != SSCN_OK)
		return err;

	/* The cursor's key is the membership's creation in microseconds. */
	params[0] = req->org_id;
	params[1] = paging.after_key[0] != '\0' ? paging.after_key : NULL;
	params[2] = paging.after_key[0] != '\0' ? paging.after_id : NULL;
	params[3] = paging.fetch;
	if ((err = api_db(req, "org_members", 4, params, &res)) != SSCN_OK)
		return err;

	items = json_object_new_array();
	for (i = 0; i < PQntuples(res) && i < paging.limit; i++) {
		struct json_object *member = org_member_json(req, res, i);

		if (member == NULL) {
			json_object_put(items);
			PQclear(res);
			return SSCN_ERR_INTERNAL;
		}
		json_object_array_add(items, member);
	}
	root = paging_page_json(&paging, items, res, 5, 0);
	PQclear(res);

	if (org_is_manager(req) &&
	    (err = org_invitations_json(req, &invitations)) != SSCN_OK) {
		json_object_put(root);
		return err;
	}
	if (invitations != NULL)
		json_object_object_add(root, "invitations", invitations);
	http_send_json(req, 200, root);
	json_object_put(root);
	return SSCN_OK;
}

/* ---- invitations -------------------------------------------------------- */

/* A validated invitation request. */
struct org_invite {
	const char	*email;		/* as the client sent it, for the mail */
	char		 normalized[EMAIL_MAX * 3 + 1];
	const char	*role;
};

static void
org_invite_parse(struct http_request *req, struct org_invite *invite,
    struct json_object *fields)
{
	static const char *const allowed[] = { "email", "role", NULL };

	invite->email = NULL;
	invite->role = NULL;
	json_reject_unknown(req->json, allowed, fields);
	if (json_get_string(req->json, "email", true, EMAIL_MAX,
	    &invite->email, fields) == SSCN_OK &&
	    email_normalize(invite->email, invite->normalized,
	    sizeof(invite->normalized)) == -1)
		json_object_object_add(fields, "email",
		    json_object_new_string("is not a valid e-mail address"));
	if (json_get_string(req->json, "role", true, 16, &invite->role,
	    fields) == SSCN_OK && strcmp(invite->role, "admin") != 0 &&
	    strcmp(invite->role, "member") != 0)
		json_object_object_add(fields, "role",
		    json_object_new_string("must be admin or member"));
}

/* Queue the invitation from "inviter" to join "organization". */
static enum sscn_err
org_invite_mail_queue(struct http_request *req,
    const struct org_invite *invite, const char *inviter,
    const char *organization, const char *token)
{
	char			 validity[32];
	char			*link = outbox_link(req,
				    "/invitations/accept#token=", token);
	const struct mail_value	 values[] = {
		{ "inviter", inviter },
		{ "organization", organization },
		{ "role", invite->role },
		{ "validity", validity },
		{ "link", link },
		{ NULL, NULL }
	};
	enum sscn_err		 err;

	if (link == NULL)
		return SSCN_ERR_INTERNAL;
	snprintf(validity, sizeof(validity), "%d days",
	    ORG_INVITATION_TTL / (24 * 3600));
	err = outbox_queue_template(req, invite->email, "org_invitation",
	    values);
	mail_text_free(link);
	return err;
}

/* Queue the invitation mail with the link that carries "token". */
static enum sscn_err
org_invite_mail(struct http_request *req, const struct org_invite *invite,
    const char *token)
{
	const char	*params[1] = { req->org_id };
	PGresult	*res = NULL;
	char		*inviter = NULL;
	enum sscn_err	 err;

	if ((err = api_db(req, "org_inviter", 1, params, &res)) != SSCN_OK)
		return err;
	if (PQntuples(res) != 1) {
		PQclear(res);
		return SSCN_ERR_NOT_FOUND;
	}
	if ((err = api_pii_open(req, PII_USERS_FULL_NAME, req->user_id, res, 0,
	    1, &inviter)) != SSCN_OK) {
		PQclear(res);
		return err;
	}
	err = org_invite_mail_queue(req, invite, inviter, PQgetvalue(res, 0, 0),
	    token);
	pii_free(inviter);
	PQclear(res);
	return err;
}

/*
 * Store the invitation, queue its mail and write the audit row, then send
 * 201.  Runs in the transaction of org_begin(), which the caller ends
 * on failure.
 */
static enum sscn_err
org_invite_store(struct http_request *req, const struct org_invite *invite)
{
	struct json_object	*root, *details;
	char			 id[37], ttl[16];
	char			 token[TOKEN_TEXT_LEN + 1];
	char			 hash_hex[TOKEN_HASH_HEX];
	char			 email_index[PII_INDEX_HEX_SIZE];
	char			*sealed = NULL;
	const char		*params[7];
	PGresult		*res = NULL;
	enum sscn_err		 err;

	if ((err = api_email_index(req, invite->normalized, email_index)) !=
	    SSCN_OK)
		return err;
	params[0] = req->org_id;
	params[1] = email_index;
	if ((err = api_db(req, "org_member_by_email", 2, params, &res)) !=
	    SSCN_OK)
		return err;
	if (PQntuples(res) > 0) {
		PQclear(res);
		return SSCN_ERR_CONFLICT;
	}
	PQclear(res);
	if ((err = api_db(req, "org_invitation_revoke_expired", 2, params,
	    NULL)) != SSCN_OK)
		return err;

	/* A second open invitation of the address fails as a conflict. */
	token_random_uuid(id);
	token_generate(token, hash_hex);
	snprintf(ttl, sizeof(ttl), "%d", ORG_INVITATION_TTL);
	if ((err = api_pii_seal(req, PII_INVITATION_EMAIL, id,
	    invite->normalized, &sealed)) != SSCN_OK)
		goto out;
	params[0] = id;
	params[1] = req->org_id;
	params[2] = sealed;
	params[3] = invite->role;
	params[4] = hash_hex;
	params[5] = ttl;
	params[6] = email_index;
	err = api_db(req, "org_invitation_insert", 7, params, &res);
	free(sealed);
	if (err != SSCN_OK)
		goto out;

	root = json_object_new_object();
	json_object_object_add(root, "id", json_object_new_string(id));
	json_object_object_add(root, "email",
	    json_object_new_string(invite->normalized));
	json_object_object_add(root, "role",
	    json_object_new_string(invite->role));
	json_object_object_add(root, "expires_at",
	    json_object_new_string(PQgetvalue(res, 0, 0)));
	PQclear(res);

	details = json_object_new_object();
	json_object_object_add(details, "role",
	    json_object_new_string(invite->role));
	if ((err = org_invite_mail(req, invite, token)) == SSCN_OK)
		err = audit_write(req, req->user_id, req->org_id,
		    "org.member_invite", id, "success", details);
	json_object_put(details);
	if (err == SSCN_OK)
		err = api_commit_send(req, 201, root);
	else
		json_object_put(root);
out:
	sodium_memzero(token, sizeof(token));
	return err;
}

enum sscn_err
org_members_invite(struct http_request *req)
{
	struct json_object	*fields;
	struct org_invite	 invite;
	enum sscn_err		 err;

	/* Check the body first, but report its problems after access. */
	fields = json_object_new_object();
	org_invite_parse(req, &invite, fields);
	if ((err = org_manager_begin(req, fields)) != SSCN_OK)
		return err;
	if ((err = api_validation_check(req, fields)) != SSCN_OK)
		return err;

	if ((err = org_invite_store(req, &invite)) != SSCN_OK)
		db_rollback(&req->worker->db, req->request_id);
	return err;
}

/* ---- removing members and changing roles ---------------------------- */

/* The locked facts about one member that a removal or role change needs. */
struct org_member_lock {
	char	role[8];	/* the member's role, "" when not a member */
	int	owners;		/* owners of the organization */
};

/*
 * Check the path's "user_id" and lock that member and every owner.
 * SSCN_ERR_NOT_FOUND for a malformed id or a user who is not a member.
 */
static enum sscn_err
org_member_lock(struct http_request *req, const char *user_id,
    struct org_member_lock *lock)
{
	const char	*params[2];
	PGresult	*res = NULL;
	enum sscn_err	 err;
	int		 i;

	memset(lock, 0, sizeof(*lock));
	if (!session_is_uuid(user_id))
		return SSCN_ERR_NOT_FOUND;
	params[0] = req->org_id;
	params[1] = user_id;
	if ((err = api_db(req, "org_members_lock", 2, params, &res)) !=
	    SSCN_OK)
		return err;
	for (i = 0; i < PQntuples(res); i++) {
		if (strcasecmp(PQgetvalue(res, i, 0), user_id) == 0)
			snprintf(lock->role, sizeof(lock->role), "%s",
			    PQgetvalue(res, i, 1));
		if (strcmp(PQgetvalue(res, i, 1), "owner") == 0)
			lock->owners++;
	}
	PQclear(res);
	return lock->role[0] == '\0' ? SSCN_ERR_NOT_FOUND : SSCN_OK;
}

/* Audit details naming the role a member had and, for a change, gets. */
static enum sscn_err
org_member_audit(struct http_request *req, const char *action,
    const char *user_id, const char *old_role, const char *new_role)
{
	struct json_object	*details = json_object_new_object();
	enum sscn_err		 err;

	json_object_object_add(details, "old_role",
	    json_object_new_string(old_role));
	if (new_role != NULL)
		json_object_object_add(details, "role",
		    json_object_new_string(new_role));
	err = audit_write(req, req->user_id, req->org_id, action, user_id,
	    "success", details);
	json_object_put(details);
	return err;
}

enum sscn_err
org_member_remove(struct http_request *req)
{
	const char		*user_id = req->match.params[1];
	struct org_member_lock	 lock;
	const char		*params[2];
	PGresult		*res = NULL;
	enum sscn_err		 err;

	if ((err = org_begin(req, req->match.params[0])) != SSCN_OK)
		return err;
	if (!org_is_manager(req))
		return SSCN_ERR_FORBIDDEN;
	if ((err = org_member_lock(req, user_id, &lock)) != SSCN_OK)
		goto rollback;

	/* Only an owner removes an owner, and never the last one. */
	if (strcmp(lock.role, "owner") == 0) {
		err = strcmp(req->org_role, "owner") != 0 ? SSCN_ERR_FORBIDDEN :
		    lock.owners < 2 ? SSCN_ERR_CONFLICT : SSCN_OK;
		if (err != SSCN_OK)
			goto rollback;
	}

	params[0] = req->org_id;
	params[1] = user_id;
	if ((err = api_db(req, "org_member_delete", 2, params, &res)) !=
	    SSCN_OK)
		goto rollback;
	if (PQntuples(res) != 1) {
		PQclear(res);
		err = SSCN_ERR_NOT_FOUND;
		goto rollback;
	}
	PQclear(res);
	if ((err = org_member_audit(req, "org.member_remove", user_id,
	    lock.role, NULL)) != SSCN_OK)
		goto rollback;
	if ((err = db_commit(&req->worker->db, req->request_id)) != SSCN_OK)
		return err;
	http_send_empty(req, 204);
	return SSCN_OK;

rollback:
	return api_rollback(req, err);
}

/* Validate the body of a role change: { "role": owner|admin|member }. */
static const char *
org_member_patch_parse(struct http_request *req, struct json_object *fields)
{
	static const char *const allowed[] = { "role", NULL };
	const char *role = NULL;

	json_reject_unknown(req->json, allowed, fields);
	if (json_get_string(req->json, "role", true, 16, &role, fields) ==
	    SSCN_OK && strcmp(role, "owner") != 0 &&
	    strcmp(role, "admin") != 0 && strcmp(role, "member") != 0) {
		json_object_object_add(fields, "role", json_object_new_string(
		    "must be owner, admin or member"));
		role = NULL;
	}
	return role;
}

enum sscn_err
org_member_patch(struct http_request *req)
{
	const char		*user_id = req->match.params[1];
	struct json_object	*fields, *member;
	struct org_member_lock	 lock;
	const char		*role, *params[3];
	PGresult		*res = NULL;
	enum sscn_err		 err;
	bool			 caller_owner;

	fields = json_object_new_object();
	role = org_member_patch_parse(req, fields);
	if ((err = org_manager_begin(req, fields)) != SSCN_OK)
		return err;
	if ((err = api_validation_check(req, fields)) != SSCN_OK)
		return err;

	if ((err = org_member_lock(req, user_id, &lock)) != SSCN_OK)
		goto rollback;

	/* Owners are made and unmade only by owners; one must remain. */
	caller_owner = strcmp(req->org_role, "owner") == 0;
	if ((strcmp(role, "owner") == 0 || strcmp(lock.role, "owner") == 0) &&
	    !caller_owner) {
		err = SSCN_ERR_FORBIDDEN;
		goto rollback;
	}
	if (strcmp(lock.role, "owner") == 0 && strcmp(role, "owner") != 0 &&
	    lock.owners < 2) {
		err = SSCN_ERR_CONFLICT;
		goto rollback;
	}

	params[0] = req->org_id;
	params[1] = user_id;
	params[2] = role;
	if ((err = api_db(req, "org_member_set_role", 3, params, &res)) !=
	    SSCN_OK)
		goto rollback;
	if (PQntuples(res) != 1) {
		PQclear(res);
		err = SSCN_ERR_NOT_FOUND;
		goto rollback;
	}
	member = org_member_json(req, res, 0);
	PQclear(res);
	if (member == NULL) {
		err = SSCN_ERR_INTERNAL;
		goto rollback;
	}
	if ((err = org_member_audit(req, "org.member_role", user_id,
	    lock.role, role)) != SSCN_OK) {
		json_object_put(member);
		goto rollback;
	}
	return api_commit_send(req, 200, member);

rollback:
	return api_rollback(req, err);
}
