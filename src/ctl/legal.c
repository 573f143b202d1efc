/*
 * legal.c - "sscnctl legal publish DOCUMENT FILE [--version V]": publish
 * a new version of a legal document.
 *
 * The newest published version of a document is the one that
 * GET /api/v1/legal/{document} serves.  A new terms or privacy version
 * restricts every user's next session until they accept it.  A published
 * text is never changed, because acceptances pin its version (and, for
 * the NDA, its SHA-256): publishing the same version with the same text
 * again does nothing, and with another text fails.
 *
 * Without --version the version is read from the file's first line that
 * starts with "Version ", as the shipped documents under docs/legal/
 * state it.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>
#include <openssl/sha.h>

#include "ctl/ctl.h"

/* Maximum document size in bytes; the shipped ones are under 8 KiB. */
#define LEGAL_FILE_MAX	(1024 * 1024)
#define LEGAL_VERSION_MAX 32
#define LEGAL_VERSION_CHARS \
	"0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ._-"

static const char *const legal_documents[] = { "terms", "privacy",
    "cookies", "nda", "dpa", NULL };

static bool
legal_document_known(const char *name)
{
	size_t i;

	for (i = 0; legal_documents[i] != NULL; i++)
		if (strcmp(legal_documents[i], name) == 0)
			return true;
	return false;
}

/* The version syntax of sscn.legal_documents: [0-9A-Za-z._-]{1,32}. */
static bool
legal_version_valid(const char *v)
{
	size_t len = strspn(v, LEGAL_VERSION_CHARS);

	return len >= 1 && len <= LEGAL_VERSION_MAX && v[len] == '\0';
}

/*
 * The version from the first line that starts with "Version " into
 * "out": the version characters that follow, less a final "." that ends
 * the sentence.
 */
static bool
legal_version_from_text(const char *text, char out[LEGAL_VERSION_MAX + 1])
{
	const char	*line = text;
	size_t		 len;

	while (line != NULL && *line != '\0') {
		if (strncmp(line, "Version ", 8) == 0) {
			line += 8;
			len = strspn(line, LEGAL_VERSION_CHARS);
			while (len > 0 && line[len - 1] == '.')
				len--;
			if (len == 0 || len > LEGAL_VERSION_MAX)
				return false;
			memcpy(out, line, len);
			out[len] = '\0';
			return true;
		}
		line = strchr(line, '\n');
		if (line != NULL)
			line++;
	}
	return false;
}

static void
legal_sha256_hex(const char *text, char out[65])
{
	unsigned char	digest[SHA256_DIGEST_LENGTH];
	size_t		i;

	SHA256((const unsigned char *)text, strlen(text), digest);
	for (i = 0; i < sizeof(digest); i++)
		snprintf(out + i * 2, 3, "%02x", digest[i]);
}

/*
 * Insert the document in one transaction with its audit row.  Returns 0
 * when published or already published with the same text, else -1.
 */
static int
legal_store(PGconn *conn, const char *name, const char *version,
    const char *text)
{
	const char	*params[3] = { name, version, text };
	char		 sha[65], details[160];
	PGresult	*res;

	if (!ctl_exec(conn, "BEGIN", 0, NULL, "BEGIN"))
		return -1;
	res = PQexecParams(conn, "SELECT body = $3 FROM sscn.legal_documents "
	    "WHERE kind = $1 AND version = $2 FOR UPDATE", 3, NULL, params,
	    NULL, NULL, 0);
	if (!ctl_command_ok(conn, res, "reading the published versions"))
		goto fail;
	if (PQntuples(res) == 1) {
		bool same = strcmp(PQgetvalue(res, 0, 0), "t") == 0;

		PQclear(res);
		(void)ctl_exec(conn, "ROLLBACK", 0, NULL, "ROLLBACK");
		if (same) {
			printf("%s version %s is already published with this "
			    "text\n", name, version);
			return 0;
		}
		fprintf(stderr, "sscnctl: %s version %s is already published "
		    "with another text; publish the new text under a new "
		    "version\n", name, version);
		return -1;
	}
	PQclear(res);

	legal_sha256_hex(text, sha);
	snprintf(details, sizeof(details), "{\"version\": \"%s\", "
	    "\"sha256\": \"%s\"}", version, sha);
	if (!ctl_exec(conn, "INSERT INTO sscn.legal_documents (kind, version, "
	    "body) VALUES ($1, $2, $3)", 3, params, "publishing the document") ||
	    !ctl_audit(conn, "legal.publish", name, details) ||
	    !ctl_exec(conn, "COMMIT", 0, NULL, "COMMIT")) {
		(void)ctl_exec(conn, "ROLLBACK", 0, NULL, "ROLLBACK");
		return -1;
	}
	printf("published %s version %s (sha256 %s)\n", name, version, sha);
	return 0;
fail:
	PQclear(res);
	(void)ctl_exec(conn, "ROLLBACK", 0, NULL, "ROLLBACK");
	return -1;
}

static int
legal_usage(void)
{
	fprintf(stderr, "usage: sscnctl legal publish DOCUMENT FILE "
	    "[--version V]\n"
	    "DOCUMENT is terms, privacy, cookies, nda or dpa\n");
	return CTL_EXIT_USAGE;
}

int
ctl_legal(const struct sscn_conf *conf, int argc, char **argv)
{
	char		 version[LEGAL_VERSION_MAX + 1];
	char		*text;
	PGconn		*conn;
	int		 rc = CTL_EXIT_FAIL;

	if (argc < 4 || strcmp(argv[1], "publish") != 0 ||
	    !(argc == 4 || (argc == 6 && strcmp(argv[4], "--version") == 0)))
		return legal_usage();
	if (!legal_document_known(argv[2])) {
		fprintf(stderr, "sscnctl: unknown document \"%s\"\n", argv[2]);
		return legal_usage();
	}
	if ((text = ctl_read_text(argv[3], LEGAL_FILE_MAX)) == NULL)
		return CTL_EXIT_FAIL;

	if (argc == 6) {
		if (!legal_version_valid(argv[5])) {
			fprintf(stderr, "sscnctl: version \"%s\" is invalid: use "
			    "1 to 32 of the characters 0-9 A-Z a-z . _ -\n",
			    argv[5]);
			free(text);
			return CTL_EXIT_USAGE;
		}
		snprintf(version, sizeof(version), "%s", argv[5]);
	} else if (!legal_version_from_text(text, version)) {
		fprintf(stderr, "sscnctl: %s has no line \"Version V\"; give "
		    "the version with --version\n", argv[3]);
		free(text);
		return CTL_EXIT_USAGE;
	}

	conn = ctl_connect(conf->database_owner, "database_owner");
	if (conn != NULL && legal_store(conn, argv[2], version, text) == 0)
		rc = CTL_EXIT_OK;
	PQfinish(conn);
	free(text);
	return rc;
}
