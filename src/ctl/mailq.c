/*
 * mailq.c - "sscnctl mailq [--json]": the mail outbox, as an operator
 * reads a mail queue.
 *
 * Lists recipient, subject and state of every message, newest last, and
 * the body of messages still queued (once sent, a body is the mail
 * server's business).  Queued bodies can hold verification and reset
 * links, so the output is for the operator's terminal only.  Recipient and
 * body are decrypted with the key file; a message that does not decrypt
 * stops the listing with an error.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>
#include <libpq-fe.h>

#include "ctl/ctl.h"
#include "crypto/keys.h"
#include "crypto/pii.h"

int
ctl_mailq(const struct sscn_conf *conf, int argc, char **argv)
{
	struct json_object	*array = NULL;
	struct sscn_keys	*keys = NULL;
	PGconn			*conn;
	PGresult		*res = NULL;
	char			*recipient = NULL, *body = NULL;
	bool			 json = false;
	int			 i, rc = CTL_EXIT_FAIL;

	if (argc == 2 && strcmp(argv[1], "--json") == 0)
		json = true;
	else if (argc != 1) {
		fprintf(stderr, "usage: sscnctl mailq [--json]\n");
		return CTL_EXIT_USAGE;
	}

	conn = ctl_connect(conf->database_owner, "database_owner");
	if (conn == NULL)
		return CTL_EXIT_FAIL;
	if (ctl_load_keys(conf, &keys) == -1)
		goto out;
	res = PQexec(conn, "SELECT id, to_char(created_at AT TIME ZONE 'UTC', "
	    "'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), state, recipient, subject, "
	    "template, CASE WHEN state = 'queued' THEN body END, "
	    "seal_id::text FROM sscn.mail_outbox ORDER BY id");
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		fprintf(stderr, "sscnctl: could not read the mail outbox: %s",
		    PQresultErrorMessage(res));
		goto out;
	}

	if (json)
		array = json_object_new_array();
	for (i = 0; i < PQntuples(res); i++) {
		pii_free(recipient);
		pii_free(body);
		recipient = body = NULL;
		if (pii_open(keys, "mail_outbox.recipient:",
		    PQgetvalue(res, i, 7), PQgetvalue(res, i, 3),
		    &recipient) != FIELDCRYPT_OK ||
		    (!PQgetisnull(res, i, 6) && pii_open(keys,
		    "mail_outbox.body:", PQgetvalue(res, i, 7),
		    PQgetvalue(res, i, 6), &body) != FIELDCRYPT_OK)) {
			fprintf(stderr, "sscnctl: mail %s does not decrypt\n",
			    PQgetvalue(res, i, 0));
			goto out;
		}
		if (json) {
			struct json_object *m = json_object_new_object();

			json_object_object_add(m, "id", json_object_new_int64(
			    strtoll(PQgetvalue(res, i, 0), NULL, 10)));
			json_object_object_add(m, "created_at",
			    json_object_new_string(PQgetvalue(res, i, 1)));
			json_object_object_add(m, "state",
			    json_object_new_string(PQgetvalue(res, i, 2)));
			json_object_object_add(m, "recipient",
			    json_object_new_string(recipient));
			json_object_object_add(m, "subject",
			    json_object_new_string(PQgetvalue(res, i, 4)));
			json_object_object_add(m, "template",
			    json_object_new_string(PQgetvalue(res, i, 5)));
			json_object_object_add(m, "body", body == NULL ?
			    NULL : json_object_new_string(body));
			json_object_array_add(array, m);
			continue;
		}
		printf("%s  %s  %-6s  %s  %s\n", PQgetvalue(res, i, 0),
		    PQgetvalue(res, i, 1), PQgetvalue(res, i, 2), recipient,
		    PQgetvalue(res, i, 4));
		if (body != NULL)
			printf("\n%s\n", body);
	}
	if (json)
		printf("%s\n", json_object_to_json_string_ext(array,
		    JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
	else if (PQntuples(res) == 0)
		printf("mail outbox is empty\n");
	rc = CTL_EXIT_OK;
out:
	pii_free(recipient);
	pii_free(body);
	keys_free(keys);
	json_object_put(array);
	PQclear(res);
	PQfinish(conn);
	return rc;
}
