/*
 * outbox.c - queue mail in the database, inside the caller's transaction.
 *
 * Delivery over SMTP is a separate job that reads sscn.mail_outbox, so a
 * change that rolls back sends nothing and no request waits on a mail
 * server.  Recipient and subject are refused when they contain CR or LF,
 * which would let a value inject mail headers.  Handlers queue through
 * outbox_queue_template(), so every text comes from mail_templates.c.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "sscn.h"
#include "mail_templates.h"
#include "api/pii_fields.h"
#include "auth/token.h"

enum sscn_err
outbox_queue(struct http_request *req, const char *recipient,
    const char *subject, const char *body, const char *template_name)
{
	const char	*params[7];
	PGresult	*res = NULL;
	char		 seal_id[37];
	char		 recipient_index[PII_INDEX_HEX_SIZE];
	char		*sealed_recipient = NULL, *sealed_body = NULL;
	enum sscn_err	 err;

	if (strpbrk(recipient, "\r\n") != NULL ||
	    strpbrk(subject, "\r\n") != NULL) {
		log_error(req->request_id, "outbox_rejected", "template=%s "
		    "reason=\"line break in a header value\"", template_name);
		return SSCN_ERR_VALIDATION;
	}

	/*
	 * The blind index of the address lets a purge find a person's mail;
	 * an address that does not normalise is queued without one.
	 */
	err = api_email_index(req, recipient, recipient_index);
	if (err != SSCN_OK && err != SSCN_ERR_VALIDATION)
		return err;
	params[6] = err == SSCN_OK ? recipient_index : NULL;

	token_random_uuid(seal_id);
	if ((err = api_pii_seal(req, PII_OUTBOX_RECIPIENT, seal_id, recipient,
	    &sealed_recipient)) != SSCN_OK ||
	    (err = api_pii_seal(req, PII_OUTBOX_BODY, seal_id, body,
	    &sealed_body)) != SSCN_OK)
		goto out;
	params[0] = sealed_recipient;
	params[1] = subject;
	params[2] = sealed_body;
	params[3] = template_name;
	params[4] = req->request_id;
	params[5] = seal_id;
	err = db_exec(&req->worker->db, req->request_id, "outbox_insert", 7,
	    params, &res);
	PQclear(res);
out:
	free(sealed_recipient);
	free(sealed_body);
	return err;
}

enum sscn_err
outbox_queue_template(struct http_request *req, const char *recipient,
    const char *template_name, const struct mail_value *values)
{
	char		*subject, *body;
	char		 reason[160];
	enum sscn_err	 err;

	err = mail_template_render(template_name, values, &subject, &body,
	    reason, sizeof(reason));
	if (err != SSCN_OK) {
		log_error(req->request_id, "mail_template_failed",
		    "template=%s reason=\"%s\"", template_name, reason);
		return err;
	}
	err = outbox_queue(req, recipient, subject, body, template_name);
	mail_text_free(subject);
	mail_text_free(body);
	return err;
}

char *
outbox_link(const struct http_request *req, const char *path,
    const char *suffix)
{
	char *link;

	if (asprintf(&link, "%s%s%s", req->worker->conf->base_url, path,
	    suffix) == -1)
		return NULL;
	return link;
}
