/*
 * mail_message.c - build an RFC 5322 message (mail_message.h).
 *
 * Header values come from the configuration (From), from the outbox row
 * (To, Subject, extra headers) and from the builder itself.  Each one is
 * checked here again, at send time, whatever checked it before: a control
 * character in a value rejects the whole message, so no value can fold
 * into a new header line or add a recipient.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <sodium.h>

#include "sscn.h"
#include "mail_message.h"

/* RFC 5322 2.1.1: a line is at most 998 bytes without its CRLF. */
#define MAIL_LINE_MAX		998
/* Input bytes per RFC 2047 encoded word: 60 base64 characters. */
#define MAIL_WORD_BYTES		45
/* Maximum length in bytes of an extra header value copied from a row. */
#define MAIL_EXTRA_VALUE_MAX	900

/*
 * The extra headers a row may carry, in the case written out: the
 * unsubscribe headers of RFC 2369 and RFC 8058 and the markers of
 * automatic mail (RFC 3834).
 */
static const char *const mail_extra_allowed[] = {
	"List-Unsubscribe",
	"List-Unsubscribe-Post",
	"List-Id",
	"Auto-Submitted",
	"Precedence",
};

static bool
mail_has_control(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return true;
	return false;
}

static bool
mail_is_ascii(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s >= 0x80)
			return false;
	return true;
}

bool
mail_address_valid(const char *address)
{
	const char	*at = strchr(address, '@');
	size_t		 len = strlen(address);

	if (len == 0 || len > 254 || at == NULL || at == address ||
	    at[1] == '\0' || strchr(at + 1, '@') != NULL)
		return false;
	if (mail_has_control(address) || strpbrk(address, " \"<>(),;:[]\\")
	    != NULL)
		return false;
	return utf8_valid((const unsigned char *)address, len);
}

void
mail_message_id(const char *from_address, char *out)
{
	unsigned char	 random[16];
	char		 hex[sizeof(random) * 2 + 1];
	const char	*at = strchr(from_address, '@');

	randombytes_buf(random, sizeof(random));
	sodium_bin2hex(hex, sizeof(hex), random, sizeof(random));
	snprintf(out, MAIL_MESSAGE_ID_SIZE, "<%s@%.250s>", hex,
	    at != NULL && at[1] != '\0' ? at + 1 : "localhost");
}

/*
 * Write "text" as RFC 2047 "B" encoded words of UTF-8, folded with CRLF
 * and a space between words.  Words end at character boundaries, so each
 * one decodes to whole characters (RFC 2047 section 5).
 */
static void
mail_put_encoded(FILE *out, const char *text)
{
	const unsigned char	*p = (const unsigned char *)text;
	size_t			 left = strlen(text), n;
	char			 b64[sodium_base64_ENCODED_LEN(MAIL_WORD_BYTES,
				    sodium_base64_VARIANT_ORIGINAL)];
	bool			 first = true;

	while (left > 0) {
		n = left < MAIL_WORD_BYTES ? left : MAIL_WORD_BYTES;
		/* Back off to the start of a UTF-8 sequence. */
		while (n < left && n > 0 && (p[n] & 0xc0) == 0x80)
			n--;
		sodium_bin2base64(b64, sizeof(b64), p, n,
		    sodium_base64_VARIANT_ORIGINAL);
		fprintf(out, "%s=?UTF-8?B?%s?=", first ? "" : "\r\n ", b64);
		first = false;
		p += n;
		left -= n;
	}
}

/* True when "s" can appear in a header as it is, without encoding. */
static bool
mail_plain_text(const char *s)
{
	return mail_is_ascii(s) && strstr(s, "=?") == NULL &&
	    strlen(s) <= MAIL_EXTRA_VALUE_MAX;
}

static void
mail_put_date(FILE *out, time_t date)
{
	static const char *const days[] = {
		"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"
	};
	static const char *const months[] = {
		"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep",
		"Oct", "Nov", "Dec"
	};
	struct tm tm;

	gmtime_r(&date, &tm);
	fprintf(out, "Date: %s, %02d %s %04d %02d:%02d:%02d +0000\r\n",
	    days[tm.tm_wday], tm.tm_mday, months[tm.tm_mon], tm.tm_year + 1900,
	    tm.tm_hour, tm.tm_min, tm.tm_sec);
}

static void
mail_put_from(FILE *out, const struct mail_message *msg)
{
	const char *name = msg->from_name;

	if (name == NULL || *name == '\0') {
		fprintf(out, "From: %s\r\n", msg->from_address);
		return;
	}
	fputs("From: ", out);
	if (mail_plain_text(name) && strpbrk(name, "\"\\") == NULL)
		fprintf(out, "\"%s\"", name);
	else
		mail_put_encoded(out, name);
	fprintf(out, " <%s>\r\n", msg->from_address);
}

/* Length of the longest line of "body", counting CR, LF or CRLF as ends. */
static size_t
mail_longest_line(const char *body)
{
	size_t longest = 0, n = 0;

	for (; *body != '\0'; body++) {
		if (*body == '\r' || *body == '\n') {
			if (n > longest)
				longest = n;
			n = 0;
		} else
			n++;
	}
	return n > longest ? n : longest;
}

/*
 * Write "body" with CRLF line ends: a lone CR or LF becomes CRLF.  With
 * "qp", encode it as quoted-printable (RFC 2045 section 6.7) with soft
 * line breaks before 76 characters.
 */
static void
mail_put_body(FILE *out, const char *body, bool qp)
{
	const unsigned char	*p = (const unsigned char *)body;
	size_t			 col = 0;

	for (; *p != '\0'; p++) {
		if (*p == '\r' || *p == '\n') {
			if (*p == '\r' && p[1] == '\n')
				p++;
			fputs("\r\n", out);
			col = 0;
			continue;
		}
		if (!qp) {
			fputc(*p, out);
			continue;
		}
		bool literal = (*p >= 33 && *p <= 126 && *p != '=') ||
		    ((*p == ' ' || *p == '\t') && p[1] != '\r' &&
		    p[1] != '\n' && p[1] != '\0');
		size_t width = literal ? 1 : 3;

		if (col + width > 75) {
			fputs("=\r\n", out);
			col = 0;
		}
		if (literal)
			fputc(*p, out);
		else
			fprintf(out, "=%02X", *p);
		col += width;
	}
	if (p == (const unsigned char *)body || (p[-1] != '\n' && p[-1] != '\r'))
		fputs("\r\n", out);
}

/* Check the extra headers and write them with their allowed spelling. */
static int
mail_put_extra(FILE *out, const struct mail_message *msg, char *err,
    size_t errlen)
{
	size_t i, j;

	for (i = 0; i < msg->nextra && i < MAIL_EXTRA_MAX; i++) {
		const struct mail_header *h = &msg->extra[i];

		for (j = 0; j < sizeof(mail_extra_allowed) /
		    sizeof(mail_extra_allowed[0]); j++)
			if (strcasecmp(h->name, mail_extra_allowed[j]) == 0)
				break;
		if (j == sizeof(mail_extra_allowed) /
		    sizeof(mail_extra_allowed[0])) {
			snprintf(err, errlen, "header \"%.64s\" is not allowed "
			    "in the outbox", h->name);
			return -1;
		}
		if (mail_has_control(h->value) || !mail_is_ascii(h->value) ||
		    strlen(h->value) > MAIL_EXTRA_VALUE_MAX) {
			snprintf(err, errlen, "header %s must be printable "
			    "ASCII of at most %d bytes", mail_extra_allowed[j],
			    MAIL_EXTRA_VALUE_MAX);
			return -1;
		}
		fprintf(out, "%s: %s\r\n", mail_extra_allowed[j], h->value);
	}
	return 0;
}

/* Check every value that goes into a header before writing any. */
static int
mail_check(const struct mail_message *msg, char *err, size_t errlen)
{
	const char *id = msg->message_id;

	if (!mail_address_valid(msg->from_address)) {
		snprintf(err, errlen, "mail_from is not a valid address");
		return -1;
	}
	if (!mail_address_valid(msg->to_address)) {
		snprintf(err, errlen, "the recipient is not a valid address");
		return -1;
	}
	if (msg->from_name != NULL && (mail_has_control(msg->from_name) ||
	    !utf8_valid((const unsigned char *)msg->from_name,
	    strlen(msg->from_name)))) {
		snprintf(err, errlen, "mail_from_name contains a control "
		    "character or invalid UTF-8");
		return -1;
	}
	if (mail_has_control(msg->subject) || !utf8_valid(
	    (const unsigned char *)msg->subject, strlen(msg->subject))) {
		snprintf(err, errlen, "the subject contains a control "
		    "character or invalid UTF-8");
		return -1;
	}
	if (id == NULL || id[0] != '<' || id[strlen(id) - 1] != '>' ||
	    mail_has_control(id) || !mail_is_ascii(id) || strchr(id, ' ')) {
		snprintf(err, errlen, "the Message-ID is not \"<id@domain>\"");
		return -1;
	}
	if (!utf8_valid((const unsigned char *)msg->body, strlen(msg->body))) {
		snprintf(err, errlen, "the body is not valid UTF-8");
		return -1;
	}
	if (msg->nextra > MAIL_EXTRA_MAX) {
		snprintf(err, errlen, "more than %d extra headers",
		    MAIL_EXTRA_MAX);
		return -1;
	}
	return 0;
}

int
mail_message_build(const struct mail_message *msg, char **out, size_t *len,
    char *err, size_t errlen)
{
	FILE	*f;
	bool	 qp;

	*out = NULL;
	*len = 0;
	if (mail_check(msg, err, errlen) == -1)
		return -1;
	if ((f = open_memstream(out, len)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}

	mail_put_date(f, msg->date);
	mail_put_from(f, msg);
	fprintf(f, "To: %s\r\n", msg->to_address);
	fputs("Subject: ", f);
	if (mail_plain_text(msg->subject))
		fputs(msg->subject, f);
	else
		mail_put_encoded(f, msg->subject);
	fputs("\r\n", f);
	fprintf(f, "Message-ID: %s\r\n", msg->message_id);
	if (mail_put_extra(f, msg, err, errlen) == -1) {
		fclose(f);
		free(*out);
		*out = NULL;
		return -1;
	}

	qp = mail_longest_line(msg->body) > MAIL_LINE_MAX;
	fprintf(f, "MIME-Version: 1.0\r\n"
	    "Content-Type: text/plain; charset=utf-8\r\n"
	    "Content-Transfer-Encoding: %s\r\n\r\n",
	    qp ? "quoted-printable" : "8bit");
	mail_put_body(f, msg->body, qp);

	if (fclose(f) != 0 || *out == NULL) {
		free(*out);
		*out = NULL;
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	return 0;
}
