/*
 * mail_send.c - "sscnctl mail-send [--once | --loop | --requeue ID]":
 * deliver the mail outbox over SMTP with libcurl.
 *
 * One message at a time: sscn.mail_outbox_claim_next() marks the oldest
 * due row 'sending' and commits, the SMTP transaction runs, and the row
 * becomes 'sent'.  A sender that dies between the two leaves the row in
 * 'sending'; the next sender to start moves it to 'review' and never
 * sends it by itself, because the server may have accepted it already
 * (sql/0011_mail.sql).  --requeue ID puts a 'review' or 'failed' row back
 * in the queue after an operator checked it.
 *
 * A 5xx reply to MAIL, RCPT or DATA marks the row 'failed'.  Anything
 * else that goes wrong (no connection, a timeout, a 4xx reply, no
 * STARTTLS, rejected credentials) is temporary: the row goes back to
 * 'queued' with next_attempt_at mail_retry_delay seconds later, doubled
 * per attempt up to mail_retry_delay_max, until mail_max_attempts.
 *
 * Logs name the outbox id, never the recipient, subject or body, and
 * keep the SMTP reply code but not its text, which often quotes the
 * address.  The SMTP password is read from smtp_password_file and never
 * logged.
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <json-c/json.h>
#include <libpq-fe.h>
#include <sodium.h>

#include "ctl/ctl.h"
#include "crypto/keys.h"
#include "crypto/pii.h"
#include "mail_message.h"

/* First key of the senders' session advisory locks: "SSCN" in ASCII. */
#define MAIL_LOCK_CLASS		"1397965646"
#define MAIL_PASSWORD_MAX	1024
#define MAIL_ERROR_MAX		200

enum mail_result {
	MAIL_SENT,
	MAIL_TEMPORARY,		/* try again later */
	MAIL_PERMANENT		/* never send */
};

struct mail_sender {
	const struct sscn_conf	*conf;
	struct sscn_keys	*keys;
	char			*password;	/* NULL: no authentication */
	PGconn			*conn;
	char			 id[24];	/* this run's sender_id */
	unsigned		 sent, failed, deferred;
};

static volatile sig_atomic_t mail_stop;

static void
mail_on_signal(int sig)
{
	(void)sig;
	mail_stop = 1;
}

/* Stop on SIGTERM or SIGINT after the message in progress. */
static void
mail_catch_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = mail_on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
}

/* Sleep "seconds", or less when a stop signal arrives. */
static void
mail_sleep(unsigned seconds)
{
	unsigned i;

	for (i = 0; i < seconds * 10 && !mail_stop; i++)
		usleep(100000);
}

/*
 * Connect as database_maintenance, take this sender's advisory lock and
 * move the rows of dead senders to 'review'.  Returns false after
 * logging why.
 */
static bool
mail_connect(struct mail_sender *s)
{
	const char	*params[1];
	PGresult	*res;
	int64_t		 id;

	if ((s->conn = ctl_connect(s->conf->database_maintenance,
	    "database_maintenance")) == NULL)
		return false;

	/* A new id per connection: the lock lives as long as the session. */
	randombytes_buf(&id, sizeof(id));
	snprintf(s->id, sizeof(s->id), "%" PRId64, id);
	params[0] = s->id;
	res = PQexecParams(s->conn, "SELECT pg_advisory_lock("
	    MAIL_LOCK_CLASS ", hashint8($1::bigint))", 1, NULL, params, NULL,
	    NULL, 0);
	if (!ctl_command_ok(s->conn, res, "taking the sender lock"))
		goto fail;
	PQclear(res);

	res = PQexec(s->conn, "SELECT sscn.mail_outbox_recover()");
	if (!ctl_command_ok(s->conn, res, "recovering interrupted mail"))
		goto fail;
	if (strcmp(PQgetvalue(res, 0, 0), "0") != 0)
		log_warn(NULL, "mail_review", "count=%s reason=\"a sender "
		    "stopped during the SMTP transaction\" action=\"check the "
		    "rows in state review, then sscnctl mail-send --requeue ID\"",
		    PQgetvalue(res, 0, 0));
	PQclear(res);
	return true;
fail:
	PQclear(res);
	PQfinish(s->conn);
	s->conn = NULL;
	return false;
}

struct mail_upload {
	const char	*data;
	size_t		 left;
};

static size_t
mail_read(char *buf, size_t size, size_t n, void *arg)
{
	struct mail_upload	*up = arg;
	size_t			 len = size * n < up->left ? size * n : up->left;

	memcpy(buf, up->data, len);
	up->data += len;
	up->left -= len;
	return len;
}

/*
 * Run one SMTP transaction: "message" from mail_from to "recipient".
 * Puts a reason without personal data into "why".
 */
static enum mail_result
mail_smtp(const struct mail_sender *s, const char *recipient,
    const char *message, size_t len, char *why, size_t whylen)
{
	const struct sscn_conf	*conf = s->conf;
	struct curl_slist	*rcpt = NULL;
	struct mail_upload	 up = { message, len };
	char			 from[300], to[300];
	long			 code = 0;
	CURL			*curl;
	CURLcode		 rc;

	if ((curl = curl_easy_init()) == NULL) {
		snprintf(why, whylen, "curl_easy_init failed");
		return MAIL_TEMPORARY;
	}
	snprintf(from, sizeof(from), "<%s>", conf->mail_from);
	snprintf(to, sizeof(to), "<%s>", recipient);
	rcpt = curl_slist_append(NULL, to);

	curl_easy_setopt(curl, CURLOPT_URL, conf->smtp_url);
	curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
	curl_easy_setopt(curl, CURLOPT_USE_SSL, conf->smtp_require_tls ?
	    (long)CURLUSESSL_ALL : (long)CURLUSESSL_TRY);
	curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, 2L);
	if (conf->smtp_ca_file != NULL && *conf->smtp_ca_file != '\0')
		curl_easy_setopt(curl, CURLOPT_CAINFO, conf->smtp_ca_file);
	if (s->password != NULL) {
		curl_easy_setopt(curl, CURLOPT_USERNAME, conf->smtp_username);
		curl_easy_setopt(curl, CURLOPT_PASSWORD, s->password);
	}
	curl_easy_setopt(curl, CURLOPT_MAIL_FROM, from);
	curl_easy_setopt(curl, CURLOPT_MAIL_RCPT, rcpt);
	curl_easy_setopt(curl, CURLOPT_UPLOAD, 1L);
	curl_easy_setopt(curl, CURLOPT_READFUNCTION, mail_read);
	curl_easy_setopt(curl, CURLOPT_READDATA, &up);
	curl_easy_setopt(curl, CURLOPT_INFILESIZE_LARGE, (curl_off_t)len);
	curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(curl, CURLOPT_TIMEOUT, (long)conf->smtp_timeout);
	curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT,
	    conf->smtp_timeout < 10 ? (long)conf->smtp_timeout : 10L);

	rc = curl_easy_perform(curl);
	curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &code);
	curl_easy_cleanup(curl);
	curl_slist_free_all(rcpt);

	if (rc == CURLE_OK)
		return MAIL_SENT;
	snprintf(why, whylen, "%s (SMTP reply %ld)", curl_easy_strerror(rc),
	    code);
	/*
	 * Missing STARTTLS and rejected credentials are the server's or the
	 * configuration's problem, not the message's.
	 */
	if (code >= 500 && code <= 599 && rc != CURLE_LOGIN_DENIED &&
	    rc != CURLE_USE_SSL_FAILED)
		return MAIL_PERMANENT;
	return MAIL_TEMPORARY;
}

/* Copy the JSON object "headers" into the extra headers of "msg". */
static bool
mail_extra_headers(struct json_object *headers, struct mail_message *msg)
{
	if (headers == NULL || !json_object_is_type(headers, json_type_object))
		return false;
	json_object_object_foreach(headers, name, value) {
		if (msg->nextra == MAIL_EXTRA_MAX ||
		    !json_object_is_type(value, json_type_string))
			return false;
		msg->extra[msg->nextra].name = name;
		msg->extra[msg->nextra].value = json_object_get_string(value);
		msg->nextra++;
	}
	return true;
}

/* Columns of the claim query. */
enum {
	MAIL_C_ID, MAIL_C_SEAL, MAIL_C_RECIPIENT, MAIL_C_SUBJECT, MAIL_C_BODY,
	MAIL_C_HEADERS, MAIL_C_ATTEMPTS, MAIL_C_HEADERS_SEALED
};

/*
 * Decrypt, build and send the claimed row 0 of "row".  Sets "message_id"
 * and returns the outcome with the reason in "why".
 */
static enum mail_result
mail_deliver(const struct mail_sender *s, PGresult *row, char *message_id,
    char *why, size_t whylen)
{
	struct mail_message	 msg;
	struct json_object	*headers = NULL, *sealed_headers = NULL;
	char			*recipient = NULL, *body = NULL, *text = NULL;
	char			*sealed_text = NULL;
	size_t			 len;
	enum mail_result	 result = MAIL_PERMANENT;

	if (pii_open(s->keys, "mail_outbox.recipient:",
	    PQgetvalue(row, 0, MAIL_C_SEAL), PQgetvalue(row, 0,
	    MAIL_C_RECIPIENT), &recipient) != FIELDCRYPT_OK ||
	    pii_open(s->keys, "mail_outbox.body:", PQgetvalue(row, 0,
	    MAIL_C_SEAL), PQgetvalue(row, 0, MAIL_C_BODY), &body) !=
	    FIELDCRYPT_OK) {
		snprintf(why, whylen, "recipient or body does not decrypt "
		    "with the key file");
		goto out;
	}

	memset(&msg, 0, sizeof(msg));
	mail_message_id(s->conf->mail_from, message_id);
	msg.from_address = s->conf->mail_from;
	msg.from_name = s->conf->mail_from_name;
	msg.to_address = recipient;
	msg.subject = PQgetvalue(row, 0, MAIL_C_SUBJECT);
	msg.body = body;
	msg.message_id = message_id;
	msg.date = time(NULL);
	headers = json_tokener_parse(PQgetvalue(row, 0, MAIL_C_HEADERS));
	if (!mail_extra_headers(headers, &msg)) {
		snprintf(why, whylen, "headers is not an object of at most %d "
		    "strings", MAIL_EXTRA_MAX);
		goto out;
	}
	if (!PQgetisnull(row, 0, MAIL_C_HEADERS_SEALED)) {
		if (pii_open(s->keys, "mail_outbox.headers_sealed:",
		    PQgetvalue(row, 0, MAIL_C_SEAL), PQgetvalue(row, 0,
		    MAIL_C_HEADERS_SEALED), &sealed_text) != FIELDCRYPT_OK) {
			snprintf(why, whylen, "sealed headers do not decrypt "
			    "with the key file");
			goto out;
		}
		sealed_headers = json_tokener_parse(sealed_text);
		if (!mail_extra_headers(sealed_headers, &msg)) {
			snprintf(why, whylen, "sealed headers are not an object "
			    "of at most %d strings in all", MAIL_EXTRA_MAX);
			goto out;
		}
	}
	if (mail_message_build(&msg, &text, &len, why, whylen) == -1)
		goto out;
	result = mail_smtp(s, recipient, text, len, why, whylen);
out:
	if (text != NULL)
		sodium_memzero(text, len);
	free(text);
	json_object_put(headers);
	json_object_put(sealed_headers);
	pii_free(sealed_text);
	pii_free(recipient);
	pii_free(body);
	return result;
}

/* Seconds before attempt "attempts" + 1: doubled per attempt, capped. */
static unsigned
mail_retry_delay(const struct sscn_conf *conf, unsigned attempts)
{
	unsigned long long delay = conf->mail_retry_delay;

	while (attempts-- > 1 && delay < conf->mail_retry_delay_max)
		delay *= 2;
	return delay < conf->mail_retry_delay_max ? (unsigned)delay :
	    conf->mail_retry_delay_max;
}

/* Record the outcome of the claimed row "id".  Returns false on error. */
static bool
mail_record(struct mail_sender *s, const char *id, unsigned attempts,
    enum mail_result result, const char *message_id, const char *why)
{
	const char	*params[5];
	char		 delay[16], max[16];

	params[0] = id;
	params[1] = s->id;
	switch (result) {
	case MAIL_SENT:
		params[2] = message_id;
		return ctl_exec(s->conn, "UPDATE sscn.mail_outbox SET state = "
		    "'sent', sent_at = now(), message_id = $3, last_error = "
		    "NULL WHERE id = $1::bigint AND state = 'sending' AND "
		    "sender_id = $2::bigint", 3, params, "marking the mail sent");
	case MAIL_PERMANENT:
		params[2] = why;
		return ctl_exec(s->conn, "UPDATE sscn.mail_outbox SET state = "
		    "'failed', last_error = left($3, 500) WHERE id = $1::bigint "
		    "AND state = 'sending' AND sender_id = $2::bigint", 3,
		    params, "marking the mail failed");
	case MAIL_TEMPORARY:
		break;
	}
	snprintf(delay, sizeof(delay), "%u", mail_retry_delay(s->conf,
	    attempts));
	snprintf(max, sizeof(max), "%u", s->conf->mail_max_attempts);
	params[2] = why;
	params[3] = delay;
	params[4] = max;
	return ctl_exec(s->conn, "UPDATE sscn.mail_outbox SET state = CASE "
	    "WHEN attempts >= $5::integer THEN 'failed' ELSE 'queued' END, "
	    "next_attempt_at = now() + make_interval(secs => $4::integer), "
	    "last_error = left($3, 500) WHERE id = $1::bigint AND state = "
	    "'sending' AND sender_id = $2::bigint", 5, params,
	    "putting the mail back in the queue");
}

/*
 * Send every due message, one at a time, until none is left or a stop
 * signal came.  Returns false when the database failed.
 */
static bool
mail_send_due(struct mail_sender *s)
{
	const char	*params[1] = { s->id };
	char		 message_id[MAIL_MESSAGE_ID_SIZE], why[MAIL_ERROR_MAX];
	PGresult	*row;

	while (!mail_stop) {
		enum mail_result	 result;
		unsigned		 attempts;
		char			 id[24];

		row = PQexecParams(s->conn, "SELECT id, seal_id::text, "
		    "recipient, subject, body, headers::text, attempts, "
		    "headers_sealed FROM sscn.mail_outbox_claim_next($1::bigint)",
		    1, NULL, params,
		    NULL, NULL, 0);
		if (!ctl_command_ok(s->conn, row, "claiming mail")) {
			PQclear(row);
			return false;
		}
		if (PQntuples(row) == 0) {
			PQclear(row);
			return true;
		}

		snprintf(id, sizeof(id), "%s", PQgetvalue(row, 0, MAIL_C_ID));
		attempts = (unsigned)strtoul(PQgetvalue(row, 0,
		    MAIL_C_ATTEMPTS), NULL, 10);
		why[0] = '\0';
		message_id[0] = '\0';
		result = mail_deliver(s, row, message_id, why, sizeof(why));
		PQclear(row);

		switch (result) {
		case MAIL_SENT:
			s->sent++;
			log_info(NULL, "mail_sent", "outbox_id=%s attempt=%u",
			    id, attempts);
			break;
		case MAIL_PERMANENT:
			s->failed++;
			log_error(NULL, "mail_failed", "outbox_id=%s attempt=%u "
			    "reason=\"%s\"", id, attempts, why);
			break;
		case MAIL_TEMPORARY:
			s->deferred++;
			log_warn(NULL, "mail_deferred", "outbox_id=%s attempt=%u "
			    "max_attempts=%u reason=\"%s\"", id, attempts,
			    s->conf->mail_max_attempts, why);
			break;
		}
		if (!mail_record(s, id, attempts, result, message_id, why))
			return false;
	}
	return true;
}

/* "--requeue ID": put a 'review' or 'failed' row back in the queue. */
static int
mail_requeue(const struct sscn_conf *conf, const char *id)
{
	const char	*params[1] = { id };
	PGconn		*conn;
	PGresult	*res;
	int		 rc = CTL_EXIT_FAIL;

	if (strspn(id, "0123456789") != strlen(id) || strlen(id) == 0 ||
	    strlen(id) > 18) {
		fprintf(stderr, "sscnctl: \"%s\" is not an outbox id; "
		    "sscnctl mailq lists them\n", id);
		return CTL_EXIT_USAGE;
	}
	if ((conn = ctl_connect(conf->database_owner, "database_owner")) ==
	    NULL)
		return CTL_EXIT_FAIL;
	if (!ctl_exec(conn, "BEGIN", 0, NULL, "starting the transaction"))
		goto out;
	res = PQexecParams(conn, "UPDATE sscn.mail_outbox SET state = "
	    "'queued', next_attempt_at = NULL, last_error = NULL WHERE id = "
	    "$1::bigint AND state IN ('review', 'failed') RETURNING id", 1,
	    NULL, params, NULL, NULL, 0);
	if (!ctl_command_ok(conn, res, "requeueing the mail")) {
		PQclear(res);
		goto out;
	}
	if (PQntuples(res) == 0) {
		fprintf(stderr, "sscnctl: mail %s is not in state review or "
		    "failed\n", id);
		PQclear(res);
		goto out;
	}
	PQclear(res);
	if (ctl_audit(conn, "mail.requeue", id, "{}") &&
	    ctl_exec(conn, "COMMIT", 0, NULL, "committing")) {
		printf("mail %s is queued again\n", id);
		rc = CTL_EXIT_OK;
	}
out:
	PQfinish(conn);
	return rc;
}

/* Check the settings the sender needs and read the SMTP password. */
static bool
mail_prepare(struct mail_sender *s)
{
	const struct sscn_conf	*conf = s->conf;
	char			 err[512];
	size_t			 len;

	if (strncmp(conf->smtp_url, "smtp://", 7) != 0 &&
	    strncmp(conf->smtp_url, "smtps://", 8) != 0) {
		fprintf(stderr, "sscnctl: smtp_url must start with smtp:// or "
		    "smtps://\n");
		return false;
	}
	if (!mail_address_valid(conf->mail_from)) {
		fprintf(stderr, "sscnctl: mail_from \"%s\" is not a valid "
		    "address\n", conf->mail_from);
		return false;
	}
	if (conf->smtp_username == NULL || *conf->smtp_username == '\0')
		return true;
	if (conf->smtp_password_file == NULL ||
	    *conf->smtp_password_file == '\0') {
		fprintf(stderr, "sscnctl: smtp_username is set but "
		    "smtp_password_file is not\n");
		return false;
	}
	s->password = conf_read_private_file(conf->smtp_password_file,
	    MAIL_PASSWORD_MAX, "the SMTP password", &len, err, sizeof(err));
	if (s->password == NULL) {
		fprintf(stderr, "sscnctl: %s\n", err);
		return false;
	}
	/* One trailing newline, as an editor leaves it, is not part of it. */
	if (len > 0 && s->password[len - 1] == '\n')
		s->password[--len] = '\0';
	return true;
}

int
ctl_mail_send(const struct sscn_conf *conf, int argc, char **argv)
{
	struct mail_sender	 s;
	bool			 loop;
	int			 rc = CTL_EXIT_FAIL;

	if (argc == 3 && strcmp(argv[1], "--requeue") == 0)
		return mail_requeue(conf, argv[2]);
	if (argc == 1 || (argc == 2 && strcmp(argv[1], "--once") == 0))
		loop = false;
	else if (argc == 2 && strcmp(argv[1], "--loop") == 0)
		loop = true;
	else {
		fprintf(stderr, "usage: sscnctl mail-send [--once | --loop | "
		    "--requeue ID]\n");
		return CTL_EXIT_USAGE;
	}

	memset(&s, 0, sizeof(s));
	s.conf = conf;
	log_set_level(conf->log_level);
	if (sodium_init() < 0) {
		fprintf(stderr, "sscnctl: libsodium failed to initialize\n");
		return CTL_EXIT_FAIL;
	}
	if (!mail_prepare(&s) || ctl_load_keys(conf, &s.keys) == -1)
		goto out;
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		fprintf(stderr, "sscnctl: libcurl failed to initialize\n");
		goto out;
	}
	mail_catch_signals();
	log_info(NULL, "mail_sender_start", "mode=%s smtp_require_tls=%s",
	    loop ? "loop" : "once", conf->smtp_require_tls ? "yes" : "no");

	for (;;) {
		if (s.conn == NULL && !mail_connect(&s)) {
			if (!loop)
				break;
			log_warn(NULL, "mail_db_retry", "delay_s=%u",
			    conf->mail_poll_interval);
		} else if (!mail_send_due(&s)) {
			PQfinish(s.conn);
			s.conn = NULL;
			if (!loop)
				break;
		} else if (!loop) {
			rc = CTL_EXIT_OK;
			break;
		}
		if (mail_stop)
			break;
		mail_sleep(conf->mail_poll_interval);
		if (mail_stop)
			break;
	}
	if (loop && mail_stop)
		rc = CTL_EXIT_OK;
	log_info(NULL, "mail_sender_stop", "sent=%u failed=%u deferred=%u",
	    s.sent, s.failed, s.deferred);
	curl_global_cleanup();
out:
	PQfinish(s.conn);
	keys_free(s.keys);
	if (s.password != NULL) {
		sodium_memzero(s.password, strlen(s.password));
		free(s.password);
	}
	return rc;
}
