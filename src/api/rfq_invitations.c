/*
 * rfq_invitations.c - the suppliers invited to an RFQ and its NDA gate:
 * POST and GET /api/v1/rfqs/{id}/invitations, POST
 * /api/v1/rfqs/{id}/nda/accept and GET /api/v1/rfqs/{id}/nda/acceptances.
 *
 * An acceptance binds the supplier's organization: once one of its users
 * has accepted the pinned NDA version, every member sees the RFQ's
 * details.  Acceptances are append-only evidence (user, version, SHA-256
 * of the exact text, time, address and user agent); accepting the same
 * version again returns the first acceptance unchanged.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>
#include <libpq-fe.h>

#include "sscn.h"
#include "api/auth_session.h"
#include "api/rfqs.h"
#include "api/pii_fields.h"

/* Supplier organizations in one request; 37 bytes each in the array. */
#define RFQ_INVITE_MAX		100
#define RFQ_UUID_ARRAY_MAX	(RFQ_INVITE_MAX * 37 + 3)
/* The column allows 512 characters. */
#define RFQ_USER_AGENT_MAX	512
#define RFQ_NDA_VERSION_MAX	32

/* Append "id" to the PostgreSQL array literal "array" ("{a,b}"). */
static void
rfq_array_add(char *array, size_t size, const char *id)
{
	size_t len = strlen(array);

	if (len == 0)
		snprintf(array, size, "{%s}", id);
	else if (strstr(array, id) == NULL)
		snprintf(array + len - 1, size - len + 1, ",%s}", id);
}

/*
 * Read {"supplier_org_ids": [uuid, ...]} into an array literal without
 * repeats.  Problems go into "fields".
 */
static void
rfq_read_supplier_ids(struct json_object *body, char *array, size_t size,
    struct json_object *fields)
{
	static const char *const allowed[] = { "supplier_org_ids", NULL };
	struct json_object	*list;
	size_t			 i, n;

	array[0] = '\0';
	json_reject_unknown(body, allowed, fields);
	if (!json_object_object_get_ex(body, "supplier_org_ids", &list) ||
	    !json_object_is_type(list, json_type_array) ||
	    (n = json_object_array_length(list)) < 1 || n > RFQ_INVITE_MAX) {
		json_object_object_add(fields, "supplier_org_ids",
		    json_object_new_string("must be an array of 1 to 100 "
		    "organization ids"));
		return;
	}
	for (i = 0; i < n; i++) {
		struct json_object	*item = json_object_array_get_idx(list, i);
		const char		*id;

		if (!json_object_is_type(item, json_type_string) ||
		    !session_is_uuid(id = json_object_get_string(item))) {
			json_object_object_add(fields, "supplier_org_ids",
			    json_object_new_string("must contain only "
			    "organization ids (UUIDs)"));
			return;
		}
		rfq_array_add(array, size, id);
	}
}

/* The RFQ's invitations as a JSON array, read in the open transaction. */
static enum sscn_err
rfq_invitation_items(struct http_request *req, struct json_object **items)
{
	PGresult	*res = NULL;
	enum sscn_err	 err;

	*items = NULL;
	err = api_db(req, "rfq_invitations", 1, req->match.params, &res);
	if (err != SSCN_OK)
		return err;
	*items = rfq_rows_json(res, (const char *const[]){ "supplier_org_id",
	    "supplier_name", "invited_at", "response", "invited_by", NULL });
	PQclear(res);
	return SSCN_OK;
}

/*
 * Check that each id in "array" is a supplier organization; the others
 * are listed in "fields".
 */
static enum sscn_err
rfq_check_suppliers(struct http_request *req, const char *array,
    struct json_object *fields)
{
	const char	*params[1] = { array };
	char		 missing[RFQ_UUID_ARRAY_MAX] = "";
	char		 wanted[RFQ_UUID_ARRAY_MAX];
	char		*id, *save = NULL;
	PGresult	*res = NULL;
	enum sscn_err	 err;
	int		 i;

	if ((err = api_db(req, "rfq_supplier_orgs", 1, params, &res)) !=
	    SSCN_OK)
		return err;

	/* Walk the literal "{a,b,c}" and report each id the query missed. */
	snprintf(wanted, sizeof(wanted), "%s", array + 1);
	wanted[strcspn(wanted, "}")] = '\0';
	for (id = strtok_r(wanted, ",", &save); id != NULL;
	    id = strtok_r(NULL, ",", &save)) {
		for (i = 0; i < PQntuples(res); i++)
			if (strcasecmp(PQgetvalue(res, i, 0), id) == 0)
				break;
		if (i == PQntuples(res))
			rfq_array_add(missing, sizeof(missing), id);
	}
	PQclear(res);
	if (missing[0] != '\0') {
		char message[RFQ_UUID_ARRAY_MAX + 64];

		snprintf(message, sizeof(message), "are not supplier "
		    "organizations: %s", missing);
		json_object_object_add(fields, "supplier_org_ids",
		    json_object_new_string(message));
		return SSCN_ERR_VALIDATION;
	}
	return SSCN_OK;
}

/*
 * Invite, audit, and mail the new invitees at once when the RFQ is
 * already published (a draft's invitees are mailed when it is published).
 */
static enum sscn_err
rfq_apply_invite(struct http_request *req, PGresult *lock, const char *array,
    struct json_object **added)
{
	const char		*params[3] = { req->match.params[0], array,
	    req->user_id };
	char			 fresh[RFQ_UUID_ARRAY_MAX] = "";
	struct json_object	*details;
	PGresult		*res = NULL;
	enum sscn_err		 err;
	int			 i;

	*added = json_object_new_array();
	if ((err = api_db(req, "rfq_invite", 3, params, &res)) != SSCN_OK)
		return err;
	for (i = 0; i < PQntuples(res); i++) {
		json_object_array_add(*added, json_object_new_string(
		    PQgetvalue(res, i, 0)));
		rfq_array_add(fresh, sizeof(fresh), PQgetvalue(res, i, 0));
	}
	PQclear(res);

	details = json_object_new_object();
	json_object_object_add(details, "supplier_org_ids",
	    json_object_get(*added));
	err = audit_write(req, req->user_id, req->org_id, "rfq.invite",
	    req->match.params[0], "success", details);
	json_object_put(details);

	if (err == SSCN_OK && fresh[0] != '\0' &&
	    strcmp(PQgetvalue(lock, 0, RFQ_L_STATUS), "published") == 0)
		err = rfq_mail_suppliers(req, fresh, "rfq_invitation",
		    PQgetvalue(lock, 0, RFQ_L_TITLE), NULL);
	return err;
}

enum sscn_err
rfq_invite(struct http_request *req)
{
	struct json_object	*fields = json_object_new_object();
	struct json_object	*root, *added = NULL, *items = NULL;
	char			 array[RFQ_UUID_ARRAY_MAX];
	const char		*status;
	PGresult		*lock = NULL;
	enum sscn_err		 err;

	rfq_read_supplier_ids(req->json, array, sizeof(array), fields);
	if ((err = authn_require(req)) != SSCN_OK) {
		json_object_put(fields);
		return err;
	}
	if (json_object_object_length(fields) > 0)
		return api_validation_failed(req, fields);
	if ((err = rfq_begin_change(req, &lock)) != SSCN_OK) {
		json_object_put(fields);
		return err;
	}

	status = PQgetvalue(lock, 0, RFQ_L_STATUS);
	if (strcmp(status, "draft") != 0 && strcmp(status, "published") != 0)
		err = SSCN_ERR_CONFLICT;
	if (err == SSCN_OK)
		err = rfq_check_suppliers(req, array, fields);
	if (err == SSCN_OK)
		err = rfq_apply_invite(req, lock, array, &added);
	if (err == SSCN_OK)
		err = rfq_invitation_items(req, &items);
	PQclear(lock);

	err = rfq_end_change(req, err);
	if (err == SSCN_ERR_VALIDATION) {
		json_object_put(added);
		return api_validation_failed(req, fields);
	}
	json_object_put(fields);
	if (err != SSCN_OK) {
		json_object_put(added);
		json_object_put(items);
		return err;
	}
	root = json_object_new_object();
	json_object_object_add(root, "added", added);
	json_object_object_add(root, "items", items);
	http_send_json(req, 200, root);
	json_object_put(root);
	return SSCN_OK;
}

/*
 * Authenticate and check that the caller's organization is the buyer of
 * the RFQ of path parameter 0; 404 otherwise.
 */
static enum sscn_err
rfq_require_buyer(struct http_request *req)
{
	PGresult	*res = NULL;
	enum sscn_err	 err;

	if ((err = authn_require(req)) != SSCN_OK)
		return err;
	if (!session_is_uuid(req->match.params[0]))
		return SSCN_ERR_NOT_FOUND;
	err = api_db(req, "rfq_owned", 1, req->match.params, &res);
	if (err == SSCN_OK && PQntuples(res) != 1)
		err = SSCN_ERR_NOT_FOUND;
	PQclear(res);
	return err;
}

enum sscn_err
rfq_invitations_list(struct http_request *req)
{
	struct json_object	*root, *items;
	enum sscn_err		 err;

	if ((err = rfq_require_buyer(req)) != SSCN_OK ||
	    (err = rfq_invitation_items(req, &items)) != SSCN_OK)
		return err;
	root = json_object_new_object();
	json_object_object_add(root, "items", items);
	json_object_object_add(root, "next_cursor", NULL);
	http_send_json(req, 200, root);
	json_object_put(root);
	return SSCN_OK;
}

/* ---- NDA ------------------------------------------------------------- */

/* The client's user agent as printable ASCII, cut to the column's limit. */
static void
rfq_clean_user_agent(const char *src, char *dst, size_t dstlen)
{
	size_t i;

	for (i = 0; src != NULL && src[i] != '\0' && i + 1 < dstlen; i++)
		dst[i] = (src[i] >= ' ' && src[i] < 0x7f) ? src[i] : '?';
	dst[i] = '\0';
}

/* The pinned NDA of a visible RFQ must be the version accepted. */
static enum sscn_err
rfq_check_nda_target(struct http_request *req, const char *version)
{
	PGresult	*res = NULL;
	enum sscn_err	 err;

	err = api_db(req, "rfq_nda_target", 1, req->match.params, &res);
	if (err == SSCN_OK && PQntuples(res) != 1)
		err = SSCN_ERR_NOT_FOUND;
	else if (err == SSCN_OK && (strcmp(PQgetvalue(res, 0, 0), "t") != 0 ||
	    strcmp(PQgetvalue(res, 0, 1), version) != 0)) {
		log_info(req->request_id, "rfq_nda_rejected", "rfq_id=%s "
		    "reason=\"no NDA or another version pinned\"",
		    req->match.params[0]);
		err = SSCN_ERR_CONFLICT;
	}
	PQclear(res);
	return err;
}

static struct json_object *
rfq_acceptance_json(struct http_request *req, PGresult *res)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "rfq_id",
	    json_object_new_string(req->match.params[0]));
	json_object_object_add(o, "supplier_org_id",
	    json_object_new_string(req->org_id));
	json_object_object_add(o, "user_id", api_json_text(res, 0, 0));
	json_object_object_add(o, "nda_version", api_json_text(res, 0, 1));
	json_object_object_add(o, "nda_sha256", api_json_text(res, 0, 2));
	json_object_object_add(o, "accepted_at", api_json_text(res, 0, 3));
	return o;
}

enum sscn_err
rfq_nda_accept(struct http_request *req)
{
	static const char *const allowed[] = { "version", NULL };
	struct json_object	*fields = json_object_new_object();
	struct json_object	*details, *body;
	const char		*version = NULL;
	const char		*params[4];
	char			 agent[RFQ_USER_AGENT_MAX + 1];
	char			 row_key[160];
	char			*address = NULL;
	PGresult		*res = NULL;
	enum sscn_err		 err;
	bool			 created = false;

	json_reject_unknown(req->json, allowed, fields);
	json_get_string(req->json, "version", true, RFQ_NDA_VERSION_MAX,
	    &version, fields);
	if ((err = authn_require_valid(req, fields)) != SSCN_OK)
		return err;
	if (strcmp(req->org_kind, "supplier") != 0)
		return SSCN_ERR_FORBIDDEN;
	if (!session_is_uuid(req->match.params[0]))
		return SSCN_ERR_NOT_FOUND;
	if ((err = authn_begin(req)) != SSCN_OK ||
	    (err = rfq_check_nda_target(req, version)) != SSCN_OK)
		return err;

	rfq_clean_user_agent(req->user_agent, agent, sizeof(agent));
	/* The row key as PII_NDA_ACCEPTANCE_KEY computes it in SQL. */
	snprintf(row_key, sizeof(row_key), "%s:%s:%s", req->match.params[0],
	    req->org_id, version);
	if ((err = api_pii_seal(req, PII_NDA_ADDRESS, row_key,
	    req->remote_addr, &address)) != SSCN_OK)
		return api_rollback(req, err);
	params[0] = req->match.params[0];
	params[1] = version;
	params[2] = address;
	params[3] = agent;
	err = api_db(req, "rfq_nda_accept", 4, params, &res);
	free(address);
	if (err == SSCN_OK && PQntuples(res) != 1)
		err = SSCN_ERR_CONFLICT;
	if (err == SSCN_OK && (created = strcmp(PQgetvalue(res, 0, 4),
	    "t") == 0)) {
		details = json_object_new_object();
		json_object_object_add(details, "nda_version",
		    json_object_new_string(version));
		err = audit_write(req, req->user_id, req->org_id,
		    "rfq.nda_accept", req->match.params[0], "success", details);
		json_object_put(details);
	}
	if (err == SSCN_OK)
		err = db_commit(&req->worker->db, req->request_id);
	if (err != SSCN_OK) {
		PQclear(res);
		return api_rollback(req, err);
	}
	body = rfq_acceptance_json(req, res);
	PQclear(res);
	http_send_json(req, created ? 201 : 200, body);
	json_object_put(body);
	return SSCN_OK;
}

enum sscn_err
rfq_nda_acceptances(struct http_request *req)
{
	struct json_object	*root, *items;
	PGresult		*res = NULL;
	enum sscn_err		 err;
	int			 i;

	if ((err = rfq_require_buyer(req)) != SSCN_OK)
		return err;
	err = api_db(req, "rfq_nda_acceptances", 1, req->match.params, &res);
	if (err != SSCN_OK)
		return err;
	items = rfq_rows_json(res, (const char *const[]){ "supplier_org_id",
	    "supplier_name", "user_id", "user_name", "nda_version",
	    "nda_sha256", "accepted_at", NULL });
	/* Column 3 holds the name's ciphertext: replace it with the name. */
	for (i = 0; i < PQntuples(res); i++)
		if ((err = api_pii_add(req, json_object_array_get_idx(items,
		    (size_t)i), "user_name", PII_USERS_FULL_NAME,
		    PQgetvalue(res, i, 2), res, i, 3)) != SSCN_OK) {
			json_object_put(items);
			PQclear(res);
			return err;
		}
	PQclear(res);
	root = json_object_new_object();
	json_object_object_add(root, "items", items);
	json_object_object_add(root, "next_cursor", NULL);
	http_send_json(req, 200, root);
	json_object_put(root);
	return SSCN_OK;
}
