/*
 * evidence.c - "sscnctl evidence [--json]": facts about encryption in
 * transit and at rest, for an auditor or an operator's check.
 *
 * For each configured database connection it reports whether libpq uses
 * TLS, with the protocol, the cipher and the sslmode in effect.  It finds
 * the data directory with SHOW data_directory, which needs the owner role
 * to be a member of pg_read_all_settings or a superuser.  The mount that
 * contains the directory comes from /proc/self/mountinfo, and its device
 * from the mount's major:minor.  A device-mapper device whose uuid (or
 * that of a device below it, as with LVM on LUKS) starts with "CRYPT-" is
 * dm-crypt.  The
 * result is "unknown" with a reason where this host cannot tell: a remote
 * database, a directory this process cannot see, or a file system without
 * a block device.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>
#include <libpq-fe.h>

#include "ctl/ctl.h"

/* Maximum depth of devices followed below a device-mapper device. */
#define EVIDENCE_SLAVE_DEPTH 8

/* The connection settings of sscn.conf that evidence checks. */
struct evidence_setting {
	const char	*name;
	const char	*conninfo;
};

/* The value of libpq option "keyword" on "conn", or "" when unset. */
static const char *
evidence_conn_option(PGconn *conn, const char *keyword, char *out,
    size_t outlen)
{
	PQconninfoOption	*options = PQconninfo(conn), *o;

	out[0] = '\0';
	for (o = options; o != NULL && o->keyword != NULL; o++)
		if (strcmp(o->keyword, keyword) == 0 && o->val != NULL)
			snprintf(out, outlen, "%s", o->val);
	PQconninfoFree(options);
	return out;
}

/* The TLS facts of one open connection as a JSON object. */
static struct json_object *
evidence_tls(const char *setting, PGconn *conn)
{
	struct json_object	*o = json_object_new_object();
	const char		*protocol, *cipher;
	char			 sslmode[32];
	bool			 tls = PQsslInUse(conn) != 0;

	json_object_object_add(o, "setting", json_object_new_string(setting));
	json_object_object_add(o, "connected", json_object_new_boolean(true));
	json_object_object_add(o, "host", json_object_new_string(PQhost(conn)));
	json_object_object_add(o, "sslmode", json_object_new_string(
	    evidence_conn_option(conn, "sslmode", sslmode, sizeof(sslmode))));
	json_object_object_add(o, "tls", json_object_new_boolean(tls));
	protocol = tls ? PQsslAttribute(conn, "protocol") : NULL;
	cipher = tls ? PQsslAttribute(conn, "cipher") : NULL;
	json_object_object_add(o, "protocol", protocol != NULL ?
	    json_object_new_string(protocol) : NULL);
	json_object_object_add(o, "cipher", cipher != NULL ?
	    json_object_new_string(cipher) : NULL);
	return o;
}

/* Decode the octal escapes (\040 for a space) of a mountinfo field. */
static void
evidence_unescape(char *s)
{
	char *in = s, *out = s;

	while (*in != '\0') {
		if (in[0] == '\\' && in[1] >= '0' && in[1] <= '3' &&
		    in[2] >= '0' && in[2] <= '7' && in[3] >= '0' && in[3] <= '7') {
			*out++ = (char)((in[1] - '0') * 64 + (in[2] - '0') * 8 +
			    (in[3] - '0'));
			in += 4;
		} else
			*out++ = *in++;
	}
	*out = '\0';
}

/* Whether mount point "mount" contains the path "path". */
static bool
evidence_path_under(const char *path, const char *mount)
{
	size_t len = strlen(mount);

	if (strcmp(mount, "/") == 0)
		return true;
	return strncmp(path, mount, len) == 0 &&
	    (path[len] == '/' || path[len] == '\0');
}

/*
 * Find the mount that contains "path" and copy its mount point,
 * "major:minor" and file system type.  The longest matching mount point
 * wins, and a later line wins a tie because it is mounted on top.
 */
static bool
evidence_find_mount(const char *path, char *mount, size_t mountlen,
    char *device, size_t devicelen, char *fstype, size_t fstypelen)
{
	FILE	*f = fopen("/proc/self/mountinfo", "r");
	char	 line[4096];
	size_t	 best = 0;
	bool	 found = false;

	if (f == NULL)
		return false;
	while (fgets(line, sizeof(line), f) != NULL) {
		char	*fields[10], *save = NULL, *tok, *dash;
		int	 n = 0;

		/* "ID PARENT MAJ:MIN ROOT MOUNT OPTIONS ... - FSTYPE SOURCE ..." */
		if ((dash = strstr(line, " - ")) == NULL)
			continue;
		*dash = '\0';
		for (tok = strtok_r(line, " ", &save); tok != NULL && n < 5;
		    tok = strtok_r(NULL, " ", &save))
			fields[n++] = tok;
		if (n < 5)
			continue;
		evidence_unescape(fields[4]);
		if (!evidence_path_under(path, fields[4]) ||
		    strlen(fields[4]) < best)
			continue;
		best = strlen(fields[4]);
		snprintf(mount, mountlen, "%s", fields[4]);
		snprintf(device, devicelen, "%s", fields[2]);
		tok = strtok_r(dash + 3, " \n", &save);
		snprintf(fstype, fstypelen, "%s", tok != NULL ? tok : "");
		found = true;
	}
	fclose(f);
	return found;
}

/* Read the first line of a sysfs file into "out"; false when missing. */
static bool
evidence_read_line(const char *path, char *out, size_t outlen)
{
	FILE	*f = fopen(path, "r");
	bool	 ok;

	if (f == NULL)
		return false;
	ok = fgets(out, (int)outlen, f) != NULL;
	fclose(f);
	if (ok)
		out[strcspn(out, "\n")] = '\0';
	return ok;
}

/*
 * Whether the block device at sysfs directory "dir" is dm-crypt or lies
 * on one, following the devices below device-mapper devices.  Sets
 * "*is_dm" when "dir" is a device-mapper device at all, and copies the
 * dm-crypt device's name into "name".
 */
static bool
evidence_dm_crypt(const char *dir, int depth, bool *is_dm, char *name,
    size_t namelen)
{
	char		 path[PATH_MAX], uuid[256];
	DIR		*slaves;
	struct dirent	*e;
	bool		 found = false;

	snprintf(path, sizeof(path), "%s/dm/uuid", dir);
	if (!evidence_read_line(path, uuid, sizeof(uuid)))
		return false;
	*is_dm = true;
	if (strncmp(uuid, "CRYPT-", 6) == 0) {
		snprintf(path, sizeof(path), "%s/dm/name", dir);
		if (!evidence_read_line(path, name, namelen))
			snprintf(name, namelen, "?");
		return true;
	}
	if (depth >= EVIDENCE_SLAVE_DEPTH)
		return false;
	snprintf(path, sizeof(path), "%s/slaves", dir);
	if ((slaves = opendir(path)) == NULL)
		return false;
	while (!found && (e = readdir(slaves)) != NULL) {
		char	below[PATH_MAX];
		bool	below_dm = false;

		if (e->d_name[0] == '.')
			continue;
		snprintf(below, sizeof(below), "/sys/class/block/%s", e->d_name);
		found = evidence_dm_crypt(below, depth + 1, &below_dm, name,
		    namelen);
	}
	closedir(slaves);
	return found;
}

/* Whether "host" (as PQhost() returns it) is this machine. */
static bool
evidence_host_is_local(const char *host)
{
	return host == NULL || host[0] == '\0' || host[0] == '/' ||
	    strcmp(host, "localhost") == 0 || strcmp(host, "127.0.0.1") == 0 ||
	    strcmp(host, "::1") == 0;
}

static void
evidence_unknown(struct json_object *o, const char *reason)
{
	json_object_object_add(o, "dm_crypt", json_object_new_string("unknown"));
	json_object_object_add(o, "reason", json_object_new_string(reason));
}

/* The data directory's facts, found through the owner connection. */
static struct json_object *
evidence_data_directory(PGconn *conn)
{
	struct json_object	*o = json_object_new_object();
	char			 real[PATH_MAX], mount[PATH_MAX];
	char			 device[32], fstype[64], sysdir[64], name[128];
	PGresult		*res;
	bool			 is_dm = false, crypt;

	if (conn == NULL) {
		json_object_object_add(o, "path", NULL);
		evidence_unknown(o, "no owner connection (database_owner)");
		return o;
	}
	res = PQexec(conn, "SHOW data_directory");
	if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1) {
		json_object_object_add(o, "path", NULL);
		evidence_unknown(o, "SHOW data_directory failed; grant "
		    "pg_read_all_settings to the owner role");
		PQclear(res);
		return o;
	}
	json_object_object_add(o, "path",
	    json_object_new_string(PQgetvalue(res, 0, 0)));
	if (!evidence_host_is_local(PQhost(conn))) {
		evidence_unknown(o, "the database server is on another host");
		PQclear(res);
		return o;
	}
	if (realpath(PQgetvalue(res, 0, 0), real) == NULL) {
		int error = errno;

		PQclear(res);
		evidence_unknown(o, error == EACCES ? "the data directory is not "
		    "readable by this user" : "the data directory is not "
		    "visible on this host");
		return o;
	}
	PQclear(res);

	if (!evidence_find_mount(real, mount, sizeof(mount), device,
	    sizeof(device), fstype, sizeof(fstype))) {
		evidence_unknown(o, "no mount found in /proc/self/mountinfo");
		return o;
	}
	json_object_object_add(o, "mount_point", json_object_new_string(mount));
	json_object_object_add(o, "file_system", json_object_new_string(fstype));
	json_object_object_add(o, "device", json_object_new_string(device));
	if (strncmp(device, "0:", 2) == 0) {
		evidence_unknown(o, "the file system has no block device");
		return o;
	}
	/* NOTE: the "yes" result is untested: no test host has dm-crypt. */
	snprintf(sysdir, sizeof(sysdir), "/sys/dev/block/%s", device);
	crypt = evidence_dm_crypt(sysdir, 0, &is_dm, name, sizeof(name));
	json_object_object_add(o, "device_mapper",
	    json_object_new_boolean(is_dm));
	json_object_object_add(o, "dm_crypt",
	    json_object_new_string(crypt ? "yes" : "no"));
	if (crypt)
		json_object_object_add(o, "dm_name", json_object_new_string(name));
	return o;
}

/* Member "key" of "o" as text for a report line, "-" when null or absent. */
static const char *
evidence_text(struct json_object *o, const char *key)
{
	struct json_object *value = json_object_object_get(o, key);

	return value != NULL ? json_object_get_string(value) : "-";
}

static void
evidence_print_text(struct json_object *root)
{
	struct json_object	*conns = json_object_object_get(root,
	    "connections");
	struct json_object	*dir = json_object_object_get(root,
	    "data_directory");
	struct json_object	*controls = json_object_object_get(root,
	    "controls");
	size_t			 i;

	for (i = 0; i < json_object_array_length(conns); i++) {
		struct json_object *c = json_object_array_get_idx(conns, i);

		if (!json_object_get_boolean(json_object_object_get(c,
		    "connected"))) {
			printf("%-22s not connected: %s\n",
			    evidence_text(c, "setting"), evidence_text(c, "error"));
			continue;
		}
		printf("%-22s tls=%s protocol=%s cipher=%s sslmode=%s host=%s\n",
		    evidence_text(c, "setting"), json_object_get_boolean(
		    json_object_object_get(c, "tls")) ? "yes" : "no",
		    evidence_text(c, "protocol"), evidence_text(c, "cipher"),
		    evidence_text(c, "sslmode"), evidence_text(c, "host"));
	}
	printf("%-22s %s\n", "data_directory", evidence_text(dir, "path"));
	printf("%-22s %s", "dm_crypt", evidence_text(dir, "dm_crypt"));
	if (json_object_object_get(dir, "reason") != NULL)
		printf(" (%s)", evidence_text(dir, "reason"));
	if (json_object_object_get(dir, "mount_point") != NULL)
		printf(" mount=%s fs=%s device=%s", evidence_text(dir,
		    "mount_point"), evidence_text(dir, "file_system"),
		    evidence_text(dir, "device"));
	printf("\n");

	for (i = 0; i < json_object_array_length(controls); i++) {
		struct json_object *c = json_object_array_get_idx(controls, i);

		printf("%-22s %-14s %s\n", evidence_text(c, "control"),
		    evidence_text(c, "status"), evidence_text(c, "figure"));
	}
}

int
ctl_evidence(const struct sscn_conf *conf, int argc, char **argv)
{
	const struct evidence_setting settings[] = {
		{ "database", conf->database },
		{ "database_owner", conf->database_owner },
		{ "database_maintenance", conf->database_maintenance },
	};
	struct json_object	*root, *conns;
	PGconn			*owner = NULL;
	bool			 json = false, any = false;
	size_t			 i;

	if (argc == 2 && strcmp(argv[1], "--json") == 0)
		json = true;
	else if (argc != 1) {
		fprintf(stderr, "usage: sscnctl evidence [--json]\n");
		return CTL_EXIT_USAGE;
	}

	root = json_object_new_object();
	conns = json_object_new_array();
	for (i = 0; i < sizeof(settings) / sizeof(settings[0]); i++) {
		PGconn *conn;

		if (settings[i].conninfo == NULL || *settings[i].conninfo == '\0')
			continue;
		/* ctl_connect() prints why a connection failed. */
		conn = ctl_connect(settings[i].conninfo, settings[i].name);
		if (conn == NULL) {
			struct json_object *c = json_object_new_object();

			json_object_object_add(c, "setting",
			    json_object_new_string(settings[i].name));
			json_object_object_add(c, "connected",
			    json_object_new_boolean(false));
			json_object_object_add(c, "error", json_object_new_string(
			    "connection failed; see the message on stderr"));
			json_object_array_add(conns, c);
			continue;
		}
		any = true;
		json_object_array_add(conns, evidence_tls(settings[i].name, conn));
		if (strcmp(settings[i].name, "database_owner") == 0)
			owner = conn;
		else
			PQfinish(conn);
	}
	json_object_object_add(root, "connections", conns);
	json_object_object_add(root, "data_directory",
	    evidence_data_directory(owner));
	json_object_object_add(root, "controls",
	    ctl_evidence_controls(conf, owner));
	PQfinish(owner);

	if (json)
		printf("%s\n", json_object_to_json_string_ext(root,
		    JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
	else
		evidence_print_text(root);
	json_object_put(root);
	return any ? CTL_EXIT_OK : CTL_EXIT_FAIL;
}
