/*
 * audit.c - "sscnctl audit verify [--batch ROWS]": walk the hash chains of
 * sscn.audit_log and report the first row that breaks one.
 *
 * The log is eight chains, its lanes (sql/0021_audit_lanes.sql).  Each
 * row's hash is sscn.audit_row_hash(prev_hash, row), SHA-256 over the
 * hash of the previous row of its lane and the row's fields
 * (sql/0002_identity.sql), and a lane's first row links to '\x00'.  The
 * walk goes in id order, which is chain order within a lane because the
 * insert trigger draws the id under the lane's advisory lock.  A row is
 * broken when its stored hash differs from the recomputed one, as after
 * an edit.  It is also broken when its prev_hash differs from the hash of
 * the lane's row before it, as after a deletion or an edit that rewrote
 * the hash.  It
 * runs as database_maintenance, which may read the log.  Rows written
 * before the lanes are the start of lane 0.
 *
 * Once the retention purge has dropped the oldest months, the first row
 * left in a lane links to the hash of the lane's last removed row.  The
 * purge wrote that hash, with the row's id and time, into a
 * "retention.anchor" row of the lane (sscn.audit_purge()).  So the walk
 * accepts a first row whose prev_hash an anchor of its lane records, if
 * the removed row's id is lower than the first row's.  The anchor row is
 * itself part of the chain that the walk checks.
 *
 * A removed tail leaves no broken link behind, so the walk ends by
 * comparing the newest row of each lane with the lane's row of
 * sscn.audit_chain_head, which the insert trigger moves in the
 * transaction of every row (sql/0020_audit_chain_head.sql).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "ctl/ctl.h"

#define AUDIT_BATCH_DEFAULT	10000
#define AUDIT_BATCH_MAX		1000000

/* The hash the first row links to, as encode(..., 'hex') returns it. */
#define AUDIT_GENESIS_HASH	"00"

/* The hex of a SHA-256 hash plus NUL. */
#define AUDIT_HASH_HEX_SIZE	65

/* The first schema versions with sscn.audit_chain_head and with lanes. */
#define AUDIT_HEAD_SCHEMA	20
#define AUDIT_LANES_SCHEMA	21

static const char audit_schema_sql[] =
    "SELECT max(version) FROM sscn.schema_migrations";

/*
 * One batch of rows after id $1, with the row's lane last (0 before the
 * lanes).  Column 5 recomputes the row's hash, so an edit of any field
 * makes it false.
 */
#define AUDIT_BATCH_SQL(lane) \
    "SELECT id, to_char(occurred_at AT TIME ZONE 'UTC', " \
    "'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), action, encode(prev_hash, 'hex'), " \
    "encode(hash, 'hex'), hash = sscn.audit_row_hash(prev_hash, a), " \
    lane " FROM sscn.audit_log a WHERE id > $1::bigint ORDER BY id " \
    "LIMIT $2::int"
static const char audit_batch_sql[] = AUDIT_BATCH_SQL("lane");
static const char audit_batch_sql_one_lane[] = AUDIT_BATCH_SQL("0");

/* The newest row of every lane as the insert trigger recorded it. */
static const char audit_head_sql[] =
    "SELECT lane, last_id, to_char(last_at AT TIME ZONE 'UTC', "
    "'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), encode(last_hash, 'hex') "
    "FROM sscn.audit_chain_head ORDER BY lane";
static const char audit_head_sql_one_lane[] =
    "SELECT 0, last_id, to_char(last_at AT TIME ZONE 'UTC', "
    "'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), encode(last_hash, 'hex') "
    "FROM sscn.audit_chain_head";

/*
 * The newest retention anchor that records the hash $1 (hex), with the
 * lane it anchors: anchors from before the lanes anchor lane 0.
 */
static const char audit_anchor_sql[] =
    "SELECT id, details->>'last_removed_id', details->>'last_removed_at', "
    "coalesce(details->>'lane', '0') "
    "FROM sscn.audit_log WHERE action = 'retention.anchor' "
    "AND details->>'last_removed_hash' = $1 ORDER BY id DESC LIMIT 1";

/* The progress of the walk in one lane. */
struct audit_lane_walk {
	bool	started;
	char	last_id[24];
	char	last_hash[AUDIT_HASH_HEX_SIZE];
};

/*
 * Check that the oldest row left in lane "lane", with "id" and
 * "prev_hash" (hex), starts a valid chain.  It must link to the genesis
 * hash, or a retention anchor of the lane must record "prev_hash" for a
 * removed row with a lower id.  Sets "*reason" to NULL or to why the row
 * is broken, and on an anchor fills the lane's entry of "out".  Returns -1
 * after printing why the anchors could not be read.
 */
static int
audit_chain_start(struct pg_conn *conn, const char *id, const char *prev_hash,
    int lane, struct ctl_audit_chain *out, const char **reason)
{
	const char		*params[1] = { prev_hash };
	struct ctl_audit_anchor	*anchor = &out->anchors[lane];
	PGresult		*res;

	*reason = NULL;
	if (strcmp(prev_hash, AUDIT_GENESIS_HASH) == 0)
		return 0;

	res = PQexecParams(conn, audit_anchor_sql, 1, NULL, params, NULL, NULL,
	    0);
	if (!ctl_command_ok(conn, res,
	    "reading the retention anchors of sscn.audit_log")) {
		PQclear(res);
		return -1;
	}

	if (PQntuples(res) == 0 || atoi(PQgetvalue(res, 0, 3)) != lane)
		*reason = "the first row links neither to the start of the "
		    "chain nor to a retention anchor";
	else if (strtoll(PQgetvalue(res, 0, 1), NULL, 10) >=
	    strtoll(id, NULL, 10))
		*reason = "the first row is not newer than the last row that "
		    "its retention anchor records as removed";
	else {
		anchor->anchored = true;
		snprintf(anchor->anchor_id, sizeof(anchor->anchor_id), "%s",
		    PQgetvalue(res, 0, 0));
		snprintf(anchor->removed_id, sizeof(anchor->removed_id), "%s",
		    PQgetvalue(res, 0, 1));
		snprintf(anchor->removed_at, sizeof(anchor->removed_at), "%s",
		    PQgetvalue(res, 0, 2));
	}
	PQclear(res);
	return 0;
}

/* Record row "i" of "res" as the first broken row of "out". */
static void
audit_chain_break(PGresult *res, int i, const char *reason,
    struct ctl_audit_chain *out)
{
	out->broken = true;
	snprintf(out->id, sizeof(out->id), "%s", PQgetvalue(res, i, 0));
	snprintf(out->occurred_at, sizeof(out->occurred_at), "%s",
	    PQgetvalue(res, i, 1));
	snprintf(out->action, sizeof(out->action), "%s", PQgetvalue(res, i, 2));
	out->reason = reason;
}

/*
 * Compare the newest row that the walk verified in each lane with the
 * lane's head row.  The head names a newer row when rows at the end of
 * the lane were removed.  Marks "out" broken at the first such head's row.
 * Returns -1 after printing why the heads could not be read.
 */
static int
audit_chain_head_check(struct pg_conn *conn, bool lanes,
    const struct audit_lane_walk *walk, struct ctl_audit_chain *out)
{
	PGresult	*res = PQexec(conn, lanes ? audit_head_sql :
			    audit_head_sql_one_lane);
	int		 i, rows;

	if (!ctl_command_ok(conn, res, "reading sscn.audit_chain_head")) {
		PQclear(res);
		return -1;
	}

	rows = PQntuples(res);
	if (rows != (lanes ? CTL_AUDIT_LANES : 1)) {
		fprintf(stderr, "sscnctl: sscn.audit_chain_head has %d rows, "
		    "expected %d: restore it from a backup\n", rows,
		    lanes ? CTL_AUDIT_LANES : 1);
		PQclear(res);
		return -1;
	}

	for (i = 0; i < rows && !out->broken; i++) {
		const struct audit_lane_walk *w = &walk[atoi(PQgetvalue(res, i,
		    0)) % CTL_AUDIT_LANES];
		const char *head_id = PQgetvalue(res, i, 1);

		if (strcmp(head_id, w->last_id) != 0)
			out->reason = "the chain head names this row as the "
			    "newest of its lane, but the lane ends elsewhere "
			    "(rows at its end were removed)";
		else if (w->started &&
		    strcmp(PQgetvalue(res, i, 3), w->last_hash) != 0)
			out->reason = "the chain head records another hash "
			    "for this row";
		if (out->reason == NULL)
			continue;

		out->broken = true;
		snprintf(out->id, sizeof(out->id), "%s",
		    *head_id != '\0' ? head_id : "-");
		snprintf(out->occurred_at, sizeof(out->occurred_at), "%s",
		    *head_id != '\0' ? PQgetvalue(res, i, 2) : "-");
		snprintf(out->action, sizeof(out->action), "-");
	}
	PQclear(res);
	return 0;
}

/*
 * Check row "i" of a batch against the walk of its lane and move the walk
 * on.  Returns 0, 1 when the row broke the chain (recorded in "out"), or
 * -1 after printing why the anchors could not be read.
 */
static int
audit_chain_row(struct pg_conn *conn, PGresult *res, int i,
    struct audit_lane_walk *walk, struct ctl_audit_chain *out)
{
	const char		*id = PQgetvalue(res, i, 0);
	const char		*link = PQgetvalue(res, i, 3);
	const char		*reason = NULL;
	int			 lane = atoi(PQgetvalue(res, i, 6));
	struct audit_lane_walk	*w;

	if (lane < 0 || lane >= CTL_AUDIT_LANES) {
		audit_chain_break(res, i, "the row's lane is not 0 to 7", out);
		return 1;
	}
	w = &walk[lane];

	if (w->started) {
		if (strcmp(link, w->last_hash) != 0)
			reason = "prev_hash does not match the hash of the "
			    "previous row of its lane";
	} else if (audit_chain_start(conn, id, link, lane, out,
	    &reason) == -1)
		return -1;
	if (reason == NULL && strcmp(PQgetvalue(res, i, 5), "t") != 0)
		reason = "hash does not match the row's fields";
	if (reason != NULL) {
		audit_chain_break(res, i, reason, out);
		return 1;
	}

	w->started = true;
	snprintf(w->last_id, sizeof(w->last_id), "%s", id);
	snprintf(w->last_hash, sizeof(w->last_hash), "%s",
	    PQgetvalue(res, i, 4));
	out->verified++;
	return 0;
}

/*
 * Read the schema version, the first that has the table, column or
 * function a check needs.  Returns -1 after printing why it failed.
 */
static long
audit_schema_version(struct pg_conn *conn)
{
	PGresult	*res = PQexec(conn, audit_schema_sql);
	long		 schema = -1;

	if (ctl_command_ok(conn, res, "reading the schema version") &&
	    PQntuples(res) == 1)
		schema = strtol(PQgetvalue(res, 0, 0), NULL, 10);
	PQclear(res);
	return schema;
}

/* The walk of ctl_audit_chain_check(), in the caller's snapshot. */
static int
audit_chain_walk(struct pg_conn *conn, long long batch,
    struct ctl_audit_chain *out)
{
	struct audit_lane_walk	 walk[CTL_AUDIT_LANES];
	char			 after[32] = "0", limit[32];
	const char		*params[2] = { after, limit };
	PGresult		*res;
	long			 schema;

	memset(walk, 0, sizeof(walk));
	snprintf(limit, sizeof(limit), "%lld", batch);
	if ((schema = audit_schema_version(conn)) == -1)
		return -1;

	for (;;) {
		int i, rows, rc;

		res = PQexecParams(conn, schema >= AUDIT_LANES_SCHEMA ?
		    audit_batch_sql : audit_batch_sql_one_lane, 2, NULL, params,
		    NULL, NULL, 0);
		if (!ctl_command_ok(conn, res, "reading sscn.audit_log")) {
			PQclear(res);
			return -1;
		}
		rows = PQntuples(res);
		for (i = 0; i < rows; i++) {
			if ((rc = audit_chain_row(conn, res, i, walk, out)) != 0) {
				PQclear(res);
				return rc == -1 ? -1 : 0;
			}
		}
		if (rows > 0)
			snprintf(after, sizeof(after), "%s",
			    PQgetvalue(res, rows - 1, 0));
		PQclear(res);
		if (rows < batch)
			break;
	}

	if (schema < AUDIT_HEAD_SCHEMA)
		return 0;
	return audit_chain_head_check(conn, schema >= AUDIT_LANES_SCHEMA, walk,
	    out);
}

/*
 * The walk needs one snapshot.  Between two snapshots, a lane's row can
 * commit after a newer row of another lane that an earlier batch already
 * passed, and a head can name a row that committed after the last batch.
 * Both would look like breaks.  So on a connection outside a transaction
 * the walk runs in a read-only REPEATABLE READ transaction of its own.
 */
int
ctl_audit_chain_check(struct pg_conn *conn, long long batch,
    struct ctl_audit_chain *out)
{
	bool	own = PQtransactionStatus(conn) == PQTRANS_IDLE;
	int	rc;

	memset(out, 0, sizeof(*out));
	if (own && !ctl_exec(conn, "BEGIN ISOLATION LEVEL REPEATABLE READ "
	    "READ ONLY", 0, NULL, "starting a read-only transaction"))
		return -1;

	rc = audit_chain_walk(conn, batch, out);

	if (own && !ctl_exec(conn, "ROLLBACK", 0, NULL,
	    "ending the read-only transaction"))
		rc = -1;
	return rc;
}

static int
audit_usage(void)
{
	fprintf(stderr, "usage: sscnctl audit verify [--batch ROWS]\n");
	return CTL_EXIT_USAGE;
}

static int
audit_verify(const struct sscn_conf *conf, int argc, char **argv)
{
	struct ctl_audit_chain	 chain;
	PGconn			*conn;
	long long		 batch = AUDIT_BATCH_DEFAULT;
	int			 lane, rc;

	if (argc == 4 && strcmp(argv[2], "--batch") == 0) {
		char *end;

		batch = strtoll(argv[3], &end, 10);
		if (*argv[3] == '\0' || *end != '\0' || batch < 1 ||
		    batch > AUDIT_BATCH_MAX) {
			fprintf(stderr, "sscnctl: invalid --batch \"%s\": expected "
			    "a number of rows from 1 to %d\n", argv[3],
			    AUDIT_BATCH_MAX);
			return CTL_EXIT_USAGE;
		}
	} else if (argc != 2)
		return audit_usage();

	conn = ctl_connect(conf->database_maintenance, "database_maintenance");
	if (conn == NULL)
		return CTL_EXIT_FAIL;
	rc = ctl_audit_chain_check(conn, batch, &chain);
	PQfinish(conn);
	if (rc == -1)
		return CTL_EXIT_FAIL;

	for (lane = 0; lane < CTL_AUDIT_LANES; lane++) {
		const struct ctl_audit_anchor *anchor = &chain.anchors[lane];

		if (anchor->anchored)
			printf("chain starts at retention anchor id %s: rows up "
			    "to id %s, time %s, were removed (lane %d)\n",
			    anchor->anchor_id, anchor->removed_id,
			    anchor->removed_at, lane);
	}
	printf("verified %lld audit rows\n", chain.verified);
	if (!chain.broken)
		return CTL_EXIT_OK;
	printf("chain broken at id %s, time %s, action %s: %s\n", chain.id,
	    chain.occurred_at, chain.action, chain.reason);
	return CTL_EXIT_FAIL;
}

int
ctl_audit_command(const struct sscn_conf *conf, int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "verify") == 0)
		return audit_verify(conf, argc, argv);
	return audit_usage();
}
