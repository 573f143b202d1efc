/*
 * users.c - "sscnctl create-admin EMAIL" and "sscnctl import-users FILE".
 *
 * Both run as the schema owner and write their audit rows in the same
 * transaction as the accounts.  create-admin makes a platform admin with
 * no password and prints a one-time set-up link (a password reset token
 * valid for 24 hours); the admin then chooses a password and, at the
 * first login, must enrol in MFA.  import-users loads accounts exported
 * by the former platform with their bcrypt hashes, which sscnd verifies
 * and upgrades to Argon2id at each user's next login.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>
#include <sodium.h>

#include "ctl/ctl.h"
#include "auth/email.h"
#include "auth/token.h"
#include "crypto/keys.h"

/* Lifetime of the first admin's set-up link. */
#define CTL_SETUP_TTL "86400"
/* Longest CSV line of an import file. */
#define CTL_CSV_LINE_MAX 4096

bool
ctl_command_ok(PGconn *conn, PGresult *res, const char *what)
{
	ExecStatusType status = PQresultStatus(res);

	if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK)
		return true;
	fprintf(stderr, "sscnctl: %s failed: %s", what,
	    PQresultErrorMessage(res));
	(void)conn;
	return false;
}

bool
ctl_exec(PGconn *conn, const char *sql, int n, const char *const *params,
    const char *what)
{
	PGresult	*res = PQexecParams(conn, sql, n, NULL, params, NULL,
			    NULL, 0);
	bool		 ok = ctl_command_ok(conn, res, what);

	PQclear(res);
	return ok;
}

bool
ctl_audit(PGconn *conn, const char *action, const char *target,
    const char *details)
{
	const char *params[3] = { action, target, details };

	return ctl_exec(conn, "INSERT INTO sscn.audit_log (action, target, "
	    "result, user_agent, details) VALUES ($1, $2, 'success', "
	    "'sscnctl', $3::jsonb)", 3, params, "writing the audit row");
}

int
ctl_create_admin(const struct sscn_conf *conf, int argc, char **argv)
{
	char		 normalized[EMAIL_MAX * 3 + 1];
	char		 user_id[37];
	char		 token[TOKEN_TEXT_LEN + 1];
	char		 hash_hex[TOKEN_HASH_HEX];
	const char	*name = "Platform administrator";
	const char	*params[5];
	struct sscn_keys *keys = NULL;
	struct ctl_user_pii pii;
	PGconn		*conn;
	PGresult	*res;
	int		 rc = CTL_EXIT_FAIL;

	if (argc == 4 && strcmp(argv[2], "--name") == 0)
		name = argv[3];
	else if (argc != 2) {
		fprintf(stderr, "usage: sscnctl create-admin EMAIL "
		    "[--name NAME]\n");
		return CTL_EXIT_USAGE;
	}
	if (email_normalize(argv[1], normalized, sizeof(normalized)) == -1) {
		fprintf(stderr, "sscnctl: \"%s\" is not a valid e-mail address\n",
		    argv[1]);
		return CTL_EXIT_USAGE;
	}
	if (sodium_init() < 0) {
		fprintf(stderr, "sscnctl: libsodium could not initialise\n");
		return CTL_EXIT_FAIL;
	}

	if (ctl_load_keys(conf, &keys) == -1)
		return CTL_EXIT_FAIL;
	token_random_uuid(user_id);
	if (ctl_user_pii_seal(keys, user_id, argv[1], name, NULL, normalized,
	    &pii) == -1) {
		keys_free(keys);
		return CTL_EXIT_FAIL;
	}
	keys_free(keys);

	conn = ctl_connect(conf->database_owner, "database_owner");
	if (conn == NULL) {
		ctl_user_pii_free(&pii);
		return CTL_EXIT_FAIL;
	}
	if (!ctl_exec(conn, "BEGIN", 0, NULL, "BEGIN"))
		goto out;

	params[0] = user_id;
	params[1] = pii.email_index;
	params[2] = pii.email;
	params[3] = pii.full_name;
	res = PQexecParams(conn, "INSERT INTO sscn.users (id, email_index, "
	    "email, full_name, is_admin, email_verified_at) VALUES ($1, "
	    "$2::bytea, $3::bytea, $4::bytea, true, now()) "
	    "ON CONFLICT (email_index) DO NOTHING RETURNING id", 4, NULL,
	    params, NULL, NULL, 0);
	if (!ctl_command_ok(conn, res, "creating the admin")) {
		PQclear(res);
		goto rollback;
	}
	if (PQntuples(res) != 1) {
		PQclear(res);
		fprintf(stderr, "sscnctl: an account with the address %s "
		    "already exists\n", argv[1]);
		goto rollback;
	}
	PQclear(res);

	token_generate(token, hash_hex);
	params[0] = hash_hex;
	params[1] = user_id;
	params[2] = CTL_SETUP_TTL;
	if (!ctl_exec(conn, "INSERT INTO sscn.user_tokens (token_hash, user_id, "
	    "purpose, expires_at) VALUES ($1::bytea, $2, 'password_reset', "
	    "now() + make_interval(secs => $3::int))", 3, params,
	    "creating the set-up token") ||
	    !ctl_audit(conn, "admin.create", user_id, "{\"via\": \"sscnctl\"}") ||
	    !ctl_exec(conn, "COMMIT", 0, NULL, "COMMIT"))
		goto rollback;

	printf("created platform admin %s (%s)\n"
	    "one-time set-up link, valid for 24 hours:\n"
	    "%s/reset-password#token=%s\n", argv[1], user_id, conf->base_url,
	    token);
	sodium_memzero(token, sizeof(token));
	rc = CTL_EXIT_OK;
	goto out;

rollback:
	(void)ctl_exec(conn, "ROLLBACK", 0, NULL, "ROLLBACK");
out:
	ctl_user_pii_free(&pii);
	PQfinish(conn);
	return rc;
}

/*
 * Split one CSV line (RFC 4180: fields in double quotes may hold commas
 * and doubled quotes) into at most "max" fields, in place.  Returns the
 * number of fields or -1 for a malformed line.
 */
static int
ctl_csv_split(char *line, char **fields, int max)
{
	char	*in = line, *out = line;
	int	 n = 0;

	for (;;) {
		if (n == max)
			return -1;
		fields[n++] = out;
		if (*in == '"') {
			for (in++;; in++) {
				if (*in == '\0')
					return -1;
				if (*in == '"' && in[1] == '"')
					*out++ = *in++;
				else if (*in == '"')
					break;
				else
					*out++ = *in;
			}
			in++;
			if (*in != ',' && *in != '\0')
				return -1;
		} else {
			while (*in != ',' && *in != '\0')
				*out++ = *in++;
		}
		if (*in == '\0') {
			*out = '\0';
			return n;
		}
		*out++ = '\0';
		in++;
	}
}

static bool
ctl_hash_supported(const char *hash)
{
	return strncmp(hash, "$2a$", 4) == 0 || strncmp(hash, "$2b$", 4) == 0 ||
	    strncmp(hash, "$2y$", 4) == 0 || strncmp(hash, "$argon2id$", 10) == 0;
}

int
ctl_import_users(const struct sscn_conf *conf, int argc, char **argv)
{
	char		 line[CTL_CSV_LINE_MAX];
	char		 normalized[EMAIL_MAX * 3 + 1];
	char		 user_id[37];
	char		 details[64];
	char		*fields[4];
	const char	*params[5];
	struct sscn_keys *keys = NULL;
	struct ctl_user_pii pii;
	FILE		*f;
	PGconn		*conn = NULL;
	PGresult	*res;
	unsigned	 lineno = 0, imported = 0, skipped = 0;
	int		 n, rc = CTL_EXIT_FAIL;

	if (argc != 2) {
		fprintf(stderr, "usage: sscnctl import-users FILE.csv\n");
		return CTL_EXIT_USAGE;
	}
	f = fopen(argv[1], "re");
	if (f == NULL) {
		fprintf(stderr, "sscnctl: could not open %s: %s\n", argv[1],
		    strerror(errno));
		return CTL_EXIT_FAIL;
	}

	/* The header names the columns, so a wrong export fails at once. */
	if (fgets(line, sizeof(line), f) == NULL ||
	    strncmp(line, "email,full_name,password_hash", 29) != 0 ||
	    (line[29] != '\n' && line[29] != '\r' && line[29] != '\0')) {
		fprintf(stderr, "sscnctl: %s:1: expected the header "
		    "\"email,full_name,password_hash\"\n", argv[1]);
		goto out;
	}
	lineno = 1;

	if (ctl_load_keys(conf, &keys) == -1)
		goto out;
	conn = ctl_connect(conf->database_owner, "database_owner");
	if (conn == NULL || !ctl_exec(conn, "BEGIN", 0, NULL, "BEGIN"))
		goto out;

	while (fgets(line, sizeof(line), f) != NULL) {
		size_t len = strlen(line);

		lineno++;
		if (len > 0 && line[len - 1] != '\n' && !feof(f)) {
			fprintf(stderr, "sscnctl: %s:%u: line longer than %d "
			    "bytes\n", argv[1], lineno, CTL_CSV_LINE_MAX - 1);
			goto rollback;
		}
		while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
			line[--len] = '\0';
		if (len == 0)
			continue;

		n = ctl_csv_split(line, fields, 4);
		if (n != 3) {
			fprintf(stderr, "sscnctl: %s:%u: expected 3 fields\n",
			    argv[1], lineno);
			goto rollback;
		}
		if (email_normalize(fields[0], normalized,
		    sizeof(normalized)) == -1 || *fields[1] == '\0' ||
		    !ctl_hash_supported(fields[2])) {
			fprintf(stderr, "sscnctl: %s:%u: invalid e-mail, empty "
			    "name or a hash that is neither bcrypt nor "
			    "Argon2id\n", argv[1], lineno);
			goto rollback;
		}

		token_random_uuid(user_id);
		if (ctl_user_pii_seal(keys, user_id, fields[0], fields[1],
		    NULL, normalized, &pii) == -1)
			goto rollback;
		params[0] = user_id;
		params[1] = pii.email_index;
		params[2] = pii.email;
		params[3] = pii.full_name;
		params[4] = fields[2];
		res = PQexecParams(conn, "INSERT INTO sscn.users (id, "
		    "email_index, email, full_name, password_hash, "
		    "email_verified_at) VALUES ($1, $2::bytea, $3::bytea, "
		    "$4::bytea, $5, now()) "
		    "ON CONFLICT (email_index) DO NOTHING RETURNING id",
		    5, NULL, params, NULL, NULL, 0);
		ctl_user_pii_free(&pii);
		if (!ctl_command_ok(conn, res, "importing a user")) {
			fprintf(stderr, "sscnctl: at %s:%u\n", argv[1], lineno);
			PQclear(res);
			goto rollback;
		}
		if (PQntuples(res) == 1)
			imported++;
		else
			skipped++;
		PQclear(res);
	}

	snprintf(details, sizeof(details), "{\"imported\": %u, \"skipped\": %u}",
	    imported, skipped);
	if (!ctl_audit(conn, "user.import", argv[1], details) ||
	    !ctl_exec(conn, "COMMIT", 0, NULL, "COMMIT"))
		goto rollback;
	printf("imported %u users, skipped %u whose address already has an "
	    "account\n", imported, skipped);
	rc = CTL_EXIT_OK;
	goto out;

rollback:
	(void)ctl_exec(conn, "ROLLBACK", 0, NULL, "ROLLBACK");
	fprintf(stderr, "sscnctl: nothing was imported\n");
out:
	explicit_bzero(line, sizeof(line));
	keys_free(keys);
	if (conn != NULL)
		PQfinish(conn);
	fclose(f);
	return rc;
}
