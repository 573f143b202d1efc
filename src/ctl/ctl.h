/*
 * ctl.h - shared declarations of sscnctl's commands.
 *
 * Each command gets the loaded configuration and its own arguments (argv[0]
 * is the command name) and returns the process exit status: 0 on success,
 * 1 on a failure it reported on stderr, 2 on a usage error.
 */
#ifndef SSCN_CTL_H
#define SSCN_CTL_H

#include "sscn.h"

#define CTL_EXIT_OK	0
#define CTL_EXIT_FAIL	1
#define CTL_EXIT_USAGE	2

int	ctl_migrate(const struct sscn_conf *conf, int argc, char **argv);
int	ctl_mailq(const struct sscn_conf *conf, int argc, char **argv);
int	ctl_create_admin(const struct sscn_conf *conf, int argc, char **argv);
int	ctl_import_users(const struct sscn_conf *conf, int argc, char **argv);
int	ctl_keys(const struct sscn_conf *conf, int argc, char **argv);

struct sscn_keys;

/*
 * Run the C step "step" of the migration file "file" on "conn", inside the
 * migration's transaction (migrate.c).  Returns 0, or -1 after printing
 * the reason.
 */
int	ctl_migration_step(struct pg_conn *conn, const struct sscn_conf *conf,
	    const char *file, const char *step);

/*
 * Load the key file of "conf" into "*keys".  Returns 0, or -1 after
 * printing the reason.
 */
int	ctl_load_keys(const struct sscn_conf *conf, struct sscn_keys **keys);

/* An account's sealed fields as bytea text, and its blind index. */
struct ctl_user_pii {
	char	*email;
	char	*full_name;
	char	*phone;			/* NULL when there is no phone */
	char	 email_index[67];	/* PII_INDEX_HEX_SIZE */
};

/*
 * Seal the fields of user "user_id" ("phone" may be NULL) and index
 * "normalized", the address from email_normalize().  Returns 0, or -1
 * after printing the reason.  Release "out" with ctl_user_pii_free().
 */
int	ctl_user_pii_seal(const struct sscn_keys *keys, const char *user_id,
	    const char *email, const char *full_name, const char *phone,
	    const char *normalized, struct ctl_user_pii *out);
void	ctl_user_pii_free(struct ctl_user_pii *pii);
int	ctl_legal(const struct sscn_conf *conf, int argc, char **argv);
int	ctl_newsletter(const struct sscn_conf *conf, int argc, char **argv);
int	ctl_evidence(const struct sscn_conf *conf, int argc, char **argv);
int	ctl_purge(const struct sscn_conf *conf, int argc, char **argv);
int	ctl_mail_send(const struct sscn_conf *conf, int argc, char **argv);
int	ctl_backup(const struct sscn_conf *conf, int argc, char **argv);
int	ctl_restore(const struct sscn_conf *conf, int argc, char **argv);
int	ctl_restore_test(const struct sscn_conf *conf, int argc, char **argv);

/*
 * Connect with "conninfo" (a libpq connection string) and set the schema
 * search path.  "what" names the configuration key in messages.  Returns
 * NULL after printing the reason.
 */
struct pg_conn *ctl_connect(const char *conninfo, const char *what);

/*
 * Read the whole of "path" as non-empty UTF-8 text of at most "max"
 * bytes without NUL bytes.  Returns a NUL-terminated buffer that the
 * caller frees, or NULL after printing the reason.
 */
char	*ctl_read_text(const char *path, size_t max);

struct pg_result;

/*
 * True when "res" succeeded; otherwise print "sscnctl: WHAT failed:" and
 * the server's message.  "res" stays the caller's.
 */
bool	ctl_command_ok(struct pg_conn *conn, struct pg_result *res,
	    const char *what);

/* Run "sql" with text parameters and report a failure as above. */
bool	ctl_exec(struct pg_conn *conn, const char *sql, int n,
	    const char *const *params, const char *what);

/*
 * Insert an audit row of sscnctl (no actor; user agent "sscnctl") with
 * "details", a JSON object as text, in the current transaction.
 */
bool	ctl_audit(struct pg_conn *conn, const char *action,
	    const char *target, const char *details);

int	ctl_audit_command(const struct sscn_conf *conf, int argc, char **argv);

/*
 * The audit log's step of "sscnctl purge" (purge_audit_log.c): connect as
 * database_maintenance, create the coming months' partitions unless
 * "dry_run", and drop, or with "dry_run" count, the months past
 * retention_audit_log.  Adds "audit_log" (rows removed) to "removed" and
 * "audit_partitions_created" and "audit_anchor_id" to "details".  Returns
 * false after printing why a step failed.
 */
struct json_object;
bool	ctl_purge_audit_log(const struct sscn_conf *conf, bool dry_run,
	    struct json_object *details, struct json_object *removed);

/* The lanes of the audit log, each a hash chain of its own. */
#define CTL_AUDIT_LANES	8

/* The retention anchor that a lane of the audit log starts at. */
struct ctl_audit_anchor {
	bool	anchored;	/* false: the lane starts at genesis */
	char	anchor_id[24];
	char	removed_id[24];	/* last row of the lane the purge removed */
	char	removed_at[40];
};

/* The result of walking the audit log's hash chains (audit.c). */
struct ctl_audit_chain {
	long long	 verified;	/* rows that matched before any break */
	bool		 broken;
	char		 id[24];	/* the first broken row, when broken */
	char		 occurred_at[32];
	char		 action[72];
	const char	*reason;
	struct ctl_audit_anchor anchors[CTL_AUDIT_LANES];
};

/*
 * Walk sscn.audit_log in id order, "batch" rows per query, checking each
 * row's hash and its link to the row before it in its lane.  A lane's
 * first row must link to '\x00' or to the removed row that a retention
 * anchor of the lane records, and its newest row must be the one that
 * sscn.audit_chain_head records.  On a connection outside a transaction
 * the walk takes one read-only REPEATABLE READ snapshot of its own, and
 * a caller's transaction must be REPEATABLE READ for the same reason.
 * Returns 0 with "*out" filled, or -1 after printing why the log could
 * not be read.
 */
int	ctl_audit_chain_check(struct pg_conn *conn, long long batch,
	    struct ctl_audit_chain *out);

/*
 * Check the access, key, audit, incident and retention controls through
 * "owner" (NULL when it did not connect).  Returns a JSON array of
 * objects with "control", "status" (PASS, FAIL, unknown or not
 * configured) and "figure" (evidence_controls.c).
 */
struct json_object;
struct json_object	*ctl_evidence_controls(const struct sscn_conf *conf,
			    struct pg_conn *owner);

#endif /* SSCN_CTL_H */
