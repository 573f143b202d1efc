/*
 * test_schema.c - SSCN_SCHEMA_VERSION against the migrations in sql/.
 *
 * sscnctl applies sql/NNNN_name.sql in order and a worker reports ready only
 * at SSCN_SCHEMA_VERSION, so the constant must be the highest NNNN, the
 * numbers must run 0001, 0002, ... without a gap or a repeat, and every
 * migration must be listed in Makefile.am or "make install" leaves it out.
 * SRCDIR is the absolute source directory, set by Makefile.am.
 */
#include "config.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sscn.h"
#include "tap.h"

#define MAX_MIGRATIONS 1000

/* True for "NNNN_" + at least one character + ".sql". */
static bool
is_migration_name(const char *name)
{
	size_t	len = strlen(name);
	int	i;

	if (len < strlen("0000_x.sql"))
		return false;
	for (i = 0; i < 4; i++)
		if (!isdigit((unsigned char)name[i]))
			return false;
	return name[4] == '_' && strcmp(name + len - 4, ".sql") == 0;
}

/* Read all of "path" into a NUL-terminated buffer, or NULL. */
static char *
read_file(const char *path)
{
	FILE	*fp;
	char	*text = NULL;
	long	 size;

	if ((fp = fopen(path, "r")) == NULL)
		return NULL;
	if (fseek(fp, 0, SEEK_END) == 0 && (size = ftell(fp)) >= 0 &&
	    fseek(fp, 0, SEEK_SET) == 0 &&
	    (text = malloc((size_t)size + 1)) != NULL) {
		if (fread(text, 1, (size_t)size, fp) != (size_t)size) {
			free(text);
			text = NULL;
		} else
			text[size] = '\0';
	}
	fclose(fp);
	return text;
}

int
main(void)
{
	static char	*names[MAX_MIGRATIONS + 1];
	static int	 count_of[MAX_MIGRATIONS + 1];
	const char	*sqldir = SRCDIR "/sql";
	DIR		*dir;
	struct dirent	*entry;
	char		*makefile;
	int		 highest = 0, nfiles = 0, misnamed = 0;
	int		 number, duplicates = 0, gaps = 0, unlisted = 0;

	if ((dir = opendir(sqldir)) == NULL)
		bail_out("cannot open %s: %s", sqldir, strerror(errno));

	while ((entry = readdir(dir)) != NULL) {
		const char *name = entry->d_name;

		/* A file that starts with a digit is meant as a migration. */
		if (!isdigit((unsigned char)name[0]))
			continue;
		if (!is_migration_name(name)) {
			diag("%s is not named NNNN_name.sql", name);
			misnamed++;
			continue;
		}

		number = atoi(name);
		if (number < 1 || number > MAX_MIGRATIONS) {
			diag("%s: number out of range 0001-%04d", name,
			    MAX_MIGRATIONS);
			misnamed++;
			continue;
		}
		nfiles++;
		count_of[number]++;
		if (names[number] == NULL)
			names[number] = strdup(name);
		if (number > highest)
			highest = number;
	}
	closedir(dir);

	ok(nfiles > 0, "schema: sql/ contains a migration");
	is_int(misnamed, 0, "schema: numbered files are named NNNN_name.sql");
	is_int(highest, SSCN_SCHEMA_VERSION,
	    "schema: SSCN_SCHEMA_VERSION is the highest migration");
	ok(count_of[1] == 1, "schema: migrations start at 0001");

	for (number = 1; number <= highest; number++) {
		if (count_of[number] == 0) {
			diag("migration %04d is missing", number);
			gaps++;
		} else if (count_of[number] > 1) {
			diag("migration %04d exists %d times", number,
			    count_of[number]);
			duplicates++;
		}
	}
	is_int(gaps, 0, "schema: migration numbers have no gap");
	is_int(duplicates, 0, "schema: no migration number is repeated");

	makefile = read_file(SRCDIR "/Makefile.am");
	ok(makefile != NULL, "schema: Makefile.am is readable");
	for (number = 1; number <= highest && makefile != NULL; number++) {
		char entry_text[300];

		if (names[number] == NULL)
			continue;
		snprintf(entry_text, sizeof(entry_text), "sql/%s",
		    names[number]);
		if (strstr(makefile, entry_text) == NULL) {
			diag("%s is not in Makefile.am", entry_text);
			unlisted++;
		}
	}
	is_int(unlisted, 0, "schema: Makefile.am installs every migration");

	free(makefile);
	for (number = 0; number <= MAX_MIGRATIONS; number++)
		free(names[number]);
	return done_testing();
}
