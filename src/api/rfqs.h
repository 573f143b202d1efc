/*
 * rfqs.h - handlers of RFQs, their supplier invitations and NDA gate,
 * and what their files share.
 */
#ifndef SSCN_API_RFQS_H
#define SSCN_API_RFQS_H

#include <stdbool.h>
#include <stdint.h>

#include "sscn.h"

struct json_object;
struct pg_result;

enum sscn_err rfq_create(struct http_request *);
enum sscn_err rfq_list(struct http_request *);
enum sscn_err rfq_get(struct http_request *);
enum sscn_err rfq_patch(struct http_request *);
enum sscn_err rfq_publish(struct http_request *);
enum sscn_err rfq_close(struct http_request *);
enum sscn_err rfq_cancel(struct http_request *);
enum sscn_err rfq_invite(struct http_request *);
enum sscn_err rfq_invitations_list(struct http_request *);
enum sscn_err rfq_nda_accept(struct http_request *);
enum sscn_err rfq_nda_acceptances(struct http_request *);

/* Column positions of RFQ_SUMMARY_COLUMNS and RFQ_DETAIL_COLUMNS. */
enum rfq_column {
	RFQ_C_ID = 0,
	RFQ_C_BUYER_ORG_ID,
	RFQ_C_BUYER_NAME,
	RFQ_C_TITLE,
	RFQ_C_CATEGORY,
	RFQ_C_QUANTITY,
	RFQ_C_UNIT,
	RFQ_C_CURRENCY,
	RFQ_C_DELIVERY_COUNTRY,
	RFQ_C_NEED_BY,
	RFQ_C_QUOTE_DEADLINE,
	RFQ_C_VISIBILITY,
	RFQ_C_NDA_REQUIRED,
	RFQ_C_NDA_VERSION,
	RFQ_C_SEALED,
	RFQ_C_STATUS,		/* effective: closed once the deadline passed */
	RFQ_C_PUBLISHED_AT,
	RFQ_C_CLOSED_AT,
	RFQ_C_CREATED_AT,
	RFQ_C_IS_BUYER,		/* the caller's organization is the buyer */
	RFQ_C_NDA_ACCEPTED,	/* the caller's organization accepted it */
	RFQ_SUMMARY_NCOLUMNS,

	RFQ_C_DESCRIPTION = RFQ_SUMMARY_NCOLUMNS,
	RFQ_C_AWARDED_AT,
	RFQ_C_AWARDED_QUOTE_ID,
	RFQ_C_CANCELLED_AT,
	RFQ_C_CANCEL_REASON,
	RFQ_C_CREATED_BY,
	RFQ_C_UPDATED_AT,
	RFQ_C_VERSION,
	RFQ_DETAIL_NCOLUMNS
};

/* Columns of the "rfq_lock" statement. */
enum rfq_lock_column {
	RFQ_L_STORED_STATUS = 0,
	RFQ_L_STATUS,		/* effective */
	RFQ_L_VERSION,
	RFQ_L_NEED_BY,
	RFQ_L_DEADLINE,		/* Unix time, NULL when unset */
	RFQ_L_VISIBILITY,
	RFQ_L_INVITATIONS,
	RFQ_L_HAS_CATEGORY,
	RFQ_L_HAS_QUANTITY,
	RFQ_L_HAS_UNIT,
	RFQ_L_HAS_CURRENCY,
	RFQ_L_HAS_COUNTRY,
	RFQ_L_TITLE
};

/* The RFQ of one row as the API shows it. */
struct json_object *rfq_json(struct pg_result *res, int row, bool detail);

/*
 * Every row of "res" as an array of objects whose members are "keys"
 * (NULL-terminated), each the text of the column at its index.
 */
struct json_object *rfq_rows_json(struct pg_result *res,
	    const char *const *keys);

/*
 * Open the caller's transaction for a change to the RFQ of path parameter
 * 0 and lock it: SSCN_ERR_NOT_FOUND unless the caller's organization is
 * its buyer.  A published RFQ past its deadline is written down as closed
 * first, with its audit row, and "*lock" (caller PQclear()s) then shows
 * it closed.  On an error no transaction is open.
 */
enum sscn_err rfq_begin_change(struct http_request *, struct pg_result **lock)
	    SSCN_WARN_UNUSED;

/*
 * End a change: commit on SSCN_OK (a failed commit is returned), roll
 * back otherwise, except that SSCN_ERR_CONFLICT and SSCN_ERR_VALIDATION
 * still commit the deadline closing of rfq_begin_change().
 */
enum sscn_err rfq_end_change(struct http_request *, enum sscn_err err);

/*
 * Queue one mail to each owner and admin of the supplier organizations
 * that the RFQ of path parameter 0 concerns (invited or quoting), or only
 * of those in "only" (a PostgreSQL uuid array literal) unless it is NULL.
 * The mail is "template_name" of mail_templates.c with the recipient's
 * {{name}}, the RFQ's {{title}} and {{link}}, and {{reason}} unless
 * "reason" is NULL.
 */
enum sscn_err rfq_mail_suppliers(struct http_request *, const char *only,
	    const char *template_name, const char *title, const char *reason)
	    SSCN_WARN_UNUSED;

/* Unix time of an RFC 3339 timestamp; false when it is not one. */
bool	rfq_parse_timestamp(const char *s, int64_t *out);

/* Days since 1970-01-01 of a YYYY-MM-DD date; false when it is not one. */
bool	rfq_parse_date(const char *s, int64_t *out);

#endif
