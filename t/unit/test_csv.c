/*
 * test_csv.c - the CSV writer: RFC 4180 quoting and the neutralising of
 * cells that a spreadsheet would run as a formula.
 *
 * Each case writes one row of one cell and compares the exact bytes, so a
 * changed quote or a missing CRLF fails.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "csv.h"
#include "tap.h"

/* The CSV text of one row with the one cell "value" (caller frees). */
static char *
one_cell(const char *value)
{
	struct csv	 csv;
	char		*text;
	size_t		 len;

	csv_init(&csv);
	csv_cell(&csv, value);
	csv_end_row(&csv);
	if ((text = csv_finish(&csv, &len)) == NULL)
		bail_out("csv_finish: out of memory");
	if (strlen(text) != len)
		bail_out("csv_finish: length %zu for %zu bytes", len,
		    strlen(text));
	return text;
}

static void
cell_is(const char *value, const char *expected, const char *name)
{
	char *text = one_cell(value);

	is_str(text, expected, "%s", name);
	free(text);
}

int
main(void)
{
	struct csv	 csv;
	char		*text;
	size_t		 len;

	/* Plain cells stay as they are. */
	cell_is("supplier", "supplier\r\n", "plain cell: unquoted");
	cell_is("", "\r\n", "empty cell: nothing");
	cell_is(NULL, "\r\n", "NULL cell: empty");
	cell_is("a=b", "a=b\r\n", "'=' inside a cell: unchanged");
	cell_is("12", "12\r\n", "digits: unchanged");

	/* RFC 4180 quoting. */
	cell_is("a,b", "\"a,b\"\r\n", "comma: quoted");
	cell_is("say \"hi\"", "\"say \"\"hi\"\"\"\r\n",
	    "double quote: doubled and quoted");
	cell_is("two\nlines", "\"two\nlines\"\r\n", "LF: quoted");
	cell_is("two\r\nlines", "\"two\r\nlines\"\r\n", "CRLF inside: quoted");

	/* Formula triggers get a single quote and are quoted. */
	cell_is("=1+2", "\"'=1+2\"\r\n", "'=' first: neutralised");
	cell_is("+1", "\"'+1\"\r\n", "'+' first: neutralised");
	cell_is("-1", "\"'-1\"\r\n", "'-' first: neutralised");
	cell_is("@SUM(A1)", "\"'@SUM(A1)\"\r\n", "'@' first: neutralised");
	cell_is("\tx", "\"'\tx\"\r\n", "tab first: neutralised");
	cell_is("\rx", "\"'\rx\"\r\n", "CR first: neutralised");
	cell_is("=HYPERLINK(\"http://x\",\"y\")",
	    "\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\"\r\n",
	    "formula with quotes: neutralised and doubled");
	cell_is("'=1", "'=1\r\n", "single quote first: unchanged");
	ok(!csv_needs_neutralising(" =1"),
	    "leading space: not neutralised");

	/* Several cells and rows. */
	csv_init(&csv);
	csv_cell(&csv, "id");
	csv_cell(&csv, "action");
	csv_end_row(&csv);
	csv_cell(&csv, "1");
	csv_cell(&csv, NULL);
	csv_cell(&csv, "-x");
	csv_end_row(&csv);
	text = csv_finish(&csv, &len);
	is_str(text, "id,action\r\n1,,\"'-x\"\r\n", "two rows: exact text");
	is_int((long long)len, 21, "two rows: length");
	free(text);

	/* A long cell makes the buffer grow. */
	{
		char *big = malloc(10001);

		if (big == NULL)
			bail_out("out of memory");
		memset(big, 'a', 10000);
		big[10000] = '\0';
		text = one_cell(big);
		is_int((long long)strlen(text), 10002, "long cell: all bytes");
		free(text);
		free(big);
	}

	csv_init(&csv);
	csv_cell(&csv, "x");
	csv_free(&csv);
	ok(csv.buf == NULL && csv.len == 0, "csv_free: empty writer");

	return done_testing();
}
