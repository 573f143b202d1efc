/*
 * incident_statements.c - statements of the breach register and of the
 * admin audit search.
 *
 * Row-level security lets only platform admins reach the incident tables
 * (sql/0008_incidents.sql).  The handlers also check the admin role and
 * an MFA-verified session before they run any of these statements.
 */
#include "config.h"

#include "sscn.h"

/* RFC 3339 in UTC, to the second. */
#define INCIDENT_TS(col) \
	"to_char(" col " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"

/* The 72-hour notification deadline of GDPR Article 33(1). */
#define INCIDENT_DEADLINE "(i.became_aware_at + interval '72 hours')"

/*
 * One incident as the API shows it, as a single JSON column, with the
 * computed deadline, the seconds left until it (negative when overdue)
 * and the number of affected users notified so far.  Two objects are
 * concatenated because json_build_object takes at most 100 arguments.
 */
#define INCIDENT_JSON \
	"(jsonb_build_object(" \
	"  'id', i.id, 'title', i.title, 'severity', i.severity, " \
	"  'status', i.status, 'reporter', i.reporter, " \
	"  'detected_at', " INCIDENT_TS("i.detected_at") ", " \
	"  'became_aware_at', " INCIDENT_TS("i.became_aware_at") ", " \
	"  'deadline_at', " INCIDENT_TS(INCIDENT_DEADLINE) ", " \
	"  'seconds_to_deadline', " \
	"    floor(extract(epoch FROM " INCIDENT_DEADLINE " - now()))::bigint, " \
	"  'description', i.description, " \
	"  'data_categories', to_jsonb(i.data_categories), " \
	"  'subject_categories', to_jsonb(i.subject_categories), " \
	"  'approx_subjects', i.approx_subjects, " \
	"  'approx_records', i.approx_records, " \
	"  'consequences', i.consequences, 'risk_level', i.risk_level, " \
	"  'risk_reasoning', i.risk_reasoning, 'measures', i.measures, " \
	"  'contact_point', i.contact_point) || jsonb_build_object(" \
	"  'authority_notified', i.authority_notified_at IS NOT NULL, " \
	"  'authority_notified_at', " INCIDENT_TS("i.authority_notified_at") ", " \
	"  'authority_reference', i.authority_reference, " \
	"  'authority_delay_reason', i.authority_delay_reason, " \
	"  'authority_not_notified_reason', i.authority_not_notified_reason, " \
	"  'subjects_notified', i.subjects_notified_at IS NOT NULL, " \
	"  'subjects_notified_at', " INCIDENT_TS("i.subjects_notified_at") ", " \
	"  'subjects_notification_method', i.subjects_notification_method, " \
	"  'subjects_not_notified_reason', i.subjects_not_notified_reason, " \
	"  'affected_users_notified', (SELECT count(*) " \
	"    FROM sscn.incident_subjects s WHERE s.incident_id = i.id), " \
	"  'processor_notifications', i.processor_notifications, " \
	"  'lessons_learned', i.lessons_learned, " \
	"  'closed_at', " INCIDENT_TS("i.closed_at") ", " \
	"  'created_by', i.created_by, " \
	"  'created_at', " INCIDENT_TS("i.created_at") ", " \
	"  'updated_at', " INCIDENT_TS("i.updated_at") "))::text"

/* The columns a client sets, named as the API's fields (incident_fields.c). */
#define INCIDENT_WRITABLE \
	"title, severity, status, reporter, detected_at, became_aware_at, " \
	"description, data_categories, subject_categories, approx_subjects, " \
	"approx_records, consequences, risk_level, risk_reasoning, measures, " \
	"contact_point, authority_notified_at, authority_reference, " \
	"authority_delay_reason, authority_not_notified_reason, " \
	"subjects_notified_at, subjects_notification_method, " \
	"subjects_not_notified_reason, processor_notifications, " \
	"lessons_learned"

/* Microseconds since the epoch: the time part of a list cursor. */
#define INCIDENT_MICROS(col) \
	"((extract(epoch FROM " col ") * 1000000)::numeric(20, 0))::text"

const struct db_statement incident_statements[] = {
	/*
	 * $2 contains the validated fields of the request, named as the
	 * columns.  jsonb_populate_record() converts them with the columns'
	 * own types, over the defaults of a new incident.
	 */
	{ "incident_insert",
	  "INSERT INTO sscn.incidents (id, " INCIDENT_WRITABLE ", closed_at, "
	  "created_by) "
	  "SELECT $1::uuid, " INCIDENT_WRITABLE ", "
	  "CASE WHEN status = 'closed' THEN now() END, $3::uuid "
	  "FROM jsonb_populate_record(NULL::sscn.incidents, "
	  "'{\"status\": \"open\", \"data_categories\": [], "
	  "\"subject_categories\": []}'::jsonb || $2::jsonb)",
	  3, false },
	{ "incident_get",
	  "SELECT " INCIDENT_JSON " FROM sscn.incidents i WHERE i.id = $1::uuid",
	  1, false },
	/* The row to change, locked until the transaction ends. */
	{ "incident_get_for_update",
	  "SELECT " INCIDENT_JSON " FROM sscn.incidents i "
	  "WHERE i.id = $1::uuid FOR UPDATE",
	  1, false },
	/*
	 * Overwrite the columns named in $2 (validated and checked against
	 * the stored row by the handler) and keep every other one.  $3 is
	 * the new status's effect on closed_at: "close", "reopen" or "".
	 */
	{ "incident_update",
	  "UPDATE sscn.incidents i SET (" INCIDENT_WRITABLE ") = "
	  "(SELECT " INCIDENT_WRITABLE " "
	  "FROM jsonb_populate_record(i, $2::jsonb)), "
	  "closed_at = CASE $3 WHEN 'close' THEN now() "
	  "  WHEN 'reopen' THEN NULL ELSE i.closed_at END, "
	  "updated_at = now() "
	  "WHERE i.id = $1::uuid",
	  3, false },
	/* One phase of the incident's history: the values set by a change. */
	{ "incident_update_record",
	  "INSERT INTO sscn.incident_updates (incident_id, changed_by, changes) "
	  "VALUES ($1::uuid, $2::uuid, $3::jsonb)",
	  3, false },
	/* The incident's history as one JSON array, oldest first. */
	{ "incident_updates_list",
	  "SELECT coalesce(jsonb_agg(jsonb_build_object("
	  "  'changed_at', " INCIDENT_TS("u.changed_at") ", "
	  "  'changed_by', u.changed_by, 'changes', u.changes) "
	  "  ORDER BY u.id), '[]')::text "
	  "FROM sscn.incident_updates u WHERE u.incident_id = $1::uuid",
	  1, false },
	/*
	 * Open incidents, or every one when $1 is true, the oldest awareness
	 * (the nearest deadline) first, after the keyed cursor ($2, $3).
	 * Columns: the JSON, the cursor's time in microseconds, the id.
	 */
	{ "incident_list",
	  "SELECT " INCIDENT_JSON ", "
	  INCIDENT_MICROS("i.became_aware_at") ", i.id::text "
	  "FROM sscn.incidents i "
	  "WHERE ($1::boolean OR i.status <> 'closed') "
	  "AND ($2::text IS NULL OR (i.became_aware_at, i.id) > "
	  "  (timestamptz 'epoch' + $2::bigint * interval '1 microsecond', "
	  "   $3::uuid)) "
	  "ORDER BY i.became_aware_at, i.id LIMIT $4::int",
	  4, false },

	/* ---- notification of affected users ---- */
	/* Columns: "user" or "organization", and the id. */
	{ "incident_unknown_targets",
	  "SELECT kind, id::text FROM sscn.incident_unknown_targets("
	  "$1::uuid[], $2::uuid[]) ORDER BY kind, id",
	  2, false },
	/*
	 * Record each affected user not yet notified of incident $1 and
	 * return them; users notified before are skipped, so each gets one
	 * notice per incident.  Columns: the user id, and the number of
	 * affected users this request named.
	 */
	{ "incident_subjects_add",
	  "WITH t AS (SELECT user_id FROM sscn.incident_affected_users("
	  "  $2::uuid[], $3::uuid[])), "
	  "n AS (INSERT INTO sscn.incident_subjects (incident_id, user_id) "
	  "  SELECT $1::uuid, user_id FROM t ON CONFLICT DO NOTHING "
	  "  RETURNING user_id) "
	  "SELECT n.user_id::text, (SELECT count(*) FROM t) FROM n "
	  "UNION ALL SELECT NULL, (SELECT count(*) FROM t) "
	  "ORDER BY 1 NULLS FIRST",
	  3, false },
	/* The first notice of data subjects sets when and how. */
	{ "incident_subjects_notified",
	  "UPDATE sscn.incidents SET "
	  "subjects_notified_at = coalesce(subjects_notified_at, now()), "
	  "subjects_notification_method = coalesce("
	  "  subjects_notification_method, 'e-mail'), "
	  "subjects_not_notified_reason = NULL, updated_at = now() "
	  "WHERE id = $1::uuid",
	  1, false },
	/* The sealed address a notice goes to. */
	{ "incident_user_address",
	  "SELECT email FROM sscn.users WHERE id = $1::uuid",
	  1, false },

	/* ---- audit search ---- */
	/*
	 * Parameters: actor, action, target, from, to (each NULL to skip),
	 * the id of the last row of the previous page, and the rows to
	 * fetch.  The address and details come back as text.
	 */
	{ "admin_audit_search",
	  "SELECT a.id::text, "
	  "to_char(a.occurred_at AT TIME ZONE 'UTC', "
	  "  'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'), a.actor_id::text, "
	  "a.organization_id::text, host(a.address), a.user_agent, a.action, "
	  "a.target, a.result, a.request_id, a.details::text "
	  "FROM sscn.admin_audit_search($1::uuid, $2, $3, $4::timestamptz, "
	  "$5::timestamptz, $6::bigint, $7::int) a",
	  7, true },
};

const size_t incident_nstatements =
    sizeof(incident_statements) / sizeof(incident_statements[0]);
