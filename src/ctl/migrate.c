/*
 * migrate.c - "sscnctl migrate": apply sql/NNNN_name.sql files in order.
 *
 * Each file runs in its own transaction together with the row that records
 * it in sscn.schema_migrations (version, name, SHA-256 of the file, time),
 * so a file is either applied and recorded or neither.  Before applying
 * anything, every recorded file is checked against its checksum: a
 * migration edited after it ran would leave databases that claim the same
 * version but differ, so that is refused.  A session advisory lock keeps
 * two migrators from interleaving.  Files must not contain BEGIN or COMMIT
 * of their own.
 *
 * A line "-- sscnctl: STEP" splits a file: the SQL before it runs, then
 * the C step of that name (ctl_migration_step(), for conversions that
 * need the key file), then the SQL after it, all in the one transaction.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libpq-fe.h>
#include <openssl/evp.h>

#include "ctl/ctl.h"

/* Largest migration file read; a schema change is far smaller. */
#define MIGRATION_FILE_MAX (4 * 1024 * 1024)
#define MIGRATIONS_MAX 9999
/* pg_advisory_lock key shared by every sscnctl migrate ("SSCN" in ASCII). */
#define MIGRATE_LOCK_KEY "1397965646"

struct migration {
	int	 version;
	char	*name;		/* file name, e.g. "0001_foundation.sql" */
	char	*sql;
	char	 checksum[65];	/* SHA-256, lower-case hex */
	bool	 applied;
	char	*applied_at;
};

struct migration_set {
	struct migration	*items;
	size_t			 count;
};

/* Accept "NNNN_name.sql" with a lower-case name; returns the version or -1. */
static int
migration_version(const char *name)
{
	size_t	 len = strlen(name);
	size_t	 i;
	int	 version = 0;

	if (len < 10 || strcmp(name + len - 4, ".sql") != 0 || name[4] != '_')
		return -1;
	for (i = 0; i < 4; i++) {
		if (name[i] < '0' || name[i] > '9')
			return -1;
		version = version * 10 + (name[i] - '0');
	}
	for (i = 5; i < len - 4; i++)
		if (!((name[i] >= 'a' && name[i] <= 'z') ||
		    (name[i] >= '0' && name[i] <= '9') || name[i] == '_'))
			return -1;
	return version > 0 ? version : -1;
}

static int
migration_read(const char *dir, struct migration *m)
{
	char		 path[4096];
	struct stat	 st;
	unsigned char	 digest[EVP_MAX_MD_SIZE];
	unsigned int	 digestlen = 0;
	size_t		 len = 0;
	ssize_t		 n;
	unsigned	 i;
	int		 fd;

	snprintf(path, sizeof(path), "%s/%s", dir, m->name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd == -1 || fstat(fd, &st) == -1) {
		fprintf(stderr, "sscnctl: could not read %s: %s\n", path,
		    strerror(errno));
		if (fd != -1)
			close(fd);
		return -1;
	}
	if (st.st_size > MIGRATION_FILE_MAX) {
		fprintf(stderr, "sscnctl: %s is larger than %d bytes\n", path,
		    MIGRATION_FILE_MAX);
		close(fd);
		return -1;
	}

	m->sql = malloc((size_t)st.st_size + 1);
	if (m->sql == NULL) {
		close(fd);
		fprintf(stderr, "sscnctl: out of memory\n");
		return -1;
	}
	while (len < (size_t)st.st_size) {
		n = read(fd, m->sql + len, (size_t)st.st_size - len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	if (len != (size_t)st.st_size) {
		fprintf(stderr, "sscnctl: could not read all of %s\n", path);
		return -1;
	}
	m->sql[len] = '\0';

	if (EVP_Digest(m->sql, len, digest, &digestlen, EVP_sha256(), NULL) != 1) {
		fprintf(stderr, "sscnctl: could not hash %s\n", path);
		return -1;
	}
	for (i = 0; i < digestlen; i++)
		snprintf(m->checksum + 2 * i, 3, "%02x", digest[i]);
	return 0;
}

static int
migration_compare(const void *a, const void *b)
{
	const struct migration *ma = a, *mb = b;

	return (ma->version > mb->version) - (ma->version < mb->version);
}

static void
migration_set_free(struct migration_set *set)
{
	size_t i;

	for (i = 0; i < set->count; i++) {
		free(set->items[i].name);
		free(set->items[i].sql);
		free(set->items[i].applied_at);
	}
	free(set->items);
	set->items = NULL;
	set->count = 0;
}

/* Read every migration file of "dir", sorted by version. */
static int
migration_set_load(const char *dir, struct migration_set *set)
{
	DIR		*d;
	struct dirent	*de;
	size_t		 i;

	d = opendir(dir);
	if (d == NULL) {
		fprintf(stderr, "sscnctl: could not open the SQL directory "
		    "%s: %s\n", dir, strerror(errno));
		return -1;
	}

	while ((de = readdir(d)) != NULL) {
		struct migration	*grown;
		int			 version = migration_version(de->d_name);

		if (version < 0)
			continue;
		if (set->count == MIGRATIONS_MAX)
			break;
		grown = realloc(set->items, (set->count + 1) * sizeof(*grown));
		if (grown == NULL)
			goto fail;
		set->items = grown;
		memset(&set->items[set->count], 0, sizeof(*grown));
		set->items[set->count].version = version;
		set->items[set->count].name = strdup(de->d_name);
		if (set->items[set->count++].name == NULL)
			goto fail;
	}
	closedir(d);
	d = NULL;

	qsort(set->items, set->count, sizeof(*set->items), migration_compare);
	for (i = 0; i < set->count; i++) {
		if (i > 0 && set->items[i].version == set->items[i - 1].version) {
			fprintf(stderr, "sscnctl: %s and %s share version %04d\n",
			    set->items[i - 1].name, set->items[i].name,
			    set->items[i].version);
			return -1;
		}
		if (migration_read(dir, &set->items[i]) == -1)
			return -1;
	}
	return 0;
fail:
	if (d != NULL)
		closedir(d);
	fprintf(stderr, "sscnctl: out of memory\n");
	return -1;
}

static struct migration *
migration_find(struct migration_set *set, int version)
{
	size_t i;

	for (i = 0; i < set->count; i++)
		if (set->items[i].version == version)
			return &set->items[i];
	return NULL;
}

static bool
migrate_command_ok(PGconn *conn, const char *sql)
{
	PGresult	*res = PQexec(conn, sql);
	bool		 ok = PQresultStatus(res) == PGRES_COMMAND_OK ||
			    PQresultStatus(res) == PGRES_TUPLES_OK;

	if (!ok)
		fprintf(stderr, "sscnctl: %s", PQresultErrorMessage(res));
	PQclear(res);
	return ok;
}

/*
 * Mark the files recorded as applied and check their checksums.  Returns
 * 0, or -1 after printing every mismatch.
 */
static int
migrate_check_applied(PGconn *conn, struct migration_set *set,
    bool table_exists)
{
	PGresult	*res;
	int		 i, rows;
	int		 rc = 0;

	if (!table_exists)
		return 0;

	res = PQexec(conn, "SELECT version, name, checksum, "
	    "to_char(applied_at AT TIME ZONE 'UTC', "
	    "'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') "
	    "FROM sscn.schema_migrations ORDER BY version");
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		fprintf(stderr, "sscnctl: could not read applied migrations: %s",
		    PQresultErrorMessage(res));
		PQclear(res);
		return -1;
	}

	rows = PQntuples(res);
	for (i = 0; i < rows; i++) {
		int		 version = atoi(PQgetvalue(res, i, 0));
		const char	*checksum = PQgetvalue(res, i, 2);
		struct migration *m = migration_find(set, version);

		if (m == NULL) {
			fprintf(stderr, "sscnctl: migration %04d (%s) is "
			    "applied but its file is missing from the SQL "
			    "directory\n", version, PQgetvalue(res, i, 1));
			rc = -1;
			continue;
		}
		if (strcmp(m->checksum, checksum) != 0) {
			fprintf(stderr, "sscnctl: %s was changed after it was "
			    "applied (recorded sha256 %s, file sha256 %s); "
			    "restore the file and put the change in a new "
			    "migration\n", m->name, checksum, m->checksum);
			rc = -1;
		}
		m->applied = true;
		m->applied_at = strdup(PQgetvalue(res, i, 3));
	}
	PQclear(res);
	return rc;
}

static bool
migrate_table_exists(PGconn *conn)
{
	PGresult	*res;
	bool		 exists;

	res = PQexec(conn, "SELECT to_regclass('sscn.schema_migrations') "
	    "IS NOT NULL");
	exists = PQresultStatus(res) == PGRES_TUPLES_OK &&
	    strcmp(PQgetvalue(res, 0, 0), "t") == 0;
	PQclear(res);
	return exists;
}

static void
migrate_print_status(const struct migration_set *set)
{
	size_t i;

	printf("%-7s %-40s %-20s %s\n", "version", "file", "applied_at",
	    "sha256");
	for (i = 0; i < set->count; i++) {
		const struct migration *m = &set->items[i];

		printf("%04d    %-40s %-20s %.16s\n", m->version, m->name,
		    m->applied ? m->applied_at : "pending", m->checksum);
	}
}

/* Run one piece of a migration's SQL; an empty piece does nothing. */
static int
migrate_exec(PGconn *conn, const struct migration *m, const char *sql)
{
	PGresult *res;

	if (sql[strspn(sql, " \t\n")] == '\0')
		return 0;
	res = PQexec(conn, sql);
	if (PQresultStatus(res) != PGRES_COMMAND_OK &&
	    PQresultStatus(res) != PGRES_TUPLES_OK) {
		fprintf(stderr, "sscnctl: could not apply %s: %s", m->name,
		    PQresultErrorMessage(res));
		PQclear(res);
		return -1;
	}
	PQclear(res);
	return 0;
}

/*
 * Run the SQL of "m", and the C step of each "-- sscnctl: STEP" line at
 * its place.  Modifies nothing in "m": the pieces are copied.
 */
static int
migrate_run_pieces(PGconn *conn, const struct sscn_conf *conf,
    const struct migration *m)
{
	static const char	 marker[] = "\n-- sscnctl: ";
	const char		*p = m->sql, *at, *name, *eol;
	char			*piece, step[64];
	size_t			 len;
	int			 rc;

	while ((at = strstr(p, marker)) != NULL) {
		piece = strndup(p, (size_t)(at - p));
		if (piece == NULL) {
			fprintf(stderr, "sscnctl: out of memory\n");
			return -1;
		}
		rc = migrate_exec(conn, m, piece);
		free(piece);
		if (rc == -1)
			return -1;

		name = at + sizeof(marker) - 1;
		eol = strchrnul(name, '\n');
		len = (size_t)(eol - name);
		if (len == 0 || len >= sizeof(step)) {
			fprintf(stderr, "sscnctl: %s: invalid sscnctl step "
			    "line\n", m->name);
			return -1;
		}
		memcpy(step, name, len);
		step[len] = '\0';
		if (ctl_migration_step(conn, conf, m->name, step) == -1)
			return -1;
		p = eol;
	}
	return migrate_exec(conn, m, p);
}

static int
migrate_apply(PGconn *conn, const struct sscn_conf *conf,
    const struct migration *m)
{
	PGresult	*res;
	char		 version[16];
	const char	*params[3];

	if (!migrate_command_ok(conn, "BEGIN"))
		return -1;

	if (migrate_run_pieces(conn, conf, m) == -1) {
		migrate_command_ok(conn, "ROLLBACK");
		return -1;
	}

	snprintf(version, sizeof(version), "%d", m->version);
	params[0] = version;
	params[1] = m->name;
	params[2] = m->checksum;
	res = PQexecParams(conn, "INSERT INTO sscn.schema_migrations "
	    "(version, name, checksum) VALUES ($1, $2, $3)", 3, NULL, params,
	    NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_COMMAND_OK) {
		fprintf(stderr, "sscnctl: could not record %s: %s", m->name,
		    PQresultErrorMessage(res));
		PQclear(res);
		migrate_command_ok(conn, "ROLLBACK");
		return -1;
	}
	PQclear(res);

	if (!migrate_command_ok(conn, "COMMIT"))
		return -1;
	printf("applied %s\n", m->name);
	return 0;
}

static const char migrate_bootstrap_sql[] =
    "CREATE SCHEMA IF NOT EXISTS sscn;"
    "CREATE TABLE IF NOT EXISTS sscn.schema_migrations ("
    "  version integer PRIMARY KEY CHECK (version > 0),"
    "  name text NOT NULL,"
    "  checksum text NOT NULL CHECK (checksum ~ '^[0-9a-f]{64}$'),"
    "  applied_at timestamptz NOT NULL DEFAULT now())";

int
ctl_migrate(const struct sscn_conf *conf, int argc, char **argv)
{
	struct migration_set	 set = { NULL, 0 };
	PGconn			*conn = NULL;
	bool			 status_only = false;
	bool			 table_exists;
	int			 last_applied = 0;
	int			 applied = 0;
	size_t			 i;
	int			 rc = CTL_EXIT_FAIL;

	if (argc == 2 && strcmp(argv[1], "--status") == 0)
		status_only = true;
	else if (argc != 1) {
		fprintf(stderr, "usage: sscnctl migrate [--status]\n");
		return CTL_EXIT_USAGE;
	}

	if (migration_set_load(conf->sql_dir, &set) == -1)
		goto out;
	if (set.count == 0) {
		fprintf(stderr, "sscnctl: no migration files (NNNN_name.sql) "
		    "in %s\n", conf->sql_dir);
		goto out;
	}

	conn = ctl_connect(conf->database_owner, "database_owner");
	if (conn == NULL)
		goto out;
	if (!migrate_command_ok(conn,
	    "SELECT pg_advisory_lock(" MIGRATE_LOCK_KEY ")"))
		goto out;

	table_exists = migrate_table_exists(conn);
	if (!status_only && !table_exists) {
		if (!migrate_command_ok(conn, migrate_bootstrap_sql))
			goto out;
		table_exists = true;
	}
	if (migrate_check_applied(conn, &set, table_exists) == -1) {
		if (status_only)
			migrate_print_status(&set);
		goto out;
	}

	if (status_only) {
		migrate_print_status(&set);
		rc = CTL_EXIT_OK;
		goto out;
	}

	for (i = 0; i < set.count; i++)
		if (set.items[i].applied)
			last_applied = set.items[i].version;

	for (i = 0; i < set.count; i++) {
		const struct migration *m = &set.items[i];

		if (m->applied)
			continue;
		if (m->version < last_applied) {
			fprintf(stderr, "sscnctl: %s is older than the applied "
			    "migration %04d; renumber it after the last one\n",
			    m->name, last_applied);
			goto out;
		}
		if (migrate_apply(conn, conf, m) == -1)
			goto out;
		applied++;
	}

	if (applied == 0)
		printf("schema is up to date at version %04d\n",
		    set.items[set.count - 1].version);
	rc = CTL_EXIT_OK;
out:
	PQfinish(conn);
	migration_set_free(&set);
	return rc;
}
