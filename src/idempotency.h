/*
 * idempotency.h - the Idempotency-Key header of POST requests that create
 * objects (draft-ietf-httpapi-idempotency-key-header).
 *
 * A route with ROUTE_IDEMPOTENT accepts the header.  Once authn_require()
 * has opened the request's transaction, idem_claim() takes a transaction
 * advisory lock on the client and the key, then looks for an unexpired
 * row in sscn.idempotency_keys.  A row with the same request hash is sent
 * again as it was stored, and a row with another hash gets 422.  A key
 * whose lock another transaction holds gets 409.  Without a row, the handler
 * runs with its response captured and its db_commit() deferred, and
 * idem_finish() inserts the row, sealed, before the one COMMIT that also
 * makes the object and its audit row durable.  Only 2xx responses are
 * stored, for IDEM_TTL seconds.
 */
#ifndef SSCN_IDEMPOTENCY_H
#define SSCN_IDEMPOTENCY_H

#include "sscn.h"

/* Seconds a stored response is replayed; "sscnctl purge" deletes it after. */
#define IDEM_TTL		(24 * 60 * 60)

/* Field-key label of the sealed response (pii_columns.c). */
#define IDEM_RESPONSE_AAD	"idempotency_keys.response:"

extern const struct db_statement idem_statements[];
extern const size_t idem_nstatements;

/*
 * Read and check the Idempotency-Key header of a ROUTE_IDEMPOTENT route
 * and, when it is present, hash the request and start capturing the
 * response.  Returns false once a 400 is sent for an invalid key.
 */
bool	idem_begin(struct http_request *);

/*
 * Look the key up in the transaction authn_require() opened.  Returns
 * SSCN_OK when the handler should go on (no key, or a key seen for the
 * first time).  Otherwise the response (the stored one, 409 or 422)
 * is already sent, the transaction is rolled back, and the returned
 * error only stops the handler.
 */
enum sscn_err idem_claim(struct http_request *) SSCN_WARN_UNUSED;

/*
 * After the handler: store the captured 2xx response in the deferred
 * transaction and commit it, then send it.  A response that the handler
 * did not commit is sent as it is.  A failed store or COMMIT rolls the
 * object back and sends 503 or 500 in place of the response.
 */
void	idem_finish(struct http_request *);

/* Capture one response of a request with a key; see http_write(). */
void	idem_capture(struct http_request *, int status,
	    const char *content_type, const char *body, size_t len);

#endif /* SSCN_IDEMPOTENCY_H */
