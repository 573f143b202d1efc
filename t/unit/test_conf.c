/*
 * test_conf.c - the sscn.conf parser: conf_defaults(), conf_parse_text(),
 * conf_load() and conf_free().
 *
 * Syntax and keys are those of sscn.conf(5).  Numeric bounds that the manual
 * page does not list are the ones conf.c enforces and names in its error
 * messages (workers 0-256, shutdown_timeout and respawn_delay_max 1-3600,
 * max_body_size 1024 bytes to 64M, db_connect_timeout 1-60,
 * db_statement_timeout 0-3600000, socket_mode 0-0777).  Every conf is freed
 * with conf_free(), so LeakSanitizer checks the error paths too.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sscn.h"
#include "tap.h"

#define NAME "test.conf"
#define FIELD(f) offsetof(struct sscn_conf, f)

/* Parse "text" into fresh defaults and return conf_parse_text()'s result. */
static int
parse(const char *text, struct sscn_conf *conf, char *err, size_t errlen)
{
	conf_defaults(conf);
	err[0] = '\0';
	return conf_parse_text(text, NAME, conf, err, errlen);
}

/* Expect "text" to parse, and leave "conf" for the caller to check and free. */
static bool
parse_ok(const char *text, struct sscn_conf *conf, const char *case_name)
{
	char	err[512];
	int	rc = parse(text, conf, err, sizeof(err));

	if (!is_int(rc, 0, "conf: %s is accepted", case_name))
		diag("error: %s", err);
	return rc == 0;
}

/*
 * Expect "text" to be rejected at "line" with a "file:line: reason"
 * message that contains "needle" (unless NULL).
 */
static void
expect_error(const char *text, unsigned line, const char *needle,
    const char *case_name)
{
	struct sscn_conf	conf;
	char			err[512], prefix[64];
	size_t			plen;
	int			rc;

	rc = parse(text, &conf, err, sizeof(err));
	is_int(rc, -1, "conf: %s is rejected", case_name);

	plen = (size_t)snprintf(prefix, sizeof(prefix), NAME ":%u: ", line);
	if (!ok(strncmp(err, prefix, plen) == 0 && strlen(err) > plen,
	    "conf: %s reports file and line %u", case_name, line))
		diag("error: %s", err);
	if (needle != NULL && !ok(strstr(err, needle) != NULL,
	    "conf: %s error names \"%s\"", case_name, needle))
		diag("error: %s", err);
	conf_free(&conf);
}

static void
test_defaults(void)
{
	struct sscn_conf conf;

	conf_defaults(&conf);
	is_str(conf.socket_path, "/run/sscn/sscnd.sock",
	    "conf: default socket");
	is_str(conf.socket_owner, NULL, "conf: default socket_owner is unset");
	is_str(conf.socket_group, NULL, "conf: default socket_group is unset");
	is_int(conf.socket_mode, 0660, "conf: default socket_mode is 0660");
	is_str(conf.user, NULL, "conf: default user is unset");
	is_str(conf.group, NULL, "conf: default group is unset");
	is_int(conf.workers, 0, "conf: default workers is 0");
	is_int(conf.shutdown_timeout, 30, "conf: default shutdown_timeout");
	is_int(conf.respawn_delay_max, 30, "conf: default respawn_delay_max");
	is_int((long long)conf.max_body_size, 1048576,
	    "conf: default max_body_size is 1 MiB");
	is_str(conf.database, NULL, "conf: default database is unset");
	is_str(conf.database_owner, NULL, "conf: default database_owner");
	is_str(conf.database_maintenance, NULL,
	    "conf: default database_maintenance");
	is_int(conf.db_connect_timeout, 5, "conf: default db_connect_timeout");
	is_int(conf.db_statement_timeout, 5000,
	    "conf: default db_statement_timeout");
	is_str(conf.data_dir, LOCALSTATEDIR "/lib/sscn",
	    "conf: default data_dir is under localstatedir");
	is_str(conf.sql_dir, PKGDATADIR "/sql",
	    "conf: default sql_dir is under pkgdatadir");
	is_int(conf.log_level, LOG_LEVEL_INFO, "conf: default log_level");
	ok(!conf.enable_test_routes, "conf: test routes are off by default");
	conf_free(&conf);
}

/* Every key with a value other than its default, in one file. */
static void
test_every_key(void)
{
	static const char text[] =
	    "# every key of sscn.conf(5)\n"
	    "socket = /tmp/sscn test.sock\n"
	    "socket_owner = sscn\n"
	    "socket_group = www-data\n"
	    "socket_mode = 0600\n"
	    "user = sscnuser\n"
	    "group = sscngroup\n"
	    "workers = 3\n"
	    "shutdown_timeout = 45\n"
	    "respawn_delay_max = 60\n"
	    "max_body_size = 2M\n"
	    "database = \"host=/run/postgresql dbname=sscn password='a#b c'\"\n"
	    "database_owner = \"user=o password=q\\\"uote\\\\back\"\n"
	    "database_maintenance = postgresql://sscn_maint@/sscn\n"
	    "db_connect_timeout = 10\n"
	    "db_statement_timeout = 0\n"
	    "data_dir = /srv/sscn\n"
	    "sql_dir = /opt/sscn/sql\n"
	    "log_level = debug\n"
	    "enable_test_routes = yes\n";
	struct sscn_conf conf;

	if (parse_ok(text, &conf, "file setting every key")) {
		is_str(conf.socket_path, "/tmp/sscn test.sock",
		    "conf: socket keeps inner blank");
		is_str(conf.socket_owner, "sscn", "conf: socket_owner is set");
		is_str(conf.socket_group, "www-data",
		    "conf: socket_group is set");
		is_int(conf.socket_mode, 0600, "conf: socket_mode is octal");
		is_str(conf.user, "sscnuser", "conf: user is set");
		is_str(conf.group, "sscngroup", "conf: group is set");
		is_int(conf.workers, 3, "conf: workers is set");
		is_int(conf.shutdown_timeout, 45,
		    "conf: shutdown_timeout is set");
		is_int(conf.respawn_delay_max, 60,
		    "conf: respawn_delay_max is set");
		is_int((long long)conf.max_body_size, 2 * 1048576,
		    "conf: max_body_size 2M is 2 MiB");
		is_str(conf.database,
		    "host=/run/postgresql dbname=sscn password='a#b c'",
		    "conf: quoted database keeps '#' and blanks");
		is_str(conf.database_owner, "user=o password=q\"uote\\back",
		    "conf: quoted value unescapes quote and backslash");
		is_str(conf.database_maintenance,
		    "postgresql://sscn_maint@/sscn",
		    "conf: database_maintenance URI is set");
		is_int(conf.db_connect_timeout, 10,
		    "conf: db_connect_timeout is set");
		is_int(conf.db_statement_timeout, 0,
		    "conf: db_statement_timeout 0 is allowed");
		is_str(conf.data_dir, "/srv/sscn", "conf: data_dir is set");
		is_str(conf.sql_dir, "/opt/sscn/sql", "conf: sql_dir is set");
		is_int(conf.log_level, LOG_LEVEL_DEBUG,
		    "conf: log_level is set");
		ok(conf.enable_test_routes,
		    "conf: enable_test_routes yes is true");
	}
	conf_free(&conf);
}

/* Blank lines, comments, blank space, quotes, CRLF, no final newline. */
static void
test_syntax(void)
{
	struct sscn_conf conf;

	if (parse_ok("", &conf, "empty text")) {
		is_str(conf.database, NULL,
		    "conf: empty text leaves database unset");
		is_int(conf.workers, 0, "conf: empty text keeps defaults");
	}
	conf_free(&conf);

	if (parse_ok("\n\n   \n\t\n# only comments\n   # indented\n", &conf,
	    "text of blanks and comments"))
		is_int(conf.shutdown_timeout, 30,
		    "conf: comments leave defaults alone");
	conf_free(&conf);

	if (parse_ok("  \tworkers\t=\t7  \t# seven workers\n", &conf,
	    "blank space and a trailing comment"))
		is_int(conf.workers, 7,
		    "conf: value before a comment is read");
	conf_free(&conf);

	if (parse_ok("workers=5", &conf, "setting without blanks or newline"))
		is_int(conf.workers, 5, "conf: last line without newline");
	conf_free(&conf);

	if (parse_ok("socket = /tmp/a#b\n", &conf, "bare value with '#'"))
		is_str(conf.socket_path, "/tmp/a",
		    "conf: '#' in a bare value starts a comment");
	conf_free(&conf);

	if (parse_ok("user = sscn   \t\n", &conf,
	    "bare value with trailing blanks"))
		is_str(conf.user, "sscn", "conf: trailing blanks are removed");
	conf_free(&conf);

	if (parse_ok("user = \"  a b  \"\n", &conf, "quoted value with blanks"))
		is_str(conf.user, "  a b  ",
		    "conf: quotes keep leading and trailing blanks");
	conf_free(&conf);

	if (parse_ok("user = \"sscn\"   # quoted, then a comment\n", &conf,
	    "quoted value and a comment"))
		is_str(conf.user, "sscn",
		    "conf: comment after quotes is ignored");
	conf_free(&conf);

	if (parse_ok("database = \"\"\n", &conf, "empty quoted value"))
		is_str(conf.database, "", "conf: \"\" sets an empty string");
	conf_free(&conf);

	if (parse_ok("database = \"a\\nb\\tc\"\n", &conf,
	    "backslash before another letter"))
		is_str(conf.database, "a\\nb\\tc",
		    "conf: only \\\" and \\\\ are escapes in quotes");
	conf_free(&conf);

	if (parse_ok("user = a\"b\n", &conf, "quote inside a bare value"))
		is_str(conf.user, "a\"b",
		    "conf: quote inside bare value is kept");
	conf_free(&conf);

	if (parse_ok("workers = 3\r\nuser = crlf\r\n", &conf,
	    "CRLF line ends")) {
		is_int(conf.workers, 3, "conf: CRLF number is read");
		is_str(conf.user, "crlf",
		    "conf: CRLF is not part of the value");
	}
	conf_free(&conf);

	if (parse_ok("workers = \"12\"\n", &conf, "quoted number"))
		is_int(conf.workers, 12, "conf: quoted number is read");
	conf_free(&conf);
}

static void
test_numbers(void)
{
	static const struct {
		const char	*text;
		size_t		 offset;	/* of an unsigned field */
		unsigned	 expected;
		const char	*case_name;
	} uints[] = {
		{ "workers = 0\n", FIELD(workers), 0, "workers 0" },
		{ "workers = 256\n", FIELD(workers), 256, "workers 256" },
		{ "workers = 007\n", FIELD(workers), 7,
		    "workers with leading zeros" },
		{ "shutdown_timeout = 1\n", FIELD(shutdown_timeout), 1,
		    "shutdown_timeout 1" },
		{ "shutdown_timeout = 3600\n", FIELD(shutdown_timeout), 3600,
		    "shutdown_timeout 3600" },
		{ "respawn_delay_max = 1\n", FIELD(respawn_delay_max), 1,
		    "respawn_delay_max 1" },
		{ "respawn_delay_max = 3600\n", FIELD(respawn_delay_max), 3600,
		    "respawn_delay_max 3600" },
		{ "db_connect_timeout = 1\n", FIELD(db_connect_timeout), 1,
		    "db_connect_timeout 1" },
		{ "db_connect_timeout = 60\n", FIELD(db_connect_timeout), 60,
		    "db_connect_timeout 60" },
		{ "db_statement_timeout = 3600000\n",
		    FIELD(db_statement_timeout), 3600000,
		    "db_statement_timeout 3600000" },
	};
	static const struct {
		const char	*text;
		size_t		 expected;
		const char	*case_name;
	} sizes[] = {
		{ "max_body_size = 1024\n", 1024, "max_body_size 1024" },
		{ "max_body_size = 1048576\n", 1048576,
		    "max_body_size 1048576" },
		{ "max_body_size = 1k\n", 1024, "max_body_size 1k" },
		{ "max_body_size = 64k\n", 65536, "max_body_size 64k" },
		{ "max_body_size = 1M\n", 1048576, "max_body_size 1M" },
		{ "max_body_size = 64M\n", 67108864, "max_body_size 64M" },
	};
	static const struct {
		const char	*text;
		mode_t		 expected;
		const char	*case_name;
	} modes[] = {
		{ "socket_mode = 0660\n", 0660, "socket_mode 0660" },
		{ "socket_mode = 0640\n", 0640, "socket_mode 0640" },
		{ "socket_mode = 0777\n", 0777, "socket_mode 0777" },
		{ "socket_mode = 0\n", 0, "socket_mode 0" },
		{ "socket_mode = 660\n", 0660, "socket_mode 660 without 0" },
	};
	struct sscn_conf	conf;
	size_t			i;

	for (i = 0; i < sizeof(uints) / sizeof(uints[0]); i++) {
		if (parse_ok(uints[i].text, &conf, uints[i].case_name)) {
			unsigned got;

			memcpy(&got, (char *)&conf + uints[i].offset,
			    sizeof(got));
			is_int(got, uints[i].expected, "conf: %s is stored",
			    uints[i].case_name);
		}
		conf_free(&conf);
	}
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		if (parse_ok(sizes[i].text, &conf, sizes[i].case_name))
			is_int((long long)conf.max_body_size,
			    (long long)sizes[i].expected, "conf: %s is stored",
			    sizes[i].case_name);
		conf_free(&conf);
	}
	for (i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		if (parse_ok(modes[i].text, &conf, modes[i].case_name))
			is_int(conf.socket_mode, modes[i].expected,
			    "conf: %s is stored", modes[i].case_name);
		conf_free(&conf);
	}
}

static void
test_enumerations(void)
{
	static const struct {
		const char	*text;
		enum log_level	 expected;
	} levels[] = {
		{ "log_level = error\n", LOG_LEVEL_ERROR },
		{ "log_level = warn\n", LOG_LEVEL_WARN },
		{ "log_level = info\n", LOG_LEVEL_INFO },
		{ "log_level = debug\n", LOG_LEVEL_DEBUG },
	};
	struct sscn_conf	conf;
	size_t			i;

	for (i = 0; i < sizeof(levels) / sizeof(levels[0]); i++) {
		if (parse_ok(levels[i].text, &conf, levels[i].text))
			is_int(conf.log_level, levels[i].expected,
			    "conf: log level %zu is stored", i);
		conf_free(&conf);
	}

	if (parse_ok("enable_test_routes = no\n", &conf,
	    "enable_test_routes no"))
		ok(!conf.enable_test_routes,
		    "conf: enable_test_routes no is false");
	conf_free(&conf);
}

static void
test_errors(void)
{
	/* Line structure. */
	expect_error("workers = 4\nbogus = 1\n", 2, "bogus", "unknown key");
	expect_error("socket_path = /x\n", 1, "socket_path",
	    "field name used as key");
	expect_error("workers = 4\n# comment\n\nworkers = 5\n", 4, "workers",
	    "repeated key");
	expect_error("user = a\nuser = a\n", 2, "user",
	    "repeated key with equal value");
	expect_error("socket /tmp/x\n", 1, NULL, "line without '='");
	expect_error("workers\n", 1, NULL, "key alone");
	expect_error("= 4\n", 1, NULL, "missing key");
	expect_error("Workers = 4\n", 1, NULL, "upper-case key");
	expect_error("work ers = 4\n", 1, NULL, "key with a blank");
	expect_error("user =\n", 1, NULL, "empty value");
	expect_error("user =   \t\n", 1, NULL, "blank value");
	expect_error("user = # nobody\n", 1, NULL, "comment as value");
	expect_error("database = \"abc\n", 1, NULL, "unterminated quote");
	expect_error("database = \"abc\" def\n", 1, NULL,
	    "text after quoted value");
	expect_error("database = \"abc\\\"\n", 1, NULL,
	    "quote escaped at the end");
	expect_error("\n# one\n\r\n  \nworkers = x\n", 5, "workers",
	    "error after blank and comment lines");

	/* Plain numbers: decimal, no sign, no suffix, bounded. */
	expect_error("workers = -1\n", 1, "workers", "negative workers");
	expect_error("workers = +4\n", 1, "workers", "workers with plus sign");
	expect_error("workers = 4x\n", 1, "workers",
	    "workers with trailing text");
	expect_error("workers = 1.5\n", 1, "workers", "fractional workers");
	expect_error("workers = 0x10\n", 1, "workers", "hexadecimal workers");
	expect_error("workers = 1k\n", 1, "workers",
	    "workers with size suffix");
	expect_error("workers = four\n", 1, "workers", "workers as a word");
	expect_error("workers = \"\"\n", 1, "workers", "workers empty quoted");
	expect_error("workers = 257\n", 1, "workers", "workers above 256");
	expect_error("workers = 4294967297\n", 1, "workers",
	    "workers that wraps at 32 bits");
	expect_error("workers = 99999999999999999999999\n", 1, "workers",
	    "workers past 64 bits");
	expect_error("shutdown_timeout = 0\n", 1, "shutdown_timeout",
	    "shutdown_timeout 0");
	expect_error("shutdown_timeout = 3601\n", 1, "shutdown_timeout",
	    "shutdown_timeout above 3600");
	expect_error("respawn_delay_max = 0\n", 1, "respawn_delay_max",
	    "respawn_delay_max 0");
	expect_error("respawn_delay_max = 3601\n", 1, "respawn_delay_max",
	    "respawn_delay_max above 3600");
	expect_error("db_connect_timeout = 0\n", 1, "db_connect_timeout",
	    "db_connect_timeout 0");
	expect_error("db_connect_timeout = 61\n", 1, "db_connect_timeout",
	    "db_connect_timeout above 60");
	expect_error("db_statement_timeout = 3600001\n", 1,
	    "db_statement_timeout", "db_statement_timeout above 3600000");

	/* Sizes: k and M suffixes only, bounded, no overflow. */
	expect_error("max_body_size = 1023\n", 1, "max_body_size",
	    "max_body_size below 1024");
	expect_error("max_body_size = 65M\n", 1, "max_body_size",
	    "max_body_size above 64M");
	expect_error("max_body_size = 67108865\n", 1, "max_body_size",
	    "max_body_size one above 64M");
	expect_error("max_body_size = 1G\n", 1, "max_body_size",
	    "max_body_size with G suffix");
	expect_error("max_body_size = 1kk\n", 1, "max_body_size",
	    "max_body_size with two suffixes");
	expect_error("max_body_size = 1 k\n", 1, "max_body_size",
	    "max_body_size with blank before suffix");
	expect_error("max_body_size = k\n", 1, "max_body_size",
	    "max_body_size suffix alone");
	expect_error("max_body_size = 0k\n", 1, "max_body_size",
	    "max_body_size 0k");
	expect_error("max_body_size = 17592186044416M\n", 1, "max_body_size",
	    "max_body_size overflowing by suffix");
	expect_error("max_body_size = 17592186044417M\n", 1, "max_body_size",
	    "max_body_size whose M product wraps to 1M");
	expect_error("max_body_size = 18014398509481985k\n", 1, "max_body_size",
	    "max_body_size whose k product wraps to 1024");
	expect_error("max_body_size = 18446744073709551615k\n", 1,
	    "max_body_size", "max_body_size of ULLONG_MAX k");
	expect_error("max_body_size = 18446744073709551616\n", 1,
	    "max_body_size", "max_body_size past 64 bits");

	/* Octal modes. */
	expect_error("socket_mode = 0689\n", 1, "socket_mode",
	    "socket_mode with digit 8");
	expect_error("socket_mode = 0669\n", 1, "socket_mode",
	    "socket_mode with digit 9");
	expect_error("socket_mode = rw-rw----\n", 1, "socket_mode",
	    "socket_mode in symbolic form");
	expect_error("socket_mode = 01777\n", 1, "socket_mode",
	    "socket_mode with sticky bit");
	expect_error("socket_mode = 04660\n", 1, "socket_mode",
	    "socket_mode with setuid bit");
	expect_error("socket_mode = -0660\n", 1, "socket_mode",
	    "negative socket_mode");
	expect_error("socket_mode = 0x1b0\n", 1, "socket_mode",
	    "hexadecimal socket_mode");
	expect_error("socket_mode = 0o660\n", 1, "socket_mode",
	    "socket_mode with 0o prefix");

	/* Enumerations. */
	expect_error("log_level = verbose\n", 1, "log_level",
	    "unknown log level");
	expect_error("log_level = INFO\n", 1, "log_level",
	    "upper-case log level");
	expect_error("enable_test_routes = maybe\n", 1, "enable_test_routes",
	    "boolean that is not yes or no");
	expect_error("enable_test_routes = 1\n", 1, "enable_test_routes",
	    "boolean given as 1");
}

/* A line much longer than any valid setting is an error, not a crash. */
static void
test_long_lines(void)
{
	struct sscn_conf	 conf;
	char			*text;
	char			 err[512];
	size_t			 i;

	text = malloc(20000);
	if (text == NULL)
		bail_out("out of memory");

	/* A 1000-byte connection string is still a valid setting. */
	memcpy(text, "database = ", 11);
	for (i = 0; i < 1000; i++)
		text[11 + i] = (char)('a' + i % 26);
	text[11 + 1000] = '\0';
	if (parse_ok(text, &conf, "1000-byte value"))
		is_int((long long)strlen(conf.database), 1000,
		    "conf: 1000-byte value is kept whole");
	conf_free(&conf);

	strcpy(text, "workers = 2\n");
	memcpy(text + 12, "database = ", 11);
	for (i = 0; i < 15000; i++)
		text[23 + i] = 'x';
	strcpy(text + 23 + 15000, "\nuser = u\n");
	is_int(parse(text, &conf, err, sizeof(err)), -1,
	    "conf: 15000-byte line is rejected");
	if (!ok(strncmp(err, NAME ":2: ", strlen(NAME ":2: ")) == 0,
	    "conf: 15000-byte line reports line 2"))
		diag("error: %s", err);
	conf_free(&conf);
	free(text);
}

/* Errors report where, not the secret that was on the line. */
static void
test_secrets_in_errors(void)
{
	static const char *const texts[] = {
		"database = \"password=hunter2\n",
		"database = \"password=hunter2\" x\n",
		"databse = password=hunter2\n",
		"database password=hunter2\n",
		"database = \"password=hunter2\"\n"
		    "database = \"password=hunter2\"\n",
	};
	struct sscn_conf	conf;
	char			err[512];
	size_t			i;

	for (i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		is_int(parse(texts[i], &conf, err, sizeof(err)), -1,
		    "conf: bad database line %zu is rejected", i + 1);
		if (!ok(strstr(err, "hunter2") == NULL,
		    "conf: error for bad database line %zu hides the password",
		    i + 1))
			diag("error: %s", err);
		conf_free(&conf);
	}
}

/* A small error buffer is filled, not overrun. */
static void
test_small_error_buffer(void)
{
	struct sscn_conf	 conf;
	char			*err;

	err = malloc(8);
	if (err == NULL)
		bail_out("out of memory");
	conf_defaults(&conf);
	is_int(conf_parse_text("bogus_key_with_a_long_name = 1\n", NAME, &conf,
	    err, 8), -1, "conf: error with 8-byte buffer is rejected");
	is_str(err, "test.co", "conf: 8-byte error buffer gets a cut message");
	conf_free(&conf);
	free(err);
}

/* Create a file of "text" with permission bits "mode" and return its path. */
static char *
make_file(const char *text, size_t len, mode_t mode)
{
	const char	*tmpdir = getenv("TMPDIR");
	char		*path;
	int		 fd;

	if (tmpdir == NULL || *tmpdir == '\0')
		tmpdir = "/tmp";
	if (asprintf(&path, "%s/test_conf.XXXXXX", tmpdir) == -1)
		bail_out("out of memory");
	if ((fd = mkstemp(path)) == -1)
		bail_out("mkstemp %s: %s", path, strerror(errno));
	if (write(fd, text, len) != (ssize_t)len)
		bail_out("write %s: %s", path, strerror(errno));
	if (fchmod(fd, mode) == -1)
		bail_out("fchmod %s: %s", path, strerror(errno));
	close(fd);
	return path;
}

static void
expect_load(const char *text, size_t len, mode_t mode, bool accepted,
    const char *needle)
{
	struct sscn_conf	 conf;
	char			 err[512], prefix[1100];
	char			*path = make_file(text, len, mode);
	int			 rc;

	conf_defaults(&conf);
	err[0] = '\0';
	rc = conf_load(path, &conf, err, sizeof(err));
	if (accepted) {
		if (!is_int(rc, 0, "conf: file of mode %04o is loaded",
		    (unsigned)mode))
			diag("error: %s", err);
		else
			is_int(conf.workers, 9,
			    "conf: file of mode %04o is read",
			    (unsigned)mode);
	} else {
		is_int(rc, -1, "conf: file of mode %04o is rejected",
		    (unsigned)mode);
		snprintf(prefix, sizeof(prefix), "%s: ", path);
		if (!ok(strncmp(err, prefix, strlen(prefix)) == 0,
		    "conf: rejected mode %04o names the file", (unsigned)mode))
			diag("error: %s", err);
		if (needle != NULL && !ok(strstr(err, needle) != NULL,
		    "conf: rejected mode %04o error names \"%s\"",
		    (unsigned)mode, needle))
			diag("error: %s", err);
		is_int(conf.workers, 0,
		    "conf: file of mode %04o is not parsed", (unsigned)mode);
	}
	conf_free(&conf);
	unlink(path);
	free(path);
}

static void
test_load(void)
{
	static const char	 text[] = "# loaded from a file\nworkers = 9\n";
	static const char	 bad[] = "workers = 9\nshutdown_timeout = x\n";
	static const char	 nul[] = "workers = 9\n\0user = x\n";
	struct sscn_conf	 conf;
	char			 err[512], prefix[1100];
	char			*path;
	const char		*tmpdir;

	expect_load(text, strlen(text), 0600, true, NULL);
	expect_load(text, strlen(text), 0640, true, NULL);
	expect_load(text, strlen(text), 0660, true, NULL);
	expect_load(text, strlen(text), 0400, true, NULL);
	expect_load(text, strlen(text), 0644, false, "0644");
	expect_load(text, strlen(text), 0604, false, "0604");
	expect_load(text, strlen(text), 0602, false, "0602");
	expect_load(text, strlen(text), 0666, false, "0666");

	/* A syntax error in a file names the path and the line. */
	path = make_file(bad, strlen(bad), 0600);
	conf_defaults(&conf);
	is_int(conf_load(path, &conf, err, sizeof(err)), -1,
	    "conf: file with a bad value is rejected");
	snprintf(prefix, sizeof(prefix), "%s:2: ", path);
	if (!ok(strncmp(err, prefix, strlen(prefix)) == 0,
	    "conf: file error is path:line: reason"))
		diag("error: %s", err);
	conf_free(&conf);
	unlink(path);
	free(path);

	/* A NUL byte would hide the rest of the file from the parser. */
	path = make_file(nul, sizeof(nul) - 1, 0600);
	conf_defaults(&conf);
	is_int(conf_load(path, &conf, err, sizeof(err)), -1,
	    "conf: file with a NUL byte is rejected");
	ok(strncmp(err, path, strlen(path)) == 0,
	    "conf: NUL byte error names the file");
	conf_free(&conf);
	unlink(path);
	free(path);

	/* An empty file is a valid file with every default. */
	path = make_file("", 0, 0600);
	conf_defaults(&conf);
	is_int(conf_load(path, &conf, err, sizeof(err)), 0,
	    "conf: empty file is loaded");
	conf_free(&conf);
	unlink(path);
	free(path);

	/* A missing file and a directory. */
	conf_defaults(&conf);
	is_int(conf_load("/nonexistent/sscn.conf", &conf, err, sizeof(err)), -1,
	    "conf: missing file is rejected");
	ok(strncmp(err, "/nonexistent/sscn.conf: ",
	    strlen("/nonexistent/sscn.conf: ")) == 0,
	    "conf: missing file error names the path");
	conf_free(&conf);

	tmpdir = getenv("TMPDIR");
	if (tmpdir == NULL || *tmpdir == '\0')
		tmpdir = "/tmp";
	if (asprintf(&path, "%s/test_conf_dir.XXXXXX", tmpdir) == -1 ||
	    mkdtemp(path) == NULL)
		bail_out("mkdtemp: %s", strerror(errno));
	conf_defaults(&conf);
	is_int(conf_load(path, &conf, err, sizeof(err)), -1,
	    "conf: directory is rejected");
	conf_free(&conf);
	rmdir(path);
	free(path);
}

/*
 * conf_free() after a failed parse.  There is nothing to observe after a
 * free, so LeakSanitizer in the ASan build is what checks this.
 */
static void
test_free(void)
{
	struct sscn_conf	conf;
	char			err[512];

	/* Strings set before the failing line are freed too. */
	is_int(parse("database = \"x\"\nuser = u\nsocket = /s\nbogus = 1\n",
	    &conf, err, sizeof(err)), -1, "conf: parse failing on line 4");
	is_str(conf.database, "x", "conf: lines before an error are applied");
	conf_free(&conf);
}

/* Keys may hold digits after their first character, as argon2_* do. */
static void
test_key_digits(void)
{
	struct sscn_conf	conf;
	char			err[512];

	conf_defaults(&conf);
	is_int(conf_parse_text("argon2_opslimit = 3\nargon2_memlimit = 32M\n",
	    "digits.conf", &conf, err, sizeof(err)), 0,
	    "conf: keys with digits parse");
	is_int((int)conf.argon2_opslimit, 3, "conf: argon2_opslimit is 3");
	ok(conf.argon2_memlimit == 32u * 1024 * 1024,
	    "conf: argon2_memlimit is 32 MiB");
	conf_free(&conf);

	expect_error("2argon = 1\n", 1, "expected a key", "key starting "
	    "with a digit");
}

int
main(void)
{
	test_defaults();
	test_every_key();
	test_syntax();
	test_numbers();
	test_enumerations();
	test_errors();
	test_long_lines();
	test_secrets_in_errors();
	test_small_error_buffer();
	test_load();
	test_free();
	test_key_digits();
	return done_testing();
}
