/*
 * pii_convert.c - sealing account fields in sscnctl, and the migration
 * step that encrypts the personal data of an existing database.
 *
 * Step "convert-pii" of sql/0006_field_encryption.sql runs between the
 * part that renamed the clear columns (to *_clear, with email_normalized
 * still present) and the part that drops them.  It seals each user's
 * fields under the current field key, computes the blind index of the
 * normalized address, and re-keys the failed-login counters by that index.
 * It also seals the recipient and body of every queued mail, the address
 * of every organization invitation with its blind index, and the client
 * address of every session and legal or NDA acceptance.  It runs in the
 * migration's transaction, so a failure leaves the database as it was.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "ctl/ctl.h"
#include "crypto/keys.h"
#include "crypto/pii.h"

int
ctl_user_pii_seal(const struct sscn_keys *keys, const char *user_id,
    const char *email, const char *full_name, const char *phone,
    const char *normalized, struct ctl_user_pii *out)
{
	memset(out, 0, sizeof(*out));
	out->email = pii_seal(keys, "users.email:", user_id, email);
	out->full_name = pii_seal(keys, "users.full_name:", user_id,
	    full_name);
	if (phone != NULL)
		out->phone = pii_seal(keys, "users.phone:", user_id, phone);
	if (out->email == NULL || out->full_name == NULL ||
	    (phone != NULL && out->phone == NULL) ||
	    pii_email_index(keys, normalized, out->email_index,
	    sizeof(out->email_index)) == -1) {
		ctl_user_pii_free(out);
		fprintf(stderr, "sscnctl: could not encrypt the fields of "
		    "user %s\n", user_id);
		return -1;
	}
	return 0;
}

void
ctl_user_pii_free(struct ctl_user_pii *pii)
{
	free(pii->email);
	free(pii->full_name);
	free(pii->phone);
	memset(pii, 0, sizeof(*pii));
}

static int
ctl_result_ok(PGresult *res, const char *what)
{
	if (PQresultStatus(res) == PGRES_COMMAND_OK ||
	    PQresultStatus(res) == PGRES_TUPLES_OK)
		return 1;
	fprintf(stderr, "sscnctl: %s failed: %s", what,
	    PQresultErrorMessage(res));
	return 0;
}

static int
ctl_convert_users(PGconn *conn, const struct sscn_keys *keys)
{
	struct ctl_user_pii	 pii;
	PGresult		*res, *upd;
	const char		*params[5];
	int			 i, n, ok;

	res = PQexec(conn, "SELECT id::text, email_clear, full_name_clear, "
	    "phone_clear, email_normalized FROM sscn.users ORDER BY id");
	if (!ctl_result_ok(res, "reading the users")) {
		PQclear(res);
		return -1;
	}
	n = PQntuples(res);
	for (i = 0; i < n; i++) {
		const char *id = PQgetvalue(res, i, 0);

		if (ctl_user_pii_seal(keys, id, PQgetvalue(res, i, 1),
		    PQgetvalue(res, i, 2), PQgetisnull(res, i, 3) ? NULL :
		    PQgetvalue(res, i, 3), PQgetvalue(res, i, 4), &pii) == -1) {
			PQclear(res);
			return -1;
		}
		params[0] = id;
		params[1] = pii.email;
		params[2] = pii.full_name;
		params[3] = pii.phone;
		params[4] = pii.email_index;
		upd = PQexecParams(conn, "UPDATE sscn.users SET "
		    "email = $2::bytea, full_name = $3::bytea, "
		    "phone = $4::bytea, email_index = $5::bytea "
		    "WHERE id = $1::uuid", 5, NULL, params, NULL, NULL, 0);
		ok = ctl_result_ok(upd, "encrypting a user");
		PQclear(upd);
		ctl_user_pii_free(&pii);
		if (!ok) {
			PQclear(res);
			return -1;
		}
	}
	PQclear(res);
	printf("encrypted the personal data of %d users\n", n);
	return 0;
}

static int
ctl_convert_lockouts(PGconn *conn, const struct sscn_keys *keys)
{
	PGresult	*res, *upd;
	char		 index[PII_INDEX_HEX_SIZE];
	const char	*params[2];
	int		 i, n, ok;

	res = PQexec(conn, "SELECT email_normalized FROM sscn.login_lockouts");
	if (!ctl_result_ok(res, "reading the login lockouts")) {
		PQclear(res);
		return -1;
	}
	n = PQntuples(res);
	for (i = 0; i < n; i++) {
		if (pii_email_index(keys, PQgetvalue(res, i, 0), index,
		    sizeof(index)) == -1) {
			PQclear(res);
			return -1;
		}
		params[0] = PQgetvalue(res, i, 0);
		params[1] = index;
		upd = PQexecParams(conn, "UPDATE sscn.login_lockouts SET "
		    "email_index = $2::bytea WHERE email_normalized = $1",
		    2, NULL, params, NULL, NULL, 0);
		ok = ctl_result_ok(upd, "re-keying a login lockout");
		PQclear(upd);
		if (!ok) {
			PQclear(res);
			return -1;
		}
	}
	PQclear(res);
	return 0;
}

static int
ctl_convert_invitations(PGconn *conn, const struct sscn_keys *keys)
{
	PGresult	*res, *upd;
	const char	*params[3];
	char		 index[PII_INDEX_HEX_SIZE];
	char		*email;
	int		 i, n, ok;

	res = PQexec(conn, "SELECT id::text, email_clear "
	    "FROM sscn.org_invitations");
	if (!ctl_result_ok(res, "reading the invitations")) {
		PQclear(res);
		return -1;
	}
	n = PQntuples(res);
	for (i = 0; i < n; i++) {
		params[0] = PQgetvalue(res, i, 0);
		email = pii_seal(keys, "org_invitations.email:", params[0],
		    PQgetvalue(res, i, 1));
		ok = email != NULL && pii_email_index(keys,
		    PQgetvalue(res, i, 1), index, sizeof(index)) == 0;
		if (ok) {
			params[1] = email;
			params[2] = index;
			upd = PQexecParams(conn, "UPDATE sscn.org_invitations "
			    "SET email = $2::bytea, email_index = $3::bytea "
			    "WHERE id = $1::uuid", 3, NULL, params, NULL, NULL,
			    0);
			ok = ctl_result_ok(upd, "encrypting an invitation");
			PQclear(upd);
		} else
			fprintf(stderr, "sscnctl: could not encrypt an "
			    "invitation\n");
		free(email);
		if (!ok) {
			PQclear(res);
			return -1;
		}
	}
	PQclear(res);
	printf("encrypted the addresses of %d invitations\n", n);
	return 0;
}

static int
ctl_convert_outbox(PGconn *conn, const struct sscn_keys *keys)
{
	PGresult	*res, *upd;
	const char	*params[3];
	char		*recipient, *body;
	int		 i, n, ok;

	res = PQexec(conn, "SELECT seal_id::text, recipient_clear, body_clear "
	    "FROM sscn.mail_outbox ORDER BY id");
	if (!ctl_result_ok(res, "reading the mail outbox")) {
		PQclear(res);
		return -1;
	}
	n = PQntuples(res);
	for (i = 0; i < n; i++) {
		params[0] = PQgetvalue(res, i, 0);
		recipient = pii_seal(keys, "mail_outbox.recipient:", params[0],
		    PQgetvalue(res, i, 1));
		body = pii_seal(keys, "mail_outbox.body:", params[0],
		    PQgetvalue(res, i, 2));
		ok = recipient != NULL && body != NULL;
		if (ok) {
			params[1] = recipient;
			params[2] = body;
			upd = PQexecParams(conn, "UPDATE sscn.mail_outbox SET "
			    "recipient = $2::bytea, body = $3::bytea "
			    "WHERE seal_id = $1::uuid", 3, NULL, params, NULL,
			    NULL, 0);
			ok = ctl_result_ok(upd, "encrypting a queued mail");
			PQclear(upd);
		} else
			fprintf(stderr, "sscnctl: could not encrypt a queued "
			    "mail\n");
		free(recipient);
		free(body);
		if (!ok) {
			PQclear(res);
			return -1;
		}
	}
	PQclear(res);
	printf("encrypted the recipients and bodies of %d mails\n", n);
	return 0;
}

/*
 * Seal the text of "clear_sql" (an SQL expression over the row, NULL
 * skipped) into "column" of every row of "table", bound to "key_sql".
 * All names are constants of this file.
 */
static int
ctl_convert_column(PGconn *conn, const struct sscn_keys *keys,
    const char *table, const char *key_sql, const char *clear_sql,
    const char *column, const char *aad_prefix)
{
	char		 select[512], update[512];
	const char	*params[2];
	PGresult	*res, *upd;
	char		*sealed;
	int		 i, n, ok;

	snprintf(select, sizeof(select), "SELECT (%s)::text, %s FROM %s "
	    "WHERE %s IS NOT NULL", key_sql, clear_sql, table, clear_sql);
	snprintf(update, sizeof(update), "UPDATE %s SET %s = $2::bytea "
	    "WHERE (%s)::text = $1", table, column, key_sql);
	res = PQexec(conn, select);
	if (!ctl_result_ok(res, "reading the clear values")) {
		PQclear(res);
		return -1;
	}
	n = PQntuples(res);
	for (i = 0; i < n; i++) {
		params[0] = PQgetvalue(res, i, 0);
		sealed = pii_seal(keys, aad_prefix, params[0],
		    PQgetvalue(res, i, 1));
		if (sealed == NULL) {
			fprintf(stderr, "sscnctl: could not encrypt %s.%s\n",
			    table, column);
			PQclear(res);
			return -1;
		}
		params[1] = sealed;
		upd = PQexecParams(conn, update, 2, NULL, params, NULL, NULL, 0);
		ok = ctl_result_ok(upd, "encrypting a value");
		PQclear(upd);
		free(sealed);
		if (!ok) {
			PQclear(res);
			return -1;
		}
	}
	PQclear(res);
	printf("encrypted %d values of %s.%s\n", n, table, column);
	return 0;
}

int
ctl_migration_step(PGconn *conn, const struct sscn_conf *conf,
    const char *file, const char *step)
{
	struct sscn_keys	*keys = NULL;
	int			 rc = -1;

	if (strcmp(step, "convert-pii") != 0) {
		fprintf(stderr, "sscnctl: %s names the unknown step \"%s\"\n",
		    file, step);
		return -1;
	}
	if (ctl_load_keys(conf, &keys) == -1)
		return -1;
	if (ctl_convert_users(conn, keys) == 0 &&
	    ctl_convert_lockouts(conn, keys) == 0 &&
	    ctl_convert_outbox(conn, keys) == 0 &&
	    ctl_convert_invitations(conn, keys) == 0 &&
	    ctl_convert_column(conn, keys, "sscn.sessions", "id",
	    "host(address_clear)", "address", "sessions.address:") == 0 &&
	    ctl_convert_column(conn, keys, "sscn.legal_acceptances",
	    PII_LEGAL_ACCEPTANCE_KEY, "host(address_clear)", "address",
	    "legal_acceptances.address:") == 0 &&
	    ctl_convert_column(conn, keys, "sscn.nda_acceptances",
	    PII_NDA_ACCEPTANCE_KEY, "host(address_clear)", "address",
	    "nda_acceptances.address:") == 0)
		rc = 0;
	keys_free(keys);
	return rc;
}
