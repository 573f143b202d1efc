/*
 * test_timefmt.c - time_pg_rfc3339(): PostgreSQL's text form of a
 * timestamptz at TimeZone UTC and DateStyle ISO to RFC 3339.
 */
#include "config.h"

#include <stdbool.h>
#include <string.h>

#include "sscn.h"
#include "tap.h"

static void
converts(const char *value, const char *expected)
{
	char out[TIME_RFC3339_SIZE];

	memset(out, 'x', sizeof(out));
	if (ok(time_pg_rfc3339(value, out), "\"%s\" is accepted", value))
		is_str(out, expected, "\"%s\" becomes \"%s\"", value, expected);
}

static void
refuses(const char *value, const char *why)
{
	char out[TIME_RFC3339_SIZE];

	ok(!time_pg_rfc3339(value, out), "refused: %s", why);
}

int
main(void)
{
	converts("2026-12-05 00:34:26+00", "2026-12-05T00:34:26Z");
	converts("2026-12-05 00:34:26.5+00", "2026-12-05T00:34:26Z");
	converts("1999-01-31 23:59:59.999999+00", "1999-01-31T23:59:59Z");

	refuses("", "empty");
	refuses("infinity", "infinity");
	refuses("2026-12-05 00:34:26+01", "another time zone");
	refuses("2026-12-05 00:34:26+00:30", "an offset with minutes");
	refuses("2026-12-05 00:34:26", "no offset");
	refuses("2026-12-05T00:34:26+00", "a T where ISO DateStyle has a space");
	refuses("0001-12-05 00:34:26+00 BC", "a BC date");
	refuses("12026-12-05 00:34:26+00", "a five-digit year");
	refuses("2026-12-05 00:34:26.+00", "a decimal point without digits");
	refuses("2026-12-05 00:34:26.5x+00", "garbage after the fraction");

	return done_testing();
}
