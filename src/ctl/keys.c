/*
 * keys.c - "sscnctl keys status" and "sscnctl keys rotate": field key
 * versions of the encrypted columns (crypto/pii_columns.c).
 *
 * rotate runs while the service runs, in three steps:
 *
 * 1. Append "field N+1 AES-256-GCM ..." to the key file.  The new file is
 *    written next to the old one with the same owner and mode, synced,
 *    and renamed over it, so a reader sees the old file or the new one.
 * 2. Make sscnd load it: with --pid, send SIGHUP to the master and wait
 *    until none of the workers that ran before the signal is left, since
 *    workers read the key file when they start.  Without --pid, the
 *    operator has reloaded sscnd (systemctl reload sscnd) before running
 *    "rotate --no-add".
 * 3. Re-encrypt every ciphertext of an older version, column by column, in
 *    batches of --batch rows.  Each batch is one short transaction that
 *    locks its rows with FOR UPDATE SKIP LOCKED, so requests that update
 *    other rows never wait.  A later batch picks up the rows that a
 *    request had locked.  Until step 3 ends, rows under the old key keep
 *    decrypting because the old line stays in the key file.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <dirent.h>

#include <libpq-fe.h>
#include <sodium.h>

#include "ctl/ctl.h"
#include "crypto/keys.h"
#include "crypto/fieldcrypt.h"
#include "crypto/pii.h"

/* Largest key file that rotate reads, as keys.c accepts. */
#define CTL_KEY_FILE_MAX	(64 * 1024)
#define CTL_BATCH_DEFAULT	500
#define CTL_BATCH_MAX		10000
/* Seconds that rotate waits for sscnd's workers to be replaced. */
#define CTL_RELOAD_WAIT		120
/* Passes over rows that stayed locked before rotate gives up. */
#define CTL_LOCKED_PASSES	30

int
ctl_load_keys(const struct sscn_conf *conf, struct sscn_keys **keys)
{
	char err[1024];

	if (conf->key_file == NULL || *conf->key_file == '\0') {
		fprintf(stderr, "sscnctl: key_file is not set in the "
		    "configuration file\n");
		return -1;
	}
	if (keys_load(conf->key_file, conf->jwt_signing_key, keys, err,
	    sizeof(err)) == -1) {
		fprintf(stderr, "sscnctl: %s\n", err);
		return -1;
	}
	return 0;
}

static int
ctl_keys_status(PGconn *conn)
{
	char		 sql[512];
	PGresult	*res;
	size_t		 i;
	int		 j;

	printf("%-12s %-22s %8s %10s\n", "table", "column", "version",
	    "rows");
	for (i = 0; i < pii_ncolumns; i++) {
		const struct pii_column *c = &pii_columns[i];

		/* Names come from the fixed column list, never from input. */
		snprintf(sql, sizeof(sql), "SELECT get_byte(%s, 0) * 256 + "
		    "get_byte(%s, 1), count(*) FROM %s WHERE %s IS NOT NULL "
		    "AND length(%s) >= 2 GROUP BY 1 ORDER BY 1", c->column,
		    c->column, c->table, c->column, c->column);
		res = PQexec(conn, sql);
		if (PQresultStatus(res) != PGRES_TUPLES_OK) {
			fprintf(stderr, "sscnctl: counting %s.%s failed: %s",
			    c->table, c->column, PQresultErrorMessage(res));
			PQclear(res);
			return -1;
		}
		if (PQntuples(res) == 0)
			printf("%-12s %-22s %8s %10d\n", c->table, c->column,
			    "-", 0);
		for (j = 0; j < PQntuples(res); j++)
			printf("%-12s %-22s %8s %10s\n", c->table, c->column,
			    PQgetvalue(res, j, 0), PQgetvalue(res, j, 1));
		PQclear(res);
	}
	return 0;
}

/* Append a new field key line to the key file; "*version" gets its number. */
static int
ctl_keys_append(const struct sscn_conf *conf, unsigned *version)
{
	struct sscn_keys	*keys = NULL;
	struct stat		 st;
	char			 line[KEYS_LINE_SIZE + 1], id[8], err[1024];
	char			*text = NULL, *tmp = NULL;
	size_t			 len = 0, tmplen;
	int			 fd = -1, rc = -1;

	if (ctl_load_keys(conf, &keys) == -1)
		return -1;
	*version = (unsigned)keys_field_current(keys)->version + 1;
	keys_free(keys);
	if (*version > 65535) {
		fprintf(stderr, "sscnctl: the field key version is already "
		    "65535\n");
		return -1;
	}

	text = conf_read_private_file(conf->key_file, CTL_KEY_FILE_MAX,
	    "secret keys", &len, err, sizeof(err));
	if (text == NULL) {
		fprintf(stderr, "sscnctl: %s\n", err);
		return -1;
	}
	if (stat(conf->key_file, &st) == -1) {
		fprintf(stderr, "sscnctl: %s: %s\n", conf->key_file,
		    strerror(errno));
		goto out;
	}
	snprintf(id, sizeof(id), "%u", *version);
	if (keys_generate_line("field", id, "AES-256-GCM", line,
	    sizeof(line) - 1) == -1) {
		fprintf(stderr, "sscnctl: could not generate a key\n");
		goto out;
	}
	strcat(line, "\n");

	tmplen = strlen(conf->key_file) + 8;
	tmp = malloc(tmplen);
	if (tmp == NULL)
		goto out;
	snprintf(tmp, tmplen, "%s.XXXXXX", conf->key_file);
	fd = mkstemp(tmp);
	if (fd == -1) {
		fprintf(stderr, "sscnctl: could not create a file next to %s: "
		    "%s\n", conf->key_file, strerror(errno));
		free(tmp);
		tmp = NULL;
		goto out;
	}
	if (fchown(fd, st.st_uid, st.st_gid) == -1 ||
	    fchmod(fd, st.st_mode & 07777) == -1 ||
	    write(fd, text, len) != (ssize_t)len ||
	    (len > 0 && text[len - 1] != '\n' && write(fd, "\n", 1) != 1) ||
	    write(fd, line, strlen(line)) != (ssize_t)strlen(line) ||
	    fsync(fd) == -1) {
		fprintf(stderr, "sscnctl: could not write %s: %s\n", tmp,
		    strerror(errno));
		goto out;
	}
	if (close(fd) == -1) {
		fd = -1;
		goto out;
	}
	fd = -1;

	/* Check the new file as sscnd will read it before it replaces the old. */
	if (keys_load(tmp, conf->jwt_signing_key, &keys, err,
	    sizeof(err)) == -1) {
		fprintf(stderr, "sscnctl: the new key file does not load: "
		    "%s\n", err);
		goto out;
	}
	keys_free(keys);
	if (rename(tmp, conf->key_file) == -1) {
		fprintf(stderr, "sscnctl: could not replace %s: %s\n",
		    conf->key_file, strerror(errno));
		goto out;
	}
	free(tmp);
	tmp = NULL;
	printf("added field key version %u to %s\n", *version,
	    conf->key_file);
	rc = 0;
out:
	if (fd != -1)
		close(fd);
	if (tmp != NULL) {
		unlink(tmp);
		free(tmp);
	}
	sodium_memzero(line, sizeof(line));
	sodium_memzero(text, len);
	free(text);
	return rc;
}

/*
 * The pids of the children of "parent", read from /proc; at most "max".
 * Returns the count, or -1 when /proc cannot be read.
 */
static int
ctl_children(pid_t parent, pid_t *pids, int max)
{
	DIR		*dir;
	struct dirent	*de;
	char		 path[300], buf[512], *p;
	FILE		*f;
	long		 ppid;
	int		 n = 0;

	dir = opendir("/proc");
	if (dir == NULL)
		return -1;
	while ((de = readdir(dir)) != NULL && n < max) {
		if (de->d_name[0] < '1' || de->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/stat", de->d_name);
		f = fopen(path, "re");
		if (f == NULL)
			continue;
		p = fgets(buf, sizeof(buf), f);
		fclose(f);
		/* "pid (comm) state ppid ...": comm may hold spaces. */
		if (p == NULL || (p = strrchr(buf, ')')) == NULL ||
		    sscanf(p + 1, " %*c %ld", &ppid) != 1)
			continue;
		if (ppid == (long)parent)
			pids[n++] = (pid_t)strtol(de->d_name, NULL, 10);
	}
	closedir(dir);
	return n;
}

/*
 * Check that "pid" is an sscnd master: its command name is "sscnd" and
 * it has children.  Returns 0, or -1 after printing the reason.
 */
static int
ctl_check_master(pid_t pid)
{
	pid_t	 children[1];
	char	 path[64], comm[32] = "";
	FILE	*f;

	snprintf(path, sizeof(path), "/proc/%ld/comm", (long)pid);
	f = fopen(path, "re");
	if (f == NULL) {
		if (errno == ENOENT)
			fprintf(stderr, "sscnctl: --pid %ld: no such process; "
			    "nothing was changed\n", (long)pid);
		else
			fprintf(stderr, "sscnctl: --pid %ld: cannot read %s: "
			    "%s; nothing was changed\n", (long)pid, path,
			    strerror(errno));
		return -1;
	}
	if (fgets(comm, sizeof(comm), f) == NULL)
		comm[0] = '\0';
	fclose(f);
	comm[strcspn(comm, "\n")] = '\0';
	if (strcmp(comm, "sscnd") != 0 || ctl_children(pid, children, 1) < 1) {
		fprintf(stderr, "sscnctl: process %ld is not the sscnd master "
		    "(command \"%s\", or no workers); nothing was changed\n",
		    (long)pid, comm);
		return -1;
	}
	return 0;
}

/* Send SIGHUP to the master "pid" and wait until its old workers are gone. */
static int
ctl_reload_sscnd(pid_t pid)
{
	pid_t		 before[512], now[512];
	int		 nbefore, nnow, i, j, left = 0, waited;

	nbefore = ctl_children(pid, before, 512);
	if (nbefore <= 0) {
		fprintf(stderr, "sscnctl: sscnd (pid %ld) has no workers\n",
		    (long)pid);
		return -1;
	}
	if (kill(pid, SIGHUP) == -1) {
		fprintf(stderr, "sscnctl: could not signal sscnd (pid %ld): "
		    "%s\n", (long)pid, strerror(errno));
		return -1;
	}
	for (waited = 0; waited < CTL_RELOAD_WAIT * 10; waited++) {
		struct timespec ts = { 0, 100 * 1000 * 1000 };

		nanosleep(&ts, NULL);
		nnow = ctl_children(pid, now, 512);
		left = 0;
		for (i = 0; i < nbefore; i++)
			for (j = 0; j < nnow; j++)
				if (before[i] == now[j])
					left++;
		if (left == 0 && nnow > 0) {
			printf("sscnd (pid %ld) reloaded its workers\n",
			    (long)pid);
			return 0;
		}
	}
	fprintf(stderr, "sscnctl: %d workers of sscnd (pid %ld) still run "
	    "after %d seconds; nothing was re-encrypted.  Run \"sscnctl "
	    "keys rotate --no-add\" once the reload has finished\n", left,
	    (long)pid, CTL_RELOAD_WAIT);
	return -1;
}

/* Decrypt one stored value and seal it again under the current key. */
static char *
ctl_reseal(const struct sscn_keys *keys, const struct pii_column *c,
    const char *row_key, const char *stored)
{
	unsigned char	*sealed, *plain = NULL, *fresh = NULL;
	size_t		 hexlen, sealedlen = 0, plainlen = 0, freshlen = 0;
	size_t		 aadlen = strlen(c->aad_prefix) + strlen(row_key);
	char		*aad, *hex = NULL;

	if (strncmp(stored, "\\x", 2) != 0)
		return NULL;
	hexlen = strlen(stored + 2);
	sealed = malloc(hexlen / 2 + 1);
	aad = malloc(aadlen + 1);
	if (sealed == NULL || aad == NULL ||
	    sodium_hex2bin(sealed, hexlen / 2 + 1, stored + 2, hexlen, NULL,
	    &sealedlen, NULL) != 0)
		goto out;
	snprintf(aad, aadlen + 1, "%s%s", c->aad_prefix, row_key);
	if (fieldcrypt_decrypt(keys, sealed, sealedlen, aad, aadlen, &plain,
	    &plainlen) != FIELDCRYPT_OK ||
	    fieldcrypt_encrypt(keys, plain, plainlen, aad, aadlen, &fresh,
	    &freshlen) != FIELDCRYPT_OK)
		goto out;
	hex = malloc(2 + 2 * freshlen + 1);
	if (hex != NULL) {
		hex[0] = '\\';
		hex[1] = 'x';
		sodium_bin2hex(hex + 2, 2 * freshlen + 1, fresh, freshlen);
	}
out:
	fieldcrypt_free_plain(plain, plainlen);
	free(fresh);
	free(sealed);
	free(aad);
	return hex;
}

/*
 * Re-encrypt one batch of "c"; "*done" gets the rows re-encrypted.
 * Returns 0 or -1 after printing the reason.
 */
static int
ctl_rotate_batch(PGconn *conn, const struct sscn_keys *keys,
    const struct pii_column *c, const char *version_hex, int batch,
    int *done)
{
	char		 select[768], update[512], limit[16];
	const char	*params[2];
	PGresult	*res, *upd;
	char		*hex;
	int		 i, n;

	*done = 0;
	snprintf(limit, sizeof(limit), "%d", batch);
	snprintf(select, sizeof(select), "SELECT (%s)::text, %s FROM %s "
	    "WHERE %s IS NOT NULL AND substring(%s FROM 1 FOR 2) <> $1::bytea "
	    "ORDER BY 1 LIMIT $2::int FOR UPDATE SKIP LOCKED", c->key_column,
	    c->column, c->table, c->column, c->column);
	snprintf(update, sizeof(update), "UPDATE %s SET %s = $2::bytea "
	    "WHERE (%s)::text = $1", c->table, c->column, c->key_column);

	res = PQexec(conn, "BEGIN");
	PQclear(res);
	params[0] = version_hex;
	params[1] = limit;
	res = PQexecParams(conn, select, 2, NULL, params, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		fprintf(stderr, "sscnctl: reading %s.%s failed: %s", c->table,
		    c->column, PQresultErrorMessage(res));
		goto fail;
	}
	n = PQntuples(res);
	for (i = 0; i < n; i++) {
		params[0] = PQgetvalue(res, i, 0);
		hex = ctl_reseal(keys, c, params[0], PQgetvalue(res, i, 1));
		if (hex == NULL) {
			fprintf(stderr, "sscnctl: %s.%s of row %s does not "
			    "decrypt; it was not changed\n", c->table,
			    c->column, params[0]);
			goto fail;
		}
		params[1] = hex;
		upd = PQexecParams(conn, update, 2, NULL, params, NULL, NULL,
		    0);
		free(hex);
		if (PQresultStatus(upd) != PGRES_COMMAND_OK) {
			fprintf(stderr, "sscnctl: updating %s.%s failed: %s",
			    c->table, c->column, PQresultErrorMessage(upd));
			PQclear(upd);
			goto fail;
		}
		PQclear(upd);
	}
	PQclear(res);
	res = PQexec(conn, "COMMIT");
	if (PQresultStatus(res) != PGRES_COMMAND_OK) {
		fprintf(stderr, "sscnctl: COMMIT failed: %s",
		    PQresultErrorMessage(res));
		PQclear(res);
		return -1;
	}
	PQclear(res);
	*done = n;
	return 0;
fail:
	PQclear(res);
	res = PQexec(conn, "ROLLBACK");
	PQclear(res);
	return -1;
}

/* Rows of "c" that are still under another version than "version_hex". */
static long
ctl_rotate_left(PGconn *conn, const struct pii_column *c,
    const char *version_hex)
{
	char		 sql[512];
	const char	*params[1] = { version_hex };
	PGresult	*res;
	long		 left = -1;

	snprintf(sql, sizeof(sql), "SELECT count(*) FROM %s WHERE %s IS NOT "
	    "NULL AND substring(%s FROM 1 FOR 2) <> $1::bytea", c->table,
	    c->column, c->column);
	res = PQexecParams(conn, sql, 1, NULL, params, NULL, NULL, 0);
	if (PQresultStatus(res) == PGRES_TUPLES_OK)
		left = strtol(PQgetvalue(res, 0, 0), NULL, 10);
	else
		fprintf(stderr, "sscnctl: counting %s.%s failed: %s",
		    c->table, c->column, PQresultErrorMessage(res));
	PQclear(res);
	return left;
}

static int
ctl_rotate_reencrypt(PGconn *conn, const struct sscn_conf *conf, int batch)
{
	struct sscn_keys	*keys = NULL;
	char			 version_hex[8];
	unsigned		 version;
	size_t			 i;
	long			 total, left;
	int			 done, pass, rc = -1;

	if (ctl_load_keys(conf, &keys) == -1)
		return -1;
	version = keys_field_current(keys)->version;
	snprintf(version_hex, sizeof(version_hex), "\\x%04x", version);

	for (i = 0; i < pii_ncolumns; i++) {
		const struct pii_column *c = &pii_columns[i];

		total = 0;
		for (pass = 0; pass < CTL_LOCKED_PASSES; pass++) {
			do {
				if (ctl_rotate_batch(conn, keys, c,
				    version_hex, batch, &done) == -1)
					goto out;
				total += done;
			} while (done > 0);
			left = ctl_rotate_left(conn, c, version_hex);
			if (left <= 0)
				break;
			/* Rows locked by requests: try again shortly. */
			sleep(1);
		}
		if (left != 0) {
			fprintf(stderr, "sscnctl: %ld rows of %s.%s are still "
			    "under an older key; run \"sscnctl keys rotate "
			    "--no-add\" again\n", left, c->table, c->column);
			goto out;
		}
		printf("%s.%s: re-encrypted %ld rows under version %u\n",
		    c->table, c->column, total, version);
	}
	rc = 0;
out:
	keys_free(keys);
	return rc;
}

static void
ctl_keys_usage(void)
{
	fprintf(stderr, "usage: sscnctl keys status\n"
	    "       sscnctl keys rotate [--pid PID | --no-add] "
	    "[--batch ROWS]\n");
}

int
ctl_keys(const struct sscn_conf *conf, int argc, char **argv)
{
	PGconn		*conn;
	pid_t		 pid = 0;
	bool		 add = true;
	unsigned	 version;
	long		 batch = CTL_BATCH_DEFAULT;
	char		*end;
	int		 i, rc = CTL_EXIT_FAIL;

	if (argc < 2 || (strcmp(argv[1], "status") != 0 &&
	    strcmp(argv[1], "rotate") != 0)) {
		ctl_keys_usage();
		return CTL_EXIT_USAGE;
	}
	for (i = 2; i < argc; i++) {
		if (strcmp(argv[1], "rotate") != 0) {
			ctl_keys_usage();
			return CTL_EXIT_USAGE;
		}
		if (strcmp(argv[i], "--no-add") == 0)
			add = false;
		else if (strcmp(argv[i], "--pid") == 0 && i + 1 < argc) {
			errno = 0;
			pid = (pid_t)strtol(argv[++i], &end, 10);
			if (errno != 0 || *end != '\0' || pid <= 1) {
				fprintf(stderr, "sscnctl: invalid --pid \"%s\": "
				    "expected the pid of the sscnd master\n",
				    argv[i]);
				return CTL_EXIT_USAGE;
			}
		} else if (strcmp(argv[i], "--batch") == 0 && i + 1 < argc) {
			errno = 0;
			batch = strtol(argv[++i], &end, 10);
			if (errno != 0 || *end != '\0' || batch < 1 ||
			    batch > CTL_BATCH_MAX) {
				fprintf(stderr, "sscnctl: invalid --batch "
				    "\"%s\": expected 1 to %d rows\n",
				    argv[i], CTL_BATCH_MAX);
				return CTL_EXIT_USAGE;
			}
		} else {
			ctl_keys_usage();
			return CTL_EXIT_USAGE;
		}
	}
	if (!add && pid != 0) {
		fprintf(stderr, "sscnctl: --pid and --no-add cannot be used "
		    "together, because --pid adds a key and reloads sscnd "
		    "and --no-add only re-encrypts\n");
		ctl_keys_usage();
		return CTL_EXIT_USAGE;
	}
	if (add && pid == 0 && strcmp(argv[1], "rotate") == 0) {
		fprintf(stderr, "sscnctl: keys rotate needs --pid PID of the "
		    "running sscnd master, or --no-add after you added a key "
		    "and reloaded sscnd (see sscnctl(8))\n");
		return CTL_EXIT_USAGE;
	}

	conn = ctl_connect(conf->database_owner, "database_owner");
	if (conn == NULL)
		return CTL_EXIT_FAIL;
	if (strcmp(argv[1], "status") == 0) {
		if (ctl_keys_status(conn) == 0)
			rc = CTL_EXIT_OK;
		goto out;
	}

	if (add && (ctl_check_master(pid) == -1 ||
	    ctl_keys_append(conf, &version) == -1 ||
	    ctl_reload_sscnd(pid) == -1))
		goto out;
	if (ctl_rotate_reencrypt(conn, conf, (int)batch) == 0)
		rc = CTL_EXIT_OK;
out:
	PQfinish(conn);
	return rc;
}
