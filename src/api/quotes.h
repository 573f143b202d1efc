/*
 * quotes.h - handlers of quotes, their revisions and awards, and the
 * message threads of an RFQ, with the helpers they share
 * (quote_common.c).
 */
#ifndef SSCN_API_QUOTES_H
#define SSCN_API_QUOTES_H

#include <stdbool.h>
#include <stddef.h>

struct http_request;
struct json_object;
struct paging;
struct pg_result;

/* Columns of the quote statements built on QUOTE_SELECT. */
enum quote_column {
	QUOTE_COL_ID = 0,
	QUOTE_COL_RFQ_ID,
	QUOTE_COL_SUPPLIER_ORG_ID,
	QUOTE_COL_SUPPLIER_NAME,
	QUOTE_COL_STATUS,		/* stored, or "expired" */
	QUOTE_COL_REVISION,
	QUOTE_COL_UNIT_PRICE,
	QUOTE_COL_CURRENCY,
	QUOTE_COL_LEAD_TIME_DAYS,
	QUOTE_COL_VALID_UNTIL,
	QUOTE_COL_NOTES,
	QUOTE_COL_SUBMITTED_AT,
	QUOTE_COL_UPDATED_AT,		/* the current revision's creation */
	QUOTE_COL_WITHDRAWN_AT,
	QUOTE_COL_DECIDED_AT,
	QUOTE_COL_LOCKED,
	QUOTE_COL_CURSOR_MICROS,
	QUOTE_COL_STORED_STATUS,
	QUOTE_COL_RFQ_CURRENCY,		/* NULL when the RFQ is out of reach */
	QUOTE_COL_BUYER_ORG_ID,
	QUOTE_COL_RFQ_STATUS,		/* effective; "" out of reach */
	QUOTE_COL_EXPIRED		/* valid_until has passed */
};

/* Columns of the statement message_list. */
enum message_column {
	MESSAGE_COL_ID = 0,
	MESSAGE_COL_SUPPLIER_ORG_ID,
	MESSAGE_COL_SUPPLIER_NAME,
	MESSAGE_COL_AUTHOR_ID,
	MESSAGE_COL_AUTHOR_NAME,
	MESSAGE_COL_AUTHOR_SIDE,	/* "buyer" or "supplier" */
	MESSAGE_COL_BODY,
	MESSAGE_COL_CREATED_AT,
	MESSAGE_COL_CURSOR_MICROS
};

/* What an RFQ looks like to the caller (statement quote_rfq_access). */
struct quote_rfq {
	char	buyer_org_id[37];
	char	status[16];	/* effective: a passed deadline reads closed */
	char	currency[4];
	char	title[801];	/* 200 characters of at most 4 bytes */
	bool	nda_pending;	/* a supplier that must accept the NDA first */
	bool	is_buyer;	/* the caller's organization is the buyer */
	bool	is_supplier;	/* the caller acts for a supplier */
};

/*
 * Read RFQ "rfq_id" as the caller, inside the transaction that
 * authn_require() opened.  SSCN_ERR_NOT_FOUND when row-level security
 * hides it or "rfq_id" is no UUID.  For a supplier, "nda_gate" turns a
 * pending NDA acceptance into SSCN_ERR_NDA_REQUIRED.
 */
enum sscn_err quote_rfq_load(struct http_request *, const char *rfq_id,
	    bool nda_gate, struct quote_rfq *rfq)
	    __attribute__((warn_unused_result));

/* quote_rfq_load() from the result of a quote_rfq_access statement. */
enum sscn_err quote_rfq_take(struct http_request *, const struct pg_result *,
	    bool nda_gate, struct quote_rfq *rfq)
	    __attribute__((warn_unused_result));

/* The quote of row "row" of a QUOTE_SELECT result, as the API shows it. */
struct json_object *quote_to_json(const struct pg_result *, int row);

/*
 * Read quote "id" as it is now, commit, and send it with "status"; on
 * failure roll back and return the error.
 */
enum sscn_err quote_commit_and_send(struct http_request *, const char *id,
	    int status) __attribute__((warn_unused_result));

/*
 * Write the audit row of "action" on "target" with details {"REF_NAME":
 * "REF_ID", "fields": [...]}; "changed" is a NULL-terminated list of the
 * changed field names.
 */
enum sscn_err quote_audit(struct http_request *, const char *action,
	    const char *target, const char *ref_name, const char *ref_id,
	    const char *const *changed) __attribute__((warn_unused_result));

/*
 * Build the details object of quote_audit() for an audit_step().  The
 * caller releases it with json_object_put().
 */
struct json_object *quote_audit_details(const char *ref_name,
	    const char *ref_id, const char *const *changed);

/* The terms of a quote revision, as a request body sets them. */
struct quote_terms {
	char		 unit_price[24];	/* decimal text, "" unset */
	const char	*currency;	/* NULL unset; points into the body */
	long long	 lead_time_days;	/* -1 unset */
	char		 valid_until[11];	/* YYYY-MM-DD, "" unset */
	const char	*notes;		/* NULL unset; NFC, points into the body */
};

/*
 * Read the terms fields of "body" into "terms", every one required when
 * "required" is set.  Problems go into "fields"; the currency is checked
 * against ISO 4217 but not yet against the RFQ.
 */
enum sscn_err quote_terms_parse(struct http_request *,
	    struct json_object *body, bool required, struct quote_terms *terms,
	    struct json_object *fields) __attribute__((warn_unused_result));

/* quotes.c */
/*
 * Read quote "id" as the caller into "*res" (caller PQclear()s), in the
 * columns of enum quote_column; SSCN_ERR_NOT_FOUND when hidden.
 */
enum sscn_err quote_read(struct http_request *, const char *id,
	    struct pg_result **res) __attribute__((warn_unused_result));
/*
 * Parse ?limit= and a keyed ?cursor= (paging_parse_keyed()), sending
 * 400 itself.
 */
enum sscn_err quote_paging(struct http_request *, struct paging *)
	    __attribute__((warn_unused_result));
enum sscn_err quote_submit(struct http_request *);
enum sscn_err quote_list(struct http_request *);
enum sscn_err quote_get(struct http_request *);

/* quote_changes.c */
enum sscn_err quote_patch(struct http_request *);
enum sscn_err quote_withdraw(struct http_request *);

/* quote_award.c */
enum sscn_err quote_award(struct http_request *);

/* messages.c */
enum sscn_err message_list(struct http_request *);
enum sscn_err message_post(struct http_request *);

#endif
