/*
 * db.c - a worker's PostgreSQL connection.
 *
 * One connection per worker, opened on first use and re-opened after it
 * is lost; every statement of db_statement_sets[] is prepared on each new
 * connection, so handlers only ever run prepared statements with
 * parameters.  While the server is down, a worker tries to connect at
 * most once per DB_RECONNECT_INTERVAL_US and answers 503 in between, so
 * requests fail fast instead of queueing behind connection attempts.
 *
 * Errors are logged with the statement name and SQLSTATE only: server
 * messages can quote parameter values, which may be personal data.
 */
#include "config.h"

#include <poll.h>
#include <stdio.h>
#include <string.h>

#include <libpq-fe.h>

#include "sscn.h"
#include "metrics.h"

#define DB_RECONNECT_INTERVAL_US (500ULL * 1000)

void
db_init(struct db *db, const char *conninfo, unsigned connect_timeout,
    unsigned statement_timeout)
{
	memset(db, 0, sizeof(*db));
	db->conninfo = conninfo;
	db->connect_timeout = connect_timeout;
	db->statement_timeout = statement_timeout;
}

void
db_close(struct db *db)
{
	if (db->conn != NULL)
		PQfinish(db->conn);
	db->conn = NULL;
	db->in_transaction = false;
}

/* The number of statements in all sets. */
static size_t
db_statement_count(void)
{
	size_t i, n = 0;

	for (i = 0; i < db_nstatement_sets; i++)
		n += *db_statement_sets[i].n;
	return n;
}

static enum sscn_err
db_prepare_all(struct db *db, const char *request_id)
{
	size_t i, j;

	for (i = 0; i < db_nstatement_sets; i++) {
		const struct db_statement *set = db_statement_sets[i].statements;

		for (j = 0; j < *db_statement_sets[i].n; j++) {
			PGresult *res = PQprepare(db->conn, set[j].name,
			    set[j].sql, set[j].nparams, NULL);

			if (PQresultStatus(res) != PGRES_COMMAND_OK) {
				const char *state = PQresultErrorField(res,
				    PG_DIAG_SQLSTATE);

				log_error(request_id, "db_prepare_failed",
				    "statement=%s sqlstate=%s", set[j].name,
				    state ? state : "-");
				metrics_db_error(METRICS_DB_PREPARE);
				PQclear(res);
				return SSCN_ERR_INTERNAL;
			}
			PQclear(res);
		}
	}
	return SSCN_OK;
}

/* libpq's last error as one escaped log value, without its newlines. */
static void
db_error_text(char *dst, size_t dstlen, const PGconn *conn)
{
	char	 text[400];
	size_t	 i;

	snprintf(text, sizeof(text), "%s", conn ? PQerrorMessage(conn) :
	    "out of memory");
	for (i = 0; text[i] != '\0'; i++)
		if (text[i] == '\n' || text[i] == '\t')
			text[i] = ' ';
	while (i > 0 && text[i - 1] == ' ')
		text[--i] = '\0';
	log_escape(dst, dstlen, text);
}

/* The SQLSTATE of "res", or "-" when it has none, as for a libpq error. */
static const char *
db_sqlstate(const PGresult *res)
{
	const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);

	return state != NULL ? state : "-";
}

/*
 * Log a notice or warning of the server as one line, by severity and
 * SQLSTATE only: its text can quote parameter values.  Without this
 * receiver libpq prints the text to stderr, which is the log.
 */
static void
db_notice(void *arg, const PGresult *res)
{
	const struct db	*db = arg;
	const char	*severity;

	severity = PQresultErrorField(res, PG_DIAG_SEVERITY_NONLOCALIZED);
	log_info(db->request_id, "db_notice", "severity=%s sqlstate=%s",
	    severity != NULL ? severity : "-", db_sqlstate(res));
}

/*
 * Check an idle connection before its next statement.  Return false,
 * with the connection closed, when the server has closed it.  A stopping
 * server sends an error and closes the socket, which then polls readable.
 * A statement sent into that socket fails without showing whether the
 * server ran it, so it could not be retried.  One poll(2) with no wait
 * finds the loss first.
 */
static bool
db_idle_alive(struct db *db, const char *request_id)
{
	struct pollfd	pfd = { .fd = PQsocket(db->conn), .events = POLLIN };
	int		reads;

	/*
	 * libpq reports the error as a notice and finds the end of the
	 * stream only on a later read.  A live connection stops polling
	 * readable once its notices are read.
	 */
	for (reads = 0; reads < 4; reads++) {
		if (poll(&pfd, 1, 0) == 0)
			return true;
		if (PQconsumeInput(db->conn) != 1 ||
		    PQstatus(db->conn) != CONNECTION_OK)
			break;
	}

	log_warn(request_id, "db_connection_lost", "statement=- state=idle");
	metrics_db_error(METRICS_DB_CONNECTION_LOST);
	db_close(db);
	db->next_attempt_us = 0;
	return false;
}

enum sscn_err
db_connect(struct db *db, const char *request_id)
{
	static const char *const keywords[] = {
		"dbname", "connect_timeout", "application_name", "options", NULL
	};
	const char	*values[5];
	char		 timeout[16];
	char		 options[128];
	char		 message[512];
	uint64_t	 now = now_us();
	enum sscn_err	 err;

	db->request_id = request_id;
	if (db->conn != NULL && PQstatus(db->conn) == CONNECTION_OK &&
	    (db->in_transaction || db_idle_alive(db, request_id)))
		return SSCN_OK;
	db_close(db);

	if (now < db->next_attempt_us)
		return SSCN_ERR_UNAVAILABLE;
	db->next_attempt_us = now + DB_RECONNECT_INTERVAL_US;

	if (db->conninfo == NULL) {
		log_error(request_id, "db_connect_failed",
		    "error=\"database is not set in the configuration\"");
		metrics_db_error(METRICS_DB_CONNECT);
		return SSCN_ERR_UNAVAILABLE;
	}

	snprintf(timeout, sizeof(timeout), "%u", db->connect_timeout);
	/*
	 * No JIT: row-level security inflates the planner's cost estimates
	 * of the directory search past jit_above_cost, and compiling then
	 * took longer (72 ms) than the query.  TimeZone and DateStyle fix
	 * the text form of timestamps that time_pg_rfc3339() converts.
	 */
	snprintf(options, sizeof(options), "-c search_path=sscn,pg_catalog "
	    "-c statement_timeout=%u -c jit=off -c TimeZone=UTC "
	    "-c DateStyle=ISO,YMD", db->statement_timeout);
	values[0] = db->conninfo;
	values[1] = timeout;
	values[2] = "sscnd";
	values[3] = options;
	values[4] = NULL;

	db->conn = PQconnectdbParams(keywords, values, 1);
	if (db->conn == NULL || PQstatus(db->conn) != CONNECTION_OK) {
		/* libpq's message names host and cause, never the password. */
		db_error_text(message, sizeof(message), db->conn);
		log_warn(request_id, "db_connect_failed", "error=%s", message);
		metrics_db_error(METRICS_DB_CONNECT);
		db_close(db);
		return SSCN_ERR_UNAVAILABLE;
	}

	(void)PQsetNoticeReceiver(db->conn, db_notice, db);
	err = db_prepare_all(db, request_id);
	if (err != SSCN_OK) {
		db_close(db);
		return err;
	}
	log_info(request_id, "db_connected", "server_version=%d "
	    "statements=%zu", PQserverVersion(db->conn), db_statement_count());
	if (db->connected_before)
		metrics_db_reconnect();
	db->connected_before = true;
	return SSCN_OK;
}

static const struct db_statement *
db_find_statement(const char *name)
{
	size_t i, j;

	for (i = 0; i < db_nstatement_sets; i++) {
		const struct db_statement *set = db_statement_sets[i].statements;

		for (j = 0; j < *db_statement_sets[i].n; j++)
			if (strcmp(set[j].name, name) == 0)
				return &set[j];
	}
	return NULL;
}

/* Map a failed result to an outcome and log it. */
static enum sscn_err
db_result_error(const char *request_id, const char *name, PGresult *res)
{
	const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);

	if (state == NULL)
		state = "-";

	/* 23505 unique_violation, 23503 foreign_key_violation. */
	if (strcmp(state, "23505") == 0 || strcmp(state, "23503") == 0) {
		log_info(request_id, "db_conflict", "statement=%s sqlstate=%s",
		    name, state);
		return SSCN_ERR_CONFLICT;
	}
	/* 57014 query_canceled: statement_timeout ran out. */
	if (strcmp(state, "57014") == 0) {
		log_warn(request_id, "db_timeout", "statement=%s sqlstate=%s",
		    name, state);
		metrics_db_error(METRICS_DB_TIMEOUT);
		return SSCN_ERR_UNAVAILABLE;
	}
	/*
	 * Class 53 insufficient_resources: 53100 disk_full, 53200
	 * out_of_memory, 53300 too_many_connections.  The statement rolled
	 * back and the server may recover, so the client may retry later.
	 */
	if (strncmp(state, "53", 2) == 0) {
		log_error(request_id, "db_out_of_resources",
		    "statement=%s sqlstate=%s", name, state);
		metrics_db_error(METRICS_DB_QUERY);
		return SSCN_ERR_UNAVAILABLE;
	}
	log_error(request_id, "db_query_failed", "statement=%s sqlstate=%s",
	    name, state);
	metrics_db_error(METRICS_DB_QUERY);
	return SSCN_ERR_INTERNAL;
}

/*
 * Return true when "res" shows that the server ended the session before
 * it ran the statement: 57P01 admin_shutdown, 57P02 crash_shutdown, 57P03
 * cannot_connect_now.  A stopping server sends one of these to its idle
 * sessions.  A statement that fails with one of them has not committed.
 */
static bool
db_session_ended(const PGresult *res)
{
	const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);

	return state != NULL && strncmp(state, "57P0", 4) == 0 &&
	    state[4] >= '1' && state[4] <= '3' && state[5] == '\0';
}

enum sscn_err
db_exec(struct db *db, const char *request_id, const char *name,
    int nparams, const char *const *params, struct pg_result **result)
{
	return db_exec_params(db, request_id, name, nparams, params, NULL,
	    NULL, 0, result);
}

enum sscn_err
db_exec_params(struct db *db, const char *request_id, const char *name,
    int nparams, const char *const *params, const int *lengths,
    const int *formats, int result_format, struct pg_result **result)
{
	const struct db_statement	*stmt = db_find_statement(name);
	PGresult			*res;
	ExecStatusType			 status;
	enum sscn_err			 err;
	bool				 nothing_ran;
	int				 attempt;

	*result = NULL;
	if (stmt == NULL) {
		log_error(request_id, "db_unknown_statement", "statement=%s",
		    name);
		return SSCN_ERR_INTERNAL;
	}

	for (attempt = 0; attempt < 2; attempt++) {
		bool was_in_transaction = db->in_transaction;

		err = db_connect(db, request_id);
		if (err != SSCN_OK)
			return err;

		res = PQexecPrepared(db->conn, name, nparams, params, lengths,
		    formats, result_format);
		status = PQresultStatus(res);
		if (status == PGRES_TUPLES_OK || status == PGRES_COMMAND_OK) {
			*result = res;
			return SSCN_OK;
		}

		if (PQstatus(db->conn) != CONNECTION_BAD) {
			err = db_result_error(request_id, name, res);
			PQclear(res);
			return err;
		}

		/*
		 * A NULL result means the send failed, so the server never
		 * received the Sync that would commit the statement.
		 */
		nothing_ran = res == NULL || db_session_ended(res);
		log_warn(request_id, "db_connection_lost", "statement=%s "
		    "attempt=%d sqlstate=%s", name, attempt + 1,
		    db_sqlstate(res));
		PQclear(res);
		metrics_db_error(METRICS_DB_CONNECTION_LOST);
		db_close(db);

		/* The server may have restarted since the last request. */
		if (was_in_transaction || !(stmt->retry_safe || nothing_ran))
			break;
		db->next_attempt_us = 0;
	}
	return SSCN_ERR_UNAVAILABLE;
}

/* Read the one result of the next pipelined query and its terminating NULL. */
static PGresult *
db_pipeline_result(PGconn *conn)
{
	PGresult *res = PQgetResult(conn);
	PGresult *extra;

	if (res == NULL)
		return NULL;
	while ((extra = PQgetResult(conn)) != NULL)
		PQclear(extra);
	return res;
}

/* Return true when every statement of "steps" is read-only. */
static bool
db_steps_retry_safe(const struct db_step *steps, size_t n)
{
	const struct db_statement	*stmt;
	size_t				 i;

	for (i = 0; i < n; i++) {
		if (strcmp(steps[i].name, DB_STEP_SYNC) == 0)
			continue;
		stmt = db_find_statement(steps[i].name);
		if (stmt == NULL || !stmt->retry_safe)
			return false;
	}
	return true;
}

/*
 * Send "steps" in one pipeline and read every result into them.
 * SSCN_ERR_UNAVAILABLE means the connection was lost.  "*nothing_ran" is
 * then true when the server certainly ran none of the steps.
 */
static enum sscn_err
db_pipeline_send(struct db *db, struct db_step *steps, size_t n,
    bool *nothing_ran)
{
	PGresult	*sync;
	ExecStatusType	 status;
	bool		 first = true;
	size_t		 i;

	/*
	 * Until a Sync or a COMMIT has been queued, a failed send means the
	 * server ran nothing: what it may have received has nothing that
	 * commits it.
	 */
	*nothing_ran = true;
	if (PQenterPipelineMode(db->conn) != 1)
		return SSCN_ERR_UNAVAILABLE;
	for (i = 0; i < n; i++) {
		int sent;

		if (strcmp(steps[i].name, DB_STEP_BEGIN) == 0)
			sent = PQsendQueryParams(db->conn, "BEGIN", 0, NULL,
			    NULL, NULL, NULL, 0);
		else if (strcmp(steps[i].name, DB_STEP_COMMIT) == 0) {
			sent = db->defer_commit ? 1 : PQsendQueryParams(db->conn,
			    "COMMIT", 0, NULL, NULL, NULL, NULL, 0);
			*nothing_ran = *nothing_ran && db->defer_commit;
		} else if (strcmp(steps[i].name, DB_STEP_SYNC) == 0) {
			sent = PQpipelineSync(db->conn);
			*nothing_ran = false;
		} else
			sent = PQsendQueryPrepared(db->conn, steps[i].name,
			    steps[i].nparams, steps[i].params, NULL, NULL, 0);
		if (sent != 1)
			return SSCN_ERR_UNAVAILABLE;
	}
	if (PQpipelineSync(db->conn) != 1)
		return SSCN_ERR_UNAVAILABLE;
	*nothing_ran = false;

	/*
	 * After a failed statement, each later one up to the next Sync is
	 * PGRES_PIPELINE_ABORTED.
	 */
	for (i = 0; i < n; i++) {
		if (strcmp(steps[i].name, DB_STEP_COMMIT) == 0 &&
		    db->defer_commit)
			continue;
		if (strcmp(steps[i].name, DB_STEP_SYNC) != 0) {
			steps[i].res = db_pipeline_result(db->conn);
			if (first && steps[i].res != NULL &&
			    db_session_ended(steps[i].res))
				*nothing_ran = true;
			first = false;
			continue;
		}
		sync = PQgetResult(db->conn);
		status = PQresultStatus(sync);
		PQclear(sync);
		if (status != PGRES_PIPELINE_SYNC)
			return SSCN_ERR_UNAVAILABLE;
	}
	sync = PQgetResult(db->conn);
	status = PQresultStatus(sync);
	PQclear(sync);
	if (status != PGRES_PIPELINE_SYNC || PQexitPipelineMode(db->conn) != 1)
		return SSCN_ERR_UNAVAILABLE;
	return SSCN_OK;
}

static void
db_steps_clear(struct db_step *steps, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		PQclear(steps[i].res);
		steps[i].res = NULL;
	}
}

enum sscn_err
db_pipeline(struct db *db, const char *request_id, struct db_step *steps,
    size_t n)
{
	ExecStatusType	 status;
	enum sscn_err	 err = SSCN_OK;
	bool		 begins = false, commits = false, nothing_ran;
	int		 attempt;
	size_t		 i;

	for (i = 0; i < n; i++) {
		steps[i].res = NULL;
		if (strcmp(steps[i].name, DB_STEP_BEGIN) == 0) {
			begins = true;
			continue;
		}
		if (strcmp(steps[i].name, DB_STEP_COMMIT) == 0) {
			commits = true;
			continue;
		}
		if (strcmp(steps[i].name, DB_STEP_SYNC) == 0)
			continue;
		if (db_find_statement(steps[i].name) == NULL) {
			log_error(request_id, "db_unknown_statement",
			    "statement=%s", steps[i].name);
			return SSCN_ERR_INTERNAL;
		}
	}
	if (db->in_transaction && begins) {
		log_error(request_id, "db_nested_begin", "statement=%s",
		    steps[0].name);
		return SSCN_ERR_INTERNAL;
	}

	for (attempt = 0; attempt < 2; attempt++) {
		bool was_in_transaction = db->in_transaction;

		if ((err = db_connect(db, request_id)) != SSCN_OK)
			return err;
		err = db_pipeline_send(db, steps, n, &nothing_ran);
		if (err == SSCN_OK)
			break;

		log_warn(request_id, "db_connection_lost", "statement=%s "
		    "attempt=%d sqlstate=%s", steps[0].name, attempt + 1,
		    n > 0 && steps[0].res != NULL ?
		    db_sqlstate(steps[0].res) : "-");
		metrics_db_error(METRICS_DB_CONNECTION_LOST);
		db_close(db);
		db_steps_clear(steps, n);

		/*
		 * The server may have restarted since the last request.  Run
		 * the pipeline again only when running it twice is harmless.
		 */
		if (was_in_transaction ||
		    !(nothing_ran || db_steps_retry_safe(steps, n)))
			return SSCN_ERR_UNAVAILABLE;
		db->next_attempt_us = 0;
	}
	if (err != SSCN_OK)
		return err;
	if (begins)
		db->in_transaction = true;

	for (i = 0; i < n && err == SSCN_OK; i++) {
		if (strcmp(steps[i].name, DB_STEP_SYNC) == 0 ||
		    steps[i].res == NULL)
			continue;
		status = PQresultStatus(steps[i].res);
		if (status != PGRES_TUPLES_OK && status != PGRES_COMMAND_OK)
			err = db_result_error(request_id, steps[i].name,
			    steps[i].res);
	}
	if (err == SSCN_OK) {
		if (commits && db->defer_commit)
			db->commit_deferred = true;
		else if (commits)
			db->in_transaction = false;
		return SSCN_OK;
	}

	/*
	 * A failed COMMIT has ended the transaction already, so ROLLBACK
	 * only draws a warning from the server.
	 */
	db_rollback(db, request_id);
	db_steps_clear(steps, n);
	return err;
}

enum sscn_err
db_run(struct db *db, const char *request_id, const char *name, int nparams,
    const char *const *params, struct pg_result **result)
{
	PGresult	*own = NULL;
	enum sscn_err	 err;

	err = db_exec(db, request_id, name, nparams, params,
	    result != NULL ? result : &own);
	PQclear(own);
	return err;
}

static enum sscn_err
db_command(struct db *db, const char *request_id, const char *sql)
{
	PGresult	*res;
	enum sscn_err	 err;

	err = db_connect(db, request_id);
	if (err != SSCN_OK)
		return err;
	res = PQexec(db->conn, sql);
	if (PQresultStatus(res) == PGRES_COMMAND_OK) {
		PQclear(res);
		return SSCN_OK;
	}
	if (PQstatus(db->conn) == CONNECTION_BAD) {
		PQclear(res);
		log_warn(request_id, "db_connection_lost", "statement=%s", sql);
		metrics_db_error(METRICS_DB_CONNECTION_LOST);
		db_close(db);
		return SSCN_ERR_UNAVAILABLE;
	}
	err = db_result_error(request_id, sql, res);
	PQclear(res);
	return err;
}

enum sscn_err
db_begin(struct db *db, const char *request_id)
{
	enum sscn_err err = db_command(db, request_id, "BEGIN");

	/* Nothing ran yet, so a connection lost before BEGIN is retried. */
	if (err == SSCN_ERR_UNAVAILABLE && db->conn == NULL) {
		db->next_attempt_us = 0;
		err = db_command(db, request_id, "BEGIN");
	}
	if (err == SSCN_OK)
		db->in_transaction = true;
	return err;
}

enum sscn_err
db_commit(struct db *db, const char *request_id)
{
	enum sscn_err err;

	if (db->defer_commit && db->in_transaction) {
		db->commit_deferred = true;
		return SSCN_OK;
	}
	err = db_command(db, request_id, "COMMIT");

	db->in_transaction = false;
	return err;
}

void
db_rollback(struct db *db, const char *request_id)
{
	db->commit_deferred = false;
	if (db->conn == NULL || !db->in_transaction)
		return;
	if (db_command(db, request_id, "ROLLBACK") != SSCN_OK)
		db_close(db);
	db->in_transaction = false;
}
