/*
 * documents.c - POST /api/v1/documents and GET /api/v1/documents/{id}:
 * a document's metadata, the first of the two upload steps.
 *
 * A document belongs to an object of the caller's organization.  A
 * certificate belongs to one of its certifications or to its supplier
 * profile, and owner_id is then the organization's id.  An RFQ attachment
 * belongs to one of its RFQs, a quote attachment to one of its quotes.
 * The content follows with PUT .../content (document_content.c).
 *
 * The file name is the client's, so it is cleaned before it is stored:
 * NFC, no control or bidirectional formatting characters, no directory
 * part (after the last "/" or "\"), no surrounding spaces, at most
 * DOCUMENT_FILENAME_MAX bytes.  A name that is empty, or only dots, after
 * that is rejected.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>
#include <libpq-fe.h>

#include "sscn.h"
#include "api/auth_session.h"
#include "api/documents.h"
#include "auth/token.h"

/* Bytes of a stored file name: the usual file system limit. */
#define DOCUMENT_FILENAME_MAX 255

/* Characters of the name as sent, directory part included. */
#define DOCUMENT_PATH_MAX_CHARS 4096

static bool
document_in_list(const char *value, const char *const *list)
{
	size_t i;

	for (i = 0; list[i] != NULL; i++)
		if (strcmp(list[i], value) == 0)
			return true;
	return false;
}

static const char *const document_purposes[] = { "certificate",
    "rfq_attachment", "quote_attachment", NULL };
static const char *const document_types[] = { "application/pdf",
    "image/png", "image/jpeg", NULL };

struct json_object *
document_json(PGresult *res, int row)
{
	struct json_object *obj = json_object_new_object();

	json_object_object_add(obj, "id", api_json_text(res, row, 0));
	json_object_object_add(obj, "purpose", api_json_text(res, row, 1));
	json_object_object_add(obj, "owner_id", api_json_text(res, row, 2));
	json_object_object_add(obj, "filename", api_json_text(res, row, 3));
	json_object_object_add(obj, "content_type",
	    api_json_text(res, row, 4));
	json_object_object_add(obj, "status", api_json_text(res, row, 5));
	json_object_object_add(obj, "size", PQgetisnull(res, row, 6) ? NULL :
	    json_object_new_int64(strtoll(PQgetvalue(res, row, 6), NULL, 10)));
	json_object_object_add(obj, "sha256", api_json_text(res, row, 7));
	json_object_object_add(obj, "created_at", api_json_text(res, row, 8));
	json_object_object_add(obj, "stored_at", api_json_text(res, row, 9));
	json_object_object_add(obj, "organization_id",
	    api_json_text(res, row, 10));
	return obj;
}

struct json_object *
document_audit_details(const char *const *changed)
{
	struct json_object	*details = json_object_new_object();
	struct json_object	*fields = json_object_new_array();
	size_t			 i;

	for (i = 0; changed[i] != NULL; i++)
		json_object_array_add(fields, json_object_new_string(changed[i]));
	json_object_object_add(details, "fields", fields);
	return details;
}

enum sscn_err
document_finish(struct http_request *req, const char *action, const char *id,
    struct json_object *details, int status, struct json_object *root)
{
	enum sscn_err err;

	err = audit_write(req, req->user_id, req->org_id, action, id, "success",
	    details);
	json_object_put(details);
	if (err != SSCN_OK) {
		db_rollback(&req->worker->db, req->request_id);
		json_object_put(root);
		return err;
	}
	return api_commit_send(req, status, root);
}

/*
 * True when the UTF-8 text "s" contains a bidirectional formatting character
 * (U+061C, U+200E, U+200F, U+202A to U+202E, U+2066 to U+2069), which can
 * make "invoice<RLO>fdp.exe" display as "invoiceexe.pdf".
 */
static bool
document_has_bidi(const unsigned char *s)
{
	for (; *s != '\0'; s++) {
		if (s[0] == 0xd8 && s[1] == 0x9c)
			return true;
		if (s[0] != 0xe2 || s[1] == '\0')
			continue;
		if (s[1] == 0x80 && (s[2] == 0x8e || s[2] == 0x8f ||
		    (s[2] >= 0xaa && s[2] <= 0xae)))
			return true;
		if (s[1] == 0x81 && s[2] >= 0xa6 && s[2] <= 0xa9)
			return true;
	}
	return false;
}

/*
 * Clean the file name "name" (NFC, free of control characters: checked by
 * json_get_text()) into "out".  Returns NULL, or the problem for
 * "fields".
 */
static const char *
document_filename(const char *name, char out[DOCUMENT_FILENAME_MAX + 1])
{
	const char	*base = name;
	const char	*p;
	size_t		 len;

	/* Both separators: a name may come from Windows or from Unix. */
	for (p = name; *p != '\0'; p++)
		if (*p == '/' || *p == '\\')
			base = p + 1;
	while (*base == ' ')
		base++;
	len = strlen(base);
	while (len > 0 && base[len - 1] == ' ')
		len--;

	if (strspn(base, ".") >= len)
		return "must name a file, not only a directory";
	if (len > DOCUMENT_FILENAME_MAX)
		return "is too long (at most 255 bytes without the directory)";
	memcpy(out, base, len);
	out[len] = '\0';
	if (document_has_bidi((const unsigned char *)out))
		return "must not contain bidirectional formatting characters";
	return NULL;
}

enum sscn_err
document_owner_check(struct http_request *req, const char *purpose,
    const char *owner_id)
{
	const char	*params[1] = { owner_id };
	const char	*statement, *state;
	PGresult	*res = NULL;
	enum sscn_err	 err;

	if (strcmp(purpose, "certificate") == 0)
		statement = "document_owner_certificate";
	else if (strcmp(purpose, "rfq_attachment") == 0)
		statement = "document_owner_rfq";
	else
		statement = "document_owner_quote";

	if (req->org_id[0] == '\0')
		return SSCN_ERR_NOT_FOUND;
	err = db_exec(&req->worker->db, req->request_id, statement, 1, params,
	    &res);
	if (err != SSCN_OK)
		return err;
	if (PQntuples(res) == 0) {
		PQclear(res);
		return SSCN_ERR_NOT_FOUND;
	}
	state = PQgetvalue(res, 0, 0);

	/* The supplier profile and certifications are the managers' to edit. */
	if (strcmp(purpose, "certificate") == 0 &&
	    strcmp(req->org_role, "owner") != 0 &&
	    strcmp(req->org_role, "admin") != 0)
		err = SSCN_ERR_FORBIDDEN;
	else if (strcmp(purpose, "rfq_attachment") == 0 &&
	    (strcmp(state, "cancelled") == 0 || strcmp(state, "awarded") == 0))
		err = SSCN_ERR_CONFLICT;
	else if (strcmp(purpose, "quote_attachment") == 0 &&
	    strcmp(state, "open") != 0)
		err = SSCN_ERR_CONFLICT;
	PQclear(res);
	return err;
}

/* The request body's fields, checked and cleaned. */
struct document_fields {
	const char	*purpose;
	const char	*owner_id;
	const char	*content_type;
	char		 filename[DOCUMENT_FILENAME_MAX + 1];
};

/* Check the body of POST /api/v1/documents; problems go into "fields". */
static void
document_parse(struct json_object *body, struct document_fields *doc,
    struct json_object *fields)
{
	static const char *const allowed[] = { "purpose", "owner_id",
	    "filename", "content_type", NULL };
	const char *name = NULL, *problem;

	json_reject_unknown(body, allowed, fields);
	if (json_get_string(body, "purpose", true, 32, &doc->purpose,
	    fields) == SSCN_OK && !document_in_list(doc->purpose,
	    document_purposes))
		json_object_object_add(fields, "purpose", json_object_new_string(
		    "must be certificate, rfq_attachment or quote_attachment"));
	if (json_get_string(body, "owner_id", true, 36, &doc->owner_id,
	    fields) == SSCN_OK && !session_is_uuid(doc->owner_id))
		json_object_object_add(fields, "owner_id",
		    json_object_new_string("must be a UUID"));
	if (json_get_string(body, "content_type", true, 32,
	    &doc->content_type, fields) == SSCN_OK &&
	    !document_in_list(doc->content_type, document_types))
		json_object_object_add(fields, "content_type",
		    json_object_new_string("must be application/pdf, "
		    "image/png or image/jpeg"));
	if (json_get_text(body, "filename", true, DOCUMENT_PATH_MAX_CHARS,
	    false, &name, fields) == SSCN_OK &&
	    (problem = document_filename(name, doc->filename)) != NULL)
		json_object_object_add(fields, "filename",
		    json_object_new_string(problem));
}

enum sscn_err
documents_create(struct http_request *req)
{
	static const char *const changed[] = { "purpose", "owner_id",
	    "filename", "content_type", NULL };
	struct json_object	*fields = json_object_new_object();
	struct json_object	*details, *root;
	struct document_fields	 doc;
	const char		*params[7];
	char			 id[37];
	PGresult		*res = NULL;
	enum sscn_err		 err;

	memset(&doc, 0, sizeof(doc));
	document_parse(req->json, &doc, fields);

	/* A request without a login gets 401 whatever its body contains. */
	if ((err = authn_require_valid(req, fields)) != SSCN_OK)
		return err;

	if ((err = document_owner_check(req, doc.purpose, doc.owner_id)) !=
	    SSCN_OK)
		return err;

	token_random_uuid(id);
	params[0] = id;
	params[1] = req->org_id;
	params[2] = doc.purpose;
	params[3] = doc.owner_id;
	params[4] = doc.filename;
	params[5] = doc.content_type;
	params[6] = req->user_id;
	err = db_exec(&req->worker->db, req->request_id, "document_insert", 7,
	    params, &res);
	if (err != SSCN_OK)
		return err;
	root = document_json(res, 0);
	PQclear(res);

	details = document_audit_details(changed);
	json_object_object_add(details, "purpose",
	    json_object_new_string(doc.purpose));
	return document_finish(req, "document.create", id, details, 201, root);
}

enum sscn_err
document_find(struct http_request *req, const char *statement, PGresult **res)
{
	const char	*params[1] = { req->match.params[0] };
	enum sscn_err	 err;

	*res = NULL;
	if ((err = authn_require(req)) != SSCN_OK)
		return err;
	if (!session_is_uuid(params[0]))
		return SSCN_ERR_NOT_FOUND;
	err = db_exec(&req->worker->db, req->request_id, statement, 1, params,
	    res);
	if (err == SSCN_OK && PQntuples(*res) != 1) {
		PQclear(*res);
		*res = NULL;
		err = SSCN_ERR_NOT_FOUND;
	}
	return err;
}

enum sscn_err
documents_get(struct http_request *req)
{
	struct json_object	*root;
	PGresult		*res = NULL;
	enum sscn_err		 err;

	if ((err = document_find(req, "document_select", &res)) != SSCN_OK)
		return err;
	if (strcmp(PQgetvalue(res, 0, DOCUMENT_COLUMN_NDA_BLOCKED), "t") == 0) {
		PQclear(res);
		return SSCN_ERR_NDA_REQUIRED;
	}
	root = document_json(res, 0);
	PQclear(res);
	http_send_json(req, 200, root);
	json_object_put(root);
	return SSCN_OK;
}
