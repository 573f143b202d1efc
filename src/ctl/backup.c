/*
 * backup.c - "sscnctl backup", "sscnctl restore" and "sscnctl
 * restore-test".
 *
 * A backup is pg_dump -Fc of the database, taken as the schema owner in
 * the snapshot in which the row counts of the manifest are taken, so both
 * describe the same state.  The dump is encrypted on the fly with
 * libsodium's crypto_secretstream_xchacha20poly1305 under the key file's
 * "backup" key.  The file starts with the 8-byte magic "SSCNBK1\n" and the
 * stream header.  Records follow, each a 4-byte big-endian ciphertext
 * length and the ciphertext of at most BACKUP_CHUNK plaintext bytes.  Only
 * the last record carries the FINAL tag, so a truncated file fails to
 * decrypt.  Next to FILE, FILE.json is the manifest: SHA-256 of
 * FILE, schema version, backup key version, time and the row count of
 * every table.  Both are written under a temporary name, synced and
 * renamed, the manifest last, so a manifest always names a complete file.
 *
 * Restores run pg_restore as database_restore, a role that may create
 * databases and is a member of the owner role.  The file is checked
 * against the manifest and fully decrypted into a 0600 temporary file
 * before pg_restore starts, so a damaged file changes no database.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>
#include <libpq-fe.h>
#include <sodium.h>

#include "crypto/keys.h"
#include "ctl/ctl.h"

#define BACKUP_MAGIC		"SSCNBK1\n"
#define BACKUP_MAGIC_LEN	8
#define BACKUP_CHUNK		(64 * 1024)	/* plaintext bytes per record */
#define BACKUP_PREFIX		"sscn-"
#define BACKUP_SUFFIX		".backup"
#define BACKUP_PATH_MAX		4096
#define BACKUP_MANIFEST_MAX	(1024 * 1024)
#define BACKUP_CHAIN_BATCH	10000	/* audit rows per query of the check */

/*
 * Row counts of every table of schema sscn, in one statement.  A
 * partitioned table counts the rows of all its partitions, which are not
 * listed themselves: their set changes every month.
 */
static const char backup_counts_sql[] =
    "SELECT c.relname, (xpath('/row/n/text()', query_to_xml(format("
    "'SELECT count(*) AS n FROM %I.%I', n.nspname, c.relname), false, "
    "true, '')))[1]::text FROM pg_class c JOIN pg_namespace n ON "
    "n.oid = c.relnamespace WHERE n.nspname = 'sscn' AND c.relkind "
    "IN ('r', 'p') AND NOT c.relispartition ORDER BY c.relname";

/* Connect with "conninfo", overriding its database with "dbname". */
static PGconn *
backup_connect_db(const char *conninfo, const char *dbname, const char *what)
{
	const char	*keywords[] = { "dbname", "dbname", "application_name",
	    "options", NULL };
	const char	*values[] = { conninfo, dbname, "sscnctl",
	    "-c search_path=sscn,pg_catalog", NULL };
	PGconn		*conn;

	if (conninfo == NULL || *conninfo == '\0') {
		fprintf(stderr, "sscnctl: %s is not set in the configuration "
		    "file\n", what);
		return NULL;
	}
	conn = PQconnectdbParams(keywords, values, 1);
	if (conn == NULL || PQstatus(conn) != CONNECTION_OK) {
		fprintf(stderr, "sscnctl: could not connect with %s to "
		    "database %s: %s", what, dbname,
		    conn ? PQerrorMessage(conn) : "out of memory\n");
		PQfinish(conn);
		return NULL;
	}
	return conn;
}

/*
 * Run "PG_BIN_DIR/program" with "argv", in the environment of the
 * connection "conn" (PGHOST, PGPASSWORD ...), so that no password
 * appears on a command line.  Standard input or output may be replaced
 * by "in_fd"/"out_fd" (-1 keeps them).  Returns the child's pid or -1.
 */
static pid_t
backup_spawn(const struct sscn_conf *conf, PGconn *conn, const char *program,
    char *const argv[], int in_fd, int out_fd)
{
	PQconninfoOption	*options, *o;
	char			 path[BACKUP_PATH_MAX];
	pid_t			 pid;

	snprintf(path, sizeof(path), "%s/%s", conf->pg_bin_dir, program);
	if ((options = PQconninfo(conn)) == NULL) {
		fprintf(stderr, "sscnctl: out of memory\n");
		return -1;
	}
	if ((pid = fork()) == -1) {
		fprintf(stderr, "sscnctl: fork failed: %m\n");
		PQconninfoFree(options);
		return -1;
	}
	if (pid == 0) {
		for (o = options; o->keyword != NULL; o++)
			if (o->envvar != NULL && o->val != NULL &&
			    *o->val != '\0')
				setenv(o->envvar, o->val, 1);
		if (in_fd != -1)
			dup2(in_fd, STDIN_FILENO);
		if (out_fd != -1)
			dup2(out_fd, STDOUT_FILENO);
		execv(path, argv);
		fprintf(stderr, "sscnctl: cannot run %s: %m\n", path);
		_exit(127);
	}
	PQconninfoFree(options);
	return pid;
}

/* Wait for "pid" and return true when it exited with status 0. */
static bool
backup_wait(pid_t pid, const char *program)
{
	int status;

	while (waitpid(pid, &status, 0) == -1)
		if (errno != EINTR)
			return false;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return true;
	fprintf(stderr, "sscnctl: %s failed (exit status %d)\n", program,
	    WIFEXITED(status) ? WEXITSTATUS(status) : -1);
	return false;
}

static bool
backup_write_all(int fd, const void *buf, size_t len)
{
	const unsigned char	*p = buf;
	ssize_t			 n;

	while (len > 0) {
		if ((n = write(fd, p, len)) == -1) {
			if (errno == EINTR)
				continue;
			return false;
		}
		p += n;
		len -= (size_t)n;
	}
	return true;
}

/* Read "len" bytes, or fewer at end of file.  Returns the count or -1. */
static ssize_t
backup_read_full(int fd, void *buf, size_t len)
{
	unsigned char	*p = buf;
	size_t		 got = 0;
	ssize_t		 n;

	while (got < len) {
		if ((n = read(fd, p + got, len - got)) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	return (ssize_t)got;
}

/* Encrypt everything readable from "in" into "out". */
static bool
backup_encrypt(const struct keys_backup *key, int in, int out)
{
	crypto_secretstream_xchacha20poly1305_state state;
	unsigned char	 header[crypto_secretstream_xchacha20poly1305_HEADERBYTES];
	unsigned char	*plain, *cipher, lenbuf[4];
	unsigned long long clen;
	ssize_t		 n, next;
	bool		 ok = false;

	plain = malloc(2 * BACKUP_CHUNK);
	cipher = malloc(BACKUP_CHUNK +
	    crypto_secretstream_xchacha20poly1305_ABYTES);
	if (plain == NULL || cipher == NULL)
		goto out;
	crypto_secretstream_xchacha20poly1305_init_push(&state, header,
	    key->key);
	if (!backup_write_all(out, BACKUP_MAGIC, BACKUP_MAGIC_LEN) ||
	    !backup_write_all(out, header, sizeof(header)))
		goto out;

	/* Read one chunk ahead so the last record gets the FINAL tag. */
	if ((n = backup_read_full(in, plain, BACKUP_CHUNK)) == -1)
		goto out;
	for (;;) {
		next = n == BACKUP_CHUNK ?
		    backup_read_full(in, plain + BACKUP_CHUNK, BACKUP_CHUNK) : 0;
		if (next == -1)
			goto out;
		crypto_secretstream_xchacha20poly1305_push(&state, cipher,
		    &clen, plain, (unsigned long long)n, NULL, 0, next == 0 ?
		    crypto_secretstream_xchacha20poly1305_TAG_FINAL : 0);
		lenbuf[0] = (unsigned char)(clen >> 24);
		lenbuf[1] = (unsigned char)(clen >> 16);
		lenbuf[2] = (unsigned char)(clen >> 8);
		lenbuf[3] = (unsigned char)clen;
		if (!backup_write_all(out, lenbuf, 4) ||
		    !backup_write_all(out, cipher, (size_t)clen))
			goto out;
		if (next == 0)
			break;
		memmove(plain, plain + BACKUP_CHUNK, (size_t)next);
		n = next;
	}
	ok = true;
out:
	sodium_memzero(&state, sizeof(state));
	free(plain);
	free(cipher);
	return ok;
}

/* Decrypt the backup "in" into "out".  Returns false on any damage. */
static bool
backup_decrypt(const struct keys_backup *key, int in, int out)
{
	crypto_secretstream_xchacha20poly1305_state state;
	unsigned char	 header[crypto_secretstream_xchacha20poly1305_HEADERBYTES];
	unsigned char	 magic[BACKUP_MAGIC_LEN], lenbuf[4], tag = 0;
	unsigned char	*plain, *cipher;
	unsigned long long plen;
	size_t		 clen;
	ssize_t		 n;
	bool		 ok = false;

	plain = malloc(BACKUP_CHUNK);
	cipher = malloc(BACKUP_CHUNK +
	    crypto_secretstream_xchacha20poly1305_ABYTES);
	if (plain == NULL || cipher == NULL)
		goto out;
	if (backup_read_full(in, magic, sizeof(magic)) != sizeof(magic) ||
	    memcmp(magic, BACKUP_MAGIC, BACKUP_MAGIC_LEN) != 0 ||
	    backup_read_full(in, header, sizeof(header)) != sizeof(header) ||
	    crypto_secretstream_xchacha20poly1305_init_pull(&state, header,
	    key->key) != 0)
		goto out;
	while (tag != crypto_secretstream_xchacha20poly1305_TAG_FINAL) {
		if (backup_read_full(in, lenbuf, 4) != 4)
			goto out;
		clen = (size_t)lenbuf[0] << 24 | (size_t)lenbuf[1] << 16 |
		    (size_t)lenbuf[2] << 8 | lenbuf[3];
		if (clen < crypto_secretstream_xchacha20poly1305_ABYTES ||
		    clen > BACKUP_CHUNK +
		    crypto_secretstream_xchacha20poly1305_ABYTES)
			goto out;
		if (backup_read_full(in, cipher, clen) != (ssize_t)clen)
			goto out;
		if (crypto_secretstream_xchacha20poly1305_pull(&state, plain,
		    &plen, &tag, cipher, clen, NULL, 0) != 0)
			goto out;
		if (!backup_write_all(out, plain, (size_t)plen))
			goto out;
	}
	/* Bytes after the FINAL record are damage too. */
	n = backup_read_full(in, lenbuf, 1);
	ok = n == 0;
out:
	sodium_memzero(&state, sizeof(state));
	free(plain);
	free(cipher);
	return ok;
}

/* Write the hex SHA-256 of the file "path" into "hex" (65 bytes). */
static bool
backup_sha256_file(const char *path, char hex[65])
{
	crypto_hash_sha256_state	 state;
	unsigned char			 buf[BACKUP_CHUNK];
	unsigned char			 digest[crypto_hash_sha256_BYTES];
	ssize_t				 n;
	int				 fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		fprintf(stderr, "sscnctl: cannot open %s: %m\n", path);
		return false;
	}
	crypto_hash_sha256_init(&state);
	while ((n = backup_read_full(fd, buf, sizeof(buf))) > 0)
		crypto_hash_sha256_update(&state, buf, (size_t)n);
	close(fd);
	if (n == -1) {
		fprintf(stderr, "sscnctl: cannot read %s\n", path);
		return false;
	}
	crypto_hash_sha256_final(&state, digest);
	sodium_bin2hex(hex, 65, digest, sizeof(digest));
	return true;
}

/* Write "text" to "path" through a synced temporary file and rename(2). */
static bool
backup_write_atomic(const char *path, const char *text)
{
	char	tmp[BACKUP_PATH_MAX];
	int	fd;
	bool	ok;

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp", path) >=
	    sizeof(tmp)) {
		fprintf(stderr, "sscnctl: the path %s is too long\n", path);
		return false;
	}
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	    0600)) == -1) {
		fprintf(stderr, "sscnctl: cannot create %s: %m\n", tmp);
		return false;
	}
	ok = backup_write_all(fd, text, strlen(text)) && fsync(fd) == 0;
	ok = close(fd) == 0 && ok;
	if (!ok || rename(tmp, path) == -1) {
		fprintf(stderr, "sscnctl: cannot write %s: %m\n", path);
		unlink(tmp);
		return false;
	}
	return true;
}

static int
backup_load_key(const struct sscn_conf *conf, struct sscn_keys **keys,
    const struct keys_backup **key)
{
	if (ctl_load_keys(conf, keys) == -1)
		return -1;
	if ((*key = keys_backup_key(*keys)) == NULL) {
		fprintf(stderr, "sscnctl: the key file %s has no backup key; "
		    "add a line \"backup 1 XCHACHA20-POLY1305 BASE64\" with "
		    "32 random bytes\n", conf->key_file);
		keys_free(*keys);
		*keys = NULL;
		return -1;
	}
	return 0;
}

/* Remove all but the newest "keep" backups of "dir" and their manifests. */
static void
backup_prune(const char *dir, unsigned keep)
{
	struct dirent	**names;
	char		  path[BACKUP_PATH_MAX];
	size_t		  len, plen = strlen(BACKUP_PREFIX);
	size_t		  slen = strlen(BACKUP_SUFFIX);
	int		  n, i, kept = 0;

	if ((n = scandir(dir, &names, NULL, alphasort)) == -1)
		return;
	/* Names hold a UTC time stamp, so the order of names is by age. */
	for (i = n - 1; i >= 0; i--) {
		len = strlen(names[i]->d_name);
		if (len > plen + slen &&
		    strncmp(names[i]->d_name, BACKUP_PREFIX, plen) == 0 &&
		    strcmp(names[i]->d_name + len - slen, BACKUP_SUFFIX) == 0 &&
		    (unsigned)kept++ >= keep) {
			snprintf(path, sizeof(path), "%s/%s.json", dir,
			    names[i]->d_name);
			unlink(path);
			snprintf(path, sizeof(path), "%s/%s", dir,
			    names[i]->d_name);
			if (unlink(path) == -1)
				fprintf(stderr, "sscnctl: cannot remove %s: "
				    "%m\n", path);
		}
		free(names[i]);
	}
	free(names);
}

/* The row count of every table as a JSON object, or NULL. */
static json_object *
backup_row_counts(PGconn *conn)
{
	json_object	*tables;
	PGresult	*res;
	int		 i;

	res = PQexec(conn, backup_counts_sql);
	if (!ctl_command_ok(conn, res, "counting rows")) {
		PQclear(res);
		return NULL;
	}
	tables = json_object_new_object();
	for (i = 0; i < PQntuples(res); i++)
		json_object_object_add(tables, PQgetvalue(res, i, 0),
		    json_object_new_int64(strtoll(PQgetvalue(res, i, 1),
		    NULL, 10)));
	PQclear(res);
	return tables;
}

static int
backup_run(const struct sscn_conf *conf, const char *dir)
{
	const struct keys_backup *key;
	struct sscn_keys *keys = NULL;
	json_object	*manifest = NULL, *tables, *details;
	PGconn		*conn = NULL;
	PGresult	*res = NULL;
	char		 name[64], stamp[32], path[BACKUP_PATH_MAX];
	char		 tmp[BACKUP_PATH_MAX], mpath[BACKUP_PATH_MAX];
	char		 snapshot[64], hex[65], version[16];
	char		*argv[8];
	char		 arg_pg_dump[] = "pg_dump";
	char		 arg_format[] = "--format=custom";
	char		 arg_snapshot[] = "--snapshot";
	char		 arg_no_password[] = "--no-password";
	struct timespec	 now;
	struct tm	 tm;
	pid_t		 pid;
	int		 pipefd[2] = { -1, -1 }, fd = -1, rc = CTL_EXIT_FAIL;
	bool		 ok;

	tmp[0] = '\0';
	if (backup_load_key(conf, &keys, &key) == -1)
		return CTL_EXIT_FAIL;
	if (mkdir(dir, 0700) == -1 && errno != EEXIST) {
		fprintf(stderr, "sscnctl: cannot create %s: %m\n", dir);
		goto out;
	}
	if ((conn = ctl_connect(conf->database_owner,
	    "database_owner")) == NULL)
		goto out;

	/* The counts and the dump see the same exported snapshot. */
	res = PQexec(conn, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
	if (!ctl_command_ok(conn, res, "starting the snapshot"))
		goto out;
	PQclear(res);
	res = PQexec(conn, "SELECT pg_export_snapshot(), (SELECT "
	    "max(version) FROM sscn.schema_migrations)");
	if (!ctl_command_ok(conn, res, "exporting the snapshot"))
		goto out;
	snprintf(snapshot, sizeof(snapshot), "%s", PQgetvalue(res, 0, 0));
	snprintf(version, sizeof(version), "%s", PQgetvalue(res, 0, 1));
	PQclear(res);
	res = NULL;
	if ((tables = backup_row_counts(conn)) == NULL)
		goto out;

	clock_gettime(CLOCK_REALTIME, &now);
	gmtime_r(&now.tv_sec, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ", &tm);
	snprintf(name, sizeof(name), BACKUP_PREFIX "%04d%02d%02dT%02d%02d%02d"
	    "%03ldZ" BACKUP_SUFFIX, tm.tm_year + 1900, tm.tm_mon + 1,
	    tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
	    now.tv_nsec / 1000000);
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp", path) >=
	    sizeof(tmp) || (size_t)snprintf(mpath, sizeof(mpath), "%s.json",
	    path) >= sizeof(mpath)) {
		fprintf(stderr, "sscnctl: the backup directory %s is too "
		    "long\n", dir);
		goto out;
	}

	manifest = json_object_new_object();
	json_object_object_add(manifest, "file", json_object_new_string(name));
	json_object_object_add(manifest, "created",
	    json_object_new_string(stamp));
	json_object_object_add(manifest, "schema_version",
	    json_object_new_int(atoi(version)));
	json_object_object_add(manifest, "key_version",
	    json_object_new_int(key->version));
	json_object_object_add(manifest, "tables", tables);

	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
	    0600)) == -1) {
		fprintf(stderr, "sscnctl: cannot create %s: %m\n", tmp);
		goto out;
	}
	if (pipe2(pipefd, O_CLOEXEC) == -1) {
		fprintf(stderr, "sscnctl: pipe failed: %m\n");
		goto out;
	}
	argv[0] = arg_pg_dump;
	argv[1] = arg_format;
	argv[2] = arg_snapshot;
	argv[3] = snapshot;
	argv[4] = arg_no_password;
	argv[5] = NULL;
	pid = backup_spawn(conf, conn, "pg_dump", argv, -1, pipefd[1]);
	close(pipefd[1]);
	pipefd[1] = -1;
	if (pid == -1)
		goto out;
	ok = backup_encrypt(key, pipefd[0], fd);
	close(pipefd[0]);
	pipefd[0] = -1;
	ok = backup_wait(pid, "pg_dump") && ok;
	if (!ok || fsync(fd) == -1) {
		fprintf(stderr, "sscnctl: writing %s failed\n", tmp);
		goto out;
	}
	close(fd);
	fd = -1;
	if (rename(tmp, path) == -1) {
		fprintf(stderr, "sscnctl: cannot rename %s: %m\n", tmp);
		goto out;
	}
	if (!backup_sha256_file(path, hex))
		goto out;
	json_object_object_add(manifest, "sha256", json_object_new_string(hex));
	if (!backup_write_atomic(mpath, json_object_to_json_string_ext(
	    manifest, JSON_C_TO_STRING_PRETTY)))
		goto out;

	res = PQexec(conn, "COMMIT");
	PQclear(res);
	res = PQexec(conn, "BEGIN");
	PQclear(res);
	res = NULL;
	details = json_object_new_object();
	json_object_object_add(details, "file", json_object_new_string(name));
	json_object_object_add(details, "sha256", json_object_new_string(hex));
	ok = ctl_audit(conn, "backup.create", NULL,
	    json_object_to_json_string(details));
	json_object_put(details);
	if (!ok)
		goto out;
	res = PQexec(conn, "COMMIT");
	if (!ctl_command_ok(conn, res, "committing the audit row"))
		goto out;

	backup_prune(dir, conf->backup_keep);
	printf("%s\n", path);
	rc = CTL_EXIT_OK;
out:
	if (rc != CTL_EXIT_OK && tmp[0] != '\0')
		unlink(tmp);
	if (fd != -1)
		close(fd);
	if (pipefd[0] != -1)
		close(pipefd[0]);
	if (pipefd[1] != -1)
		close(pipefd[1]);
	PQclear(res);
	PQfinish(conn);
	json_object_put(manifest);
	keys_free(keys);
	return rc;
}

int
ctl_backup(const struct sscn_conf *conf, int argc, char **argv)
{
	if (argc == 1)
		return backup_run(conf, conf->backup_dir);
	if (argc == 3 && strcmp(argv[1], "--dir") == 0)
		return backup_run(conf, argv[2]);
	fprintf(stderr, "usage: sscnctl backup [--dir DIR]\n");
	return CTL_EXIT_USAGE;
}

/* Read and parse FILE.json.  Returns NULL after printing the reason. */
static json_object *
backup_read_manifest(const char *file)
{
	char		 mpath[BACKUP_PATH_MAX];
	char		*text;
	json_object	*manifest;

	snprintf(mpath, sizeof(mpath), "%s.json", file);
	if ((text = ctl_read_text(mpath, BACKUP_MANIFEST_MAX)) == NULL)
		return NULL;
	manifest = json_tokener_parse(text);
	free(text);
	if (manifest == NULL || !json_object_is_type(manifest,
	    json_type_object)) {
		fprintf(stderr, "sscnctl: %s is not a JSON object\n", mpath);
		json_object_put(manifest);
		return NULL;
	}
	return manifest;
}

/*
 * Check "file" against its manifest, decrypt it into a temporary file and
 * run pg_restore into "dbname" (created first when "create" is set).
 */
static bool
backup_restore_file(const struct sscn_conf *conf, const char *file,
    json_object *manifest, const char *dbname, bool create)
{
	const struct keys_backup *key;
	struct sscn_keys *keys = NULL;
	json_object	*value;
	PGconn		*admin = NULL, *target = NULL;
	PGresult	*res;
	char		 hex[65], plain[BACKUP_PATH_MAX], sql[256];
	char		*ident = NULL;
	char		*argv[9];
	char		 arg_pg_restore[] = "pg_restore";
	char		 arg_single[] = "--single-transaction";
	char		 arg_exit[] = "--exit-on-error";
	char		 arg_no_password[] = "--no-password";
	char		 arg_clean[] = "--clean";
	char		 arg_if_exists[] = "--if-exists";
	char		 arg_dbname[128];
	pid_t		 pid;
	int		 in = -1, out = -1;
	bool		 ok = false;

	plain[0] = '\0';
	if (!json_object_object_get_ex(manifest, "sha256", &value) ||
	    !json_object_is_type(value, json_type_string)) {
		fprintf(stderr, "sscnctl: the manifest of %s has no sha256\n",
		    file);
		return false;
	}
	if (!backup_sha256_file(file, hex))
		return false;
	if (strcmp(hex, json_object_get_string(value)) != 0) {
		fprintf(stderr, "sscnctl: %s does not match the SHA-256 of "
		    "its manifest; the file is damaged or not this backup\n",
		    file);
		return false;
	}
	if (backup_load_key(conf, &keys, &key) == -1)
		return false;
	if (json_object_object_get_ex(manifest, "key_version", &value) &&
	    json_object_get_int(value) != key->version) {
		fprintf(stderr, "sscnctl: %s was encrypted under backup key "
		    "version %d, but the key file has version %u\n", file,
		    json_object_get_int(value), key->version);
		goto out;
	}

	snprintf(plain, sizeof(plain), "%s.restore-XXXXXX", file);
	if ((out = mkstemp(plain)) == -1) {
		fprintf(stderr, "sscnctl: cannot create %s: %m\n", plain);
		plain[0] = '\0';
		goto out;
	}
	if ((in = open(file, O_RDONLY | O_CLOEXEC)) == -1) {
		fprintf(stderr, "sscnctl: cannot open %s: %m\n", file);
		goto out;
	}
	if (!backup_decrypt(key, in, out)) {
		fprintf(stderr, "sscnctl: %s failed to decrypt: the file is "
		    "damaged, truncated or under another backup key\n", file);
		goto out;
	}

	if ((admin = backup_connect_db(conf->database_restore, "postgres",
	    "database_restore")) == NULL)
		goto out;
	if (create) {
		ident = PQescapeIdentifier(admin, dbname, strlen(dbname));
		if (ident == NULL)
			goto out;
		snprintf(sql, sizeof(sql), "CREATE DATABASE %s OWNER "
		    "sscn_owner", ident);
		res = PQexec(admin, sql);
		ok = ctl_command_ok(admin, res, "creating the database");
		PQclear(res);
		if (!ok)
			goto out;
		ok = false;
	}
	if ((target = backup_connect_db(conf->database_restore, dbname,
	    "database_restore")) == NULL)
		goto out;
	argv[0] = arg_pg_restore;
	argv[1] = arg_single;
	argv[2] = arg_exit;
	argv[3] = arg_no_password;
	snprintf(arg_dbname, sizeof(arg_dbname), "--dbname=%s", dbname);
	argv[4] = arg_dbname;
	/*
	 * --if-exists, because the monthly audit log partitions of the backup
	 * may have been dropped since; partitions created since go with
	 * their table.
	 */
	argv[5] = create ? NULL : arg_clean;
	argv[6] = create ? NULL : arg_if_exists;
	argv[7] = NULL;
	lseek(out, 0, SEEK_SET);
	if ((pid = backup_spawn(conf, target, "pg_restore", argv, out,
	    -1)) == -1)
		goto out;
	ok = backup_wait(pid, "pg_restore");
	if (!ok && create) {
		/* Leave no half-made database behind. */
		PQfinish(target);
		target = NULL;
		snprintf(sql, sizeof(sql), "DROP DATABASE %s", ident);
		res = PQexec(admin, sql);
		ctl_command_ok(admin, res, "dropping the new database");
		PQclear(res);
	}
out:
	if (in != -1)
		close(in);
	if (out != -1)
		close(out);
	if (plain[0] != '\0')
		unlink(plain);
	PQfreemem(ident);
	PQfinish(admin);
	PQfinish(target);
	keys_free(keys);
	return ok;
}

/* Database names this command creates: lower case, digits and "_". */
static bool
backup_dbname_valid(const char *name)
{
	size_t i, len = strlen(name);

	if (len == 0 || len > 63 || !(name[0] >= 'a' && name[0] <= 'z'))
		return false;
	for (i = 0; i < len; i++)
		if (!((name[i] >= 'a' && name[i] <= 'z') ||
		    (name[i] >= '0' && name[i] <= '9') || name[i] == '_'))
			return false;
	return true;
}

int
ctl_restore(const struct sscn_conf *conf, int argc, char **argv)
{
	json_object	*manifest;
	PGconn		*conn;
	PGresult	*res;
	const char	*dbname;
	bool		 ok;

	if (argc == 4 && strcmp(argv[2], "--database") == 0) {
		if (!backup_dbname_valid(argv[3])) {
			fprintf(stderr, "sscnctl: invalid database name "
			    "\"%.70s\": use 1 to 63 characters a-z, 0-9 and "
			    "_, starting with a letter\n", argv[3]);
			return CTL_EXIT_USAGE;
		}
	} else if (argc != 2) {
		fprintf(stderr, "usage: sscnctl restore FILE "
		    "[--database NAME]\n");
		return CTL_EXIT_USAGE;
	}
	if ((manifest = backup_read_manifest(argv[1])) == NULL)
		return CTL_EXIT_FAIL;
	if (argc == 4) {
		ok = backup_restore_file(conf, argv[1], manifest, argv[3],
		    true);
	} else {
		/* The configured database, whose objects are replaced. */
		if ((conn = ctl_connect(conf->database_owner,
		    "database_owner")) == NULL) {
			json_object_put(manifest);
			return CTL_EXIT_FAIL;
		}
		dbname = PQdb(conn);
		ok = backup_restore_file(conf, argv[1], manifest, dbname,
		    false);
		PQfinish(conn);
	}
	json_object_put(manifest);
	if (!ok)
		return CTL_EXIT_FAIL;

	if ((conn = ctl_connect(conf->database_owner,
	    "database_owner")) == NULL)
		return CTL_EXIT_FAIL;
	res = PQexec(conn, "BEGIN");
	PQclear(res);
	ok = ctl_audit(conn, "backup.restore", argc == 4 ? argv[3] : NULL,
	    "{}");
	res = PQexec(conn, "COMMIT");
	ok = ctl_command_ok(conn, res, "committing the audit row") && ok;
	PQclear(res);
	PQfinish(conn);
	return ok ? CTL_EXIT_OK : CTL_EXIT_FAIL;
}

/*
 * Write the path of the newest backup of "dir" that has a manifest into
 * "out", or return false.  A backup without one was interrupted before it
 * was complete.
 */
static bool
backup_newest(const char *dir, char *out, size_t outlen)
{
	struct dirent	**names;
	size_t		  len, plen = strlen(BACKUP_PREFIX);
	size_t		  slen = strlen(BACKUP_SUFFIX);
	int		  n, i;
	char		  manifest[BACKUP_PATH_MAX];
	bool		  found = false;

	if ((n = scandir(dir, &names, NULL, alphasort)) == -1) {
		fprintf(stderr, "sscnctl: cannot read %s: %m\n", dir);
		return false;
	}
	for (i = n - 1; i >= 0; i--) {
		len = strlen(names[i]->d_name);
		if (!found && len > plen + slen &&
		    strncmp(names[i]->d_name, BACKUP_PREFIX, plen) == 0 &&
		    strcmp(names[i]->d_name + len - slen, BACKUP_SUFFIX) == 0) {
			snprintf(out, outlen, "%s/%s", dir, names[i]->d_name);
			found = (size_t)snprintf(manifest, sizeof(manifest),
			    "%s.json", out) < sizeof(manifest) &&
			    access(manifest, F_OK) == 0;
		}
		free(names[i]);
	}
	free(names);
	if (!found)
		fprintf(stderr, "sscnctl: no backup in %s\n", dir);
	return found;
}

/*
 * Check the restored database "dbname" against "manifest": its migration
 * version, the row count of every table and the audit chain.  Writes the
 * first mismatch into "detail" and returns false on one.
 */
static bool
backup_check_restored(const struct sscn_conf *conf, const char *dbname,
    json_object *manifest, char *detail, size_t detaillen)
{
	struct ctl_audit_chain	 chain;
	json_object		*expected, *actual = NULL, *value;
	PGconn			*conn;
	PGresult		*res;
	bool			 ok = false;

	if ((conn = backup_connect_db(conf->database_restore, dbname,
	    "database_restore")) == NULL) {
		snprintf(detail, detaillen, "cannot connect to the restored "
		    "database");
		return false;
	}
	res = PQexec(conn, "SELECT max(version) FROM sscn.schema_migrations");
	if (!ctl_command_ok(conn, res, "reading the migration version") ||
	    !json_object_object_get_ex(manifest, "schema_version", &value) ||
	    atoi(PQgetvalue(res, 0, 0)) != json_object_get_int(value)) {
		snprintf(detail, detaillen, "migration version %s differs "
		    "from the manifest", PQresultStatus(res) == PGRES_TUPLES_OK ?
		    PQgetvalue(res, 0, 0) : "unknown");
		goto out;
	}
	PQclear(res);
	res = NULL;

	if (!json_object_object_get_ex(manifest, "tables", &expected) ||
	    !json_object_is_type(expected, json_type_object) ||
	    (actual = backup_row_counts(conn)) == NULL) {
		snprintf(detail, detaillen, "cannot compare row counts");
		goto out;
	}
	if (json_object_object_length(expected) !=
	    json_object_object_length(actual)) {
		snprintf(detail, detaillen, "the restored database has %d "
		    "tables, the manifest %d",
		    json_object_object_length(actual),
		    json_object_object_length(expected));
		goto out;
	}
	json_object_object_foreach(expected, table, count) {
		if (!json_object_object_get_ex(actual, table, &value) ||
		    json_object_get_int64(value) !=
		    json_object_get_int64(count)) {
			snprintf(detail, detaillen, "row count of sscn.%.100s "
			    "differs from the manifest", table);
			goto out;
		}
	}

	if (ctl_audit_chain_check(conn, BACKUP_CHAIN_BATCH, &chain) == -1) {
		snprintf(detail, detaillen, "cannot read the audit log");
		goto out;
	}
	if (chain.broken) {
		snprintf(detail, detaillen, "the audit chain is broken at id "
		    "%s: %s", chain.id, chain.reason);
		goto out;
	}
	ok = true;
out:
	PQclear(res);
	json_object_put(actual);
	PQfinish(conn);
	return ok;
}

/* Drop the scratch database "dbname", a name this file made. */
static void
backup_drop_scratch(const struct sscn_conf *conf, const char *dbname)
{
	PGconn		*admin;
	PGresult	*res;
	char		 sql[128];

	if ((admin = backup_connect_db(conf->database_restore, "postgres",
	    "database_restore")) == NULL)
		return;
	snprintf(sql, sizeof(sql), "DROP DATABASE IF EXISTS %s", dbname);
	res = PQexec(admin, sql);
	ctl_command_ok(admin, res, "dropping the scratch database");
	PQclear(res);
	PQfinish(admin);
}

/* Store the result in sscn.restore_tests and the audit log. */
static bool
backup_record_test(const struct sscn_conf *conf, const char *started,
    long long duration_ms, const char *file, json_object *manifest,
    bool passed, const char *detail)
{
	json_object	*details, *value;
	const char	*params[6];
	char		 duration[32], version[16] = "";
	const char	*name;
	PGconn		*conn;
	PGresult	*res;
	bool		 ok;

	if ((conn = ctl_connect(conf->database_owner,
	    "database_owner")) == NULL)
		return false;
	name = strrchr(file, '/') != NULL ? strrchr(file, '/') + 1 : file;
	snprintf(duration, sizeof(duration), "%lld", duration_ms);
	if (manifest != NULL &&
	    json_object_object_get_ex(manifest, "schema_version", &value))
		snprintf(version, sizeof(version), "%d",
		    json_object_get_int(value));
	params[0] = started;
	params[1] = duration;
	params[2] = name;
	params[3] = version[0] != '\0' ? version : NULL;
	params[4] = passed ? "success" : "failure";
	params[5] = passed ? NULL : detail;

	res = PQexec(conn, "BEGIN");
	PQclear(res);
	ok = ctl_exec(conn, "INSERT INTO sscn.restore_tests (started_at, "
	    "duration_ms, backup_file, schema_version, result, detail) "
	    "VALUES ($1, $2, $3, $4, $5, $6)", 6, params,
	    "recording the restore test");
	details = json_object_new_object();
	json_object_object_add(details, "file", json_object_new_string(name));
	json_object_object_add(details, "result",
	    json_object_new_string(params[4]));
	json_object_object_add(details, "duration_ms",
	    json_object_new_int64(duration_ms));
	ok = ok && ctl_audit(conn, "backup.restore_test", NULL,
	    json_object_to_json_string(details));
	json_object_put(details);
	res = PQexec(conn, ok ? "COMMIT" : "ROLLBACK");
	ok = ctl_command_ok(conn, res, "committing the restore test") && ok;
	PQclear(res);
	PQfinish(conn);
	return ok;
}

int
ctl_restore_test(const struct sscn_conf *conf, int argc, char **argv)
{
	json_object	*manifest = NULL;
	struct timespec	 start, end;
	struct tm	 tm;
	char		 file[BACKUP_PATH_MAX], dbname[64], started[32];
	char		 detail[256] = "";
	long long	 duration_ms;
	bool		 passed = false;

	(void)argv;
	if (argc != 1) {
		fprintf(stderr, "usage: sscnctl restore-test\n");
		return CTL_EXIT_USAGE;
	}
	clock_gettime(CLOCK_REALTIME, &start);
	gmtime_r(&start.tv_sec, &tm);
	strftime(started, sizeof(started), "%Y-%m-%dT%H:%M:%SZ", &tm);
	clock_gettime(CLOCK_MONOTONIC, &start);
	snprintf(dbname, sizeof(dbname), "sscn_restore_test_%ld",
	    (long)getpid());

	if (!backup_newest(conf->backup_dir, file, sizeof(file))) {
		snprintf(file, sizeof(file), "none");
		snprintf(detail, sizeof(detail), "no backup found");
	} else if ((manifest = backup_read_manifest(file)) == NULL) {
		snprintf(detail, sizeof(detail), "unreadable manifest");
	} else if (!backup_restore_file(conf, file, manifest, dbname, true)) {
		snprintf(detail, sizeof(detail), "the restore failed");
	} else {
		passed = backup_check_restored(conf, dbname, manifest, detail,
		    sizeof(detail));
		backup_drop_scratch(conf, dbname);
	}

	clock_gettime(CLOCK_MONOTONIC, &end);
	duration_ms = (long long)(end.tv_sec - start.tv_sec) * 1000 +
	    (end.tv_nsec - start.tv_nsec) / 1000000;
	if (!backup_record_test(conf, started, duration_ms, file, manifest,
	    passed, detail))
		passed = false;
	json_object_put(manifest);
	if (passed)
		printf("restore test of %s passed in %lld ms\n", file,
		    duration_ms);
	else
		fprintf(stderr, "sscnctl: restore test of %s failed: %s\n",
		    file, detail);
	return passed ? CTL_EXIT_OK : CTL_EXIT_FAIL;
}
