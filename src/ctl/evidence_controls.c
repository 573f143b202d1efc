/*
 * evidence_controls.c - the access, key, audit, incident and retention
 * controls of "sscnctl evidence": each one PASS or FAIL with the figure
 * behind it, read through the owner connection.
 *
 * A control whose facts cannot be read is "unknown" with the reason, and
 * one whose table does not exist yet is "not configured".
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>
#include <libpq-fe.h>

#include "ctl/ctl.h"
#include "crypto/pii.h"

/*
 * An access review signed off at most this long ago passes: a quarterly
 * review with two days' slack.
 */
#define EVIDENCE_SIGN_OFF_MAX_AGE_DAYS	92
/* The purge timer runs daily, so 48 hours without a run means a missed run. */
#define EVIDENCE_PURGE_MAX_AGE_HOURS	48
/* The settings that the lockout and session controls accept. */
#define EVIDENCE_LOCKOUT_MAX_THRESHOLD	10
#define EVIDENCE_IDLE_MAX		(30 * 60)	/* seconds */
#define EVIDENCE_ABSOLUTE_MAX		(24 * 60 * 60)	/* seconds */

/* Add a control with "status" and the figure as text to "controls". */
static struct json_object *
control_add(struct json_object *controls, const char *name,
    const char *status, const char *figure)
{
	struct json_object *c = json_object_new_object();

	json_object_object_add(c, "control", json_object_new_string(name));
	json_object_object_add(c, "status", json_object_new_string(status));
	json_object_object_add(c, "figure", json_object_new_string(figure));
	json_object_array_add(controls, c);
	return c;
}

/*
 * Run "sql" (no parameters) on "conn".  Returns the result, or NULL after
 * adding control "name" as unknown with the server's message.
 */
static PGresult *
control_query(PGconn *conn, struct json_object *controls, const char *name,
    const char *sql)
{
	PGresult	*res = PQexec(conn, sql);
	char		 figure[512];

	if (PQresultStatus(res) == PGRES_TUPLES_OK)
		return res;
	snprintf(figure, sizeof(figure), "query failed: %s",
	    PQresultErrorMessage(res));
	figure[strcspn(figure, "\n")] = '\0';
	control_add(controls, name, "unknown", figure);
	PQclear(res);
	return NULL;
}

static void
control_mfa(PGconn *conn, struct json_object *controls)
{
	PGresult	*res;
	char		 figure[128];
	long		 admins, users, enrolled;

	res = control_query(conn, controls, "admin_mfa",
	    "SELECT count(*) FILTER (WHERE is_admin AND totp_enabled_at IS NULL), "
	    "count(*), count(*) FILTER (WHERE totp_enabled_at IS NOT NULL) "
	    "FROM sscn.users WHERE purged_at IS NULL");
	if (res == NULL)
		return;
	admins = atol(PQgetvalue(res, 0, 0));
	users = atol(PQgetvalue(res, 0, 1));
	enrolled = atol(PQgetvalue(res, 0, 2));
	PQclear(res);

	snprintf(figure, sizeof(figure), "%ld admins without MFA", admins);
	json_object_object_add(control_add(controls, "admin_mfa",
	    admins == 0 ? "PASS" : "FAIL", figure), "count",
	    json_object_new_int64(admins));

	/* Only admins must use MFA, so the share of all users is a figure. */
	snprintf(figure, sizeof(figure), "%ld of %ld users (%.1f%%) use MFA",
	    enrolled, users, users > 0 ? 100.0 * enrolled / users : 0.0);
	control_add(controls, "user_mfa_share", "PASS", figure);
}

static void
control_settings(const struct sscn_conf *conf, struct json_object *controls)
{
	char	figure[160];
	bool	ok;

	ok = conf->lockout_threshold >= 1 &&
	    conf->lockout_threshold <= EVIDENCE_LOCKOUT_MAX_THRESHOLD &&
	    conf->lockout_duration > 0;
	snprintf(figure, sizeof(figure), "lockout after %u failures for %u s "
	    "(expected 1-%d failures, a duration above 0)",
	    conf->lockout_threshold, conf->lockout_duration,
	    EVIDENCE_LOCKOUT_MAX_THRESHOLD);
	control_add(controls, "lockout", ok ? "PASS" : "FAIL", figure);

	ok = conf->session_idle_timeout > 0 &&
	    conf->session_idle_timeout <= EVIDENCE_IDLE_MAX &&
	    conf->session_absolute_timeout > 0 &&
	    conf->session_absolute_timeout <= EVIDENCE_ABSOLUTE_MAX;
	snprintf(figure, sizeof(figure), "idle timeout %u s, absolute "
	    "timeout %u s (expected at most %d s and %d s)",
	    conf->session_idle_timeout, conf->session_absolute_timeout,
	    EVIDENCE_IDLE_MAX, EVIDENCE_ABSOLUTE_MAX);
	control_add(controls, "session_timeouts", ok ? "PASS" : "FAIL", figure);
}

/*
 * Count the field key versions in use over every encrypted column, as
 * "sscnctl keys status" does.  A single version means no rotation is
 * left unfinished.  NOTE: it does not check that this version is the
 * newest field key of the key file.
 */
static void
control_key_versions(PGconn *conn, struct json_object *controls)
{
	struct json_object	*versions = json_object_new_object();
	struct json_object	*c;
	char			 sql[512], figure[256] = "";
	size_t			 i, len = 0;
	int			 j, distinct = 0;

	for (i = 0; i < pii_ncolumns; i++) {
		const struct pii_column	*column = &pii_columns[i];
		PGresult		*res;

		/* Names come from the fixed column list, never from input. */
		snprintf(sql, sizeof(sql), "SELECT get_byte(%s, 0) * 256 + "
		    "get_byte(%s, 1), count(*) FROM %s WHERE %s IS NOT NULL "
		    "AND length(%s) >= 2 GROUP BY 1", column->column,
		    column->column, column->table, column->column,
		    column->column);
		res = PQexec(conn, sql);
		if (PQresultStatus(res) != PGRES_TUPLES_OK) {
			snprintf(figure, sizeof(figure), "counting %s.%s "
			    "failed", column->table, column->column);
			control_add(controls, "key_versions", "unknown", figure);
			PQclear(res);
			json_object_put(versions);
			return;
		}
		for (j = 0; j < PQntuples(res); j++) {
			const char		*version = PQgetvalue(res, j, 0);
			struct json_object	*count;
			int64_t			 rows = atoll(PQgetvalue(res, j, 1));

			if (json_object_object_get_ex(versions, version, &count))
				rows += json_object_get_int64(count);
			else
				distinct++;
			json_object_object_add(versions, version,
			    json_object_new_int64(rows));
		}
		PQclear(res);
	}

	json_object_object_foreach(versions, version, count)
		len += (size_t)snprintf(figure + len, len < sizeof(figure) ?
		    sizeof(figure) - len : 0, "%sversion %s: %s rows",
		    len > 0 ? ", " : "", version, json_object_get_string(count));
	if (distinct == 0)
		snprintf(figure, sizeof(figure), "no encrypted rows");
	c = control_add(controls, "key_versions", distinct <= 1 ? "PASS" :
	    "FAIL", figure);
	json_object_object_add(c, "versions", versions);
}

static void
control_audit_chain(PGconn *conn, struct json_object *controls)
{
	struct ctl_audit_chain	chain;
	char			figure[256];

	if (ctl_audit_chain_check(conn, 10000, &chain) == -1) {
		control_add(controls, "audit_chain", "unknown",
		    "reading sscn.audit_log failed; see standard error");
		return;
	}
	if (chain.broken)
		snprintf(figure, sizeof(figure), "%lld rows verified, broken at "
		    "id %s (%s, %s): %s", chain.verified, chain.id,
		    chain.occurred_at, chain.action, chain.reason);
	else
		snprintf(figure, sizeof(figure), "%lld rows verified",
		    chain.verified);
	control_add(controls, "audit_chain", chain.broken ? "FAIL" : "PASS",
	    figure);
}

/*
 * Accounts that keep their access but have not logged in for
 * access_review_dormant_days, by the definition of the access review
 * (sscn.account_dormant()).  Locked accounts and accounts scheduled for
 * deletion have lost or are losing their access, so they are not counted
 * here, although the review flags them too.
 */
static void
control_dormant(const struct sscn_conf *conf, PGconn *conn,
    struct json_object *controls)
{
	PGresult	*res;
	char		 sql[384], figure[128];
	long		 dormant;

	snprintf(sql, sizeof(sql), "SELECT count(*) FROM sscn.users "
	    "WHERE purged_at IS NULL AND deletion_scheduled_for IS NULL "
	    "AND admin_locked_at IS NULL AND sscn.account_dormant("
	    "last_login_at, created_at, %u)", conf->access_review_dormant_days);
	res = control_query(conn, controls, "dormant_accounts", sql);
	if (res == NULL)
		return;
	dormant = atol(PQgetvalue(res, 0, 0));
	PQclear(res);
	snprintf(figure, sizeof(figure), "%ld active accounts without a "
	    "login for %u days", dormant, conf->access_review_dormant_days);
	json_object_object_add(control_add(controls, "dormant_accounts",
	    dormant == 0 ? "PASS" : "FAIL", figure), "count",
	    json_object_new_int64(dormant));
}

/*
 * The newest access review sign-off (POST /api/v1/admin/access-review/
 * sign-off, audit action "admin.access_review_sign_off") must be at most
 * EVIDENCE_SIGN_OFF_MAX_AGE_DAYS old.  The figure names the reviewer and
 * the counts that the reviewer saw.
 */
static void
control_access_review(PGconn *conn, struct json_object *controls)
{
	struct json_object	*c;
	PGresult		*res;
	char			 figure[320];
	long			 age_days;

	res = control_query(conn, controls, "access_review",
	    "SELECT to_char(occurred_at AT TIME ZONE 'UTC', "
	    "'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), "
	    "extract(epoch FROM now() - occurred_at)::bigint / 86400, "
	    "coalesce(actor_id::text, '-'), coalesce(details->>'accounts', '-'), "
	    "coalesce(details->>'dormant', '-') FROM sscn.audit_log "
	    "WHERE action = 'admin.access_review_sign_off' "
	    "AND result = 'success' ORDER BY id DESC LIMIT 1");
	if (res == NULL)
		return;
	if (PQntuples(res) == 0) {
		control_add(controls, "access_review", "FAIL",
		    "no access review sign-off recorded");
		PQclear(res);
		return;
	}
	age_days = atol(PQgetvalue(res, 0, 1));
	snprintf(figure, sizeof(figure), "newest sign-off %s by %s, %ld days "
	    "ago (expected at most %d): %s accounts, %s dormant",
	    PQgetvalue(res, 0, 0), PQgetvalue(res, 0, 2), age_days,
	    EVIDENCE_SIGN_OFF_MAX_AGE_DAYS, PQgetvalue(res, 0, 3),
	    PQgetvalue(res, 0, 4));
	c = control_add(controls, "access_review",
	    age_days <= EVIDENCE_SIGN_OFF_MAX_AGE_DAYS ? "PASS" : "FAIL",
	    figure);
	json_object_object_add(c, "signed_off_at",
	    json_object_new_string(PQgetvalue(res, 0, 0)));
	json_object_object_add(c, "age_days", json_object_new_int64(age_days));
	json_object_object_add(c, "reviewer_id",
	    json_object_new_string(PQgetvalue(res, 0, 2)));
	PQclear(res);
}

/*
 * Open incidents and their 72-hour deadlines for notifying the supervisory
 * authority.  FAIL when one is past its deadline with neither a notice nor
 * a recorded reason for not notifying.
 */
static void
control_incidents(PGconn *conn, struct json_object *controls)
{
	struct json_object	*list = json_object_new_array(), *c;
	PGresult		*res;
	char			 figure[128];
	int			 i, overdue = 0;

	res = control_query(conn, controls, "incidents",
	    "SELECT id, to_char((became_aware_at + interval '72 hours') "
	    "AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), "
	    "(authority_notified_at IS NULL AND "
	    "authority_not_notified_reason IS NULL AND "
	    "became_aware_at + interval '72 hours' < now()) "
	    "FROM sscn.incidents WHERE status <> 'closed' ORDER BY 2");
	if (res == NULL) {
		json_object_put(list);
		return;
	}
	for (i = 0; i < PQntuples(res); i++) {
		struct json_object *incident;

		incident = json_object_new_object();
		json_object_object_add(incident, "id",
		    json_object_new_string(PQgetvalue(res, i, 0)));
		json_object_object_add(incident, "deadline",
		    json_object_new_string(PQgetvalue(res, i, 1)));
		if (strcmp(PQgetvalue(res, i, 2), "t") == 0)
			overdue++;
		json_object_array_add(list, incident);
	}
	PQclear(res);
	snprintf(figure, sizeof(figure), "%zu open, %d past the notification "
	    "deadline", json_object_array_length(list), overdue);
	c = control_add(controls, "incidents", overdue == 0 ? "PASS" : "FAIL",
	    figure);
	json_object_object_add(c, "open", list);
}

static void
control_purge(PGconn *conn, struct json_object *controls)
{
	PGresult	*res;
	char		 figure[160];
	bool		 ok;

	res = control_query(conn, controls, "purge",
	    "SELECT to_char(max(occurred_at) AT TIME ZONE 'UTC', "
	    "'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), "
	    "floor(extract(epoch FROM now() - max(occurred_at)) / 3600) "
	    "FROM sscn.audit_log WHERE action = 'retention.purge'");
	if (res == NULL)
		return;
	if (PQgetisnull(res, 0, 0)) {
		control_add(controls, "purge", "FAIL", "no purge run recorded");
		PQclear(res);
		return;
	}
	ok = atol(PQgetvalue(res, 0, 1)) <= EVIDENCE_PURGE_MAX_AGE_HOURS;
	snprintf(figure, sizeof(figure), "last run %s, %s hours ago "
	    "(expected at most %d)", PQgetvalue(res, 0, 0),
	    PQgetvalue(res, 0, 1), EVIDENCE_PURGE_MAX_AGE_HOURS);
	PQclear(res);
	control_add(controls, "purge", ok ? "PASS" : "FAIL", figure);
}

/*
 * The newest successful backup (its audit row "backup.create") must be
 * at most EVIDENCE_BACKUP_MAX_AGE_HOURS old, the RPO of sscn-backup(7)
 * with one missed hourly run; the newest restore test must have passed
 * within EVIDENCE_RESTORE_MAX_AGE_DAYS, a weekly run with a day's slack.
 */
#define EVIDENCE_BACKUP_MAX_AGE_HOURS	2
#define EVIDENCE_RESTORE_MAX_AGE_DAYS	8

static void
control_backups(PGconn *conn, struct json_object *controls)
{
	PGresult	*res;
	char		 figure[256];
	bool		 ok;

	res = control_query(conn, controls, "backups",
	    "SELECT to_char(max(occurred_at) AT TIME ZONE 'UTC', "
	    "'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), "
	    "extract(epoch FROM now() - max(occurred_at))::bigint / 3600 "
	    "FROM sscn.audit_log WHERE action = 'backup.create' "
	    "AND result = 'success'");
	if (res == NULL)
		return;
	if (PQgetisnull(res, 0, 0)) {
		control_add(controls, "backups", "FAIL", "no backup recorded");
	} else {
		ok = atol(PQgetvalue(res, 0, 1)) < EVIDENCE_BACKUP_MAX_AGE_HOURS;
		snprintf(figure, sizeof(figure), "newest %s, %s hours ago "
		    "(expected under %d)", PQgetvalue(res, 0, 0),
		    PQgetvalue(res, 0, 1), EVIDENCE_BACKUP_MAX_AGE_HOURS);
		control_add(controls, "backups", ok ? "PASS" : "FAIL", figure);
	}
	PQclear(res);

	res = control_query(conn, controls, "restore_tests",
	    "SELECT to_char(started_at AT TIME ZONE 'UTC', "
	    "'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), result, "
	    "extract(epoch FROM now() - started_at)::bigint / 86400, "
	    "duration_ms FROM sscn.restore_tests ORDER BY started_at DESC "
	    "LIMIT 1");
	if (res == NULL)
		return;
	if (PQntuples(res) == 0) {
		control_add(controls, "restore_tests", "FAIL",
		    "no restore test recorded");
	} else {
		ok = strcmp(PQgetvalue(res, 0, 1), "success") == 0 &&
		    atol(PQgetvalue(res, 0, 2)) < EVIDENCE_RESTORE_MAX_AGE_DAYS;
		snprintf(figure, sizeof(figure), "newest %s: %s in %s ms, %s "
		    "days ago (expected a success under %d days)",
		    PQgetvalue(res, 0, 0), PQgetvalue(res, 0, 1),
		    PQgetvalue(res, 0, 3), PQgetvalue(res, 0, 2),
		    EVIDENCE_RESTORE_MAX_AGE_DAYS);
		control_add(controls, "restore_tests", ok ? "PASS" : "FAIL",
		    figure);
	}
	PQclear(res);
}

struct json_object *
ctl_evidence_controls(const struct sscn_conf *conf, struct pg_conn *owner)
{
	struct json_object *controls = json_object_new_array();

	control_settings(conf, controls);
	if (owner == NULL) {
		control_add(controls, "database_controls", "unknown",
		    "no owner connection (database_owner)");
		return controls;
	}
	control_mfa(owner, controls);
	control_key_versions(owner, controls);
	control_audit_chain(owner, controls);
	control_dormant(conf, owner, controls);
	control_access_review(owner, controls);
	control_incidents(owner, controls);
	control_purge(owner, controls);
	control_backups(owner, controls);
	return controls;
}
