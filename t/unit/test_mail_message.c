/*
 * test_mail_message.c - mail_message_build(): the RFC 5322 message of an
 * outbox row, its encoded words, its body encoding and the checks that
 * keep line breaks out of headers.
 */
#include "config.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "sscn.h"
#include "mail_message.h"
#include "tap.h"

static struct mail_message
sample(void)
{
	struct mail_message msg;

	memset(&msg, 0, sizeof(msg));
	msg.from_address = "noreply@sscn.example";
	msg.from_name = "SSCN";
	msg.to_address = "anna@example.com";
	msg.subject = "Confirm your e-mail address for SSCN";
	msg.body = "Hello Anna,\n\nopen https://localhost/verify#token=abc\n";
	msg.message_id = "<0123@sscn.example>";
	msg.date = 1764892800;	/* 2025-12-05 00:00:00 UTC, a Friday */
	return msg;
}

static char *
build(const struct mail_message *msg)
{
	char	*out = NULL, err[200];
	size_t	 len;

	if (mail_message_build(msg, &out, &len, err, sizeof(err)) == -1) {
		diag("build failed: %s", err);
		return NULL;
	}
	if (strlen(out) != len)
		diag("length %zu differs from the text's %zu", len,
		    strlen(out));
	return out;
}

static void
rejects(const struct mail_message *msg, const char *why)
{
	static char	 unchanged[] = "unchanged";
	char		*out = unchanged, err[200] = "";
	size_t		 len;

	ok(mail_message_build(msg, &out, &len, err, sizeof(err)) == -1 &&
	    out == NULL && err[0] != '\0', "rejected: %s", why);
}

/* True when every line of "text" ends with CRLF and is at most 998 bytes. */
static bool
lines_valid(const char *text)
{
	const char *p, *line = text;

	for (p = text; *p != '\0'; p++) {
		if (*p == '\n' && (p == text || p[-1] != '\r'))
			return false;
		if (*p == '\r' && p[1] != '\n')
			return false;
		if (*p == '\n') {
			if (p - line - 1 > 998)
				return false;
			line = p + 1;
		}
	}
	return line == p;
}

static void
test_headers(void)
{
	struct mail_message	 msg = sample();
	char			*out = build(&msg);

	if (!ok(out != NULL, "a plain message builds"))
		return;
	ok(strncmp(out, "Date: Fri, 05 Dec 2025 00:00:00 +0000\r\n", 39) == 0,
	    "Date comes first, in RFC 5322 form and UTC");
	ok(strstr(out, "\r\nFrom: \"SSCN\" <noreply@sscn.example>\r\n") != NULL,
	    "From has the quoted display name and the address");
	ok(strstr(out, "\r\nTo: anna@example.com\r\n") != NULL,
	    "To is the bare address");
	ok(strstr(out, "\r\nSubject: Confirm your e-mail address for SSCN\r\n")
	    != NULL, "an ASCII subject stays as it is");
	ok(strstr(out, "\r\nMessage-ID: <0123@sscn.example>\r\n") != NULL,
	    "Message-ID is the one given");
	ok(strstr(out, "\r\nMIME-Version: 1.0\r\n") != NULL, "MIME-Version");
	ok(strstr(out, "\r\nContent-Type: text/plain; charset=utf-8\r\n")
	    != NULL, "Content-Type is UTF-8 text");
	ok(strstr(out, "\r\nContent-Transfer-Encoding: 8bit\r\n\r\nHello "
	    "Anna,\r\n\r\nopen https://localhost/verify#token=abc\r\n") != NULL,
	    "short lines go as 8bit with CRLF line ends");
	ok(lines_valid(out), "every line ends with CRLF");
	free(out);
}

static void
test_encoded_words(void)
{
	struct mail_message	 msg = sample();
	char			*out, *subject;
	const char		*p;
	int			 words = 0;

	msg.subject = "Angebot für Ihre Anfrage: Präzisionsteile aus "
	    "Ústí nad Labem, Łódź und Málaga – bitte prüfen";
	msg.from_name = "SSCN Bestätigung";
	if (!ok((out = build(&msg)) != NULL, "a UTF-8 subject builds"))
		return;
	subject = strstr(out, "\r\nSubject: ");
	ok(subject != NULL && strncmp(subject + 11, "=?UTF-8?B?", 10) == 0,
	    "a UTF-8 subject is an RFC 2047 encoded word");
	for (p = subject; p != NULL && (p = strstr(p, "=?UTF-8?B?")) != NULL &&
	    p < strstr(subject, "\r\nMessage-ID"); p++)
		words++;
	ok(words >= 2, "a long subject is split into several words (%d)",
	    words);
	ok(strstr(subject, "?=\r\n =?UTF-8?B?") != NULL,
	    "the words are folded onto continuation lines");
	ok(strstr(out, "\r\nFrom: =?UTF-8?B?U1NDTiBCZXN0w6R0aWd1bmc=?= "
	    "<noreply@sscn.example>\r\n") != NULL,
	    "a UTF-8 display name is an encoded word");
	ok(lines_valid(out), "lines stay within 998 bytes");
	free(out);

	msg = sample();
	msg.subject = "=?UTF-8?B?QQ==?= looks encoded";
	out = build(&msg);
	ok(out != NULL && strstr(out, "\r\nSubject: =?UTF-8?B?PT9VVEYtOD9C")
	    != NULL, "a subject that looks like an encoded word is encoded");
	free(out);
}

static void
test_quoted_printable(void)
{
	struct mail_message	 msg = sample();
	char			 body[1300];
	char			*out;

	memset(body, 'a', sizeof(body) - 1);
	body[sizeof(body) - 1] = '\0';
	memcpy(body + 10, "=\xc3\xa9 ", 4);
	msg.body = body;
	if (!ok((out = build(&msg)) != NULL, "a body with a long line builds"))
		return;
	ok(strstr(out, "Content-Transfer-Encoding: quoted-printable\r\n") !=
	    NULL, "a line over 998 bytes turns on quoted-printable");
	ok(strstr(out, "aaaa=3D=C3=A9 aaa") != NULL,
	    "\"=\" and UTF-8 bytes are escaped");
	ok(strstr(out, "=\r\naaa") != NULL, "soft line breaks split the line");
	ok(lines_valid(out), "no encoded line is longer than 998 bytes");
	free(out);
}

static void
test_line_breaks_rejected(void)
{
	struct mail_message msg;

	msg = sample();
	msg.subject = "Hello\r\nBcc: eve@example.net";
	rejects(&msg, "CRLF in the subject");
	msg = sample();
	msg.subject = "Hello\nBcc: eve@example.net";
	rejects(&msg, "LF in the subject");
	msg = sample();
	msg.subject = "tab\tand bell\a";
	rejects(&msg, "control characters in the subject");
	msg = sample();
	msg.from_name = "Eve\r\nBcc: eve@example.net";
	rejects(&msg, "CRLF in the display name");
	msg = sample();
	msg.to_address = "anna@example.com\r\nRCPT TO:<eve@example.net>";
	rejects(&msg, "CRLF in the recipient");
	msg = sample();
	msg.to_address = "anna@example.com, eve@example.net";
	rejects(&msg, "two recipients");
	msg = sample();
	msg.to_address = "Anna <anna@example.com>";
	rejects(&msg, "a recipient with a display name");
	msg = sample();
	msg.to_address = "no-at-sign";
	rejects(&msg, "a recipient without @");
	msg = sample();
	msg.from_address = "sscn@example.com\n";
	rejects(&msg, "LF in mail_from");
	msg = sample();
	msg.message_id = "<a@b>\r\nBcc: x@y";
	rejects(&msg, "CRLF in the Message-ID");
	msg = sample();
	msg.body = "invalid \xff UTF-8";
	rejects(&msg, "a body that is not UTF-8");
}

static void
test_extra_headers(void)
{
	struct mail_message	 msg = sample();
	char			*out;

	msg.extra[0].name = "list-unsubscribe";
	msg.extra[0].value = "<https://sscn.example/api/v1/unsubscribe?t=x>";
	msg.extra[1].name = "List-Unsubscribe-Post";
	msg.extra[1].value = "List-Unsubscribe=One-Click";
	msg.nextra = 2;
	out = build(&msg);
	ok(out != NULL && strstr(out, "\r\nList-Unsubscribe: <https://sscn."
	    "example/api/v1/unsubscribe?t=x>\r\nList-Unsubscribe-Post: "
	    "List-Unsubscribe=One-Click\r\n") != NULL,
	    "the unsubscribe headers are copied with their usual spelling");
	free(out);

	msg.extra[1].value = "List-Unsubscribe=One-Click\r\nBcc: eve@example.net";
	rejects(&msg, "CRLF in an extra header");
	msg.extra[1].value = "caf\xc3\xa9";
	rejects(&msg, "non-ASCII in an extra header");
	msg.extra[1].name = "Bcc";
	msg.extra[1].value = "eve@example.net";
	rejects(&msg, "an extra header outside the allow-list");
	msg.extra[1].name = "Subject";
	rejects(&msg, "a second Subject");
}

static void
test_message_id(void)
{
	char a[MAIL_MESSAGE_ID_SIZE], b[MAIL_MESSAGE_ID_SIZE];

	mail_message_id("noreply@sscn.example", a);
	mail_message_id("noreply@sscn.example", b);
	ok(strlen(a) == 1 + 32 + 1 + 12 + 1 && a[0] == '<' &&
	    strcmp(a + 33, "@sscn.example>") == 0,
	    "a Message-ID is 128 random bits at the sender's domain");
	ok(strcmp(a, b) != 0, "two Message-IDs differ");
}

int
main(void)
{
	if (sodium_init() < 0)
		bail_out("sodium_init failed");
	test_headers();
	test_encoded_words();
	test_quoted_printable();
	test_line_breaks_rejected();
	test_extra_headers();
	test_message_id();
	return done_testing();
}
