/*
 * timefmt.c - conversions between the text forms of timestamps.
 */
#include "config.h"

#include <stdbool.h>
#include <string.h>

#include "sscn.h"

bool
time_pg_rfc3339(const char *value, char out[TIME_RFC3339_SIZE])
{
	/* "YYYY-MM-DD HH:MM:SS" with digits where the pattern has 9s. */
	static const char	 pattern[] = "9999-99-99 99:99:99";
	size_t			 i, len = strlen(value);

	if (len < sizeof(pattern) - 1 + 3)
		return false;
	for (i = 0; i < sizeof(pattern) - 1; i++) {
		bool is_digit = value[i] >= '0' && value[i] <= '9';

		if (pattern[i] == '9' ? !is_digit : value[i] != pattern[i])
			return false;
	}
	/* Then a fraction of a second, if any, and the offset "+00". */
	if (value[i] == '.') {
		size_t fraction_start = ++i;

		while (value[i] >= '0' && value[i] <= '9')
			i++;
		if (i == fraction_start)
			return false;
	}
	if (strcmp(value + i, "+00") != 0)
		return false;

	memcpy(out, value, 10);
	out[10] = 'T';
	memcpy(out + 11, value + 11, 8);
	out[19] = 'Z';
	out[20] = '\0';
	return true;
}
