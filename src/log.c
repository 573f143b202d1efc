/*
 * log.c - one line per event on stderr, as key=value pairs.
 *
 * Line format: "level=L event=E request_id=R key=value ...".  Under journald
 * (JOURNAL_STREAM is set) the line starts with the syslog priority prefix
 * "<N>" so journalctl shows the level; elsewhere it starts with an RFC 3339
 * UTC timestamp.  Each line is written with a single write(2) so lines from
 * several workers sharing stderr do not interleave.
 *
 * This file does not mask anything by itself: callers pass client-derived
 * strings through log_escape() and never pass secrets (log_mask() exists for
 * the rare place that needs to say whether a secret was present).
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <time.h>
#include <unistd.h>

#include "sscn.h"

/* Longest log line; longer lines are cut and end in "...". */
#define LOG_LINE_MAX 4096

static const char	*log_program = "sscn";
static enum log_level	 log_threshold = LOG_LEVEL_INFO;
static bool		 log_journal;
static bool		 log_pinned;	/* sscnd -v: reloads keep debug */
static log_error_hook	 log_on_error;
static pid_t		 log_pid;	/* this process's, 0 until known */

static const char *const log_level_names[] = {
	[LOG_LEVEL_ERROR] = "error",
	[LOG_LEVEL_WARN] = "warn",
	[LOG_LEVEL_INFO] = "info",
	[LOG_LEVEL_DEBUG] = "debug",
};

/* syslog(3) priorities: LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG. */
static const int log_level_priority[] = { 3, 4, 6, 7 };

/* A forked child logs with its own pid. */
static void
log_forget_pid(void)
{
	log_pid = 0;
}

void
log_init(const char *program, enum log_level level)
{
	static bool registered;

	log_program = program;
	log_threshold = level;
	log_journal = getenv("JOURNAL_STREAM") != NULL;
	if (!registered && pthread_atfork(NULL, NULL, log_forget_pid) == 0)
		registered = true;
}

void
log_set_level(enum log_level level)
{
	if (!log_pinned)
		log_threshold = level;
}

void
log_pin_level(enum log_level level)
{
	log_threshold = level;
	log_pinned = true;
}

void
log_set_error_hook(log_error_hook hook)
{
	log_on_error = hook;
}

bool
log_enabled(enum log_level level)
{
	return level <= log_threshold;
}

void
log_event(enum log_level level, const char *request_id, const char *event,
    const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vevent(level, request_id, event, fmt, ap);
	va_end(ap);
}

/*
 * The pid for the line prefix, asked of the kernel once per process
 * rather than once per line: every request logs a line.
 */
static pid_t
log_own_pid(void)
{
	if (log_pid == 0)
		log_pid = getpid();
	return log_pid;
}

/* Add "n" (a snprintf result) to "len" without passing "size" - 1. */
static size_t
log_advance(size_t len, int n, size_t size)
{
	if (n < 0)
		return len;
	if (len + (size_t)n >= size)
		return size - 1;
	return len + (size_t)n;
}

void
log_vevent(enum log_level level, const char *request_id, const char *event,
    const char *fmt, va_list ap)
{
	char		 line[LOG_LINE_MAX];
	size_t		 len = 0;
	int		 saved_errno = errno;

	if (level == LOG_LEVEL_ERROR && log_on_error != NULL)
		log_on_error(request_id, event);
	if (!log_enabled(level))
		return;

	if (log_journal) {
		len = log_advance(len, snprintf(line, sizeof(line), "<%d>",
		    log_level_priority[level]), sizeof(line));
	} else {
		struct timespec	 ts;
		struct tm	 tm;

		clock_gettime(CLOCK_REALTIME, &ts);
		gmtime_r(&ts.tv_sec, &tm);
		len = log_advance(len, snprintf(line, sizeof(line),
		    "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ %s[%ld]: ",
		    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
		    tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000000L, log_program,
		    (long)log_own_pid()), sizeof(line));
	}

	len = log_advance(len, snprintf(line + len, sizeof(line) - len,
	    "level=%s event=%s", log_level_names[level], event), sizeof(line));

	if (request_id != NULL && *request_id != '\0')
		len = log_advance(len, snprintf(line + len,
		    sizeof(line) - len, " request_id=%s", request_id),
		    sizeof(line));

	if (fmt != NULL && *fmt != '\0' && len < sizeof(line) - 2) {
		line[len++] = ' ';
		len = log_advance(len, vsnprintf(line + len,
		    sizeof(line) - len, fmt, ap), sizeof(line));
	}

	/* A line that filled the buffer was cut: mark it with "...". */
	if (len >= sizeof(line) - 1) {
		len = sizeof(line) - 5;
		memcpy(line + len, "...", 3);
		len += 3;
	}
	line[len++] = '\n';

	/* A failed log write has nowhere to be reported. */
	(void)!write(STDERR_FILENO, line, len);
	errno = saved_errno;
}

static bool
log_needs_quotes(const char *src)
{
	const unsigned char *p;

	if (*src == '\0')
		return true;
	for (p = (const unsigned char *)src; *p != '\0'; p++)
		if (*p <= ' ' || *p == '"' || *p == '=' || *p == '\\' ||
		    *p >= 0x7f)
			return true;
	return false;
}

/* Write the escaped form of byte "c" into "piece"; returns its length. */
static size_t
log_escape_byte(unsigned char c, char piece[4])
{
	static const char hex[] = "0123456789abcdef";

	if (c < ' ' || c >= 0x7f) {
		piece[0] = '\\';
		piece[1] = 'x';
		piece[2] = hex[c >> 4];
		piece[3] = hex[c & 0xf];
		return 4;
	}
	if (c == '"' || c == '\\') {
		piece[0] = '\\';
		piece[1] = (char)c;
		return 2;
	}
	piece[0] = (char)c;
	return 1;
}

char *
log_escape(char *dst, size_t dstlen, const char *src)
{
	const unsigned char	*p;
	char			 piece[4];
	size_t			 full = 0;
	size_t			 budget;
	size_t			 len = 0;
	size_t			 quotes;
	bool			 cut;

	if (dstlen == 0)
		return dst;
	if (src == NULL) {
		snprintf(dst, dstlen, "-");
		return dst;
	}

	quotes = log_needs_quotes(src) ? 2 : 0;
	for (p = (const unsigned char *)src; *p != '\0'; p++)
		full += log_escape_byte(*p, piece);

	/* Cut only when the whole value does not fit, and then mark it. */
	cut = full + quotes + 1 > dstlen;
	if (cut) {
		if (dstlen < quotes + 3 + 1) {
			dst[0] = '\0';
			return dst;
		}
		budget = dstlen - 1 - quotes - 3;
	} else
		budget = full;

	if (quotes)
		dst[len++] = '"';
	for (p = (const unsigned char *)src; *p != '\0'; p++) {
		size_t n = log_escape_byte(*p, piece);

		if (len - (quotes ? 1 : 0) + n > budget)
			break;
		memcpy(dst + len, piece, n);
		len += n;
	}
	if (cut) {
		memcpy(dst + len, "...", 3);
		len += 3;
	}
	if (quotes)
		dst[len++] = '"';
	dst[len] = '\0';
	return dst;
}

const char *
log_mask(const char *secret)
{
	if (secret == NULL || *secret == '\0')
		return "-";
	return "***";
}
