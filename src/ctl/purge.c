/*
 * purge.c - "sscnctl purge [--dry-run]": erase the personal data of
 * accounts past their deletion date and enforce the retention periods of
 * sscn.conf(5).
 *
 * Runs as the schema owner (database_owner), because the purge of an
 * account touches tables that neither sscn_app nor sscn_maint may change.
 * Every batch is a transaction of its own, of at most PURGE_BATCH rows
 * taken with FOR UPDATE SKIP LOCKED.  The purge therefore holds no long
 * lock and can run while sscnd serves requests, and a row that is busy is
 * left for the next run.  Running it again removes nothing twice.
 *
 * One audit row (action retention.purge) records the number of rows each
 * category lost.  --dry-run counts what a run would remove, prints it and
 * changes nothing, not even the audit log.
 *
 * The audit log is the exception: it loses whole months only, partition
 * by partition, through the maintenance role (purge_audit_log.c).  Its rows
 * are never deleted one by one, because the append-only trigger refuses
 * any DELETE (see sscn-security(7), "Retention").
 */
#include "config.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>
#include <libpq-fe.h>

#include "ctl/ctl.h"

/* Rows per transaction: small enough that no lock is held for long. */
#define PURGE_BATCH 500
#define PURGE_INT4OID 23

/*
 * Parameters of every statement below, all int4: retention in seconds,
 * batch size, session idle timeout and session absolute timeout.
 * Statements ignore the ones they do not need; the given types make that
 * legal.
 */
#define PURGE_NPARAMS 4
#define PURGE_CUTOFF "now() - make_interval(secs => $1)"

/* Count the rows of "table" that match "where", or delete a batch of them. */
#define PURGE_COUNT(table, where) \
	"SELECT count(*) FROM sscn." table " WHERE " where
#define PURGE_DELETE(table, where) \
	"DELETE FROM sscn." table " WHERE ctid = ANY (ARRAY(" \
	"SELECT ctid FROM sscn." table " WHERE " where \
	" LIMIT $2 FOR UPDATE SKIP LOCKED))"

/*
 * Sessions that ended more than the retention period ago: revoked, idle
 * or past the absolute limit.
 */
#define PURGE_SESSIONS_ENDED \
	"(revoked_at < " PURGE_CUTOFF \
	" OR last_seen_at < " PURGE_CUTOFF " - make_interval(secs => $3)" \
	" OR created_at < " PURGE_CUTOFF " - make_interval(secs => $4))"
#define PURGE_TOKENS_DONE \
	"(used_at < " PURGE_CUTOFF " OR expires_at < " PURGE_CUTOFF ")"
#define PURGE_MAIL_DONE \
	"state IN ('sent', 'failed', 'skipped') AND " \
	"coalesce(sent_at, created_at) < " PURGE_CUTOFF
#define PURGE_CONSENTS_OLD "recorded_at < " PURGE_CUTOFF
#define PURGE_UNSUBSCRIBE_OLD \
	"coalesce(last_used_at, created_at) < " PURGE_CUTOFF
#define PURGE_EXPORTS_OLD "requested_at < " PURGE_CUTOFF
#define PURGE_OIDC_OLD \
	"coalesce(used_at, expires_at) < " PURGE_CUTOFF
/* An expired stored response is never used again, so it goes at once. */
#define PURGE_IDEMPOTENCY_EXPIRED "expires_at <= now()"
#define PURGE_LOCKOUTS_OLD \
	"updated_at < " PURGE_CUTOFF \
	" AND (locked_until IS NULL OR locked_until < now())"
#define PURGE_ADDRESS_FAILURES_OLD "window_start < " PURGE_CUTOFF
#define PURGE_UNVERIFIED \
	"email_verified_at IS NULL AND purged_at IS NULL AND created_at < " \
	PURGE_CUTOFF
#define PURGE_ACCOUNTS_DUE \
	"deletion_scheduled_for <= now() AND purged_at IS NULL"

/* One category of the retention schedule. */
struct purge_category {
	const char	*name;		/* key in the output and the audit row */
	const char	*count_sql;
	/* Removes one batch; returns the rows removed as its only value. */
	const char	*batch_sql;
	size_t		 retention;	/* offset in struct sscn_conf */
};

#define PURGE_CONF(f) offsetof(struct sscn_conf, f)

static const struct purge_category purge_categories[] = {
	{ "ended_sessions",
	  PURGE_COUNT("sessions", PURGE_SESSIONS_ENDED),
	  "WITH d AS (" PURGE_DELETE("sessions", PURGE_SESSIONS_ENDED)
	  " RETURNING 1) SELECT count(*) FROM d",
	  PURGE_CONF(retention_sessions) },
	{ "used_tokens",
	  PURGE_COUNT("user_tokens", PURGE_TOKENS_DONE),
	  "WITH d AS (" PURGE_DELETE("user_tokens", PURGE_TOKENS_DONE)
	  " RETURNING 1) SELECT count(*) FROM d",
	  PURGE_CONF(retention_tokens) },
	{ "sent_mail",
	  PURGE_COUNT("mail_outbox", PURGE_MAIL_DONE),
	  "WITH d AS (" PURGE_DELETE("mail_outbox", PURGE_MAIL_DONE)
	  " RETURNING 1) SELECT count(*) FROM d",
	  PURGE_CONF(retention_mail) },
	{ "unverified_accounts",
	  PURGE_COUNT("users", PURGE_UNVERIFIED),
	  "SELECT sscn.purge_unverified(" PURGE_CUTOFF ", $2)",
	  PURGE_CONF(retention_unverified) },
	{ "login_lockouts",
	  PURGE_COUNT("login_lockouts", PURGE_LOCKOUTS_OLD),
	  "WITH d AS (" PURGE_DELETE("login_lockouts", PURGE_LOCKOUTS_OLD)
	  " RETURNING 1) SELECT count(*) FROM d",
	  PURGE_CONF(retention_login_failures) },
	{ "login_address_failures",
	  PURGE_COUNT("login_address_failures", PURGE_ADDRESS_FAILURES_OLD),
	  "WITH d AS (" PURGE_DELETE("login_address_failures",
	  PURGE_ADDRESS_FAILURES_OLD) " RETURNING 1) SELECT count(*) FROM d",
	  PURGE_CONF(retention_login_failures) },
	{ "cookie_consents",
	  PURGE_COUNT("consents", PURGE_CONSENTS_OLD),
	  "WITH d AS (" PURGE_DELETE("consents", PURGE_CONSENTS_OLD)
	  " RETURNING 1) SELECT count(*) FROM d",
	  PURGE_CONF(retention_consents) },
	{ "unsubscribe_tokens",
	  PURGE_COUNT("unsubscribe_tokens", PURGE_UNSUBSCRIBE_OLD),
	  "WITH d AS (" PURGE_DELETE("unsubscribe_tokens",
	  PURGE_UNSUBSCRIBE_OLD) " RETURNING 1) SELECT count(*) FROM d",
	  PURGE_CONF(retention_consents) },
	/* The export log only feeds the hourly rate limit. */
	{ "data_exports",
	  PURGE_COUNT("data_exports", PURGE_EXPORTS_OLD),
	  "WITH d AS (" PURGE_DELETE("data_exports", PURGE_EXPORTS_OLD)
	  " RETURNING 1) SELECT count(*) FROM d",
	  PURGE_CONF(retention_tokens) },
	{ "oidc_states",
	  PURGE_COUNT("oidc_states", PURGE_OIDC_OLD),
	  "WITH d AS (" PURGE_DELETE("oidc_states", PURGE_OIDC_OLD)
	  " RETURNING 1) SELECT count(*) FROM d",
	  PURGE_CONF(retention_tokens) },
	{ "oidc_pending_links",
	  PURGE_COUNT("oidc_pending_links", PURGE_OIDC_OLD),
	  "WITH d AS (" PURGE_DELETE("oidc_pending_links", PURGE_OIDC_OLD)
	  " RETURNING 1) SELECT count(*) FROM d",
	  PURGE_CONF(retention_tokens) },
	/* Ignores its retention: rows go at expiry, IDEM_TTL after use. */
	{ "idempotency_keys",
	  PURGE_COUNT("idempotency_keys", PURGE_IDEMPOTENCY_EXPIRED),
	  "WITH d AS (" PURGE_DELETE("idempotency_keys",
	  PURGE_IDEMPOTENCY_EXPIRED) " RETURNING 1) SELECT count(*) FROM d",
	  PURGE_CONF(retention_tokens) },
};

#define PURGE_NCATEGORIES \
	(sizeof(purge_categories) / sizeof(purge_categories[0]))

/* Run "sql" with the purge parameters; returns the single value or -1. */
static long long
purge_value(PGconn *conn, const char *sql, const char *const *params,
    const char *what)
{
	static const Oid types[PURGE_NPARAMS] = { PURGE_INT4OID,
	    PURGE_INT4OID, PURGE_INT4OID, PURGE_INT4OID };
	PGresult	*res;
	long long	 value = -1;

	res = PQexecParams(conn, sql, PURGE_NPARAMS, types, params, NULL, NULL,
	    0);
	if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1)
		value = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
	else
		fprintf(stderr, "sscnctl: purge of %s failed: %s", what,
		    PQresultErrorMessage(res));
	PQclear(res);
	return value;
}

/*
 * Purge every account past its deletion date, one transaction each, and
 * return how many were purged, or -1 after a failure.
 */
static long long
purge_accounts(PGconn *conn, const char *const *params)
{
	static const Oid types[PURGE_NPARAMS] = { PURGE_INT4OID,
	    PURGE_INT4OID, PURGE_INT4OID, PURGE_INT4OID };
	PGresult	*ids, *res;
	long long	 purged = 0;
	int		 i, n;

	do {
		ids = PQexecParams(conn, "SELECT id::text FROM sscn.users "
		    "WHERE " PURGE_ACCOUNTS_DUE " ORDER BY deletion_scheduled_for "
		    "LIMIT $2", PURGE_NPARAMS, types, params, NULL, NULL, 0);
		if (PQresultStatus(ids) != PGRES_TUPLES_OK) {
			fprintf(stderr, "sscnctl: could not list the accounts "
			    "due for deletion: %s", PQresultErrorMessage(ids));
			PQclear(ids);
			return -1;
		}
		n = PQntuples(ids);
		for (i = 0; i < n; i++) {
			const char *id[1] = { PQgetvalue(ids, i, 0) };

			res = PQexecParams(conn, "SELECT sscn.purge_user($1)",
			    1, NULL, id, NULL, NULL, 0);
			if (PQresultStatus(res) != PGRES_TUPLES_OK) {
				fprintf(stderr, "sscnctl: purge of account %s "
				    "failed: %s", id[0],
				    PQresultErrorMessage(res));
				PQclear(res);
				PQclear(ids);
				return -1;
			}
			/* false: cancelled or purged since the list was read. */
			if (strcmp(PQgetvalue(res, 0, 0), "t") == 0)
				purged++;
			PQclear(res);
		}
		PQclear(ids);
	} while (n == PURGE_BATCH);
	return purged;
}

/* Remove one category batch by batch; returns the rows removed or -1. */
static long long
purge_category_run(PGconn *conn, const struct purge_category *c,
    const char *const *params)
{
	long long total = 0, n;

	do {
		n = purge_value(conn, c->batch_sql, params, c->name);
		if (n < 0)
			return -1;
		total += n;
	} while (n == PURGE_BATCH);
	return total;
}

/* Write the one audit row of a run, with "details" as its details. */
static bool
purge_audit(PGconn *conn, struct json_object *details, bool ok)
{
	const char	*params[2];
	PGresult	*res;
	bool		 written;

	params[0] = json_object_to_json_string_ext(details,
	    JSON_C_TO_STRING_PLAIN);
	params[1] = ok ? "success" : "failure";
	res = PQexecParams(conn, "INSERT INTO sscn.audit_log (action, result, "
	    "user_agent, details) VALUES ('retention.purge', $2, 'sscnctl', "
	    "$1::jsonb)", 2, NULL, params, NULL, NULL, 0);
	written = PQresultStatus(res) == PGRES_COMMAND_OK;
	if (!written)
		fprintf(stderr, "sscnctl: could not write the audit row of the "
		    "purge: %s", PQresultErrorMessage(res));
	PQclear(res);
	return written;
}

/* Set the four statement parameters for a category's "retention". */
static void
purge_params(const struct sscn_conf *conf, unsigned retention,
    char text[PURGE_NPARAMS][16], const char *params[PURGE_NPARAMS])
{
	snprintf(text[0], sizeof(text[0]), "%u", retention);
	snprintf(text[1], sizeof(text[1]), "%d", PURGE_BATCH);
	snprintf(text[2], sizeof(text[2]), "%u", conf->session_idle_timeout);
	snprintf(text[3], sizeof(text[3]), "%u",
	    conf->session_absolute_timeout);
	for (int i = 0; i < PURGE_NPARAMS; i++)
		params[i] = text[i];
}

int
ctl_purge(const struct sscn_conf *conf, int argc, char **argv)
{
	struct json_object	*details, *removed, *created;
	char			 text[PURGE_NPARAMS][16];
	const char		*params[PURGE_NPARAMS];
	long long		 n;
	PGconn			*conn;
	bool			 dry_run = false, ok = true;
	size_t			 i;

	if (argc == 2 && strcmp(argv[1], "--dry-run") == 0)
		dry_run = true;
	else if (argc != 1) {
		fprintf(stderr, "usage: sscnctl purge [--dry-run]\n");
		return CTL_EXIT_USAGE;
	}
	conn = ctl_connect(conf->database_owner, "database_owner");
	if (conn == NULL)
		return CTL_EXIT_FAIL;

	details = json_object_new_object();
	removed = json_object_new_object();
	json_object_object_add(details, "removed", removed);

	purge_params(conf, 0, text, params);
	n = dry_run ? purge_value(conn, PURGE_COUNT("users",
	    PURGE_ACCOUNTS_DUE), params, "deleted_accounts") :
	    purge_accounts(conn, params);
	ok = n >= 0;
	json_object_object_add(removed, "deleted_accounts",
	    json_object_new_int64(n < 0 ? 0 : n));

	for (i = 0; i < PURGE_NCATEGORIES && ok; i++) {
		const struct purge_category *c = &purge_categories[i];

		purge_params(conf, *(const unsigned *)(const void *)
		    ((const char *)conf + c->retention), text, params);
		n = dry_run ? purge_value(conn, c->count_sql, params, c->name) :
		    purge_category_run(conn, c, params);
		ok = n >= 0;
		json_object_object_add(removed, c->name,
		    json_object_new_int64(n < 0 ? 0 : n));
	}

	/* Runs after a failed step too: it also creates the partitions. */
	ok = ctl_purge_audit_log(conf, dry_run, details, removed) && ok;

	json_object_object_foreach(removed, key, value)
		printf("%-24s %s%lld\n", key, dry_run ? "would remove " : "",
		    (long long)json_object_get_int64(value));
	if (json_object_object_get_ex(details, "audit_partitions_created",
	    &created))
		printf("%-24s %lld\n", "audit_partitions_created",
		    (long long)json_object_get_int64(created));

	if (!dry_run && !purge_audit(conn, details, ok))
		ok = false;
	json_object_put(details);
	PQfinish(conn);
	return ok ? CTL_EXIT_OK : CTL_EXIT_FAIL;
}
