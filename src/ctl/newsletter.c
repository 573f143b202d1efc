/*
 * newsletter.c - "sscnctl newsletter SUBJECT FILE": queue one marketing
 * mail to every user who opted in.
 *
 * Recipients are the users with marketing_emails on, a verified address
 * and no admin lock.  Each mail gets its own unsubscribe token (only its
 * SHA-256 is stored) and carries the RFC 8058 headers List-Unsubscribe,
 * with the HTTPS URL of POST /api/v1/unsubscribe, and
 * List-Unsubscribe-Post: List-Unsubscribe=One-Click; the same link ends
 * the body.  Everything is queued in one transaction with one audit row,
 * so a failure queues nothing.  The outbox's trigger drops a mail to a
 * user who is not opted in whatever queues it; such drops are counted as
 * skipped.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>
#include <libpq-fe.h>
#include <sodium.h>

#include "ctl/ctl.h"
#include "mail_templates.h"
#include "auth/token.h"
#include "crypto/keys.h"
#include "crypto/pii.h"

/* Maximum size of the body file, in bytes. */
#define NEWSLETTER_BODY_MAX	(256 * 1024)
#define NEWSLETTER_SUBJECT_MAX	200

/*
 * Render the "newsletter" template with the operator's "subject" and
 * "text" and the unsubscribe link "url" into "*rendered_subject" and
 * "*rendered_body".  Returns false after printing the error.
 */
static bool
newsletter_render(const char *subject, const char *text, const char *url,
    char **rendered_subject, char **rendered_body)
{
	const struct mail_value	 values[] = {
		{ "subject", subject },
		{ "text", text },
		{ "unsubscribe_link", url },
		{ NULL, NULL }
	};
	char			 reason[160];

	if (mail_template_render("newsletter", values, rendered_subject,
	    rendered_body, reason, sizeof(reason)) != SSCN_OK) {
		fprintf(stderr, "sscnctl: %s\n", reason);
		return false;
	}
	return true;
}

/*
 * Queue the mail for one user with a new unsubscribe token.  Sets
 * "*queued" to whether the outbox kept it.  Returns false on an error.
 */
static bool
newsletter_queue_one(PGconn *conn, const struct sscn_conf *conf,
    const struct sscn_keys *keys, const char *user_id, const char *recipient,
    const char *subject, const char *body, bool *queued)
{
	struct json_object	*headers, *secret_headers;
	char			 token[TOKEN_TEXT_LEN + 1];
	char			 hash_hex[TOKEN_HASH_HEX];
	char			 seal_id[37];
	char			*url = NULL, *header = NULL, *text = NULL;
	char			*rendered_subject = NULL;
	char			*sealed_recipient = NULL, *sealed_body = NULL;
	char			*sealed_headers = NULL;
	const char		*params[7];
	PGresult		*res = NULL;
	bool			 ok = false;

	token_generate(token, hash_hex);
	if (asprintf(&url, "%s/api/v1/unsubscribe?token=%s", conf->base_url,
	    token) == -1 || asprintf(&header, "<%s>", url) == -1) {
		fprintf(stderr, "sscnctl: out of memory\n");
		goto out;
	}
	if (!newsletter_render(subject, body, url, &rendered_subject, &text))
		goto out;
	/* The link holds the token, so its header is sealed like the body. */
	headers = json_object_new_object();
	json_object_object_add(headers, "List-Unsubscribe-Post",
	    json_object_new_string("List-Unsubscribe=One-Click"));
	secret_headers = json_object_new_object();
	json_object_object_add(secret_headers, "List-Unsubscribe",
	    json_object_new_string(header));

	params[0] = hash_hex;
	params[1] = user_id;
	if (!ctl_exec(conn, "INSERT INTO sscn.unsubscribe_tokens (token_hash, "
	    "user_id) VALUES ($1::bytea, $2::uuid)", 2, params,
	    "storing the unsubscribe token")) {
		json_object_put(headers);
		json_object_put(secret_headers);
		goto out;
	}
	/* Recipient and body are sealed to a row key chosen here. */
	token_random_uuid(seal_id);
	sealed_recipient = pii_seal(keys, "mail_outbox.recipient:", seal_id,
	    recipient);
	sealed_body = pii_seal(keys, "mail_outbox.body:", seal_id, text);
	sealed_headers = pii_seal(keys, "mail_outbox.headers_sealed:", seal_id,
	    json_object_to_json_string_ext(secret_headers,
	    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(secret_headers);
	if (sealed_recipient == NULL || sealed_body == NULL ||
	    sealed_headers == NULL) {
		fprintf(stderr, "sscnctl: encrypting the mail for user %s "
		    "failed\n", user_id);
		json_object_put(headers);
		goto out;
	}
	params[0] = sealed_recipient;
	params[1] = rendered_subject;
	params[2] = sealed_body;
	params[3] = user_id;
	params[4] = json_object_to_json_string_ext(headers,
	    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
	params[5] = seal_id;
	params[6] = sealed_headers;
	res = PQexecParams(conn, "INSERT INTO sscn.mail_outbox (recipient, "
	    "subject, body, template, user_id, category, headers, seal_id, "
	    "headers_sealed) VALUES ($1::bytea, $2, $3::bytea, 'newsletter', "
	    "$4::uuid, 'marketing', $5::jsonb, $6::uuid, $7::bytea) "
	    "RETURNING id", 7, NULL, params, NULL, NULL, 0);
	json_object_put(headers);
	if (!ctl_command_ok(conn, res, "queueing the mail"))
		goto out;
	*queued = PQntuples(res) == 1;
	ok = true;
out:
	PQclear(res);
	sodium_memzero(token, sizeof(token));
	if (url != NULL)
		sodium_memzero(url, strlen(url));
	free(url);
	free(header);
	mail_text_free(rendered_subject);
	mail_text_free(text);
	free(sealed_recipient);
	free(sealed_body);
	free(sealed_headers);
	return ok;
}

int
ctl_newsletter(const struct sscn_conf *conf, int argc, char **argv)
{
	const char	*subject;
	struct sscn_keys *keys = NULL;
	char		*body, *recipient, escaped[NEWSLETTER_SUBJECT_MAX * 6];
	char		 details[sizeof(escaped) + 64];
	PGconn		*conn = NULL;
	PGresult	*res = NULL;
	int		 i, queued = 0, skipped = 0, rc = CTL_EXIT_FAIL;
	bool		 kept;

	if (argc != 3) {
		fprintf(stderr, "usage: sscnctl newsletter SUBJECT FILE\n");
		return CTL_EXIT_USAGE;
	}
	subject = argv[1];
	if (*subject == '\0' || strlen(subject) > NEWSLETTER_SUBJECT_MAX ||
	    strpbrk(subject, "\r\n") != NULL ||
	    !utf8_valid((const unsigned char *)subject, strlen(subject))) {
		fprintf(stderr, "sscnctl: the subject must be 1 to %d bytes of "
		    "UTF-8 on one line\n", NEWSLETTER_SUBJECT_MAX);
		return CTL_EXIT_USAGE;
	}
	/* RFC 8058 requires an HTTPS URI in List-Unsubscribe. */
	if (conf->base_url == NULL ||
	    strncmp(conf->base_url, "https://", 8) != 0) {
		fprintf(stderr, "sscnctl: base_url in the configuration file "
		    "must be an https:// URL for the unsubscribe link\n");
		return CTL_EXIT_FAIL;
	}
	if (sodium_init() < 0) {
		fprintf(stderr, "sscnctl: libsodium could not initialise\n");
		return CTL_EXIT_FAIL;
	}
	if ((body = ctl_read_text(argv[2], NEWSLETTER_BODY_MAX)) == NULL)
		return CTL_EXIT_FAIL;
	if (ctl_load_keys(conf, &keys) == -1) {
		free(body);
		return CTL_EXIT_FAIL;
	}

	conn = ctl_connect(conf->database_owner, "database_owner");
	if (conn == NULL || !ctl_exec(conn, "BEGIN", 0, NULL, "BEGIN"))
		goto out;
	res = PQexec(conn, "SELECT u.id::text, u.email FROM sscn.users u "
	    "JOIN sscn.user_preferences p ON p.user_id = u.id "
	    "WHERE p.marketing_emails AND u.email_verified_at IS NOT NULL "
	    "AND u.admin_locked_at IS NULL ORDER BY u.id");
	if (!ctl_command_ok(conn, res, "reading the recipients"))
		goto rollback;
	for (i = 0; i < PQntuples(res); i++) {
		const char	*user_id = PQgetvalue(res, i, 0);
		bool		 queued_one;

		if (pii_open(keys, "users.email:", user_id,
		    PQgetvalue(res, i, 1), &recipient) != FIELDCRYPT_OK) {
			fprintf(stderr, "sscnctl: the e-mail address of user "
			    "%s does not decrypt\n", user_id);
			goto rollback;
		}
		queued_one = newsletter_queue_one(conn, conf, keys, user_id,
		    recipient, subject, body, &kept);
		pii_free(recipient);
		if (!queued_one)
			goto rollback;
		if (kept)
			queued++;
		else
			skipped++;
	}

	{
		struct json_object *s = json_object_new_string(subject);

		snprintf(escaped, sizeof(escaped), "%s",
		    json_object_to_json_string_ext(s, JSON_C_TO_STRING_PLAIN));
		json_object_put(s);
	}
	snprintf(details, sizeof(details), "{\"subject\": %s, \"queued\": %d, "
	    "\"skipped\": %d}", escaped, queued, skipped);
	if (!ctl_audit(conn, "newsletter.queue", NULL, details) ||
	    !ctl_exec(conn, "COMMIT", 0, NULL, "COMMIT"))
		goto rollback;
	printf("marketing mail queued: %d, skipped because not opted in: "
	    "%d\n", queued, skipped);
	rc = CTL_EXIT_OK;
	goto out;
rollback:
	(void)ctl_exec(conn, "ROLLBACK", 0, NULL, "ROLLBACK");
out:
	PQclear(res);
	PQfinish(conn);
	free(body);
	keys_free(keys);
	return rc;
}
