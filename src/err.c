/*
 * err.c - the one place where an outcome becomes an HTTP answer.
 *
 * Each enum sscn_err maps to a status, a machine code from the HTTP
 * contract and a fixed sentence.  The sentences hold no internals, so a
 * handler may return any of them without further thought about what the
 * client learns.
 */
#include "config.h"

#include "sscn.h"

struct err_entry {
	int		 status;
	const char	*code;
	const char	*message;
};

static const struct err_entry err_table[SSCN_ERR__COUNT] = {
	[SSCN_OK] = { 200, "ok", "The request succeeded." },
	[SSCN_ERR_VALIDATION] = { 400, "validation_failed",
	    "The request is invalid." },
	[SSCN_ERR_UNAUTHORIZED] = { 401, "unauthorized",
	    "Authentication is required." },
	[SSCN_ERR_FORBIDDEN] = { 403, "forbidden",
	    "The request is not allowed." },
	[SSCN_ERR_NOT_FOUND] = { 404, "not_found",
	    "The requested resource does not exist." },
	[SSCN_ERR_CONFLICT] = { 409, "conflict",
	    "The request conflicts with the current state of the resource." },
	[SSCN_ERR_TOO_LARGE] = { 413, "payload_too_large",
	    "The request body is too large." },
	[SSCN_ERR_MEDIA_TYPE] = { 415, "unsupported_media_type",
	    "The request body must be application/json." },
	[SSCN_ERR_RATE_LIMITED] = { 429, "rate_limited",
	    "Too many requests; retry later." },
	[SSCN_ERR_MFA_REQUIRED] = { 403, "mfa_required",
	    "This action needs a session that passed multi-factor "
	    "authentication." },
	[SSCN_ERR_REAUTH] = { 403, "reauthentication_required",
	    "Sign in again to confirm this action." },
	[SSCN_ERR_ACCEPTANCE] = { 403, "acceptance_required",
	    "Accept the current terms and privacy notice first." },
	[SSCN_ERR_MFA_ENROLLMENT] = { 403, "mfa_enrollment_required",
	    "Set up multi-factor authentication first." },
	[SSCN_ERR_NDA_REQUIRED] = { 403, "nda_required",
	    "Accept this RFQ's non-disclosure agreement first." },
	[SSCN_ERR_INTERNAL] = { 500, "internal_error",
	    "An internal error occurred." },
	[SSCN_ERR_UNAVAILABLE] = { 503, "unavailable",
	    "The service is temporarily unavailable; retry later." },
};

static const struct err_entry *
err_lookup(enum sscn_err err)
{
	if ((unsigned)err >= SSCN_ERR__COUNT)
		err = SSCN_ERR_INTERNAL;
	return &err_table[err];
}

int
err_http_status(enum sscn_err err)
{
	return err_lookup(err)->status;
}

const char *
err_code(enum sscn_err err)
{
	return err_lookup(err)->code;
}

const char *
err_message(enum sscn_err err)
{
	return err_lookup(err)->message;
}
