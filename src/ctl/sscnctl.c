/*
 * sscnctl.c - the operators' command: argument parsing and dispatch.
 *
 * sscnctl talks to PostgreSQL directly with the connection strings of
 * sscn.conf; it never goes through sscnd.  Messages go to stderr, results
 * to stdout, so a command's output can be piped.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libpq-fe.h>

#include "ctl/ctl.h"
#include "outbound.h"

#define CTL_DEFAULT_CONF SYSCONFDIR "/sscn/sscn.conf"

struct ctl_command {
	const char	*name;
	int		(*run)(const struct sscn_conf *, int, char **);
	const char	*synopsis;
};

static const struct ctl_command ctl_commands[] = {
	{ "migrate", ctl_migrate,
	    "migrate [--status]          apply pending SQL migrations, or "
	    "list them" },
	{ "create-admin", ctl_create_admin,
	    "create-admin EMAIL [--name NAME]  create a platform admin and "
	    "print a set-up link" },
	{ "import-users", ctl_import_users,
	    "import-users FILE.csv       import accounts with bcrypt or "
	    "Argon2id hashes" },
	{ "keys", ctl_keys,
	    "keys status | rotate [--pid PID | --no-add] [--batch ROWS]\n"
	    "                              count rows per field key version, "
	    "or add a key\n"
	    "                              and re-encrypt every row" },
	{ "mailq", ctl_mailq,
	    "mailq [--json]              list queued and sent mail" },
	{ "mail-send", ctl_mail_send,
	    "mail-send [--once | --loop | --requeue ID]\n"
	    "                              send the due mail of the outbox "
	    "over SMTP, once\n"
	    "                              or until stopped, or queue a mail "
	    "in review again" },
	{ "legal", ctl_legal,
	    "legal publish DOCUMENT FILE [--version V]  publish a new "
	    "version of a legal document" },
	{ "newsletter", ctl_newsletter,
	    "newsletter SUBJECT FILE     queue a marketing mail to every "
	    "opted-in user" },
	{ "evidence", ctl_evidence,
	    "evidence [--json]           report database TLS and whether the "
	    "data directory is on dm-crypt" },
	{ "purge", ctl_purge,
	    "purge [--dry-run]           erase accounts past their deletion "
	    "date and enforce the retention periods" },
	{ "audit", ctl_audit_command,
	    "audit verify [--batch ROWS] check the hash chain of the audit "
	    "log" },
	{ "backup", ctl_backup,
	    "backup [--dir DIR]          write an encrypted pg_dump and its "
	    "manifest" },
	{ "restore", ctl_restore,
	    "restore FILE [--database NAME]  check a backup and restore it, "
	    "into a new\n"
	    "                              database NAME or over the "
	    "configured one" },
	{ "restore-test", ctl_restore_test,
	    "restore-test                restore the newest backup into a "
	    "scratch database,\n"
	    "                              check it and record the result" },
};

static void
ctl_usage(FILE *out)
{
	size_t i;

	fprintf(out, "usage: sscnctl [-c config] command [arguments]\n\n"
	    "commands:\n");
	for (i = 0; i < sizeof(ctl_commands) / sizeof(ctl_commands[0]); i++)
		fprintf(out, "  %s\n", ctl_commands[i].synopsis);
	fprintf(out, "  version                     print the version and the "
	    "schema version it expects\n"
	    "\nThe default configuration file is %s.\n", CTL_DEFAULT_CONF);
}

struct pg_conn *
ctl_connect(const char *conninfo, const char *what)
{
	static const char *const keywords[] = {
		"dbname", "application_name", "options", NULL
	};
	const char	*values[4];
	PGconn		*conn;

	if (conninfo == NULL || *conninfo == '\0') {
		fprintf(stderr, "sscnctl: %s is not set in the configuration "
		    "file\n", what);
		return NULL;
	}

	values[0] = conninfo;
	values[1] = "sscnctl";
	values[2] = "-c search_path=sscn,pg_catalog";
	values[3] = NULL;
	conn = PQconnectdbParams(keywords, values, 1);
	if (conn == NULL || PQstatus(conn) != CONNECTION_OK) {
		/* libpq's message names the server, never the password. */
		fprintf(stderr, "sscnctl: could not connect with %s: %s", what,
		    conn ? PQerrorMessage(conn) : "out of memory\n");
		PQfinish(conn);
		return NULL;
	}
	return conn;
}

char *
ctl_read_text(const char *path, size_t max)
{
	FILE	*f;
	char	*text;
	size_t	 len;

	if ((f = fopen(path, "rb")) == NULL) {
		fprintf(stderr, "sscnctl: cannot open %s: %m\n", path);
		return NULL;
	}
	text = malloc(max + 1);
	len = text != NULL ? fread(text, 1, max + 1, f) : 0;
	fclose(f);
	if (text == NULL || len == 0 || len > max ||
	    memchr(text, '\0', len) != NULL ||
	    !utf8_valid((const unsigned char *)text, len)) {
		fprintf(stderr, "sscnctl: %s must be non-empty UTF-8 text of at "
		    "most %zu bytes without NUL bytes\n", path, max);
		free(text);
		return NULL;
	}
	text[len] = '\0';
	return text;
}

int
main(int argc, char **argv)
{
	const char		*conf_path = CTL_DEFAULT_CONF;
	struct sscn_conf	 conf;
	char			 err[1024];
	size_t			 i;
	int			 ch, rc;

	if (argc == 2 && strcmp(argv[1], "--help") == 0) {
		ctl_usage(stdout);
		return CTL_EXIT_OK;
	}
	while ((ch = getopt(argc, argv, "+c:h")) != -1) {
		switch (ch) {
		case 'c':
			conf_path = optarg;
			break;
		case 'h':
			ctl_usage(stdout);
			return CTL_EXIT_OK;
		default:
			ctl_usage(stderr);
			return CTL_EXIT_USAGE;
		}
	}
	argc -= optind;
	argv += optind;

	if (argc == 0) {
		ctl_usage(stderr);
		return CTL_EXIT_USAGE;
	}
	if (strcmp(argv[0], "version") == 0) {
		printf("sscnctl %s (schema %d)\n", PACKAGE_VERSION,
		    SSCN_SCHEMA_VERSION);
		return CTL_EXIT_OK;
	}

	for (i = 0; i < sizeof(ctl_commands) / sizeof(ctl_commands[0]); i++)
		if (strcmp(argv[0], ctl_commands[i].name) == 0)
			break;
	if (i == sizeof(ctl_commands) / sizeof(ctl_commands[0])) {
		fprintf(stderr, "sscnctl: unknown command \"%s\"\n", argv[0]);
		ctl_usage(stderr);
		return CTL_EXIT_USAGE;
	}

	log_init("sscnctl", LOG_LEVEL_WARN);
	conf_defaults(&conf);
	if (conf_load(conf_path, &conf, err, sizeof(err)) == -1) {
		fprintf(stderr, "sscnctl: %s\n", err);
		conf_free(&conf);
		return CTL_EXIT_FAIL;
	}

	outbound_init(&conf);
	rc = ctl_commands[i].run(&conf, argc, argv);
	outbound_cleanup();
	conf_free(&conf);
	return rc;
}
