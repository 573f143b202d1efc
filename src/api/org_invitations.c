/*
 * org_invitations.c - POST /api/v1/invitations/accept, and the invitation
 * lookup that registration shares.
 *
 * The invitee belongs to another organization or to none, so row-level
 * security cannot find the invitation by organization.  It finds it by
 * token instead: the handler sets sscn.token_hash to the hex SHA-256 of
 * the token it was given, and the policies org_invitations_by_token_*
 * show and update only the row with that hash.  A token that is unknown,
 * used, revoked or expired, or was sent to another address than the
 * caller's, answers 404 alike, so a token tells nothing more than that
 * it does not work.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include <json-c/json.h>
#include <libpq-fe.h>

#include "sscn.h"
#include "api/orgs.h"
#include "auth/token.h"
#include "api/pii_fields.h"

enum sscn_err
org_invitation_find(struct http_request *req, const char *token,
    const char *email_index, struct org_invitation *inv)
{
	char		 hash_hex[TOKEN_HASH_HEX];
	const char	*params[1];
	PGresult	*res = NULL;
	enum sscn_err	 err;
	bool		 open;

	memset(inv, 0, sizeof(*inv));
	if (token_hash(token, hash_hex) == -1)
		return SSCN_ERR_NOT_FOUND;

	/* token_hash() writes bytea input, "\x" and hex; the policy wants hex. */
	params[0] = hash_hex + 2;
	if ((err = api_db(req, "org_invitation_token", 1, params, NULL)) !=
	    SSCN_OK)
		return err;
	if ((err = api_db(req, "org_invitation_by_token", 1, params, &res)) !=
	    SSCN_OK)
		return err;
	if (PQntuples(res) != 1) {
		PQclear(res);
		return SSCN_ERR_NOT_FOUND;
	}
	open = strcmp(PQgetvalue(res, 0, 4), "t") == 0;
	if (!open || strcmp(PQgetvalue(res, 0, 2), email_index) != 0) {
		PQclear(res);
		return SSCN_ERR_NOT_FOUND;
	}
	snprintf(inv->id, sizeof(inv->id), "%s", PQgetvalue(res, 0, 0));
	snprintf(inv->organization_id, sizeof(inv->organization_id), "%s",
	    PQgetvalue(res, 0, 1));
	snprintf(inv->role, sizeof(inv->role), "%s", PQgetvalue(res, 0, 3));
	PQclear(res);
	return SSCN_OK;
}

enum sscn_err
org_invitation_use(struct http_request *req, const char *user_id,
    const struct org_invitation *inv)
{
	struct json_object	*details;
	const char		*params[3];
	PGresult		*res = NULL;
	enum sscn_err		 err;

	/* The policy on memberships lets in only the accepted invitation. */
	params[0] = inv->id;
	if ((err = api_db(req, "org_invitation_accept", 1, params, &res)) !=
	    SSCN_OK)
		return err;
	if (PQntuples(res) != 1) {
		PQclear(res);
		return SSCN_ERR_NOT_FOUND;
	}
	PQclear(res);

	params[0] = inv->organization_id;
	params[1] = user_id;
	params[2] = inv->role;
	if ((err = api_db(req, "membership_insert", 3, params, NULL)) !=
	    SSCN_OK)
		return err;

	details = json_object_new_object();
	json_object_object_add(details, "role",
	    json_object_new_string(inv->role));
	err = audit_write(req, user_id, inv->organization_id,
	    "org.invitation_accept", inv->id, "success", details);
	json_object_put(details);
	return err;
}

/* Join through the invitation inside the transaction of authn_require(). */
static enum sscn_err
org_invitation_join(struct http_request *req, const char *token)
{
	struct org_invitation	 inv;
	struct json_object	*root;
	const char		*params[3];
	PGresult		*res = NULL;
	enum sscn_err		 err;
	char			 email_index[PII_INDEX_HEX_SIZE];

	params[0] = req->user_id;
	if ((err = api_db(req, "org_user_email", 1, params, &res)) != SSCN_OK)
		return err;
	if (PQntuples(res) != 1) {
		PQclear(res);
		return SSCN_ERR_NOT_FOUND;
	}
	snprintf(email_index, sizeof(email_index), "%s", PQgetvalue(res, 0, 0));
	PQclear(res);

	if ((err = org_invitation_find(req, token, email_index, &inv)) !=
	    SSCN_OK ||
	    (err = org_invitation_use(req, req->user_id, &inv)) != SSCN_OK)
		return err;

	/* A session that acts for no organization now acts for this one. */
	params[0] = req->session_id;
	params[1] = inv.organization_id;
	params[2] = inv.role;
	if ((err = api_db(req, "org_session_adopt", 3, params, NULL)) !=
	    SSCN_OK)
		return err;
	if ((err = db_commit(&req->worker->db, req->request_id)) != SSCN_OK)
		return err;

	root = json_object_new_object();
	json_object_object_add(root, "organization_id",
	    json_object_new_string(inv.organization_id));
	json_object_object_add(root, "role", json_object_new_string(inv.role));
	http_send_json(req, 200, root);
	json_object_put(root);
	return SSCN_OK;
}

enum sscn_err
org_invitation_accept(struct http_request *req)
{
	static const char *const allowed[] = { "token", NULL };
	struct json_object	*fields = json_object_new_object();
	const char		*token = NULL;
	enum sscn_err		 err;

	json_reject_unknown(req->json, allowed, fields);
	json_get_string(req->json, "token", true, 128, &token, fields);
	if ((err = authn_require(req)) != SSCN_OK ||
	    (err = authn_begin(req)) != SSCN_OK) {
		json_object_put(fields);
		return err;
	}
	if ((err = api_validation_check(req, fields)) != SSCN_OK)
		return err;

	if ((err = org_invitation_join(req, token)) != SSCN_OK)
		db_rollback(&req->worker->db, req->request_id);
	return err;
}
