/*
 * unsubscribe.c - GET and POST /api/v1/unsubscribe?token=: one-click
 * unsubscribe from marketing mail (RFC 8058).
 *
 * The token in the List-Unsubscribe URL of a marketing mail is the only
 * credential: no login, no cookie and no CSRF token, because a mailbox
 * provider's POST carries none.  It unsubscribes its own user from
 * marketing mail and can do nothing else.  GET only describes what a POST
 * would do, because link scanners and prefetchers fetch every URL in a
 * mail.  POST returns 200 itself and never redirects: RFC 8058, section
 * 3.1, notes that redirected POSTs have not worked reliably.
 *
 * A POST body, when present, is application/x-www-form-urlencoded or
 * multipart/form-data; the form "List-Unsubscribe=One-Click" that mailbox
 * providers send is accepted.  A urlencoded form field "token" may stand
 * in for the query parameter or repeat it, but must not differ from it.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <json-c/json.h>
#include <libpq-fe.h>

#include "sscn.h"
#include "api/consent.h"
#include "auth/token.h"

#define FORM_URLENCODED	"application/x-www-form-urlencoded"
#define FORM_MULTIPART	"multipart/form-data"

/* True when "type" is "media" with or without parameters. */
static bool
unsubscribe_type_is(const char *type, const char *media)
{
	size_t len = strlen(media);

	return strncasecmp(type, media, len) == 0 &&
	    (type[len] == '\0' || type[len] == ';' || type[len] == ' ');
}

/*
 * Find the token in the query or a urlencoded form body and hash it into
 * "hash_hex".  A token in both places must be the same token, so that a
 * request never unsubscribes a user other than the one it seems to name.
 * Returns SSCN_OK, or an error already sent.
 */
static enum sscn_err
unsubscribe_token(struct http_request *req, bool form,
    char hash_hex[TOKEN_HASH_HEX])
{
	struct json_object	*fields;
	char			 token[TOKEN_TEXT_LEN + 2];
	char			 body_token[TOKEN_TEXT_LEN + 2];
	enum query_status	 status, body_status = QUERY_ABSENT;
	const char		*problem;

	status = query_get(req->query, "token", token, sizeof(token));
	if (form && req->body != NULL)
		body_status = query_get(req->body, "token", body_token,
		    sizeof(body_token));
	if (status == QUERY_ABSENT && body_status != QUERY_ABSENT) {
		status = body_status;
		memcpy(token, body_token, sizeof(token));
	} else if (status == QUERY_FOUND && body_status == QUERY_INVALID)
		status = QUERY_INVALID;

	if (status == QUERY_FOUND && body_status == QUERY_FOUND &&
	    strcmp(token, body_token) != 0)
		problem = "differs between the query and the form body; "
		    "send one token";
	else if (status == QUERY_FOUND && token_hash(token, hash_hex) == 0)
		return SSCN_OK;
	else if (status == QUERY_ABSENT)
		problem = "is required";
	else
		problem = "is not a valid unsubscribe token; use the link from "
		    "the mail";

	fields = json_object_new_object();
	json_object_object_add(fields, "token",
	    json_object_new_string(problem));
	return api_validation_failed(req, fields);
}

/*
 * Find the user of the token hash and make them the transaction's user
 * for row-level security.  Sends the 404 itself for an unknown token.
 */
static enum sscn_err
unsubscribe_user(struct http_request *req, const char *hash_hex,
    char user_id[37])
{
	const char	*params[1] = { hash_hex };
	PGresult	*res = NULL;
	enum sscn_err	 err;

	if ((err = api_db(req, "unsubscribe_token_user", 1, params, &res)) !=
	    SSCN_OK)
		return err;
	if (PQntuples(res) != 1) {
		PQclear(res);
		log_info(req->request_id, "unsubscribe_rejected",
		    "reason=\"unknown token\"");
		db_rollback(&req->worker->db, req->request_id);
		http_send_error(req, 404, "not_found", "The unsubscribe link is "
		    "not valid; use the link of a recent SSCN mail, or turn "
		    "marketing mail off in your account settings.", NULL);
		return SSCN_ERR_NOT_FOUND;
	}
	snprintf(user_id, 37, "%s", PQgetvalue(res, 0, 0));
	PQclear(res);

	params[0] = user_id;
	err = api_db(req, "set_user_context", 1, params, &res);
	PQclear(res);
	return err;
}

enum sscn_err
unsubscribe_get(struct http_request *req)
{
	struct json_object	*root;
	char			 hash_hex[TOKEN_HASH_HEX], user_id[37];
	PGresult		*res = NULL;
	enum sscn_err		 err;

	if ((err = unsubscribe_token(req, false, hash_hex)) != SSCN_OK)
		return err;
	if ((err = db_begin(&req->worker->db, req->request_id)) != SSCN_OK)
		return err;
	if ((err = unsubscribe_user(req, hash_hex, user_id)) != SSCN_OK)
		return req->responded ? err : api_rollback(req, err);
	if ((err = api_db(req, "preferences_select", 0, NULL, &res)) !=
	    SSCN_OK)
		return api_rollback(req, err);
	db_rollback(&req->worker->db, req->request_id);

	root = json_object_new_object();
	json_object_object_add(root, "list",
	    json_object_new_string("marketing_emails"));
	json_object_object_add(root, "marketing_emails", json_object_new_boolean(
	    strcmp(PQgetvalue(res, 0, 0), "t") == 0));
	json_object_object_add(root, "action", json_object_new_string(
	    "POST to this URL turns SSCN marketing mail off for the account "
	    "this link was sent to; this GET changed nothing."));
	PQclear(res);
	http_send_json(req, 200, root);
	json_object_put(root);
	return SSCN_OK;
}

/* Check the body's type and, for a urlencoded form, its one-click field. */
static enum sscn_err
unsubscribe_check_body(struct http_request *req, bool *form)
{
	struct json_object	*fields;
	char			 value[32];
	enum query_status	 status;

	*form = false;
	if (req->body_len == 0)
		return SSCN_OK;
	if (req->content_type != NULL &&
	    unsubscribe_type_is(req->content_type, FORM_MULTIPART))
		return SSCN_OK;
	if (req->content_type == NULL ||
	    !unsubscribe_type_is(req->content_type, FORM_URLENCODED)) {
		http_send_error(req, 415, "unsupported_media_type", "The request "
		    "body must be " FORM_URLENCODED " or " FORM_MULTIPART ".",
		    NULL);
		return SSCN_ERR_MEDIA_TYPE;
	}

	*form = true;
	status = query_get(req->body, "List-Unsubscribe", value, sizeof(value));
	if (status == QUERY_ABSENT ||
	    (status == QUERY_FOUND && strcmp(value, "One-Click") == 0))
		return SSCN_OK;
	fields = json_object_new_object();
	json_object_object_add(fields, "List-Unsubscribe",
	    json_object_new_string("must be One-Click"));
	return api_validation_failed(req, fields);
}

enum sscn_err
unsubscribe_post(struct http_request *req)
{
	struct json_object	*root, *details;
	char			 hash_hex[TOKEN_HASH_HEX], user_id[37];
	const char		*params[1];
	PGresult		*res = NULL, *used = NULL;
	enum sscn_err		 err;
	bool			 form, before;

	if ((err = unsubscribe_check_body(req, &form)) != SSCN_OK)
		return err;
	if ((err = unsubscribe_token(req, form, hash_hex)) != SSCN_OK)
		return err;
	if ((err = db_begin(&req->worker->db, req->request_id)) != SSCN_OK)
		return err;
	if ((err = unsubscribe_user(req, hash_hex, user_id)) != SSCN_OK)
		return req->responded ? err : api_rollback(req, err);

	params[0] = "false";
	if ((err = api_db(req, "preferences_upsert", 1, params, &res)) !=
	    SSCN_OK)
		return api_rollback(req, err);
	before = strcmp(PQgetvalue(res, 0, 2), "t") == 0;
	PQclear(res);
	params[0] = hash_hex;
	err = api_db(req, "unsubscribe_token_used", 1, params, &used);
	PQclear(used);
	if (err != SSCN_OK)
		return api_rollback(req, err);

	details = json_object_new_object();
	json_object_object_add(details, "marketing_emails",
	    json_object_new_boolean(false));
	json_object_object_add(details, "before",
	    json_object_new_boolean(before));
	json_object_object_add(details, "via",
	    json_object_new_string("one_click"));
	err = audit_write(req, user_id, NULL, "preferences.unsubscribe",
	    user_id, "success", details);
	json_object_put(details);
	if (err != SSCN_OK)
		return api_rollback(req, err);

	root = json_object_new_object();
	json_object_object_add(root, "status",
	    json_object_new_string("unsubscribed"));
	json_object_object_add(root, "list",
	    json_object_new_string("marketing_emails"));
	json_object_object_add(root, "marketing_emails",
	    json_object_new_boolean(false));
	return api_commit_send(req, 200, root);
}
