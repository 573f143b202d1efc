/*
 * mail_message.h - build one RFC 5322 message from an outbox row.
 *
 * The builder writes CRLF line endings, a Date in UTC, a Message-ID,
 * From with an RFC 2047 encoded display name, To with the bare address,
 * and a Subject that is RFC 2047 encoded unless it is printable ASCII.
 * The body is text/plain UTF-8, sent as 8bit, or as quoted-printable when
 * a line is longer than 998 bytes.  The extra headers of the row follow.  It
 * rejects a CR, LF or other control character in any header value, so a
 * value can never start another header, and it allows only the extra
 * headers listed in mail_message.c.  Nothing here logs or talks to a
 * server.
 */
#ifndef SSCN_MAIL_MESSAGE_H
#define SSCN_MAIL_MESSAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

/* Maximum number of extra headers in one message. */
#define MAIL_EXTRA_MAX	8

struct mail_header {
	const char	*name;
	const char	*value;
};

struct mail_message {
	const char		*from_address;	/* addr-spec */
	const char		*from_name;	/* may be NULL or "" */
	const char		*to_address;	/* addr-spec */
	const char		*subject;	/* UTF-8 */
	const char		*body;		/* UTF-8, LF or CRLF lines */
	const char		*message_id;	/* "<...>", see below */
	time_t			 date;
	struct mail_header	 extra[MAIL_EXTRA_MAX];
	size_t			 nextra;
};

/*
 * True when "address" can go into To, MAIL FROM and RCPT TO as it is:
 * one "local@domain" of printable ASCII or UTF-8 without spaces, quotes,
 * angle brackets, commas, semicolons or control characters, at most 254
 * bytes.
 */
bool	mail_address_valid(const char *address);

/*
 * Write "<RANDOM@DOMAIN>" into "out" (at least MAIL_MESSAGE_ID_SIZE
 * bytes), with 128 random bits in hex and the domain of "from_address".
 */
#define MAIL_MESSAGE_ID_SIZE	300
void	mail_message_id(const char *from_address, char *out);

/*
 * Build "msg" into a new NUL-terminated buffer "*out" of "*len" bytes that
 * the caller frees.  Returns 0, or -1 with a short reason in "err" (which
 * names the header, never its value): a header value with a control
 * character, an invalid address, an extra header outside the allow-list,
 * or a body that is not UTF-8.
 */
int	mail_message_build(const struct mail_message *msg, char **out,
	    size_t *len, char *err, size_t errlen);

#endif /* SSCN_MAIL_MESSAGE_H */
