/*
 * test_log.c - log_escape(), log_mask() and the line format of log_event().
 *
 * log_event() writes to file descriptor 2, so the tests point it at a
 * temporary file with dup2() and read back what was written.  TAP output
 * stays on stdout and is not captured.
 */
#include "config.h"

#include <errno.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "sscn.h"
#include "tap.h"

/* ---- capturing stderr ------------------------------------------------ */

static int	capture_saved = -1;
static int	capture_fd = -1;

static void
capture_start(void)
{
	const char	*tmpdir = getenv("TMPDIR");
	char		 path[4096];

	if (tmpdir == NULL || *tmpdir == '\0')
		tmpdir = "/tmp";
	snprintf(path, sizeof(path), "%s/test_log.XXXXXX", tmpdir);
	if ((capture_fd = mkstemp(path)) == -1)
		bail_out("mkstemp %s: %s", path, strerror(errno));
	unlink(path);

	fflush(stderr);
	if ((capture_saved = dup(STDERR_FILENO)) == -1 ||
	    dup2(capture_fd, STDERR_FILENO) == -1)
		bail_out("dup2: %s", strerror(errno));
}

/* Restore stderr and return what was written to it (caller frees). */
static char *
capture_end(void)
{
	char	*text;
	off_t	 size;

	fflush(stderr);
	if (dup2(capture_saved, STDERR_FILENO) == -1)
		bail_out("dup2: %s", strerror(errno));
	close(capture_saved);

	size = lseek(capture_fd, 0, SEEK_END);
	if (size < 0 || (text = malloc((size_t)size + 1)) == NULL)
		bail_out("cannot read the captured output");
	if (pread(capture_fd, text, (size_t)size, 0) != (ssize_t)size)
		bail_out("pread: %s", strerror(errno));
	text[size] = '\0';
	close(capture_fd);
	return text;
}

/* Count the "\n" in "s". */
static int
count_lines(const char *s)
{
	int n = 0;

	for (; *s != '\0'; s++)
		if (*s == '\n')
			n++;
	return n;
}

/* ---- log_escape ------------------------------------------------------ */

/* Run log_escape() on an exact-size heap buffer and return a copy to free. */
static char *
escape(size_t dstlen, const char *src)
{
	char	*dst = malloc(dstlen > 0 ? dstlen : 1);
	char	*copy;

	if (dst == NULL)
		bail_out("out of memory");
	if (log_escape(dst, dstlen, src) != dst)
		diag("log_escape did not return dst");
	copy = strdup(dstlen > 0 ? dst : "");
	free(dst);
	return copy;
}

static void
expect_escape(size_t dstlen, const char *src, const char *expected,
    const char *case_name)
{
	char *got = escape(dstlen, src);

	is_str(got, expected, "log_escape: %s", case_name);
	free(got);
}

static void
test_escape_values(void)
{
	char buf[32];

	ok(log_escape(buf, sizeof(buf), "x") == buf, "log_escape: returns dst");

	expect_escape(64, "abc", "abc", "plain value is kept");
	expect_escape(64, "GET", "GET", "method is kept");
	expect_escape(64, "/api/v1/rfqs/7", "/api/v1/rfqs/7",
	    "path is kept unquoted");
	expect_escape(64, "~!@#$%^&*()_+-`{}[]|:;'<>,.?/",
	    "~!@#$%^&*()_+-`{}[]|:;'<>,.?/", "printable punctuation is kept");
	expect_escape(64, "a b", "\"a b\"", "value with a space is quoted");
	expect_escape(64, "a=b", "\"a=b\"", "value with '=' is quoted");
	expect_escape(64, "a\"b", "\"a\\\"b\"",
	    "quote inside a value is escaped");
	expect_escape(64, "a\\b", "\"a\\\\b\"",
	    "backslash inside a value is escaped");
	expect_escape(64, "a\nb", "\"a\\x0ab\"", "newline becomes \\x0a");
	expect_escape(64, "a\rb", "\"a\\x0db\"",
	    "carriage return becomes \\x0d");
	expect_escape(64, "\t", "\"\\x09\"", "tab becomes \\x09");
	expect_escape(64, "\x01\x1f", "\"\\x01\\x1f\"",
	    "control bytes become \\xHH");
	expect_escape(64, "\x7f", "\"\\x7f\"", "DEL becomes \\x7f");
	expect_escape(64, "\xc3\xa9", "\"\\xc3\\xa9\"",
	    "non-ASCII bytes become \\xHH");
	expect_escape(64, "\xff", "\"\\xff\"", "byte FF becomes \\xff");
	expect_escape(64, "level=error event=forged",
	    "\"level=error event=forged\"",
	    "forged key=value pairs stay one value");
	expect_escape(64, "x\nlevel=error event=forged",
	    "\"x\\x0alevel=error event=forged\"",
	    "forged second line stays on one line");
	expect_escape(64, "", "\"\"", "empty value is \"\"");
	expect_escape(64, NULL, "-", "NULL is -");
	expect_escape(2, NULL, "-", "NULL fits a 2-byte buffer");
}

static void
test_escape_truncation(void)
{
	char	 id[64];
	size_t	 i;

	expect_escape(16, "abcdefghijklmnopqrstuvwxyz", "abcdefghijkl...",
	    "long value is cut to dstlen - 1 with ...");
	expect_escape(16, "a b c d e f g h i j", "\"a b c d e ...\"",
	    "long quoted value is cut inside the quotes");
	expect_escape(12, "\x01\x01\x01\x01", "\"\\x01...\"",
	    "cut does not split a \\xHH escape");
	expect_escape(10, "\"\"\"\"\"\"", "\"\\\"\\\"...\"",
	    "cut does not split a \\\" escape");

	/* A value that fits is not cut. */
	expect_escape(8, "abcdefg", "abcdefg", "7 bytes fit an 8-byte buffer");
	expect_escape(8, "a b", "\"a b\"",
	    "quoted value fits an 8-byte buffer");
	expect_escape(4, "ab", "ab", "2 bytes fit a 4-byte buffer");
	for (i = 0; i < 63; i++)
		id[i] = (char)('a' + i % 26);
	id[63] = '\0';
	expect_escape(64, id, id, "63 bytes fit a 64-byte buffer");
	expect_escape(65, id, id, "63 bytes fit a 65-byte buffer");
}

/*
 * Every buffer size from 1 to 48 for a set of values: the result fits the
 * buffer, contains no raw control or non-ASCII byte, is the full escaped form
 * whenever that fits, and otherwise is a prefix of it followed by "...".
 */
static void
test_escape_sizes(void)
{
	static const char *const values[] = {
		"abc", "a b", "hello world=1", "\x01\x02\x03",
		    "\xc3\xa9\xe2\x82\xac",
		"a\"b\\c", "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "",
	};
	size_t	v, dstlen;
	int	overflow = 0, raw = 0, not_prefix = 0, cut_whole = 0;

	for (v = 0; v < sizeof(values) / sizeof(values[0]); v++) {
		char	*full = escape(4096, values[v]);
		size_t	 fulllen = strlen(full);

		for (dstlen = 1; dstlen <= 48; dstlen++) {
			char		*got = escape(dstlen, values[v]);
			size_t		 len = strlen(got);
			const char	*p;

			if (len >= dstlen)
				overflow++;
			for (p = got; *p != '\0'; p++)
				if ((unsigned char)*p < 0x20 ||
				    (unsigned char)*p >= 0x7f)
					raw++;

			if (fulllen < dstlen) {
				if (strcmp(got, full) != 0) {
					if (cut_whole < 5)
						diag("dstlen %zu: '%s' -> '%s'",
						    dstlen, full, got);
					cut_whole++;
				}
			} else if (len > 0) {
				/* Drop "..." and a closing quote after it. */
				size_t keep = len;

				if (keep >= 4 && strcmp(got + keep - 4,
				    "...\"") == 0)
					keep -= 4;
				else if (keep >= 3 &&
				    strcmp(got + keep - 3, "...") == 0)
					keep -= 3;
				else
					not_prefix++;
				if (strncmp(got, full, keep) != 0)
					not_prefix++;
			}
			free(got);
		}
		free(full);
	}
	is_int(overflow, 0, "log_escape: result always fits the buffer");
	is_int(raw, 0, "log_escape: result never contains a raw byte");
	is_int(not_prefix, 0, "log_escape: cut result is a prefix and ...");
	is_int(cut_whole, 0, "log_escape: value that fits is never cut");
}

static void
test_mask(void)
{
	is_str(log_mask("s3cret"), "***", "log_mask: secret becomes ***");
	is_str(log_mask("x"), "***", "log_mask: one-byte secret becomes ***");
	is_str(log_mask(""), "-", "log_mask: empty secret is -");
	is_str(log_mask(NULL), "-", "log_mask: NULL is -");
}

/* ---- log_event ------------------------------------------------------- */

/*
 * Check "line" as "<timestamp> test_log[<pid>]: <rest>": an RFC 3339 UTC
 * timestamp with milliseconds close to now, then "rest" exactly.
 */
static void
expect_stamped_line(const char *line, const char *rest, const char *case_name)
{
	regex_t		 re;
	regmatch_t	 m[2];
	char		 pattern[256];
	struct tm	 tm;
	time_t		 stamp, now = time(NULL);

	snprintf(pattern, sizeof(pattern),
	    "^([0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2})"
	    "\\.[0-9]{3}Z test_log\\[%ld\\]: ", (long)getpid());
	if (regcomp(&re, pattern, REG_EXTENDED) != 0)
		bail_out("bad regular expression %s", pattern);

	if (!ok(regexec(&re, line, 2, m, 0) == 0,
	    "log_event: %s starts with timestamp and program[pid]",
	    case_name)) {
		diag("line: %s", line);
		regfree(&re);
		return;
	}
	regfree(&re);

	memset(&tm, 0, sizeof(tm));
	if (strptime(line + m[1].rm_so, "%Y-%m-%dT%H:%M:%S", &tm) == NULL)
		stamp = 0;
	else
		stamp = timegm(&tm);
	ok(stamp >= now - 60 && stamp <= now + 60,
	    "log_event: %s timestamp is UTC now", case_name);
	is_str(line + m[0].rm_eo, rest, "log_event: %s fields", case_name);
}

static void
test_event_format(void)
{
	char *out;

	unsetenv("JOURNAL_STREAM");
	log_init("test_log", LOG_LEVEL_INFO);

	capture_start();
	log_event(LOG_LEVEL_INFO, "rid-1", "conf_loaded", "path=%s workers=%d",
	    "/etc/sscn/sscn.conf", 3);
	out = capture_end();
	is_int(count_lines(out), 1, "log_event: one event is one line");
	expect_stamped_line(out,
	    "level=info event=conf_loaded request_id=rid-1 "
	    "path=/etc/sscn/sscn.conf workers=3\n", "info line");
	free(out);

	capture_start();
	log_error("r2", "db_failed", "error=%s", "timeout");
	out = capture_end();
	expect_stamped_line(out,
	    "level=error event=db_failed request_id=r2 error=timeout\n",
	    "error line");
	free(out);

	capture_start();
	log_warn(NULL, "worker_died", "pid=%d signal=%d", 123, 9);
	out = capture_end();
	expect_stamped_line(out,
	    "level=warn event=worker_died pid=123 signal=9\n",
	    "line without request id");
	free(out);

	capture_start();
	log_info("", "started", "workers=%u", 2u);
	out = capture_end();
	expect_stamped_line(out, "level=info event=started workers=2\n",
	    "line with empty request id");
	free(out);

	capture_start();
	log_info("r3", "a", "x=1");
	log_info("r4", "b", "y=2");
	out = capture_end();
	is_int(count_lines(out), 2, "log_event: two events are two lines");
	free(out);
}

static void
test_levels(void)
{
	char *out;

	log_init("test_log", LOG_LEVEL_INFO);
	ok(log_enabled(LOG_LEVEL_ERROR), "log_enabled: error at info");
	ok(log_enabled(LOG_LEVEL_WARN), "log_enabled: warn at info");
	ok(log_enabled(LOG_LEVEL_INFO), "log_enabled: info at info");
	ok(!log_enabled(LOG_LEVEL_DEBUG), "log_enabled: no debug at info");

	capture_start();
	log_debug("r", "hidden", "x=%d", 1);
	out = capture_end();
	is_str(out, "", "log_event: debug is dropped at info");
	free(out);

	log_set_level(LOG_LEVEL_DEBUG);
	ok(log_enabled(LOG_LEVEL_DEBUG), "log_enabled: debug at debug");
	capture_start();
	log_debug("r", "shown", "x=%d", 1);
	out = capture_end();
	expect_stamped_line(out, "level=debug event=shown request_id=r x=1\n",
	    "debug line");
	free(out);

	log_set_level(LOG_LEVEL_WARN);
	ok(!log_enabled(LOG_LEVEL_INFO), "log_enabled: no info at warn");
	capture_start();
	log_info("r", "hidden", "x=%d", 1);
	log_warn("r", "shown", "x=%d", 2);
	out = capture_end();
	is_int(count_lines(out), 1, "log_event: only warn is written at warn");
	ok(strstr(out, "level=warn event=shown") != NULL,
	    "log_event: warn line is written at warn");
	free(out);

	log_set_level(LOG_LEVEL_ERROR);
	ok(!log_enabled(LOG_LEVEL_WARN), "log_enabled: no warn at error");
	capture_start();
	log_warn("r", "hidden", "x=%d", 1);
	out = capture_end();
	is_str(out, "", "log_event: warn is dropped at error");
	free(out);
}

/* Under journald each line starts with "<N>", the syslog priority. */
static void
test_journal(void)
{
	static const struct {
		enum log_level	 level;
		const char	*line;
	} cases[] = {
		{ LOG_LEVEL_ERROR,
		    "<3>level=error event=e request_id=j k=v\n" },
		{ LOG_LEVEL_WARN, "<4>level=warn event=e request_id=j k=v\n" },
		{ LOG_LEVEL_INFO, "<6>level=info event=e request_id=j k=v\n" },
		{ LOG_LEVEL_DEBUG,
		    "<7>level=debug event=e request_id=j k=v\n" },
	};
	char	*out;
	size_t	 i;

	setenv("JOURNAL_STREAM", "8:12345", 1);
	log_init("test_log", LOG_LEVEL_DEBUG);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		capture_start();
		log_event(cases[i].level, "j", "e", "k=%s", "v");
		out = capture_end();
		is_str(out, cases[i].line, "log_event: journald line %zu", i);
		free(out);
	}

	unsetenv("JOURNAL_STREAM");
	log_init("test_log", LOG_LEVEL_INFO);
	capture_start();
	log_info("j", "e", "k=v");
	out = capture_end();
	ok(out[0] != '<', "log_event: no priority prefix without journald");
	free(out);
}

static void
test_long_line(void)
{
	char	*value, *out;
	size_t	 len;

	value = malloc(5001);
	if (value == NULL)
		bail_out("out of memory");
	memset(value, 'x', 5000);
	value[5000] = '\0';

	log_init("test_log", LOG_LEVEL_INFO);
	capture_start();
	log_info("r", "long", "value=%s", value);
	out = capture_end();
	len = strlen(out);
	ok(len <= 4096, "log_event: long line is cut to 4096 bytes");
	is_int(count_lines(out), 1, "log_event: long line stays one line");
	ok(len >= 4 && strcmp(out + len - 4, "...\n") == 0,
	    "log_event: cut line ends with ...");
	free(out);
	free(value);
}

int
main(void)
{
	test_escape_values();
	test_escape_truncation();
	test_escape_sizes();
	test_mask();
	test_event_format();
	test_levels();
	test_journal();
	test_long_line();
	return done_testing();
}
