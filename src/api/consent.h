/*
 * consent.h - cookie consent, the marketing mail preference and one-click
 * unsubscribe: the handlers of consents.c, preferences.c and
 * unsubscribe.c, and their statements (consent_statements.c).
 */
#ifndef SSCN_API_CONSENT_H
#define SSCN_API_CONSENT_H

#include "sscn.h"

/*
 * The strictly necessary cookie that carries an anonymous visitor's
 * consent id, so the visitor can read the choice back.  One year, the
 * longest that the cookie policy promises to keep it.
 */
#define CONSENT_COOKIE		"__Host-sscn_consent"
#define CONSENT_COOKIE_MAX_AGE	31536000

enum sscn_err consent_post(struct http_request *);
enum sscn_err consent_get(struct http_request *);
enum sscn_err preferences_get(struct http_request *);
enum sscn_err preferences_put(struct http_request *);
enum sscn_err unsubscribe_get(struct http_request *);
enum sscn_err unsubscribe_post(struct http_request *);

extern const struct db_statement consent_statements[];
extern const size_t consent_nstatements;

#endif /* SSCN_API_CONSENT_H */
