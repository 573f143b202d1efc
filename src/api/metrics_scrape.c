/*
 * metrics_scrape.c - GET /metrics: the shared counters (metrics.h) and
 * the gauges read from PostgreSQL, in the Prometheus text format.
 *
 * nginx serves /metrics only to the addresses of its metrics allow-list
 * and marks the requests it passes with the FastCGI parameter
 * SSCN_METRICS=1 (nginx/sscn-common.conf).  A request without that mark
 * did not come through that location and is refused, so a site
 * configuration that passes other paths to sscnd cannot expose the
 * metrics by mistake.
 *
 * The gauges cost one statement per scrape.  When PostgreSQL cannot be
 * reached they are left out and sscn_health_ready is 0, so the counters
 * still arrive while the database is down.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "sscn.h"
#include "metrics.h"

/* The content type of the Prometheus text format. */
#define METRICS_CONTENT_TYPE	"text/plain; version=0.0.4; charset=utf-8"

/* Columns of metrics_gauges. */
enum {
	GAUGE_SCHEMA_VERSION = 0,
	GAUGE_OUTBOX_BACKLOG,
	GAUGE_OUTBOX_OLDEST_SECONDS,
	GAUGE_BACKUP_LAST_SUCCESS,
	GAUGE_RESTORE_TEST_LAST_SUCCESS
};

const struct db_statement metrics_statements[] = {
	{ "metrics_gauges",
	  "SELECT schema_version, outbox_backlog, outbox_oldest_seconds, "
	  "backup_last_success, restore_test_last_success "
	  "FROM sscn.metrics_gauges()", 0, true },
};
const size_t metrics_nstatements =
    sizeof(metrics_statements) / sizeof(metrics_statements[0]);

static void
metrics_write_gauge(FILE *out, const char *name, const char *help,
    double value)
{
	fprintf(out, "# HELP %s %s\n# TYPE %s gauge\n%s %.15g\n", name, help,
	    name, name, value);
}

/* Column "col" of the one row as a number; SQL NULL is 0. */
static double
metrics_column(const PGresult *res, int col)
{
	if (PQgetisnull(res, 0, col))
		return 0;
	return strtod(PQgetvalue(res, 0, col), NULL);
}

/* Write the gauges from "res", the row of metrics_gauges, or NULL. */
static void
metrics_write_gauges(FILE *out, const PGresult *res)
{
	bool ready = res != NULL &&
	    metrics_column(res, GAUGE_SCHEMA_VERSION) >= SSCN_SCHEMA_VERSION;

	fprintf(out, "# HELP sscn_build_info The version of sscnd.\n"
	    "# TYPE sscn_build_info gauge\n"
	    "sscn_build_info{version=\"%s\"} 1\n", PACKAGE_VERSION);
	metrics_write_gauge(out, "sscn_health_ready", "1 when the worker "
	    "that answered reached PostgreSQL and found the schema that "
	    "GET /api/health/ready requires, else 0.", ready ? 1 : 0);
	if (res == NULL)
		return;

	metrics_write_gauge(out, "sscn_mail_outbox_backlog_messages",
	    "Mail in the outbox that waits to be sent or is being sent.",
	    metrics_column(res, GAUGE_OUTBOX_BACKLOG));
	metrics_write_gauge(out, "sscn_mail_outbox_oldest_backlog_seconds",
	    "Age of the oldest message of the backlog; 0 when it is empty.",
	    metrics_column(res, GAUGE_OUTBOX_OLDEST_SECONDS));
	metrics_write_gauge(out, "sscn_backup_last_success_timestamp_seconds",
	    "Unix time of the newest successful backup (audit action "
	    "backup.create); 0 when none is recorded.",
	    metrics_column(res, GAUGE_BACKUP_LAST_SUCCESS));
	metrics_write_gauge(out,
	    "sscn_restore_test_last_success_timestamp_seconds",
	    "Unix time of the newest restore test that passed; 0 when none "
	    "is recorded.", metrics_column(res, GAUGE_RESTORE_TEST_LAST_SUCCESS));
}

enum sscn_err
metrics_get(struct http_request *req)
{
	const char	*mark = http_param(req, "SSCN_METRICS");
	PGresult	*res = NULL;
	FILE		*out;
	char		*text = NULL;
	size_t		 len = 0;

	if (mark == NULL || strcmp(mark, "1") != 0) {
		log_warn(req->request_id, "metrics_refused", "remote_addr=%s "
		    "reason=\"the request did not come through nginx's "
		    "/metrics location\"",
		    req->remote_addr ? req->remote_addr : "-");
		return SSCN_ERR_FORBIDDEN;
	}
	if (!metrics_enabled())
		return SSCN_ERR_UNAVAILABLE;

	/* db_exec() has logged why the statement failed. */
	if (api_db(req, "metrics_gauges", 0, NULL, &res) != SSCN_OK)
		res = NULL;

	out = open_memstream(&text, &len);
	if (out == NULL) {
		PQclear(res);
		return SSCN_ERR_INTERNAL;
	}
	metrics_write(out);
	metrics_write_gauges(out, res);
	PQclear(res);
	if (fclose(out) != 0) {
		free(text);
		return SSCN_ERR_INTERNAL;
	}

	http_send_bytes(req, 200, METRICS_CONTENT_TYPE, text, len);
	free(text);
	return SSCN_OK;
}
