/*
 * incidents.h - the breach register (incidents.c, incident_fields.c,
 * incident_notify.c) and the admin audit search (admin_audit.c).
 */
#ifndef SSCN_API_INCIDENTS_H
#define SSCN_API_INCIDENTS_H

#include <time.h>

#include "sscn.h"

struct json_object;

extern const struct db_statement incident_statements[];
extern const size_t incident_nstatements;

/*
 * Authenticate an admin with an MFA-verified session, then report the
 * problems in "fields" (consumed) as 400, so that only an admin learns
 * what is wrong with a body.  On SSCN_OK the transaction of
 * authn_require() is open.
 */
enum sscn_err incident_admin_begin(struct http_request *,
	    struct json_object *fields) SSCN_WARN_UNUSED;

/* incident_fields.c */

/*
 * Parse an RFC 3339 date and time, "2026-12-01T09:30:00Z" or with a
 * fraction of a second and a "+02:00" offset, into Unix time.  The
 * fraction is dropped.  Returns false for anything else, and for years
 * before 1970 or after 9999.
 */
bool	rfc3339_parse(const char *s, time_t *out);

/* Write "t" as "YYYY-MM-DDTHH:MM:SSZ" (UTC) into "out". */
void	rfc3339_format(time_t t, char out[21]);

/*
 * Check the writable fields of "body" and return them as a new object
 * (caller puts it) with the columns' names: text in NFC, times as
 * "YYYY-MM-DDTHH:MM:SSZ" in UTC, and JSON null for a cleared field.
 * With "creating", the fields a new incident needs are required.
 * Problems, unknown fields included, go into "fields".
 */
struct json_object *incident_fields_parse(struct json_object *body,
	    bool creating, struct json_object *fields);

/*
 * Check the rules between fields on "incident", the whole incident as it
 * would be stored (the API's field names), adding each broken rule to
 * "fields" under the field to change.  Returns SSCN_ERR_VALIDATION if any.
 */
enum sscn_err incident_check_rules(struct json_object *incident,
	    struct json_object *fields);

/* incidents.c */

/*
 * Read incident "id" (statement "name": incident_get or
 * incident_get_for_update) as a new JSON object into "*incident".
 * SSCN_ERR_NOT_FOUND when it does not exist.
 */
enum sscn_err incident_read(struct http_request *, const char *name,
	    const char *id, struct json_object **incident) SSCN_WARN_UNUSED;
enum sscn_err incident_create(struct http_request *);
enum sscn_err incident_list(struct http_request *);
enum sscn_err incident_get(struct http_request *);
enum sscn_err incident_patch(struct http_request *);

/* incident_notify.c */
enum sscn_err incident_notify(struct http_request *);

/* admin_audit.c */
enum sscn_err admin_audit_list(struct http_request *);

struct csv;

/*
 * Finish "csv" (emptied either way) and send it as a 200 attachment named
 * "filename", with the cursor of the next part in X-Next-Cursor unless
 * "next" is NULL.
 */
enum sscn_err admin_csv_send(struct http_request *, struct csv *,
	    const char *filename, const char *next) SSCN_WARN_UNUSED;

#endif
