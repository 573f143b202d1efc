/*
 * csv.h - the CSV writer of every CSV export (csv.c).
 */
#ifndef SSCN_CSV_H
#define SSCN_CSV_H

#include <stdbool.h>
#include <stddef.h>

/*
 * A CSV document being built in memory: RFC 4180 records ending in CRLF.
 * Start with csv_init(), add cells and rows, then take the text with
 * csv_finish() or drop it with csv_free().
 */
struct csv {
	char	*buf;
	size_t	 len;
	size_t	 cap;
	bool	 row_started;	/* a cell was added to the current row */
	bool	 failed;	/* out of memory: csv_finish() returns NULL */
};

void	csv_init(struct csv *);

/*
 * Append one cell to the current row; NULL is an empty cell.  A cell
 * that starts with '=', '+', '-', '@', a tab or a carriage return gets a
 * single quote in front, so a spreadsheet shows it as text instead of
 * running it as a formula (CSV injection).  A cell is quoted when it
 * contains a comma, a double quote, CR or LF, or when it got the prefix.
 * Double quotes inside a cell are doubled.
 */
void	csv_cell(struct csv *, const char *value);

/* End the current row with CRLF. */
void	csv_end_row(struct csv *);

/*
 * Return the NUL-terminated text (caller frees) and its length in
 * "*len", or NULL when memory ran out.  The writer is empty afterwards.
 */
char	*csv_finish(struct csv *, size_t *len);

void	csv_free(struct csv *);

/* Whether csv_cell() would prefix "value" with a single quote. */
bool	csv_needs_neutralising(const char *value);

#endif
