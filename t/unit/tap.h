/*
 * tap.h - a minimal TAP producer for the C unit tests in t/unit.
 *
 * Each test program includes this header once and prints TAP version 13 on
 * stdout, so that both automake's TAP driver ("make check") and prove can
 * run it.  Diagnostics go to stderr as "# " lines, as Test::More does.
 * main() ends with "return done_testing();", which prints the plan when
 * plan() was not called and returns 0 only when every test passed and the
 * count matches the plan.
 *
 * Everything here is static; a program that includes the header in more
 * than one translation unit gets separate counters in each, so don't.
 */
#ifndef SSCN_TAP_H
#define SSCN_TAP_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TAP_PRINTF(fmt, args) __attribute__((format(printf, fmt, args)))
#define TAP_UNUSED __attribute__((unused))

static int	tap_planned = -1;	/* -1 until plan() is called */
static int	tap_run;
static int	tap_failed;

static TAP_UNUSED TAP_PRINTF(1, 2) void bail_out(const char *fmt, ...);

/* Print the plan "1..count".  A second plan, or one after a test, bails out. */
static TAP_UNUSED void
plan(int count)
{
	if (tap_planned >= 0 || tap_run > 0)
		bail_out("plan() called twice or after the first test");
	tap_planned = count;
	printf("1..%d\n", count);
	fflush(stdout);
}

/* Print one "# " line on stderr. */
static TAP_UNUSED TAP_PRINTF(1, 2) void
diag(const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fputs("# ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	fflush(stderr);
}

/*
 * Print "ok N - name" or "not ok N - name" and return "cond" as 0 or 1.
 * stdout is flushed after every line because some tests redirect file
 * descriptors or fork.
 */
static TAP_UNUSED int
tap_vresult(int cond, const char *fmt, va_list ap)
{
	tap_run++;
	if (!cond)
		tap_failed++;
	printf("%sok %d - ", cond ? "" : "not ", tap_run);
	vprintf(fmt, ap);
	putchar('\n');
	fflush(stdout);
	return cond ? 1 : 0;
}

/* Record a test that passes when "cond" is true. */
static TAP_UNUSED TAP_PRINTF(2, 3) int
ok(int cond, const char *fmt, ...)
{
	va_list ap;
	int	result;

	va_start(ap, fmt);
	result = tap_vresult(cond, fmt, ap);
	va_end(ap);
	return result;
}

/* Record a test that passes when "got" equals "expected", else show both. */
static TAP_UNUSED TAP_PRINTF(3, 4) int
is_int(long long got, long long expected, const char *fmt, ...)
{
	va_list ap;
	int	result;

	va_start(ap, fmt);
	result = tap_vresult(got == expected, fmt, ap);
	va_end(ap);
	if (!result) {
		diag("     got: %lld", got);
		diag("expected: %lld", expected);
	}
	return result;
}

/*
 * Record a test that passes when two strings are equal; NULL equals only
 * NULL.  A failure shows both strings.
 */
static TAP_UNUSED TAP_PRINTF(3, 4) int
is_str(const char *got, const char *expected, const char *fmt, ...)
{
	va_list ap;
	int	equal, result;

	if (got == NULL || expected == NULL)
		equal = got == expected;
	else
		equal = strcmp(got, expected) == 0;

	va_start(ap, fmt);
	result = tap_vresult(equal, fmt, ap);
	va_end(ap);
	if (!result) {
		diag("     got: %s%s%s", got ? "'" : "", got ? got : "NULL",
		    got ? "'" : "");
		diag("expected: %s%s%s", expected ? "'" : "",
		    expected ? expected : "NULL", expected ? "'" : "");
	}
	return result;
}

/* Stop the whole run.  TAP harnesses report "Bail out!" as a failure. */
static TAP_UNUSED TAP_PRINTF(1, 2) void
bail_out(const char *fmt, ...)
{
	va_list ap;

	printf("Bail out! ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
	exit(255);
}

/*
 * Finish the run: print the plan if plan() was not called, and return the
 * exit status for main().  The status is the number of failed tests (at
 * most 254), or 255 when the number run differs from the plan.
 */
static TAP_UNUSED int
done_testing(void)
{
	if (tap_planned < 0) {
		printf("1..%d\n", tap_run);
		tap_planned = tap_run;
	}
	fflush(stdout);

	if (tap_run != tap_planned) {
		diag("planned %d tests but ran %d", tap_planned, tap_run);
		return 255;
	}
	if (tap_failed > 0) {
		diag("failed %d of %d tests", tap_failed, tap_run);
		return tap_failed > 254 ? 254 : tap_failed;
	}
	return 0;
}

#endif /* SSCN_TAP_H */
