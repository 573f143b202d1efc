/*
 * outbox.c - queue mail in the database, inside the caller's transaction.
 *
 * Delivery over SMTP is a separate job that reads sscn.mail_outbox, so a
 * change that rolls back sends nothing and no request waits on a mail
 * server.  Recipient and subject are refused when they contain CR or LF,
 * which would let a value inject mail headers.
 */
#include "config.h"

#include <string.h>

#include <libpq-fe.h>

#include "sscn.h"

enum sscn_err
outbox_queue(struct http_request *req, const char *recipient,
    const char *subject, const char *body, const char *template_name)
{
	const char	*params[5];
	PGresult	*res = NULL;
	enum sscn_err	 err;

	if (strpbrk(recipient, "\r\n") != NULL ||
	    strpbrk(subject, "\r\n") != NULL) {
		log_error(req->request_id, "outbox_rejected", "template=%s "
		    "reason=\"line break in a header value\"", template_name);
		return SSCN_ERR_VALIDATION;
	}

	params[0] = recipient;
	params[1] = subject;
	params[2] = body;
	params[3] = template_name;
	params[4] = req->request_id;
	err = db_exec(&req->worker->db, req->request_id, "outbox_insert", 5,
	    params, &res);
	PQclear(res);
	return err;
}
