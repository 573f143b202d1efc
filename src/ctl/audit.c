/*
 * audit.c - "sscnctl audit verify [--batch ROWS]": walk the hash chain of
 * sscn.audit_log and report the first row that breaks it.
 *
 * Each row's hash is sscn.audit_row_hash(prev_hash, row), SHA-256 over the
 * previous row's hash and the row's fields (sql/0002_identity.sql), and
 * the first row's prev_hash is '\x00'.  The walk goes in id order, which
 * is chain order because the insert trigger draws the id under an advisory
 * lock.  A row is broken when its stored hash differs from the recomputed
 * one (an edited row) or when its prev_hash differs from the hash of the
 * row before it (a deleted row, or a row edited together with its hash).
 * It runs as database_maintenance, which may read the log.
 *
 * Once the retention purge has dropped the oldest months, the first row
 * left links to the hash of the last removed row.  The purge wrote that
 * hash, with the row's id and time, into a "retention.anchor" row
 * (sscn.audit_purge() in sql/NNNN_audit_partitions.sql).  So the walk accepts a first row whose
 * prev_hash an anchor row records, if the removed row's id is lower than
 * the first row's.  The anchor row is itself part of the chain that the
 * walk checks.
 *
 * A removed tail leaves no broken link behind, so the walk ends by
 * comparing the newest row with sscn.audit_chain_head, which the insert
 * trigger keeps in the transaction of every row
 * (sql/0020_audit_chain_head.sql).
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

/*
 * One batch of rows after id $1.  The last column recomputes the row's
 * hash, so an edit of any field makes it false.
 */
static const char audit_batch_sql[] =
    "SELECT id, to_char(occurred_at AT TIME ZONE 'UTC', "
    "'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), action, encode(prev_hash, 'hex'), "
    "encode(hash, 'hex'), hash = sscn.audit_row_hash(prev_hash, a) "
    "FROM sscn.audit_log a WHERE id > $1::bigint ORDER BY id LIMIT $2::int";

/* The first schema version with sscn.audit_chain_head. */
#define AUDIT_HEAD_SCHEMA	20

static const char audit_schema_sql[] =
    "SELECT max(version) FROM sscn.schema_migrations";

/* The newest row of the chain as the insert trigger recorded it. */
static const char audit_head_sql[] =
    "SELECT last_id, to_char(last_at AT TIME ZONE 'UTC', "
    "'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), encode(last_hash, 'hex') "
    "FROM sscn.audit_chain_head";

/* The newest retention anchor that records the hash $1 (hex). */
static const char audit_anchor_sql[] =
    "SELECT id, details->>'last_removed_id', details->>'last_removed_at' "
    "FROM sscn.audit_log WHERE action = 'retention.anchor' "
    "AND details->>'last_removed_hash' = $1 ORDER BY id DESC LIMIT 1";

/*
 * Check that the oldest row left, with "id" and "prev_hash" (hex), starts
 * a valid chain: it is the genesis row, or a retention anchor records
 * "prev_hash" for a removed row with a lower id.  Sets "*reason" to NULL
 * or to why the row is broken, and on an anchor fills its fields of
 * "out".  Returns -1 after printing why the anchors could not be read.
 */
static int
audit_chain_start(struct pg_conn *conn, const char *id, const char *prev_hash,
    struct ctl_audit_chain *out, const char **reason)
{
	const char	*params[1] = { prev_hash };
	PGresult	*res;

	*reason = NULL;
	if (strcmp(prev_hash, AUDIT_GENESIS_HASH) == 0)
		return 0;

	res = PQexecParams(conn, audit_anchor_sql, 1, NULL, params, NULL, NULL,
	    0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		fprintf(stderr, "sscnctl: reading the retention anchors of "
		    "sscn.audit_log failed: %s", PQerrorMessage(conn));
		PQclear(res);
		return -1;
	}

	if (PQntuples(res) == 0)
		*reason = "the first row links neither to the start of the "
		    "chain nor to a retention anchor";
	else if (strtoll(PQgetvalue(res, 0, 1), NULL, 10) >=
	    strtoll(id, NULL, 10))
		*reason = "the first row is not newer than the last row that "
		    "its retention anchor records as removed";
	else {
		out->anchored = true;
		snprintf(out->anchor_id, sizeof(out->anchor_id), "%s",
		    PQgetvalue(res, 0, 0));
		snprintf(out->removed_id, sizeof(out->removed_id), "%s",
		    PQgetvalue(res, 0, 1));
		snprintf(out->removed_at, sizeof(out->removed_at), "%s",
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
 * Compare the newest row the walk verified, "last_id" with "last_hash"
 * (both "" for an empty log), with the chain head.  The head names a
 * newer row when rows at the end of the log were removed.  Marks "out"
 * broken at the head's row in that case.  A database at a schema older
 * than the head passes.  Returns -1 after printing why the head could not
 * be read.
 */
static int
audit_chain_head_check(struct pg_conn *conn, const char *last_id,
    const char *last_hash, struct ctl_audit_chain *out)
{
	PGresult	*res = PQexec(conn, audit_schema_sql);
	const char	*head_id, *head_hash;
	long		 schema;

	if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1) {
		fprintf(stderr, "sscnctl: reading the schema version failed: "
		    "%s", PQerrorMessage(conn));
		PQclear(res);
		return -1;
	}
	schema = strtol(PQgetvalue(res, 0, 0), NULL, 10);
	PQclear(res);
	if (schema < AUDIT_HEAD_SCHEMA)
		return 0;

	res = PQexec(conn, audit_head_sql);
	if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1) {
		fprintf(stderr, "sscnctl: reading sscn.audit_chain_head "
		    "failed: %s", PQresultStatus(res) == PGRES_TUPLES_OK ?
		    "the head row is missing\n" : PQerrorMessage(conn));
		PQclear(res);
		return -1;
	}

	head_id = PQgetvalue(res, 0, 0);
	head_hash = PQgetvalue(res, 0, 2);
	if (strcmp(head_id, last_id) != 0)
		out->reason = "the chain head names this row as the newest, "
		    "but the log ends elsewhere (rows at its end were removed)";
	else if (*last_hash != '\0' && strcmp(head_hash, last_hash) != 0)
		out->reason = "the chain head records another hash for this row";
	if (out->reason != NULL) {
		out->broken = true;
		snprintf(out->id, sizeof(out->id), "%s",
		    *head_id != '\0' ? head_id : "-");
		snprintf(out->occurred_at, sizeof(out->occurred_at), "%s",
		    *head_id != '\0' ? PQgetvalue(res, 0, 1) : "-");
		snprintf(out->action, sizeof(out->action), "-");
	}
	PQclear(res);
	return 0;
}

int
ctl_audit_chain_check(struct pg_conn *conn, long long batch,
    struct ctl_audit_chain *out)
{
	char		 after[32] = "0", limit[32];
	char		 prev_hash[AUDIT_HASH_HEX_SIZE] = "";
	const char	*params[2] = { after, limit };

	memset(out, 0, sizeof(*out));
	snprintf(limit, sizeof(limit), "%lld", batch);
	for (;;) {
		PGresult	*res = PQexecParams(conn, audit_batch_sql, 2,
		    NULL, params, NULL, NULL, 0);
		int		 i, rows;

		if (PQresultStatus(res) != PGRES_TUPLES_OK) {
			fprintf(stderr, "sscnctl: reading sscn.audit_log failed: "
			    "%s", PQerrorMessage(conn));
			PQclear(res);
			return -1;
		}
		rows = PQntuples(res);
		for (i = 0; i < rows; i++) {
			const char *id = PQgetvalue(res, i, 0);
			const char *link = PQgetvalue(res, i, 3);
			const char *reason = NULL;

			if (out->verified > 0) {
				if (strcmp(link, prev_hash) != 0)
					reason = "prev_hash does not match "
					    "the previous row's hash";
			} else if (audit_chain_start(conn, id, link, out,
			    &reason) == -1) {
				PQclear(res);
				return -1;
			}
			if (reason == NULL &&
			    strcmp(PQgetvalue(res, i, 5), "t") != 0)
				reason = "hash does not match the row's fields";
			if (reason != NULL) {
				audit_chain_break(res, i, reason, out);
				PQclear(res);
				return 0;
			}
			snprintf(prev_hash, sizeof(prev_hash), "%s",
			    PQgetvalue(res, i, 4));
			out->verified++;
		}
		if (rows > 0)
			snprintf(after, sizeof(after), "%s",
			    PQgetvalue(res, rows - 1, 0));
		PQclear(res);
		if (rows < batch)
			break;
	}

	return audit_chain_head_check(conn, out->verified > 0 ? after : "",
	    prev_hash, out);
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
	PGresult		*res;
	long long		 batch = AUDIT_BATCH_DEFAULT;
	int			 rc;

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
	/*
	 * One snapshot for the whole walk, so rows inserted meanwhile do not
	 * appear between two batches.
	 */
	res = PQexec(conn, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
	if (PQresultStatus(res) != PGRES_COMMAND_OK) {
		fprintf(stderr, "sscnctl: starting a read-only transaction "
		    "failed: %s", PQerrorMessage(conn));
		PQclear(res);
		PQfinish(conn);
		return CTL_EXIT_FAIL;
	}
	PQclear(res);
	rc = ctl_audit_chain_check(conn, batch, &chain);
	PQfinish(conn);
	if (rc == -1)
		return CTL_EXIT_FAIL;

	if (chain.anchored)
		printf("chain starts at retention anchor id %s: rows up to id "
		    "%s, time %s, were removed\n", chain.anchor_id,
		    chain.removed_id, chain.removed_at);
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
