/*
 * csv.c - write CSV (RFC 4180) that is safe to open in a spreadsheet.
 *
 * Spreadsheet programs run a cell that starts with '=', '+', '-' or '@'
 * as a formula, and some also after a leading tab or carriage return, so
 * a value that a user typed could run as a formula on an admin's machine
 * (OWASP "CSV Injection").  Every CSV export goes through csv_cell(),
 * which prefixes such cells with a single quote.  As a consequence a
 * negative number shows as text with a quote in front.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "csv.h"

void
csv_init(struct csv *csv)
{
	memset(csv, 0, sizeof(*csv));
}

/* Make room for "more" bytes and a NUL; false (and "failed") if out of memory. */
static bool
csv_reserve(struct csv *csv, size_t more)
{
	size_t	 cap;
	char	*buf;

	if (csv->failed)
		return false;
	if (csv->len + more + 1 <= csv->cap)
		return true;
	cap = csv->cap > 0 ? csv->cap : 256;
	while (cap < csv->len + more + 1) {
		if (cap > SIZE_MAX / 2) {
			csv->failed = true;
			return false;
		}
		cap *= 2;
	}
	if ((buf = realloc(csv->buf, cap)) == NULL) {
		csv->failed = true;
		return false;
	}
	csv->buf = buf;
	csv->cap = cap;
	return true;
}

static void
csv_append(struct csv *csv, const char *s, size_t n)
{
	if (!csv_reserve(csv, n))
		return;
	memcpy(csv->buf + csv->len, s, n);
	csv->len += n;
	csv->buf[csv->len] = '\0';
}

bool
csv_needs_neutralising(const char *value)
{
	return value != NULL && value[0] != '\0' &&
	    strchr("=+-@\t\r", value[0]) != NULL;
}

void
csv_cell(struct csv *csv, const char *value)
{
	bool		 prefix = csv_needs_neutralising(value);
	bool		 quote;
	const char	*p;

	if (csv->row_started)
		csv_append(csv, ",", 1);
	csv->row_started = true;
	if (value == NULL)
		return;

	quote = prefix || strpbrk(value, ",\"\r\n") != NULL;
	if (quote)
		csv_append(csv, "\"", 1);
	if (prefix)
		csv_append(csv, "'", 1);
	for (p = value; *p != '\0'; p++) {
		size_t run = strcspn(p, "\"");

		csv_append(csv, p, run);
		p += run;
		if (*p == '\0')
			break;
		/* A double quote inside a quoted cell is written twice. */
		csv_append(csv, "\"\"", 2);
	}
	if (quote)
		csv_append(csv, "\"", 1);
}

void
csv_end_row(struct csv *csv)
{
	csv_append(csv, "\r\n", 2);
	csv->row_started = false;
}

char *
csv_finish(struct csv *csv, size_t *len)
{
	char *text;

	if (csv->failed || !csv_reserve(csv, 0)) {
		csv_free(csv);
		return NULL;
	}
	text = csv->buf;
	text[csv->len] = '\0';
	*len = csv->len;
	csv_init(csv);
	return text;
}

void
csv_free(struct csv *csv)
{
	free(csv->buf);
	csv_init(csv);
}
