/*
 * document_content.c - PUT and GET /api/v1/documents/{id}/content: the
 * bytes of a document, uploaded once and downloaded as an attachment.
 *
 * Upload: the user who created the document sends the raw bytes, with
 * Content-Type equal to the declared type or application/octet-stream.
 * The limit is HTTP_LARGE_BODY_MAX, the route's own limit in http.c, and
 * nginx has the same.  The bytes must be the declared type by
 * content (document_check.c).  Content, size, SHA-256 and the status
 * "stored" are written in one transaction with the audit row, through
 * binary parameters, so no 10 MiB hex text is ever built.  A refused
 * upload changes nothing and the document stays pending.
 *
 * Download: for callers whom row-level security lets see the document
 * (its organization, or those who see its owner object), subject to the
 * NDA gate of RFQ attachments.  Every download and every download held
 * back by the NDA gate is audited and committed before the bytes go out.
 * The response is an attachment with a sandbox Content-Security-Policy;
 * nginx adds X-Content-Type-Options: nosniff to every response and leaves
 * out its own policy when sscnd sent one (nginx/sscn-maps.conf).
 */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <json-c/json.h>
#include <libpq-fe.h>
#include <sodium.h>

#include "sscn.h"
#include "api/documents.h"

/* The policy of a download: no script, no plugin, no fetch, no frame. */
#define CONTENT_CSP "Content-Security-Policy: sandbox; default-src 'none'; " \
	"frame-ancestors 'none'; base-uri 'none'; form-action 'none'"

/* Columns of "document_lock" in document_statements.c. */
enum lock_column {
	LOCK_STATUS = 0,
	LOCK_PURPOSE,
	LOCK_OWNER,
	LOCK_CONTENT_TYPE,
	LOCK_IS_CREATOR
};

/*
 * True when the request's Content-Type, without parameters and case
 * aside, is "declared" or application/octet-stream.
 */
static bool
content_type_matches(const char *sent, const char *declared)
{
	size_t len;

	if (sent == NULL)
		return false;
	len = strcspn(sent, ";");
	while (len > 0 && (sent[len - 1] == ' ' || sent[len - 1] == '\t'))
		len--;
	if (len == strlen(declared) && strncasecmp(sent, declared, len) == 0)
		return true;
	return len == 24 && strncasecmp(sent, "application/octet-stream",
	    len) == 0;
}

/*
 * The fixed spelling of a stored type, which the table's CHECK limits to
 * three; NULL for anything else.
 */
static const char *
content_type_literal(const char *stored)
{
	static const char *const types[] = { "application/pdf", "image/png",
	    "image/jpeg", NULL };
	size_t i;

	for (i = 0; types[i] != NULL; i++)
		if (strcmp(types[i], stored) == 0)
			return types[i];
	return NULL;
}

/* Send 415 with a sentence about what was wrong with the upload. */
static enum sscn_err
content_reject_type(struct http_request *req, const char *message)
{
	db_rollback(&req->worker->db, req->request_id);
	http_send_error(req, 415, "unsupported_media_type", message, NULL);
	return SSCN_OK;
}

/* Write the stored content and its audit row, commit and send 200. */
static enum sscn_err
content_store(struct http_request *req, const char *id,
    const char *content_type)
{
	static const char *const changed[] = { "content", "size", "sha256",
	    "status", NULL };
	unsigned char		 digest[crypto_hash_sha256_BYTES];
	char			 size[24];
	const char		*params[4];
	int			 lengths[4] = { 0, 0, 0, 0 };
	int			 formats[4] = { 0, 1, 0, 1 };
	struct json_object	*details, *root;
	PGresult		*res = NULL;
	enum sscn_err		 err;

	crypto_hash_sha256(digest, (const unsigned char *)req->body,
	    req->body_len);
	snprintf(size, sizeof(size), "%zu", req->body_len);
	params[0] = id;
	params[1] = req->body;
	lengths[1] = (int)req->body_len;
	params[2] = size;
	params[3] = (const char *)digest;
	lengths[3] = (int)sizeof(digest);
	err = db_exec_params(&req->worker->db, req->request_id,
	    "document_store", 4, params, lengths, formats, 0, &res);
	if (err != SSCN_OK)
		return err;
	if (PQntuples(res) != 1) {
		PQclear(res);
		return SSCN_ERR_CONFLICT;
	}
	root = document_json(res, 0);
	PQclear(res);

	details = document_audit_details(changed);
	json_object_object_add(details, "content_type",
	    json_object_new_string(content_type));
	json_object_object_add(details, "size",
	    json_object_new_int64((int64_t)req->body_len));
	return document_finish(req, "document.upload", id, details, 200, root);
}

enum sscn_err
documents_put_content(struct http_request *req)
{
	const char	*id = req->match.params[0];
	char		 content_type[32];
	PGresult	*res = NULL;
	enum sscn_err	 err;
	bool		 creator;

	/* The row stays locked, so a second upload waits and then gets 409. */
	if ((err = document_find(req, "document_lock", &res)) != SSCN_OK)
		return err;
	creator = strcmp(PQgetvalue(res, 0, LOCK_IS_CREATOR), "t") == 0;
	if (strcmp(PQgetvalue(res, 0, LOCK_STATUS), "pending") != 0)
		err = SSCN_ERR_CONFLICT;
	else if (!creator)
		err = SSCN_ERR_FORBIDDEN;
	else
		err = document_owner_check(req, PQgetvalue(res, 0, LOCK_PURPOSE),
		    PQgetvalue(res, 0, LOCK_OWNER));
	snprintf(content_type, sizeof(content_type), "%s",
	    PQgetvalue(res, 0, LOCK_CONTENT_TYPE));
	PQclear(res);
	if (err != SSCN_OK)
		return err;

	if (!content_type_matches(req->content_type, content_type))
		return content_reject_type(req, "The Content-Type must be the "
		    "document's declared type or application/octet-stream.");
	if (req->body_len == 0) {
		http_send_error(req, 400, "validation_failed", "The request "
		    "body is empty; the document's content is required.",
		    NULL);
		return SSCN_OK;
	}
	if (!document_check_content(req, content_type,
	    (const unsigned char *)req->body, req->body_len, &err)) {
		if (err != SSCN_OK)
			return err;
		return content_reject_type(req, "The content is not a valid "
		    "file of the document's declared type.");
	}
	return content_store(req, id, content_type);
}

/*
 * Queue "Content-Disposition: attachment" for the UTF-8 name "name"
 * (RFC 6266): a quoted ASCII fallback where every other byte sequence,
 * '"', '\' and '%' become '_', and, when that differs from the name, the
 * exact name as filename* (RFC 8187).
 */
static int
content_disposition(struct http_request *req, const char *name)
{
	static const char attr_chars[] = "!#$&+-.^_`|~";
	const unsigned char	*p;
	char			 ascii[256];
	char			 encoded[3 * 255 + 1];
	size_t			 a = 0, e = 0;

	for (p = (const unsigned char *)name; *p != '\0' &&
	    a + 1 < sizeof(ascii) && e + 4 < sizeof(encoded); p++) {
		if ((*p & 0xc0) != 0x80)
			ascii[a++] = (*p >= 0x20 && *p < 0x7f && *p != '"' &&
			    *p != '\\' && *p != '%') ? (char)*p : '_';
		if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
		    (*p >= '0' && *p <= '9') || (*p != '\0' &&
		    strchr(attr_chars, *p) != NULL))
			encoded[e++] = (char)*p;
		else
			e += (size_t)snprintf(encoded + e, sizeof(encoded) - e,
			    "%%%02X", *p);
	}
	ascii[a] = '\0';
	encoded[e] = '\0';

	if (strcmp(ascii, name) == 0)
		return http_add_headerf(req, "Content-Disposition: attachment; "
		    "filename=\"%s\"", ascii);
	return http_add_headerf(req, "Content-Disposition: attachment; "
	    "filename=\"%s\"; filename*=UTF-8''%s", ascii, encoded);
}

/* Audit a download (or a refusal by the NDA gate) and commit. */
static enum sscn_err
content_audit(struct http_request *req, const char *id, const char *result,
    const char *purpose, int size)
{
	struct json_object	*details = json_object_new_object();
	enum sscn_err		 err;

	json_object_object_add(details, "purpose",
	    json_object_new_string(purpose));
	if (size >= 0)
		json_object_object_add(details, "size",
		    json_object_new_int(size));
	err = audit_write(req, req->user_id, req->org_id, "document.download",
	    id, result, details);
	json_object_put(details);
	if (err == SSCN_OK)
		err = db_commit(&req->worker->db, req->request_id);
	return err;
}

/*
 * Read the content of "id" with a binary result, so the bytes arrive as
 * they are.  "*res" (caller PQclear()s) contains them in row 0, column 0.
 */
static enum sscn_err
content_read(struct http_request *req, const char *id, PGresult **res)
{
	const char	*params[1] = { id };
	enum sscn_err	 err;

	err = db_exec_params(&req->worker->db, req->request_id,
	    "document_content", 1, params, NULL, NULL, 1, res);
	if (err == SSCN_OK && (PQntuples(*res) != 1 ||
	    PQgetisnull(*res, 0, 0))) {
		PQclear(*res);
		*res = NULL;
		err = SSCN_ERR_NOT_FOUND;
	}
	return err;
}

enum sscn_err
documents_get_content(struct http_request *req)
{
	const char	*id = req->match.params[0];
	const char	*content_type;
	char		 purpose[32];
	PGresult	*meta = NULL, *res = NULL;
	enum sscn_err	 err;

	if ((err = document_find(req, "document_select", &meta)) != SSCN_OK)
		return err;

	/* A pending document has no content to download yet. */
	if (strcmp(PQgetvalue(meta, 0, DOCUMENT_COLUMN_STATUS), "stored") != 0) {
		PQclear(meta);
		return SSCN_ERR_NOT_FOUND;
	}
	snprintf(purpose, sizeof(purpose), "%s",
	    PQgetvalue(meta, 0, DOCUMENT_COLUMN_PURPOSE));
	content_type = content_type_literal(PQgetvalue(meta, 0,
	    DOCUMENT_COLUMN_TYPE));
	if (content_type == NULL) {
		PQclear(meta);
		return SSCN_ERR_INTERNAL;
	}
	if (strcmp(PQgetvalue(meta, 0, DOCUMENT_COLUMN_NDA_BLOCKED), "t") == 0) {
		PQclear(meta);
		err = content_audit(req, id, "denied", purpose, -1);
		return err != SSCN_OK ? err : SSCN_ERR_NDA_REQUIRED;
	}
	err = content_disposition(req, PQgetvalue(meta, 0,
	    DOCUMENT_COLUMN_FILENAME)) == 0 ?
	    SSCN_OK : SSCN_ERR_INTERNAL;
	PQclear(meta);
	if (err != SSCN_OK)
		return err;

	if ((err = content_read(req, id, &res)) != SSCN_OK)
		return err;
	err = content_audit(req, id, "success", purpose,
	    PQgetlength(res, 0, 0));
	if (err != SSCN_OK) {
		PQclear(res);
		return err;
	}
	http_add_header(req, CONTENT_CSP);
	http_send_bytes(req, 200, content_type, PQgetvalue(res, 0, 0),
	    (size_t)PQgetlength(res, 0, 0));
	PQclear(res);
	return SSCN_OK;
}
