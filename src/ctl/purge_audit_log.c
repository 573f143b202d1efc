/*
 * purge_audit_log.c - the audit log's part of "sscnctl purge": create the
 * coming months' partitions and drop the months past retention_audit_log.
 *
 * Both steps run as database_maintenance, through the SQL functions
 * sscn.audit_prepare_partitions() and sscn.audit_purge() of
 * sql/NNNN_audit_partitions.sql, which run as the schema owner.  The
 * maintenance role has no other way to change the log: it may only read
 * it, and the triggers refuse UPDATE, DELETE and TRUNCATE for every role.
 * sscn.audit_purge() drops whole months only, after it has appended a
 * "retention.anchor" row that records the last removed row, so that
 * "sscnctl audit verify" still proves the rest of the chain.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>

#include <json-c/json.h>
#include <libpq-fe.h>

#include "ctl/ctl.h"

/*
 * Months of partitions that each run creates beyond the current one.  The
 * timer runs daily, so a timer that stopped has three months to be
 * noticed before a month starts without its partition.  Even then that
 * month's rows go to the DEFAULT partition, and the next run moves them.
 */
#define PURGE_AUDIT_MONTHS_AHEAD "3"

/* Run "sql" and return its one-row result, or NULL after printing why not. */
static PGresult *
purge_audit_log_query(PGconn *conn, const char *sql, int n,
    const char *const *params, const char *what)
{
	PGresult *res;

	res = PQexecParams(conn, sql, n, NULL, params, NULL, NULL, 0);
	if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1)
		return res;
	fprintf(stderr, "sscnctl: %s failed: %s", what,
	    PQresultErrorMessage(res));
	PQclear(res);
	return NULL;
}

bool
ctl_purge_audit_log(const struct sscn_conf *conf, bool dry_run,
    struct json_object *details, struct json_object *removed)
{
	const char		*ahead[1] = { PURGE_AUDIT_MONTHS_AHEAD };
	const char		*params[2];
	char			 retention[24];
	struct json_object	*summary, *value;
	PGresult		*res;
	PGconn			*conn;
	long long		 created = 0, rows = 0;
	bool			 ok = false;

	conn = ctl_connect(conf->database_maintenance, "database_maintenance");
	if (conn == NULL)
		return false;

	if (!dry_run) {
		res = purge_audit_log_query(conn, "SELECT "
		    "sscn.audit_prepare_partitions($1::integer)", 1, ahead,
		    "creating the audit log partitions");
		if (res == NULL)
			goto out;
		created = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
		PQclear(res);
		json_object_object_add(details, "audit_partitions_created",
		    json_object_new_int64(created));
	}

	snprintf(retention, sizeof(retention), "%u", conf->retention_audit_log);
	params[0] = retention;
	params[1] = dry_run ? "true" : "false";
	res = purge_audit_log_query(conn, "SELECT sscn.audit_purge($1::bigint, "
	    "$2::boolean)", 2, params, "purge of audit_log");
	if (res == NULL)
		goto out;
	summary = json_tokener_parse(PQgetvalue(res, 0, 0));
	PQclear(res);
	if (summary == NULL) {
		fprintf(stderr, "sscnctl: purge of audit_log returned no JSON "
		    "object\n");
		goto out;
	}

	if (json_object_object_get_ex(summary, "removed_rows", &value))
		rows = json_object_get_int64(value);
	json_object_object_add(removed, "audit_log",
	    json_object_new_int64(rows));
	if (json_object_object_get_ex(summary, "anchor_id", &value) &&
	    !json_object_is_type(value, json_type_null))
		json_object_object_add(details, "audit_anchor_id",
		    json_object_get(value));
	json_object_put(summary);
	ok = true;
out:
	if (!ok)
		json_object_object_add(removed, "audit_log",
		    json_object_new_int64(0));
	PQfinish(conn);
	return ok;
}
